locals {
  # The download entries of var.platform.
  client_download   = one([for d in jumpgate_jump_client_installer.lab.downloads : d if d.platform == var.platform])
  jumpoint_download = one([for d in jumpgate_jumpoint.lab.downloads : d if d.platform == var.platform])
}

output "jump_group" {
  description = "The Jump Group's id and code name."
  value       = { id = jumpgate_jump_group.lab.id, code_name = jumpgate_jump_group.lab.code_name }
}

output "policies" {
  description = "Code names of the Jump Policy and the Session Policy."
  value = {
    jump_policy    = jumpgate_jump_policy.anytime.code_name
    session_policy = jumpgate_session_policy.support.code_name
  }
}

output "jumpoint_id" {
  description = "The Jumpoint's id."
  value       = jumpgate_jumpoint.lab.id
}

output "protocol_tunnel_jump_id" {
  description = "The Protocol Tunnel Jump's id: `jumpgate tunnel tunnel:<id>`."
  value       = jumpgate_protocol_tunnel_jump.web.id
}

output "tunnel_command" {
  description = "Opens the tunnel to the target through the Jumpoint, once its node is connected."
  value       = "jumpgate tunnel tunnel:${jumpgate_protocol_tunnel_jump.web.id}"
}

output "jump_client_installer_id" {
  description = "The installer record's id, and its random installer_id (in the installer's file name)."
  value       = { id = jumpgate_jump_client_installer.lab.id, installer_id = jumpgate_jump_client_installer.lab.installer_id }
}

output "jump_client_download_url" {
  description = "Where var.platform's Jump Client installer is downloaded (needs an administrator's token)."
  value       = local.client_download.url
}

output "jump_client_download_command" {
  description = "Downloads it, with $JUMPGATE_TOKEN and $JUMPGATE_CA_CERT from the environment."
  value       = local.client_download.command
}

output "jump_client_install_command" {
  description = "Installs it on the endpoint (system-wide; add `--scope user --startup none --install-dir DIR` for a user install, then run DIR/init-script start)."
  value       = local.client_download.install_command
}

output "jump_client_key_info" {
  description = "The installer's signed key info, which the generic installer takes with --key-info KEY. Anyone holding it may install a Jump Client until the installer expires: `terraform output -raw jump_client_key_info`."
  value       = jumpgate_jump_client_installer.lab.key_info
  sensitive   = true
}

output "jumpoint_download_url" {
  description = "Where var.platform's installer of a Jumpoint node is downloaded. Its key info is valid for 24 hours after the download."
  value       = local.jumpoint_download.url
}

output "jumpoint_download_command" {
  description = "Downloads the Jumpoint node's installer, with $JUMPGATE_TOKEN and $JUMPGATE_CA_CERT from the environment."
  value       = local.jumpoint_download.command
}

output "representative" {
  description = "The representative's username and the id of the group policy that gives them the start role (null without create_representative)."
  value = var.create_representative ? {
    username     = jumpgate_user.rep[0].username
    group_policy = jumpgate_group_policy.reps[0].id
  } : null
}
