// Package wol builds and sends Wake-on-LAN magic packets, so that an online
// Jump Client can wake a sleeping peer on its network.
package wol

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// DefaultAddrs is where Send broadcasts when given no addresses.
var DefaultAddrs = []string{"255.255.255.255:9"}

// MagicPacket returns the magic packet for the 6-byte MAC address mac: six
// 0xFF bytes, the MAC sixteen times, then the SecureOn password if one is
// given. The password is 4 bytes (dotted "a.b.c.d" or hex) or 6 bytes (hex
// in MAC notation, "xx:xx:xx:xx:xx:xx", ':' or '-' separated or bare).
func MagicPacket(mac string, password string) ([]byte, error) {
	hw, err := parseHex(mac, 6)
	if err != nil {
		return nil, fmt.Errorf("mac address %q: %w", mac, err)
	}
	var pw []byte
	if password != "" {
		if pw, err = parsePassword(password); err != nil {
			return nil, fmt.Errorf("secureon password: %w", err)
		}
	}
	pkt := make([]byte, 0, 6+16*6+len(pw))
	for range 6 {
		pkt = append(pkt, 0xff)
	}
	for range 16 {
		pkt = append(pkt, hw...)
	}
	return append(pkt, pw...), nil
}

func parsePassword(s string) ([]byte, error) {
	if ip := net.ParseIP(s); ip != nil && ip.To4() != nil && strings.Count(s, ".") == 3 {
		return ip.To4(), nil
	}
	if b, err := parseHex(s, 6); err == nil {
		return b, nil
	}
	if b, err := parseHex(s, 4); err == nil {
		return b, nil
	}
	return nil, errors.New("want 4 or 6 bytes as hex (xx:xx:xx:xx:xx:xx) or 4 bytes as a.b.c.d")
}

// parseHex reads n bytes written as hex pairs separated by ':' or '-', or
// as 2n bare hex digits.
func parseHex(s string, n int) ([]byte, error) {
	s = strings.TrimSpace(s)
	var parts []string
	switch {
	case strings.Contains(s, ":"):
		parts = strings.Split(s, ":")
	case strings.Contains(s, "-"):
		parts = strings.Split(s, "-")
	case len(s) == 2*n:
		for i := 0; i < len(s); i += 2 {
			parts = append(parts, s[i:i+2])
		}
	default:
		return nil, fmt.Errorf("want %d hex bytes", n)
	}
	if len(parts) != n {
		return nil, fmt.Errorf("want %d hex bytes, got %d", n, len(parts))
	}
	out := make([]byte, n)
	for i, p := range parts {
		if len(p) != 2 {
			return nil, fmt.Errorf("%q is not a hex byte", p)
		}
		if _, err := hex.Decode(out[i:i+1], []byte(p)); err != nil {
			return nil, fmt.Errorf("%q is not a hex byte", p)
		}
	}
	return out, nil
}

// Send writes pkt as one UDP datagram to each of addrs ("host:port"; none
// means DefaultAddrs), with SO_BROADCAST set so broadcast addresses work. It
// tries every address and reports every failure; ctx bounds the whole send.
func Send(ctx context.Context, pkt []byte, addrs []string) error {
	if len(addrs) == 0 {
		addrs = DefaultAddrs
	}
	deadline := time.Now().Add(5 * time.Second)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	socks := map[string]net.PacketConn{}
	defer func() {
		for _, c := range socks {
			c.Close()
		}
	}()
	var errs []error
	for _, a := range addrs {
		if err := ctx.Err(); err != nil {
			errs = append(errs, err)
			break
		}
		dst, err := resolve(ctx, a)
		if err != nil {
			errs = append(errs, fmt.Errorf("wake-on-lan to %s: %w", a, err))
			continue
		}
		network := "udp4"
		if dst.Addr().Is6() {
			network = "udp6"
		}
		c, ok := socks[network]
		if !ok {
			lc := net.ListenConfig{Control: setBroadcast}
			if c, err = lc.ListenPacket(ctx, network, ":0"); err != nil {
				errs = append(errs, fmt.Errorf("wake-on-lan to %s: %w", a, err))
				continue
			}
			_ = c.SetWriteDeadline(deadline)
			socks[network] = c
		}
		if _, err := c.WriteTo(pkt, net.UDPAddrFromAddrPort(dst)); err != nil {
			errs = append(errs, fmt.Errorf("wake-on-lan to %s: %w", a, err))
		}
	}
	return errors.Join(errs...)
}

// resolve turns "host:port" into an address, resolving a host name.
func resolve(ctx context.Context, addr string) (netip.AddrPort, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return netip.AddrPort{}, err
	}
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("bad port %q", port)
	}
	ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return netip.AddrPort{}, err
	}
	if len(ips) == 0 {
		return netip.AddrPort{}, fmt.Errorf("%s has no address", host)
	}
	return netip.AddrPortFrom(ips[0].Unmap(), uint16(p)), nil
}
