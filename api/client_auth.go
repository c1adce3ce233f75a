package api

import (
	"context"
	"fmt"
	"net/http"
)

// ResetUserMFA removes user id's TOTP and recovery codes and ends their
// browser sessions (administrators; DELETE /api/v1/users/{id}/mfa).
func (c *Client) ResetUserMFA(ctx context.Context, id int64) error {
	_, err := c.Do(ctx, http.MethodDelete, fmt.Sprintf("%s/%d/mfa", PathUsers, id), nil, nil, nil)
	return err
}

// EndUserBrowserSessions ends every browser session of user id, closing
// the session channels opened with them (administrators;
// DELETE /api/v1/users/{id}/sessions).
func (c *Client) EndUserBrowserSessions(ctx context.Context, id int64) error {
	_, err := c.Do(ctx, http.MethodDelete, fmt.Sprintf("%s/%d/sessions", PathUsers, id), nil, nil, nil)
	return err
}
