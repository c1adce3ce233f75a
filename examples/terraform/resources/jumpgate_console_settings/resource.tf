# The console settings of browser sign-in: declare this resource at most
# once. Settings left out get their defaults; destroying the resource
# restores the defaults of a new appliance.
resource "jumpgate_console_settings" "this" {
  mfa_required                 = true
  session_idle_timeout_minutes = 15
  session_lifetime_hours       = 8
  # The public origin of a reverse proxy in front of the appliance, spelled
  # as a browser sends it: no path, no final "/".
  trusted_origins = ["https://support.example.com"]
}
