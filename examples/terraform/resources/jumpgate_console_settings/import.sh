# There is one set of console settings: any id imports it.
terraform import jumpgate_console_settings.this console_settings
