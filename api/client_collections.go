package api

import "context"

// Typed methods for each collection. Every method is a thin wrapper over the
// generic create/get/update/patch/remove/list helpers in client.go.

// CreateJumpGroup creates a Jump Group and returns it as stored.
func (c *Client) CreateJumpGroup(ctx context.Context, in *JumpGroup) (*JumpGroup, error) {
	return create(ctx, c, PathJumpGroups, in)
}

// GetJumpGroup returns the Jump Group with the given id.
func (c *Client) GetJumpGroup(ctx context.Context, id int64) (*JumpGroup, error) {
	return get[JumpGroup](ctx, c, PathJumpGroups, id)
}

// UpdateJumpGroup replaces the Jump Group with the given id.
func (c *Client) UpdateJumpGroup(ctx context.Context, id int64, in *JumpGroup, opts ...WriteOption) (*JumpGroup, error) {
	return update(ctx, c, PathJumpGroups, id, in, opts)
}

// PatchJumpGroup applies a JSON merge patch to the Jump Group with the given id.
func (c *Client) PatchJumpGroup(ctx context.Context, id int64, mergePatch map[string]any, opts ...WriteOption) (*JumpGroup, error) {
	return patch[JumpGroup](ctx, c, PathJumpGroups, id, mergePatch, opts)
}

// DeleteJumpGroup deletes the Jump Group with the given id.
func (c *Client) DeleteJumpGroup(ctx context.Context, id int64, opts ...WriteOption) error {
	return remove(ctx, c, PathJumpGroups, id, opts)
}

// ListJumpGroups returns one page of Jump Groups.
func (c *Client) ListJumpGroups(ctx context.Context, opts *ListOptions) (*List[JumpGroup], error) {
	return list[JumpGroup](ctx, c, PathJumpGroups, opts)
}

// CreateJumpPolicy creates a Jump Policy and returns it as stored.
func (c *Client) CreateJumpPolicy(ctx context.Context, in *JumpPolicy) (*JumpPolicy, error) {
	return create(ctx, c, PathJumpPolicies, in)
}

// GetJumpPolicy returns the Jump Policy with the given id.
func (c *Client) GetJumpPolicy(ctx context.Context, id int64) (*JumpPolicy, error) {
	return get[JumpPolicy](ctx, c, PathJumpPolicies, id)
}

// UpdateJumpPolicy replaces the Jump Policy with the given id.
func (c *Client) UpdateJumpPolicy(ctx context.Context, id int64, in *JumpPolicy, opts ...WriteOption) (*JumpPolicy, error) {
	return update(ctx, c, PathJumpPolicies, id, in, opts)
}

// PatchJumpPolicy applies a JSON merge patch to the Jump Policy with the given id.
func (c *Client) PatchJumpPolicy(ctx context.Context, id int64, mergePatch map[string]any, opts ...WriteOption) (*JumpPolicy, error) {
	return patch[JumpPolicy](ctx, c, PathJumpPolicies, id, mergePatch, opts)
}

// DeleteJumpPolicy deletes the Jump Policy with the given id.
func (c *Client) DeleteJumpPolicy(ctx context.Context, id int64, opts ...WriteOption) error {
	return remove(ctx, c, PathJumpPolicies, id, opts)
}

// ListJumpPolicies returns one page of Jump Policies.
func (c *Client) ListJumpPolicies(ctx context.Context, opts *ListOptions) (*List[JumpPolicy], error) {
	return list[JumpPolicy](ctx, c, PathJumpPolicies, opts)
}

// CreateSessionPolicy creates a Session Policy and returns it as stored.
func (c *Client) CreateSessionPolicy(ctx context.Context, in *SessionPolicy) (*SessionPolicy, error) {
	return create(ctx, c, PathSessionPolicies, in)
}

// GetSessionPolicy returns the Session Policy with the given id.
func (c *Client) GetSessionPolicy(ctx context.Context, id int64) (*SessionPolicy, error) {
	return get[SessionPolicy](ctx, c, PathSessionPolicies, id)
}

