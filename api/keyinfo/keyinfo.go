// Package keyinfo encodes, signs and verifies installer key info: the
// string that lets a generic installer (or an agent enrolling) prove which
// installer it comes from, where the appliance is, and which CA to trust.
//
// Format: "jgk1." + base64url(JSON payload) + "." + base64url(Ed25519
// signature over the first two parts). The appliance signs with its own
// Ed25519 key; verifiers hold the matching public key (built into the
// installers the appliance serves). Expiry is part of the signed payload.
package keyinfo

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Prefix starts every key info string and names its format version.
const Prefix = "jgk1."

// MaxLen bounds a key info string, so decoders never chew on huge input.
const MaxLen = 4096

// Kinds of installer a key info can belong to.
const (
	KindJumpClient = "jump_client"
	KindJumpoint   = "jumpoint"
)

// Payload is the signed content of a key info.
type Payload struct {
	// Kind is jump_client or jumpoint.
	Kind string `json:"kind"`
	// URL is the appliance's public URL.
	URL string `json:"url"`
	// CAPin is "sha256:<hex>" of the DER certificate of the CA that signs the
	// appliance's TLS certificate.
	CAPin string `json:"ca_pin"`
	// InstallerID identifies the installer (or jumpoint).
	InstallerID string `json:"installer_id"`
	// Expires is when the key stops being accepted (Unix seconds).
	Expires int64 `json:"exp"`
	// Overrides lists the fields an installation may override, by their
	// allow_override_<field> suffix, e.g. "jump_group", "name".
	Overrides []string `json:"overrides,omitempty"`
}

// ExpiresAt returns the expiry as a time.
func (p *Payload) ExpiresAt() time.Time { return time.Unix(p.Expires, 0).UTC() }

// Errors returned by Parse and Verify.
var (
	ErrMalformed = errors.New("key info is malformed")
	ErrSignature = errors.New("key info signature is invalid: it was not issued by this appliance or was altered")
	ErrExpired   = errors.New("key info has expired")
)

var enc = base64.RawURLEncoding.Strict()

// Sign returns the key info string of p signed with key.
func Sign(p Payload, key ed25519.PrivateKey) (string, error) {
	b, err := json.Marshal(p)
	if err != nil {
		return "", fmt.Errorf("encode key info: %w", err)
	}
	head := Prefix + enc.EncodeToString(b)
	sig := ed25519.Sign(key, []byte(head))
	return head + "." + enc.EncodeToString(sig), nil
}

// Parse decodes s without checking its signature or expiry; use it only to
// read the claimed appliance URL before a verification that follows.
func Parse(s string) (*Payload, []byte, string, error) {
	s = strings.TrimSpace(s)
	if len(s) > MaxLen {
		return nil, nil, "", fmt.Errorf("%w: longer than %d characters", ErrMalformed, MaxLen)
	}
	if !strings.HasPrefix(s, Prefix) {
		return nil, nil, "", fmt.Errorf("%w: it does not start with %q", ErrMalformed, Prefix)
	}
	body := strings.TrimPrefix(s, Prefix)
	payloadB64, sigB64, ok := strings.Cut(body, ".")
	if !ok || strings.Contains(sigB64, ".") {
		return nil, nil, "", fmt.Errorf("%w: want three dot-separated parts", ErrMalformed)
	}
	raw, err := enc.DecodeString(payloadB64)
	if err != nil {
		return nil, nil, "", fmt.Errorf("%w: payload is not base64url", ErrMalformed)
	}
	sig, err := enc.DecodeString(sigB64)
	if err != nil || len(sig) != ed25519.SignatureSize {
		return nil, nil, "", fmt.Errorf("%w: signature is not a base64url Ed25519 signature", ErrMalformed)
	}
	var p Payload
	if err := json.Unmarshal(raw, &p); err != nil {
		return nil, nil, "", fmt.Errorf("%w: payload is not JSON", ErrMalformed)
	}
	if p.Kind != KindJumpClient && p.Kind != KindJumpoint {
		return nil, nil, "", fmt.Errorf("%w: unknown kind %q", ErrMalformed, p.Kind)
	}
	if p.URL == "" || p.InstallerID == "" || p.Expires == 0 {
		return nil, nil, "", fmt.Errorf("%w: url, installer_id and exp are required", ErrMalformed)
	}
	return &p, sig, Prefix + payloadB64, nil
}

// Verify parses s, checks its signature against pub and its expiry against
// now, and returns the payload.
func Verify(s string, pub ed25519.PublicKey, now time.Time) (*Payload, error) {
	p, sig, head, err := Parse(s)
	if err != nil {
		return nil, err
	}
	if len(pub) != ed25519.PublicKeySize || !ed25519.Verify(pub, []byte(head), sig) {
		return nil, ErrSignature
	}
	if !now.Before(p.ExpiresAt()) {
		return nil, fmt.Errorf("%w: it expired at %s", ErrExpired, p.ExpiresAt().Format(time.RFC3339))
	}
	return p, nil
}
