package broker

import (
	"context"
	"sync"
	"time"

	"github.com/jumpgate/jumpgate/api"
)

// What one representative may hold of the appliance through session
// channels. Memory is what a channel costs: per open stream at most two
// multiplexer windows (wsmux.Window, the representative's leg and the
// agent's) and two splice buffers; per stream not yet accepted at most
// yamux's initial 256 KiB window, for at most channelBacklog of them. So:
//
//   - a channel has at most api.MaxChannelStreams streams open; past that the
//     appliance accepts none until one closes, and the client's multiplexer
//     waits (the stock CLI) or has its surplus reset (anything else);
//   - a user has at most api.MaxUserStreams streams open over all their
//     channels, and at most api.MaxUserChannels channels;
//   - the whole appliance has at most maxStreams session streams open, so
//     that many users together are bounded too;
//   - a stream has openDeadline to send its Open line, of at most
//     sessionproto.MaxOpenLine bytes, and at most maxPendingOpens streams of
//     a channel wait for theirs. A client that breaks either rule is not
//     the stock CLI: its whole channel is closed, which frees everything
//     it buffered at once.
const (
	maxStreams      = 8192
	maxPendingOpens = 32
	openDeadline    = 10 * time.Second
)

// limits counts what users hold. Its zero value is not usable; see
// newLimits.
type limits struct {
	global chan struct{}

	mu       sync.Mutex
	streams  map[int64]int // user id → open streams
	channels map[int64]int // user id → open channels
	// freed is closed and replaced whenever a user's stream closes, for
	// channels waiting for a slot of that user.
	freed chan struct{}
}

func newLimits() *limits {
	return &limits{global: make(chan struct{}, maxStreams), streams: map[int64]int{},
		channels: map[int64]int{}, freed: make(chan struct{})}
}

// openChannel counts a new channel of user; false when the user has
// api.MaxUserChannels open already.
func (m *limits) openChannel(user int64) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.channels[user] >= api.MaxUserChannels {
		return false
	}
	m.channels[user]++
	return true
}

// closeChannel forgets a channel counted by openChannel.
func (m *limits) closeChannel(user int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.channels[user]--; m.channels[user] <= 0 {
		delete(m.channels, user)
	}
}

// acquire waits for a stream slot of user and of the appliance, until ctx
// ends (false).
func (m *limits) acquire(ctx context.Context, user int64) bool {
	for {
		m.mu.Lock()
		if m.streams[user] < api.MaxUserStreams {
			m.streams[user]++
			m.mu.Unlock()
			break
		}
		freed := m.freed
		m.mu.Unlock()
		select {
		case <-freed:
		case <-ctx.Done():
			return false
		}
	}
	select {
	case m.global <- struct{}{}:
		return true
	case <-ctx.Done():
		m.releaseUser(user)
		return false
	}
}

// release gives back a slot taken by acquire.
func (m *limits) release(user int64) {
	<-m.global
	m.releaseUser(user)
}

func (m *limits) releaseUser(user int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.streams[user]--; m.streams[user] <= 0 {
		delete(m.streams, user)
	}
	close(m.freed)
	m.freed = make(chan struct{})
}
