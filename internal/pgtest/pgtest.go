// Package pgtest gives tests a fresh, empty database on a real PostgreSQL server.
//
// The first call to NewDatabase in a test binary starts one private PostgreSQL
// server: initdb in a temporary directory, listening on a free port on 127.0.0.1
// with trust authentication and durability turned off for speed. Every test then
// gets its own database on that server, dropped when the test ends. Setting
// JUMPGATE_TEST_POSTGRES_URL to the URL of an existing server makes the tests
// create their databases there instead.
//
// A package that uses pgtest must stop the server after its tests:
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }
//
// The server binaries are looked up in $JUMPGATE_PG_BIN (set by the env file that
// hack/install-test-deps.sh writes), then on PATH, then in
// /usr/lib/postgresql/*/bin. When PostgreSQL cannot be found or started the tests
// fail; JUMPGATE_TEST_POSTGRES=skip turns that failure into a skip.
package pgtest

import (
	"cmp"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	// Registers the "pgx" database/sql driver.
	_ "github.com/jackc/pgx/v5/stdlib"
)

const (
	envURL  = "JUMPGATE_TEST_POSTGRES_URL"
	envMode = "JUMPGATE_TEST_POSTGRES"
	envBin  = "JUMPGATE_PG_BIN"

	installHint = "run hack/install-test-deps.sh and source $HOME/.cache/jumpgate/env.sh (make test does both), " +
		"or set " + envURL + " to an existing server"

	startTimeout = time.Minute
	queryTimeout = 30 * time.Second
)

var (
	running atomic.Bool // Run is driving the tests

	startOnce sync.Once
	shared    *server // set by startOnce
	startErr  error   // set by startOnce
)

// server is the PostgreSQL server that the databases of this test binary live on.
type server struct {
	adminURL *url.URL // the "postgres" maintenance database
	admin    *sql.DB
	local    *localServer // nil when the server came from JUMPGATE_TEST_POSTGRES_URL
}

// localServer is a PostgreSQL server started by this package.
type localServer struct {
	baseDir    string // temporary directory holding dataDir and the server log
	dataDir    string
	logFile    string
	binDir     string
	asPostgres bool // run the binaries as the postgres user (we are root)

	watchdog     *exec.Cmd
	watchdogPipe io.WriteCloser // kept referenced: closing it fires the watchdog
}

// NewDatabase creates a fresh, empty database for the test and returns its URL,
// for example "postgres://postgres@127.0.0.1:41234/pgtest_testfoo_1a2b3c4d?sslmode=disable".
// The database is dropped, together with any connections still open to it, when
// the test and its subtests finish.
//
// NewDatabase fails the test when PostgreSQL cannot be found or started, unless
// JUMPGATE_TEST_POSTGRES=skip is set, in which case it skips the test. It also
// fails the test when the package's TestMain does not call Run.
func NewDatabase(t testing.TB) string {
	t.Helper()
	if !running.Load() {
		t.Fatalf("pgtest: the package's TestMain must call pgtest.Run so the server is stopped: " +
			"func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }")
	}
	srv, err := sharedServer()
	if err != nil {
		if os.Getenv(envMode) == "skip" {
			t.Skipf("pgtest: skipping, PostgreSQL is unavailable and %s=skip: %v", envMode, err)
		}
		t.Fatalf("pgtest: PostgreSQL is unavailable: %v\n%s", err, installHint)
	}

	name, err := databaseName(t.Name())
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), queryTimeout)
	defer cancel()
	// template0 rather than the default template1, which a shared server may have
	// filled with extra objects.
	if _, err := srv.admin.ExecContext(ctx, "CREATE DATABASE "+quoteIdent(name)+" TEMPLATE template0"); err != nil {
		t.Fatalf("pgtest: create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), queryTimeout)
		defer cancel()
		// FORCE ends connections a test left open (a pool it did not close)
		// instead of failing the drop.
		if _, err := srv.admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+quoteIdent(name)+" WITH (FORCE)"); err != nil {
			t.Errorf("pgtest: drop database %s: %v", name, err)
		}
	})

	dsn := *srv.adminURL
	dsn.Path = "/" + name
	return dsn.String()
}

