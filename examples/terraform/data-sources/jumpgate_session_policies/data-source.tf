# Session Policies whose display name is "Desktop support".
data "jumpgate_session_policies" "desktop" {
  display_name = "Desktop support"
}

output "desktop_session_policy_ids" {
  value = [for p in data.jumpgate_session_policies.desktop.items : p.id]
}
