# Every Jump Policy, or only those matching the filters.
data "jumpgate_jump_policies" "all" {}

output "jump_policies_needing_approval" {
  value = [for p in data.jumpgate_jump_policies.all.items : p.code_name if p.approval_required]
}
