# The key info of an installer with store_key_info = false: read during plan
# and apply, never written to the plan or the state.
ephemeral "jumpgate_jump_client_installer_key_info" "laptops" {
  id = jumpgate_jump_client_installer.laptops.id
}

# Hand it to something that accepts ephemeral values, for example a
# write-only attribute (Terraform 1.11+) of a secret store.
resource "vault_kv_secret_v2" "laptops_key_info" {
  mount = "secret"
  name  = "jumpgate/laptops-key-info"
  data_json_wo = jsonencode({
    key_info   = ephemeral.jumpgate_jump_client_installer_key_info.laptops.key_info
    expires_at = ephemeral.jumpgate_jump_client_installer_key_info.laptops.expires_at
  })
  # Bump with every rotation of the installer's key.
  data_json_wo_version = 1
}
