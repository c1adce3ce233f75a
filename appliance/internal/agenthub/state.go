package agenthub

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/api/agentproto"
	"github.com/jumpgate/jumpgate/appliance/internal/audit"
	"github.com/jumpgate/jumpgate/appliance/internal/instance"
	"github.com/jumpgate/jumpgate/appliance/internal/jumpclient"
	"github.com/jumpgate/jumpgate/appliance/internal/jumpoint"
	"github.com/jumpgate/jumpgate/appliance/internal/settings"
)

// clientUpdate is the queued change to one jump_client_states row; later
// changes overwrite earlier ones field by field.
type clientUpdate struct {
	status       string
	connectAt    *time.Time
	disconnectAt *time.Time
	seenAt       *time.Time
	facts        *agentproto.Facts
	publicIP     string
	version      string
	stats        *api.JumpClientStatistics
	presence     *api.JumpClientPresence
	consoleUser  *string
	// claim writes this process as the owner of the client's presence (it
	// connected here); an update without it that marks the client offline
	// applies only while this process is the owner, so that a disconnect
	// here never hides a newer connection to another process.
	claim bool
}

func (u *clientUpdate) seen(t time.Time) { u.seenAt = &t }

func (u *clientUpdate) columns() map[string]any {
	m := map[string]any{}
	if u.status != "" {
		m["status"] = u.status
	}
	if u.connectAt != nil {
		m["last_connect_at"] = *u.connectAt
	}
	if u.disconnectAt != nil {
		m["last_disconnect_at"] = *u.disconnectAt
	}
	if u.seenAt != nil {
		m["last_seen_at"] = *u.seenAt
	}
	if u.facts != nil {
		var s jumpclient.State
		jumpclient.FactsToState(u.facts, &s)
		m["hostname"], m["fqdn"], m["os"] = s.Hostname, s.FQDN, s.OS
		m["private_ip"], m["mac_address"], m["default_gateway"], m["console_user"] = s.PrivateIP, s.MACAddress, s.DefaultGateway, s.ConsoleUser
		m["headless"] = s.Headless
	}
	if u.publicIP != "" {
		m["public_ip"] = u.publicIP
	}
	if u.version != "" {
		m["version"] = u.version
	}
	// A map update bypasses the columns' JSON serializer: encode here.
	if u.stats != nil {
		b, _ := json.Marshal(u.stats)
		m["stats"] = string(b)
	}
	if u.presence != nil {
		b, _ := json.Marshal(u.presence)
		m["presence"] = string(b)
	}
	if u.consoleUser != nil {
		m["console_user"] = *u.consoleUser
	}
	return m
}

// nodeUpdate is the queued change to one jumpoint_nodes row; a connect
// claims the row for this process, a disconnect applies only while this
// process owns it.
type nodeUpdate struct {
	connected bool
	at        time.Time
	remote    string
	version   string
}

func (h *Hub) queueClient(id int64, f func(u *clientUpdate)) {
	h.qmu.Lock()
	u := h.pending[id]
	if u == nil {
		u = &clientUpdate{}
		h.pending[id] = u
	}
	f(u)
	h.qmu.Unlock()
}

func (h *Hub) queueNode(id int64, f func(u *nodeUpdate)) {
	h.qmu.Lock()
	u := h.nodes[id]
	if u == nil {
		u = &nodeUpdate{}
		h.nodes[id] = u
	}
	f(u)
	h.qmu.Unlock()
}

func (h *Hub) flushLoop() {
	defer h.wg.Done()
	t := time.NewTicker(h.cfg.FlushInterval)
	defer t.Stop()
	for {
		select {
		case <-h.ctx.Done():
			return
		case <-t.C:
			h.flush(h.ctx)
		}
	}
}

// Flush writes everything queued now; tests use it instead of waiting.
func (h *Hub) Flush(ctx context.Context) { h.flush(ctx) }

