//go:build linux

package bench

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// ioBuffer is the size of the load generator's writes, the targets' reads
// and the reference relays' copy buffers: the size the product's tunnel
// splices use (256 KiB), so that the references differ from Jumpgate in
// their architecture, not in their buffers.
const ioBuffer = 256 << 10

// zeros is what the load generator writes.
var zeros = make([]byte, ioBuffer)

// listen listens on a loopback port until the test ends.
func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

// serve runs h for every connection ln accepts, until ln closes.
func serve(ln net.Listener, h func(net.Conn)) {
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go h(c)
		}
	}()
}

// sink is the throughput target. It answers each connection's first byte
// (the priming round trip: the path is up, every handshake done) and then
// reads and counts everything else until EOF.
type sink struct {
	addr   string
	mu     sync.Mutex
	conns  []*atomic.Int64 // per connection, in the order of arrival
	total  atomic.Int64
	active atomic.Int64
}

func startSink(t *testing.T) *sink {
	ln := listen(t)
	s := &sink{addr: ln.Addr().String()}
	serve(ln, s.handle)
	return s
}

func (s *sink) handle(c net.Conn) {
	s.active.Add(1)
	defer s.active.Add(-1)
	defer c.Close()
	n := new(atomic.Int64)
	s.mu.Lock()
	s.conns = append(s.conns, n)
	s.mu.Unlock()
	b := make([]byte, ioBuffer)
	if _, err := io.ReadFull(c, b[:1]); err != nil {
		return
	}
	if _, err := c.Write(b[:1]); err != nil {
		return
	}
	for {
		k, err := c.Read(b)
		n.Add(int64(k))
		s.total.Add(int64(k))
		if err != nil {
			return
		}
	}
}

// mark is the number of connections the sink has seen.
func (s *sink) mark() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// since returns the byte counts of the connections after mark.
func (s *sink) since(mark int) []int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]int64, 0, len(s.conns)-mark)
	for _, n := range s.conns[mark:] {
		out = append(out, n.Load())
	}
	return out
}

// echoServer echoes every connection; active counts its open ones.
type echoServer struct {
	addr   string
	active atomic.Int64
}

func startEcho(t *testing.T) *echoServer {
	ln := listen(t)
	e := &echoServer{addr: ln.Addr().String()}
	serve(ln, func(c net.Conn) {
		e.active.Add(1)
		defer e.active.Add(-1)
		defer c.Close()
		b := make([]byte, 64<<10)
		for {
			n, err := c.Read(b)
			if n > 0 {
				if _, werr := c.Write(b[:n]); werr != nil {
					return
				}
			}
			if err != nil {
				return
			}
		}
	})
	return e
}

// dialPrimed dials addr and makes one 1-byte round trip, so that the
// whole path is up before any load starts. A tunnel that refuses the
// connection (its 256 are still being released) closes it: that is retried
// until the deadline.
func dialPrimed(addr string, within time.Duration) (net.Conn, error) {
	deadline := time.Now().Add(within)
	var last error
	for delay := 10 * time.Millisecond; ; delay = min(2*delay, 500*time.Millisecond) {
		c, err := net.DialTimeout("tcp", addr, 10*time.Second)
		if err == nil {
			_ = c.SetDeadline(time.Now().Add(30 * time.Second))
			b := []byte{'p'}
			if _, err = c.Write(b); err == nil {
				_, err = io.ReadFull(c, b)
			}
			if err == nil {
				_ = c.SetDeadline(time.Time{})
				return c, nil
			}
			c.Close()
		}
		last = err
		if time.Now().Add(delay).After(deadline) {
			return nil, fmt.Errorf("dial %s and one round trip: %w", addr, last)
		}
		time.Sleep(delay)
	}
}

// writeUntil writes to c until stop is set or a write fails.
func writeUntil(c net.Conn, stop *atomic.Bool) {
	for !stop.Load() {
		if _, err := c.Write(zeros); err != nil {
			return
		}
	}
}

// jain is Jain's fairness index of xs: (Σx)² / (n·Σx²), 1 when all are equal.
func jain(xs []float64) float64 {
	var sum, sq float64
	for _, x := range xs {
		sum += x
		sq += x * x
	}
	if sq == 0 {
		return 0
	}
	return sum * sum / (float64(len(xs)) * sq)
}

