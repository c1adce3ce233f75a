// Package installer manages Jump Client installers (the Mass Deployment
// Wizard: installer defaults, allowed overrides and a validity of 10
// minutes to 1 year) and the signed key info that ties an installation to
// one of them.
package installer

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"gorm.io/gorm"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/api/keyinfo"
	"github.com/jumpgate/jumpgate/appliance/internal/audit"
	"github.com/jumpgate/jumpgate/appliance/internal/auth"
	"github.com/jumpgate/jumpgate/appliance/internal/db"
	"github.com/jumpgate/jumpgate/appliance/internal/downloadurl"
	"github.com/jumpgate/jumpgate/appliance/internal/grouppolicy"
	"github.com/jumpgate/jumpgate/appliance/internal/problem"
	"github.com/jumpgate/jumpgate/appliance/internal/resource"
	"github.com/jumpgate/jumpgate/appliance/internal/route"
)

// Record is a Jump Client installer row.
type Record struct {
	resource.Base
	resource.Labeled
	InstallerID               string    `gorm:"size:32;not null;uniqueIndex"`
	ExpiresAt                 time.Time `gorm:"not null;index"`
	ValidDuration             int       `gorm:"not null"`
	JumpGroupID               int64     `gorm:"not null;index:idx_jci_owner"`
	JumpGroupType             string    `gorm:"size:8;not null;index:idx_jci_owner"`
	PublicPortalID            *int64    `gorm:"index"`
	Name                      string    `gorm:"size:128;not null"`
	Comments                  string    `gorm:"size:1024;not null"`
	Tag                       string    `gorm:"size:64;not null"`
	JumpPolicyID              *int64    `gorm:"index"`
	AttendedSessionPolicyID   *int64    `gorm:"index"`
	UnattendedSessionPolicyID *int64    `gorm:"index"`
	ConnectionType            string    `gorm:"size:8;not null"`
	JumpointProxyID           *int64    `gorm:"index"`
	MaxOfflineMinutes         int       `gorm:"not null"`
	CustomerClientStartMode   string    `gorm:"size:16;not null"`
	SupportButtonProfile      string    `gorm:"size:64;not null"`
	SupportButtonDirectQueue  string    `gorm:"size:70;not null"`
	ElevateInstall            bool      `gorm:"not null"`
	ElevatePrompt             bool      `gorm:"not null"`
	// Overrides holds the allow_override_* flags by field name.
	Overrides map[string]bool `gorm:"serializer:json;type:text"`
}

// TableName fixes the table name.
func (Record) TableName() string { return "jump_client_installers" }

// refs are the references of an installer. check tests the jumpoint proxy
// itself, since it must also be a jump zone proxy.
var refs = append([]resource.Reference{
	{Table: "jump_client_installers", Column: "public_portal_id", Field: "public_portal_id", Target: "public_portals", Noun: "public portal", Title: "jump client installers"},
	{Table: "jump_client_installers", Column: "jump_policy_id", Field: "jump_policy_id", Target: "jump_policies", Noun: "jump policy", Title: "jump client installers"},
	{Table: "jump_client_installers", Column: "attended_session_policy_id", Field: "attended_session_policy_id", Target: "session_policies", Noun: "session policy",
		Title: "jump client installers (attended)"},
	{Table: "jump_client_installers", Column: "unattended_session_policy_id", Field: "unattended_session_policy_id", Target: "session_policies", Noun: "session policy",
		Title: "jump client installers (unattended)"},
	{Table: "jump_client_installers", Column: "jumpoint_proxy_id", Field: "jumpoint_proxy_id", Target: "jumpoints", Noun: "jumpoint",
		Title: "jump client installers (as jumpoint proxy)"},
}, grouppolicy.OwnerRefs("jump_client_installers", "jump client installers")...)

func init() { resource.Register(refs...) }

// overrideFields are the overridable fields, in the order of the
// installer's command-line tables, by their allow_override_<field> suffix.
var overrideFields = []string{
	"name", "jump_group", "public_portal", "attended_session_policy", "unattended_session_policy",
	"support_button_profile", "support_button_direct_queue", "jump_policy", "tag", "comments", "max_offline_minutes",
}

