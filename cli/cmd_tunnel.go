package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/cli/internal/channel"
)

// defaultListenAddress is where tunnels listen unless told otherwise (a
// Protocol Tunnel Jump's tunnel_listen_address default).
const defaultListenAddress = api.DefaultTunnelListenAddress

func newTunnelCmd(e env, f *connFlags) *cobra.Command {
	sf := &sessionFlags{}
	var forwards []string
	var statsEvery time.Duration
	cmd := &cobra.Command{
		Use:   "tunnel <item> [-L [LOCAL_ADDR:]LOCAL_PORT:REMOTE_PORT ...] [--stats 10s]",
		Short: "Open TCP tunnels through a Protocol Tunnel Jump or a Jump Client",
		Long: `tunnel listens on local ports and forwards each connection to the item's
network: through a Protocol Tunnel Jump, to its host on the ports of its tunnel
definitions; through a Jump Client, to ports on the client's own localhost.

For a Protocol Tunnel Jump there is one listener per tunnel definition, on the
item's tunnel_listen_address (default 127.0.0.1), on its local_port (0 picks a
free port). -L replaces them: each -L must name one of the item's remote ports
and a loopback address. For a Jump Client, give one -L per tunnel; LOCAL_ADDR
defaults to 127.0.0.1 and LOCAL_PORT 0 picks a free port. An IPv6 LOCAL_ADDR
goes in brackets: -L [::1]:8080:80.

Once the session is active, stdout gets exactly one line per tunnel,
"LOCAL_ADDR:PORT -> host:REMOTE_PORT", and the tunnels stay open until Ctrl-C,
SIGTERM or the end of the session. Refused connections (the appliance allows
256 at a time per session) are reported on stderr. Statistics per tunnel go to
stderr every --stats interval (0, the default, is off) and once at the end.

` + sessionHelp,
		Example: `  jumpgate tunnel prod-db
  jumpgate tunnel tunnel:3 -L 15432:5432
  jumpgate tunnel web-01 -L 8080:80 -L 0:22 --stats 10s
  jumpgate tunnel --session 57 -L 3389:3389`,
		RunE: func(cmd *cobra.Command, args []string) error {
			itemArg, _, err := sf.splitItemArg(args, 0, 0, "none")
			if err != nil {
				return err
			}
			specs, err := parseForwards(forwards)
			if err != nil {
				return err
			}
			if statsEvery < 0 {
				return fmt.Errorf("--stats %s: want a positive interval, or 0 for none", statsEvery)
			}
			var tunnels []*channel.Tunnel
			defer func() {
				for _, t := range tunnels {
					t.Listener.Close()
				}
			}()
			return e.inSession(cmd.Context(), f, sf, sessionJob{itemArg: itemArg,
				prepare: func(ctx context.Context, ls *liveSession) error {
					target, err := tunnelTargetOf(ctx, ls)
					if err != nil {
						return err
					}
					plan, err := planTunnels(target, specs)
					if err != nil {
						return err
					}
					tunnels, err = channel.Listen(ctx, plan, target.host)
					return err
				},
				run: func(ctx context.Context, ls *liveSession) error {
					return e.forward(ctx, ls, tunnels, statsEvery)
				}})
		},
	}
	cmd.Flags().StringArrayVarP(&forwards, "local", "L", nil, "tunnel [LOCAL_ADDR:]LOCAL_PORT:REMOTE_PORT (repeatable)")
	cmd.Flags().DurationVar(&statsEvery, "stats", 0, "print tunnel statistics on stderr this often, e.g. 10s (0: only at the end)")
	addSessionFlags(cmd, sf)
	return cmd
}

// forward announces the tunnels and serves them until the session or the
// command ends.
func (e env) forward(ctx context.Context, ls *liveSession, tunnels []*channel.Tunnel, statsEvery time.Duration) error {
	for _, t := range tunnels {
		fmt.Fprintln(e.stdout, t.String())
	}
	report := func() {
		for _, t := range tunnels {
			ls.out.printf("%s", statsLine(t.String(), t.Stats()))
		}
	}
	stopStats := make(chan struct{})
	statsDone := make(chan struct{})
	go func() {
		defer close(statsDone)
		if statsEvery <= 0 {
			return
		}
		tick := time.NewTicker(statsEvery)
		defer tick.Stop()
		for {
			select {
			case <-tick.C:
				report()
			case <-stopStats:
				return
			}
		}
	}()
	err := channel.Forward(ctx, ls.ch, tunnels, func(format string, args ...any) { ls.out.printf(format, args...) })
	close(stopStats)
	<-statsDone
	report()
	if err != nil {
		return err
	}
	// Ctrl-C is the normal way out; the session's end is not.
	if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
		return cause
	}
	select {
	case <-ls.ch.Done():
		return fmt.Errorf("the connection to session %d closed", ls.s.ID)
	default:
	}
	return nil
}

// statsLine renders one tunnel's statistics.
func statsLine(name string, s api.TunnelStats) string {
	return fmt.Sprintf("%s: %d open, %d total, %d refused, %s in, %s out",
		name, s.ConnectionsOpen, s.ConnectionsTotal, s.ConnectionsRefused, formatBytes(s.BytesIn), formatBytes(s.BytesOut))
}

// forwardSpec is a parsed -L.
type forwardSpec struct {
	// addr is "" for the default address.
	addr       string
	localPort  int
	remotePort int
}

// parseForwards reads every -L.
func parseForwards(in []string) ([]forwardSpec, error) {
	out := make([]forwardSpec, 0, len(in))
	for _, s := range in {
		fs, err := parseForward(s)
		if err != nil {
			return nil, err
		}
		out = append(out, fs)
	}
	return out, nil
}

