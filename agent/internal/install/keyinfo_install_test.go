package install

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/agent/internal/install/installtest"
	"github.com/jumpgate/jumpgate/agent/internal/state"
	"github.com/jumpgate/jumpgate/api/keyinfo"
)

func TestCheckKeyInfo(t *testing.T) {
	app := installtest.NewAppliance(t, "https://appliance.test:8443")
	now := time.Now()
	tests := []struct {
		name    string
		ki      string
		wantErr error
		wantMsg string
	}{
		{name: "jump client", ki: app.KeyInfo(t, keyinfo.Payload{})},
		{name: "jumpoint", ki: "\n " + app.KeyInfo(t, keyinfo.Payload{Kind: keyinfo.KindJumpoint, InstallerID: "12"}) + " \n"},
		{name: "empty", ki: " \n", wantMsg: "the key info is empty"},
		{name: "malformed", ki: "jgk1.x", wantErr: keyinfo.ErrMalformed, wantMsg: "; copy the key info again"},
		{name: "expired", ki: app.KeyInfo(t, keyinfo.Payload{Expires: time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC).Unix()}),
			wantErr: keyinfo.ErrExpired, wantMsg: "key info has expired (at 2020-01-02T03:04:05Z); get new key info from the appliance"},
		{name: "bad installer id", ki: app.KeyInfo(t, keyinfo.Payload{InstallerID: "../etc"}), wantMsg: `the key info's installer id "../etc" is not valid`},
		{name: "plain http", ki: app.KeyInfo(t, keyinfo.Payload{URL: "http://appliance.test"}), wantMsg: `the key info's appliance URL "http://appliance.test" is not an https:// URL`},
		{name: "no pin", ki: app.KeyInfo(t, keyinfo.Payload{CAPin: "md5:00"}), wantMsg: `the key info's CA pin "md5:00" is not a sha256: pin`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key, err := CheckKeyInfo(tt.ki, now)
			if tt.wantErr == nil && tt.wantMsg == "" {
				require.NoError(t, err)
				assert.Equal(t, app.URL, key.Payload.URL)
				assert.NotContains(t, key.KeyInfo, " ", "trimmed")
				return
			}
			require.Error(t, err)
			if tt.wantErr != nil {
				assert.ErrorIs(t, err, tt.wantErr)
			}
			assert.Contains(t, err.Error(), tt.wantMsg)
		})
	}
}

func TestFromKeyInfo(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("file modes")
	}
	app := installtest.NewAppliance(t, "https://appliance.test:8443")
	ki := app.KeyInfo(t, keyinfo.Payload{Kind: keyinfo.KindJumpoint, InstallerID: "7"})
	refused := errors.New("the appliance refused the enrollment: no")

	t.Run("enrolled", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "state")
		res, err := FromKeyInfo(context.Background(), KeyInfoConfig{Dir: dir, KeyInfo: ki, Enroll: func(_ context.Context, d string) error {
			st, err := state.Load(d)
			require.NoError(t, err)
			assert.Equal(t, ki, st.KeyInfo, "enrollment reads the key info from agent.json")
			st.ID, st.KeyInfo = 42, ""
			return st.Save(d)
		}})
		require.NoError(t, err)
		assert.True(t, res.Enrolled)
		assert.Equal(t, int64(42), res.State.ID)
		in := res.State.Install
		assert.Equal(t, state.Install{Dir: dir, Scope: ScopeUser, Startup: StartupNone, Headless: true,
			Platform: Platform(runtime.GOOS, runtime.GOARCH), Container: true}, in)
		assert.Empty(t, res.State.SigningKey, "no installer, no signing key")
		fi, err := os.Stat(dir)
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o700), fi.Mode().Perm())
		entries, err := os.ReadDir(dir)
		require.NoError(t, err)
		require.Len(t, entries, 1)
		assert.Equal(t, state.File, entries[0].Name())
	})

	t.Run("refused enrollment leaves nothing", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "state")
		_, err := FromKeyInfo(context.Background(), KeyInfoConfig{Dir: dir, KeyInfo: ki, Enroll: func(context.Context, string) error { return refused }})
		assert.ErrorIs(t, err, refused)
		_, serr := os.Lstat(dir)
		assert.True(t, os.IsNotExist(serr), "the dir it made is removed")

		volume := t.TempDir()
		require.NoError(t, os.WriteFile(filepath.Join(volume, "keep"), []byte("x"), 0o600))
		_, err = FromKeyInfo(context.Background(), KeyInfoConfig{Dir: volume, KeyInfo: ki, Enroll: func(context.Context, string) error { return refused }})
		assert.ErrorIs(t, err, refused)
		entries, err := os.ReadDir(volume)
		require.NoError(t, err)
		require.Len(t, entries, 1, "an existing dir keeps what it held, and only that")
		assert.Equal(t, "keep", entries[0].Name())
	})

	t.Run("an installed agent is not overwritten", func(t *testing.T) {
		dir := t.TempDir()
		require.NoError(t, os.WriteFile(filepath.Join(dir, state.File), []byte("{}"), 0o600))
		_, err := FromKeyInfo(context.Background(), KeyInfoConfig{Dir: dir, KeyInfo: ki, Enroll: func(context.Context, string) error {
			t.Fatal("must not enroll")
			return nil
		}})
		assert.ErrorContains(t, err, "already holds an installed agent (agent.json)")
		b, err := os.ReadFile(filepath.Join(dir, state.File))
		require.NoError(t, err)
		assert.Equal(t, "{}", string(b))
	})
}
