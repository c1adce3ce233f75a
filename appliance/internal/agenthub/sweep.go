package agenthub

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/api/agentproto"
	"github.com/jumpgate/jumpgate/appliance/internal/agentid"
	"github.com/jumpgate/jumpgate/appliance/internal/audit"
	"github.com/jumpgate/jumpgate/appliance/internal/auth"
	"github.com/jumpgate/jumpgate/appliance/internal/jumpclient"
)

func (h *Hub) sweepLoop() {
	defer h.wg.Done()
	t := time.NewTicker(h.cfg.SweepInterval)
	defer t.Stop()
	for {
		select {
		case <-h.ctx.Done():
			return
		case <-t.C:
			if err := h.Sweep(h.ctx, h.cfg.Now()); err != nil && h.ctx.Err() == nil {
				h.log.Error("jump client maintenance failed", "err", err)
			}
		}
	}
}

// Sweep applies the Jump Client lifecycle rules as of now, to clients not
// connected now:
//   - max_offline_minutes (per client, 5 = ephemeral): offline longer → the
//     uninstalled_behavior applies (marked uninstalled, or removed);
//   - lost_after_days: offline longer → status lost;
//   - deleted_after_days: not seen longer → deleted.
//
// Retired keys older than deleted_after_days are forgotten. Every change is
// audited as the system.
func (h *Hub) Sweep(ctx context.Context, now time.Time) error {
	h.flush(ctx)
	ctx = auth.WithPrincipal(ctx, auth.System)
	h.setMu.Lock()
	h.setCache = nil
	h.setMu.Unlock()
	st, err := h.settings(ctx)
	if err != nil {
		return err
	}
	now = now.UTC()
	type row struct {
		jumpclient.Record
		Status     string
		LastSeenAt *time.Time
	}
	var rows []row
	err = h.cfg.DB.R.WithContext(ctx).Table("jump_clients c").
		Select("c.*, s.status, s.last_seen_at").
		Joins("JOIN jump_client_states s ON s.client_id = c.id").
		Where("s.status <> ?", api.ClientOnline).
		Where("s.last_seen_at IS NULL OR s.last_seen_at < ?", now.Add(-5*time.Minute)).
		Find(&rows).Error
	if err != nil {
		return fmt.Errorf("list offline jump clients: %w", err)
	}
	lost := now.AddDate(0, 0, -st.LostAfterDays)
	deleted := now.AddDate(0, 0, -st.DeletedAfterDays)
	for i := range rows {
		r := &rows[i]
		if h.IsConnected(agentproto.KindJumpClient, r.ID) {
			continue
		}
		seen := r.CreatedAt
		if r.LastSeenAt != nil {
			seen = *r.LastSeenAt
		}
		switch {
		case seen.Before(deleted):
			if err := h.deleteClient(ctx, &r.Record, fmt.Sprintf("not seen for %d days (deleted_after_days)", st.DeletedAfterDays)); err != nil {
				return err
			}
		case r.MaxOfflineMinutes > 0 && r.Status != api.ClientUninstalled && seen.Before(now.Add(-time.Duration(r.MaxOfflineMinutes)*time.Minute)):
			if err := h.markUninstalled(ctx, &r.Record, st, fmt.Sprintf("offline for more than %d minutes (max_offline_minutes)", r.MaxOfflineMinutes)); err != nil {
				return err
			}
		case r.Status == api.ClientOffline && seen.Before(lost):
			err := h.cfg.DB.W.WithContext(ctx).Model(&jumpclient.State{}).Where("client_id = ? AND status = ?", r.ID, api.ClientOffline).
				Update("status", api.ClientLost).Error
			if err != nil {
				return err
			}
			h.tellStatus(r.ID, api.ClientLost, seen)
		}
	}
	return agentid.Purge(ctx, h.cfg.DB.W, deleted)
}

func (h *Hub) deleteClient(ctx context.Context, rec *jumpclient.Record, why string) error {
	return h.cfg.DB.W.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		return removeClient(ctx, tx, rec, "delete", "deleted", map[string]api.FieldChange{"reason": {New: why}})
	})
}

// removeClient deletes a client and its state in tx, retiring its key so
// that its agent is told to uninstall on its next contact, and audits it.
func removeClient(ctx context.Context, tx *gorm.DB, rec *jumpclient.Record, action, why string, diff map[string]api.FieldChange) error {
	if err := agentid.Bury(ctx, tx, agentproto.KindJumpClient, rec.ID, rec.PublicKey, why); err != nil {
		return err
	}
	if err := tx.Where("client_id = ?", rec.ID).Delete(&jumpclient.State{}).Error; err != nil {
		return err
	}
	if err := tx.Delete(&jumpclient.Record{}, rec.ID).Error; err != nil {
		return err
	}
	return audit.Write(ctx, tx, action, "jump_client", rec.ID, rec.Name, diff)
}
