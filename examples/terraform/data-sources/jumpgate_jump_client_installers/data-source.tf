# The installers of one Jump Group.
data "jumpgate_jump_client_installers" "ops" {
  jump_group_id = jumpgate_jump_group.ops.id
}

output "expired_ops_installers" {
  value = [for i in data.jumpgate_jump_client_installers.ops.items : i.installer_id if i.expired]
}
