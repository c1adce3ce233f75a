package dist

import (
	"context"
	"crypto/ed25519"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"gorm.io/gorm"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/api/agentproto"
	"github.com/jumpgate/jumpgate/api/keyinfo"
	"github.com/jumpgate/jumpgate/appliance/internal/audit"
	"github.com/jumpgate/jumpgate/appliance/internal/auth"
	"github.com/jumpgate/jumpgate/appliance/internal/db"
	"github.com/jumpgate/jumpgate/appliance/internal/installer"
	"github.com/jumpgate/jumpgate/appliance/internal/jumpoint"
	"github.com/jumpgate/jumpgate/appliance/internal/problem"
	"github.com/jumpgate/jumpgate/appliance/internal/resource"
	"github.com/jumpgate/jumpgate/appliance/internal/route"
)

// JumpointKeyValidity is how long the key info in a Jumpoint installer is
// accepted after the download: install the download within a day, or
// download it again.
const JumpointKeyValidity = 24 * time.Hour

// Deps are what the download routes need.
type Deps struct {
	// DB receives the audit record of every download.
	DB *db.DB
	// Log is for operators (interrupted downloads); nil discards.
	Log *slog.Logger
	// Builds are the agent builds; nil answers every download with 503.
	Builds *Builds
	// Keys sign key info and carry the appliance URL, CA pin and CA PEM
	// that installers embed.
	Keys *installer.KeyConfig
	// Installers reads Jump Client installer records (with access checks).
	Installers interface {
		GetRecord(ctx context.Context, id int64) (*installer.Record, error)
	}
	// Jumpoints reads jumpoint records (with access checks).
	Jumpoints interface {
		GetRecord(ctx context.Context, id int64) (*jumpoint.Record, error)
	}
}

// Routes returns the installer download routes and the key info of
// jumpoints, for nodes installed without an installer (containers):
//
//	GET /api/v1/jump-client-installers/:id/download/:platform
//	GET /api/v1/installers/generic/:platform
//	GET /api/v1/jumpoints/:id/download/:platform
//	GET /api/v1/jumpoints/:id/key-info
//
// Each needs an administrator's bearer token, and each answer is audited.
func Routes(d Deps) []route.Route {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	h := &handler{Deps: d}
	winExt := api.InstallerFileExt(api.PlatformWindowsAMD64)
	return append([]route.Route{
		{
			Method: http.MethodGet, Path: "/api/v1/" + api.PathJumpClientInstallers + "/:id/download/:platform", Handler: route.Handle(h.installer),
			Tag: api.PathJumpClientInstallers, RawBody: "application/octet-stream", AdminOnly: true,
			Summary: "Download a Jump Client installer for one platform: " + api.JumpClientInstallerFile("<installer_id>", "<platform>") + " (sh) or ." + winExt + " (Windows), " +
				"key info built in; 410 once expired, 503 without an agent build for the platform",
		},
		{
			Method: http.MethodGet, Path: "/api/v1/installers/generic/:platform", Handler: route.Handle(h.generic),
			Tag: api.PathJumpClientInstallers, RawBody: "application/octet-stream", AdminOnly: true,
			Summary: "Download the generic Jump Client installer for one platform: " + api.GenericInstallerFile("<platform>") + " or ." + winExt + ", " +
				"which needs --key-info / KEY_INFO=; 503 without an agent build for the platform",
		},
		{
			Method: http.MethodGet, Path: "/api/v1/" + api.PathJumpoints + "/:id/download/:platform", Handler: route.Handle(h.jumpoint),
			Tag: api.PathJumpoints, RawBody: "application/octet-stream", AdminOnly: true,
			Summary: "Download a Jumpoint installer for one platform: " + api.JumpointInstallerFile("<code_name>", "<platform>") + " or ." + winExt + ", " +
				"key info valid for 24 hours; 409 when the jumpoint is disabled, 503 without an agent build for the platform",
		},
		{
			Method: http.MethodGet, Path: "/api/v1/" + api.PathJumpoints + "/:id/key-info", Handler: route.Handle(h.jumpointKeyInfo),
			Tag: api.PathJumpoints, Response: api.JumpointKeyInfo{}, AdminOnly: true, Errors: []int{http.StatusConflict},
			Summary: "Issue fresh signed key info for new nodes of a Jumpoint, valid for 24 hours, for nodes installed without an installer " +
				"(jumpgate-agent run --key-info-file, e.g. in a container); 409 when the jumpoint is disabled",
		},
	}, h.signedRoutes()...)
}

