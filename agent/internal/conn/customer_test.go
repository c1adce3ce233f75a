package conn_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/agent/internal/conn"
	"github.com/jumpgate/jumpgate/agent/internal/conn/conntest"
	"github.com/jumpgate/jumpgate/api/agentproto"
)

func customerAuth(code string) agentproto.Auth {
	return agentproto.Auth{Kind: agentproto.KindCustomer, Intent: agentproto.IntentJoin, Code: code, Name: "Carol", Version: "test"}
}

// TestConnect_Customer joins unsigned with an access code, as
// `jumpgate-agent join` does.
func TestConnect_Customer(t *testing.T) {
	tests := []struct {
		name        string
		reply       func(agentproto.Auth) agentproto.HandshakeReply
		wantRefusal string
	}{
		{
			name: "welcomed with its session",
			reply: func(a agentproto.Auth) agentproto.HandshakeReply {
				return agentproto.HandshakeReply{Welcome: &agentproto.Welcome{Session: &agentproto.SessionInfo{ID: 5, Status: "active"}}}
			},
		},
		{name: "an unknown code", wantRefusal: agentproto.RefusedCode},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := conntest.New(t)
			if tt.reply != nil {
				a.OnAuth(tt.reply)
			}
			s, err := a.Dialer().Connect(context.Background(), nil, customerAuth("123456"))
			if tt.wantRefusal != "" {
				var re *conn.RefusedError
				require.ErrorAs(t, err, &re)
				assert.Equal(t, tt.wantRefusal, re.Refused.Code)
			} else {
				require.NoError(t, err)
				defer s.Close()
				require.NotNil(t, s.Welcome.Session)
				assert.Equal(t, int64(5), s.Welcome.Session.ID)
				ac := recvConn(t, a)
				require.NoError(t, s.Control.Send(agentproto.Control{Type: agentproto.MsgReport}))
				m, err := ac.Control.Recv()
				require.NoError(t, err)
				assert.Equal(t, agentproto.MsgReport, m.Type)
			}
			auths := a.Auths()
			require.Len(t, auths, 1)
			assert.Equal(t, "123456", auths[0].Code)
			assert.Equal(t, "Carol", auths[0].Name)
			assert.Empty(t, auths[0].Signature, "a customer client signs nothing")
		})
	}
}

func TestConnect_NoKeyIsOnlyForCustomers(t *testing.T) {
	a := conntest.New(t)
	_, err := a.Dialer().Connect(context.Background(), nil, auth(1, agentproto.IntentRun))
	assert.ErrorContains(t, err, "no key to authenticate as jump_client 1 with")
	assert.Empty(t, a.Auths(), "nothing was sent")
}

// TestDialer_TLSConfig trusts a given CA instead of a pin; without it the
// system roots do not know the fake's CA.
func TestDialer_TLSConfig(t *testing.T) {
	a := conntest.New(t)
	a.OnAuth(func(agentproto.Auth) agentproto.HandshakeReply {
		return agentproto.HandshakeReply{Welcome: &agentproto.Welcome{}}
	})
	chain := a.Server.TLS.Certificates[0].Certificate
	ca, err := x509.ParseCertificate(chain[len(chain)-1])
	require.NoError(t, err)
	pool := x509.NewCertPool()
	pool.AddCert(ca)

	tests := []struct {
		name    string
		tls     *tls.Config
		wantErr bool
	}{
		{name: "the given CA", tls: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}},
		{name: "the system roots", tls: &tls.Config{MinVersion: tls.VersionTLS12}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &conn.Dialer{URL: a.URL, Proxy: "direct", TLSConfig: tt.tls}
			s, err := d.Connect(context.Background(), nil, customerAuth("1"))
			if tt.wantErr {
				assert.ErrorIs(t, err, conn.ErrUnreachable)
				return
			}
			require.NoError(t, err)
			s.Close()
		})
	}
}
