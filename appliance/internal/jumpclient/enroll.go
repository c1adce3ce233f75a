package jumpclient

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/api/agentproto"
	"github.com/jumpgate/jumpgate/api/keyinfo"
	"github.com/jumpgate/jumpgate/appliance/internal/agentid"
	"github.com/jumpgate/jumpgate/appliance/internal/audit"
	"github.com/jumpgate/jumpgate/appliance/internal/installer"
	"github.com/jumpgate/jumpgate/appliance/internal/problem"
	"github.com/jumpgate/jumpgate/appliance/internal/resource"
	"github.com/jumpgate/jumpgate/appliance/internal/settings"
)

// Enroll makes (or re-binds) the Jump Client of an installation.
//
// The key info p has been verified (signature, signed expiry) by the caller.
// Enroll re-checks the installer in the database: it must still exist and
// not have expired, and every override asked for must be allowed by its
// current allow_override_* flags. Overrides are resolved by code name
// ("jumpgroup:<code>", "user:<username>", policy code names, a portal host
// name; an unknown site address falls back to the default portal, as seed
// 000 says).
//
// Reinstall rule: one client per (host_id, install_mode, run_user). Host
// ids are no secret (a machine id, or JUMPGATE_AGENT_HOST_ID), so a match
// alone never hands a client over. An enrollment from a host that already
// has a client of that install re-binds it — the new key replaces the old
// (which is retired), the fields are re-applied from the new installer, and
// the id, history and audit trail stay — only when all of these hold:
//
//   - the client is in the installer's own jump group, before overrides
//     (an installer that may override the group cannot reach other
//     groups' clients), and the overrides do not move it elsewhere;
//   - the client is not connected now (a live agent's key is never
//     retired by an enrollment);
//   - the request proves the reinstall (req.Replaces, signed with the
//     client's current key, which the installer found in the old install),
//     or the client is uninstalled (its agent reported its uninstall, or
//     it was offline past max_offline_minutes; its key is refused either
//     way).
//
// Anything else is refused (409) with the client's id, so that an
// administrator who wiped the machine deletes the old client first
// (DELETE /api/v1/jump-clients/{id}, audited).
func (s *Service) Enroll(ctx context.Context, p *keyinfo.Payload, req *agentproto.EnrollRequest, publicIP string, now time.Time) (*agentproto.EnrollResponse, *Record, error) {
	var out *agentproto.EnrollResponse
	var rec *Record
	var replaced []byte
	err := s.DB.W.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var inst installer.Record
		err := tx.Where("installer_id = ?", p.InstallerID).Take(&inst).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return problem.Forbidden("installer %s was deleted or its key was re-issued; use a current installer or key info", p.InstallerID)
		}
		if err != nil {
			return fmt.Errorf("read installer: %w", err)
		}
		if !now.Before(inst.ExpiresAt) {
			return problem.Forbidden("installer %s expired at %s; create a new installer or extend it and download it again", inst.InstallerID, inst.ExpiresAt.Format(time.RFC3339))
		}
		allowed := map[string]bool{}
		for _, f := range inst.AllowedOverrides() {
			allowed[f] = true
		}
		inv := &problem.Invalid{}
		for _, f := range req.Overrides.Needs() {
			if !allowed[f] {
				inv.Add("overrides."+f, "is not allowed by installer %s (allow_override_%s is false)", inst.InstallerID, f)
			}
		}
		if err := inv.Err(); err != nil {
			return err
		}
		a, err := resolve(ctx, tx, &inst, &req.Overrides, &req.Facts)
		if err != nil {
			return err
		}
		st, err := settings.Current(ctx, tx)
		if err != nil {
			return err
		}
		if a.ConnectionType == "" {
			a.ConnectionType = st.DefaultConnectionType
		}
		if err := resource.Validate(a); err != nil {
			return err
		}

		var existing Record
		found := false
		if req.Facts.HostID != "" {
			err := tx.Where("host_id = ? AND install_mode = ? AND run_user = ?", req.Facts.HostID, req.Facts.InstallMode, req.Facts.User).Take(&existing).Error
			switch {
			case err == nil:
				found = true
			case !errors.Is(err, gorm.ErrRecordNotFound):
				return fmt.Errorf("look up existing client: %w", err)
			}
		}
		if !found && req.Replaces != nil && req.Replaces.Kind == agentproto.KindJumpClient {
			// A proven reinstall whose host id changed (a regenerated
			// machine id) keeps its client too.
			var named Record
			err := tx.Take(&named, req.Replaces.ID).Error
			switch {
			case err == nil:
				found = req.Replaces.Verify(agentproto.KindJumpClient, named.ID, named.PublicKey, req.PublicKey, now)
				existing = named
			case !errors.Is(err, gorm.ErrRecordNotFound):
				return fmt.Errorf("look up replaced client: %w", err)
			}
		}
		r := &Record{}
		action := "enroll"
		reboundBy := ""
		if found {
			if reboundBy, err = s.rebindable(ctx, tx, &existing, &inst, a, req, now); err != nil {
				return err
			}
			r = &existing
			replaced = existing.PublicKey
			if err := agentid.Bury(ctx, tx, agentproto.KindJumpClient, existing.ID, existing.PublicKey, "replaced by a reinstall"); err != nil {
				return err
			}
			action = "rebind"
		}
		if err := fromAPI(a, r); err != nil {
			return err
		}
		r.InstallerID, r.HostID, r.InstallMode, r.RunUser = inst.InstallerID, req.Facts.HostID, req.Facts.InstallMode, req.Facts.User
		r.Platform, r.PublicKey = req.Facts.Platform, req.PublicKey
		t := now.UTC().Truncate(time.Microsecond)
		r.UpdatedAt = t
		if found {
			r.Version++
			if err := tx.Model(r).Select("*").Omit("id", "created_at").Updates(r).Error; err != nil {
				return fmt.Errorf("re-bind jump client: %w", err)
			}
		} else {
			r.CreatedAt, r.Version = t, 1
			if err := tx.Create(r).Error; err != nil {
				return fmt.Errorf("create jump client: %w", err)
			}
		}
		state := &State{ClientID: r.ID, Status: api.ClientOffline, PublicIP: publicIP, LastSeenAt: &t}
		FactsToState(&req.Facts, state)
		state.Version = req.Version
		if err := tx.Save(state).Error; err != nil {
			return fmt.Errorf("write jump client state: %w", err)
		}
		diff := resource.Diff(nil, toAPI(r))
		if reboundBy != "" {
			diff["rebound_by"] = api.FieldChange{New: reboundBy}
		}
		if err := audit.Write(ctx, tx, action, "jump_client", r.ID, r.Name, diff); err != nil {
			return err
		}
		rec = r
		out = &agentproto.EnrollResponse{Kind: agentproto.KindJumpClient, ID: r.ID, Name: r.Name, Rebound: found, Config: ConfigFor(r, st)}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	if replaced != nil && s.Hub != nil {
		s.Hub.Retire(agentproto.KindJumpClient, rec.ID, false, "replaced by a reinstall")
	}
	return out, rec, nil
}

