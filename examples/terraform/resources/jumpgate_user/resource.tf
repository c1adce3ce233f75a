# A person who signs in with a password. With Terraform 1.11 or later, the
# write-only password_wo keeps the password out of the plan and the state:
# change password_wo_version to send a new one.
resource "jumpgate_user" "jane" {
  username            = "jane"
  display_name        = "Jane Doe"
  email               = "jane@example.com"
  password_wo         = var.jane_password
  password_wo_version = 1
}

variable "jane_password" {
  type      = string
  sensitive = true
  ephemeral = true
}

# A robot for automation: no password, only API tokens.
resource "jumpgate_user" "ci" {
  username     = "ci-bot"
  display_name = "CI pipeline"
}

# An administrator whose password is kept (sensitive) in the state.
resource "jumpgate_user" "ops_admin" {
  username = "ops-admin"
  admin    = true
  password = var.ops_admin_password
}

variable "ops_admin_password" {
  type      = string
  sensitive = true
}

# Approves jumps of the business-hours Jump Policy.
resource "jumpgate_user" "oncall_lead" {
  username     = "oncall-lead"
  display_name = "On-call lead"
  email        = "oncall-lead@example.com"
}
