//go:build linux

package bench

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// envSSHD names the sshd binary (hack/install-test-deps.sh writes it).
const envSSHD = "JUMPGATE_SSHD"

// sshRef is a private OpenSSH server on a loopback port, with a host key
// and an authorized key made for the run, and the client options that
// reach it without touching the user's ~/.ssh.
type sshRef struct {
	t      *testing.T
	ssh    string
	port   int
	user   string
	key    string
	env    []string
	cipher string // negotiated by the last forward, from ssh -v
	kex    string // its key exchange
}

// startSSHD starts sshd, or returns why the ssh references are skipped.
func startSSHD(t *testing.T, acct *procAccount) (*sshRef, string) {
	t.Helper()
	sshd := os.Getenv(envSSHD)
	if sshd == "" {
		if p, err := exec.LookPath("sshd"); err == nil {
			sshd = p
		} else {
			sshd = "/usr/sbin/sshd"
		}
	}
	if _, err := os.Stat(sshd); err != nil {
		return nil, fmt.Sprintf("no sshd (%v); hack/install-test-deps.sh installs openssh-server", err)
	}
	sshBin, err := exec.LookPath("ssh")
	if err != nil {
		return nil, "no ssh client; hack/install-test-deps.sh installs openssh-client"
	}
	keygen, err := exec.LookPath("ssh-keygen")
	if err != nil {
		return nil, "no ssh-keygen; hack/install-test-deps.sh installs openssh-client"
	}
	u, err := user.Current()
	if err != nil {
		return nil, fmt.Sprintf("current user: %v", err)
	}
	if os.Geteuid() == 0 {
		// sshd's privilege separation needs its empty directory, which the
		// package's service would make at boot.
		if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
			return nil, fmt.Sprintf("sshd privilege separation directory: %v", err)
		}
	}
	dir := t.TempDir()
	home := filepath.Join(dir, "home")
	if err := os.Mkdir(home, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"host", "user"} {
		out, err := exec.Command(keygen, "-q", "-t", "ed25519", "-N", "", "-C", "jumpgate-bench", "-f", filepath.Join(dir, k)).CombinedOutput()
		if err != nil {
			return nil, fmt.Sprintf("ssh-keygen: %v: %s", err, out)
		}
	}
	pub, err := os.ReadFile(filepath.Join(dir, "user.pub"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "authorized_keys"), pub, 0o600); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	// HOME is a fresh directory, so that the login shell reads no profile
	// of this machine's user (root's may start pyenv and the like): the
	// Jump Client's sessions run a plain /bin/sh.
	cfg := fmt.Sprintf(`ListenAddress 127.0.0.1
Port %d
HostKey %s
AuthorizedKeysFile %s
PidFile none
StrictModes no
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
AllowTcpForwarding yes
UseDNS no
SetEnv HOME=%s %s
`, port, filepath.Join(dir, "host"), filepath.Join(dir, "authorized_keys"), home, acct.env(roleSSHD))
	cfgFile := filepath.Join(dir, "sshd_config")
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(sshd, "-D", "-e", "-f", cfgFile)
	cmd.Env = append(os.Environ(), acct.env(roleSSHD))
	logf := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return nil, fmt.Sprintf("start sshd: %v", err)
	}
	acct.adopt(cmd.Process.Pid, roleSSHD)
	t.Cleanup(func() { stopProcess(cmd) })
	r := &sshRef{t: t, ssh: sshBin, port: port, user: u.Username, key: filepath.Join(dir, "user"),
		env: append(os.Environ(), "HOME="+home, acct.env(roleSSH))}
	deadline := time.Now().Add(10 * time.Second)
	for {
		out, err := r.command(context.Background(), "true").CombinedOutput()
		if err == nil {
			return r, ""
		}
		if time.Now().After(deadline) {
			return nil, fmt.Sprintf("sshd does not let the key in: %v: %s; sshd: %s", err, out, logf.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// options are the client options: the run's key, no known_hosts, no
// config, no prompts; logLevel ERROR or DEBUG1 (to learn the cipher).
func (r *sshRef) options(logLevel string) []string {
	return []string{"-F", "/dev/null", "-i", r.key, "-p", strconv.Itoa(r.port),
		"-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes",
		"-o", "IdentitiesOnly=yes", "-o", "LogLevel=" + logLevel}
}

// command is `ssh host args…`.
func (r *sshRef) command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, r.ssh, append(append(r.options("ERROR"), r.user+"@127.0.0.1"), args...)...)
	cmd.Env = r.env
	return cmd
}

var (
	kexCipher    = regexp.MustCompile(`kex: server->client cipher: (\S+)`)
	kexAlgorithm = regexp.MustCompile(`kex: algorithm: (\S+)`)
)

// forward runs `ssh -N -L` for each target until the test ends and returns
// the local addresses, in the order of targets.
func (r *sshRef) forward(targets []string) ([]string, error) {
	args := append(r.options("DEBUG1"), "-N", "-o", "ExitOnForwardFailure=yes")
	locals := make([]string, len(targets))
	for i, tg := range targets {
		locals[i] = net.JoinHostPort("127.0.0.1", strconv.Itoa(freePort(r.t)))
		args = append(args, "-L", locals[i]+":"+tg)
	}
	cmd := exec.Command(r.ssh, append(args, r.user+"@127.0.0.1")...)
	cmd.Env = r.env
	errb := &syncBuffer{}
	cmd.Stderr = errb
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	r.t.Cleanup(func() { stopProcess(cmd) })
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", locals[0], time.Second)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("ssh -L does not listen: %v; ssh: %s", err, lastLines(errb.String(), 5))
		}
		time.Sleep(50 * time.Millisecond)
	}
	if m := kexCipher.FindStringSubmatch(errb.String()); m != nil {
		r.cipher = m[1]
	}
	if m := kexAlgorithm.FindStringSubmatch(errb.String()); m != nil {
		r.kex = m[1]
	}
	return locals, nil
}

// freePort returns a loopback port nothing listens on.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// stopProcess interrupts cmd and kills it if it has not ended within
// 10 s.
func stopProcess(cmd *exec.Cmd) {
	if cmd.Process == nil {
		return
	}
	_ = cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Kill()
		<-done
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], " | ")
}