// Run runs the tests of m and then stops the PostgreSQL server that NewDatabase
// started, if any, and removes its files. It returns the exit code for os.Exit:
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }
func Run(m *testing.M) int {
	running.Store(true)
	code := m.Run()
	running.Store(false)
	if err := stop(); err != nil {
		fmt.Fprintf(os.Stderr, "pgtest: %v\n", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

// sharedServer returns the server of this test binary, starting it on first use.
func sharedServer() (*server, error) {
	startOnce.Do(func() {
		if raw := os.Getenv(envURL); raw != "" {
			shared, startErr = useExisting(raw)
		} else {
			shared, startErr = startLocal()
		}
	})
	return shared, startErr
}

// stop shuts the server down; later calls to NewDatabase fail.
func stop() error {
	startOnce.Do(func() { startErr = errors.New("server already stopped") })
	if shared == nil {
		return nil
	}
	srv := shared
	shared, startErr = nil, errors.New("server already stopped")
	err := srv.admin.Close()
	if srv.local != nil {
		err = errors.Join(err, srv.local.stop())
	}
	return err
}

// useExisting connects to the server of JUMPGATE_TEST_POSTGRES_URL.
func useExisting(raw string) (*server, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return nil, fmt.Errorf("%s must be a postgres:// URL, got %q", envURL, raw)
	}
	u.Path, u.RawPath = "/postgres", ""
	q := u.Query()
	if q.Get("sslmode") == "" {
		q.Set("sslmode", "disable")
		u.RawQuery = q.Encode()
	}
	admin, err := connect(u, 15*time.Second)
	if err != nil {
		return nil, fmt.Errorf("server of %s: %w", envURL, err)
	}
	return &server{adminURL: u, admin: admin}, nil
}

// startLocal starts a private PostgreSQL server in a new temporary directory.
func startLocal() (srv *server, err error) {
	binDir, err := findBinDir()
	if err != nil {
		return nil, err
	}
	// Not t.TempDir: its parents are 0700 and owned by root, so the postgres
	// user could not reach the data directory.
	base, err := os.MkdirTemp("", "jumpgate-pgtest-")
	if err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	l := &localServer{
		baseDir:    base,
		dataDir:    filepath.Join(base, "data"),
		logFile:    filepath.Join(base, "postgres.log"),
		binDir:     binDir,
		asPostgres: os.Geteuid() == 0, // initdb and postgres refuse to run as root
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, l.stop())
		}
	}()
	if l.asPostgres {
		if err := chownToPostgres(base); err != nil {
			return nil, err
		}
	}
	if err := l.startWatchdog(); err != nil {
		return nil, err
	}
	if out, err := l.command("initdb", "-D", l.dataDir, "-U", "postgres", "--auth=trust",
		"-E", "UTF8", "--locale=C", "--no-sync").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("initdb: %w\n%s", err, out)
	}

	// The free port may be taken again before postgres binds it, so retry.
	var port int
	for attempt := 1; ; attempt++ {
		if port, err = freePort(); err != nil {
			return nil, err
		}
		if err = l.start(port); err == nil {
			break
		}
		if attempt == 3 {
			return nil, err
		}
	}

	u := &url.URL{
		Scheme:   "postgres",
		User:     url.User("postgres"),
		Host:     net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
		Path:     "/postgres",
		RawQuery: "sslmode=disable",
	}
	admin, err := connect(u, startTimeout)
	if err != nil {
		return nil, fmt.Errorf("%w\n%s", err, l.logTail())
	}
	return &server{adminURL: u, admin: admin, local: l}, nil
}

// start starts postgres on port and waits until it is up.
func (l *localServer) start(port int) error {
	opts := strings.Join([]string{
		"-c listen_addresses=127.0.0.1",
		"-p " + strconv.Itoa(port),
		"-c unix_socket_directories=''", // no socket files to clash or clean up
		// The data is thrown away after the tests, so durability buys nothing.
		"-c fsync=off",
		"-c synchronous_commit=off",
		"-c full_page_writes=off",
		// Parallel tests each hold a connection pool.
		"-c max_connections=200",
	}, " ")
	// -l sends the server's output to a file: an inherited stdout pipe would keep
	// `go test` waiting for the daemonized server.
	cmd := l.command("pg_ctl", "-D", l.dataDir, "-l", l.logFile, "-o", opts,
		"-w", "-t", strconv.Itoa(int(startTimeout.Seconds())), "start")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("pg_ctl start: %w\n%s\n%s", err, out, l.logTail())
	}
	return nil
}

// stop stops the server, removes its files and retires the watchdog.
func (l *localServer) stop() error {
	var errs []error
	if _, err := os.Stat(filepath.Join(l.dataDir, "postmaster.pid")); err == nil {
		if out, err := l.command("pg_ctl", "-D", l.dataDir, "-m", "immediate", "-w", "stop").CombinedOutput(); err != nil {
			errs = append(errs, fmt.Errorf("pg_ctl stop: %w\n%s", err, out))
		}
	}
	if err := os.RemoveAll(l.baseDir); err != nil {
		errs = append(errs, fmt.Errorf("remove data directory: %w", err))
	}
	if l.watchdog != nil {
		l.watchdogPipe.Close()
		// Its own stop finds nothing left to do; its exit status carries no news.
		_ = l.watchdog.Wait()
	}
	return errors.Join(errs...)
}

