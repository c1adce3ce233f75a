# An installer for the servers of the operations team. Every setting is
# updated in place: installers already handed out keep working.
resource "jumpgate_jump_client_installer" "servers" {
  jump_group_id              = jumpgate_jump_group.ops.id
  name                       = "" # the endpoint's host name
  tag                        = "servers"
  comments                   = "Installed by Ansible"
  valid_duration             = 10080 # one week, from now
  jump_policy_id             = jumpgate_jump_policy.business_hours.id
  attended_session_policy_id = jumpgate_session_policy.servers.id
  max_offline_minutes        = 0 # the global settings apply

  # Installations may set their own name and tag (--jc-name, --jc-tag).
  allow_override_name = true
  allow_override_tag  = true

  # Change this value to re-issue the key in place: a new installer_id and
  # key_info. Installers and key info handed out before stop working;
  # installed Jump Clients stay.
  rotation = "2026-11"

  # Once the installer has expired, the next apply re-issues its key instead
  # of only warning about the expiry.
  renew_on_expiry = true
}

# The Linux download command, ready to copy.
output "servers_linux_download" {
  value = one([for d in jumpgate_jump_client_installer.servers.downloads : "${d.command} && ${d.install_command}" if d.platform == "linux-amd64"])
}

# The key info for a generic installer (--key-info / KEY_INFO=). It is
# sensitive: terraform output -raw servers_key_info shows it.
output "servers_key_info" {
  value     = jumpgate_jump_client_installer.servers.key_info
  sensitive = true
}

# An installer whose key info never reaches the state: read it with the
# jumpgate_jump_client_installer_key_info ephemeral resource instead.
resource "jumpgate_jump_client_installer" "laptops" {
  jump_group_id              = jumpgate_jump_group.ops.id
  tag                        = "laptops"
  connection_type            = "standby"
  customer_client_start_mode = "minimized"
  max_offline_minutes        = 43200 # 30 days
  store_key_info             = false
}
