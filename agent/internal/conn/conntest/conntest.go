// Package conntest is a small fake of the appliance's agent endpoints for
// the agent's tests: enrollment, the connect handshake, yamux with the
// control stream, and build streams. It speaks agentproto exactly as the
// appliance must, so the agent's side is proven without the real appliance;
// the end-to-end tests with the real appliance live in test/e2e.
package conntest

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/hashicorp/yamux"

	"github.com/jumpgate/jumpgate/agent/internal/conn"
	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/api/agentproto"
	"github.com/jumpgate/jumpgate/api/keyinfo"
)

// Appliance is a fake appliance on an httptest TLS server whose certificate
// is issued by its own CA, as a real appliance's is.
type Appliance struct {
	// URL is the server's base URL ("https://127.0.0.1:port").
	URL string
	// CAPin pins the fake's CA.
	CAPin string
	// SigningKey signs key info and builds.
	SigningKey ed25519.PrivateKey
	// Server is the underlying test server.
	Server *httptest.Server
	// Conns receives every agent connection that was welcomed.
	Conns chan *AgentConn

	mu        sync.Mutex
	keys      map[int64]ed25519.PublicKey
	nextID    int64
	config    agentproto.Config
	onAuth    func(agentproto.Auth) agentproto.HandshakeReply
	onEnroll  func(agentproto.EnrollRequest) (*agentproto.EnrollResponse, *api.Problem)
	busy      int // Retry-After seconds when > 0
	builds    map[string][]byte
	auths     []agentproto.Auth
	enrolls   []agentproto.EnrollRequest
	muxes     []*yamux.Session
	closeOnce sync.Once
}

// New starts a fake appliance and closes it when the test ends.
func New(t testing.TB) *Appliance {
	t.Helper()
	_, sk, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ca, leaf, err := certs()
	if err != nil {
		t.Fatal(err)
	}
	a := &Appliance{
		SigningKey: sk,
		CAPin:      agentproto.Pin(ca.Raw),
		Conns:      make(chan *AgentConn, 16),
		keys:       map[int64]ed25519.PublicKey{},
		nextID:     100,
		builds:     map[string][]byte{},
		config: agentproto.Config{
			Name:                      "test-client",
			ConnectionType:            "active",
			StandbyCheckInMinutes:     60,
			Statistics:                []string{api.StatCPU, api.StatUptime},
			StatisticsIntervalSeconds: 60,
		},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+agentproto.PathEnroll, a.serveEnroll)
	mux.HandleFunc("GET "+agentproto.PathConnect, a.serveConnect)
	a.Server = httptest.NewUnstartedServer(mux)
	a.Server.TLS = &tls.Config{Certificates: []tls.Certificate{leaf}, MinVersion: tls.VersionTLS12}
	a.Server.StartTLS()
	a.URL = a.Server.URL
	t.Cleanup(a.Close)
	return a
}

// Close stops the server and ends every agent session.
func (a *Appliance) Close() {
	a.closeOnce.Do(func() {
		a.mu.Lock()
		muxes := a.muxes
		a.mu.Unlock()
		for _, m := range muxes {
			m.Close()
		}
		a.Server.Close()
	})
}

// Dialer returns a conn.Dialer for this appliance (direct, no proxy).
func (a *Appliance) Dialer() *conn.Dialer {
	return &conn.Dialer{URL: a.URL, CAPin: a.CAPin, Proxy: "direct"}
}

// KeyInfo returns a key info string for this appliance expiring at exp.
func (a *Appliance) KeyInfo(t testing.TB, exp time.Time) string {
	t.Helper()
	s, err := keyinfo.Sign(keyinfo.Payload{
		Kind: keyinfo.KindJumpClient, URL: a.URL, CAPin: a.CAPin,
		InstallerID: "inst1", Expires: exp.Unix(),
	}, a.SigningKey)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Register enrolls pub directly and returns its id.
func (a *Appliance) Register(pub ed25519.PublicKey) int64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.nextID++
	a.keys[a.nextID] = pub
	return a.nextID
}

// Forget drops an id, as deleting a Jump Client does.
func (a *Appliance) Forget(id int64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.keys, id)
}

// SetConfig sets the configuration sent with Welcome and enrollment.
func (a *Appliance) SetConfig(c agentproto.Config) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.config = c
}

