data "jumpgate_jump_policy" "business_hours" {
  code_name = "business-hours"
}

output "business_hours_windows" {
  value = data.jumpgate_jump_policy.business_hours.schedule
}