type handler struct {
	Deps
}

// download is one installer to serve.
type download struct {
	kind       string // agentproto.KindJumpClient or KindJumpoint
	keyInfo    string
	fileName   string
	platform   string
	objectType string // audit object type
	objectID   int64
	objectName string
	signed     bool // authorised by a signed URL rather than a token
}

func (h *handler) installer(c *gin.Context) error {
	ctx := c.Request.Context()
	platform, err := checkPlatform(ctx, c.Param("platform"))
	if err != nil {
		return err
	}
	id, err := resource.ParseID(c)
	if err != nil {
		return err
	}
	r, err := h.Installers.GetRecord(ctx, id)
	if err != nil {
		return err
	}
	if now := time.Now(); !now.Before(r.ExpiresAt) {
		return problem.Gone("installer %s expired at %s; extend it by changing valid_duration",
			r.InstallerID, r.ExpiresAt.UTC().Format(time.RFC3339))
	}
	ki, err := h.Keys.KeyInfo(r)
	if err != nil {
		return err
	}
	return h.serve(c, &download{kind: agentproto.KindJumpClient, keyInfo: ki, platform: platform,
		fileName:   api.JumpClientInstallerFile(r.InstallerID, platform),
		objectType: "jump_client_installer", objectID: r.ID, objectName: r.InstallerID})
}

func (h *handler) generic(c *gin.Context) error {
	ctx := c.Request.Context()
	platform, err := checkPlatform(ctx, c.Param("platform"))
	if err != nil {
		return err
	}
	return h.serve(c, &download{kind: agentproto.KindJumpClient, platform: platform,
		fileName:   api.GenericInstallerFile(platform),
		objectType: "jump_client_installer", objectName: "generic"})
}

func (h *handler) jumpoint(c *gin.Context) error {
	ctx := c.Request.Context()
	platform, err := checkPlatform(ctx, c.Param("platform"))
	if err != nil {
		return err
	}
	id, err := resource.ParseID(c)
	if err != nil {
		return err
	}
	j, err := h.Jumpoints.GetRecord(ctx, id)
	if err != nil {
		return err
	}
	if !j.Enabled {
		return problem.Conflict("jumpoint %q is disabled; set enabled to true before downloading its installer", j.CodeName)
	}
	ki, err := JumpointKeyInfo(h.Keys, j.ID, time.Now().Add(JumpointKeyValidity))
	if err != nil {
		return err
	}
	return h.serve(c, &download{kind: agentproto.KindJumpoint, keyInfo: ki, platform: platform,
		fileName:   api.JumpointInstallerFile(j.CodeName, platform),
		objectType: "jumpoint", objectID: j.ID, objectName: j.CodeName})
}

// jumpointKeyInfo issues key info as a Jumpoint download would carry it,
// under the same rules: administrators only, enabled jumpoints only, and an
// audit record (action key_info) before the key info is handed out.
func (h *handler) jumpointKeyInfo(c *gin.Context) error {
	ctx := c.Request.Context()
	if err := auth.RequireAdmin(ctx); err != nil {
		return err
	}
	id, err := resource.ParseID(c)
	if err != nil {
		return err
	}
	j, err := h.Jumpoints.GetRecord(ctx, id)
	if err != nil {
		return err
	}
	if !j.Enabled {
		return problem.Conflict("jumpoint %q is disabled; set enabled to true before issuing key info for its nodes", j.CodeName)
	}
	// Key info carries whole seconds; the answer says exactly what it does.
	expires := time.Unix(time.Now().Add(JumpointKeyValidity).Unix(), 0).UTC()
	ki, err := JumpointKeyInfo(h.Keys, j.ID, expires)
	if err != nil {
		return err
	}
	err = h.DB.W.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		return audit.Write(ctx, tx, "key_info", "jumpoint", j.ID, j.CodeName, map[string]api.FieldChange{
			"expires_at": {New: expires.Format(time.RFC3339)},
		})
	})
	if err != nil {
		return err
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, api.JumpointKeyInfo{JumpointID: j.ID, KeyInfo: ki, ExpiresAt: expires})
	return nil
}

