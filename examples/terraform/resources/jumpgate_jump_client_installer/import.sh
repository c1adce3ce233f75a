# By numeric id:
terraform import jumpgate_jump_client_installer.servers 7
# or by the random installer id:
terraform import jumpgate_jump_client_installer.servers installer_id=3f9a0c2d41b7e865
