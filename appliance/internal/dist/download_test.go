package dist_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/agent/agenttest"
	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/api/agentproto"
	"github.com/jumpgate/jumpgate/api/keyinfo"
	"github.com/jumpgate/jumpgate/appliance/appliancetest"
	"github.com/jumpgate/jumpgate/appliance/internal/dist"
)

// fixture is an appliance with fake builds for every platform, a Jump
// Client installer and a jumpoint.
type fixture struct {
	s         *appliancetest.Server
	http      *http.Client
	builds    map[string][]byte
	installer *api.JumpClientInstaller
	jumpoint  *api.Jumpoint
}

func newFixture(t testing.TB, opts ...appliancetest.Option) *fixture {
	t.Helper()
	f := &fixture{builds: map[string][]byte{}}
	for _, p := range api.Platforms {
		f.builds[p] = []byte(fakeAgent + "# build for " + p + "\n")
	}
	if len(opts) == 0 {
		opts = []appliancetest.Option{appliancetest.WithAgentDir(writeAgentDir(t, "7.7.7", f.builds))}
	}
	f.s = appliancetest.NewServer(t, opts...)
	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(f.s.CAPEM))
	f.http = &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
	t.Cleanup(f.http.CloseIdleConnections)

	ctx := context.Background()
	g, err := f.s.Admin.CreateJumpGroup(ctx, &api.JumpGroup{Name: "Ops", CodeName: "ops"})
	require.NoError(t, err)
	f.installer, err = f.s.Admin.CreateJumpClientInstaller(ctx, &api.JumpClientInstaller{JumpGroupID: g.ID, AllowOverrideName: true})
	require.NoError(t, err)
	f.jumpoint, err = f.s.Admin.CreateJumpoint(ctx, &api.Jumpoint{Name: "DC 1", CodeName: "dc1"})
	require.NoError(t, err)
	return f
}

func (f *fixture) get(t testing.TB, token, path string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, f.s.URL+path, nil)
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := f.http.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, body
}

func (f *fixture) installerPath(platform string) string {
	return fmt.Sprintf("/api/v1/jump-client-installers/%d/download/%s", f.installer.ID, platform)
}

func (f *fixture) jumpointPath(platform string) string {
	return fmt.Sprintf("/api/v1/jumpoints/%d/download/%s", f.jumpoint.ID, platform)
}

// split checks an installer's framing and returns its manifest.
func (f *fixture) split(t testing.TB, platform string, body []byte) *agentproto.Manifest {
	t.Helper()
	build := f.builds[platform]
	payload := body
	if platform != api.PlatformWindowsAMD64 {
		require.Greater(t, len(body), dist.HeaderSize)
		header := string(body[:dist.HeaderSize])
		require.True(t, strings.HasPrefix(header, "#!/bin/sh\n"), "a .bin starts with its sh header")
		payload = body[dist.HeaderSize:]
		assert.Contains(t, header, "size="+strconv.Itoa(len(payload))+"\n")
	}
	m, size, err := agentproto.ReadTrailer(bytes.NewReader(payload), int64(len(payload)))
	require.NoError(t, err)
	require.Equal(t, int64(len(build)), size)
	assert.Equal(t, build, payload[:size], "the build is served unchanged")
	assert.Equal(t, platform, m.Platform)
	assert.Equal(t, "7.7.7", m.Version)
	assert.Equal(t, []byte(f.s.App.Material.SigningKey.Public().(ed25519.PublicKey)), m.SigningKey)
	assert.Equal(t, string(f.s.CAPEM), m.CAPEM)
	return m
}

func (f *fixture) verifyKey(t testing.TB, ki string) *keyinfo.Payload {
	t.Helper()
	p, err := keyinfo.Verify(ki, f.s.App.Material.SigningKey.Public().(ed25519.PublicKey), time.Now())
	require.NoError(t, err)
	assert.Equal(t, f.s.URL, p.URL)
	assert.Equal(t, f.s.App.Material.CAPin, p.CAPin)
	return p
}

