# The default portal: it serves Jump Clients that name no portal, Protocol
# Tunnel Jumps and access codes.
resource "jumpgate_public_portal" "support" {
  hostname          = "support.example.com"
  display_name      = "Example Support"
  default           = true
  session_policy_id = jumpgate_session_policy.recorded.id
}

# A portal for headless servers whose consent prompts are accepted.
resource "jumpgate_public_portal" "servers" {
  hostname           = "servers.example.com"
  display_name       = "Servers"
  automatic_behavior = "accept"
}
