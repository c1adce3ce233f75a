package enroll_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/agent/internal/conn"
	"github.com/jumpgate/jumpgate/agent/internal/conn/conntest"
	"github.com/jumpgate/jumpgate/agent/internal/enroll"
	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/api/agentproto"
)

func TestEnroll(t *testing.T) {
	a := conntest.New(t)
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	name := "desk-7"

	resp, err := enroll.Enroll(t.Context(), a.Dialer(), agentproto.EnrollRequest{
		KeyInfo:   a.KeyInfo(t, time.Now().Add(time.Hour)),
		PublicKey: pub,
		Overrides: agentproto.Overrides{Name: &name},
		Facts:     agentproto.Facts{Hostname: "desk"},
		Version:   "1.0.0",
	})
	require.NoError(t, err)
	assert.NotZero(t, resp.ID)
	assert.Equal(t, agentproto.KindJumpClient, resp.Kind)
	got := a.Enrolls()
	require.Len(t, got, 1)
	assert.Equal(t, []byte(pub), got[0].PublicKey)
	assert.Equal(t, "desk-7", *got[0].Overrides.Name)
	assert.Equal(t, "desk", got[0].Facts.Hostname)
}

func TestEnroll_Refusals(t *testing.T) {
	tests := []struct {
		name      string
		handler   http.HandlerFunc
		wantIn    string
		wantIs    error
		transient bool
	}{
		{
			name: "problem json",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/problem+json")
				w.WriteHeader(http.StatusUnprocessableEntity)
				_, _ = w.Write([]byte(`{"title":"Validation Failed","status":422,"detail":"the installer does not allow overriding jump_group","errors":[{"field":"overrides.jump_group","detail":"not allowed"}]}`))
			},
			wantIn: "the installer does not allow overriding jump_group",
			wantIs: api.ErrValidation,
		},
		{
			name: "proxy error page",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/html")
				w.WriteHeader(http.StatusBadGateway)
				_, _ = w.Write([]byte("<html>bad gateway</html>"))
			},
			wantIn:    "502 bad gateway",
			transient: true,
		},
		{
			name: "plain text forbidden",
			handler: func(w http.ResponseWriter, r *http.Request) {
				http.Error(w, "key info has expired", http.StatusForbidden)
			},
			wantIn: "key info has expired",
			wantIs: api.ErrForbidden,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(tt.handler)
			defer srv.Close()
			_, err := enroll.Enroll(t.Context(), &conn.Dialer{URL: srv.URL, Proxy: "direct"}, agentproto.EnrollRequest{})
			require.Error(t, err)
			var p *api.Problem
			require.ErrorAs(t, err, &p)
			assert.Contains(t, err.Error(), tt.wantIn)
			if tt.wantIs != nil {
				assert.ErrorIs(t, err, tt.wantIs)
			}
			assert.NotErrorIs(t, err, enroll.ErrUnreachable)
			assert.Equal(t, tt.transient, enroll.Transient(err))
		})
	}
}

func TestEnroll_Unreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	l.Close()
	_, err = enroll.Enroll(t.Context(), &conn.Dialer{URL: "https://" + addr, CAPin: "sha256:00", Proxy: "direct"}, agentproto.EnrollRequest{})
	require.ErrorIs(t, err, enroll.ErrUnreachable)
	assert.Contains(t, err.Error(), "cannot reach the appliance at https://"+addr)
	assert.True(t, enroll.Transient(err))
}

func TestEnroll_ExpiredKeyInfoIsRefused(t *testing.T) {
	a := conntest.New(t)
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	_, err = enroll.Enroll(t.Context(), a.Dialer(), agentproto.EnrollRequest{KeyInfo: a.KeyInfo(t, time.Now().Add(-time.Minute)), PublicKey: pub})
	require.ErrorIs(t, err, api.ErrForbidden)
	assert.Contains(t, err.Error(), "expired")
}
