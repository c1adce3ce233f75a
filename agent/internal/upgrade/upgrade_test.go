package upgrade

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/api/agentproto"
)

// script is a stand-in agent build: `<file> version` prints v.
func script(v string) []byte {
	return []byte("#!/bin/sh\nif [ \"$1\" = version ]; then echo '" + v + "'; fi\n")
}

func offer(key ed25519.PrivateKey, version string, b []byte) agentproto.Upgrade {
	sum := sha256.Sum256(b)
	u := agentproto.Upgrade{Version: version, Platform: "linux-amd64", SHA256: hex.EncodeToString(sum[:]), Size: int64(len(b))}
	u.Signature = ed25519.Sign(key, agentproto.BuildMessage(u.Platform, u.Version, u.SHA256, u.Size))
	return u
}

func source(b []byte) func() (io.ReadCloser, error) {
	return func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
}

func TestApply(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the stand-in build is a shell script")
	}
	pub, key, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	_, otherKey, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	good := script("2.0.0")

	tests := []struct {
		name    string
		offer   func() agentproto.Upgrade
		src     func() (io.ReadCloser, error)
		wantErr string
	}{
		{name: "valid build is installed", offer: func() agentproto.Upgrade { return offer(key, "2.0.0", good) }, src: source(good)},
		{name: "unsigned offer", offer: func() agentproto.Upgrade { return offer(otherKey, "2.0.0", good) }, src: source(good), wantErr: "not signed by the appliance's signing key"},
		{name: "signature over other fields", offer: func() agentproto.Upgrade { u := offer(key, "2.0.0", good); u.Version = "2.0.1"; return u }, src: source(good), wantErr: "not signed"},
		{name: "short download", offer: func() agentproto.Upgrade { return offer(key, "2.0.0", good) }, src: source(good[:10]), wantErr: "download ended after 10 of"},
		{name: "no build", offer: func() agentproto.Upgrade { return offer(key, "2.0.0", good) }, src: source(nil), wantErr: "the appliance has no linux-amd64 build"},
		{name: "hash mismatch", offer: func() agentproto.Upgrade { return offer(key, "2.0.0", good) }, src: source(script("2.0.X")), wantErr: "SHA-256"},
		{name: "reports another version", offer: func() agentproto.Upgrade { return offer(key, "2.0.0", script("1.9.0")) }, src: source(script("1.9.0")), wantErr: `reports version "1.9.0"`},
		{name: "does not run here", offer: func() agentproto.Upgrade { return offer(key, "2.0.0", []byte("\x7fELF garbage")) }, src: source([]byte("\x7fELF garbage")), wantErr: "does not run on this host"},
		{name: "open fails", offer: func() agentproto.Upgrade { return offer(key, "2.0.0", good) }, src: func() (io.ReadCloser, error) { return nil, errors.New("stream refused") }, wantErr: "stream refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			exe := filepath.Join(dir, "jumpgate-agent")
			require.NoError(t, os.WriteFile(exe, script("1.0.0"), 0o755))

			err := apply(t.Context(), tt.src, dir, exe, tt.offer(), pub)

			got, rerr := os.ReadFile(exe)
			require.NoError(t, rerr)
			_, terr := os.Stat(filepath.Join(dir, TempName()))
			assert.True(t, os.IsNotExist(terr), "the temp file is gone either way")
			if tt.wantErr != "" {
				assert.ErrorContains(t, err, tt.wantErr)
				assert.Equal(t, script("1.0.0"), got, "the old agent stays")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, good, got)
			fi, err := os.Stat(exe)
			require.NoError(t, err)
			assert.Equal(t, os.FileMode(0o755), fi.Mode().Perm(), "the installed binary's mode is kept")
		})
	}
}

func TestApply_RefusesBadOffers(t *testing.T) {
	pub, key, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	sign := func(u agentproto.Upgrade) agentproto.Upgrade {
		u.Signature = ed25519.Sign(key, agentproto.BuildMessage(u.Platform, u.Version, u.SHA256, u.Size))
		return u
	}
	opened := false
	src := func() (io.ReadCloser, error) { opened = true; return nil, errors.New("unreachable") }
	tests := []struct {
		name string
		u    agentproto.Upgrade
		want string
	}{
		{name: "zero size", u: sign(agentproto.Upgrade{Version: "2", SHA256: hex.EncodeToString(make([]byte, 32))}), want: "size 0 is out of range"},
		{name: "huge", u: sign(agentproto.Upgrade{Version: "2", SHA256: hex.EncodeToString(make([]byte, 32)), Size: MaxBuildSize + 1}), want: "out of range"},
		{name: "bad hash", u: sign(agentproto.Upgrade{Version: "2", SHA256: "abc", Size: 10}), want: "is not a SHA-256"},
		{name: "no key", u: agentproto.Upgrade{Version: "2", Size: 10}, want: "not signed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := pub
			if tt.name == "no key" {
				k = nil
			}
			err := apply(t.Context(), src, t.TempDir(), "/nonexistent", tt.u, k)
			assert.ErrorContains(t, err, tt.want)
			assert.False(t, opened, "nothing is downloaded for a bad offer")
		})
	}
}
