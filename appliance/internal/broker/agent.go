package broker

import (
	"context"
	"time"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/api/agentproto"
	"github.com/jumpgate/jumpgate/appliance/internal/auth"
	"github.com/jumpgate/jumpgate/appliance/internal/tunneljump"
)

// reconnectGrace is how long a session outlives its endpoint's connection,
// waiting for the agent to come back.
const reconnectGrace = time.Minute

// AgentMessage handles a session message from an agent: a consent answer,
// or the end user revoking or restoring control or ending the session. An
// agent may speak only of sessions on itself.
func (b *Broker) AgentMessage(kind string, id int64, m *agentproto.Control) {
	var sid int64
	switch {
	case m.Type == agentproto.MsgPromptAnswer && m.Answer != nil:
		sid = m.Answer.Session
	case m.Type == agentproto.MsgSessionControl && m.SessionControl != nil:
		sid = m.SessionControl.Session
	default:
		return
	}
	b.mu.Lock()
	l := b.live[sid]
	mine := l != nil && l.agentKind == kind && l.agentID == id
	b.mu.Unlock()
	if !mine {
		b.log.Warn("an agent spoke of a session that is not on it", "kind", kind, "id", id, "session", sid, "type", m.Type)
		return
	}
	switch m.Type {
	case agentproto.MsgPromptAnswer:
		by := "end user"
		if m.Answer.By != "" {
			by = "end user " + m.Answer.By
		}
		if m.Answer.Accept {
			b.answer(sid, true, ActAccepted, by)
		} else {
			b.answer(sid, false, ActRejected, by)
		}
	case agentproto.MsgSessionControl:
		c := m.SessionControl
		by := "end user"
		if c.By != "" {
			by = "end user " + c.By
		}
		if c.End {
			detail := "the end user ended the session"
			if c.By != "" {
				detail = "the end user (" + c.By + ") ended the session"
			}
			if c.Reason != "" {
				detail += ": " + c.Reason
			}
			ctx := auth.WithPrincipal(context.Background(), auth.Principal{Username: api.EndedByEndUser})
			b.End(ctx, sid, api.EndedByEndUser, api.EndEndUser, detail)
			return
		}
		b.setControl(sid, c.Revoked, by)
	}
}

// AgentConnected re-sends an agent the sessions on it, which it forgot
// when its connection dropped.
func (b *Broker) AgentConnected(kind string, id int64, jumpointID int64) {
	b.mu.Lock()
	var ls []*live
	for _, l := range b.live {
		if (l.agentKind == kind && l.agentID == id) || (kind == agentproto.KindJumpoint && l.rec.JumpointID == jumpointID && jumpointID != 0) {
			ls = append(ls, l)
		}
	}
	b.mu.Unlock()
	for _, l := range ls {
		b.publish(l, "", "")
	}
}

// AgentDisconnected ends a customer client's session at once, and a Jump
// Client's (or a tunnel jump's, when no node of its Jumpoint is left)
// after reconnectGrace unless the agent is back.
func (b *Broker) AgentDisconnected(kind string, id int64, jumpointID int64) {
	ctx := auth.WithPrincipal(context.Background(), auth.System)
	if kind == agentproto.KindCustomer {
		b.End(ctx, id, api.EndedByEndUser, api.EndEndpointGone, "the customer client disconnected")
		return
	}
	b.mu.Lock()
	var ids []int64
	for sid, l := range b.live {
		if (l.agentKind == kind && l.agentID == id) || (kind == agentproto.KindJumpoint && l.rec.JumpointID == jumpointID && jumpointID != 0) {
			ids = append(ids, sid)
		}
	}
	b.mu.Unlock()
	if len(ids) == 0 {
		return
	}
	time.AfterFunc(reconnectGrace, func() {
		if kind == agentproto.KindJumpoint {
			if len(b.hub.JumpointNodes(jumpointID)) > 0 {
				return
			}
		} else if b.hub.IsConnected(kind, id) {
			return
		}
		for _, sid := range ids {
			b.End(ctx, sid, api.EndedBySystem, api.EndEndpointGone, "the endpoint's agent disconnected and did not come back")
		}
	})
}

// TunnelTargets are what the nodes of a Jumpoint may dial: the hostname and
// remote ports of each of its Protocol Tunnel Jumps.
func (b *Broker) TunnelTargets(ctx context.Context, jumpointID int64) ([]agentproto.TunnelTarget, error) {
	var rows []tunneljump.Record
	if err := b.db.R.WithContext(ctx).Where("jumpoint_id = ?", jumpointID).Order("id").Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]agentproto.TunnelTarget, 0, len(rows))
	for _, r := range rows {
		t := agentproto.TunnelTarget{Item: r.ID, Host: r.Hostname}
		for _, d := range r.TunnelDefinitions {
			t.Ports = append(t.Ports, d.RemotePort)
		}
		out = append(out, t)
	}
	return out, nil
}

// ItemsChanged ends the live sessions whose item was deleted.
func (b *Broker) ItemsChanged() {
	b.mu.Lock()
	type key struct {
		typ string
		id  int64
	}
	items := map[key][]int64{}
	for sid, l := range b.live {
		if l.rec.ItemType == api.ItemJumpClient || l.rec.ItemType == api.ItemProtocolTunnelJump {
			k := key{l.rec.ItemType, l.rec.ItemID}
			items[k] = append(items[k], sid)
		}
	}
	b.mu.Unlock()
	ctx := auth.WithPrincipal(context.Background(), auth.System)
	for k, sids := range items {
		table := "jump_clients"
		if k.typ == api.ItemProtocolTunnelJump {
			table = "protocol_tunnel_jumps"
		}
		var n int64
		if err := b.db.R.Table(table).Where("id = ?", k.id).Count(&n).Error; err != nil || n > 0 {
			continue
		}
		for _, sid := range sids {
			b.End(ctx, sid, api.EndedBySystem, api.EndItemDeleted, "the session's item was deleted")
		}
	}
}