// relayCopy copies a↔b with ioBuffer buffers until both directions end;
// an EOF is passed on as a half-close, an error closes both.
func relayCopy(a, b net.Conn) {
	var wg sync.WaitGroup
	cp := func(dst, src net.Conn) {
		buf := make([]byte, ioBuffer)
		for {
			n, err := src.Read(buf)
			if n > 0 {
				if _, werr := dst.Write(buf[:n]); werr != nil {
					a.Close()
					b.Close()
					return
				}
			}
			if err != nil {
				if errors.Is(err, io.EOF) {
					closeWrite(dst)
				} else {
					a.Close()
					b.Close()
				}
				return
			}
		}
	}
	wg.Add(1)
	go func() { defer wg.Done(); cp(b, a) }()
	cp(a, b)
	wg.Wait()
	a.Close()
	b.Close()
}

func closeWrite(c net.Conn) {
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite()
		return
	}
	_ = c.Close()
}

// relayTLS is a TLS 1.3 server and client configuration with a fresh
// self-signed ECDSA P-256 certificate for 127.0.0.1.
func relayTLS(t *testing.T) (server, client *tls.Config) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "tunnel bench relay"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	server = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}}, MinVersion: tls.VersionTLS13}
	client = &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS13}
	return server, client
}

// startTLSRelay starts the bare two-hop TLS relay, the reference of the
// tunnel's data path, with the same topology: per connection, the local
// listener L dials the middle relay M over TLS 1.3 and names the target;
// M asks the far relay F (over an in-process control channel, standing in
// for the Jumpoint's control connection) to dial back; F dials M over TLS
// 1.3 — at farDial(addr), a delay link when the far leg is delayed — and
// then the target. Every relay copies both ways with ioBuffer buffers and
// passes half-closes on. It returns L's address per target.
func startTLSRelay(t *testing.T, targets []string, farDial func(string) string) []string {
	srvTLS, cliTLS := relayTLS(t)
	m1, m2 := listen(t), listen(t)
	farAddr := farDial(m2.Addr().String())
	type call struct {
		id     uint64
		target int
	}
	var (
		pending sync.Map // id → L's connection at M
		nextID  atomic.Uint64
		ctrl    = make(chan call, 1024)
		done    = make(chan struct{})
	)
	t.Cleanup(func() { close(done) })
	serve(tls.NewListener(m1, srvTLS), func(c net.Conn) {
		var hdr [1]byte
		if _, err := io.ReadFull(c, hdr[:]); err != nil {
			c.Close()
			return
		}
		id := nextID.Add(1)
		pending.Store(id, c)
		select {
		case ctrl <- call{id, int(hdr[0])}:
		case <-done:
			c.Close()
		}
	})
	serve(tls.NewListener(m2, srvTLS), func(c net.Conn) {
		var b [8]byte
		if _, err := io.ReadFull(c, b[:]); err != nil {
			c.Close()
			return
		}
		l, ok := pending.LoadAndDelete(binary.BigEndian.Uint64(b[:]))
		if !ok {
			c.Close()
			return
		}
		relayCopy(l.(net.Conn), c)
	})
	go func() { // F
		for {
			var cl call
			select {
			case cl = <-ctrl:
			case <-done:
				return
			}
			go func() {
				up, err := tls.Dial("tcp", farAddr, cliTLS)
				if err != nil {
					return
				}
				var b [8]byte
				binary.BigEndian.PutUint64(b[:], cl.id)
				if _, err := up.Write(b[:]); err != nil {
					up.Close()
					return
				}
				down, err := net.Dial("tcp", targets[cl.target])
				if err != nil {
					up.Close()
					return
				}
				relayCopy(up, down)
			}()
		}
	}()
	entries := make([]string, len(targets))
	for i := range targets {
		l := listen(t)
		entries[i] = l.Addr().String()
		serve(l, func(c net.Conn) {
			up, err := tls.Dial("tcp", m1.Addr().String(), cliTLS)
			if err != nil {
				c.Close()
				return
			}
			if _, err := up.Write([]byte{byte(i)}); err != nil {
				c.Close()
				up.Close()
				return
			}
			relayCopy(c, up)
		})
	}
	return entries
}

