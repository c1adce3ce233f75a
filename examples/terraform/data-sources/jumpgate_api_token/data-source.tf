# A token's metadata; its secret is never readable.
data "jumpgate_api_token" "ci" {
  name = "GitLab CI"
}

output "ci_token_last_used_at" {
  value = data.jumpgate_api_token.ci.last_used_at
}