// Why a re-bind was allowed, in its audit event (rebound_by).
const (
	reboundByProof       = "old_key_proof"
	reboundByUninstalled = "uninstalled"
)

// rebindable checks the reinstall rule of Enroll for existing, the client
// the enrolling host already has; a is the new client's resolved fields.
// It returns why the re-bind is allowed.
func (s *Service) rebindable(ctx context.Context, tx *gorm.DB, existing *Record, inst *installer.Record, a *api.JumpClient, req *agentproto.EnrollRequest, now time.Time) (string, error) {
	if existing.JumpGroupID != inst.JumpGroupID || existing.JumpGroupType != inst.JumpGroupType {
		return "", problem.Conflict("this host already has jump client %d in another jump group than installer %s's; "+
			"use an installer of that jump group, or delete the client (DELETE /api/v1/%s/%d) before installing into this one",
			existing.ID, inst.InstallerID, api.PathJumpClients, existing.ID)
	}
	if existing.JumpGroupID != a.JumpGroupID || existing.JumpGroupType != a.JumpGroupType {
		return "", problem.Conflict("this host already has jump client %d (%q) in another jump group; delete it before installing into a different jump group", existing.ID, existing.Name)
	}
	if s.Hub != nil && s.Hub.IsConnected(agentproto.KindJumpClient, existing.ID) {
		return "", problem.Conflict("this host already has jump client %d (%q), and it %s: a connected client is never replaced. "+
			"Reinstall over it on its machine (the installer finds the old install and stops it), or delete it (DELETE /api/v1/%s/%d) first",
			existing.ID, existing.Name, agentproto.ReplaceConnected, api.PathJumpClients, existing.ID)
	}
	if req.Replaces.Verify(agentproto.KindJumpClient, existing.ID, existing.PublicKey, req.PublicKey, now) {
		return reboundByProof, nil
	}
	var st State
	err := tx.WithContext(ctx).Where("client_id = ?", existing.ID).Take(&st).Error
	if err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
		return "", fmt.Errorf("read jump client state: %w", err)
	}
	if err == nil && st.Status == api.ClientUninstalled {
		// Its agent said, with its own key, that it is gone, or it was
		// offline past max_offline_minutes, after which its agent removes
		// itself. Either way its key is refused from now on (the agent is
		// told to uninstall), so no live endpoint is handed over.
		return reboundByUninstalled, nil
	}
	why := "the enrollment carries no proof from the old install's key"
	if req.Replaces != nil {
		why = "the enrollment's proof from the old install's key does not verify (another client's, stale, or forged)"
	}
	return "", problem.Conflict("this host already has jump client %d (%q), and %s: a host id alone never replaces a client. "+
		"If the machine was wiped or the old install is lost, delete the old client (DELETE /api/v1/%s/%d) and install again",
		existing.ID, existing.Name, why, api.PathJumpClients, existing.ID)
}

