# The console settings of browser sign-in; any user may read them.
data "jumpgate_console_settings" "current" {}

output "console_session_idle_timeout_minutes" {
  value = data.jumpgate_console_settings.current.session_idle_timeout_minutes
}
