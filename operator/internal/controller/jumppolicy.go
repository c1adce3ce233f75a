package controller

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/operator/api/v1alpha1"
)

func init() { register(JumpPolicyKind) }

// JumpPolicyKind reconciles JumpPolicy into the appliance's jump-policies,
// keyed by code name. approverUsernames are resolved to the appliance's user
// ids; the resource waits (WaitingForReference) while a user is missing.
func JumpPolicyKind() *Kind[*v1alpha1.JumpPolicy, api.JumpPolicy] {
	return &Kind[*v1alpha1.JumpPolicy, api.JumpPolicy]{
		Name: "JumpPolicy", Noun: "jump policy",
		New: func() *v1alpha1.JumpPolicy { return &v1alpha1.JumpPolicy{} },
		Key: func(o *v1alpha1.JumpPolicy) (string, string) { return "code_name", codeName(o.Spec.CodeName, o) },
		Desired: func(ctx context.Context, r *Resolver, o *v1alpha1.JumpPolicy) (*api.JumpPolicy, error) {
			s := o.Spec
			// Every field is managed, so lists are never nil (nil would
			// leave them unmanaged), and zero values get the appliance's
			// defaults (the CRD defaults them too), so what is compared is
			// what the appliance stores.
			a := &api.JumpPolicy{
				DisplayName:                s.DisplayName,
				CodeName:                   codeName(s.CodeName, o),
				Description:                s.Description,
				ScheduleEnabled:            s.ScheduleEnabled,
				Schedule:                   make([]api.ScheduleEntry, 0, len(s.Schedule)),
				Timezone:                   s.Timezone,
				ScheduleStrict:             s.ScheduleStrict,
				SimultaneousJumps:          s.SimultaneousJumps,
				TicketIDRequired:           s.TicketIDRequired,
				TicketIDWebhookURL:         s.TicketIDWebhookURL,
				ApprovalRequired:           s.ApprovalRequired,
				ApprovalUserIDs:            make([]int64, 0, len(s.ApproverUsernames)),
				ApprovalMaxDuration:        int(s.ApprovalMaxDuration),
				SessionStartNotification:   s.SessionStartNotification,
				SessionEndNotification:     s.SessionEndNotification,
				NotificationEmailAddresses: append([]string{}, s.NotificationEmailAddresses...),
				NotificationWebhookURL:     s.NotificationWebhookURL,
				RecordingsDisabled:         s.RecordingsDisabled,
			}
			a.ApplyDefaults()
			for _, w := range s.Schedule {
				a.Schedule = append(a.Schedule, api.ScheduleEntry{Day: w.Day, StartTime: w.StartTime, EndTime: w.EndTime})
			}
			if s.ExpiresAt != nil {
				// The appliance keeps whole seconds in UTC.
				t := s.ExpiresAt.UTC().Truncate(time.Second)
				a.ExpiresAt = &t
			}
			for _, u := range s.ApproverUsernames {
				id, err := r.UserID(ctx, u)
				if err != nil {
					return nil, err
				}
				a.ApprovalUserIDs = append(a.ApprovalUserIDs, id)
			}
			return a, nil
		},
		Canon: func(a *api.JumpPolicy) {
			slices.SortFunc(a.Schedule, func(x, y api.ScheduleEntry) int {
				return cmp.Or(cmp.Compare(weekday[x.Day], weekday[y.Day]), cmp.Compare(x.StartTime, y.StartTime), cmp.Compare(x.EndTime, y.EndTime))
			})
			slices.Sort(a.ApprovalUserIDs)
			slices.Sort(a.NotificationEmailAddresses)
		},
		// Removing expiresAt from the spec removes the expiry.
		Clearable: []string{"expires_at"},
		Get:       (*api.Client).GetJumpPolicy,
		List:      (*api.Client).ListJumpPolicies,
		Create:    (*api.Client).CreateJumpPolicy,
		Update:    (*api.Client).UpdateJumpPolicy,
		Delete:    (*api.Client).DeleteJumpPolicy,
	}
}

// weekday orders schedule days from monday.
var weekday = map[string]int{"monday": 1, "tuesday": 2, "wednesday": 3, "thursday": 4, "friday": 5, "saturday": 6, "sunday": 7}
