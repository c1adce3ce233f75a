# Every group policy, or only those matching the filters.
data "jumpgate_group_policies" "all" {}

output "group_policy_names" {
  value = [for p in data.jumpgate_group_policies.all.items : p.name]
}
