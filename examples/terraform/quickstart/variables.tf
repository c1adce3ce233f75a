# Where the appliance is. Each of the three falls back to an environment
# variable when left null, as the jumpgate CLI does: JUMPGATE_URL,
# JUMPGATE_TOKEN and JUMPGATE_CA_CERT (a path to the appliance's ca.pem).

variable "jumpgate_url" {
  description = "Base URL of the appliance, e.g. https://localhost:8443. Null: JUMPGATE_URL."
  type        = string
  default     = null
}

variable "jumpgate_token" {
  description = "An administrator's API token (jgt_…). Null: JUMPGATE_TOKEN."
  type        = string
  default     = null
  sensitive   = true
}

variable "jumpgate_ca_cert_file" {
  description = "Path to the PEM file of the appliance's CA (<data-dir>/ca.pem for a generated CA). Null: JUMPGATE_CA_CERT, else the system's CAs."
  type        = string
  default     = null
}

variable "name_prefix" {
  description = "Prefix of every code name and name this configuration creates, so that two copies can share one appliance."
  type        = string
  default     = "quickstart"

  validation {
    condition     = can(regex("^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$", var.name_prefix))
    error_message = "name_prefix must be 1–40 letters, digits, '_', '-' or '.', starting with a letter or digit."
  }
}

variable "platform" {
  description = "Installer platform of the outputs' download URLs and of the Jumpoint: linux-amd64, linux-arm64, raspberry-pi, macos-amd64, macos-arm64 or windows-amd64."
  type        = string
  default     = "linux-amd64"
}

variable "target_host" {
  description = "Host of the service the Protocol Tunnel Jump reaches through the Jumpoint, as the Jumpoint's host sees it."
  type        = string
  default     = "127.0.0.1"
}

variable "target_port" {
  description = "TCP port of that service (make demo serves a web page there)."
  type        = number
  default     = 8000
}

variable "local_port" {
  description = "Local port `jumpgate tunnel` listens on for the tunnel; 0 picks a free one each time."
  type        = number
  default     = 0
}

variable "create_representative" {
  description = "Create a representative, the non-administrator user <name_prefix>-rep, and a group policy that gives them the start role on the Jump Group."
  type        = bool
  default     = true
}
