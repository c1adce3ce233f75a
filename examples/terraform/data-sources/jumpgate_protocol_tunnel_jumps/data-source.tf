# The Protocol Tunnel Jumps through one jumpoint that carry a tag.
data "jumpgate_protocol_tunnel_jumps" "databases" {
  jumpoint_id = data.jumpgate_jumpoint.dc.id
  tag         = "databases"
}

output "database_hosts" {
  value = [for p in data.jumpgate_protocol_tunnel_jumps.databases.items : p.hostname]
}
