package agenthub

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestAdmission_FairShare walks the admission rules with a budget of 4.
func TestAdmission_FairShare(t *testing.T) {
	a := newAdmission(4)
	cut := map[string]int{}
	admit := func(ip string) *ticket {
		return a.admit(ip, func() { cut[ip]++ })
	}

	// One address may take the whole budget while there is room.
	var flood []*ticket
	for range 4 {
		tk := admit("192.0.2.1")
		require.NotNil(t, tk)
		flood = append(flood, tk)
	}
	assert.Nil(t, admit("192.0.2.1"), "full: an address over its share is refused")

	// A newcomer is under its share (4/2): it takes the oldest place of the flood.
	b1 := admit("198.51.100.1")
	require.NotNil(t, b1)
	assert.Equal(t, 1, cut["192.0.2.1"])
	assert.True(t, flood[0].wasEvicted())
	flood[0].release() // the evicted handshake ends: no place is given back twice
	total, addrs := a.inFlight()
	assert.Equal(t, 4, total)
	assert.Equal(t, 2, addrs)

	// Authenticated handshakes are not evicted.
	for _, tk := range flood[1:] {
		tk.authenticated()
	}
	b1.authenticated()
	assert.Nil(t, admit("203.0.113.1"), "nothing the newcomer may evict")

	// At its share (2 of 4 with two addresses) an address is refused.
	flood[1].release()
	b2 := admit("198.51.100.1")
	require.NotNil(t, b2)
	assert.Nil(t, admit("198.51.100.1"), "at its share")

	// IPv6 counts by /64.
	assert.Equal(t, sourceKey("2001:db8:1:2::1"), sourceKey("2001:db8:1:2:ffff::9"))
	assert.NotEqual(t, sourceKey("2001:db8:1:2::1"), sourceKey("2001:db8:1:3::1"))
	assert.Equal(t, sourceKey("192.0.2.1"), sourceKey("::ffff:192.0.2.1"))

	for _, tk := range append(flood[2:], b1, b2) {
		tk.release()
	}
	total, addrs = a.inFlight()
	assert.Equal(t, 0, total)
	assert.Equal(t, 0, addrs)
}