// UpdateSessionPolicy replaces the Session Policy with the given id.
func (c *Client) UpdateSessionPolicy(ctx context.Context, id int64, in *SessionPolicy, opts ...WriteOption) (*SessionPolicy, error) {
	return update(ctx, c, PathSessionPolicies, id, in, opts)
}

// PatchSessionPolicy applies a JSON merge patch to the Session Policy with the given id.
func (c *Client) PatchSessionPolicy(ctx context.Context, id int64, mergePatch map[string]any, opts ...WriteOption) (*SessionPolicy, error) {
	return patch[SessionPolicy](ctx, c, PathSessionPolicies, id, mergePatch, opts)
}

// DeleteSessionPolicy deletes the Session Policy with the given id.
func (c *Client) DeleteSessionPolicy(ctx context.Context, id int64, opts ...WriteOption) error {
	return remove(ctx, c, PathSessionPolicies, id, opts)
}

// ListSessionPolicies returns one page of Session Policies.
func (c *Client) ListSessionPolicies(ctx context.Context, opts *ListOptions) (*List[SessionPolicy], error) {
	return list[SessionPolicy](ctx, c, PathSessionPolicies, opts)
}

// CreateJumpoint creates a Jumpoint and returns it as stored.
func (c *Client) CreateJumpoint(ctx context.Context, in *Jumpoint) (*Jumpoint, error) {
	return create(ctx, c, PathJumpoints, in)
}

// GetJumpoint returns the Jumpoint with the given id.
func (c *Client) GetJumpoint(ctx context.Context, id int64) (*Jumpoint, error) {
	return get[Jumpoint](ctx, c, PathJumpoints, id)
}

// UpdateJumpoint replaces the Jumpoint with the given id.
func (c *Client) UpdateJumpoint(ctx context.Context, id int64, in *Jumpoint, opts ...WriteOption) (*Jumpoint, error) {
	return update(ctx, c, PathJumpoints, id, in, opts)
}

// PatchJumpoint applies a JSON merge patch to the Jumpoint with the given id.
func (c *Client) PatchJumpoint(ctx context.Context, id int64, mergePatch map[string]any, opts ...WriteOption) (*Jumpoint, error) {
	return patch[Jumpoint](ctx, c, PathJumpoints, id, mergePatch, opts)
}

// DeleteJumpoint deletes the Jumpoint with the given id.
func (c *Client) DeleteJumpoint(ctx context.Context, id int64, opts ...WriteOption) error {
	return remove(ctx, c, PathJumpoints, id, opts)
}

// ListJumpoints returns one page of Jumpoints.
func (c *Client) ListJumpoints(ctx context.Context, opts *ListOptions) (*List[Jumpoint], error) {
	return list[Jumpoint](ctx, c, PathJumpoints, opts)
}

// CreateJumpClientInstaller creates a Jump Client installer and returns it as stored.
func (c *Client) CreateJumpClientInstaller(ctx context.Context, in *JumpClientInstaller) (*JumpClientInstaller, error) {
	return create(ctx, c, PathJumpClientInstallers, in)
}

// GetJumpClientInstaller returns the Jump Client installer with the given id.
func (c *Client) GetJumpClientInstaller(ctx context.Context, id int64) (*JumpClientInstaller, error) {
	return get[JumpClientInstaller](ctx, c, PathJumpClientInstallers, id)
}

// UpdateJumpClientInstaller replaces the Jump Client installer with the given id.
func (c *Client) UpdateJumpClientInstaller(ctx context.Context, id int64, in *JumpClientInstaller, opts ...WriteOption) (*JumpClientInstaller, error) {
	return update(ctx, c, PathJumpClientInstallers, id, in, opts)
}

// PatchJumpClientInstaller applies a JSON merge patch to the Jump Client installer with the given id.
func (c *Client) PatchJumpClientInstaller(ctx context.Context, id int64, mergePatch map[string]any, opts ...WriteOption) (*JumpClientInstaller, error) {
	return patch[JumpClientInstaller](ctx, c, PathJumpClientInstallers, id, mergePatch, opts)
}