// delayLink emulates a long path: every connection through it is delayed
// by oneWay in each direction, and each direction holds at most limit
// bytes in flight (reading stops while that much is queued), as a link
// with finite buffering does. A single stream through it is therefore
// bounded by limit/oneWay, whatever its window.
type delayLink struct {
	oneWay atomic.Int64 // time.Duration
	limit  int
}

// set changes the delay; it applies to data read from then on.
func (d *delayLink) set(oneWay time.Duration) { d.oneWay.Store(int64(oneWay)) }

// forwarder listens on a new port and forwards every connection to target
// through the link.
func (d *delayLink) forwarder(t *testing.T, target string) string {
	ln := listen(t)
	serve(ln, func(c net.Conn) {
		up, err := net.Dial("tcp", target)
		if err != nil {
			c.Close()
			return
		}
		d.join(c, c, up)
	})
	return ln.Addr().String()
}

// connectProxy is an HTTP CONNECT proxy whose tunnels go through the link:
// the Jumpoint node is installed with --proxy pointing here, so that only
// its connection to the appliance is delayed.
func (d *delayLink) connectProxy(t *testing.T) string {
	ln := listen(t)
	serve(ln, func(c net.Conn) {
		br := bufio.NewReader(c)
		req, err := http.ReadRequest(br)
		if err != nil || req.Method != http.MethodConnect {
			_, _ = io.WriteString(c, "HTTP/1.1 405 Method Not Allowed\r\nConnection: close\r\n\r\n")
			c.Close()
			return
		}
		up, err := net.Dial("tcp", req.Host)
		if err != nil {
			_, _ = io.WriteString(c, "HTTP/1.1 502 Bad Gateway\r\nConnection: close\r\n\r\n")
			c.Close()
			return
		}
		if _, err := io.WriteString(c, "HTTP/1.1 200 Connection established\r\n\r\n"); err != nil {
			c.Close()
			up.Close()
			return
		}
		d.join(c, readerConn{Conn: c, r: br}, up)
	})
	return ln.Addr().String()
}

// readerConn reads through a bufio.Reader that may hold bytes already.
type readerConn struct {
	net.Conn
	r *bufio.Reader
}

func (c readerConn) Read(b []byte) (int, error) { return c.r.Read(b) }

// join pipes the client connection c (read through cr) and up both ways
// through the link.
func (d *delayLink) join(c, cr, up net.Conn) {
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); d.pipe(up, cr) }()
	go func() { defer wg.Done(); d.pipe(c, up) }()
	wg.Wait()
	c.Close()
	up.Close()
}

type delayed struct {
	b   *[]byte
	n   int
	due time.Time
}

var chunkPool = sync.Pool{New: func() any { b := make([]byte, 64<<10); return &b }}

// pipe copies src to dst, each chunk due oneWay after it was read, with at
// most limit bytes queued; an EOF is passed on as a half-close.
func (d *delayLink) pipe(dst, src net.Conn) {
	var (
		mu     sync.Mutex
		cond   = sync.NewCond(&mu)
		queued int
		failed bool
		q      = make(chan delayed, 1<<14)
	)
	go func() {
		for ch := range q {
			if w := time.Until(ch.due); w > 0 {
				time.Sleep(w)
			}
			_, err := dst.Write((*ch.b)[:ch.n])
			chunkPool.Put(ch.b)
			mu.Lock()
			queued -= ch.n
			if err != nil {
				failed = true
			}
			cond.Signal()
			mu.Unlock()
			if err != nil {
				src.Close()
				for ch := range q {
					chunkPool.Put(ch.b)
				}
				return
			}
		}
		closeWrite(dst)
	}()
	defer close(q)
	for {
		mu.Lock()
		for queued >= d.limit && !failed {
			cond.Wait()
		}
		room := d.limit - queued
		stop := failed
		mu.Unlock()
		if stop {
			return
		}
		b := chunkPool.Get().(*[]byte)
		n, err := src.Read((*b)[:min(room, len(*b))])
		if n > 0 {
			mu.Lock()
			queued += n
			mu.Unlock()
			q <- delayed{b: b, n: n, due: time.Now().Add(time.Duration(d.oneWay.Load()))}
		} else {
			chunkPool.Put(b)
		}
		if err != nil {
			return
		}
	}
}
