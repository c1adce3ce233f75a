data "jumpgate_jumpoint" "dc" {
  code_name = "dc"
}

output "dc_connected" {
  value = data.jumpgate_jumpoint.dc.connected
}
