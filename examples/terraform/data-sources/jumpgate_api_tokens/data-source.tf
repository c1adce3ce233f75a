# The tokens of one user.
data "jumpgate_api_tokens" "ci" {
  user_id = data.jumpgate_user.ci.id
}

data "jumpgate_user" "ci" {
  username = "ci-bot"
}

output "ci_token_prefixes" {
  value = [for t in data.jumpgate_api_tokens.ci.items : t.prefix]
}
