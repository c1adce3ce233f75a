package api

import "context"

// ListJumpItems returns one page of the Jump Items the caller may see. The
// filters are kind, jump_group_id, jump_group_type, tag, status and
// jumpoint_id; Search and Sort (name, tag, status, hostname, kind; default
// name) apply.
func (c *Client) ListJumpItems(ctx context.Context, opts *ListOptions) (*List[JumpItem], error) {
	return list[JumpItem](ctx, c, PathJumpItems, opts)
}