// startWatchdog starts a shell that stops the server and removes its files
// once this process exits, however it exits: Run never gets to clean up after a
// test timeout panic or a Ctrl-C. The shell blocks reading a pipe whose only
// writer is this process, so it sees end-of-file when the process is gone.
func (l *localServer) startWatchdog() error {
	stopCmd := l.command("pg_ctl", "-D", l.dataDir, "-m", "immediate", "stop")
	const script = `trap '' INT HUP TERM QUIT   # outlive the signals that end the tests
cat >/dev/null
base=$1; shift
"$@" >/dev/null 2>&1
rm -rf "$base"`
	cmd := exec.Command("/bin/sh", append([]string{"-c", script, "pgtest-watchdog", l.baseDir}, stopCmd.Args...)...)
	pipe, err := cmd.StdinPipe()
	if err != nil {
		return fmt.Errorf("start watchdog: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start watchdog: %w", err)
	}
	l.watchdog, l.watchdogPipe = cmd, pipe
	return nil
}

// command returns a command running the PostgreSQL binary name, as the
// postgres user when l.asPostgres.
func (l *localServer) command(name string, args ...string) *exec.Cmd {
	argv := append([]string{filepath.Join(l.binDir, name)}, args...)
	if l.asPostgres {
		argv = append([]string{"runuser", "-u", "postgres", "--"}, argv...)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	// The postgres user may not be allowed into the caller's working directory.
	cmd.Dir = l.baseDir
	// Never hang on output pipes held open by a stray child.
	cmd.WaitDelay = 10 * time.Second
	return cmd
}

// logTail returns the end of the server log, for error messages.
func (l *localServer) logTail() string {
	b, err := os.ReadFile(l.logFile)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > 20 {
		lines = lines[len(lines)-20:]
	}
	return "server log " + l.logFile + ":\n" + strings.Join(lines, "\n")
}

// findBinDir returns the directory holding initdb, pg_ctl and postgres.
func findBinDir() (string, error) {
	if dir := os.Getenv(envBin); dir != "" {
		if !hasServerBinaries(dir) {
			return "", fmt.Errorf("%s=%s does not hold initdb, pg_ctl and postgres", envBin, dir)
		}
		return dir, nil
	}
	if path, err := exec.LookPath("initdb"); err == nil && hasServerBinaries(filepath.Dir(path)) {
		return filepath.Dir(path), nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	// Newest major version first; the names are numbers such as "15" or "9.6".
	slices.SortFunc(dirs, func(a, b string) int {
		va, _ := strconv.ParseFloat(filepath.Base(filepath.Dir(a)), 64)
		vb, _ := strconv.ParseFloat(filepath.Base(filepath.Dir(b)), 64)
		return cmp.Compare(vb, va)
	})
	for _, dir := range dirs {
		if hasServerBinaries(dir) {
			return dir, nil
		}
	}
	return "", fmt.Errorf("postgresql server binaries (initdb, pg_ctl, postgres) not found in $%s, PATH or /usr/lib/postgresql/*/bin", envBin)
}

func hasServerBinaries(dir string) bool {
	for _, name := range []string{"initdb", "pg_ctl", "postgres"} {
		info, err := os.Stat(filepath.Join(dir, name))
		if err != nil || info.IsDir() || info.Mode()&0o111 == 0 {
			return false
		}
	}
	return true
}

func chownToPostgres(dir string) error {
	u, err := user.Lookup("postgres")
	if err != nil {
		return fmt.Errorf("running as root needs a postgres user to run initdb as: %w", err)
	}
	uid, err := strconv.Atoi(u.Uid)
	if err != nil {
		return fmt.Errorf("postgres user: uid %q: %w", u.Uid, err)
	}
	gid, err := strconv.Atoi(u.Gid)
	if err != nil {
		return fmt.Errorf("postgres user: gid %q: %w", u.Gid, err)
	}
	if err := os.Chown(dir, uid, gid); err != nil {
		return fmt.Errorf("hand data directory to the postgres user: %w", err)
	}
	return nil
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// connect opens a pool on u and polls until the server accepts a connection or
// timeout passes.
func connect(u *url.URL, timeout time.Duration) (*sql.DB, error) {
	db, err := sql.Open("pgx", u.String())
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", u.Redacted(), err)
	}
	deadline := time.Now().Add(timeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = db.PingContext(ctx)
		cancel()
		if err == nil {
			return db, nil
		}
		if time.Now().After(deadline) {
			db.Close()
			return nil, fmt.Errorf("%s did not accept connections within %s: %w", u.Redacted(), timeout, err)
		}
		time.Sleep(50 * time.Millisecond) // poll interval
	}
}

// databaseName returns a new database name that tells which test it belongs
// to and is unique even on a server shared by many test runs.
func databaseName(testName string) (string, error) {
	var b strings.Builder
	for _, r := range strings.ToLower(testName) {
		if b.Len() == 32 {
			break
		}
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	random := make([]byte, 4)
	if _, err := rand.Read(random); err != nil {
		return "", fmt.Errorf("database name: %w", err)
	}
	return "pgtest_" + b.String() + "_" + hex.EncodeToString(random), nil
}

// quoteIdent quotes a PostgreSQL identifier.
func quoteIdent(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}