func overridePtrs(a *api.JumpClientInstaller) map[string]*bool {
	return map[string]*bool{
		"name": &a.AllowOverrideName, "jump_group": &a.AllowOverrideJumpGroup, "public_portal": &a.AllowOverridePublicPortal,
		"attended_session_policy": &a.AllowOverrideAttendedSessionPolicy, "unattended_session_policy": &a.AllowOverrideUnattendedSessionPolicy,
		"support_button_profile": &a.AllowOverrideSupportButtonProfile, "support_button_direct_queue": &a.AllowOverrideSupportButtonDirectQueue,
		"jump_policy": &a.AllowOverrideJumpPolicy, "tag": &a.AllowOverrideTag, "comments": &a.AllowOverrideComments,
		"max_offline_minutes": &a.AllowOverrideMaxOfflineMinutes,
	}
}

// AllowedOverrides returns the fields an installation may override.
func (r *Record) AllowedOverrides() []string {
	var out []string
	for _, f := range overrideFields {
		if r.Overrides[f] {
			out = append(out, f)
		}
	}
	return out
}

func toAPI(r *Record) *api.JumpClientInstaller {
	a := &api.JumpClientInstaller{
		Meta: r.Meta(), InstallerID: r.InstallerID, ExpiresAt: r.ExpiresAt, ValidDuration: r.ValidDuration,
		JumpGroupID: r.JumpGroupID, JumpGroupType: r.JumpGroupType, PublicPortalID: r.PublicPortalID,
		Name: r.Name, Comments: r.Comments, Tag: r.Tag, JumpPolicyID: r.JumpPolicyID,
		AttendedSessionPolicyID: r.AttendedSessionPolicyID, UnattendedSessionPolicyID: r.UnattendedSessionPolicyID,
		ConnectionType: r.ConnectionType, JumpointProxyID: r.JumpointProxyID, MaxOfflineMinutes: r.MaxOfflineMinutes,
		CustomerClientStartMode: r.CustomerClientStartMode, SupportButtonProfile: r.SupportButtonProfile,
		SupportButtonDirectQueue: r.SupportButtonDirectQueue, ElevateInstall: api.Bool(r.ElevateInstall), ElevatePrompt: r.ElevatePrompt,
	}
	for f, p := range overridePtrs(a) {
		*p = r.Overrides[f]
	}
	return a
}

// newInstallerID returns a fresh random installer id.
func newInstallerID() (string, error) {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate installer id: %w", err)
	}
	return hex.EncodeToString(b), nil
}

func fromAPI(a *api.JumpClientInstaller, r *Record) error {
	now := time.Now().UTC().Truncate(time.Second)
	if r.InstallerID == "" {
		id, err := newInstallerID()
		if err != nil {
			return err
		}
		r.InstallerID = id
	}
	// A new validity window starts whenever the duration is (re)set.
	if r.ExpiresAt.IsZero() || r.ValidDuration != a.ValidDuration {
		r.ExpiresAt = now.Add(time.Duration(a.ValidDuration) * time.Minute)
	}
	r.ValidDuration = a.ValidDuration
	r.JumpGroupID, r.JumpGroupType, r.PublicPortalID = a.JumpGroupID, a.JumpGroupType, a.PublicPortalID
	r.Name, r.Comments, r.Tag, r.JumpPolicyID = a.Name, a.Comments, a.Tag, a.JumpPolicyID
	r.AttendedSessionPolicyID, r.UnattendedSessionPolicyID = a.AttendedSessionPolicyID, a.UnattendedSessionPolicyID
	r.ConnectionType, r.JumpointProxyID, r.MaxOfflineMinutes = a.ConnectionType, a.JumpointProxyID, a.MaxOfflineMinutes
	r.CustomerClientStartMode, r.SupportButtonProfile, r.SupportButtonDirectQueue = a.CustomerClientStartMode, a.SupportButtonProfile, a.SupportButtonDirectQueue
	r.ElevateInstall, r.ElevatePrompt = *a.ElevateInstall, a.ElevatePrompt
	r.Overrides = map[string]bool{}
	for f, p := range overridePtrs(a) {
		if *p {
			r.Overrides[f] = true
		}
	}
	return nil
}

// defaults fills the static defaults; check fills the connection type
// from the Jump Client settings, which it reads in the write's transaction.
func defaults(a *api.JumpClientInstaller) { a.ApplyDefaults() }

