# By numeric id:
terraform import jumpgate_api_token.ci 7
# or by name (when it is unique):
terraform import jumpgate_api_token.ci "name=GitLab CI"
# The appliance shows a token's secret only when it is created: after an
# import, token is null. Replace the resource for a new secret:
#   terraform apply -replace=jumpgate_api_token.ci