// checkPlatform refuses callers who are not administrators (before saying
// anything about the object) and unknown platforms.
func checkPlatform(ctx context.Context, platform string) (string, error) {
	if err := auth.RequireAdmin(ctx); err != nil {
		return "", err
	}
	if !slices.Contains(api.Platforms, platform) {
		return "", problem.NotFound("unknown platform %q; platforms are %s", platform, strings.Join(api.Platforms, ", "))
	}
	return platform, nil
}

// JumpointKeyInfo signs the key info of a Jumpoint installer: kind
// jumpoint, the jumpoint's decimal id as installer id, no overrides.
func JumpointKeyInfo(k *installer.KeyConfig, jumpointID int64, expires time.Time) (string, error) {
	return keyinfo.Sign(keyinfo.Payload{
		Kind: keyinfo.KindJumpoint, URL: k.PublicURL, CAPin: k.CAPin,
		InstallerID: strconv.FormatInt(jumpointID, 10), Expires: expires.Unix(),
	}, k.Key)
}

// Payload returns the parts of an installer for platform with manifest m:
// the sh header (nil for Windows), and the trailer that follows the build.
// m.Platform and m.Version are set from build.
func Payload(build *Build, m *agentproto.Manifest) (header, trailer []byte, err error) {
	m.Platform, m.Version = build.Platform, build.Version
	trailer, err = agentproto.Trailer(m)
	if err != nil {
		return nil, nil, err
	}
	if build.Platform != api.PlatformWindowsAMD64 {
		header, err = ShHeader(m.FileName, build.Platform, build.Version, build.Size+int64(len(trailer)))
		if err != nil {
			return nil, nil, err
		}
	}
	return header, trailer, nil
}

func (h *handler) serve(c *gin.Context, d *download) error {
	ctx := c.Request.Context()
	if len(h.Keys.CAPEM) == 0 {
		return errors.New("installer downloads: the appliance CA PEM is not configured")
	}
	f, build, err := h.Builds.Open(d.platform)
	if err != nil {
		return err
	}
	defer f.Close()
	header, trailer, err := Payload(build, &agentproto.Manifest{
		Kind: d.kind, KeyInfo: d.keyInfo, SigningKey: []byte(h.Keys.Key.Public().(ed25519.PublicKey)),
		CAPEM: string(h.Keys.CAPEM), FileName: d.fileName,
	})
	if err != nil {
		return err
	}
	// The audit record is written before a byte is served, so no download
	// goes unrecorded.
	err = h.DB.W.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		diff := map[string]api.FieldChange{
			"platform":  {New: d.platform},
			"file_name": {New: d.fileName},
			"version":   {New: build.Version},
		}
		if d.signed {
			diff["signed_url"] = api.FieldChange{New: true}
		}
		return audit.Write(ctx, tx, "download", d.objectType, d.objectID, d.objectName, diff)
	})
	if err != nil {
		return err
	}
	w := c.Writer
	hd := w.Header()
	hd.Set("Content-Type", "application/octet-stream")
	hd.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": d.fileName}))
	hd.Set("Content-Length", strconv.FormatInt(int64(len(header))+build.Size+int64(len(trailer)), 10))
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	if _, err := w.Write(header); err != nil {
		h.interrupted(c, d, err)
		return nil
	}
	if _, err := io.CopyN(w, f, build.Size); err != nil {
		h.interrupted(c, d, err)
		return nil
	}
	if _, err := w.Write(trailer); err != nil {
		h.interrupted(c, d, err)
	}
	return nil
}

func (h *handler) interrupted(c *gin.Context, d *download, err error) {
	h.Log.WarnContext(c.Request.Context(), "installer download interrupted", "file", d.fileName, "platform", d.platform, "err", err)
}