func check(ctx context.Context, tx *gorm.DB, a *api.JumpClientInstaller, _ int64) error {
	inv := &problem.Invalid{}
	if a.ConnectionType == "" {
		var s struct{ DefaultConnectionType string }
		if err := tx.WithContext(ctx).Table("jump_client_settings").Select("default_connection_type").Where("id = 1").Take(&s).Error; err != nil {
			return fmt.Errorf("read jump client settings: %w", err)
		}
		a.ConnectionType = s.DefaultConnectionType
	}
	if err := grouppolicy.CheckOwner(ctx, tx, inv, a.JumpGroupType, a.JumpGroupID); err != nil {
		return err
	}
	if err := resource.CheckRefs(ctx, tx, inv, refs, map[string]*int64{
		"public_portal_id": a.PublicPortalID, "jump_policy_id": a.JumpPolicyID,
		"attended_session_policy_id": a.AttendedSessionPolicyID, "unattended_session_policy_id": a.UnattendedSessionPolicyID,
	}); err != nil {
		return err
	}
	if a.JumpointProxyID != nil {
		var jp struct{ ProxyEnabled bool }
		err := tx.WithContext(ctx).Table("jumpoints").Select("proxy_enabled").Where("id = ?", *a.JumpointProxyID).Take(&jp).Error
		switch {
		case errors.Is(err, gorm.ErrRecordNotFound):
			inv.Add("jumpoint_proxy_id", "jumpoint %d does not exist", *a.JumpointProxyID)
		case err != nil:
			return err
		case !jp.ProxyEnabled:
			inv.Add("jumpoint_proxy_id", "jumpoint %d is not a jump zone proxy (jump_zone_proxy.enabled is false)", *a.JumpointProxyID)
		}
	}
	if !api.ValidMaxOfflineMinutes(a.MaxOfflineMinutes) {
		inv.Add("max_offline_minutes", api.MaxOfflineMinutesMessage)
	}
	return inv.Err()
}

// KeyConfig is what key info carries about the appliance, and the key that
// signs it.
type KeyConfig struct {
	// Key signs key info.
	Key ed25519.PrivateKey
	// PublicURL is the appliance URL baked into installers.
	PublicURL string
	// CAPin is "sha256:<hex>" of the appliance CA certificate.
	CAPin string
	// CAPEM is the PEM of the CA certificate that CAPin pins; installers
	// carry it so agents trust the appliance without the system roots.
	CAPEM []byte
	// URLs signs the short-lived download URLs; nil offers none.
	URLs *downloadurl.Signer
}

// KeyInfo signs the key info of an installer record.
func (k *KeyConfig) KeyInfo(r *Record) (string, error) {
	return keyinfo.Sign(keyinfo.Payload{
		Kind: keyinfo.KindJumpClient, URL: k.PublicURL, CAPin: k.CAPin, InstallerID: r.InstallerID,
		Expires: r.ExpiresAt.Unix(), Overrides: r.AllowedOverrides(),
	}, k.Key)
}

// Downloads returns the download of every platform of the installer with
// record id id, installer id installerID and expiry expires, each with its
// own file name (api.JumpClientInstallerFile), so that downloading several
// platforms into one directory keeps them all. For an administrator (the
// principal of ctx) each carries a signed URL, valid for 15 to 20 minutes
// (and no longer than the installer), and its copyable commands use it, so
// they run on an endpoint without a token.
func (k *KeyConfig) Downloads(ctx context.Context, id int64, installerID string, expires time.Time) []api.InstallerDownload {
	p, _ := auth.FromContext(ctx)
	// The expiry is on a grid, so that reads within one step answer the
	// same URLs: the object read twice is the same object.
	until := time.Now().Add(downloadurl.DefaultTTL).Truncate(downloadurlGrid).Add(downloadurlGrid)
	if expires.Before(until) {
		until = expires
	}
	out := make([]api.InstallerDownload, 0, len(api.Platforms))
	for _, platform := range api.Platforms {
		if p.Admin && k.URLs != nil {
			out = append(out, k.SignedDownload(id, installerID, platform, p.UserID, until))
			continue
		}
		out = append(out, k.download(id, installerID, platform, ""))
	}
	return out
}

// downloadurlGrid is the step of the expiries of the signed URLs of a read:
// they are valid for downloadurl.DefaultTTL to DefaultTTL plus one step.
const downloadurlGrid = 5 * time.Minute

