# By numeric id:
terraform import jumpgate_group_policy.dba 3
# or by name:
terraform import jumpgate_group_policy.dba "name=Database administrators"
