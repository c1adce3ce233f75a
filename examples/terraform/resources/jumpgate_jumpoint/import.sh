# By numeric id:
terraform import jumpgate_jumpoint.dc 3
# or by code name:
terraform import jumpgate_jumpoint.dc code_name=dc