// SignedDownload returns the download of one platform of an installer with
// a URL that userID's signature lets anyone fetch until expires.
func (k *KeyConfig) SignedDownload(id int64, installerID, platform string, userID int64, expires time.Time) api.InstallerDownload {
	g := downloadurl.Grant{ID: id, InstallerID: installerID, Platform: platform, UserID: userID, Expires: expires}
	signed := fmt.Sprintf("%s/api/v1/%s/%s/%d/%s?%s", strings.TrimRight(k.PublicURL, "/"), SignedDownloadsPath, api.PathJumpClientInstallers,
		id, platform, k.URLs.Query(g).Encode())
	d := k.download(id, installerID, platform, signed)
	exp := expires.UTC().Truncate(time.Second)
	d.ExpiresAt = &exp
	return d
}

// SignedDownloadsPath is the path, under /api/v1, of the downloads that a
// signed URL authorises instead of a bearer token.
const SignedDownloadsPath = "signed-downloads"

// download is one platform's download. Command fetches the URL with
// $JUMPGATE_TOKEN and stays the same from read to read (the Terraform
// provider keeps it in its state); SignedCommand, when signed is set,
// fetches the signed URL without a token until it expires.
func (k *KeyConfig) download(id int64, installerID, platform, signed string) api.InstallerDownload {
	name := api.JumpClientInstallerFile(installerID, platform)
	url := fmt.Sprintf("%s/api/v1/%s/%d/download/%s", strings.TrimRight(k.PublicURL, "/"), api.PathJumpClientInstallers, id, platform)
	d := api.InstallerDownload{Platform: platform, FileName: name, URL: url, SignedURL: signed}
	win := platform == api.PlatformWindowsAMD64
	if win {
		// PowerShell, with the curl.exe that Windows 10 and later ship.
		d.Command = fmt.Sprintf(`curl.exe -fSL --cacert "$env:JUMPGATE_CA_CERT" -H "Authorization: Bearer $env:JUMPGATE_TOKEN" -o %s "%s"`, name, url)
		if signed != "" {
			d.SignedCommand = fmt.Sprintf(`curl.exe -fSL --cacert "$env:JUMPGATE_CA_CERT" -o %s "%s"`, name, signed)
		}
	} else {
		d.Command = fmt.Sprintf(`curl -fSL --cacert "$JUMPGATE_CA_CERT" -H "Authorization: Bearer $JUMPGATE_TOKEN" -o %s '%s'`, name, url)
		if signed != "" {
			d.SignedCommand = fmt.Sprintf(`curl -fSL --cacert "$JUMPGATE_CA_CERT" -o %s '%s'`, name, signed)
		}
	}
	if win {
		d.InstallCommand = fmt.Sprintf(`.\%s INSTALLDIR="C:\Program Files\Jumpgate\%s"`, name, installerID)
	} else {
		d.InstallCommand = "sudo sh ./" + name
	}
	return d
}

// Service is the jump-client-installers collection.
type Service = resource.Service[api.JumpClientInstaller, Record]

// New returns the jump-client-installers collection over d, signing key
// info with keys.
func New(d *db.DB, keys *KeyConfig) *Service {
	return &Service{DB: d, Spec: resource.Spec[api.JumpClientInstaller, Record]{
		Kind: "jump_client_installer", Path: api.PathJumpClientInstallers, Title: "Jump Client Installer",
		ToAPI: toAPI, FromAPI: fromAPI, Defaults: defaults, Check: check,
		Hydrate: func(ctx context.Context, _ *gorm.DB, items []*api.JumpClientInstaller) error {
			for _, a := range items {
				a.Downloads = keys.Downloads(ctx, a.ID, a.InstallerID, a.ExpiresAt)
			}
			return nil
		},
		Name:   func(a *api.JumpClientInstaller) string { return a.InstallerID },
		Redact: func(a *api.JumpClientInstaller) { a.KeyInfo = "" },
		Reveal: func(_ context.Context, a *api.JumpClientInstaller, r *Record) {
			if ki, err := keys.KeyInfo(r); err == nil {
				a.KeyInfo = ki
			}
		},
		Search: []string{"name", "tag", "installer_id"}, SearchDoc: "name, tag and installer_id",
		Sorts: map[string]string{"name": "name", "tag": "tag", "expires_at": "expires_at"},
		Filters: map[string]resource.Filter{
			"installer_id":    {Column: "installer_id", Doc: "Only the installer with this installer_id."},
			"name":            {Column: "name", Doc: "Only installers with this name."},
			"tag":             {Column: "tag", Doc: "Only installers with this tag."},
			"jump_group_id":   {Column: "jump_group_id", Int: true, Doc: "Only installers for this jump group (or user, with jump_group_type=personal)."},
			"jump_group_type": {Column: "jump_group_type", Doc: "shared or personal."},
		},
	}}
}