func TestDownload_JumpClientInstaller(t *testing.T) {
	f := newFixture(t)
	for _, p := range api.Platforms {
		t.Run(p, func(t *testing.T) {
			resp, body := f.get(t, f.s.AdminToken, f.installerPath(p))
			require.Equal(t, http.StatusOK, resp.StatusCode, "%s", body)
			name := installerName("jumpgate-jc-"+f.installer.InstallerID+"-"+p, p)
			assert.Equal(t, `attachment; filename=`+name, resp.Header.Get("Content-Disposition"))
			assert.Equal(t, "application/octet-stream", resp.Header.Get("Content-Type"))
			assert.Equal(t, strconv.Itoa(len(body)), resp.Header.Get("Content-Length"))
			assert.Equal(t, "no-store", resp.Header.Get("Cache-Control"))

			m := f.split(t, p, body)
			assert.Equal(t, agentproto.KindJumpClient, m.Kind)
			assert.Equal(t, name, m.FileName)
			ki := f.verifyKey(t, m.KeyInfo)
			assert.Equal(t, keyinfo.KindJumpClient, ki.Kind)
			assert.Equal(t, f.installer.InstallerID, ki.InstallerID)
			assert.Equal(t, []string{"name"}, ki.Overrides)
			assert.Equal(t, f.installer.ExpiresAt.Unix(), ki.Expires)
		})
	}

	events, err := f.s.Admin.ListAuditEvents(context.Background(), &api.ListOptions{Filters: map[string]string{"action": "download"}})
	require.NoError(t, err)
	require.Len(t, events.Items, len(api.Platforms))
	ev := events.Items[0]
	assert.Equal(t, "jump_client_installer", ev.ObjectType)
	assert.Equal(t, f.installer.ID, ev.ObjectID)
	assert.Equal(t, f.installer.InstallerID, ev.ObjectName)
	assert.Equal(t, "admin", ev.Actor)
	assert.Equal(t, api.PlatformLinuxAMD64, ev.Diff["platform"].New)
}

func TestDownload_GenericInstallerHasNoKeyInfo(t *testing.T) {
	f := newFixture(t)
	for _, p := range []string{api.PlatformMacOSARM64, api.PlatformWindowsAMD64} {
		resp, body := f.get(t, f.s.AdminToken, "/api/v1/installers/generic/"+p)
		require.Equal(t, http.StatusOK, resp.StatusCode, "%s", body)
		name := installerName("jumpgate-jc-generic-"+p, p)
		assert.Equal(t, "attachment; filename="+name, resp.Header.Get("Content-Disposition"))
		m := f.split(t, p, body)
		assert.Equal(t, agentproto.KindJumpClient, m.Kind)
		assert.Empty(t, m.KeyInfo, "a generic installer needs --key-info / KEY_INFO=")
		assert.Equal(t, name, m.FileName)
	}
}

// installerName is base plus the extension of platform's installer.
func installerName(base, platform string) string {
	if platform == api.PlatformWindowsAMD64 {
		return base + ".exe"
	}
	return base + ".bin"
}

func TestDownload_Jumpoint(t *testing.T) {
	f := newFixture(t)
	before := time.Now()
	resp, body := f.get(t, f.s.AdminToken, f.jumpointPath(api.PlatformLinuxARM64))
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", body)
	assert.Equal(t, "attachment; filename=jumpgate-jumpoint-dc1-linux-arm64.bin", resp.Header.Get("Content-Disposition"))
	m := f.split(t, api.PlatformLinuxARM64, body)
	assert.Equal(t, agentproto.KindJumpoint, m.Kind)
	ki := f.verifyKey(t, m.KeyInfo)
	assert.Equal(t, keyinfo.KindJumpoint, ki.Kind)
	assert.Equal(t, strconv.FormatInt(f.jumpoint.ID, 10), ki.InstallerID)
	assert.Empty(t, ki.Overrides)
	assert.WithinDuration(t, before.Add(dist.JumpointKeyValidity), ki.ExpiresAt(), 5*time.Second, "valid for 24 hours after the download")

	events, err := f.s.Admin.ListAuditEvents(context.Background(), &api.ListOptions{Filters: map[string]string{"action": "download", "object_type": "jumpoint"}})
	require.NoError(t, err)
	require.Len(t, events.Items, 1)
	assert.Equal(t, f.jumpoint.ID, events.Items[0].ObjectID)
	assert.Equal(t, "dc1", events.Items[0].ObjectName)
}

