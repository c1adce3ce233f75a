// Package ingress prepares the connections the appliance accepts before TLS
// and HTTP see them: behind a load balancer it takes each client's address
// from the PROXY protocol v2 header, and only from the balancers an
// operator named (--trusted-proxies).
//
// A connection from a trusted balancer must open with a valid v2 header
// (a v1 text header, a malformed header or none at all is refused: the
// connection fails its first read and is closed, so TLS never starts). A
// header carrying the LOCAL command (a balancer's health check) keeps the
// balancer's own address. A connection from any other address is served as
// it is: a PROXY header it sends is not parsed, it is just bytes where TLS
// expects a ClientHello, so the handshake fails. The address so found is
// the connection's RemoteAddr, which everything downstream (audit, rate
// limits, the agents' public_ip, the handshake budget) reads.
package ingress

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"

	proxyproto "github.com/pires/go-proxyproto"
)

// HeaderTimeout bounds how long a trusted balancer may take to send the
// PROXY header.
const HeaderTimeout = 5 * time.Second

// ParsePrefixes parses a comma-separated list of CIDR prefixes or bare IP
// addresses ("10.0.0.0/8, 192.0.2.7, 2001:db8::/32"). A bare address is a
// single-address prefix. Blanks around items are ignored; an empty list is
// nil. Prefixes are masked to their network address (10.1.2.3/8 is
// 10.0.0.0/8), and IPv4-mapped IPv6 forms are unmapped.
func ParsePrefixes(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		var p netip.Prefix
		if strings.Contains(item, "/") {
			var err error
			p, err = netip.ParsePrefix(item)
			if err != nil {
				return nil, fmt.Errorf("%q is not a CIDR prefix or IP address", item)
			}
			if a := p.Addr(); a.Is4In6() {
				bits := p.Bits() - 96
				if bits < 0 {
					return nil, fmt.Errorf("%q: an IPv4-mapped prefix needs at least /96", item)
				}
				p = netip.PrefixFrom(a.Unmap(), bits)
			}
		} else {
			a, err := netip.ParseAddr(item)
			if err != nil {
				return nil, fmt.Errorf("%q is not a CIDR prefix or IP address", item)
			}
			if a.Zone() != "" {
				return nil, fmt.Errorf("%q: zones are not allowed", item)
			}
			a = a.Unmap()
			p = netip.PrefixFrom(a, a.BitLen())
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// Trusted reports whether addr is in one of the prefixes.
func Trusted(prefixes []netip.Prefix, addr netip.Addr) bool {
	addr = addr.Unmap().WithZone("")
	for _, p := range prefixes {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// ErrNotV2 refuses a PROXY header of another version than 2.
var ErrNotV2 = errors.New("only PROXY protocol version 2 is accepted")

// Listen wraps ln so that connections from the trusted prefixes must carry
// a PROXY protocol v2 header, whose source address becomes their
// RemoteAddr. With no prefixes it returns ln itself.
func Listen(ln net.Listener, trusted []netip.Prefix) net.Listener {
	if len(trusted) == 0 {
		return ln
	}
	return &proxyproto.Listener{
		Listener:          ln,
		ReadHeaderTimeout: HeaderTimeout,
		ConnPolicy: func(o proxyproto.ConnPolicyOptions) (proxyproto.Policy, error) {
			ap, err := netip.ParseAddrPort(o.Upstream.String())
			if err != nil || !Trusted(trusted, ap.Addr()) {
				// Not a balancer: the header is not even looked for.
				return proxyproto.SKIP, nil
			}
			return proxyproto.REQUIRE, nil
		},
		ValidateHeader: func(h *proxyproto.Header) error {
			if h.Version != 2 {
				return ErrNotV2
			}
			return nil
		},
	}
}
