# Every enabled jumpoint (leave the filters out for all of them).
data "jumpgate_jumpoints" "enabled" {
  enabled = true
}

output "offline_jumpoints" {
  value = [for j in data.jumpgate_jumpoints.enabled.items : j.code_name if !j.connected]
}
