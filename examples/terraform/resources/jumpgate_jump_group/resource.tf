resource "jumpgate_jump_group" "ops" {
  name      = "Operations"
  code_name = "ops"
  comments  = "Servers run by the operations team"
}

# Memberships may be declared here, or on the group policy side as
# jump_groups: choose one side per relation.
resource "jumpgate_jump_group" "db" {
  name      = "Databases"
  code_name = "db"
  memberships = [{
    group_policy_id = jumpgate_group_policy.dba.id
    role            = "start"
  }]
}
