package dist

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"gorm.io/gorm"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/api/agentproto"
	"github.com/jumpgate/jumpgate/appliance/internal/audit"
	"github.com/jumpgate/jumpgate/appliance/internal/auth"
	"github.com/jumpgate/jumpgate/appliance/internal/downloadurl"
	"github.com/jumpgate/jumpgate/appliance/internal/installer"
	"github.com/jumpgate/jumpgate/appliance/internal/problem"
	"github.com/jumpgate/jumpgate/appliance/internal/resource"
	"github.com/jumpgate/jumpgate/appliance/internal/route"
)

// signedRoutes are the routes of signed download URLs (package
// downloadurl):
//
//	POST /api/v1/jump-client-installers/:id/download-urls   issue one (admin)
//	POST /api/v1/installers/download-url-key/rotate        invalidate all (admin)
//	GET  /api/v1/signed-downloads/jump-client-installers/:id/:platform?installer_id&user&expires&sig
//
// The download takes no token: the signature is the authorisation, on
// behalf of the user who issued it, who must still be an enabled
// administrator. It is audited as theirs.
func (h *handler) signedRoutes() []route.Route {
	return []route.Route{
		{
			Method: http.MethodPost, Path: "/api/v1/" + api.PathJumpClientInstallers + "/:id/download-urls", Handler: route.Handle(h.issue),
			Tag: api.PathJumpClientInstallers, AdminOnly: true, Status: http.StatusCreated,
			Request: api.DownloadURLRequest{}, Response: api.InstallerDownload{}, Errors: []int{http.StatusGone},
			Summary: "Issue a signed URL that downloads one platform of the installer without a token, valid 15 minutes by default and up to 24 hours " +
				"(never past the installer's expiry), with its copyable commands; 410 once the installer expired",
		},
		{
			Method: http.MethodPost, Path: "/api/v1/installers/download-url-key/rotate", Handler: route.Handle(h.rotate),
			Tag: api.PathJumpClientInstallers, AdminOnly: true, Status: http.StatusNoContent, Unversioned: true,
			Summary: "Replace the key that signs download URLs: every signed download URL issued before stops working",
		},
		{
			Method: http.MethodGet, Path: "/api/v1/" + installer.SignedDownloadsPath + "/" + api.PathJumpClientInstallers + "/:id/:platform",
			Handler: route.Handle(h.signed), Access: route.Public, Tag: api.PathJumpClientInstallers, RawBody: "application/octet-stream",
			Errors: []int{http.StatusForbidden, http.StatusGone},
			Query: map[string]string{
				downloadurl.ParamInstaller: "The installer_id the URL was signed for.",
				downloadurl.ParamUser:      "The id of the user who issued the URL.",
				downloadurl.ParamExpires:   "When the URL stops working, in Unix seconds.",
				downloadurl.ParamSignature: "The signature over the installer, platform, user and expiry.",
			},
			Summary: "Download a Jump Client installer with a signed URL, without a token: 403 when the signature does not match the installer, " +
				"platform, user and expiry or the issuer may no longer download; 410 when the URL or the installer expired, or the installer was deleted or its key rotated",
		},
	}
}

func (h *handler) issue(c *gin.Context) error {
	ctx := c.Request.Context()
	p, err := auth.MustFromContext(ctx)
	if err != nil {
		return err
	}
	if err := auth.RequireAdmin(ctx); err != nil {
		return err
	}
	id, err := resource.ParseID(c)
	if err != nil {
		return err
	}
	in := &api.DownloadURLRequest{}
	if err := resource.Decode(c.Request.Body, in); err != nil {
		return err
	}
	if err := resource.Validate(in); err != nil {
		return err
	}
	if !slices.Contains(api.Platforms, in.Platform) {
		inv := &problem.Invalid{}
		inv.Add("platform", "must be one of %s", strings.Join(api.Platforms, ", "))
		return inv.Err()
	}
	if h.Keys.URLs == nil {
		return errors.New("signed download urls: no signing key configured")
	}
	r, err := h.Installers.GetRecord(ctx, id)
	if err != nil {
		return err
	}
	now := time.Now()
	if !now.Before(r.ExpiresAt) {
		return problem.Gone("installer %s expired at %s; extend it by changing valid_duration", r.InstallerID, r.ExpiresAt.UTC().Format(time.RFC3339))
	}
	secs := in.ValidSeconds
	if secs == 0 {
		secs = api.DefaultDownloadURLSeconds
	}
	until := now.Add(time.Duration(secs) * time.Second)
	if r.ExpiresAt.Before(until) {
		until = r.ExpiresAt
	}
	d := h.Keys.SignedDownload(r.ID, r.InstallerID, in.Platform, p.UserID, until)
	err = h.DB.W.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		return audit.Write(ctx, tx, "issue_download_url", "jump_client_installer", r.ID, r.InstallerID, map[string]api.FieldChange{
			"platform": {New: in.Platform}, "expires_at": {New: d.ExpiresAt},
		})
	})
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, d)
	return nil
}