// resolve builds the client's fields from the installer and the overrides.
func resolve(ctx context.Context, tx *gorm.DB, inst *installer.Record, o *agentproto.Overrides, f *agentproto.Facts) (*api.JumpClient, error) {
	a := &api.JumpClient{
		Name: inst.Name, JumpGroupID: inst.JumpGroupID, JumpGroupType: inst.JumpGroupType, PublicPortalID: inst.PublicPortalID,
		Tag: inst.Tag, Comments: inst.Comments, JumpPolicyID: inst.JumpPolicyID,
		AttendedSessionPolicyID: inst.AttendedSessionPolicyID, UnattendedSessionPolicyID: inst.UnattendedSessionPolicyID,
		ConnectionType: inst.ConnectionType, MaxOfflineMinutes: inst.MaxOfflineMinutes,
		SupportButtonProfile: inst.SupportButtonProfile, SupportButtonDirectQueue: inst.SupportButtonDirectQueue,
	}
	inv := &problem.Invalid{}
	str := func(p *string, dst *string) {
		if p != nil {
			*dst = *p
		}
	}
	str(o.Name, &a.Name)
	str(o.Tag, &a.Tag)
	str(o.Comments, &a.Comments)
	str(o.SupportButtonProfile, &a.SupportButtonProfile)
	str(o.SupportButtonDirectQueue, &a.SupportButtonDirectQueue)
	if o.MaxOfflineMinutes != nil {
		if *o.MaxOfflineMinutes == 0 || !api.ValidMaxOfflineMinutes(*o.MaxOfflineMinutes) {
			inv.Add("overrides.max_offline_minutes", "must be 5–525600 minutes")
		}
		a.MaxOfflineMinutes = *o.MaxOfflineMinutes
	}
	if o.JumpGroup != nil {
		kind, name, ok := strings.Cut(*o.JumpGroup, ":")
		name = strings.TrimSpace(name)
		switch {
		case ok && kind == "jumpgroup":
			id, err := lookup(ctx, tx, "jump_groups", "code_name = ?", name)
			if err != nil {
				return nil, err
			}
			if id == 0 {
				inv.Add("overrides.jump_group", "no jump group has code name %q", name)
			}
			a.JumpGroupID, a.JumpGroupType = id, api.JumpGroupShared
		case ok && kind == "user":
			id, err := lookup(ctx, tx, "users", "LOWER(username) = LOWER(?)", name)
			if err != nil {
				return nil, err
			}
			if id == 0 {
				inv.Add("overrides.jump_group", "no user is named %q", name)
			}
			a.JumpGroupID, a.JumpGroupType = id, api.JumpGroupPersonal
		default:
			inv.Add("overrides.jump_group", "must be jumpgroup:<code-name> or user:<username>, not %q", *o.JumpGroup)
		}
	}
	if o.PublicSiteAddress != nil {
		id, err := lookup(ctx, tx, "public_portals", "LOWER(hostname) = LOWER(?)", *o.PublicSiteAddress)
		if err != nil {
			return nil, err
		}
		// An unknown site address reverts to the default site.
		a.PublicPortalID = nil
		if id != 0 {
			a.PublicPortalID = &id
		}
	}
	policies := []struct {
		field, table, title string
		val                 *string
		dst                 **int64
	}{
		{"overrides.session_policy_present", "session_policies", "session policy", o.SessionPolicyPresent, &a.AttendedSessionPolicyID},
		{"overrides.session_policy_not_present", "session_policies", "session policy", o.SessionPolicyNotPresent, &a.UnattendedSessionPolicyID},
		{"overrides.jump_policy", "jump_policies", "jump policy", o.JumpPolicy, &a.JumpPolicyID},
	}
	for _, pol := range policies {
		if pol.val == nil {
			continue
		}
		id, err := lookup(ctx, tx, pol.table, "code_name = ?", *pol.val)
		if err != nil {
			return nil, err
		}
		if id == 0 {
			inv.Add(pol.field, "no %s has code name %q", pol.title, *pol.val)
			continue
		}
		*pol.dst = &id
	}
	if a.Name == "" {
		a.Name = f.Hostname
	}
	if a.Name == "" {
		a.Name = "jump client"
	}
	if len(a.Name) > 128 {
		a.Name = a.Name[:128]
	}
	if a.JumpGroupType == "" {
		a.JumpGroupType = api.JumpGroupShared
	}
	return a, inv.Err()
}