// DeleteJumpClientInstaller deletes the Jump Client installer with the given id.
func (c *Client) DeleteJumpClientInstaller(ctx context.Context, id int64, opts ...WriteOption) error {
	return remove(ctx, c, PathJumpClientInstallers, id, opts)
}

// ListJumpClientInstallers returns one page of Jump Client installers.
func (c *Client) ListJumpClientInstallers(ctx context.Context, opts *ListOptions) (*List[JumpClientInstaller], error) {
	return list[JumpClientInstaller](ctx, c, PathJumpClientInstallers, opts)
}

// CreateProtocolTunnelJump creates a Protocol Tunnel Jump and returns it as stored.
func (c *Client) CreateProtocolTunnelJump(ctx context.Context, in *ProtocolTunnelJump) (*ProtocolTunnelJump, error) {
	return create(ctx, c, PathProtocolTunnelJumps, in)
}

// GetProtocolTunnelJump returns the Protocol Tunnel Jump with the given id.
func (c *Client) GetProtocolTunnelJump(ctx context.Context, id int64) (*ProtocolTunnelJump, error) {
	return get[ProtocolTunnelJump](ctx, c, PathProtocolTunnelJumps, id)
}

// UpdateProtocolTunnelJump replaces the Protocol Tunnel Jump with the given id.
func (c *Client) UpdateProtocolTunnelJump(ctx context.Context, id int64, in *ProtocolTunnelJump, opts ...WriteOption) (*ProtocolTunnelJump, error) {
	return update(ctx, c, PathProtocolTunnelJumps, id, in, opts)
}

// PatchProtocolTunnelJump applies a JSON merge patch to the Protocol Tunnel Jump with the given id.
func (c *Client) PatchProtocolTunnelJump(ctx context.Context, id int64, mergePatch map[string]any, opts ...WriteOption) (*ProtocolTunnelJump, error) {
	return patch[ProtocolTunnelJump](ctx, c, PathProtocolTunnelJumps, id, mergePatch, opts)
}

// DeleteProtocolTunnelJump deletes the Protocol Tunnel Jump with the given id.
func (c *Client) DeleteProtocolTunnelJump(ctx context.Context, id int64, opts ...WriteOption) error {
	return remove(ctx, c, PathProtocolTunnelJumps, id, opts)
}

// ListProtocolTunnelJumps returns one page of Protocol Tunnel Jumps.
func (c *Client) ListProtocolTunnelJumps(ctx context.Context, opts *ListOptions) (*List[ProtocolTunnelJump], error) {
	return list[ProtocolTunnelJump](ctx, c, PathProtocolTunnelJumps, opts)
}

// CreatePublicPortal creates a public portal and returns it as stored.
func (c *Client) CreatePublicPortal(ctx context.Context, in *PublicPortal) (*PublicPortal, error) {
	return create(ctx, c, PathPublicPortals, in)
}

// GetPublicPortal returns the public portal with the given id.
func (c *Client) GetPublicPortal(ctx context.Context, id int64) (*PublicPortal, error) {
	return get[PublicPortal](ctx, c, PathPublicPortals, id)
}

// UpdatePublicPortal replaces the public portal with the given id.
func (c *Client) UpdatePublicPortal(ctx context.Context, id int64, in *PublicPortal, opts ...WriteOption) (*PublicPortal, error) {
	return update(ctx, c, PathPublicPortals, id, in, opts)
}

// PatchPublicPortal applies a JSON merge patch to the public portal with the given id.
func (c *Client) PatchPublicPortal(ctx context.Context, id int64, mergePatch map[string]any, opts ...WriteOption) (*PublicPortal, error) {
	return patch[PublicPortal](ctx, c, PathPublicPortals, id, mergePatch, opts)
}

// DeletePublicPortal deletes the public portal with the given id.
func (c *Client) DeletePublicPortal(ctx context.Context, id int64, opts ...WriteOption) error {
	return remove(ctx, c, PathPublicPortals, id, opts)
}

// ListPublicPortals returns one page of public portals.
func (c *Client) ListPublicPortals(ctx context.Context, opts *ListOptions) (*List[PublicPortal], error) {
	return list[PublicPortal](ctx, c, PathPublicPortals, opts)
}