func (h *handler) rotate(c *gin.Context) error {
	ctx := c.Request.Context()
	if err := auth.RequireAdmin(ctx); err != nil {
		return err
	}
	if h.Keys.URLs == nil {
		return errors.New("signed download urls: no signing key configured")
	}
	if err := h.Keys.URLs.Rotate(); err != nil {
		return err
	}
	err := h.DB.W.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		return audit.Write(ctx, tx, "rotate_download_url_key", "jump_client_installer", 0, "download url key", map[string]api.FieldChange{})
	})
	if err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}

// signed serves a download that a signed URL authorises. The signature is
// checked first, so that nothing about the installer is told to a forger.
func (h *handler) signed(c *gin.Context) error {
	ctx := c.Request.Context()
	id, err := resource.ParseID(c)
	if err != nil {
		return err
	}
	platform := c.Param("platform")
	if h.Keys.URLs == nil {
		return problem.NotFound("this appliance issues no signed download urls")
	}
	g, err := h.Keys.URLs.Check(id, platform, c.Request.URL.Query(), time.Now())
	switch {
	case errors.Is(err, downloadurl.ErrForged):
		return problem.Forbidden("%s", err.Error())
	case errors.Is(err, downloadurl.ErrExpired):
		return problem.Gone("%s", err.Error())
	case err != nil:
		return err
	}
	if !slices.Contains(api.Platforms, platform) {
		return problem.NotFound("unknown platform %q", platform)
	}
	p, err := h.issuer(ctx, g.UserID)
	if err != nil {
		return err
	}
	ctx = auth.WithPrincipal(ctx, p)
	c.Request = c.Request.WithContext(ctx)
	r, err := h.Installers.GetRecord(ctx, id)
	if errors.Is(err, problem.ErrNotFound) {
		return problem.Gone("installer %d was deleted", id)
	}
	if err != nil {
		return err
	}
	if r.InstallerID != g.InstallerID {
		return problem.Gone("the installer's key was rotated since this link was issued; copy a fresh one")
	}
	if !time.Now().Before(r.ExpiresAt) {
		return problem.Gone("installer %s expired at %s", r.InstallerID, r.ExpiresAt.UTC().Format(time.RFC3339))
	}
	ki, err := h.Keys.KeyInfo(r)
	if err != nil {
		return err
	}
	return h.serve(c, &download{kind: agentproto.KindJumpClient, keyInfo: ki, platform: platform,
		fileName:   api.JumpClientInstallerFile(r.InstallerID, platform),
		objectType: "jump_client_installer", objectID: r.ID, objectName: r.InstallerID, signed: true})
}

// issuer is the principal a signed URL acts for: its issuer, who must still
// be an enabled administrator, so that disabling a user or taking their
// admin role also ends the links they handed out.
func (h *handler) issuer(ctx context.Context, userID int64) (auth.Principal, error) {
	var u struct {
		ID       int64
		Username string
		Admin    bool
		Enabled  bool
	}
	err := h.DB.R.WithContext(ctx).Table("users").Select("id, username, admin, enabled").Where("id = ?", userID).Take(&u).Error
	if err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
		return auth.Principal{}, fmt.Errorf("load the issuer of a download url: %w", err)
	}
	if err != nil || !u.Admin || !u.Enabled {
		return auth.Principal{}, problem.Forbidden("the user who issued this download link may no longer download installers")
	}
	return auth.Principal{UserID: u.ID, Username: u.Username, Admin: true}, nil
}
