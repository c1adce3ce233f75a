package upgrade_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/agent/internal/conn/conntest"
	"github.com/jumpgate/jumpgate/agent/internal/upgrade"
	"github.com/jumpgate/jumpgate/api/agentproto"
)

func TestApply_OverBuildStream(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the stand-in build is a shell script")
	}
	a := conntest.New(t)
	_, key, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	id := a.Register(key.Public().(ed25519.PublicKey))
	build := []byte("#!/bin/sh\necho 3.1.4\n")
	a.SetBuild("linux-arm64", build)
	u := a.SignUpgrade("linux-arm64", "3.1.4", build)

	s, err := a.Dialer().Connect(t.Context(), key, agentproto.Auth{Kind: agentproto.KindJumpClient, ID: id, Intent: agentproto.IntentRun})
	require.NoError(t, err)
	defer s.Close()
	dir := t.TempDir()
	exe := filepath.Join(dir, "jumpgate-agent")
	require.NoError(t, os.WriteFile(exe, []byte("old"), 0o700))

	require.NoError(t, upgrade.Apply(t.Context(), s, dir, exe, *u, a.SigningKey.Public().(ed25519.PublicKey)))
	got, err := os.ReadFile(exe)
	require.NoError(t, err)
	assert.Equal(t, build, got)
}
