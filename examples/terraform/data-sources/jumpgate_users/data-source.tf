# Every enabled administrator.
data "jumpgate_users" "admins" {
  admin   = true
  enabled = true
}

output "admin_usernames" {
  value = [for u in data.jumpgate_users.admins.items : u.username]
}
