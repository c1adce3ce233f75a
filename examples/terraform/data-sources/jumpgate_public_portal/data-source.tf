data "jumpgate_public_portal" "support" {
  hostname = "support.example.com"
}

output "support_portal_id" {
  value = data.jumpgate_public_portal.support.id
}