func (h *Hub) flush(ctx context.Context) {
	h.qmu.Lock()
	clients, nodes := h.pending, h.nodes
	h.pending, h.nodes = map[int64]*clientUpdate{}, map[int64]*nodeUpdate{}
	h.qmu.Unlock()
	if len(clients) == 0 && len(nodes) == 0 {
		return
	}
	start := time.Now()
	err := h.cfg.DB.W.WithContext(context.WithoutCancel(ctx)).Transaction(func(tx *gorm.DB) error {
		for id, u := range clients {
			// A client marked uninstalled stays so, whatever its last
			// connection reported on the way out.
			q := tx.Model(&jumpclient.State{}).Where("client_id = ? AND status <> ?", id, api.ClientUninstalled)
			cols := u.columns()
			switch {
			case u.claim:
				cols[instance.Column] = h.cfg.Instance
			case u.status == api.ClientOffline:
				q = q.Where(instance.Column+" = ?", h.cfg.Instance)
			}
			if err := q.Updates(cols).Error; err != nil {
				return fmt.Errorf("write jump client %d state: %w", id, err)
			}
		}
		for id, u := range nodes {
			q := tx.Model(&jumpoint.Node{}).Where("id = ?", id)
			cols := map[string]any{"connected": u.connected}
			if u.connected {
				cols["connected_at"], cols["remote_addr"], cols["version"] = u.at, u.remote, u.version
				cols[instance.Column] = h.cfg.Instance
			} else {
				cols["disconnected_at"] = u.at
				q = q.Where(instance.Column+" = ?", h.cfg.Instance)
			}
			if err := q.Updates(cols).Error; err != nil {
				return fmt.Errorf("write jumpoint node %d state: %w", id, err)
			}
		}
		return nil
	})
	h.m.flushes.Observe(time.Since(start).Seconds())
	if err != nil {
		h.log.Error("agent state not written", "clients", len(clients), "nodes", len(nodes), "err", err)
	}
}

// ReleaseOrphans marks disconnected the agents whose connection belonged
// to an appliance process that is not registered any more
// (instance.Unowned): a connection does not survive its process. The
// presence of agents connected to live processes is left alone.
func (h *Hub) ReleaseOrphans(ctx context.Context) error {
	now := h.cfg.Now().UTC()
	return h.cfg.DB.W.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Model(&jumpclient.State{}).Where("status = ?", api.ClientOnline).Where(instance.Unowned).
			Updates(map[string]any{"status": api.ClientOffline, "last_disconnect_at": now})
		if res.Error != nil {
			return fmt.Errorf("release jump client presence of stopped appliance processes: %w", res.Error)
		}
		clients := res.RowsAffected
		res = tx.Model(&jumpoint.Node{}).Where("connected = ?", true).Where(instance.Unowned).
			Updates(map[string]any{"connected": false, "disconnected_at": now})
		if res.Error != nil {
			return fmt.Errorf("release jumpoint node presence of stopped appliance processes: %w", res.Error)
		}
		if clients+res.RowsAffected > 0 {
			h.log.Info("marked offline the agents of stopped appliance processes", "jump_clients", clients, "jumpoint_nodes", res.RowsAffected)
		}
		return nil
	})
}

// Reclaim writes this process again as the owner of every agent connected
// here, for when another process took this one for dead and released them
// (instance.Config.Lost).
func (h *Hub) Reclaim() {
	now := h.cfg.Now().UTC()
	h.mu.Lock()
	conns := make([]*agentConn, 0, len(h.conns))
	for _, c := range h.conns {
		conns = append(conns, c)
	}
	h.mu.Unlock()
	for _, ac := range conns {
		switch ac.kind {
		case agentproto.KindJumpClient:
			h.queueClient(ac.id, func(u *clientUpdate) { u.status, u.claim = api.ClientOnline, true; u.seen(now) })
		case agentproto.KindJumpoint:
			h.queueNode(ac.id, func(u *nodeUpdate) { u.connected, u.at, u.remote, u.version = true, now, ac.publicIP, ac.version })
		}
	}
}

// markUninstalled applies uninstalled_behavior to a client that is gone
// from its endpoint: keep it marked uninstalled, or delete it.
func (h *Hub) markUninstalled(ctx context.Context, rec *jumpclient.Record, st *settings.Record, why string) error {
	// Drop queued updates so a late flush does not mark it online again.
	h.qmu.Lock()
	delete(h.pending, rec.ID)
	h.qmu.Unlock()
	now := h.cfg.Now().UTC()
	err := h.cfg.DB.W.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if st.UninstalledBehavior == "remove" {
			return removeClient(ctx, tx, rec, "uninstall", why, map[string]api.FieldChange{"removed": {New: why}})
		}
		if err := tx.Model(&jumpclient.State{}).Where("client_id = ?", rec.ID).
			Updates(map[string]any{"status": api.ClientUninstalled, "last_seen_at": now}).Error; err != nil {
			return err
		}
		return audit.Write(ctx, tx, "uninstall", "jump_client", rec.ID, rec.Name, map[string]api.FieldChange{"status": {New: api.ClientUninstalled}})
	})
	if err == nil {
		h.tellStatus(rec.ID, api.ClientUninstalled, now)
	}
	return err
}