func TestDownload_Refusals(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	_, user := f.s.NewUser(t, false)
	userToken := tokenOf(t, user)

	disabled, err := f.s.Admin.CreateJumpoint(ctx, &api.Jumpoint{Name: "Off", CodeName: "off", Enabled: api.Bool(false)})
	require.NoError(t, err)
	g, err := f.s.Admin.CreateJumpGroup(ctx, &api.JumpGroup{Name: "Old", CodeName: "old"})
	require.NoError(t, err)
	expired, err := f.s.Admin.CreateJumpClientInstaller(ctx, &api.JumpClientInstaller{JumpGroupID: g.ID})
	require.NoError(t, err)
	past := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	require.NoError(t, f.s.App.DB.W.Exec("UPDATE jump_client_installers SET expires_at = ? WHERE id = ?", past, expired.ID).Error)

	tests := []struct {
		name   string
		token  string
		path   string
		status int
		detail string
	}{
		{"no token", "", f.installerPath(api.PlatformLinuxAMD64), http.StatusUnauthorized, ""},
		{"no token generic", "", "/api/v1/installers/generic/linux-amd64", http.StatusUnauthorized, ""},
		{"no token jumpoint", "", f.jumpointPath(api.PlatformLinuxAMD64), http.StatusUnauthorized, ""},
		{"not an admin", userToken, f.installerPath(api.PlatformLinuxAMD64), http.StatusForbidden, ""},
		{"not an admin generic", userToken, "/api/v1/installers/generic/linux-amd64", http.StatusForbidden, ""},
		{"not an admin jumpoint", userToken, f.jumpointPath(api.PlatformLinuxAMD64), http.StatusForbidden, ""},
		{"unknown platform", f.s.AdminToken, f.installerPath("linux-386"), http.StatusNotFound,
			`unknown platform "linux-386"; platforms are linux-amd64, linux-arm64, raspberry-pi, macos-amd64, macos-arm64, windows-amd64`},
		{"unknown platform generic", f.s.AdminToken, "/api/v1/installers/generic/amiga", http.StatusNotFound, `unknown platform "amiga"`},
		{"unknown installer", f.s.AdminToken, "/api/v1/jump-client-installers/999/download/linux-amd64", http.StatusNotFound, "jump client installer 999 does not exist"},
		{"unknown jumpoint", f.s.AdminToken, "/api/v1/jumpoints/999/download/linux-amd64", http.StatusNotFound, "jumpoint 999 does not exist"},
		{"expired installer", f.s.AdminToken, fmt.Sprintf("/api/v1/jump-client-installers/%d/download/linux-amd64", expired.ID), http.StatusGone,
			"installer " + expired.InstallerID + " expired at 2020-01-02T03:04:05Z; extend it by changing valid_duration"},
		{"disabled jumpoint", f.s.AdminToken, fmt.Sprintf("/api/v1/jumpoints/%d/download/linux-amd64", disabled.ID), http.StatusConflict,
			`jumpoint "off" is disabled; set enabled to true before downloading its installer`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := f.get(t, tt.token, tt.path)
			require.Equal(t, tt.status, resp.StatusCode, "%s", body)
			assert.Equal(t, "application/problem+json", resp.Header.Get("Content-Type"))
			assert.Empty(t, resp.Header.Get("Content-Disposition"))
			var p api.Problem
			require.NoError(t, json.Unmarshal(body, &p))
			assert.Contains(t, p.Detail, tt.detail)
		})
	}
}

