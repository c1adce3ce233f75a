# By numeric id:
terraform import jumpgate_session_policy.servers 5
# or by code name:
terraform import jumpgate_session_policy.servers code_name=servers