func lookup(ctx context.Context, tx *gorm.DB, table, where string, arg any) (int64, error) {
	var ids []int64
	if err := tx.WithContext(ctx).Table(table).Where(where, arg).Limit(1).Pluck("id", &ids).Error; err != nil {
		return 0, fmt.Errorf("look up %s: %w", table, err)
	}
	if len(ids) == 0 {
		return 0, nil
	}
	return ids[0], nil
}

// FactsToState copies reported host facts onto a state row, bounded to the
// column sizes.
func FactsToState(f *agentproto.Facts, s *State) {
	s.Hostname, s.FQDN, s.OS = clip(f.Hostname, 253), clip(f.FQDN, 253), clip(f.OS, 128)
	s.PrivateIP, s.MACAddress, s.DefaultGateway = clip(f.PrivateIP, 64), clip(f.MACAddress, 32), clip(f.DefaultGateway, 64)
	s.ConsoleUser = clip(f.ConsoleUser, 128)
	s.Headless = f.Headless
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// ConfigFor is the agent configuration of client r under settings st.
func ConfigFor(r *Record, st *settings.Record) agentproto.Config {
	c := agentproto.Config{
		Name: r.Name, ConnectionType: r.ConnectionType, StandbyCheckInMinutes: st.StandbyCheckInMinutes,
		Statistics: st.Statistics, StatisticsIntervalSeconds: st.StatisticsIntervalSeconds,
		RestrictLocalUninstall:       st.RestrictLocalUninstall,
		UninstallAfterOfflineMinutes: st.DeletedAfterDays * 24 * 60,
	}
	if c.Statistics == nil {
		c.Statistics = []string{}
	}
	if r.MaxOfflineMinutes > 0 && r.MaxOfflineMinutes < c.UninstallAfterOfflineMinutes {
		c.UninstallAfterOfflineMinutes = r.MaxOfflineMinutes
	}
	return c
}

// ValidPublicKey reports whether b is an Ed25519 public key.
func ValidPublicKey(b []byte) bool { return len(b) == ed25519.PublicKeySize }
