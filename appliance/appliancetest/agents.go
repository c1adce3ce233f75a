package appliancetest

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/api/agentproto"
	"github.com/jumpgate/jumpgate/appliance/internal/app"
)

// HTTPClient returns a plain HTTP client that trusts the appliance's CA.
func (s *Server) HTTPClient(t testing.TB) *http.Client {
	t.Helper()
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(s.CAPEM) {
		t.Fatalf("appliancetest: bad CA PEM")
	}
	return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
}

// Enroll enrolls an agent the way jumpgate-agent does, with a fresh key, and
// returns the answer and the key; a refusal is returned as an *api.Problem.
func (s *Server) Enroll(t testing.TB, keyInfo string, facts agentproto.Facts, o agentproto.Overrides) (*agentproto.EnrollResponse, ed25519.PrivateKey, error) {
	t.Helper()
	return s.EnrollReplacing(t, keyInfo, facts, o, nil, "", 0)
}

// EnrollReplacing is Enroll for a reinstall: when old is set, the request
// carries the proof (agentproto.Replaces) that the holder of old, the key
// of (kind, id), hands that identity over to the new key.
func (s *Server) EnrollReplacing(t testing.TB, keyInfo string, facts agentproto.Facts, o agentproto.Overrides, old ed25519.PrivateKey, kind string, id int64) (*agentproto.EnrollResponse, ed25519.PrivateKey, error) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if facts.Platform == "" {
		facts.Platform = api.PlatformLinuxAMD64
	}
	if facts.InstallMode == "" {
		facts.InstallMode = api.InstallUser
	}
	er := agentproto.EnrollRequest{KeyInfo: keyInfo, PublicKey: pub, Overrides: o, Facts: facts, Version: "test"}
	if old != nil {
		er.Replaces = agentproto.SignReplaces(old, kind, id, pub, time.Now())
	}
	body, _ := json.Marshal(er)
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, s.URL+agentproto.PathEnroll, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.HTTPClient(t).Do(req)
	if err != nil {
		t.Fatalf("appliancetest: enroll: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated {
		p := &api.Problem{}
		if err := json.Unmarshal(b, p); err != nil || p.Status == 0 {
			return nil, nil, fmt.Errorf("enroll: status %d: %s", resp.StatusCode, b)
		}
		return nil, nil, p
	}
	out := &agentproto.EnrollResponse{}
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatalf("appliancetest: enroll answer: %v", err)
	}
	return out, priv, nil
}

// WithAddr serves on addr ("127.0.0.1:port") with the matching public URL,
// so that a restarted appliance keeps the URL its agents know.
func WithAddr(addr string) Option {
	return func(c *app.Config) { c.Listen, c.PublicURL = addr, "https://"+addr }
}

// Stop stops the appliance before the test ends (agents then see it go
// away); the test's cleanup still runs and does nothing more.
func (s *Server) Stop() {
	s.stop.Do(func() {
		s.http.CloseClientConnections()
		s.http.Close()
		_ = s.App.Close()
	})
}
