# Jumps only during business hours in Berlin, each approved by an on-call
# lead, with a ticket ID and start/end notifications.
resource "jumpgate_jump_policy" "business_hours" {
  display_name = "Business hours"
  code_name    = "business-hours"
  description  = "Production access on weekdays, approved and ticketed"

  schedule_enabled = true
  timezone         = "Europe/Berlin"
  schedule_strict  = true
  schedule = [
    { day = "monday", start_time = "08:00", end_time = "18:00" },
    { day = "tuesday", start_time = "08:00", end_time = "18:00" },
    { day = "wednesday", start_time = "08:00", end_time = "18:00" },
    { day = "thursday", start_time = "08:00", end_time = "18:00" },
    { day = "friday", start_time = "08:00", end_time = "16:00" },
  ]

  simultaneous_jumps = "join"

  ticket_id_required    = true
  ticket_id_webhook_url = "https://tickets.example.com/jumpgate/check"

  approval_required     = true
  approval_user_ids     = [jumpgate_user.oncall_lead.id]
  approval_max_duration = 240

  session_start_notification   = true
  session_end_notification     = true
  notification_email_addresses = ["security@example.com"]
  notification_webhook_url     = "https://hooks.example.com/jumpgate"
}

# Access for a contractor that ends on a fixed date. The same instant may
# be written with any offset.
resource "jumpgate_jump_policy" "contractor" {
  display_name = "Contractor (until March)"
  code_name    = "contractor"
  expires_at   = "2030-03-31T18:00:00+02:00"
}
