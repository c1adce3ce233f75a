package agent

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/agent/internal/conn"
	"github.com/jumpgate/jumpgate/agent/internal/conn/conntest"
	"github.com/jumpgate/jumpgate/agent/internal/state"
	"github.com/jumpgate/jumpgate/agent/internal/wol"
	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/api/agentproto"
	"github.com/jumpgate/jumpgate/api/keyinfo"
)

const waitFor = 10 * time.Second

// install writes an agent.json for appliance a into a fresh install dir,
// not enrolled, with key info valid for an hour; mutate adjusts it.
func install(t *testing.T, a *conntest.Appliance, mutate func(*state.State)) (string, *state.State) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "jumpgate")
	require.NoError(t, os.MkdirAll(dir, 0o700))
	seed := make([]byte, ed25519.SeedSize)
	_, err := rand.Read(seed)
	require.NoError(t, err)
	exp := time.Now().Add(time.Hour)
	st := &state.State{
		Kind: agentproto.KindJumpClient, URL: a.URL, CAPin: a.CAPin,
		SigningKey:  a.SigningKey.Public().(ed25519.PublicKey),
		InstallerID: "inst1", KeyInfo: a.KeyInfo(t, exp), KeyExpires: exp.UTC().Truncate(time.Second),
		PrivateKey: seed, Proxy: "direct",
		Install: state.Install{Dir: dir, Scope: "system", Startup: "none", Platform: api.PlatformLinuxAMD64},
	}
	if mutate != nil {
		mutate(st)
	}
	require.NoError(t, st.Save(dir))
	return dir, st
}

// enrolled marks st enrolled with a's registry.
func enrolled(a *conntest.Appliance, cfg agentproto.Config) func(*state.State) {
	return func(st *state.State) {
		key, _ := st.Key()
		st.ID = a.Register(key.Public().(ed25519.PublicKey))
		st.KeyInfo = ""
		st.Config = cfg
		st.LastContact = time.Now().UTC()
	}
}

func testConfig(t *testing.T, dir string) Config {
	return Config{
		Dir:     dir,
		Log:     slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Exe:     filepath.Join(dir, "jumpgate-agent"),
		Backoff: conn.Backoff{Min: 20 * time.Millisecond, Max: 100 * time.Millisecond},
		restart: func(string, []string) error { return errors.New("restart not expected") },
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(bytes.TrimSpace(p)))
	return len(p), nil
}

// startRun runs Run in the background and returns a function that waits
// for its result.
func startRun(t *testing.T, ctx context.Context, cfg Config) func() error {
	t.Helper()
	errc := make(chan error, 1)
	go func() { errc <- Run(ctx, cfg) }()
	return func() error {
		t.Helper()
		select {
		case err := <-errc:
			return err
		case <-time.After(waitFor):
			t.Fatal("Run did not return")
			return nil
		}
	}
}

func nextConn(t *testing.T, a *conntest.Appliance) *conntest.AgentConn {
	t.Helper()
	select {
	case c := <-a.Conns:
		return c
	case <-time.After(waitFor):
		t.Fatal("the agent did not connect")
		return nil
	}
}

// recvType reads control messages until one of type typ.
func recvType(t *testing.T, c *conntest.AgentConn, typ string) agentproto.Control {
	t.Helper()
	for {
		m, err := c.Control.Recv()
		require.NoError(t, err)
		if m.Type == typ {
			return m
		}
	}
}

