# By numeric id:
terraform import jumpgate_jump_group.ops 12
# or by code name:
terraform import jumpgate_jump_group.ops code_name=ops
