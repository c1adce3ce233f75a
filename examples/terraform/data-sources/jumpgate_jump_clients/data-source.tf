# The Jump Clients installed from one installer.
data "jumpgate_jump_clients" "servers" {
  installer_id = jumpgate_jump_client_installer.servers.installer_id
}

output "offline_servers" {
  value = [for c in data.jumpgate_jump_clients.servers.items : c.hostname if c.status != "online"]
}

# Disks of the online clients of a Jump Group that are more than 90 % full.
data "jumpgate_jump_clients" "ops_online" {
  jump_group_id = jumpgate_jump_group.ops.id
  status        = "online"
}

output "full_disks" {
  value = [
    for c in data.jumpgate_jump_clients.ops_online.items : c.hostname
    if try(c.statistics.disk_free_bytes < c.statistics.disk_total_bytes / 10, false)
  ]
}