func loadState(t *testing.T, dir string) *state.State {
	t.Helper()
	st, err := state.Load(dir)
	require.NoError(t, err)
	return st
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, cond func() bool, msg string) {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal(msg)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestEnroll(t *testing.T) {
	a := conntest.New(t)
	name := "front-desk"
	dir, before := install(t, a, func(st *state.State) { st.Overrides.Name = &name })

	require.NoError(t, Enroll(t.Context(), testConfig(t, dir)))

	st := loadState(t, dir)
	assert.NotZero(t, st.ID)
	assert.Empty(t, st.KeyInfo, "key info is dropped once used")
	assert.Equal(t, "test-client", st.Config.Name)
	assert.WithinDuration(t, time.Now(), st.LastContact, time.Minute)
	reqs := a.Enrolls()
	require.Len(t, reqs, 1)
	key, err := before.Key()
	require.NoError(t, err)
	assert.Equal(t, []byte(key.Public().(ed25519.PublicKey)), reqs[0].PublicKey)
	assert.Equal(t, "front-desk", *reqs[0].Overrides.Name)
	assert.Equal(t, api.PlatformLinuxAMD64, reqs[0].Facts.Platform)
	assert.Equal(t, "service", reqs[0].Facts.InstallMode)
	assert.NotEmpty(t, reqs[0].Facts.Hostname)
	assert.Equal(t, api.Version, reqs[0].Version)

	require.NoError(t, Enroll(t.Context(), testConfig(t, dir)), "enrolling again is a no-op")
	assert.Len(t, a.Enrolls(), 1)
}

func TestEnroll_Failures(t *testing.T) {
	tests := []struct {
		name    string
		mutate  func(*state.State)
		problem *api.Problem
		wantIs  error
		wantIn  string
	}{
		{name: "expired key info", mutate: func(st *state.State) { st.KeyExpires = time.Now().Add(-time.Minute) }, wantIs: keyinfo.ErrExpired, wantIn: "download a new installer"},
		{name: "refused override", problem: &api.Problem{Status: 422, Title: "Validation Failed", Detail: "the installer does not allow overriding name"}, wantIs: api.ErrValidation, wantIn: "does not allow overriding name"},
		{name: "no key info", mutate: func(st *state.State) { st.KeyInfo = "" }, wantIn: "reinstall"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := conntest.New(t)
			if tt.problem != nil {
				a.OnEnroll(func(agentproto.EnrollRequest) (*agentproto.EnrollResponse, *api.Problem) { return nil, tt.problem })
			}
			dir, _ := install(t, a, tt.mutate)
			err := Enroll(t.Context(), testConfig(t, dir))
			require.Error(t, err)
			if tt.wantIs != nil {
				assert.ErrorIs(t, err, tt.wantIs)
			}
			assert.Contains(t, err.Error(), tt.wantIn)
			st := loadState(t, dir)
			assert.False(t, st.Enrolled())
			if tt.problem != nil {
				require.NotNil(t, st.EnrollFailure, "the refusal is recorded for init-script status")
				assert.True(t, st.EnrollFailure.Refused)
				assert.Equal(t, tt.problem.Status, st.EnrollFailure.Status)
				assert.Equal(t, tt.problem.Detail, st.EnrollFailure.Reason)
				assert.WithinDuration(t, time.Now(), st.EnrollFailure.At, time.Minute)
				assert.True(t, st.EnrollFailure.NextAttempt.IsZero(), "no agent runs to try again")
			}
		})
	}
}

// TestRun_RefusedEnrollmentBacksOff: an enrollment the appliance refuses
// (409: the host already has a client in another jump group) is not asked
// again every backoff step but after RefusalBackoff, and the refusal, with
// the appliance's message and the next attempt, is in agent.json. A new
// start tries at once; enrolling clears the record.
func TestRun_RefusedEnrollmentBacksOff(t *testing.T) {
	a := conntest.New(t)
	const detail = "this host already has jump client 1 in another jump group than installer inst2's"
	a.OnEnroll(func(agentproto.EnrollRequest) (*agentproto.EnrollResponse, *api.Problem) {
		return nil, &api.Problem{Status: http.StatusConflict, Title: "Conflict", Detail: detail}
	})
	dir, _ := install(t, a, nil)

	ctx, cancel := context.WithCancel(t.Context())
	wait := startRun(t, ctx, testConfig(t, dir))
	eventually(t, func() bool { return loadState(t, dir).EnrollFailure != nil }, "the refusal is recorded")
	start := time.Now()
	// The connection backoff (20-100 ms) would have asked ten times by now.
	time.Sleep(time.Second)
	cancel()
	require.NoError(t, wait())
	assert.Equal(t, 1, len(a.Enrolls()), "a refusal is not retried on the connection backoff")
	f := loadState(t, dir).EnrollFailure
	require.NotNil(t, f)
	assert.True(t, f.Refused)
	assert.Equal(t, http.StatusConflict, f.Status)
	assert.Equal(t, detail, f.Reason)
	assert.WithinDuration(t, start.Add(DefaultRefusalBackoff.Min), f.NextAttempt, DefaultRefusalBackoff.Max,
		"the next attempt is at least %s away", DefaultRefusalBackoff.Min)
	assert.False(t, f.NextAttempt.Before(start.Add(DefaultRefusalBackoff.Min-2*time.Second)))

	// The administrator resolved it; restarting the agent tries at once.
	a.OnEnroll(nil)
	ctx, cancel = context.WithCancel(t.Context())
	defer cancel()
	wait = startRun(t, ctx, testConfig(t, dir))
	eventually(t, func() bool { return loadState(t, dir).Enrolled() }, "enrolled after a restart")
	assert.Nil(t, loadState(t, dir).EnrollFailure, "enrolling clears the refusal")
	cancel()
	require.NoError(t, wait())
}

