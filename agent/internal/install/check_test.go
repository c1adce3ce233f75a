package install

import (
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/agent/internal/install/installtest"
	"github.com/jumpgate/jumpgate/api/agentproto"
	"github.com/jumpgate/jumpgate/api/keyinfo"
)

// tamper flips a byte of the JSON payload of key info ki, keeping it
// valid JSON: the signature no longer holds.
func tamper(t *testing.T, ki string) string {
	t.Helper()
	parts := strings.Split(strings.TrimPrefix(ki, keyinfo.Prefix), ".")
	raw, err := base64.RawURLEncoding.DecodeString(parts[0])
	require.NoError(t, err)
	i := strings.Index(string(raw), `"inst1"`)
	require.GreaterOrEqual(t, i, 0)
	raw[i+len(`"inst`)] ^= 0x01 // inst1 → inst0
	return keyinfo.Prefix + base64.RawURLEncoding.EncodeToString(raw) + "." + parts[1]
}

func TestCheck(t *testing.T) {
	app := installtest.NewAppliance(t, "https://appliance.test:8443")
	other := installtest.NewAppliance(t, "https://appliance.test:8443")
	now := time.Now()
	good := app.KeyInfo(t, keyinfo.Payload{Overrides: []string{"name", "tag"}})
	expired := app.KeyInfo(t, keyinfo.Payload{Expires: now.Add(-time.Minute).Unix()})
	forged := other.KeyInfo(t, keyinfo.Payload{CAPin: app.CAPin})
	jumpoint := app.KeyInfo(t, keyinfo.Payload{Kind: keyinfo.KindJumpoint})
	otherPin := app.KeyInfo(t, keyinfo.Payload{CAPin: other.CAPin})
	badID := app.KeyInfo(t, keyinfo.Payload{InstallerID: "../etc"})
	jc := keyinfo.KindJumpClient

	tests := []struct {
		name     string
		manifest *agentproto.Manifest
		args     []string
		wantErr  error
		wantMsg  []string
	}{
		{name: "built-in key", manifest: app.Manifest(jc, good)},
		{name: "built-in key, same on the command line", manifest: app.Manifest(jc, good), args: []string{"KEY_INFO=" + good}},
		{name: "generic with --key-info", manifest: app.Manifest(jc, ""), args: []string{"--key-info", good}},
		{name: "allowed overrides", manifest: app.Manifest(jc, good), args: []string{"--jc-name", "n", "JC_TAG=t"}},
		{name: "generic without key", manifest: app.Manifest(jc, ""), wantErr: ErrGeneric, wantMsg: []string{"this is a generic installer: pass --key-info"}},
		{name: "other key on the command line", manifest: app.Manifest(jc, good), args: []string{"--key-info", forged}, wantErr: ErrKeyMismatch},
		{name: "forged", manifest: app.Manifest(jc, ""), args: []string{"--key-info", forged}, wantErr: ErrForged, wantMsg: []string{"not issued by this appliance or was altered"}},
		{name: "tampered", manifest: app.Manifest(jc, ""), args: []string{"--key-info", tamper(t, good)}, wantErr: ErrForged},
		{name: "truncated", manifest: app.Manifest(jc, ""), args: []string{"--key-info", good[:len(good)/2]}, wantErr: keyinfo.ErrMalformed, wantMsg: []string{"altered or copied incompletely"}},
		{name: "tampered built-in key", manifest: app.Manifest(jc, tamper(t, good)), wantErr: ErrForged},
		{name: "expired", manifest: app.Manifest(jc, expired), wantErr: ErrExpired, wantMsg: []string{"installer expired at " + time.Unix(now.Add(-time.Minute).Unix(), 0).UTC().Format(time.RFC3339) + "; create a new installer"}},
		{name: "kind mismatch", manifest: app.Manifest(jc, jumpoint), wantMsg: []string{"the key info is for a Jumpoint, but this is a Jump Client installer"}},
		{name: "CA pin mismatch", manifest: app.Manifest(jc, otherPin), wantMsg: []string{"does not match the key info's CA pin"}},
		{name: "unsafe installer id", manifest: app.Manifest(jc, badID), wantMsg: []string{`installer id "../etc" is not valid`}},
		{
			name: "disallowed overrides are all named", manifest: app.Manifest(jc, good),
			args:    []string{"--jc-name", "n", "--jc-tag", "t", "JC_COMMENTS=c", "--jc-ephemeral"},
			wantMsg: []string{"--jc-comments (JC_COMMENTS) is not allowed by this installer: allow_override_comments is false", "--jc-ephemeral (JC_EPHEMERAL) is not allowed by this installer: allow_override_max_offline_minutes is false"},
		},
		{
			name: "a jumpoint takes no overrides", manifest: app.Manifest(keyinfo.KindJumpoint, jumpoint),
			args:    []string{"--jc-tag", "t"},
			wantMsg: []string{"--jc-tag (JC_TAG) cannot be used with a Jumpoint installer"},
		},
		{name: "a jumpoint without overrides", manifest: app.Manifest(keyinfo.KindJumpoint, jumpoint)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := ParseArgs("linux", tt.args)
			require.NoError(t, err)
			key, err := Check(tt.manifest, o, now)
			if tt.wantErr == nil && tt.wantMsg == nil {
				require.NoError(t, err)
				assert.NotEmpty(t, key.KeyInfo)
				assert.Equal(t, app.URL, key.Payload.URL)
				return
			}
			require.Error(t, err)
			if tt.wantErr != nil {
				assert.True(t, errors.Is(err, tt.wantErr), "%v is not %v", err, tt.wantErr)
			}
			for _, m := range tt.wantMsg {
				assert.Contains(t, err.Error(), m)
			}
			assert.NotContains(t, err.Error(), "--jc-name", "an allowed override is not named")
		})
	}
}

func TestReadManifest(t *testing.T) {
	app := installtest.NewAppliance(t, "https://a.test")
	dir := t.TempDir()
	build := filepath.Join(dir, "build")
	body := []byte("#!/bin/sh\necho not really an agent\n")
	require.NoError(t, os.WriteFile(build, body, 0o755))

	_, _, err := ReadManifest(build)
	assert.ErrorIs(t, err, ErrNotInstaller)
	assert.False(t, HasManifest(build))

	inst := filepath.Join(dir, "inst")
	m := app.Manifest(keyinfo.KindJumpClient, "")
	installtest.WriteInstaller(t, build, m, inst)
	assert.True(t, HasManifest(inst))
	got, n, err := ReadManifest(inst)
	require.NoError(t, err)
	assert.Equal(t, int64(len(body)), n)
	assert.Equal(t, m, got)

	dst := filepath.Join(dir, "copy")
	require.NoError(t, copyBuild(inst, n, dst, 0o700))
	b, err := os.ReadFile(dst)
	require.NoError(t, err)
	assert.Equal(t, body, b)
	assert.Error(t, copyBuild(inst, n, dst, 0o700), "an existing file is never overwritten")
}
