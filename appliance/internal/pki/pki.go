// Package pki creates and loads the appliance's key material in its data
// directory: a private CA (ca.pem, ca-key.pem), a server certificate it signs
// (server.pem, server-key.pem) and the Ed25519 key that signs installer key
// info (signing-key.pem). Private keys are written with mode 0600.
package pki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// File names in the data directory.
const (
	CAFile         = "ca.pem"
	CAKeyFile      = "ca-key.pem"
	ServerFile     = "server.pem"
	ServerKeyFile  = "server-key.pem"
	SigningKeyFile = "signing-key.pem"
)

// Material is the appliance's TLS and signing material.
type Material struct {
	// TLS is the server certificate to serve.
	TLS tls.Certificate
	// CAPEM is the PEM of the CA that clients must trust (the generated CA,
	// or the chain's last certificate when --tls-cert is given).
	CAPEM []byte
	// CAPin is "sha256:<hex>" of the CA certificate's DER.
	CAPin string
	// SigningKey signs installer key info.
	SigningKey ed25519.PrivateKey
}

// Pin returns "sha256:<hex>" of a certificate's DER.
func Pin(der []byte) string {
	sum := sha256.Sum256(der)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// Load prepares the material in dir. With certFile/keyFile it serves that
// certificate and pins the last certificate of its chain; otherwise it
// creates (once) a CA and (when missing, expiring or not covering hosts) a
// server certificate for hosts.
func Load(dir, certFile, keyFile string, hosts []string) (*Material, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	sk, err := signingKey(filepath.Join(dir, SigningKeyFile))
	if err != nil {
		return nil, err
	}
	m := &Material{SigningKey: sk}
	if certFile != "" || keyFile != "" {
		if certFile == "" || keyFile == "" {
			return nil, errors.New("--tls-cert and --tls-key must be given together")
		}
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, fmt.Errorf("load TLS certificate: %w", err)
		}
		last := cert.Certificate[len(cert.Certificate)-1]
		m.TLS, m.CAPin = cert, Pin(last)
		m.CAPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: last})
		return m, nil
	}
	caCert, caKey, caPEM, err := loadOrCreateCA(dir)
	if err != nil {
		return nil, err
	}
	cert, err := loadOrCreateServer(dir, caCert, caKey, hosts)
	if err != nil {
		return nil, err
	}
	m.TLS, m.CAPEM, m.CAPin = cert, caPEM, Pin(caCert.Raw)
	return m, nil
}

func writeKey(path string, key crypto.PrivateKey) error {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	return writeFileAtomic(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600)
}

func readKey(path string) (crypto.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		return nil, fmt.Errorf("%s: no PEM block", path)
	}
	return x509.ParsePKCS8PrivateKey(blk.Bytes)
}

func signingKey(path string) (ed25519.PrivateKey, error) {
	k, err := readKey(path)
	if errors.Is(err, os.ErrNotExist) {
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, err
		}
		if err := writeKey(path, priv); err != nil {
			return nil, fmt.Errorf("write signing key: %w", err)
		}
		return priv, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read signing key: %w", err)
	}
	priv, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("%s is not an Ed25519 key", path)
	}
	return priv, nil
}

func serial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	return n
}

func loadOrCreateCA(dir string) (*x509.Certificate, crypto.Signer, []byte, error) {
	certPath, keyPath := filepath.Join(dir, CAFile), filepath.Join(dir, CAKeyFile)
	if b, err := os.ReadFile(certPath); err == nil {
		blk, _ := pem.Decode(b)
		if blk == nil {
			return nil, nil, nil, fmt.Errorf("%s: no PEM block", certPath)
		}
		cert, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("parse %s: %w", certPath, err)
		}
		k, err := readKey(keyPath)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("read CA key: %w", err)
		}
		return cert, k.(crypto.Signer), b, nil
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, nil, err
	}
	host, _ := os.Hostname()
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: "Jumpgate appliance CA " + host, Organization: []string{"Jumpgate"}},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, nil, err
	}
	if err := writeKey(keyPath, key); err != nil {
		return nil, nil, nil, fmt.Errorf("write CA key: %w", err)
	}
	p := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	if err := writeFileAtomic(certPath, p, 0o644); err != nil {
		return nil, nil, nil, fmt.Errorf("write CA certificate: %w", err)
	}
	cert, _ := x509.ParseCertificate(der)
	return cert, key, p, nil
}

func covers(cert *x509.Certificate, hosts []string) bool {
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			if !slices.ContainsFunc(cert.IPAddresses, ip.Equal) {
				return false
			}
		} else if !slices.Contains(cert.DNSNames, h) {
			return false
		}
	}
	return true
}

func loadOrCreateServer(dir string, ca *x509.Certificate, caKey crypto.Signer, hosts []string) (tls.Certificate, error) {
	certPath, keyPath := filepath.Join(dir, ServerFile), filepath.Join(dir, ServerKeyFile)
	if c, err := tls.LoadX509KeyPair(certPath, keyPath); err == nil {
		leaf, err := x509.ParseCertificate(c.Certificate[0])
		if err == nil && covers(leaf, hosts) && time.Until(leaf.NotAfter) > 30*24*time.Hour && leaf.CheckSignatureFrom(ca) == nil {
			return c, nil
		}
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: hosts[0], Organization: []string{"Jumpgate"}},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().AddDate(1, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return tls.Certificate{}, err
	}
	if err := writeKey(keyPath, key); err != nil {
		return tls.Certificate{}, fmt.Errorf("write server key: %w", err)
	}
	chain := append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Raw})...)
	if err := writeFileAtomic(certPath, chain, 0o644); err != nil {
		return tls.Certificate{}, fmt.Errorf("write server certificate: %w", err)
	}
	return tls.LoadX509KeyPair(certPath, keyPath)
}

func writeFileAtomic(path string, b []byte, mode os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path))
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// WriteSecret writes a secret file atomically with mode 0600.
func WriteSecret(path string, b []byte) error { return writeFileAtomic(path, b, 0o600) }
