# A PostgreSQL server reached through the datacenter jumpoint: the user's
# client connects to 127.0.0.1:15432 (and a free local port for the replica
# port) during a session.
resource "jumpgate_protocol_tunnel_jump" "orders_db" {
  name          = "Orders DB"
  jumpoint_id   = jumpgate_jumpoint.dc.id
  jump_group_id = jumpgate_jump_group.ops.id
  hostname      = "orders-db.internal"
  tag           = "databases"
  tunnel_definitions = [
    { local_port = 15432, remote_port = 5432 },
    { remote_port = 5433 }, # local_port 0: picked when the session starts
  ]
  session_policy_id = jumpgate_session_policy.recorded.id
}

# An item on an administrator's personal list.
resource "jumpgate_protocol_tunnel_jump" "lab" {
  name                  = "Lab web console"
  jumpoint_id           = jumpgate_jumpoint.dc.id
  jump_group_type       = "personal"
  jump_group_id         = jumpgate_user.alice.id
  hostname              = "10.9.0.15"
  tunnel_listen_address = "127.0.0.2"
  tunnel_definitions    = [{ local_port = 8443, remote_port = 443 }]
}
