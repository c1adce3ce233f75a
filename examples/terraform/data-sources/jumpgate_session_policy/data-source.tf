data "jumpgate_session_policy" "servers" {
  code_name = "servers"
}

output "servers_may_write_files" {
  value = data.jumpgate_session_policy.servers.permissions.file_write
}