func tokenOf(t testing.TB, c *api.Client) string {
	t.Helper()
	tok, err := c.CreateAPIToken(context.Background(), &api.APIToken{Name: "download test"})
	require.NoError(t, err)
	return tok.Token
}

func TestDownload_NoBuildIs503(t *testing.T) {
	// An appliance started without --agent-dir.
	f := newFixture(t, appliancetest.WithAgentDir(t.TempDir()))
	for _, path := range []string{f.installerPath(api.PlatformRaspberryPi), "/api/v1/installers/generic/raspberry-pi", f.jumpointPath(api.PlatformRaspberryPi)} {
		resp, body := f.get(t, f.s.AdminToken, path)
		require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode, "%s", body)
		var p api.Problem
		require.NoError(t, json.Unmarshal(body, &p))
		assert.Contains(t, p.Detail, "no agent build for raspberry-pi on this appliance: build it with make build and start the appliance with --agent-dir")
	}
}

func TestInstaller_HydratesDownloads(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	check := func(t *testing.T, in *api.JumpClientInstaller) {
		t.Helper()
		require.Len(t, in.Downloads, len(api.Platforms))
		for i, d := range in.Downloads {
			p := api.Platforms[i]
			name := installerName("jumpgate-jc-"+f.installer.InstallerID+"-"+p, p)
			url := f.s.URL + f.installerPath(p)
			assert.Equal(t, api.InstallerDownload{Platform: p, FileName: name, URL: url, SignedURL: d.SignedURL, ExpiresAt: d.ExpiresAt,
				Command: d.Command, SignedCommand: d.SignedCommand, InstallCommand: d.InstallCommand}, d)
			// An administrator's read carries a signed URL for 15 to 20
			// minutes, which the signed command uses instead of a token;
			// the command stays the same from read to read.
			assert.True(t, strings.HasPrefix(d.SignedURL, f.s.URL+"/api/v1/signed-downloads/jump-client-installers/"+itoa(in.ID)+"/"+p+"?"), d.SignedURL)
			require.NotNil(t, d.ExpiresAt)
			assert.WithinRange(t, *d.ExpiresAt, time.Now().Add(15*time.Minute-time.Second), time.Now().Add(20*time.Minute))
			assert.Contains(t, d.SignedCommand, d.SignedURL)
			assert.NotContains(t, d.SignedCommand, "JUMPGATE_TOKEN")
			assert.Contains(t, d.SignedCommand, "-o "+name)
			assert.Contains(t, d.Command, url)
			assert.Contains(t, d.Command, "JUMPGATE_TOKEN")
			assert.Contains(t, d.Command, "-o "+name)
			if p == api.PlatformWindowsAMD64 {
				assert.Equal(t, `.\`+name+` INSTALLDIR="C:\Program Files\Jumpgate\`+f.installer.InstallerID+`"`, d.InstallCommand)
			} else {
				assert.Equal(t, "sudo sh ./"+name, d.InstallCommand)
			}
		}
	}
	t.Run("create", func(t *testing.T) { check(t, f.installer) })
	t.Run("get", func(t *testing.T) {
		got, err := f.s.Admin.GetJumpClientInstaller(ctx, f.installer.ID)
		require.NoError(t, err)
		check(t, got)
	})
	t.Run("list", func(t *testing.T) {
		l, err := f.s.Admin.ListJumpClientInstallers(ctx, nil)
		require.NoError(t, err)
		require.Len(t, l.Items, 1)
		check(t, &l.Items[0])
	})
	t.Run("update keeps them and echoing them back is accepted", func(t *testing.T) {
		in := *f.installer
		in.Tag = "t"
		got, err := f.s.Admin.UpdateJumpClientInstaller(ctx, f.installer.ID, &in)
		require.NoError(t, err)
		check(t, got)
	})
}

// TestDownload_CommandWorks runs the SignedCommand of a download with sh
// and curl, without a token, then runs the installer it fetched.
func TestDownload_CommandWorks(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("no curl")
	}
	f := newFixture(t)
	d := f.installer.Downloads[0]
	dir := t.TempDir()
	cmd := exec.Command("sh", "-c", d.SignedCommand)
	cmd.Dir = dir
	// No token: the command's signed URL is the authorisation.
	cmd.Env = append(withoutToken(os.Environ()), "JUMPGATE_CA_CERT="+f.s.CAFile)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)

	run := exec.Command("sh", "./"+d.FileName, "--help")
	run.Dir = dir
	out, err = run.CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Equal(t, "[install]\n[--help]\n", string(out))
}

// TestDownload_TwoPlatformsInOneDirectory downloads several platforms of
// one installer into one directory, as a person preparing a mixed fleet
// does, and finds one file per platform, each holding its own build: the
// Jump Client installer with the copyable Commands (sh and curl), the
// generic and the Jumpoint installer under their Content-Disposition names
// (as a browser saves them).
func TestDownload_TwoPlatformsInOneDirectory(t *testing.T) {
	f := newFixture(t)
	platforms := []string{api.PlatformLinuxAMD64, api.PlatformLinuxARM64, api.PlatformWindowsAMD64}

	// want checks that dir holds exactly the named files, one per
	// platform, each with that platform's build.
	want := func(t *testing.T, dir string, names map[string]string) {
		t.Helper()
		entries, err := os.ReadDir(dir)
		require.NoError(t, err)
		var got []string
		for _, e := range entries {
			got = append(got, e.Name())
		}
		var wantNames []string
		for name := range names {
			wantNames = append(wantNames, name)
		}
		assert.ElementsMatch(t, wantNames, got, "one file per platform")
		for name, p := range names {
			body, err := os.ReadFile(filepath.Join(dir, name))
			require.NoError(t, err)
			m := f.split(t, p, body)
			assert.Equal(t, name, m.FileName)
		}
	}

	t.Run("jump client installer, with the download commands", func(t *testing.T) {
		if _, err := exec.LookPath("curl"); err != nil {
			t.Skip("no curl")
		}
		dir := t.TempDir()
		names := map[string]string{}
		for _, d := range f.installer.Downloads {
			if !slices.Contains(platforms, d.Platform) {
				continue
			}
			// Every Command is a POSIX sh line except Windows's
			// PowerShell one; run the same curl with sh's quoting.
			command := d.Command
			if d.Platform == api.PlatformWindowsAMD64 {
				command = strings.NewReplacer("curl.exe", "curl", "$env:", "$").Replace(command)
			}
			cmd := exec.Command("sh", "-c", command)
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), "JUMPGATE_CA_CERT="+f.s.CAFile, "JUMPGATE_TOKEN="+f.s.AdminToken)
			out, err := cmd.CombinedOutput()
			require.NoError(t, err, "%s: %s", command, out)
			names[d.FileName] = d.Platform
		}
		require.Len(t, names, len(platforms), "every platform has its own file name")
		want(t, dir, names)
	})

	for _, kind := range []struct {
		name string
		path func(platform string) string
	}{
		{"generic installer", func(p string) string { return "/api/v1/installers/generic/" + p }},
		{"jumpoint installer", f.jumpointPath},
	} {
		t.Run(kind.name+", saved under Content-Disposition", func(t *testing.T) {
			dir := t.TempDir()
			names := map[string]string{}
			for _, p := range platforms {
				resp, body := f.get(t, f.s.AdminToken, kind.path(p))
				require.Equal(t, http.StatusOK, resp.StatusCode, "%s", body)
				_, params, err := mime.ParseMediaType(resp.Header.Get("Content-Disposition"))
				require.NoError(t, err)
				name := params["filename"]
				require.Equal(t, name, filepath.Base(name), "a plain file name")
				require.NoError(t, os.WriteFile(filepath.Join(dir, name), body, 0o644))
				names[name] = p
			}
			require.Len(t, names, len(platforms), "every platform has its own file name")
			want(t, dir, names)
		})
	}
}

// TestDownload_RealAgentHelp downloads a .bin made from the real agent and
// runs `sh <file>.bin --help`.
func TestDownload_RealAgentHelp(t *testing.T) {
	if _, err := os.Stat("../../../agent/main.go"); err != nil {
		t.Skip("agent/main.go does not exist yet")
	}
	platform := agenttest.HostPlatform()
	if platform == "" || platform == api.PlatformWindowsAMD64 || runtime.GOOS == "windows" {
		t.Skip("no .bin for this host")
	}
	s := appliancetest.NewServer(t, appliancetest.WithAgentDir(agenttest.AgentDir(t, "0.0.1-test")))
	f := &fixture{s: s}
	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(s.CAPEM))
	f.http = &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
	resp, body := f.get(t, s.AdminToken, "/api/v1/installers/generic/"+platform)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", body)

	file := filepath.Join(t.TempDir(), "jumpgate-jc-generic-"+platform+".bin")
	require.NoError(t, os.WriteFile(file, body, 0o644))
	cmd := exec.Command("sh", file, "--help")
	cmd.Env = append(os.Environ(), "TMPDIR="+t.TempDir())
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "sh %s --help: %s", filepath.Base(file), out)
	assert.Contains(t, string(out), "--key-info", "the agent's install help lists its flags")
}

// BenchmarkDownload measures one installer download of an 8 MiB build over
// the real appliance (TLS, token check, audit write, header + build +
// trailer), read to the end; the baseline serves the same bytes as a static
// file over TLS with net/http alone, in the same run.
func BenchmarkDownload(b *testing.B) {
	build := bytes.Repeat([]byte("jumpgate"), 1<<20)
	f := &fixture{builds: map[string][]byte{api.PlatformLinuxAMD64: build}}
	dir := writeAgentDir(b, "7.7.7", f.builds)
	s := appliancetest.NewServer(b, appliancetest.WithAgentDir(dir))
	f.s = s
	g, err := s.Admin.CreateJumpGroup(context.Background(), &api.JumpGroup{Name: "Ops", CodeName: "ops"})
	require.NoError(b, err)
	f.installer, err = s.Admin.CreateJumpClientInstaller(context.Background(), &api.JumpClientInstaller{JumpGroupID: g.ID})
	require.NoError(b, err)
	pool := x509.NewCertPool()
	require.True(b, pool.AppendCertsFromPEM(s.CAPEM))
	appliance := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
	defer appliance.CloseIdleConnections()

	static := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.ServeContent(w, r, "agent", time.Time{}, bytes.NewReader(build))
	}))
	defer static.Close()

	run := func(b *testing.B, c *http.Client, url, token string) {
		b.SetBytes(int64(len(build)))
		for b.Loop() {
			req, _ := http.NewRequest(http.MethodGet, url, nil)
			if token != "" {
				req.Header.Set("Authorization", "Bearer "+token)
			}
			resp, err := c.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			n, err := io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if err != nil || resp.StatusCode != http.StatusOK || n < int64(len(build)) {
				b.Fatalf("download: status %d, %d bytes, %v", resp.StatusCode, n, err)
			}
		}
	}
	b.Run("baseline-static-file", func(b *testing.B) { run(b, static.Client(), static.URL, "") })
	b.Run("installer", func(b *testing.B) { run(b, appliance, s.URL+f.installerPath(api.PlatformLinuxAMD64), s.AdminToken) })
}
