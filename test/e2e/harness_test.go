package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/agent/agenttest"
	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/appliance/appliancetest"
	"github.com/jumpgate/jumpgate/internal/pgtest"
)

var (
	cliOnce sync.Once
	cliPath string
	cliErr  error
	binDir  string
)

// TestMain also stops the PostgreSQL server of the tests that use one.
func TestMain(m *testing.M) {
	code := pgtest.Run(m)
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// cliBinary builds ./cli once per test process.
func cliBinary(t *testing.T) string {
	t.Helper()
	cliOnce.Do(func() {
		binDir, cliErr = os.MkdirTemp("", "jumpgate-e2e-cli-")
		if cliErr != nil {
			return
		}
		cliPath = filepath.Join(binDir, "jumpgate")
		if runtime.GOOS == "windows" {
			cliPath += ".exe"
		}
		cmd := exec.Command("go", "build", "-trimpath", "-o", cliPath, "./cli")
		cmd.Dir = moduleRoot(t)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			cliErr = fmt.Errorf("go build ./cli: %v\n%s", err, out)
		}
	})
	require.NoError(t, cliErr)
	return cliPath
}

func moduleRoot(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMOD").Output()
	require.NoError(t, err)
	return filepath.Dir(strings.TrimSpace(string(out)))
}

// rep is a representative at a terminal: the jumpgate CLI with an
// appliance, a token and the appliance's CA in its environment.
type rep struct {
	t   *testing.T
	env []string
	bin string
}

func newRep(t *testing.T, s *appliancetest.Server, token string) *rep {
	home := t.TempDir()
	env := append(os.Environ(), "HOME="+home, "JUMPGATE_CONFIG_DIR="+filepath.Join(home, "cfg"),
		api.EnvURL+"="+s.URL, api.EnvToken+"="+token, api.EnvCACert+"="+s.CAFile, "NO_PROXY=*", "HTTPS_PROXY=", "https_proxy=")
	return &rep{t: t, env: env, bin: cliBinary(t)}
}

// jg runs the CLI to completion and returns stdout, stderr and the exit
// code.
func (r *rep) jg(stdin string, args ...string) (string, string, int) {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, r.bin, args...)
	cmd.Env = r.env
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return out.String(), errb.String(), 0
	case errors.As(err, &ee):
		return out.String(), errb.String(), ee.ExitCode()
	}
	r.t.Fatalf("jumpgate %v: %v", args, err)
	return "", "", -1
}

// start starts the CLI in the background with a stdin that stays open (a
// shell would end at its end); the test's end interrupts it.
func (r *rep) start(args ...string) (*exec.Cmd, *syncBuffer, *syncBuffer) {
	r.t.Helper()
	cmd := exec.Command(r.bin, args...)
	cmd.Env = r.env
	out, errb := &syncBuffer{}, &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, errb
	stdin, err := cmd.StdinPipe()
	require.NoError(r.t, err)
	require.NoError(r.t, cmd.Start())
	r.t.Cleanup(func() {
		_ = stdin.Close()
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	return cmd, out, errb
}

// syncBuffer is a bytes.Buffer safe for a writer process and a reading
// test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// tokenFor makes an API token for user id.
func tokenFor(t *testing.T, s *appliancetest.Server, userID int64) string {
	t.Helper()
	tok, err := s.Admin.CreateAPIToken(context.Background(), &api.APIToken{Name: "e2e", UserID: userID})
	require.NoError(t, err)
	return tok.Token
}

// world is an appliance with one Jump Client installed and online.
type world struct {
	s      *appliancetest.Server
	e      *endpoint
	dir    string
	group  int64
	client api.JumpClient
	admin  *rep
}

func newWorld(t *testing.T, opts ...appliancetest.Option) *world {
	t.Helper()
	s := newAppliance(t, agenttest.AgentDir(t, "e2e-1"), opts...)
	in := installerFor(t, s, &api.JumpClientInstaller{Tag: "e2e"})
	file := download(t, s, binPath(in))
	e := newEndpoint(t)
	dir := filepath.Join(e.home, "jc")
	e.started(file, dir)
	c := onlineClient(t, s, in.InstallerID, false)
	return &world{s: s, e: e, dir: dir, group: in.JumpGroupID, client: c, admin: newRep(t, s, s.AdminToken)}
}

func (w *world) clientRef() string { return fmt.Sprintf("client:%d", w.client.ID) }
