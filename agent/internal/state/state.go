// Package state is the agent's install record: the one file (agent.json,
// mode 0600, in the install dir) that says which appliance the agent belongs
// to, how it was installed, its identity and its cached configuration.
// install writes it; run, uninstall and upgrade read and update it.
package state

import (
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/jumpgate/jumpgate/api/agentproto"
)

// File is the state file's name inside the install dir.
const File = "agent.json"

// Names of the other files of an install dir.
const (
	AgentBinary  = "jumpgate-agent" // ".exe" on Windows
	InitScript   = "init-script"
	Uninstall    = "uninstall"
	PIDFile      = "agent.pid"
	LogFile      = "agent.log"
	SystemdUnit  = "jumpgate-agent-%s.service" // %s: installer or node id
	XDGAutostart = "jumpgate-agent-%s.desktop"
)

// State is the content of agent.json.
type State struct {
	// Kind is jump_client or jumpoint.
	Kind string `json:"kind"`
	// URL is the appliance URL from the key info.
	URL string `json:"url"`
	// CAPin pins the appliance's CA ("sha256:<hex>").
	CAPin string `json:"ca_pin"`
	// SigningKey is the appliance's Ed25519 public key; agent builds offered
	// as upgrades must be signed with it.
	SigningKey []byte `json:"signing_key"`
	// InstallerID is the installer (or jumpoint) the agent came from.
	InstallerID string `json:"installer_id"`
	// KeyInfo is kept only until enrollment succeeds, then cleared.
	KeyInfo string `json:"key_info,omitempty"`
	// KeyExpires is the key info's expiry: an agent not enrolled by then
	// uninstalls itself.
	KeyExpires time.Time `json:"key_expires"`
	// Overrides are the --jc-* values, sent at enrollment.
	Overrides agentproto.Overrides `json:"overrides"`

	// PrivateKey is the agent's own Ed25519 key (seed form, 32 bytes). It is
	// made at install and never leaves this file.
	PrivateKey []byte `json:"private_key"`
	// ID is the identity given at enrollment; 0 before.
	ID int64 `json:"id,omitempty"`
	// Name is the name the appliance knows the agent by.
	Name string `json:"name,omitempty"`
	// Predecessor is the install this one replaces (found by the
	// installer), kept only until enrollment: its key signs the proof that
	// lets the appliance re-bind its identity to this install's key.
	Predecessor *Predecessor `json:"predecessor,omitempty"`

	// EnrollFailure is the last failed enrollment, kept until the agent
	// enrolls: `init-script status` reports it.
	EnrollFailure *EnrollFailure `json:"enroll_failure,omitempty"`

	// Install describes how the agent was installed.
	Install Install `json:"install"`
	// Proxy is "", "direct", or an http://, https:// or socks5:// URL
	// (user:password@ allowed) the agent connects through; "" also honours
	// HTTPS_PROXY.
	Proxy string `json:"proxy,omitempty"`
	// Config is the latest configuration from the appliance.
	Config agentproto.Config `json:"config"`
	// LastContact is the last time the appliance was reached.
	LastContact time.Time `json:"last_contact,omitempty"`
	// Version is the version that wrote the state.
	Version string `json:"version,omitempty"`
}

// Install records the choices made at install, and the files outside the
// install dir that uninstall must remove.
type Install struct {
	// Dir is the install dir (absolute).
	Dir string `json:"dir"`
	// Scope is system or user.
	Scope string `json:"scope"`
	// Startup is systemd, xdg or none on Linux; launchd or none on macOS;
	// task (a scheduled task named jumpgate-agent-<installer-id>) or none on
	// Windows.
	Startup string `json:"startup"`
	// Headless is --headless.
	Headless bool `json:"headless"`
	// SessionUser is --session-user.
	SessionUser string `json:"session_user,omitempty"`
	// EndUsers is --end-users: the users (names or uids) who may answer
	// consent prompts and control sessions at the endpoint; empty means
	// the user at the machine's active seat (package enduser).
	EndUsers []string `json:"end_users,omitempty"`
	// ExtraFiles are files outside Dir made at install (systemd unit, XDG
	// autostart entry).
	ExtraFiles []string `json:"extra_files,omitempty"`
	// SystemdUnit is the unit name when Startup is systemd.
	SystemdUnit string `json:"systemd_unit,omitempty"`
	// Platform is the platform of the installed build.
	Platform string `json:"platform"`
	// Container is set for an agent installed from key info alone (`run
	// --key-info-file`), as in a container: its binary is not in Dir but
	// in an image, so it never upgrades itself, and Dir (often a volume)
	// is emptied rather than removed when it uninstalls.
	Container bool `json:"container,omitempty"`
}

// Predecessor is an older install of the same agent on this machine that a
// new install replaces.
type Predecessor struct {
	// Kind and ID are its identity on the appliance.
	Kind string `json:"kind"`
	ID   int64  `json:"id"`
	// PrivateKey is its key (seed form).
	PrivateKey []byte `json:"private_key"`
	// Dir is its install dir, removed once the new install has taken over.
	Dir string `json:"dir"`
}

// EnrollFailure is why an agent that is not enrolled is not: its last
// enrollment attempt and what came of it.
type EnrollFailure struct {
	// At is when the attempt was made.
	At time.Time `json:"at"`
	// Refused is set when the appliance refused the enrollment (a 4xx such
	// as 409 or 403) rather than could not be reached or was failing.
	Refused bool `json:"refused,omitempty"`
	// Status is the HTTP status of the appliance's answer; 0 when there was
	// none.
	Status int `json:"status,omitempty"`
	// Reason is the appliance's message, or the network error.
	Reason string `json:"reason"`
	// NextAttempt is when the running agent tries again; zero when no agent
	// runs (an install that could not reach the appliance), which then
	// tries when it starts.
	NextAttempt time.Time `json:"next_attempt,omitempty"`
}

// Key returns the agent's private key.
func (s *State) Key() (ed25519.PrivateKey, error) {
	if len(s.PrivateKey) != ed25519.SeedSize {
		return nil, errors.New("agent.json holds no valid private key")
	}
	return ed25519.NewKeyFromSeed(s.PrivateKey), nil
}

// Enrolled reports whether the agent has an identity.
func (s *State) Enrolled() bool { return s.ID != 0 }

// Load reads dir/agent.json.
func Load(dir string) (*State, error) {
	b, err := os.ReadFile(filepath.Join(dir, File))
	if err != nil {
		return nil, fmt.Errorf("read agent state: %w", err)
	}
	var s State
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("agent state %s is corrupt: %w", filepath.Join(dir, File), err)
	}
	return &s, nil
}

// Save writes s to dir/agent.json atomically (temp file + rename), mode 0600.
func (s *State) Save(dir string) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".agent-*.json")
	if err != nil {
		return fmt.Errorf("write agent state: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("write agent state: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), filepath.Join(dir, File))
}