// CreateUser creates a user and returns it as stored.
func (c *Client) CreateUser(ctx context.Context, in *User) (*User, error) {
	return create(ctx, c, PathUsers, in)
}

// GetUser returns the user with the given id.
func (c *Client) GetUser(ctx context.Context, id int64) (*User, error) {
	return get[User](ctx, c, PathUsers, id)
}

// UpdateUser replaces the user with the given id.
func (c *Client) UpdateUser(ctx context.Context, id int64, in *User, opts ...WriteOption) (*User, error) {
	return update(ctx, c, PathUsers, id, in, opts)
}

// PatchUser applies a JSON merge patch to the user with the given id.
func (c *Client) PatchUser(ctx context.Context, id int64, mergePatch map[string]any, opts ...WriteOption) (*User, error) {
	return patch[User](ctx, c, PathUsers, id, mergePatch, opts)
}

// DeleteUser deletes the user with the given id.
func (c *Client) DeleteUser(ctx context.Context, id int64, opts ...WriteOption) error {
	return remove(ctx, c, PathUsers, id, opts)
}

// ListUsers returns one page of users.
func (c *Client) ListUsers(ctx context.Context, opts *ListOptions) (*List[User], error) {
	return list[User](ctx, c, PathUsers, opts)
}

// CreateGroupPolicy creates a group policy and returns it as stored.
func (c *Client) CreateGroupPolicy(ctx context.Context, in *GroupPolicy) (*GroupPolicy, error) {
	return create(ctx, c, PathGroupPolicies, in)
}

// GetGroupPolicy returns the group policy with the given id.
func (c *Client) GetGroupPolicy(ctx context.Context, id int64) (*GroupPolicy, error) {
	return get[GroupPolicy](ctx, c, PathGroupPolicies, id)
}

// UpdateGroupPolicy replaces the group policy with the given id.
func (c *Client) UpdateGroupPolicy(ctx context.Context, id int64, in *GroupPolicy, opts ...WriteOption) (*GroupPolicy, error) {
	return update(ctx, c, PathGroupPolicies, id, in, opts)
}

// PatchGroupPolicy applies a JSON merge patch to the group policy with the given id.
func (c *Client) PatchGroupPolicy(ctx context.Context, id int64, mergePatch map[string]any, opts ...WriteOption) (*GroupPolicy, error) {
	return patch[GroupPolicy](ctx, c, PathGroupPolicies, id, mergePatch, opts)
}

// DeleteGroupPolicy deletes the group policy with the given id.
func (c *Client) DeleteGroupPolicy(ctx context.Context, id int64, opts ...WriteOption) error {
	return remove(ctx, c, PathGroupPolicies, id, opts)
}

// ListGroupPolicies returns one page of group policies.
func (c *Client) ListGroupPolicies(ctx context.Context, opts *ListOptions) (*List[GroupPolicy], error) {
	return list[GroupPolicy](ctx, c, PathGroupPolicies, opts)
}

// CreateAPIToken creates an API token; the answer's Token field holds the
// secret, which is never shown again.
func (c *Client) CreateAPIToken(ctx context.Context, in *APIToken) (*APIToken, error) {
	return create(ctx, c, PathAPITokens, in)
}

// GetAPIToken returns the API token with the given id (without its secret).
func (c *Client) GetAPIToken(ctx context.Context, id int64) (*APIToken, error) {
	return get[APIToken](ctx, c, PathAPITokens, id)
}

// UpdateAPIToken replaces the name and expiry of an API token.
func (c *Client) UpdateAPIToken(ctx context.Context, id int64, in *APIToken, opts ...WriteOption) (*APIToken, error) {
	return update(ctx, c, PathAPITokens, id, in, opts)
}

// DeleteAPIToken revokes an API token; it stops working at once.
func (c *Client) DeleteAPIToken(ctx context.Context, id int64, opts ...WriteOption) error {
	return remove(ctx, c, PathAPITokens, id, opts)
}

