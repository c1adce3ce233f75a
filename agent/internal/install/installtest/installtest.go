// Package installtest makes installers the way the appliance does, for
// tests: a signing key and a CA of a pretend appliance, key info signed
// with that key, and agent builds with an installer trailer appended.
package installtest

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"os"
	"testing"
	"time"

	"github.com/jumpgate/jumpgate/api/agentproto"
	"github.com/jumpgate/jumpgate/api/keyinfo"
)

// Appliance is the signing identity of a pretend appliance.
type Appliance struct {
	// URL is the appliance URL put into key info.
	URL string
	// Key signs key info.
	Key ed25519.PrivateKey
	// CAPEM is the appliance's CA certificate.
	CAPEM string
	// CAPin is the pin of CAPEM.
	CAPin string
}

// NewAppliance makes a signing key and a self-signed CA for url.
func NewAppliance(t testing.TB, url string) *Appliance {
	t.Helper()
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "Jumpgate test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	return &Appliance{
		URL:   url,
		Key:   key,
		CAPEM: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
		CAPin: agentproto.Pin(der),
	}
}

// KeyInfo signs p, filling in what is unset: kind jump_client, the
// appliance's URL and CA pin, installer id "inst1", expiry in an hour.
func (a *Appliance) KeyInfo(t testing.TB, p keyinfo.Payload) string {
	t.Helper()
	if p.Kind == "" {
		p.Kind = keyinfo.KindJumpClient
	}
	if p.URL == "" {
		p.URL = a.URL
	}
	if p.CAPin == "" {
		p.CAPin = a.CAPin
	}
	if p.InstallerID == "" {
		p.InstallerID = "inst1"
	}
	if p.Expires == 0 {
		p.Expires = time.Now().Add(time.Hour).Unix()
	}
	s, err := keyinfo.Sign(p, a.Key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Manifest returns the manifest of an installer of kind carrying keyInfo
// ("" for a generic installer).
func (a *Appliance) Manifest(kind, keyInfo string) *agentproto.Manifest {
	return &agentproto.Manifest{
		Kind:       kind,
		KeyInfo:    keyInfo,
		SigningKey: a.Key.Public().(ed25519.PublicKey),
		CAPEM:      a.CAPEM,
		FileName:   "jumpgate-jc-test.bin",
		Platform:   "",
		Version:    "0.0.0-test",
	}
}

// WriteInstaller writes build with m's trailer appended to dst (mode 0755).
func WriteInstaller(t testing.TB, build string, m *agentproto.Manifest, dst string) {
	t.Helper()
	tr, err := agentproto.Trailer(m)
	if err != nil {
		t.Fatal(err)
	}
	in, err := os.Open(build)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if _, err := out.Write(tr); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}