func TestRun_ActiveLifecycle(t *testing.T) {
	a := conntest.New(t)
	dir, _ := install(t, a, nil)
	wakes, err := net.ListenPacket("udp4", "127.0.0.1:0")
	require.NoError(t, err)
	defer wakes.Close()
	cfg := testConfig(t, dir)
	cfg.WOLAddrs = []string{wakes.LocalAddr().String()}

	wait := startRun(t, t.Context(), cfg)

	c := nextConn(t, a)
	assert.Equal(t, agentproto.IntentRun, c.Auth.Intent)
	assert.True(t, loadState(t, dir).Enrolled(), "Run enrolls first")
	m := recvType(t, c, agentproto.MsgReport)
	require.NotNil(t, m.Report)
	assert.NotNil(t, m.Report.Stats.UptimeSeconds, "the default config selects uptime")
	assert.Nil(t, m.Report.Stats.DiskTotalBytes, "disk is not selected")

	// A new configuration is saved and takes effect.
	newCfg := agentproto.Config{Name: "renamed", ConnectionType: "active", Statistics: []string{api.StatDisk}, StatisticsIntervalSeconds: 1, UninstallAfterOfflineMinutes: 60 * 24 * 30}
	require.NoError(t, c.Control.Send(agentproto.Control{Type: agentproto.MsgConfig, Config: &newCfg}))
	m = recvType(t, c, agentproto.MsgReport)
	assert.NotNil(t, m.Report.Stats.DiskTotalBytes, "the next report follows the new selection at the new interval")
	assert.Nil(t, m.Report.Stats.UptimeSeconds)
	assert.Equal(t, newCfg, loadState(t, dir).Config)

	// Wake-on-LAN through this agent.
	require.NoError(t, c.Control.Send(agentproto.Control{Type: agentproto.MsgWake, Wake: &agentproto.Wake{MAC: "00:11:22:33:44:55"}}))
	require.NoError(t, wakes.SetReadDeadline(time.Now().Add(waitFor)))
	buf := make([]byte, 256)
	n, _, err := wakes.ReadFrom(buf)
	require.NoError(t, err)
	want, err := wol.MagicPacket("00:11:22:33:44:55", "")
	require.NoError(t, err)
	assert.Equal(t, want, buf[:n])

	// Uninstall by command.
	require.NoError(t, c.Control.Send(agentproto.Control{Type: agentproto.MsgUninstall, Reason: "deleted by admin"}))
	err = wait()
	require.ErrorIs(t, err, ErrUninstalled)
	assert.Contains(t, err.Error(), "deleted by admin")
	assert.NoDirExists(t, dir)
}

func TestRun_ReconnectsAfterTheApplianceDropsIt(t *testing.T) {
	a := conntest.New(t)
	dir, _ := install(t, a, enrolled(a, agentproto.Config{ConnectionType: "active"}))
	ctx, cancel := context.WithCancel(t.Context())
	wait := startRun(t, ctx, testConfig(t, dir))

	c := nextConn(t, a)
	recvType(t, c, agentproto.MsgReport)
	require.NoError(t, c.Close())
	c = nextConn(t, a)
	recvType(t, c, agentproto.MsgReport)

	cancel()
	require.NoError(t, wait())
}

