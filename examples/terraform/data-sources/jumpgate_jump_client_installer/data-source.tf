# By the random installer id (it changes when the key is re-issued), or by id.
data "jumpgate_jump_client_installer" "servers" {
  installer_id = "3f9a0c2d41b7e865"
}

output "servers_installer_expires_at" {
  value = data.jumpgate_jump_client_installer.servers.expires_at
}
