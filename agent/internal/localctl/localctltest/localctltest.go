// Package localctltest is a small in-memory session manager for tests of
// the control socket and its commands: it keeps sessions, applies answers,
// control changes and ends as the agent's manager does (with its errors,
// session.ErrNoSession and session.ErrNotSent), records every call and
// publishes every change to its subscribers. Unlike the agent's manager,
// an answer takes effect at once (the appliance is not asked).
package localctltest

import (
	"fmt"
	"slices"
	"sync"

	"github.com/jumpgate/jumpgate/agent/internal/session"
	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/api/agentproto"
)

// Call is one call of Answer, SetControl or End.
type Call struct {
	// Op is answer, control or end.
	Op      string
	Session int64
	Accept  bool
	Revoked bool
	By      string
	Reason  string
}

// Manager is the fake. The zero value is not usable; use New.
type Manager struct {
	mu       sync.Mutex
	sessions map[int64]agentproto.SessionInfo
	calls    []Call
	subs     map[chan agentproto.SessionInfo]struct{}
	offline  error
}

// SetOffline makes SetControl and End fail to tell the appliance (with
// session.ErrNotSent) after they took effect, as when the agent is
// offline; nil connects again.
func (m *Manager) SetOffline(err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.offline = err
}

// notSent is the error of an action the appliance could not be told of.
// Called with m.mu held.
func (m *Manager) notSent() error {
	if m.offline == nil {
		return nil
	}
	return fmt.Errorf("%w: %w", session.ErrNotSent, m.offline)
}

// New returns a manager holding sessions.
func New(sessions ...agentproto.SessionInfo) *Manager {
	m := &Manager{sessions: map[int64]agentproto.SessionInfo{}, subs: map[chan agentproto.SessionInfo]struct{}{}}
	for _, s := range sessions {
		m.sessions[s.ID] = s
	}
	return m
}

// Put adds or replaces a session and publishes it, as a MsgSession does.
func (m *Manager) Put(s agentproto.SessionInfo) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if s.Status == api.SessionEnded {
		delete(m.sessions, s.ID)
	} else {
		m.sessions[s.ID] = s
	}
	m.publish(s)
}

// Sessions returns the prompting and active sessions by id.
func (m *Manager) Sessions() []agentproto.SessionInfo {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []agentproto.SessionInfo
	for _, s := range m.sessions {
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b agentproto.SessionInfo) int { return int(a.ID - b.ID) })
	return out
}

// Answer accepts (status active) or rejects (status ended) a prompting
// session.
func (m *Manager) Answer(id int64, accept bool, by string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls = append(m.calls, Call{Op: "answer", Session: id, Accept: accept, By: by})
	s, ok := m.sessions[id]
	if !ok || s.Status != api.SessionPrompting {
		return fmt.Errorf("%w waiting for consent: %d", session.ErrNoSession, id)
	}
	s.Prompt = nil
	if accept {
		s.Status = api.SessionActive
		m.sessions[id] = s
	} else {
		s.Status, s.EndReason = api.SessionEnded, api.RefusedConsentRejected
		delete(m.sessions, id)
	}
	m.publish(s)
	return nil
}

// SetControl sets an active session's ControlRevoked.
func (m *Manager) SetControl(id int64, revoked bool, by string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls = append(m.calls, Call{Op: "control", Session: id, Revoked: revoked, By: by})
	s, ok := m.sessions[id]
	if !ok || s.Status != api.SessionActive {
		return fmt.Errorf("%w active: %d", session.ErrNoSession, id)
	}
	s.ControlRevoked = revoked
	m.sessions[id] = s
	m.publish(s)
	return m.notSent()
}

// End ends a session.
func (m *Manager) End(id int64, by, reason string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls = append(m.calls, Call{Op: "end", Session: id, By: by, Reason: reason})
	s, ok := m.sessions[id]
	if !ok {
		return fmt.Errorf("%w: %d", session.ErrNoSession, id)
	}
	delete(m.sessions, id)
	s.Status, s.EndReason, s.Message, s.Prompt = api.SessionEnded, api.EndEndUser, reason, nil
	m.publish(s)
	return m.notSent()
}

// Subscribe returns a channel of every change until cancel.
func (m *Manager) Subscribe() (<-chan agentproto.SessionInfo, func()) {
	ch := make(chan agentproto.SessionInfo, 64)
	m.mu.Lock()
	m.subs[ch] = struct{}{}
	m.mu.Unlock()
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			m.mu.Lock()
			delete(m.subs, ch)
			m.mu.Unlock()
		})
	}
}

// Subscribers counts the subscriptions not cancelled.
func (m *Manager) Subscribers() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.subs)
}

// Calls returns every call so far.
func (m *Manager) Calls() []Call {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.calls)
}

// publish sends s to every subscriber; a full subscriber misses it (the
// buffer is far larger than any test needs).
func (m *Manager) publish(s agentproto.SessionInfo) {
	for ch := range m.subs {
		select {
		case ch <- s:
		default:
		}
	}
}