func TestRun_RetiredWhileConnected(t *testing.T) {
	a := conntest.New(t)
	dir, _ := install(t, a, enrolled(a, agentproto.Config{ConnectionType: "active"}))
	wait := startRun(t, t.Context(), testConfig(t, dir))
	c := nextConn(t, a)
	recvType(t, c, agentproto.MsgReport)
	// As the appliance's Retire does: the command, then the cut at once.
	require.NoError(t, c.Control.Send(agentproto.Control{Type: agentproto.MsgUninstall, Reason: "deleted"}))
	require.NoError(t, c.Close())
	require.ErrorIs(t, wait(), ErrUninstalled)
	assert.NoDirExists(t, dir)
}

func TestRun_NoGoroutineOutlivesRun(t *testing.T) {
	a := conntest.New(t)
	dir, _ := install(t, a, enrolled(a, agentproto.Config{ConnectionType: "active"}))
	before := runtime.NumGoroutine()
	ctx, cancel := context.WithCancel(t.Context())
	wait := startRun(t, ctx, testConfig(t, dir))
	c := nextConn(t, a)
	recvType(t, c, agentproto.MsgReport)
	cancel()
	require.NoError(t, wait())
	eventually(t, func() bool { return runtime.NumGoroutine() <= before }, "goroutines outlived Run")
}

func TestRun_Uninstalls(t *testing.T) {
	tests := []struct {
		name     string
		mutate   func(a *conntest.Appliance) func(*state.State)
		onEnroll func(agentproto.EnrollRequest) (*agentproto.EnrollResponse, *api.Problem)
		wantIn   string
		check    func(t *testing.T, a *conntest.Appliance)
	}{
		{
			name: "deleted by the appliance",
			mutate: func(a *conntest.Appliance) func(*state.State) {
				return func(st *state.State) { enrolled(a, agentproto.Config{})(st); a.Forget(st.ID) }
			},
			wantIn: "deleted this jump client",
		},
		{
			name: "key info expired before enrolling",
			mutate: func(*conntest.Appliance) func(*state.State) {
				return func(st *state.State) { st.KeyExpires = time.Now().Add(-time.Second) }
			},
			wantIn: "expired before the agent could enroll",
			check:  func(t *testing.T, a *conntest.Appliance) { assert.Empty(t, a.Enrolls()) },
		},
		{
			name: "enrollment refused until the key expired",
			mutate: func(*conntest.Appliance) func(*state.State) {
				return func(st *state.State) { st.KeyExpires = time.Now().Add(700 * time.Millisecond) }
			},
			onEnroll: func(agentproto.EnrollRequest) (*agentproto.EnrollResponse, *api.Problem) {
				return nil, &api.Problem{Status: http.StatusConflict, Title: "Conflict", Detail: "jump group not found"}
			},
			wantIn: "expired before the agent could enroll",
			check: func(t *testing.T, a *conntest.Appliance) {
				assert.Equal(t, 1, len(a.Enrolls()), "a refusal is asked again only after RefusalBackoff, but the expiry does not wait for it")
			},
		},
		{
			name: "offline too long",
			mutate: func(a *conntest.Appliance) func(*state.State) {
				return func(st *state.State) {
					enrolled(a, agentproto.Config{UninstallAfterOfflineMinutes: 60})(st)
					st.LastContact = time.Now().Add(-61 * time.Minute)
				}
			},
			wantIn: "longer than the configured 60 minutes",
			check:  func(t *testing.T, a *conntest.Appliance) { assert.Empty(t, a.Auths(), "no connection is tried") },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := conntest.New(t)
			if tt.onEnroll != nil {
				a.OnEnroll(tt.onEnroll)
			}
			dir, _ := install(t, a, tt.mutate(a))
			err := startRun(t, t.Context(), testConfig(t, dir))()
			require.ErrorIs(t, err, ErrUninstalled)
			assert.Contains(t, err.Error(), tt.wantIn)
			assert.NoDirExists(t, dir)
			if tt.check != nil {
				tt.check(t, a)
			}
		})
	}
}

