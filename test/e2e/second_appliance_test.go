package e2e

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/agent/agenttest"
	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/internal/pgtest"
)

// TestSecondAppliance starts a second jumpgate-appliance process beside a
// running one, as a second `make run` does, and checks that the first one's
// agents stay online:
//   - sqlite: on the same data dir (and port) the second fails at once,
//     naming the data dir and the first one's pid, before it touches the
//     database;
//   - postgres: on one database (replicas) the second starts and stops
//     while the first's agent stays online; once the first is killed and its
//     heartbeat lease has run out, a start marks that agent offline;
//   - run.sh: `make run` twice on one data dir fails the second time, saying
//     another appliance answered, instead of printing "ready".
func TestSecondAppliance(t *testing.T) {
	bin := buildCommand(t, "./appliance", "jumpgate-appliance")
	agents := agenttest.AgentDir(t, "e2e-1")

	t.Run("sqlite", func(t *testing.T) {
		addr, data := freeAddr(t), filepath.Join(t.TempDir(), "data")
		a := launchAppliance(t, "first", bin, addr, data, "--agent-dir", agents)
		c := a.admin(t, "")
		client := installOnlineClient(t, c, a)

		// The same command again: same data dir, same port.
		b := startProcess(t, "second", append(os.Environ(), noProxy...), bin, "--listen", addr, "--data-dir", data, "--agent-dir", agents)
		select {
		case <-b.done:
		case <-time.After(15 * time.Second):
			t.Fatalf("the second appliance on %s is still running:\n%s", data, b.output())
		}
		require.Error(t, b.err, "the second appliance must exit non-zero")
		var ee *exec.ExitError
		require.ErrorAs(t, b.err, &ee)
		assert.NotZero(t, ee.ExitCode())
		out := b.output()
		assert.Contains(t, out, "data dir "+data+" is in use by another appliance process")
		assert.Contains(t, out, fmt.Sprintf("pid %d holds %s", a.cmd.Process.Pid, filepath.Join(data, "lock")))
		assert.NotContains(t, out, "address already in use", "the data dir is checked before the port")

		got, err := c.GetJumpClient(context.Background(), client.ID)
		require.NoError(t, err)
		assert.Equal(t, api.ClientOnline, got.Status, "the second appliance must not touch the first one's presence")
		assert.Equal(t, a.instance, a.ready(t), "the first appliance still answers")
	})

	t.Run("postgres", func(t *testing.T) {
		ctx := context.Background()
		dsn := pgtest.NewDatabase(t)
		beat := "--heartbeat-interval=300ms" // a lease of 1.2 s
		addrA, addrB := freeAddr(t), freeAddr(t)
		dataA, dataB := filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "b")
		a := launchAppliance(t, "replica-a", bin, addrA, dataA, "--database", dsn, "--agent-dir", agents, beat)
		c := a.admin(t, "")
		client := installOnlineClient(t, c, a)

		online := func(c *api.Client) string {
			got, err := c.GetJumpClient(ctx, client.ID)
			require.NoError(t, err)
			return got.Status
		}
		// stays checks for a while that the client stays online: each of
		// B's heartbeats reaps, and none may take A's live agent.
		stays := func(what string, c *api.Client) {
			t.Helper()
			for end := time.Now().Add(2 * time.Second); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
				require.Equal(t, api.ClientOnline, online(c), what)
			}
		}

		// A second process on the same database, with its own data dir
		// and port: it reads the same objects (A's admin token works).
		b := launchAppliance(t, "replica-b", bin, addrB, dataB, "--database", dsn, "--agent-dir", agents, beat)
		require.NotEqual(t, a.instance, b.instance)
		cb := b.admin(t, a.token)
		assert.Equal(t, api.ClientOnline, online(cb), "B's start left A's agent online")
		stays("while B runs", cb)

		require.NoError(t, b.cmd.Process.Signal(syscall.SIGTERM))
		<-b.done
		require.NoError(t, b.err, "B stops cleanly:\n%s", b.output())
		stays("after B stopped", c)

		// A dies without a word: its agent's presence stays as it was
		// until A's lease runs out, then a start clears it.
		require.NoError(t, a.cmd.Process.Kill())
		<-a.done
		pg, err := sql.Open("pgx", dsn)
		require.NoError(t, err)
		defer pg.Close()
		eventually(t, 30*time.Second, "A's heartbeat lease runs out", func() (bool, string) {
			var expires time.Time
			if err := pg.QueryRow("SELECT expires_at FROM appliance_instances WHERE id = $1", a.instance).Scan(&expires); err != nil {
				return false, err.Error()
			}
			return time.Now().After(expires), "expires at " + expires.String()
		})
		// A long heartbeat, so that what this start finds is cleared by
		// the start itself, before it serves.
		b2 := launchAppliance(t, "replica-b-again", bin, addrB, dataB, "--database", dsn, "--agent-dir", agents, "--heartbeat-interval=1m")
		cb = b2.admin(t, a.token)
		assert.Equal(t, api.ClientOffline, online(cb), "the dead A's agent is offline once B has started again")
		var rows int
		require.NoError(t, pg.QueryRow("SELECT count(*) FROM appliance_instances WHERE id = $1", a.instance).Scan(&rows))
		assert.Zero(t, rows, "the dead instance's row is gone")
	})

	t.Run("run.sh", func(t *testing.T) {
		// run.sh runs bin/jumpgate-appliance next to its hack directory.
		root := t.TempDir()
		require.NoError(t, os.MkdirAll(filepath.Join(root, "hack"), 0o755))
		require.NoError(t, os.MkdirAll(filepath.Join(root, "bin"), 0o755))
		script, err := os.ReadFile(filepath.Join(moduleRoot(t), "hack", "run.sh"))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(root, "hack", "run.sh"), script, 0o755))
		require.NoError(t, os.Symlink(bin, filepath.Join(root, "bin", "jumpgate-appliance")))
		env := append(os.Environ(), noProxy...)
		env = append(env, "JUMPGATE_LISTEN="+freeAddr(t), "JUMPGATE_DATA_DIR="+filepath.Join(root, "data"), "JUMPGATE_AGENT_DIR="+agents)

		first := startProcess(t, "make-run-1", env, "bash", filepath.Join(root, "hack", "run.sh"))
		eventually(t, time.Minute, "the first make run is ready", func() (bool, string) {
			if done, err := first.exited(); done {
				t.Fatalf("the first run.sh exited (%v):\n%s", err, first.output())
			}
			return strings.Contains(first.output(), "Jumpgate appliance is ready"), first.output()
		})

		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "bash", filepath.Join(root, "hack", "run.sh"))
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		require.ErrorAs(t, err, &ee, "the second run.sh must fail:\n%s", out)
		assert.NotZero(t, ee.ExitCode())
		assert.NotContains(t, string(out), "Jumpgate appliance is ready", "the answer came from the first appliance")
		assert.Contains(t, string(out), "another process answered")
		assert.Contains(t, string(out), "is in use by another appliance process", "the second appliance's own reason")
		if done, _ := first.exited(); done {
			t.Fatalf("the first run.sh stopped:\n%s", first.output())
		}
	})
}

