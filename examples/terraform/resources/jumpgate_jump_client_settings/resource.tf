# The site-wide Jump Client settings: declare this resource at most once.
# Settings left out get their defaults; destroying the resource restores the
# defaults of a new appliance.
resource "jumpgate_jump_client_settings" "this" {
  statistics                  = ["cpu", "console_user", "disk", "uptime", "screen"]
  statistics_interval_seconds = 120
  upgrade_mode                = "this_version"
  lost_after_days             = 30
  deleted_after_days          = 90
  uninstalled_behavior        = "remove"
  restrict_local_uninstall    = true
  simultaneous_jumps          = "disallow"
  unattended_sessions_allowed = false
}
