package broker

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"time"

	"gorm.io/gorm"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/appliance/internal/audit"
	"github.com/jumpgate/jumpgate/appliance/internal/auth"
	"github.com/jumpgate/jumpgate/appliance/internal/jumppolicy"
	"github.com/jumpgate/jumpgate/appliance/internal/problem"
	"github.com/jumpgate/jumpgate/appliance/internal/resource"
)

// approved tells whether userID holds a granted, unexpired approval for
// the item under jp; if not, pendingID names a pending request to reuse.
func (b *Broker) approved(ctx context.Context, userID int64, it *item, jp *jumppolicy.Record, now time.Time) (bool, int64, error) {
	var rows []ApprovalRecord
	err := b.db.R.WithContext(ctx).Where("user_id = ? AND item_type = ? AND item_id = ? AND jump_policy_id = ? AND status IN ? AND expires_at > ?",
		userID, it.typ, it.id, jp.ID, []string{api.ApprovalGranted, api.ApprovalPending}, now).Order("id DESC").Find(&rows).Error
	if err != nil {
		return false, 0, err
	}
	var pending int64
	for _, r := range rows {
		if r.Status == api.ApprovalGranted {
			return true, 0, nil
		}
		if pending == 0 {
			pending = r.ID
		}
	}
	return false, pending, nil
}

// mayApprove tells whether p may decide approval a under policy jp: the
// policy's approvers (any administrator when it names none), and never the
// requester.
func mayApprove(p auth.Principal, a *ApprovalRecord, jp *jumppolicy.Record) bool {
	if p.UserID == a.UserID {
		return false
	}
	if jp != nil && len(jp.ApprovalUserIDs) > 0 {
		return slices.Contains(jp.ApprovalUserIDs, p.UserID)
	}
	return p.Admin
}

func (b *Broker) policyOf(ctx context.Context, id int64) (*jumppolicy.Record, error) {
	var jp jumppolicy.Record
	err := b.db.R.WithContext(ctx).Take(&jp, id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil
	}
	return &jp, err
}

// approvalQuery documents GET /api/v1/approvals.
var approvalQuery = map[string]string{
	"status": "Only approvals in this status: pending, granted, denied or expired.",
}

// Approvals lists the approvals the caller requested or may decide,
// newest first.
func (b *Broker) Approvals(ctx context.Context, q map[string][]string) (*api.List[api.Approval], error) {
	p, err := auth.MustFromContext(ctx)
	if err != nil {
		return nil, err
	}
	if err := knownQuery(q, approvalQuery); err != nil {
		return nil, err
	}
	status := ""
	if v := q["status"]; len(v) > 0 {
		status = v[0]
		switch status {
		case api.ApprovalPending, api.ApprovalGranted, api.ApprovalDenied, api.ApprovalExpired:
		default:
			return nil, problem.Field("status", "must be one of pending, granted, denied, expired")
		}
	}
	var rows []ApprovalRecord
	if err := b.db.R.WithContext(ctx).Order("id DESC").Limit(1000).Find(&rows).Error; err != nil {
		return nil, err
	}
	now := b.now()
	policies := map[int64]*jumppolicy.Record{}
	out := &api.List[api.Approval]{Items: []api.Approval{}}
	for i := range rows {
		a := &rows[i]
		if a.ExpiresAt != nil && !now.Before(*a.ExpiresAt) && (a.Status == api.ApprovalPending || a.Status == api.ApprovalGranted) {
			a.Status = api.ApprovalExpired
		}
		if status != "" && a.Status != status {
			continue
		}
		jp, ok := policies[a.JumpPolicyID]
		if !ok {
			jp, err = b.policyOf(ctx, a.JumpPolicyID)
			if err != nil {
				return nil, err
			}
			policies[a.JumpPolicyID] = jp
		}
		if !p.Admin && a.UserID != p.UserID && !mayApprove(p, a, jp) {
			continue
		}
		out.Items = append(out.Items, *a.toAPI())
	}
	return out, nil
}

// Decide grants or denies approval id.
func (b *Broker) Decide(ctx context.Context, id int64, grant bool, in *api.ApprovalDecision) (*api.Approval, error) {
	p, err := auth.MustFromContext(ctx)
	if err != nil {
		return nil, err
	}
	if err := resource.Validate(in); err != nil {
		return nil, err
	}
	var out *api.Approval
	err = b.db.W.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var a ApprovalRecord
		if err := tx.Take(&a, id).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return problem.NotFound("approval %d does not exist", id)
			}
			return err
		}
		var jp jumppolicy.Record
		jpErr := tx.Take(&jp, a.JumpPolicyID).Error
		var jpp *jumppolicy.Record
		if jpErr == nil {
			jpp = &jp
		}
		if !mayApprove(p, &a, jpp) {
			if p.UserID == a.UserID {
				return problem.Forbidden("you cannot decide your own approval request")
			}
			return problem.Forbidden("you are not an approver of jump policy %d", a.JumpPolicyID)
		}
		now := b.now().UTC()
		if a.Status != api.ApprovalPending || (a.ExpiresAt != nil && !now.Before(*a.ExpiresAt)) {
			return problem.Conflict("approval %d is no longer pending", id)
		}
		a.DecidedAt, a.DecidedBy, a.Comment = &now, p.Username, in.Comment
		action := ActApprovalDenied
		det := map[string]any{"comment": in.Comment, "requester": a.Username, "item_type": a.ItemType, "item_id": a.ItemID}
		if grant {
			maxMin := api.DefaultApprovalMaxDuration
			if jpp != nil && jpp.ApprovalMaxDuration > 0 {
				maxMin = jpp.ApprovalMaxDuration
			}
			mins := in.DurationMinutes
			if mins <= 0 || mins > maxMin {
				mins = maxMin
			}
			exp := now.Add(b.minutes(mins))
			a.Status, a.ExpiresAt, action = api.ApprovalGranted, &exp, ActApprovalGranted
			det["duration_minutes"], det["expires_at"] = mins, exp.Format(time.RFC3339)
		} else {
			a.Status = api.ApprovalDenied
		}
		if err := tx.Save(&a).Error; err != nil {
			return err
		}
		if err := audit.WriteEvent(ctx, tx, action, "approval", a.ID, a.ItemName, det); err != nil {
			return err
		}
		out = a.toAPI()
		return nil
	})
	return out, err
}

var _ = strconv.Itoa