// launched is a jumpgate-appliance process that answers GET /readyz.
type launched struct {
	*process
	url, caFile, token, instance string
}

// launchAppliance runs bin on addr and data (plus args) and waits until it
// answers /readyz; the admin token is read from the data dir when the
// start created it.
func launchAppliance(t *testing.T, name, bin, addr, data string, args ...string) *launched {
	t.Helper()
	_, port, _ := strings.Cut(addr, ":")
	p := startProcess(t, name, append(os.Environ(), noProxy...), bin, append([]string{"--listen", addr, "--data-dir", data}, args...)...)
	a := &launched{process: p, url: "https://localhost:" + port, caFile: filepath.Join(data, "ca.pem")}
	eventually(t, time.Minute, name+" answers GET /readyz", func() (bool, string) {
		if done, err := p.exited(); done {
			t.Fatalf("%s exited before it was ready (%v):\n%s", name, err, p.output())
		}
		id, err := a.readyz()
		if err != nil {
			return false, err.Error()
		}
		a.instance = id
		return true, ""
	})
	if tok, err := os.ReadFile(filepath.Join(data, "admin-token")); err == nil {
		a.token = strings.TrimSpace(string(tok))
	}
	require.Contains(t, p.output(), fmt.Sprintf("process:  pid %d, instance %s", p.cmd.Process.Pid, a.instance), "the banner names the process /readyz names")
	return a
}

// readyz returns the instance ID that GET /readyz names.
func (a *launched) readyz() (string, error) {
	ca, err := os.ReadFile(a.caFile)
	if err != nil {
		return "", err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(ca) {
		return "", fmt.Errorf("no certificate in %s yet", a.caFile)
	}
	hc := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{Proxy: nil, TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
	resp, err := hc.Get(a.url + "/readyz")
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var body struct{ Status, Instance string }
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("%s %v", resp.Status, err)
	}
	return body.Instance, nil
}

func (a *launched) ready(t *testing.T) string {
	t.Helper()
	id, err := a.readyz()
	require.NoError(t, err)
	return id
}

// admin is an API client of a with token ("" for a's own admin token).
func (a *launched) admin(t *testing.T, token string) *api.Client {
	t.Helper()
	if token == "" {
		token = a.token
	}
	require.NotEmpty(t, token)
	c, err := api.New(a.url, api.WithToken(token), api.WithCACertFile(a.caFile))
	require.NoError(t, err)
	return c
}

// installOnlineClient installs a Jump Client from a's installer on a new
// endpoint, starts it and returns it once it is online.
func installOnlineClient(t *testing.T, c *api.Client, a *launched) api.JumpClient {
	t.Helper()
	ctx := context.Background()
	g, err := c.CreateJumpGroup(ctx, &api.JumpGroup{Name: "Servers", CodeName: "servers-" + strconv.FormatInt(time.Now().UnixNano(), 36)})
	require.NoError(t, err)
	in, err := c.CreateJumpClientInstaller(ctx, &api.JumpClientInstaller{JumpGroupID: g.ID, Tag: "second-appliance"})
	require.NoError(t, err)
	var buf bytes.Buffer
	name, err := c.Download(ctx, binPath(in), &buf)
	require.NoError(t, err)
	file := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(file, buf.Bytes(), 0o644))
	e := newEndpoint(t)
	e.started(file, filepath.Join(e.home, "jc"))
	var got api.JumpClient
	eventually(t, 30*time.Second, "the client is online at "+a.url, func() (bool, string) {
		l, err := c.ListJumpClients(ctx, nil)
		require.NoError(t, err)
		for _, jc := range l.Items {
			if jc.InstallerID == in.InstallerID && jc.Status == api.ClientOnline {
				got = jc
				return true, ""
			}
		}
		return false, fmt.Sprintf("%+v", l.Items)
	})
	return got
}
