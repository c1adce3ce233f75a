// Package jumpoint manages Jumpoints: agents inside remote networks that
// proxy jumps into them, optionally clustered over up to 10 nodes.
package jumpoint

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/api/agentproto"
	"github.com/jumpgate/jumpgate/api/keyinfo"
	"github.com/jumpgate/jumpgate/appliance/internal/agentid"
	"github.com/jumpgate/jumpgate/appliance/internal/audit"
	"github.com/jumpgate/jumpgate/appliance/internal/db"
	"github.com/jumpgate/jumpgate/appliance/internal/problem"
	"github.com/jumpgate/jumpgate/appliance/internal/resource"
)

// Record is a Jumpoint row.
type Record struct {
	resource.Base
	resource.Labeled
	Name                  string   `gorm:"size:128;not null"`
	CodeName              string   `gorm:"size:64;not null;uniqueIndex"`
	Platform              string   `gorm:"size:32;not null"`
	Enabled               bool     `gorm:"not null"`
	Clustered             bool     `gorm:"not null"`
	ShellJumpEnabled      bool     `gorm:"not null"`
	ProtocolTunnelEnabled bool     `gorm:"not null"`
	ProxyEnabled          bool     `gorm:"not null"`
	ProxyHostname         string   `gorm:"size:253;not null"`
	ProxyPort             int      `gorm:"not null"`
	ProxyAllowedCIDRs     []string `gorm:"serializer:json;type:text"`
	Comments              string   `gorm:"size:1024;not null"`
}

// TableName fixes the table name.
func (Record) TableName() string { return "jumpoints" }

// Node is one enrolled node of a Jumpoint; Connected tells whether it holds
// a connection now. A node is made by enrolling `jumpgate-agent install`
// from the jumpoint's installer (or `jumpgate-agent run --key-info-file`);
// it authenticates with PublicKey until an administrator removes it.
type Node struct {
	ID          int64  `gorm:"primaryKey;autoIncrement"`
	JumpointID  int64  `gorm:"not null;index"`
	Hostname    string `gorm:"size:253;not null"`
	RemoteAddr  string `gorm:"size:64;not null"`
	Version     string `gorm:"size:64;not null"`
	Connected   bool   `gorm:"not null;index"`
	ConnectedAt *time.Time
	CreatedAt   time.Time `gorm:"not null"`
	// HostID identifies the machine across reinstalls.
	HostID string `gorm:"size:128;not null;default:'';index"`
	// PublicKey is the node's Ed25519 public key.
	PublicKey []byte
	// Platform is the node's platform.
	Platform       string `gorm:"size:32;not null;default:''"`
	DisconnectedAt *time.Time
}

// TableName fixes the table name.
func (Node) TableName() string { return "jumpoint_nodes" }

