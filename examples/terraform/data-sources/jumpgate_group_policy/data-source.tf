data "jumpgate_group_policy" "dba" {
  name = "Database administrators"
}

output "dba_member_ids" {
  value = data.jumpgate_group_policy.dba.members
}
