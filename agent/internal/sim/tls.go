package sim

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"sync"
	"time"

	"github.com/jumpgate/jumpgate/agent/internal/conn"
	"github.com/jumpgate/jumpgate/api/agentproto"
)

// ServeTLS is the baseline server of the benchmark: the least a Go program
// can do to hold idle TLS connections. It accepts on ln, runs the handshake
// with cfg and then waits for data in a goroutine per connection, until ln
// is closed. It returns after ln is closed and every connection it accepted
// has been closed.
func ServeTLS(ln net.Listener, cfg *tls.Config) error {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		conns = map[net.Conn]struct{}{}
	)
	defer func() {
		mu.Lock()
		for c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	}()
	for {
		c, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return err
		}
		tc := tls.Server(c, cfg)
		mu.Lock()
		conns[tc] = struct{}{}
		mu.Unlock()
		wg.Go(func() {
			defer func() {
				tc.Close()
				mu.Lock()
				delete(conns, tc)
				mu.Unlock()
			}()
			_ = tc.SetDeadline(time.Now().Add(agentproto.HandshakeTimeout))
			if err := tc.Handshake(); err != nil {
				return
			}
			_ = tc.SetDeadline(time.Time{})
			var b [64]byte
			for {
				if _, err := tc.Read(b[:]); err != nil {
					return
				}
			}
		})
	}
}

// TLSFleet is the baseline client of the benchmark: it holds plain idle TLS
// connections to Addr, made the way conn.Dialer makes the agent's (the same
// pinned client configuration, no session resumption), counting each
// completed handshake as a welcome in its Stats.
type TLSFleet struct {
	// Addr is the server's host:port.
	Addr string
	// CAPin pins the server's CA.
	CAPin string
	// LocalAddr is the source IP; "" lets the system choose.
	LocalAddr string
	// Count is how many connections to hold.
	Count int
	// Ramp bounds the handshakes in flight; 0 means no bound.
	Ramp int

	c counters
}

// Stats returns the counters now; safe to call while Run runs.
func (f *TLSFleet) Stats() Stats { return f.c.stats() }

// Run opens Count connections and holds them until ctx ends. A connection
// that fails or is lost is made again after a second.
func (f *TLSFleet) Run(ctx context.Context) {
	f.c.start(f.Count)
	host, _, err := net.SplitHostPort(f.Addr)
	if err != nil {
		f.c.fail(err)
		return
	}
	cfg := agentproto.PinnedTLSConfig(f.CAPin, host)
	nd := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	if f.LocalAddr != "" {
		nd.LocalAddr = &net.TCPAddr{IP: net.ParseIP(f.LocalAddr)}
	}
	var ramp chan struct{}
	if f.Ramp > 0 {
		ramp = make(chan struct{}, f.Ramp)
	}
	var wg sync.WaitGroup
	for range f.Count {
		wg.Go(func() {
			first := true
			for ctx.Err() == nil {
				if first && ramp != nil {
					select {
					case ramp <- struct{}{}:
					case <-ctx.Done():
						return
					}
				}
				c, err := f.dial(ctx, nd, cfg)
				if first && ramp != nil {
					<-ramp
				}
				if err == nil {
					f.c.welcome(first, 0, time.Time{})
					first = false
					stop := context.AfterFunc(ctx, func() { c.Close() })
					var b [64]byte
					for {
						if _, err = c.Read(b[:]); err != nil {
							break
						}
					}
					stop()
					c.Close()
					f.c.connected.Add(-1)
					if ctx.Err() != nil {
						return
					}
					f.c.lost.Add(1)
				} else if ctx.Err() == nil {
					f.c.fail(err)
				}
				t := time.NewTimer(conn.DefaultBackoffMin)
				select {
				case <-ctx.Done():
					t.Stop()
					return
				case <-t.C:
				}
			}
		})
	}
	wg.Wait()
}

func (f *TLSFleet) dial(ctx context.Context, nd *net.Dialer, cfg *tls.Config) (*tls.Conn, error) {
	hctx, cancel := context.WithTimeout(ctx, agentproto.HandshakeTimeout)
	defer cancel()
	raw, err := nd.DialContext(hctx, "tcp", f.Addr)
	if err != nil {
		return nil, err
	}
	c := tls.Client(raw, cfg)
	if err := c.HandshakeContext(hctx); err != nil {
		raw.Close()
		return nil, err
	}
	return c, nil
}
