# The Linux installer of jumpgate_jump_client_installer.servers, downloaded
# to a file (on every plan and apply) for a configuration management tool.
data "jumpgate_jump_client_installer_download" "servers_linux" {
  installer_id = jumpgate_jump_client_installer.servers.id
  platform     = "linux-amd64"
  output_path  = "${path.module}/files/jumpgate-jc-servers-linux-amd64.bin"

  # Read after the installer's changes are applied, so a renewal or key
  # rotation in the same apply downloads the new installer.
  depends_on = [jumpgate_jump_client_installer.servers]
}

output "servers_linux_sha256" {
  value = data.jumpgate_jump_client_installer_download.servers_linux.sha256
}

# Without output_path: only the commands, e.g. for a runbook.
data "jumpgate_jump_client_installer_download" "servers_windows" {
  installer_id = jumpgate_jump_client_installer.servers.id
  platform     = "windows-amd64"
}

output "servers_windows_commands" {
  value = [
    data.jumpgate_jump_client_installer_download.servers_windows.command,
    data.jumpgate_jump_client_installer_download.servers_windows.install_command,
  ]
}
