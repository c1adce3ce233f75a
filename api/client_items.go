package api

import (
	"context"
	"net/http"
)

// ListJumpItems returns one page of the Jump Items the caller may see. The
// filters are kind, jump_group_id, jump_group_type, tag, status and
// jumpoint_id; Search and Sort (name, tag, status, hostname, kind; default
// name) apply.
func (c *Client) ListJumpItems(ctx context.Context, opts *ListOptions) (*List[JumpItem], error) {
	return list[JumpItem](ctx, c, PathJumpItems, opts)
}

// CreateDownloadURL issues a signed URL that downloads one platform of
// installer id without a token, with its copyable commands.
func (c *Client) CreateDownloadURL(ctx context.Context, id int64, in *DownloadURLRequest) (*InstallerDownload, error) {
	out := &InstallerDownload{}
	if _, err := c.Do(ctx, http.MethodPost, itemPath(PathJumpClientInstallers, id)+"/download-urls", nil, in, out); err != nil {
		return nil, err
	}
	return out, nil
}

// RotateDownloadURLKey replaces the key that signs download URLs: every
// signed URL issued before stops working.
func (c *Client) RotateDownloadURLKey(ctx context.Context) error {
	_, err := c.Do(ctx, http.MethodPost, "installers/download-url-key/rotate", nil, nil, nil)
	return err
}