// parseForward reads [LOCAL_ADDR:]LOCAL_PORT:REMOTE_PORT; an IPv6
// LOCAL_ADDR is bracketed.
func parseForward(s string) (forwardSpec, error) {
	bad := func(why string) (forwardSpec, error) {
		return forwardSpec{}, fmt.Errorf("-L %q: %s; want [LOCAL_ADDR:]LOCAL_PORT:REMOTE_PORT, e.g. 8080:80 or 127.0.0.2:0:22", s, why)
	}
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return bad("no remote port")
	}
	rest, remote := s[:i], s[i+1:]
	var fs forwardSpec
	var err error
	if fs.remotePort, err = parsePort(remote, 1); err != nil {
		return bad("remote port " + err.Error())
	}
	local := rest
	if j := strings.LastIndexByte(rest, ':'); j >= 0 {
		fs.addr, local = rest[:j], rest[j+1:]
		if strings.HasPrefix(fs.addr, "[") && strings.HasSuffix(fs.addr, "]") {
			fs.addr = fs.addr[1 : len(fs.addr)-1]
		} else if strings.Contains(fs.addr, ":") {
			return bad("put an IPv6 address in brackets")
		}
		if fs.addr == "" {
			return bad("empty local address")
		}
	}
	if fs.localPort, err = parsePort(local, 0); err != nil {
		return bad("local port " + err.Error())
	}
	return fs, nil
}

// parsePort reads a port from lowest to 65535.
func parsePort(s string, lowest int) (int, error) {
	p, err := strconv.Atoi(s)
	if err != nil || p < lowest || p > 65535 {
		return 0, fmt.Errorf("%q is not a number from %d to 65535", s, lowest)
	}
	return p, nil
}

// tunnelTarget is what a tunnel command reaches.
type tunnelTarget struct {
	// host is the far end's target, for messages.
	host string
	// defs are a Protocol Tunnel Jump's tunnel definitions; nil for a Jump
	// Client or a customer client.
	defs []api.TunnelDefinition
	// listen is the default local address.
	listen string
}

// tunnelTargetOf finds what ls's item (or --session's session) reaches.
func tunnelTargetOf(ctx context.Context, ls *liveSession) (tunnelTarget, error) {
	pt := (*api.ProtocolTunnelJump)(nil)
	if ls.item != nil {
		pt = ls.item.tunnel
	} else if ls.s.ItemType == api.ItemProtocolTunnelJump {
		var err error
		if pt, err = ls.c.GetProtocolTunnelJump(ctx, ls.s.ItemID); err != nil {
			return tunnelTarget{}, err
		}
	}
	if pt == nil {
		return tunnelTarget{host: "localhost", listen: defaultListenAddress}, nil
	}
	t := tunnelTarget{host: pt.Hostname, defs: pt.TunnelDefinitions, listen: pt.TunnelListenAddress}
	if t.listen == "" {
		t.listen = defaultListenAddress
	}
	if t.defs == nil {
		t.defs = []api.TunnelDefinition{}
	}
	return t, nil
}

// planTunnels decides the listeners: a Protocol Tunnel Jump's definitions,
// or the -L specs (which, for a tunnel jump, must name its remote ports and
// loopback addresses).
func planTunnels(t tunnelTarget, forwards []forwardSpec) ([]channel.Spec, error) {
	if t.defs == nil && len(forwards) == 0 {
		return nil, fmt.Errorf("a tunnel to a jump client needs at least one -L LOCAL_PORT:REMOTE_PORT, e.g. -L 8080:80")
	}
	if t.defs != nil && len(forwards) == 0 {
		if len(t.defs) == 0 {
			return nil, fmt.Errorf("the protocol tunnel jump to %s has no tunnel definitions", t.host)
		}
		out := make([]channel.Spec, len(t.defs))
		for i, d := range t.defs {
			out[i] = channel.Spec{LocalAddr: t.listen, LocalPort: d.LocalPort, RemotePort: d.RemotePort}
		}
		return out, nil
	}
	out := make([]channel.Spec, 0, len(forwards))
	for _, fw := range forwards {
		addr := fw.addr
		if addr == "" {
			addr = t.listen
		}
		if t.defs != nil && !hasRemotePort(t.defs, fw.remotePort) {
			return nil, fmt.Errorf("-L: port %d is not one of the tunnel jump's remote ports (%s)", fw.remotePort, remotePorts(t.defs))
		}
		// A tunnel is the representative's own: other machines must not
		// reach the endpoint through it.
		if ip, err := netip.ParseAddr(addr); err != nil || !ip.IsLoopback() {
			return nil, fmt.Errorf("-L: %s is not a loopback address; tunnels listen on loopback only", addr)
		}
		out = append(out, channel.Spec{LocalAddr: addr, LocalPort: fw.localPort, RemotePort: fw.remotePort})
	}
	return out, nil
}

func hasRemotePort(defs []api.TunnelDefinition, port int) bool {
	for _, d := range defs {
		if d.RemotePort == port {
			return true
		}
	}
	return false
}

func remotePorts(defs []api.TunnelDefinition) string {
	ports := make([]string, len(defs))
	for i, d := range defs {
		ports[i] = strconv.Itoa(d.RemotePort)
	}
	return strings.Join(ports, ", ")
}

// hostPort joins a host and port for messages.
func hostPort(host string, port int) string { return net.JoinHostPort(host, strconv.Itoa(port)) }
