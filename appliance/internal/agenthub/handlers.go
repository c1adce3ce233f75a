package agenthub

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"net"
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
	"github.com/jumpgate/jumpgate/appliance/internal/jumpclient"
	"github.com/jumpgate/jumpgate/appliance/internal/jumpoint"
	"github.com/jumpgate/jumpgate/appliance/internal/problem"
	"github.com/jumpgate/jumpgate/appliance/internal/resource"
	"github.com/jumpgate/jumpgate/appliance/internal/route"
)

// WakeCooldown is how long a Wake-on-LAN target cannot be woken again.
const WakeCooldown = 30 * time.Second

// maxEnrollBody bounds an enrollment request.
const maxEnrollBody = 64 << 10

// Routes returns the agent endpoints: enrollment and the connection.
func (h *Hub) Routes() []route.Route {
	return []route.Route{
		{Method: http.MethodPost, Path: agentproto.PathEnroll, Access: route.Public, Tag: "agents", Status: http.StatusCreated,
			Summary:  "Enroll an agent with installer key info and its own public key (jumpgate-agent calls this)",
			Request:  agentproto.EnrollRequest{},
			Response: agentproto.EnrollResponse{}, Handler: route.Handle(h.handleEnroll)},
		{Method: http.MethodGet, Path: agentproto.PathConnect, Access: route.Public, Tag: "agents",
			Summary: "The agents' WebSocket (subprotocol jumpgate-agent.v1): a signed handshake, then a yamux session",
			RawBody: "application/octet-stream", Handler: h.handleConnect},
	}
}

// WakeHandler serves POST /api/v1/jump-clients/:id/wake.
func (h *Hub) WakeHandler() gin.HandlerFunc { return route.Handle(h.handleWake) }

func (h *Hub) handleEnroll(c *gin.Context) error {
	body, err := io.ReadAll(io.LimitReader(c.Request.Body, maxEnrollBody+1))
	if err != nil || len(body) > maxEnrollBody {
		return &problem.BadRequest{Detail: fmt.Sprintf("unreadable request body, or larger than %d bytes", maxEnrollBody)}
	}
	req := &agentproto.EnrollRequest{}
	if err := resource.DecodeBytes(body, req); err != nil {
		return err
	}
	out, err := h.Enroll(c, req, c.ClientIP())
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, out)
	return nil
}

// Enroll verifies an enrollment and makes the agent's identity.
func (h *Hub) Enroll(c *gin.Context, req *agentproto.EnrollRequest, remote string) (*agentproto.EnrollResponse, error) {
	ctx := auth.WithPrincipal(c.Request.Context(), auth.Principal{Username: "enrollment"})
	now := h.cfg.Now()
	p, err := keyinfo.Verify(req.KeyInfo, h.cfg.SigningKey.Public().(ed25519.PublicKey), now)
	result := "ok"
	defer func() { h.m.enrolls.WithLabelValues(kindLabel(p), result).Inc() }()
	switch {
	case errors.Is(err, keyinfo.ErrMalformed):
		result = "malformed"
		return nil, problem.Field("key_info", "%s", err.Error())
	case errors.Is(err, keyinfo.ErrSignature):
		result = "forged"
		return nil, problem.Forbidden("%s", err.Error())
	case errors.Is(err, keyinfo.ErrExpired):
		result = "expired"
		return nil, problem.Forbidden("installer %s", err.Error())
	case err != nil:
		result = "error"
		return nil, err
	}
	inv := &problem.Invalid{}
	if !jumpclient.ValidPublicKey(req.PublicKey) {
		inv.Add("public_key", "must be a 32-byte Ed25519 public key")
	}
	f := &req.Facts
	if f.InstallMode != api.InstallService && f.InstallMode != api.InstallUser {
		inv.Add("facts.install_mode", "must be service or user")
	}
	if !slices.Contains(api.Platforms, f.Platform) {
		inv.Add("facts.platform", "must be one of %s", strings.Join(api.Platforms, ", "))
	}
	if len(f.HostID) > 128 || len(f.User) > 128 || len(req.Version) > 64 {
		inv.Add("facts", "host_id and user are at most 128 characters, version at most 64")
	}
	if f.DefaultGateway != "" && net.ParseIP(f.DefaultGateway) == nil {
		inv.Add("facts.default_gateway", "must be an IP address")
	}
	if f.MACAddress != "" {
		if _, err := net.ParseMAC(f.MACAddress); err != nil {
			inv.Add("facts.mac_address", "must be a MAC address")
		}
	}
	if err := inv.Err(); err != nil {
		result = "invalid"
		return nil, err
	}
	switch p.Kind {
	case keyinfo.KindJumpClient:
		out, _, err := h.cfg.Clients.Enroll(ctx, p, req, remote, now)
		if err != nil {
			result = "refused"
		}
		return out, err
	case keyinfo.KindJumpoint:
		out, node, replaced, err := jumpoint.Enroll(ctx, h.cfg.DB, p, req, remote, now, func(id int64) bool {
			return h.IsConnected(agentproto.KindJumpoint, id)
		})
		if err != nil {
			result = "refused"
			return nil, err
		}
		if replaced != nil {
			h.Retire(agentproto.KindJumpoint, node.ID, false, "replaced by a reinstall")
		}
		return out, nil
	}
	result = "malformed"
	return nil, problem.Field("key_info", "unknown kind %q", p.Kind)
}

