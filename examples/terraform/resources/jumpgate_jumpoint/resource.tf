# A jumpoint in the datacenter that Protocol Tunnel Jumps go through.
resource "jumpgate_jumpoint" "dc" {
  name                    = "Datacenter"
  code_name               = "dc"
  protocol_tunnel_enabled = true
}

# A clustered jumpoint on Windows that is also a Jump Zone Proxy for the
# Jump Clients of a branch office.
resource "jumpgate_jumpoint" "branch" {
  name      = "Branch office"
  code_name = "branch"
  platform  = "windows-amd64"
  clustered = true
  jump_zone_proxy = {
    enabled              = true
    hostname             = "jumpoint.branch.example.com"
    port                 = 8443
    allowed_client_cidrs = ["10.20.0.0/16"]
  }
}

# The command that downloads the node installer for the jumpoint's host;
# run it with JUMPGATE_TOKEN and JUMPGATE_CA_CERT set, then install the file
# within 24 hours.
output "dc_installer_command" {
  value = one([for d in jumpgate_jumpoint.dc.downloads : d.command if d.platform == jumpgate_jumpoint.dc.platform])
}
