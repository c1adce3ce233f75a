package api

import "time"

// PathJumpItems is the Jump Items list: Jump Clients and Protocol Tunnel
// Jumps in one list, with the caller's visibility.
const PathJumpItems = "jump-items"

// Jump Item kinds, the kind of a JumpItem and of a live event's object.
const (
	KindJumpClient         = "jump_client"
	KindProtocolTunnelJump = "protocol_tunnel_jump"
)

// Protocol Tunnel Jump statuses in the Jump Items list: online when a node
// of its jumpoint holds a connection.
const (
	TunnelOnline  = "online"
	TunnelOffline = "offline"
)

// JumpItem is one entry of GET /api/v1/jump-items: the common fields of a
// Jump Client or a Protocol Tunnel Jump, enough to show, search and sort a
// list and to start a session. (kind, id) names the object in its own
// collection: /api/v1/jump-clients/{id} or
// /api/v1/protocol-tunnel-jumps/{id}.
type JumpItem struct {
	// Kind is jump_client or protocol_tunnel_jump.
	Kind string `json:"kind"`
	// ID is the object's id in its collection.
	ID int64 `json:"id"`
	// Name is the item's name.
	Name string `json:"name"`
	// JumpGroupID and JumpGroupType name the owner: a shared Jump Group or
	// a user's personal list.
	JumpGroupID   int64  `json:"jump_group_id"`
	JumpGroupType string `json:"jump_group_type"`
	// Tag groups items within a Jump Group.
	Tag string `json:"tag"`
	// Comments are the item's comments.
	Comments string `json:"comments"`
	// Status is, for a Jump Client, online, offline, lost or uninstalled;
	// for a Protocol Tunnel Jump, online when its jumpoint has a
	// connected node and offline otherwise.
	Status string `json:"status"`
	// Hostname is the host a Jump Client reported, or the host a tunnel
	// jump reaches.
	Hostname string `json:"hostname"`
	// LastSeenAt is when a Jump Client was last heard from; absent for
	// tunnel jumps and for clients never seen.
	LastSeenAt *time.Time `json:"last_seen_at,omitempty"`
	// JumpointID is the jumpoint of a Protocol Tunnel Jump.
	JumpointID *int64 `json:"jumpoint_id,omitempty"`
	// ConnectionType is a Jump Client's active or standby.
	ConnectionType string `json:"connection_type,omitempty"`
	// Platform is a Jump Client's platform.
	Platform string `json:"platform,omitempty"`
}