func toAPI(r *Record) *api.Jumpoint {
	return &api.Jumpoint{
		Meta: r.Meta(), Name: r.Name, CodeName: r.CodeName, Platform: r.Platform, Enabled: api.Bool(r.Enabled),
		Clustered: r.Clustered, ShellJumpEnabled: r.ShellJumpEnabled, ProtocolTunnelEnabled: r.ProtocolTunnelEnabled,
		JumpZoneProxy:  api.JumpZoneProxy{Enabled: r.ProxyEnabled, Hostname: r.ProxyHostname, Port: r.ProxyPort, AllowedClientCIDRs: orEmpty(r.ProxyAllowedCIDRs)},
		Comments:       r.Comments,
		ConnectedNodes: []api.JumpointNode{},
		Nodes:          []api.JumpointNodeInfo{},
	}
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func fromAPI(a *api.Jumpoint, r *Record) error {
	r.Name, r.CodeName, r.Platform, r.Enabled = a.Name, a.CodeName, a.Platform, *a.Enabled
	r.Clustered, r.ShellJumpEnabled, r.ProtocolTunnelEnabled = a.Clustered, a.ShellJumpEnabled, a.ProtocolTunnelEnabled
	p := a.JumpZoneProxy
	r.ProxyEnabled, r.ProxyHostname, r.ProxyPort, r.ProxyAllowedCIDRs = p.Enabled, p.Hostname, p.Port, orEmpty(p.AllowedClientCIDRs)
	r.Comments = a.Comments
	return nil
}

func defaults(a *api.Jumpoint) { a.ApplyDefaults() }

func check(ctx context.Context, tx *gorm.DB, a *api.Jumpoint, id int64) error {
	inv := &problem.Invalid{}
	if a.JumpZoneProxy.Enabled && a.JumpZoneProxy.Hostname == "" {
		inv.Add("jump_zone_proxy.hostname", "is required when the jump zone proxy is enabled")
	}
	if id != 0 {
		// Refuse to switch off a capability that existing objects rely on,
		// rather than leave them unsaveable.
		var cur Record
		if err := tx.WithContext(ctx).Take(&cur, id).Error; err != nil {
			return err
		}
		if cur.ProtocolTunnelEnabled && !a.ProtocolTunnelEnabled {
			n, err := resource.CountRefs(ctx, tx, "protocol_tunnel_jumps", "jumpoint_id", id)
			if err != nil {
				return err
			}
			if n > 0 {
				return problem.Conflict("jumpoint %q still serves %s; move or delete them before setting protocol_tunnel_enabled to false", cur.CodeName, resource.Counted(n, "protocol tunnel jumps"))
			}
		}
		if cur.ProxyEnabled && !a.JumpZoneProxy.Enabled {
			n, err := resource.CountRefs(ctx, tx, "jump_client_installers", "jumpoint_proxy_id", id)
			if err != nil {
				return err
			}
			if n > 0 {
				return problem.Conflict("jumpoint %q is the jumpoint proxy of %d jump client installers; change them before disabling jump_zone_proxy", cur.CodeName, n)
			}
		}
	}
	if id != 0 && !a.Clustered {
		var n int64
		if err := tx.WithContext(ctx).Model(&Node{}).Where("jumpoint_id = ?", id).Count(&n).Error; err != nil {
			return err
		}
		if n > 1 {
			inv.Add("clustered", "cannot be false while %d nodes are enrolled; remove nodes first (DELETE /api/v1/%s/%d/nodes/{node_id})", n, api.PathJumpoints, id)
		}
	}
	return inv.Err()
}

func hydrate(ctx context.Context, tx *gorm.DB, items []*api.Jumpoint) error {
	ids := make([]int64, len(items))
	byID := map[int64]*api.Jumpoint{}
	for i, it := range items {
		ids[i] = it.ID
		byID[it.ID] = it
	}
	var nodes []Node
	if err := tx.WithContext(ctx).Where("jumpoint_id IN ?", ids).Order("id").Find(&nodes).Error; err != nil {
		return fmt.Errorf("load jumpoint nodes: %w", err)
	}
	for i := range nodes {
		n := &nodes[i]
		j := byID[n.JumpointID]
		j.Nodes = append(j.Nodes, nodeInfo(n))
		if !n.Connected {
			continue
		}
		var at time.Time
		if n.ConnectedAt != nil {
			at = *n.ConnectedAt
		}
		j.ConnectedNodes = append(j.ConnectedNodes, api.JumpointNode{ID: n.ID, Hostname: n.Hostname, RemoteAddr: n.RemoteAddr, Version: n.Version, ConnectedAt: at})
		j.Connected = true
	}
	return nil
}

// nodeInfo is the api form of an enrolled node. A row keeps connected_at
// after its connection ends and disconnected_at after it connects again, so
// each shows only while it describes the node's present state.
func nodeInfo(n *Node) api.JumpointNodeInfo {
	out := api.JumpointNodeInfo{ID: n.ID, Hostname: n.Hostname, HostID: n.HostID, Platform: n.Platform, Version: n.Version,
		RemoteAddr: n.RemoteAddr, Connected: n.Connected, CreatedAt: n.CreatedAt}
	if n.Connected {
		out.ConnectedAt = n.ConnectedAt
	} else {
		out.LastSeenAt = n.DisconnectedAt
	}
	return out
}

// A jumpoint's delete removes its nodes.
func init() {
	resource.Register(resource.Reference{Table: "jumpoint_nodes", Column: "jumpoint_id", Target: "jumpoints", Cascade: true})
}

// Service is the jumpoints collection.
type Service = resource.Service[api.Jumpoint, Record]

// New returns the jumpoints collection over d. retire, when set, is told
// the node ids of a deleted jumpoint and why, to cut their connections;
// their keys are retired so the nodes uninstall themselves when they next
// connect.
func New(d *db.DB, retire func(nodeIDs []int64, reason string)) *Service {
	return &Service{DB: d, Spec: resource.Spec[api.Jumpoint, Record]{
		Kind: "jumpoint", Path: api.PathJumpoints, Title: "Jumpoint",
		ToAPI: toAPI, FromAPI: fromAPI, Defaults: defaults, Check: check, Hydrate: hydrate,
		Unique: map[string]string{"code_name": "code_name"},
		BeforeDelete: func(ctx context.Context, tx *gorm.DB, r *Record) error {
			if err := resource.RefuseIfUsed(ctx, tx, fmt.Sprintf("jumpoint %q", r.CodeName), "jumpoints", r.ID); err != nil {
				return err
			}
			var nodes []Node
			if err := tx.WithContext(ctx).Where("jumpoint_id = ?", r.ID).Find(&nodes).Error; err != nil {
				return err
			}
			ids := make([]int64, len(nodes))
			for i, n := range nodes {
				ids[i] = n.ID
				if err := agentid.Bury(ctx, tx, agentproto.KindJumpoint, n.ID, n.PublicKey, "jumpoint deleted"); err != nil {
					return err
				}
			}
			if err := tx.WithContext(ctx).Where("jumpoint_id = ?", r.ID).Delete(&Node{}).Error; err != nil {
				return err
			}
			if retire != nil && len(ids) > 0 {
				retire(ids, "the jumpoint was deleted on the appliance")
			}
			return nil
		},
		Name:   func(a *api.Jumpoint) string { return a.CodeName },
		Search: []string{"name", "code_name"}, SearchDoc: "name and code_name",
		Sorts: map[string]string{"name": "name", "code_name": "code_name"},
		Filters: map[string]resource.Filter{
			"code_name": {Column: "code_name", Doc: "Only the jumpoint with this code name."},
			"name":      {Column: "name", Doc: "Only jumpoints with this name."},
			"platform":  {Column: "platform", Doc: "Only jumpoints of this platform."},
			"enabled":   {Column: "enabled", Bool: true, Doc: "Only enabled (true) or disabled (false) jumpoints."},
		},
	}}
}

// Enroll adds (or re-binds) a node of the jumpoint named by the verified key
// info p. A host that already has a node of this jumpoint (same host id) is
// re-bound to the new key only when that node is not connected now
// (connected asks the hub) and the request proves the reinstall
// (req.Replaces, signed with the node's current key); host ids are no
// secret, so a match alone is refused (409) and an administrator (or the
// operator) removes the old node first. Otherwise the node is added if the
// jumpoint has room: one node, or up to api.MaxJumpointNodes when
// clustered.
func Enroll(ctx context.Context, d *db.DB, p *keyinfo.Payload, req *agentproto.EnrollRequest, remoteIP string, now time.Time, connected func(nodeID int64) bool) (*agentproto.EnrollResponse, *Node, []byte, error) {
	id, err := strconv.ParseInt(p.InstallerID, 10, 64)
	if err != nil {
		return nil, nil, nil, problem.Forbidden("key info names no jumpoint")
	}
	if n := req.Overrides.Needs(); len(n) > 0 {
		return nil, nil, nil, problem.Field("overrides", "a jumpoint installation takes no --jc-* overrides (got %s)", strings.Join(n, ", "))
	}
	var out *agentproto.EnrollResponse
	var node *Node
	var replaced []byte
	err = d.W.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var j Record
		err := tx.Take(&j, id).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return problem.Forbidden("jumpoint %d was deleted", id)
		}
		if err != nil {
			return fmt.Errorf("read jumpoint: %w", err)
		}
		if !j.Enabled {
			return problem.Forbidden("jumpoint %q is disabled; enable it before installing nodes", j.CodeName)
		}
		var nodes []Node
		if err := tx.Where("jumpoint_id = ?", id).Find(&nodes).Error; err != nil {
			return err
		}
		t := now.UTC().Truncate(time.Microsecond)
		n := &Node{JumpointID: id, CreatedAt: t}
		action := "enroll_node"
		var old *Node
		for i := range nodes {
			if req.Facts.HostID != "" && nodes[i].HostID == req.Facts.HostID {
				old = &nodes[i]
				break
			}
		}
		if old == nil && req.Replaces != nil && req.Replaces.Kind == agentproto.KindJumpoint {
			// A proven reinstall whose host id changed keeps its node too.
			for i := range nodes {
				if nodes[i].ID == req.Replaces.ID && req.Replaces.Verify(agentproto.KindJumpoint, nodes[i].ID, nodes[i].PublicKey, req.PublicKey, now) {
					old = &nodes[i]
				}
			}
		}
		if old != nil {
			remove := fmt.Sprintf("DELETE /api/v1/%s/%d/nodes/%d", api.PathJumpoints, j.ID, old.ID)
			if connected != nil && connected(old.ID) {
				return problem.Conflict("this host already has node %d of jumpoint %q, and it %s: a connected node is never replaced. "+
					"Reinstall over it on its machine (the installer finds the old install and stops it), or remove it with %s first",
					old.ID, j.CodeName, agentproto.ReplaceConnected, remove)
			}
			if !req.Replaces.Verify(agentproto.KindJumpoint, old.ID, old.PublicKey, req.PublicKey, now) {
				why := "the enrollment carries no proof from the old install's key"
				if req.Replaces != nil {
					why = "the enrollment's proof from the old install's key does not verify (another node's, stale, or forged)"
				}
				return problem.Conflict("this host already has node %d of jumpoint %q (%s), and %s: a host id alone never replaces a node. "+
					"If the old node is gone (a wiped machine, a pod with an empty volume), remove it with %s and install again",
					old.ID, j.CodeName, presence(old), why, remove)
			}
			n = old
			replaced = n.PublicKey
			action = "rebind_node"
			if err := agentid.Bury(ctx, tx, agentproto.KindJumpoint, n.ID, n.PublicKey, "replaced by a reinstall"); err != nil {
				return err
			}
		}
		if replaced == nil {
			limit := 1
			if j.Clustered {
				limit = api.MaxJumpointNodes
			}
			if len(nodes) >= limit {
				// Nodes that will not come back (replaced machines or
				// containers) hold their places until removed: say how.
				if j.Clustered {
					return problem.Conflict("jumpoint %q already has %d nodes, the most a cluster may have; "+
						"remove a node that is gone with DELETE /api/v1/%s/%d/nodes/{node_id} (the jumpoint's nodes field lists them, with connected and last_seen_at)",
						j.CodeName, len(nodes), api.PathJumpoints, j.ID)
				}
				return problem.Conflict("jumpoint %q is not clustered and already has a node (node %d on %q, %s); "+
					"set clustered to true, or remove that node with DELETE /api/v1/%s/%d/nodes/%d",
					j.CodeName, nodes[0].ID, nodes[0].Hostname, presence(&nodes[0]), api.PathJumpoints, j.ID, nodes[0].ID)
			}
		}
		n.Hostname, n.RemoteAddr, n.Version = clipTo(req.Facts.Hostname, 253), clipTo(remoteIP, 64), clipTo(req.Version, 64)
		n.HostID, n.PublicKey, n.Platform = clipTo(req.Facts.HostID, 128), req.PublicKey, clipTo(req.Facts.Platform, 32)
		if err := tx.Save(n).Error; err != nil {
			return fmt.Errorf("write jumpoint node: %w", err)
		}
		if err := audit.Write(ctx, tx, action, "jumpoint", j.ID, j.CodeName, map[string]api.FieldChange{
			"node": {New: map[string]any{"id": n.ID, "hostname": n.Hostname}},
		}); err != nil {
			return err
		}
		node = n
		out = &agentproto.EnrollResponse{Kind: agentproto.KindJumpoint, ID: n.ID, Name: j.Name, Rebound: replaced != nil, Config: NodeConfig(&j)}
		return nil
	})
	if err != nil {
		return nil, nil, nil, err
	}
	return out, node, replaced, nil
}

// NodeConfig is the agent configuration of a node of j.
func NodeConfig(j *Record) agentproto.Config {
	return agentproto.Config{Name: j.Name, ConnectionType: api.ConnectionActive, Statistics: []string{}, StatisticsIntervalSeconds: 300, StandbyCheckInMinutes: 60}
}

func clipTo(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// presence describes whether n is connected, for messages.
func presence(n *Node) string {
	switch {
	case n.Connected:
		return "connected"
	case n.DisconnectedAt != nil:
		return "not connected since " + n.DisconnectedAt.UTC().Format(time.RFC3339)
	}
	return "never connected"
}
