package api

import (
	"context"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
)

// GetJumpClient returns the installed Jump Client with the given id.
func (c *Client) GetJumpClient(ctx context.Context, id int64) (*JumpClient, error) {
	return get[JumpClient](ctx, c, PathJumpClients, id)
}

// PatchJumpClient applies a JSON merge patch to a Jump Client (name, tag,
// comments, policies, jump group, connection type, max offline minutes).
func (c *Client) PatchJumpClient(ctx context.Context, id int64, mergePatch map[string]any, opts ...WriteOption) (*JumpClient, error) {
	return patch[JumpClient](ctx, c, PathJumpClients, id, mergePatch, opts)
}

// DeleteJumpClient deletes a Jump Client; its agent uninstalls itself.
func (c *Client) DeleteJumpClient(ctx context.Context, id int64, opts ...WriteOption) error {
	return remove(ctx, c, PathJumpClients, id, opts)
}

// ListJumpClients returns one page of installed Jump Clients.
func (c *Client) ListJumpClients(ctx context.Context, opts *ListOptions) (*List[JumpClient], error) {
	return list[JumpClient](ctx, c, PathJumpClients, opts)
}

// WakeJumpClient asks for a Wake-on-LAN of a Jump Client through an online
// client on the same network.
func (c *Client) WakeJumpClient(ctx context.Context, id int64, in *WakeRequest) (*WakeResult, error) {
	out := &WakeResult{}
	if in == nil {
		in = &WakeRequest{}
	}
	if _, err := c.Do(ctx, http.MethodPost, itemPath(PathJumpClients, id)+"/wake", nil, in, out); err != nil {
		return nil, err
	}
	return out, nil
}

// Download streams the file at path (under /api/v1, e.g.
// "jump-client-installers/3/download/linux-amd64") into w and returns the
// file name from Content-Disposition.
func (c *Client) Download(ctx context.Context, path string, w io.Writer) (string, error) {
	u := *c.base
	u.Path = strings.TrimRight(u.Path, "/") + "/api/v1/" + strings.TrimLeft(path, "/")
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return "", fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("User-Agent", c.userAgent)
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return "", fmt.Errorf("GET %s: %w", u.Path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", decodeProblem(resp)
	}
	name := ""
	if _, params, err := mime.ParseMediaType(resp.Header.Get("Content-Disposition")); err == nil {
		name = params["filename"]
	}
	if _, err := io.Copy(w, resp.Body); err != nil {
		return name, fmt.Errorf("download %s: %w", u.Path, err)
	}
	return name, nil
}

// PatchJumpClientSettings applies a JSON merge patch to the site-wide Jump
// Client settings.
func (c *Client) PatchJumpClientSettings(ctx context.Context, mergePatch map[string]any, opts ...WriteOption) (*JumpClientSettings, error) {
	out := &JumpClientSettings{}
	if _, err := c.Do(ctx, http.MethodPatch, PathJumpClientSettings, nil, mergePatch, out, opts...); err != nil {
		return nil, err
	}
	return out, nil
}
