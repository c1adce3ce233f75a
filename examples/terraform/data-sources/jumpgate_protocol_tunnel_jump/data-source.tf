# By name (it must be unambiguous), or by id.
data "jumpgate_protocol_tunnel_jump" "orders_db" {
  name = "Orders DB"
}

output "orders_db_ports" {
  value = [for d in data.jumpgate_protocol_tunnel_jump.orders_db.tunnel_definitions : d.remote_port]
}
