package agenthub

import (
	"context"
	"net/netip"
	"sync"
)

// admission shares the handshake budget (MaxHandshakes handshakes in
// flight) fairly between source addresses.
//
// While the budget has room every handshake is admitted, so one address
// may use all of it: many agents sit behind one NAT or proxy, and the scale
// benchmark puts thousands on one loopback address. Once it is full, a
// newcomer's address is compared with its fair share, budget / active
// addresses (counting the newcomer's):
//
//   - at or over its share, it is refused (503 busy, Retry-After): a flood
//     cannot grow past the budget;
//   - under its share, it takes the place of the oldest handshake still
//     waiting for its Auth message from the address that holds the most,
//     which is then over its share. That handshake is cut.
//
// So an address holding the whole budget with connections that never
// authenticate cannot keep agents of other addresses out: each newcomer
// evicts one of its idle handshakes. Only handshakes that have not sent Auth
// can be evicted, and an agent sends it at once, so an honest agent is
// exposed for a round trip; past Auth the short authTimeout no longer
// applies and the handshake keeps its place until it ends. IPv6 addresses
// count by /64, the block one host or home usually gets.
type admission struct {
	max int

	mu     sync.Mutex
	total  int
	byAddr map[netip.Addr]*addrTickets
}

type addrTickets struct {
	n int
	// waiting are the tickets that have not authenticated, oldest first.
	waiting []*ticket
}

// ticket is one admitted handshake.
type ticket struct {
	a    *admission
	addr netip.Addr
	// cancel cuts the handshake when it is evicted.
	cancel context.CancelFunc

	// Guarded by a.mu.
	released, evicted, authed bool
}

func newAdmission(max int) *admission {
	return &admission{max: max, byAddr: map[netip.Addr]*addrTickets{}}
}

// sourceKey is the address a handshake counts against: the client's IP, or
// its /64 for IPv6; an unparsable address counts as one shared key.
func sourceKey(ip string) netip.Addr {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return netip.Addr{}
	}
	a = a.Unmap().WithZone("")
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.Addr()
	}
	return a
}

// admit returns a ticket for a handshake from ip, whose cancel cuts it if
// it is evicted, or nil when it is refused.
func (a *admission) admit(ip string, cancel context.CancelFunc) *ticket {
	key := sourceKey(ip)
	a.mu.Lock()
	defer a.mu.Unlock()
	at := a.byAddr[key]
	if a.total >= a.max {
		active := len(a.byAddr)
		mine := 0
		if at == nil {
			active++
		} else {
			mine = at.n
		}
		// Under its share: mine < max/active, without rounding down to 0.
		if mine*active >= a.max || !a.evictLocked(active) {
			return nil
		}
		at = a.byAddr[key] // the eviction may have removed it (not ours: under share)
	}
	if at == nil {
		at = &addrTickets{}
		a.byAddr[key] = at
	}
	t := &ticket{a: a, addr: key, cancel: cancel}
	at.n++
	at.waiting = append(at.waiting, t)
	a.total++
	return t
}

// evictLocked cuts the oldest unauthenticated handshake of the address that
// holds the most of them among those over their share (max / active), and
// reports whether there was one.
func (a *admission) evictLocked(active int) bool {
	var victim *addrTickets
	for _, at := range a.byAddr {
		if len(at.waiting) > 0 && at.n*active > a.max && (victim == nil || at.n > victim.n) {
			victim = at
		}
	}
	if victim == nil {
		return false
	}
	t := victim.waiting[0]
	t.evicted = true
	a.removeLocked(t)
	t.cancel()
	return true
}

func (a *admission) removeLocked(t *ticket) {
	at := a.byAddr[t.addr]
	for i, w := range at.waiting {
		if w == t {
			at.waiting = append(at.waiting[:i:i], at.waiting[i+1:]...)
			break
		}
	}
	at.n--
	a.total--
	if at.n == 0 {
		delete(a.byAddr, t.addr)
	}
}

// authenticated marks the handshake as past Auth: it can no longer be
// evicted.
func (t *ticket) authenticated() {
	a := t.a
	a.mu.Lock()
	defer a.mu.Unlock()
	if t.released || t.evicted || t.authed {
		return
	}
	t.authed = true
	at := a.byAddr[t.addr]
	for i, w := range at.waiting {
		if w == t {
			at.waiting = append(at.waiting[:i:i], at.waiting[i+1:]...)
			break
		}
	}
}

// wasEvicted reports whether the handshake was cut to make room.
func (t *ticket) wasEvicted() bool {
	t.a.mu.Lock()
	defer t.a.mu.Unlock()
	return t.evicted
}

// release gives the place back; it may be called more than once.
func (t *ticket) release() {
	a := t.a
	a.mu.Lock()
	defer a.mu.Unlock()
	if t.released {
		return
	}
	t.released = true
	if !t.evicted {
		a.removeLocked(t)
	}
}

// inFlight returns the handshakes in flight and the active addresses.
func (a *admission) inFlight() (total, addrs int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.total, len(a.byAddr)
}
