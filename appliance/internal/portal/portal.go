// Package portal manages public portals: the public sites through which
// customers and Jump Clients connect.
package portal

import (
	"context"
	"fmt"
	"strings"

	"gorm.io/gorm"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/appliance/internal/db"
	"github.com/jumpgate/jumpgate/appliance/internal/problem"
	"github.com/jumpgate/jumpgate/appliance/internal/resource"
)

// Record is a public portal row.
type Record struct {
	resource.Base
	resource.Labeled
	Hostname        string `gorm:"size:253;not null;uniqueIndex"`
	DisplayName     string `gorm:"size:128;not null"`
	Default         bool   `gorm:"column:is_default;not null"`
	SessionPolicyID *int64 `gorm:"index"`
	// AutomaticBehavior answers consent prompts on headless endpoints.
	AutomaticBehavior string `gorm:"size:8;not null;default:'reject'"`
}

// TableName fixes the table name.
func (Record) TableName() string { return "public_portals" }

// refs are the references of a public portal.
var refs = []resource.Reference{
	{Table: "public_portals", Column: "session_policy_id", Field: "session_policy_id", Target: "session_policies", Noun: "session policy", Title: "public portals"},
}

func init() { resource.Register(refs...) }

func toAPI(r *Record) *api.PublicPortal {
	return &api.PublicPortal{Meta: r.Meta(), Hostname: r.Hostname, DisplayName: r.DisplayName, Default: r.Default, SessionPolicyID: r.SessionPolicyID, AutomaticBehavior: r.AutomaticBehavior}
}

func fromAPI(a *api.PublicPortal, r *Record) error {
	r.Hostname, r.DisplayName, r.Default, r.SessionPolicyID = a.Hostname, a.DisplayName, a.Default, a.SessionPolicyID
	r.AutomaticBehavior = a.AutomaticBehavior
	return nil
}

func check(ctx context.Context, tx *gorm.DB, a *api.PublicPortal, id int64) error {
	inv := &problem.Invalid{}
	if err := resource.CheckRefs(ctx, tx, inv, refs, map[string]*int64{"session_policy_id": a.SessionPolicyID}); err != nil {
		return err
	}
	if err := inv.Err(); err != nil {
		return err
	}
	if a.Default {
		var other Record
		err := tx.WithContext(ctx).Where("is_default = ? AND id <> ?", true, id).Take(&other).Error
		if err == nil {
			return problem.Conflict("public portal %q is already the default; unset it first", other.Hostname)
		}
		if err != gorm.ErrRecordNotFound {
			return err
		}
	}
	return nil
}

// Service is the public-portals collection.
type Service = resource.Service[api.PublicPortal, Record]

// New returns the public-portals collection over d.
func New(d *db.DB) *Service {
	return &Service{DB: d, Spec: resource.Spec[api.PublicPortal, Record]{
		Kind: "public_portal", Path: api.PathPublicPortals, Title: "Public Portal",
		ToAPI: toAPI, FromAPI: fromAPI, Check: check,
		Defaults: func(a *api.PublicPortal) {
			a.Hostname = strings.TrimSuffix(strings.ToLower(a.Hostname), ".")
			a.ApplyDefaults()
		},
		Unique: map[string]string{"hostname": "hostname"},
		BeforeDelete: func(ctx context.Context, tx *gorm.DB, r *Record) error {
			return resource.RefuseIfUsed(ctx, tx, fmt.Sprintf("public portal %q", r.Hostname), "public_portals", r.ID)
		},
		Name:         func(a *api.PublicPortal) string { return a.Hostname },
		NonAdminRead: true,
		Search:       []string{"hostname", "display_name"}, SearchDoc: "hostname and display_name",
		Sorts: map[string]string{"hostname": "hostname", "display_name": "display_name"},
		Filters: map[string]resource.Filter{
			"hostname": {Column: "hostname", Doc: "Only the portal with this hostname."},
			"default":  {Column: "is_default", Bool: true, Doc: "Only the default portal (true) or the others (false)."},
		},
	}}
}
