package api

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestClient_SessionRoutes(t *testing.T) {
	var gotMethod, gotPath, gotQuery, gotBody string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		gotMethod, gotPath, gotQuery, gotBody = r.Method, r.URL.Path, r.URL.RawQuery, string(b)
		w.Header().Set("Content-Type", "application/json")
		switch {
		case strings.HasPrefix(r.URL.Path, "/api/v1/approvals/"):
			_, _ = io.WriteString(w, `{"id":9,"status":"granted"}`)
		case strings.HasPrefix(r.URL.Path, "/api/v1/access-codes/"), r.URL.Path == "/api/v1/access-codes" && r.Method == http.MethodPost:
			_, _ = io.WriteString(w, `{"id":4,"code":"123456","status":"pending"}`)
		case r.URL.Path == "/api/v1/sessions" && r.Method == http.MethodGet, r.URL.Path == "/api/v1/approvals", r.URL.Path == "/api/v1/access-codes":
			_, _ = io.WriteString(w, `{"items":[],"next_cursor":""}`)
		default:
			_, _ = io.WriteString(w, `{"id":7,"status":"active"}`)
		}
	}))
	defer srv.Close()
	c, err := New(srv.URL, WithToken("t"), WithInsecureHTTP())
	require.NoError(t, err)
	ctx := context.Background()
	one := &ListOptions{Filters: map[string]string{"status": "pending"}}

	tests := []struct {
		name       string
		call       func() error
		wantMethod string
		wantPath   string
		wantQuery  string
		wantBody   string
	}{
		{name: "start", call: func() error {
			_, err := c.StartSession(ctx, &SessionRequest{ItemType: ItemJumpClient, ItemID: 3, AutoEnd: true})
			return err
		}, wantMethod: "POST", wantPath: "/api/v1/sessions",
			wantBody: `{"item_type":"jump_client","item_id":3,"mode":"","ticket_id":"","reason":"","auto_end":true}`},
		{name: "get", call: func() error { _, err := c.GetSession(ctx, 7); return err }, wantMethod: "GET", wantPath: "/api/v1/sessions/7"},
		{name: "list", call: func() error { _, err := c.ListSessions(ctx, one); return err }, wantMethod: "GET", wantPath: "/api/v1/sessions", wantQuery: "status=pending"},
		{name: "end without body", call: func() error { _, err := c.EndSession(ctx, 7, nil); return err }, wantMethod: "POST", wantPath: "/api/v1/sessions/7/end", wantBody: `{"reason":""}`},
		{name: "feedback", call: func() error { _, err := c.SessionFeedback(ctx, 7, &SessionFeedback{Rating: 4}); return err },
			wantMethod: "POST", wantPath: "/api/v1/sessions/7/feedback", wantBody: `{"rating":4,"feedback":""}`},
		{name: "approvals", call: func() error { _, err := c.ListApprovals(ctx, one); return err }, wantMethod: "GET", wantPath: "/api/v1/approvals", wantQuery: "status=pending"},
		{name: "grant", call: func() error { _, err := c.GrantApproval(ctx, 9, &ApprovalDecision{DurationMinutes: 30}); return err },
			wantMethod: "POST", wantPath: "/api/v1/approvals/9/grant", wantBody: `{"duration_minutes":30,"comment":""}`},
		{name: "deny", call: func() error { _, err := c.DenyApproval(ctx, 9, nil); return err },
			wantMethod: "POST", wantPath: "/api/v1/approvals/9/deny", wantBody: `{"duration_minutes":0,"comment":""}`},
		{name: "create code", call: func() error { _, err := c.CreateAccessCode(ctx, &AccessCode{Comment: "x"}); return err },
			wantMethod: "POST", wantPath: "/api/v1/access-codes"},
		{name: "get code", call: func() error { _, err := c.GetAccessCode(ctx, 4); return err }, wantMethod: "GET", wantPath: "/api/v1/access-codes/4"},
		{name: "list codes", call: func() error { _, err := c.ListAccessCodes(ctx, nil); return err }, wantMethod: "GET", wantPath: "/api/v1/access-codes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.NoError(t, tt.call())
			assert.Equal(t, tt.wantMethod, gotMethod)
			assert.Equal(t, tt.wantPath, gotPath)
			assert.Equal(t, tt.wantQuery, gotQuery)
			if tt.wantBody != "" {
				assert.JSONEq(t, tt.wantBody, gotBody)
			}
		})
	}
}

func TestClient_SessionRefusal(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusForbidden)
		_, _ = io.WriteString(w, `{"type":"`+ProblemSessionRefused+`","title":"Forbidden","status":403,
			"detail":"approval is required","reason":"approval_required","session_id":7,"approval_id":9}`)
	}))
	defer srv.Close()
	c, err := New(srv.URL, WithInsecureHTTP())
	require.NoError(t, err)
	_, err = c.StartSession(context.Background(), &SessionRequest{ItemType: ItemJumpClient, ItemID: 1})
	var p *Problem
	require.True(t, errors.As(err, &p))
	assert.ErrorIs(t, err, ErrForbidden)
	assert.Equal(t, ProblemSessionRefused, p.Type)
	assert.Equal(t, RefusedApprovalRequired, p.Reason)
	assert.Equal(t, int64(7), p.SessionID)
	assert.Equal(t, int64(9), p.ApprovalID)
}

func TestClient_DownloadRecording(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v1/sessions/7/recordings/2" || r.Header.Get("Authorization") != "Bearer t" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Disposition", `attachment; filename="session-7-shell-2.cast"`)
		_, _ = io.WriteString(w, "{\"version\":2}\n")
	}))
	defer srv.Close()
	c, err := New(srv.URL, WithToken("t"), WithInsecureHTTP())
	require.NoError(t, err)
	var b bytes.Buffer
	name, err := c.DownloadRecording(context.Background(), 7, 2, &b)
	require.NoError(t, err)
	assert.Equal(t, "session-7-shell-2.cast", name)
	assert.Equal(t, "{\"version\":2}\n", b.String())
}

func TestClient_Header(t *testing.T) {
	c, err := New("https://jumpgate.example", WithToken("secret"), WithUserAgent("ua/1"))
	require.NoError(t, err)
	h := c.Header()
	assert.Equal(t, "Bearer secret", h.Get("Authorization"))
	assert.Equal(t, "ua/1", h.Get("User-Agent"))
	h.Set("Authorization", "changed")
	assert.Equal(t, "Bearer secret", c.Header().Get("Authorization"), "a copy")

	c, err = New("https://jumpgate.example")
	require.NoError(t, err)
	assert.Empty(t, c.Header().Get("Authorization"))
}