func kindLabel(p *keyinfo.Payload) string {
	if p == nil {
		return "unknown"
	}
	return p.Kind
}

func (h *Hub) handleWake(c *gin.Context) error {
	ctx := c.Request.Context()
	if err := auth.RequireAdmin(ctx); err != nil {
		return err
	}
	id, err := resource.ParseID(c)
	if err != nil {
		return err
	}
	req := &api.WakeRequest{}
	if c.Request.ContentLength != 0 {
		if err := resource.Decode(c.Request.Body, req); err != nil {
			return err
		}
	}
	if err := resource.Validate(req); err != nil {
		return err
	}
	if req.SecureOnPassword != "" {
		if hw, _ := net.ParseMAC(req.SecureOnPassword); len(hw) != 6 {
			return problem.Field("secureon_password", "must be 6 bytes, as xx:xx:xx:xx:xx:xx")
		}
	}
	st, err := h.settings(ctx)
	if err != nil {
		return err
	}
	if !st.WakeOnLANAllowed {
		return problem.Forbidden("wake-on-LAN is off: set wake_on_lan_allowed in the jump client settings")
	}
	var rec jumpclient.Record
	var state jumpclient.State
	err = h.cfg.DB.R.WithContext(ctx).Take(&rec, id).Error
	if err == nil {
		err = h.cfg.DB.R.WithContext(ctx).Where("client_id = ?", id).Take(&state).Error
	}
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return problem.NotFound("jump client %d does not exist", id)
	}
	if err != nil {
		return err
	}
	if state.MACAddress == "" || state.DefaultGateway == "" {
		return problem.Conflict("jump client %d has not reported its MAC address and default gateway", id)
	}
	now := h.cfg.Now().UTC()
	h.wolMu.Lock()
	next := h.wolNext[id]
	if now.Before(next) {
		h.wolMu.Unlock()
		wait := int(next.Sub(now).Seconds()) + 1
		c.Header("Retry-After", strconv.Itoa(wait))
		return problem.TooManyRequests("jump client %d was woken less than %s ago; retry in %d s", id, WakeCooldown, wait)
	}
	h.wolNext[id] = now.Add(WakeCooldown)
	h.wolMu.Unlock()
	relay := h.relayFor(id, state.DefaultGateway, state.PublicIP)
	if relay == nil {
		h.clearCooldown(id)
		return problem.Conflict("no online jump client shares the network of jump client %d (default gateway %s, public address %s)", id, state.DefaultGateway, state.PublicIP)
	}
	if err := relay.send(agentproto.Control{Type: agentproto.MsgWake, Wake: &agentproto.Wake{MAC: state.MACAddress, Password: req.SecureOnPassword}}); err != nil {
		h.clearCooldown(id)
		return problem.Unavailable("jump client %d, the relay, did not take the request: %v", relay.id, err)
	}
	err = h.cfg.DB.W.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		return audit.Write(ctx, tx, "wake", "jump_client", id, rec.Name, map[string]api.FieldChange{
			"relay_id": {New: relay.id}, "mac_address": {New: state.MACAddress},
		})
	})
	if err != nil {
		return err
	}
	c.JSON(http.StatusAccepted, api.WakeResult{TargetID: id, RelayID: relay.id, MACAddress: state.MACAddress, NextAttemptAt: now.Add(WakeCooldown)})
	return nil
}

func (h *Hub) clearCooldown(id int64) {
	h.wolMu.Lock()
	delete(h.wolNext, id)
	h.wolMu.Unlock()
}

// relayFor picks a connected client on the target's network: the same
// default gateway and the same public address (private gateway addresses
// repeat across sites; the public address tells the sites apart).
func (h *Hub) relayFor(target int64, gateway, publicIP string) *agentConn {
	h.mu.Lock()
	defer h.mu.Unlock()
	var best *agentConn
	for k, c := range h.conns {
		if k.kind != agentproto.KindJumpClient || k.id == target || c.network() != gateway || c.publicIP != publicIP {
			continue
		}
		if best == nil || c.id < best.id {
			best = c
		}
	}
	return best
}
