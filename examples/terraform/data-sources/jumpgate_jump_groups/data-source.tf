# Every Jump Group, or only those matching the filters.
data "jumpgate_jump_groups" "all" {}

output "jump_group_code_names" {
  value = [for g in data.jumpgate_jump_groups.all.items : g.code_name]
}