func TestRun_OfflineLimitRunsOutWhileRetrying(t *testing.T) {
	a := conntest.New(t)
	dir, _ := install(t, a, enrolled(a, agentproto.Config{UninstallAfterOfflineMinutes: 1}))
	a.Close()
	cfg := testConfig(t, dir)
	cfg.minute = 300 * time.Millisecond
	err := startRun(t, t.Context(), cfg)()
	require.ErrorIs(t, err, ErrUninstalled)
	assert.NoDirExists(t, dir)
}

func TestRun_BusyIsRetried(t *testing.T) {
	a := conntest.New(t)
	dir, _ := install(t, a, enrolled(a, agentproto.Config{ConnectionType: "active"}))
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var once sync.Once
	a.OnAuth(func(agentproto.Auth) agentproto.HandshakeReply {
		refuse := false
		once.Do(func() { refuse = true })
		if refuse {
			return agentproto.HandshakeReply{Refused: &agentproto.Refused{Code: agentproto.RefusedBusy}}
		}
		return agentproto.HandshakeReply{Welcome: &agentproto.Welcome{Config: agentproto.Config{ConnectionType: "active"}}}
	})
	wait := startRun(t, ctx, testConfig(t, dir))
	c := nextConn(t, a)
	recvType(t, c, agentproto.MsgReport)
	assert.Len(t, a.Auths(), 2)
	cancel()
	require.NoError(t, wait())
}

func TestRun_Standby(t *testing.T) {
	a := conntest.New(t)
	standby := agentproto.Config{ConnectionType: "standby", StandbyCheckInMinutes: 1, Statistics: []string{api.StatUptime}}
	a.SetConfig(standby)
	dir, _ := install(t, a, enrolled(a, standby))
	cfg := testConfig(t, dir)
	cfg.minute = 200 * time.Millisecond
	cfg.commandWindow = 300 * time.Millisecond
	wait := startRun(t, t.Context(), cfg)

	// A check-in reports, waits for commands, and leaves by itself.
	c := nextConn(t, a)
	assert.Equal(t, agentproto.IntentCheckIn, c.Auth.Intent)
	recvType(t, c, agentproto.MsgReport)
	select {
	case <-c.Mux.CloseChan():
	case <-time.After(waitFor):
		t.Fatal("the check-in did not end")
	}

	// The next check-in takes a command the appliance sends just before it
	// ends the visit.
	c = nextConn(t, a)
	assert.Equal(t, agentproto.IntentCheckIn, c.Auth.Intent)
	require.NoError(t, c.Control.Send(agentproto.Control{Type: agentproto.MsgUninstall}))
	require.NoError(t, c.Close())
	require.ErrorIs(t, wait(), ErrUninstalled)
}

func TestRun_StandbyTurnedActive(t *testing.T) {
	a := conntest.New(t)
	standby := agentproto.Config{ConnectionType: "standby", StandbyCheckInMinutes: 60}
	a.SetConfig(standby)
	dir, _ := install(t, a, enrolled(a, standby))
	ctx, cancel := context.WithCancel(t.Context())
	wait := startRun(t, ctx, testConfig(t, dir))

	c := nextConn(t, a)
	recvType(t, c, agentproto.MsgReport)
	active := agentproto.Config{ConnectionType: "active", StatisticsIntervalSeconds: 60}
	a.SetConfig(active)
	require.NoError(t, c.Control.Send(agentproto.Control{Type: agentproto.MsgConfig, Config: &active}))

	c = nextConn(t, a)
	assert.Equal(t, agentproto.IntentRun, c.Auth.Intent, "the agent reconnects at once, as an active client")
	cancel()
	require.NoError(t, wait())
}