// ListAPITokens returns one page of API tokens: the caller's own, or every
// token for an admin.
func (c *Client) ListAPITokens(ctx context.Context, opts *ListOptions) (*List[APIToken], error) {
	return list[APIToken](ctx, c, PathAPITokens, opts)
}

// GetInstallerKeyInfo returns the key info of a Jump Client installer.
func (c *Client) GetInstallerKeyInfo(ctx context.Context, id int64) (*InstallerKeyInfo, error) {
	out := &InstallerKeyInfo{}
	if _, err := c.Do(ctx, "GET", itemPath(PathJumpClientInstallers, id)+"/key-info", nil, nil, out); err != nil {
		return nil, err
	}
	return out, nil
}

// GetJumpointKeyInfo issues fresh key info for new nodes of a Jumpoint,
// valid for 24 hours (administrators only). The appliance answers 409 when
// the Jumpoint is disabled.
func (c *Client) GetJumpointKeyInfo(ctx context.Context, id int64) (*JumpointKeyInfo, error) {
	out := &JumpointKeyInfo{}
	if _, err := c.Do(ctx, "GET", itemPath(PathJumpoints, id)+"/key-info", nil, nil, out); err != nil {
		return nil, err
	}
	return out, nil
}

// ListJumpointNodes returns every enrolled node of a Jumpoint, connected or
// not, in id order (administrators only); it is the Jumpoint's nodes field.
func (c *Client) ListJumpointNodes(ctx context.Context, jumpointID int64) ([]JumpointNodeInfo, error) {
	out := &List[JumpointNodeInfo]{}
	if _, err := c.Do(ctx, "GET", itemPath(PathJumpoints, jumpointID)+"/nodes", nil, nil, out); err != nil {
		return nil, err
	}
	return out.Items, nil
}

// DeleteJumpointNode removes an enrolled node from a Jumpoint
// (administrators only), so that it no longer counts against the
// Jumpoint's node limit. The node's key stops working; a node connected
// now is disconnected and its agent uninstalls itself. The appliance
// answers 404 when the Jumpoint has no such node.
func (c *Client) DeleteJumpointNode(ctx context.Context, jumpointID, nodeID int64) error {
	_, err := c.Do(ctx, "DELETE", itemPath(itemPath(PathJumpoints, jumpointID)+"/nodes", nodeID), nil, nil, nil)
	return err
}

// RotateInstallerKey re-issues the key of a Jump Client installer: it gets a
// new installer_id and a new validity window of valid_duration from now, and
// the answer carries the new key info. Key info and downloads made before
// stop working; installed clients are not affected.
func (c *Client) RotateInstallerKey(ctx context.Context, id int64, opts ...WriteOption) (*JumpClientInstaller, error) {
	out := &JumpClientInstaller{}
	if _, err := c.Do(ctx, "POST", itemPath(PathJumpClientInstallers, id)+"/rotate-key", nil, nil, out, opts...); err != nil {
		return nil, err
	}
	return out, nil
}

// ListAuditEvents returns one page of audit events, newest last. Filters:
// object_type, object_id, actor, action, since and until (RFC 3339).
func (c *Client) ListAuditEvents(ctx context.Context, opts *ListOptions) (*List[AuditEvent], error) {
	return list[AuditEvent](ctx, c, PathAuditEvents, opts)
}

// GetJumpClientSettings returns the site-wide Jump Client settings.
func (c *Client) GetJumpClientSettings(ctx context.Context) (*JumpClientSettings, error) {
	out := &JumpClientSettings{}
	if _, err := c.Do(ctx, "GET", PathJumpClientSettings, nil, nil, out); err != nil {
		return nil, err
	}
	return out, nil
}

// UpdateJumpClientSettings replaces the site-wide Jump Client settings.
func (c *Client) UpdateJumpClientSettings(ctx context.Context, in *JumpClientSettings, opts ...WriteOption) (*JumpClientSettings, error) {
	out := &JumpClientSettings{}
	if _, err := c.Do(ctx, "PUT", PathJumpClientSettings, nil, in, out, opts...); err != nil {
		return nil, err
	}
	return out, nil
}
