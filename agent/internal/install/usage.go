package install

// Usage is the help text of the install command (--help).
const Usage = `Install this Jump Client (or Jumpoint) on this machine.

Usage:
  jumpgate-agent install [flags] [PROPERTY=value ...]
  ./jumpgate-jc-<installer-id>-<platform>.bin [flags]             (Linux, macOS)
  jumpgate-jc-<installer-id>-<platform>.exe [PROPERTY=value ...]  (Windows)

Flags:
  --scope system|user          system (default) serves every user and needs root;
                               user serves only the user who installs
  --startup systemd|xdg|none   systemd (default for system scope) creates a service;
                               xdg (default for user scope) starts the agent at
                               graphical login; none leaves starting to you
                               ("<dir>/init-script start"). macOS: launchd|none;
                               Windows: task|none
  --headless                   nothing that needs a graphical session
  --install-dir DIR            a new directory to install into; it must not exist
                               and its parent must be writable
  --key-info KEY               the key info a generic installer needs
  --online-install             fail unless the appliance can be reached now (it is
                               asked whenever it can be: a refusal always fails)
  --session-user USER          run sessions as USER (--scope system --headless only)
  --end-users USER[,USER…]     only these users (names or uids) may answer consent
                               prompts and control sessions here, wherever they
                               log in from (--scope system only; default: the
                               user at this machine's screen and keyboard)
  --proxy URL                  connect through this proxy (http://, https://,
                               socks5://) or "direct"
  --help                       show this help

Overrides (each only if the installer allows overriding the field):
  --jc-name NAME
  --jc-jump-group user:<username>|jumpgroup:<code-name>
  --jc-public-site-address HOST
  --jc-session-policy-present CODE-NAME
  --jc-session-policy-not-present CODE-NAME
  --jc-support-button-profile CODE-NAME
  --jc-support-button-direct-queue team:<code-name>
  --jc-jump-policy CODE-NAME
  --jc-tag TAG
  --jc-comments TEXT
  --jc-max-offline-minutes N   at least 5
  --jc-ephemeral               the same as --jc-max-offline-minutes 5

Properties (Windows style; names in any case, usable on every platform):
  KEY_INFO=  INSTALLDIR=  PROXY=  END_USERS=  JC_NAME=  JC_JUMP_GROUP=  JC_PUBLIC_SITE_ADDRESS=
  JC_SESSION_POLICY_PRESENT=  JC_SESSION_POLICY_NOT_PRESENT=  JC_SUPPORT_BUTTON_PROFILE=
  JC_SUPPORT_BUTTON_DIRECT_QUEUE=  JC_JUMP_POLICY=  JC_TAG=  JC_COMMENTS=
  JC_MAX_OFFLINE_MINUTES=  JC_EPHEMERAL=1  ONLINE_INSTALL=1
  START_SERVICES=""            set up the startup but do not start the agent now

Exit status: 0 installed, 1 the install failed (nothing is left behind),
2 the command line is wrong.
`
