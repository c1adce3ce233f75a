# A complete small Jumpgate setup: a Jump Group with its policies, a Jumpoint
# into a "remote" network, a Jump Client installer and a Protocol Tunnel Jump
# through the Jumpoint, and a representative who may start sessions on the
# group's items. `make demo` applies it, installs a Jump Client and a Jumpoint
# node from the results, and uses both; README.md here walks through it by hand.

terraform {
  required_version = ">= 1.5"
  required_providers {
    jumpgate = {
      source = "jumpgate/jumpgate"
    }
  }
}

provider "jumpgate" {
  url         = var.jumpgate_url
  token       = var.jumpgate_token
  ca_cert_pem = var.jumpgate_ca_cert_file == null ? null : file(var.jumpgate_ca_cert_file)
}

locals {
  days = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
}

# The group that owns the Jump Items below; its members come from group policies.
resource "jumpgate_jump_group" "lab" {
  name      = "Quickstart lab"
  code_name = "${var.name_prefix}-lab"
  comments  = "Declared by examples/terraform/quickstart."
}

# When and how jumps may happen. The schedule covers the whole week, so the
# example works at any time of day; narrow the windows to see refusals
# (outside_schedule) outside them.
resource "jumpgate_jump_policy" "anytime" {
  display_name       = "Quickstart: any time"
  code_name          = "${var.name_prefix}-anytime"
  description        = "Jumps allowed all week (UTC); a second representative joins the running session."
  schedule_enabled   = true
  timezone           = "UTC"
  schedule           = [for d in local.days : { day = d, start_time = "00:00", end_time = "24:00" }]
  simultaneous_jumps = "join"
}

# What a session may do: shell and commands, files, tunnels and system
# information, without asking the end user, for at most an hour.
resource "jumpgate_session_policy" "support" {
  display_name = "Quickstart: support"
  code_name    = "${var.name_prefix}-support"
  description  = "Shell, files, tunnels and system information; no prompt."
  permissions = {
    shell       = true
    file_read   = true
    file_write  = true
    tunnel      = true
    system_info = true
  }
  prompt_customer      = "never"
  max_session_minutes  = 60
  idle_timeout_minutes = 15
}

# A Jumpoint in the "remote" network; its node is installed from its
# installer (outputs.tf: jumpoint_download_url).
resource "jumpgate_jumpoint" "lab" {
  name                    = "Quickstart lab network"
  code_name               = "${var.name_prefix}-lab-net"
  platform                = var.platform
  protocol_tunnel_enabled = true
  comments                = "Install its node where it can reach ${var.target_host}:${var.target_port}."
}

# The Mass Deployment Wizard record: Jump Clients installed from it join the
# group under the policies above.
resource "jumpgate_jump_client_installer" "lab" {
  jump_group_id                = jumpgate_jump_group.lab.id
  jump_policy_id               = jumpgate_jump_policy.anytime.id
  attended_session_policy_id   = jumpgate_session_policy.support.id
  unattended_session_policy_id = jumpgate_session_policy.support.id
  tag                          = var.name_prefix
  comments                     = "Installed from the quickstart installer."
  valid_duration               = 1440
  allow_override_name          = true
}

# A TCP service in the remote network, reached through the Jumpoint with
# `jumpgate tunnel tunnel:<id>`.
resource "jumpgate_protocol_tunnel_jump" "web" {
  name          = "${var.name_prefix}-web"
  jumpoint_id   = jumpgate_jumpoint.lab.id
  hostname      = var.target_host
  jump_group_id = jumpgate_jump_group.lab.id
  tunnel_definitions = [
    { local_port = var.local_port, remote_port = var.target_port },
  ]
  jump_policy_id    = jumpgate_jump_policy.anytime.id
  session_policy_id = jumpgate_session_policy.support.id
  tag               = var.name_prefix
}

# A representative, and a group policy that lets them start sessions on the
# group's items. Set create_representative = false to leave both out.
resource "jumpgate_user" "rep" {
  count        = var.create_representative ? 1 : 0
  username     = "${var.name_prefix}-rep"
  display_name = "Quickstart representative"
}

resource "jumpgate_group_policy" "reps" {
  count       = var.create_representative ? 1 : 0
  name        = "${var.name_prefix} representatives"
  description = "May start sessions on the Quickstart lab's items."
  members     = [jumpgate_user.rep[0].id]
  jump_groups = [
    { jump_group_id = jumpgate_jump_group.lab.id, role = "start" },
  ]
}
