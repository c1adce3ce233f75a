data "jumpgate_user" "jane" {
  username = "jane"
}

output "jane_is_admin" {
  value = data.jumpgate_user.jane.admin
}
