# Shell and file access for servers, with the customer's consent when
# someone is at the machine.
resource "jumpgate_session_policy" "servers" {
  code_name    = "servers"
  display_name = "Servers"
  description  = "Shell, files and tunnels; no screen"

  permissions = {
    shell       = true
    file_read   = true
    file_write  = true
    tunnel      = true
    system_info = true
  }

  prompt_customer        = "not_present"
  prompt_timeout_seconds = 60
  on_timeout             = "deny"
  max_session_minutes    = 240
  idle_timeout_minutes   = 30
}

# Remote desktop support: screen and a clipboard capped at 1 MiB. Anything
# not set keeps its default (off, recorded).
resource "jumpgate_session_policy" "desktop" {
  code_name    = "desktop"
  display_name = "Desktop support"

  permissions = {
    screen_view         = true
    screen_control      = true
    clipboard           = "both"
    clipboard_max_bytes = 1048576
  }

  prompt_customer = "always"
}