func TestRun_UpgradeOfferedInWelcome(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the stand-in build is a shell script")
	}
	a := conntest.New(t)
	dir, _ := install(t, a, enrolled(a, agentproto.Config{ConnectionType: "active"}))
	build := []byte("#!/bin/sh\necho 9.9.9\n")
	a.SetBuild(api.PlatformLinuxAMD64, build)
	offer := a.SignUpgrade(api.PlatformLinuxAMD64, "9.9.9", build)
	a.OnAuth(func(agentproto.Auth) agentproto.HandshakeReply {
		return agentproto.HandshakeReply{Welcome: &agentproto.Welcome{Config: agentproto.Config{ConnectionType: "active"}, Upgrade: offer}}
	})
	cfg := testConfig(t, dir)
	require.NoError(t, os.WriteFile(cfg.Exe, []byte("old build"), 0o755))
	var restarted []string
	cfg.restart = func(exe string, args []string) error {
		restarted = append(restarted, exe)
		return nil
	}

	err := startRun(t, t.Context(), cfg)()

	require.ErrorIs(t, err, ErrRestarted)
	got, rerr := os.ReadFile(cfg.Exe)
	require.NoError(t, rerr)
	assert.Equal(t, build, got)
	assert.Equal(t, []string{cfg.Exe}, restarted)
	assert.Equal(t, "9.9.9", loadState(t, dir).Version)
}

func TestRun_BadUpgradeKeepsRunning(t *testing.T) {
	a := conntest.New(t)
	dir, _ := install(t, a, enrolled(a, agentproto.Config{ConnectionType: "active"}))
	ctx, cancel := context.WithCancel(t.Context())
	wait := startRun(t, ctx, testConfig(t, dir))
	c := nextConn(t, a)
	recvType(t, c, agentproto.MsgReport)

	forged := a.SignUpgrade(api.PlatformLinuxAMD64, "6.6.6", []byte("evil"))
	forged.Signature[0] ^= 0xff
	require.NoError(t, c.Control.Send(agentproto.Control{Type: agentproto.MsgUpgrade, Upgrade: forged}))
	// Still connected and obeying: a config round-trip proves it.
	cfgMsg := agentproto.Config{ConnectionType: "active", Name: "still-here", StatisticsIntervalSeconds: 60}
	require.NoError(t, c.Control.Send(agentproto.Control{Type: agentproto.MsgConfig, Config: &cfgMsg}))
	eventually(t, func() bool { return loadState(t, dir).Config.Name == "still-here" }, "config not applied")
	_, err := os.Stat(filepath.Join(dir, "jumpgate-agent"))
	assert.True(t, os.IsNotExist(err), "nothing was installed")
	cancel()
	require.NoError(t, wait())
}

func TestNotifyUninstall(t *testing.T) {
	tests := []struct {
		name     string
		reply    *agentproto.Refused
		down     bool
		restrict bool
		forget   bool
		notYet   bool
		want     error
	}{
		{name: "welcomed", want: nil},
		{name: "restricted by the appliance", reply: &agentproto.Refused{Code: agentproto.RefusedUninstallRestricted}, want: ErrUninstallRestricted},
		{name: "already deleted", forget: true, want: nil},
		{name: "unreachable, cached restriction", down: true, restrict: true, want: ErrUninstallRestricted},
		{name: "unreachable, no restriction", down: true, want: nil},
		{name: "never enrolled", notYet: true, want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := conntest.New(t)
			if tt.reply != nil {
				a.OnAuth(func(agentproto.Auth) agentproto.HandshakeReply { return agentproto.HandshakeReply{Refused: tt.reply} })
			}
			mutate := enrolled(a, agentproto.Config{RestrictLocalUninstall: tt.restrict})
			if tt.notYet {
				mutate = nil
			}
			dir, st := install(t, a, mutate)
			if tt.forget {
				a.Forget(st.ID)
			}
			if tt.down {
				a.Close()
			}

			err := NotifyUninstall(t.Context(), testConfig(t, dir))

			if tt.want == nil {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, tt.want)
			}
			if !tt.down && !tt.notYet && !tt.forget {
				auths := a.Auths()
				require.Len(t, auths, 1)
				assert.Equal(t, agentproto.IntentUninstall, auths[0].Intent)
			}
			assert.DirExists(t, dir, "NotifyUninstall only asks; the caller removes")
		})
	}
}

var _ io.Writer = testWriter{}
