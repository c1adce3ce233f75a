# By numeric id:
terraform import jumpgate_jump_policy.business_hours 3
# or by code name:
terraform import jumpgate_jump_policy.business_hours code_name=business-hours