// OnAuth replaces the default handshake decision (welcome every valid
// signature of a known id; refuse unknown ids with code deleted; refuse
// every customer client with code code_invalid). It is called only for
// valid signatures of known ids, and for every customer client (kind
// customer, unsigned), whose access code it judges.
func (a *Appliance) OnAuth(f func(agentproto.Auth) agentproto.HandshakeReply) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.onAuth = f
}

// OnEnroll replaces the default enrollment (verify the key info, assign an
// id); a non-nil problem is sent as problem+json.
func (a *Appliance) OnEnroll(f func(agentproto.EnrollRequest) (*agentproto.EnrollResponse, *api.Problem)) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.onEnroll = f
}

// SetBusy makes the connect endpoint answer 503 with Retry-After seconds
// (the admission limiter); 0 admits again.
func (a *Appliance) SetBusy(retryAfter int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.busy = retryAfter
}

// SetBuild serves b on build streams for platform.
func (a *Appliance) SetBuild(platform string, b []byte) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.builds[platform] = b
}

// Auths returns every Auth received with a valid signature, and every
// customer client's.
func (a *Appliance) Auths() []agentproto.Auth {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]agentproto.Auth(nil), a.auths...)
}

// Enrolls returns every enrollment request received.
func (a *Appliance) Enrolls() []agentproto.EnrollRequest {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]agentproto.EnrollRequest(nil), a.enrolls...)
}

// SignUpgrade returns an Upgrade for b signed with the appliance's key.
func (a *Appliance) SignUpgrade(platform, version string, b []byte) *agentproto.Upgrade {
	sum := sha256hex(b)
	u := &agentproto.Upgrade{Version: version, Platform: platform, SHA256: sum, Size: int64(len(b))}
	u.Signature = ed25519.Sign(a.SigningKey, agentproto.BuildMessage(platform, version, sum, u.Size))
	return u
}

func (a *Appliance) serveEnroll(w http.ResponseWriter, r *http.Request) {
	var req agentproto.EnrollRequest
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&req); err != nil {
		writeProblem(w, &api.Problem{Status: 400, Title: "Bad Request", Detail: err.Error()})
		return
	}
	a.mu.Lock()
	a.enrolls = append(a.enrolls, req)
	f := a.onEnroll
	a.mu.Unlock()
	var resp *agentproto.EnrollResponse
	var prob *api.Problem
	if f != nil {
		resp, prob = f(req)
	} else {
		resp, prob = a.enroll(req)
	}
	if prob != nil {
		writeProblem(w, prob)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(w).Encode(resp)
}

func (a *Appliance) enroll(req agentproto.EnrollRequest) (*agentproto.EnrollResponse, *api.Problem) {
	if _, err := keyinfo.Verify(req.KeyInfo, a.SigningKey.Public().(ed25519.PublicKey), time.Now()); err != nil {
		return nil, &api.Problem{Status: http.StatusForbidden, Title: "Forbidden", Detail: err.Error()}
	}
	if len(req.PublicKey) != ed25519.PublicKeySize {
		return nil, &api.Problem{Status: http.StatusBadRequest, Title: "Bad Request", Detail: "public_key is not an Ed25519 key"}
	}
	id := a.Register(req.PublicKey)
	a.mu.Lock()
	cfg := a.config
	a.mu.Unlock()
	return &agentproto.EnrollResponse{Kind: agentproto.KindJumpClient, ID: id, Name: cfg.Name, Config: cfg}, nil
}

func writeProblem(w http.ResponseWriter, p *api.Problem) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

// AgentConn is one welcomed agent connection, seen from the appliance.
type AgentConn struct {
	// Auth is what the agent sent.
	Auth agentproto.Auth
	// Mux is the yamux server session.
	Mux *yamux.Session
	// Control is the control stream the agent opened.
	Control *conn.Control
}

// Close ends the connection.
func (c *AgentConn) Close() error { return c.Mux.Close() }

