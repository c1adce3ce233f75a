package dist_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/appliance/internal/downloadurl"
	"github.com/jumpgate/jumpgate/appliance/internal/installer"
)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// withoutToken drops JUMPGATE_TOKEN from an environment.
func withoutToken(env []string) []string {
	out := env[:0:0]
	for _, e := range env {
		if !strings.HasPrefix(e, "JUMPGATE_TOKEN=") {
			out = append(out, e)
		}
	}
	return out
}

// TestSignedDownload drives the signed download URLs as an attacker would:
// a genuine URL downloads without a token, once per platform and installer
// it names; a tampered signature, a moved expiry, a swapped platform or
// installer, an expired URL, a rotated key, a rotated installer, a deleted
// installer and a disabled issuer are all refused.
func TestSignedDownload(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	admin := f.s.Admin
	issue := func(t *testing.T, c *api.Client, id int64, platform string, secs int) *api.InstallerDownload {
		t.Helper()
		d, err := c.CreateDownloadURL(ctx, id, &api.DownloadURLRequest{Platform: platform, ValidSeconds: secs})
		require.NoError(t, err)
		return d
	}
	// fetch GETs a signed URL without a token and returns the status and
	// the problem detail, or the body of a download.
	fetch := func(t *testing.T, raw string) (int, string) {
		t.Helper()
		resp, body := f.get(t, "", strings.TrimPrefix(raw, f.s.URL))
		if resp.StatusCode == http.StatusOK {
			return resp.StatusCode, string(body)
		}
		var p api.Problem
		_ = json.Unmarshal(body, &p)
		return resp.StatusCode, p.Detail
	}
	// with returns u with its query parameter k set to v.
	with := func(raw, k, v string) string {
		u, err := url.Parse(raw)
		require.NoError(t, err)
		q := u.Query()
		q.Set(k, v)
		u.RawQuery = q.Encode()
		return u.String()
	}
	linux := issue(t, admin, f.installer.ID, api.PlatformLinuxAMD64, 0)

	t.Run("a genuine URL downloads without a token", func(t *testing.T) {
		require.NotNil(t, linux.ExpiresAt)
		assert.WithinDuration(t, time.Now().Add(15*time.Minute), *linux.ExpiresAt, time.Minute)
		status, body := fetch(t, linux.SignedURL)
		require.Equal(t, http.StatusOK, status, body)
		assert.Contains(t, body, "# build for "+api.PlatformLinuxAMD64)
		ev, err := admin.ListAuditEvents(ctx, &api.ListOptions{Filters: map[string]string{"action": "download", "object_type": "jump_client_installer"}})
		require.NoError(t, err)
		require.NotEmpty(t, ev.Items)
		last := ev.Items[len(ev.Items)-1]
		assert.Equal(t, "admin", last.Actor, "the download is the issuer's")
		assert.Contains(t, last.Diff, "signed_url")
	})

	t.Run("attacks", func(t *testing.T) {
		u, err := url.Parse(linux.SignedURL)
		require.NoError(t, err)
		q := u.Query()
		sig := q.Get("sig")
		flipped := []byte(sig)
		if flipped[0] == 'A' {
			flipped[0] = 'B'
		} else {
			flipped[0] = 'A'
		}
		other, err := admin.CreateJumpClientInstaller(ctx, &api.JumpClientInstaller{JumpGroupID: f.installer.JumpGroupID})
		require.NoError(t, err)
		for _, tt := range []struct {
			name string
			url  string
			want int
		}{
			{"tampered signature", with(linux.SignedURL, "sig", string(flipped)), http.StatusForbidden},
			{"no signature", with(linux.SignedURL, "sig", ""), http.StatusForbidden},
			{"expiry moved later", with(linux.SignedURL, "expires", strconv.FormatInt(time.Now().Add(48*time.Hour).Unix(), 10)), http.StatusForbidden},
			{"another issuer", with(linux.SignedURL, "user", "999"), http.StatusForbidden},
			{"another installer_id", with(linux.SignedURL, "installer_id", other.InstallerID), http.StatusForbidden},
			{"swapped platform", strings.Replace(linux.SignedURL, "/"+api.PlatformLinuxAMD64+"?", "/"+api.PlatformWindowsAMD64+"?", 1), http.StatusForbidden},
			{"swapped installer", strings.Replace(linux.SignedURL, "/jump-client-installers/"+itoa(f.installer.ID)+"/", "/jump-client-installers/"+itoa(other.ID)+"/", 1), http.StatusForbidden},
		} {
			t.Run(tt.name, func(t *testing.T) {
				require.NotEqual(t, linux.SignedURL, tt.url)
				status, detail := fetch(t, tt.url)
				assert.Equal(t, tt.want, status, detail)
			})
		}
	})

	t.Run("expired", func(t *testing.T) {
		// The shortest URL is a minute; an expired one is made by signing
		// a past expiry with the appliance's key, read from its data dir.
		urls, err := downloadurl.Open(f.s.DataDir)
		require.NoError(t, err)
		keys := &installer.KeyConfig{PublicURL: f.s.URL, URLs: urls}
		past := keys.SignedDownload(f.installer.ID, f.installer.InstallerID, api.PlatformLinuxAMD64, 1, time.Now().Add(-time.Second))
		status, detail := fetch(t, past.SignedURL)
		assert.Equal(t, http.StatusGone, status, detail)
		assert.Contains(t, detail, "expired")
	})

	t.Run("refused requests", func(t *testing.T) {
		_, err := admin.CreateDownloadURL(ctx, f.installer.ID, &api.DownloadURLRequest{Platform: "amiga"})
		assert.ErrorIs(t, err, api.ErrValidation)
		_, err = admin.CreateDownloadURL(ctx, f.installer.ID, &api.DownloadURLRequest{Platform: api.PlatformLinuxAMD64, ValidSeconds: 86401})
		assert.ErrorIs(t, err, api.ErrValidation)
		long := issue(t, admin, f.installer.ID, api.PlatformLinuxAMD64, 86400)
		assert.WithinDuration(t, time.Now().Add(24*time.Hour), *long.ExpiresAt, time.Minute)
		_, uc := f.s.NewUser(t, false)
		_, err = uc.CreateDownloadURL(ctx, f.installer.ID, &api.DownloadURLRequest{Platform: api.PlatformLinuxAMD64})
		assert.ErrorIs(t, err, api.ErrForbidden)
	})

	t.Run("the issuer disabled", func(t *testing.T) {
		u, uc := f.s.NewUser(t, true)
		d := issue(t, uc, f.installer.ID, api.PlatformLinuxAMD64, 0)
		status, _ := fetch(t, d.SignedURL)
		require.Equal(t, http.StatusOK, status)
		u.Enabled = api.Bool(false)
		u.Password = ""
		_, err := admin.UpdateUser(ctx, u.ID, u)
		require.NoError(t, err)
		status, detail := fetch(t, d.SignedURL)
		assert.Equal(t, http.StatusForbidden, status, detail)
	})

	t.Run("the installer rotated, expired or deleted", func(t *testing.T) {
		in, err := admin.CreateJumpClientInstaller(ctx, &api.JumpClientInstaller{JumpGroupID: f.installer.JumpGroupID, ValidDuration: 10})
		require.NoError(t, err)
		d := issue(t, admin, in.ID, api.PlatformMacOSARM64, 3600)
		assert.WithinDuration(t, in.ExpiresAt, *d.ExpiresAt, time.Second, "never past the installer")
		status, _ := fetch(t, d.SignedURL)
		require.Equal(t, http.StatusOK, status)
		_, err = admin.RotateInstallerKey(ctx, in.ID)
		require.NoError(t, err)
		status, detail := fetch(t, d.SignedURL)
		assert.Equal(t, http.StatusGone, status, detail)

		got, err := admin.GetJumpClientInstaller(ctx, in.ID)
		require.NoError(t, err)
		d = issue(t, admin, in.ID, api.PlatformMacOSARM64, 0)
		require.NoError(t, admin.DeleteJumpClientInstaller(ctx, in.ID, api.IfMatch(got.Version)))
		status, detail = fetch(t, d.SignedURL)
		assert.Equal(t, http.StatusGone, status, detail)
	})

	t.Run("a rotated key ends every URL", func(t *testing.T) {
		d := issue(t, admin, f.installer.ID, api.PlatformLinuxARM64, 0)
		status, _ := fetch(t, d.SignedURL)
		require.Equal(t, http.StatusOK, status)
		require.NoError(t, admin.RotateDownloadURLKey(ctx))
		status, detail := fetch(t, d.SignedURL)
		assert.Equal(t, http.StatusForbidden, status, detail)
		d = issue(t, admin, f.installer.ID, api.PlatformLinuxARM64, 0)
		status, _ = fetch(t, d.SignedURL)
		assert.Equal(t, http.StatusOK, status)
	})
}
