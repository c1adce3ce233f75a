# The site-wide Jump Client settings; any user may read them.
data "jumpgate_jump_client_settings" "current" {}

output "jump_client_upgrade_mode" {
  value = data.jumpgate_jump_client_settings.current.upgrade_mode
}