// RotateKey re-issues the key of installer id: a new installer_id and a new
// validity window of valid_duration from now. Key info and downloads made
// before stop working (enrollment no longer finds their installer id);
// clients already installed are not affected. ifMatch is the expected
// version or resource.NoVersion. The answer carries the new key info.
func RotateKey(ctx context.Context, s *Service, keys *KeyConfig, id, ifMatch int64) (*api.JumpClientInstaller, error) {
	if _, err := s.GetRecord(ctx, id); err != nil { // authorises and 404s
		return nil, err
	}
	var out *api.JumpClientInstaller
	err := s.DB.W.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var r Record
		if err := tx.Where("id = ?", id).Take(&r).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return problem.NotFound("jump_client_installer %d does not exist", id)
			}
			return err
		}
		if ifMatch != resource.NoVersion && ifMatch != r.Version {
			return fmt.Errorf("jump_client_installer %d is at version %d, not %d: %w", id, r.Version, ifMatch, problem.ErrPrecondition)
		}
		newID, err := newInstallerID()
		if err != nil {
			return err
		}
		now := time.Now().UTC()
		oldID, oldExp, prev := r.InstallerID, r.ExpiresAt, r.Version
		r.InstallerID = newID
		r.ExpiresAt = now.Truncate(time.Second).Add(time.Duration(r.ValidDuration) * time.Minute)
		r.Version = prev + 1
		r.UpdatedAt = now.Truncate(time.Microsecond)
		res := tx.Model(&r).Where("version = ?", prev).Select("installer_id", "expires_at", "version", "updated_at").Updates(&r)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return fmt.Errorf("jump_client_installer %d changed concurrently: %w", id, problem.ErrPrecondition)
		}
		diff := map[string]api.FieldChange{
			"installer_id": {Old: oldID, New: newID},
			"expires_at":   {Old: oldExp, New: r.ExpiresAt},
		}
		if err := audit.Write(ctx, tx, "rotate_key", "jump_client_installer", id, newID, diff); err != nil {
			return err
		}
		out = toAPI(&r)
		out.Downloads = keys.Downloads(ctx, out.ID, out.InstallerID, out.ExpiresAt)
		ki, err := keys.KeyInfo(&r)
		if err != nil {
			return err
		}
		out.KeyInfo = ki
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// KeyInfoRoutes returns GET /api/v1/jump-client-installers/:id/key-info and
// POST /api/v1/jump-client-installers/:id/rotate-key.
func KeyInfoRoutes(s *Service, keys *KeyConfig) []route.Route {
	rotate := func(c *gin.Context) error {
		id, err := resource.ParseID(c)
		if err != nil {
			return err
		}
		ifMatch, err := resource.IfMatch(c)
		if err != nil {
			return err
		}
		out, err := RotateKey(c.Request.Context(), s, keys, id, ifMatch)
		if err != nil {
			return err
		}
		c.Header("ETag", api.ETag(out.Version))
		c.JSON(http.StatusOK, out)
		return nil
	}
	h := func(c *gin.Context) error {
		id, err := resource.ParseID(c)
		if err != nil {
			return err
		}
		r, err := s.GetRecord(c.Request.Context(), id)
		if err != nil {
			return err
		}
		ki, err := keys.KeyInfo(r)
		if err != nil {
			return err
		}
		c.JSON(http.StatusOK, api.InstallerKeyInfo{InstallerID: r.InstallerID, KeyInfo: ki, ExpiresAt: r.ExpiresAt})
		return nil
	}
	return []route.Route{{
		Method: http.MethodGet, Path: "/api/v1/" + api.PathJumpClientInstallers + "/:id/key-info", Handler: route.Handle(h),
		Tag: api.PathJumpClientInstallers, Summary: "Read the signed key info of a Jump Client installer, for generic installers",
		Response: api.InstallerKeyInfo{}, AdminOnly: true,
	}, {
		Method: http.MethodPost, Path: "/api/v1/" + api.PathJumpClientInstallers + "/:id/rotate-key", Handler: route.Handle(rotate),
		Tag: api.PathJumpClientInstallers, Summary: "Re-issue the key of a Jump Client installer: a new installer_id and validity window; earlier key info and downloads stop working",
		Response: api.JumpClientInstaller{}, AdminOnly: true,
	}}
}