func (a *Appliance) serveConnect(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	busy := a.busy
	a.mu.Unlock()
	if busy > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(busy))
		http.Error(w, "busy", http.StatusServiceUnavailable)
		return
	}
	c, err := websocket.Accept(w, r, &websocket.AcceptOptions{Subprotocols: []string{agentproto.Subprotocol}})
	if err != nil {
		return
	}
	if c.Subprotocol() != agentproto.Subprotocol {
		c.Close(websocket.StatusPolicyViolation, "subprotocol")
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), agentproto.HandshakeTimeout)
	defer cancel()
	nonce := make([]byte, 32)
	_, _ = rand.Read(nonce)
	if err := writeJSON(ctx, c, agentproto.Hello{Nonce: nonce, ServerTime: time.Now()}); err != nil {
		c.CloseNow()
		return
	}
	_, b, err := c.Read(ctx)
	if err != nil {
		c.CloseNow()
		return
	}
	var auth agentproto.Auth
	if err := json.Unmarshal(b, &auth); err != nil {
		c.CloseNow()
		return
	}
	reply := a.decide(nonce, auth)
	if err := writeJSON(ctx, c, reply); err != nil || reply.Welcome == nil {
		c.Close(websocket.StatusPolicyViolation, "refused")
		return
	}
	if auth.Intent == agentproto.IntentUninstall {
		// The appliance records the uninstall and closes: no session.
		c.Close(websocket.StatusNormalClosure, "uninstalled")
		return
	}
	nc := websocket.NetConn(context.Background(), c, websocket.MessageBinary)
	cfg := yamux.DefaultConfig()
	cfg.LogOutput = io.Discard
	mux, err := yamux.Server(nc, cfg)
	if err != nil {
		nc.Close()
		return
	}
	a.mu.Lock()
	a.muxes = append(a.muxes, mux)
	a.mu.Unlock()
	st, err := mux.AcceptStream()
	if err != nil {
		mux.Close()
		return
	}
	h, err := agentproto.ReadStreamHeader(st)
	if err != nil || h.Type != agentproto.StreamControl {
		mux.Close()
		return
	}
	go a.serveStreams(mux)
	a.Conns <- &AgentConn{Auth: auth, Mux: mux, Control: conn.NewControl(st)}
}

func (a *Appliance) decide(nonce []byte, auth agentproto.Auth) agentproto.HandshakeReply {
	a.mu.Lock()
	pub, ok := a.keys[auth.ID]
	cfg := a.config
	f := a.onAuth
	if auth.Kind == agentproto.KindCustomer {
		// A customer client has no key; its access code is all there is.
		a.auths = append(a.auths, auth)
		a.mu.Unlock()
		if f != nil {
			return f(auth)
		}
		return agentproto.HandshakeReply{Refused: &agentproto.Refused{Code: agentproto.RefusedCode, Message: "unknown access code"}}
	}
	a.mu.Unlock()
	if !ok {
		return agentproto.HandshakeReply{Refused: &agentproto.Refused{Code: agentproto.RefusedDeleted, Message: "this jump client was deleted"}}
	}
	if !ed25519.Verify(pub, agentproto.AuthMessage(nonce, auth.Kind, auth.ID, auth.Intent), auth.Signature) {
		return agentproto.HandshakeReply{Refused: &agentproto.Refused{Code: agentproto.RefusedUnauthorized, Message: "bad signature"}}
	}
	a.mu.Lock()
	a.auths = append(a.auths, auth)
	a.mu.Unlock()
	if f != nil {
		return f(auth)
	}
	return agentproto.HandshakeReply{Welcome: &agentproto.Welcome{Config: cfg}}
}

// serveStreams answers build streams the agent opens.
func (a *Appliance) serveStreams(mux *yamux.Session) {
	for {
		st, err := mux.AcceptStream()
		if err != nil {
			return
		}
		go func() {
			defer st.Close()
			h, err := agentproto.ReadStreamHeader(st)
			if err != nil || h.Type != agentproto.StreamBuild {
				return
			}
			a.mu.Lock()
			b := a.builds[h.Platform]
			a.mu.Unlock()
			_, _ = io.Copy(st, bytes.NewReader(b))
		}()
	}
}

func writeJSON(ctx context.Context, c *websocket.Conn, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return c.Write(ctx, websocket.MessageText, b)
}

// certs makes a CA and a server certificate for 127.0.0.1 and localhost.
func certs() (*x509.Certificate, tls.Certificate, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, tls.Certificate{}, err
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "conntest CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, tls.Certificate{}, err
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, tls.Certificate{}, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return nil, tls.Certificate{}, err
	}
	return ca, tls.Certificate{Certificate: [][]byte{der, caDER}, PrivateKey: key}, nil
}

func sha256hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
