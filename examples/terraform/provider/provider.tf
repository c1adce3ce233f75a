terraform {
  required_providers {
    jumpgate = {
      source = "jumpgate/jumpgate"
    }
  }
}

# url, token and ca_cert_pem fall back to JUMPGATE_URL, JUMPGATE_TOKEN and
# JUMPGATE_CA_CERT (a path to the appliance's ca.pem, or the PEM itself).
provider "jumpgate" {
  url         = "https://jumpgate.example.com:8443"
  token       = var.jumpgate_token
  ca_cert_pem = file("${path.module}/ca.pem")
}

variable "jumpgate_token" {
  type      = string
  sensitive = true
}
