package api

import (
	"context"
	"net/http"
	"strings"
)

// consoleSettingsPath is PathConsoleSettings relative to /api/v1, as Do
// takes it.
var consoleSettingsPath = strings.TrimPrefix(PathConsoleSettings, "/api/v1/")

// GetConsoleSettings returns the console settings (browser sign-in: MFA,
// session lifetimes, trusted origins).
func (c *Client) GetConsoleSettings(ctx context.Context) (*ConsoleSettings, error) {
	out := &ConsoleSettings{}
	if _, err := c.Do(ctx, http.MethodGet, consoleSettingsPath, nil, nil, out); err != nil {
		return nil, err
	}
	return out, nil
}

// UpdateConsoleSettings replaces the console settings; a setting left out
// gets its default (ConsoleSettings.ApplyDefaults). Administrators only.
func (c *Client) UpdateConsoleSettings(ctx context.Context, in *ConsoleSettings, opts ...WriteOption) (*ConsoleSettings, error) {
	out := &ConsoleSettings{}
	if _, err := c.Do(ctx, http.MethodPut, consoleSettingsPath, nil, in, out, opts...); err != nil {
		return nil, err
	}
	return out, nil
}

// PatchConsoleSettings changes the console settings with a JSON merge
// patch (RFC 7396); settings it leaves out keep their value.
// Administrators only.
func (c *Client) PatchConsoleSettings(ctx context.Context, mergePatch map[string]any, opts ...WriteOption) (*ConsoleSettings, error) {
	out := &ConsoleSettings{}
	if _, err := c.Do(ctx, http.MethodPatch, consoleSettingsPath, nil, mergePatch, out, opts...); err != nil {
		return nil, err
	}
	return out, nil
}
