# There is one set of settings: any id imports it.
terraform import jumpgate_jump_client_settings.this jump_client_settings
