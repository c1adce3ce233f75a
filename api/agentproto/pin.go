package agentproto

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// Pin returns "sha256:<hex>" of a DER certificate, the form of key info's
// ca_pin.
func Pin(der []byte) string {
	sum := sha256.Sum256(der)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// PinnedTLSConfig returns a client TLS configuration that trusts exactly the
// certificate with pin caPin: the server must present a chain that contains
// it and whose leaf verifies up to it for serverName. The system roots play
// no part, so a pinned agent cannot be redirected by any other CA.
func PinnedTLSConfig(caPin, serverName string) *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		ServerName: serverName,
		// Verification is done by VerifyConnection against the pin instead of
		// the system roots.
		InsecureSkipVerify: true, //nolint:gosec // replaced by VerifyConnection below
		VerifyConnection: func(cs tls.ConnectionState) error {
			return VerifyPinnedChain(cs.PeerCertificates, caPin, serverName, time.Now())
		},
	}
}

// VerifyPinnedChain checks that certs (leaf first) contain the certificate
// pinned by caPin and that the leaf verifies up to it for serverName.
func VerifyPinnedChain(certs []*x509.Certificate, caPin, serverName string, now time.Time) error {
	if len(certs) == 0 {
		return errors.New("the appliance presented no certificate")
	}
	roots := x509.NewCertPool()
	inter := x509.NewCertPool()
	found := false
	for _, c := range certs {
		if Pin(c.Raw) == caPin {
			roots.AddCert(c)
			found = true
		} else {
			inter.AddCert(c)
		}
	}
	if !found {
		return fmt.Errorf("the appliance's certificate chain does not contain the pinned CA %s", caPin)
	}
	leaf := certs[0]
	if Pin(leaf.Raw) == caPin {
		// The pinned certificate is the leaf itself (a self-signed server
		// certificate): the pin is the whole proof.
		return nil
	}
	_, err := leaf.Verify(x509.VerifyOptions{DNSName: serverName, Roots: roots, Intermediates: inter, CurrentTime: now})
	if err != nil {
		return fmt.Errorf("the appliance's certificate does not verify against the pinned CA: %w", err)
	}
	return nil
}
