# By numeric id:
terraform import jumpgate_protocol_tunnel_jump.orders_db 17
# or by name, when no other Protocol Tunnel Jump has it:
terraform import jumpgate_protocol_tunnel_jump.orders_db "name=Orders DB"
