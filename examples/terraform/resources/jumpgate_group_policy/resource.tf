# Members and their roles on Jump Groups, both declared here.
resource "jumpgate_group_policy" "ops" {
  name        = "Operations"
  description = "Start sessions on the operations servers"
  members     = [jumpgate_user.jane.id, jumpgate_user.ops_admin.id]
  jump_groups = [
    {
      jump_group_id  = jumpgate_jump_group.ops.id
      role           = "start"
      jump_policy_id = jumpgate_jump_policy.business_hours.id
    },
  ]
}

# Only the members are managed here: the Jump Group "db" declares this policy
# in its memberships. Declare each relation on one side only.
resource "jumpgate_group_policy" "dba" {
  name    = "Database administrators"
  members = [jumpgate_user.jane.id]
}
