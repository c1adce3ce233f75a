// Package host describes the machine the agent runs on: its facts (sent at
// enrollment and with every connection), the statistics an active Jump
// Client reports, and the customer's presence (is a user logged in, is the
// screen locked). Everything is best effort: a value that cannot be learnt
// is left empty or nil, never guessed. OS-specific code lives in files with
// an OS suffix.
package host

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net"
	"os"
	"os/exec"
	"os/user"
	"strings"
	"time"

	"github.com/jumpgate/jumpgate/api/agentproto"
)

// Install modes of Facts.InstallMode.
const (
	InstallModeService = "service"
	InstallModeUser    = "user"
)

// lookupTimeout bounds the DNS lookups of Facts.
const lookupTimeout = time.Second

// cmdTimeout bounds every helper command run to learn a fact.
const cmdTimeout = 3 * time.Second

// EnvHostID overrides the host id (the machine id) that tells a reinstall
// on the same machine from a new machine. Set it where machines share one
// /etc/machine-id, as containers of one image and clones of one VM do:
// each Jumpoint node of a cluster, for one, must have its own.
const EnvHostID = "JUMPGATE_AGENT_HOST_ID"

// Facts gathers the host's facts. installMode and platform are passed
// through; applianceHost ("host" or "host:port", may be empty) picks the
// network interface: the one whose address routes to the appliance gives
// PrivateIP and MACAddress. It takes about a second at most (DNS).
func Facts(installMode, platform, applianceHost string) agentproto.Facts {
	f := agentproto.Facts{
		Platform:       platform,
		InstallMode:    installMode,
		OS:             osName(),
		DefaultGateway: defaultGateway(),
		ConsoleUser:    ConsoleUser(),
		User:           currentUser(),
	}
	f.Hostname, _ = os.Hostname()
	ip := localIP(applianceHost)
	if ip != nil {
		f.PrivateIP = ip.String()
		f.MACAddress = macOf(ip)
	}
	f.FQDN = fqdn(f.Hostname, ip)
	f.HostID = os.Getenv(EnvHostID)
	if f.HostID == "" {
		f.HostID = hostID()
	}
	if f.HostID == "" {
		f.HostID = fallbackHostID(f.Hostname, f.MACAddress)
	}
	return f
}

// ConsoleUser returns the user logged in at the machine's console (the
// physical seat or the graphical session), "" if none or unknown.
func ConsoleUser() string { return consoleUser() }

// Presence reports whether a customer is at the machine: a user logged in
// locally, and, where the OS tells, whether the screen is locked.
func Presence() agentproto.Presence { return presence() }

// localIP returns the local address the system would use to reach host (a
// UDP "connection" sends nothing; it only picks a route). Without a host it
// asks for the default route.
func localIP(host string) net.IP {
	if host == "" {
		// TEST-NET-1: never answered, always routed by the default route.
		host = "192.0.2.1"
	}
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	ctx, cancel := context.WithTimeout(context.Background(), lookupTimeout)
	defer cancel()
	var d net.Dialer
	c, err := d.DialContext(ctx, "udp", net.JoinHostPort(host, "443"))
	if err != nil {
		return nil
	}
	defer c.Close()
	ua, ok := c.LocalAddr().(*net.UDPAddr)
	if !ok || ua.IP.IsUnspecified() {
		return nil
	}
	return ua.IP
}

// macOf returns the hardware address of the interface holding ip.
func macOf(ip net.IP) string {
	ifs, err := net.Interfaces()
	if err != nil {
		return ""
	}
	for _, ifc := range ifs {
		addrs, err := ifc.Addrs()
		if err != nil {
			continue
		}
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok && n.IP.Equal(ip) {
				if len(ifc.HardwareAddr) == 0 {
					return ""
				}
				return ifc.HardwareAddr.String()
			}
		}
	}
	return ""
}

// fqdn finds the host's DNS name: the reverse name of its address, else the
// canonical name of its host name, bounded by lookupTimeout overall.
func fqdn(hostname string, ip net.IP) string {
	ctx, cancel := context.WithTimeout(context.Background(), lookupTimeout)
	defer cancel()
	if ip != nil && !ip.IsLoopback() {
		if names, err := net.DefaultResolver.LookupAddr(ctx, ip.String()); err == nil {
			for _, n := range names {
				if n = strings.TrimSuffix(n, "."); strings.Contains(n, ".") {
					return n
				}
			}
		}
	}
	if strings.Contains(hostname, ".") {
		return hostname
	}
	if hostname != "" {
		if cn, err := net.DefaultResolver.LookupCNAME(ctx, hostname); err == nil {
			if cn = strings.TrimSuffix(cn, "."); strings.Contains(cn, ".") {
				return cn
			}
		}
	}
	return ""
}

// fallbackHostID identifies a machine the OS gives no id for.
func fallbackHostID(hostname, mac string) string {
	if hostname == "" && mac == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(hostname + "\n" + mac))
	return hex.EncodeToString(sum[:16])
}

// currentUser names the account the agent runs as.
func currentUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	for _, k := range []string{"USER", "USERNAME", "LOGNAME"} {
		if v := os.Getenv(k); v != "" {
			return v
		}
	}
	return ""
}

// output runs a helper command with a timeout and returns its trimmed
// standard output, "" on any failure.
func output(name string, args ...string) string {
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	out, err := cmd.Output()
	if err != nil {
		return ""
	}
	return string(bytes.TrimSpace(out))
}

// keyValues parses "key<sep>value" lines, trimming spaces and quotes.
func keyValues(s, sep string) map[string]string {
	m := map[string]string{}
	for _, line := range strings.Split(s, "\n") {
		k, v, ok := strings.Cut(line, sep)
		if !ok {
			continue
		}
		m[strings.TrimSpace(k)] = strings.Trim(strings.TrimSpace(v), `"'`)
	}
	return m
}
