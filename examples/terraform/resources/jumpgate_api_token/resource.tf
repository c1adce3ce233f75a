# A token for the CI robot, valid until the end of 2030.
resource "jumpgate_api_token" "ci" {
  name       = "GitLab CI"
  user_id    = jumpgate_user.ci.id
  expires_at = "2030-12-31T23:59:59Z"
}

# The secret is in the state (sensitive) and can be handed on, e.g. to a
# CI variable or a secret store.
output "ci_token" {
  value     = jumpgate_api_token.ci.token
  sensitive = true
}
