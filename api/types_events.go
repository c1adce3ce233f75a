package api

import "time"

// Names of the events of GET /api/v1/events, a Server-Sent Events stream
// (text/event-stream). Each event's `event:` line is its name and its
// `data:` line an Event in JSON.
const (
	// EventJumpClientStatus: a Jump Client's status changed (online,
	// offline, lost, uninstalled); id, status and last_seen_at are set.
	EventJumpClientStatus = "jump_client.status"
	// EventSessionStarted: a session became active; id and status.
	EventSessionStarted = "session.started"
	// EventSessionEnded: a session ended; id and status (ended, refused,
	// ...).
	EventSessionEnded = "session.ended"
	// EventStreamResync: events were dropped because the reader fell
	// behind; read the lists again.
	EventStreamResync = "stream.resync"
	// EventStreamClosed: the appliance closes the stream; reason says why
	// (the token was revoked, the user disabled, ...). Reconnecting with
	// the same credential fails when it was revoked.
	EventStreamClosed = "stream.closed"
)

// Event is the data of one event of the live status stream: the kind and
// id of the object that changed and its new status, never more. Read the
// object itself from its collection.
type Event struct {
	// Name is the event name, sent as the event: line.
	Name string `json:"-"`
	// Kind is the object kind: jump_client or session; empty for the
	// stream's own events.
	Kind string `json:"kind,omitempty"`
	// ID is the object's id in its collection.
	ID int64 `json:"id,omitempty"`
	// Status is the object's status after the change.
	Status string `json:"status,omitempty"`
	// LastSeenAt is when a Jump Client was last heard from.
	LastSeenAt *time.Time `json:"last_seen_at,omitempty"`
	// Reason says why the stream is closed (stream.closed).
	Reason string `json:"reason,omitempty"`
}
