# The default portal, if there is one.
data "jumpgate_public_portals" "default" {
  default = true
}

output "default_portal" {
  value = one(data.jumpgate_public_portals.default.items[*].hostname)
}
