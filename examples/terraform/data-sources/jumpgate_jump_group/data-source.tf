data "jumpgate_jump_group" "ops" {
  code_name = "ops"
}

output "ops_group_id" {
  value = data.jumpgate_jump_group.ops.id
}
