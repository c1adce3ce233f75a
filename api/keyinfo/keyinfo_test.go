package keyinfo

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"strings"
	"testing"
	"time"
)

func testKey(t testing.TB) (ed25519.PublicKey, ed25519.PrivateKey) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return pub, priv
}

func TestVerify(t *testing.T) {
	pub, priv := testKey(t)
	otherPub, otherPriv := testKey(t)
	now := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	p := Payload{Kind: KindJumpClient, URL: "https://jg.example:8443", CAPin: "sha256:00", InstallerID: "abc", Expires: now.Add(time.Hour).Unix(), Overrides: []string{"name"}}
	good, err := Sign(p, priv)
	if err != nil {
		t.Fatal(err)
	}
	forged, _ := Sign(p, otherPriv)
	expired := p
	expired.Expires = now.Add(-time.Second).Unix()
	old, _ := Sign(expired, priv)
	// Tamper with the payload: swap the installer id but keep the signature.
	tp := p
	tp.InstallerID = "evil"
	tampered, _ := Sign(tp, otherPriv)
	tampered = tampered[:strings.LastIndex(tampered, ".")] + good[strings.LastIndex(good, "."):]

	tests := []struct {
		name string
		s    string
		pub  ed25519.PublicKey
		want error
	}{
		{"valid", good, pub, nil},
		{"forged with another key", forged, pub, ErrSignature},
		{"verified against another key", good, otherPub, ErrSignature},
		{"tampered payload", tampered, pub, ErrSignature},
		{"expired", old, pub, ErrExpired},
		{"garbage", "hello", pub, ErrMalformed},
		{"no signature", Prefix + "e30", pub, ErrMalformed},
		{"too long", Prefix + strings.Repeat("a", MaxLen), pub, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Verify(tt.s, tt.pub, now)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				if got.InstallerID != "abc" || got.Overrides[0] != "name" {
					t.Fatalf("payload = %+v", got)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("Verify error = %v, want %v", err, tt.want)
			}
		})
	}
}

func FuzzVerify(f *testing.F) {
	pub, priv := testKey(f)
	good, _ := Sign(Payload{Kind: KindJumpoint, URL: "https://x", InstallerID: "i", Expires: 1 << 40}, priv)
	f.Add(good)
	f.Add("jgk1.e30.AAAA")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		p, err := Verify(s, pub, time.Unix(0, 0))
		if err == nil && s != good && p == nil {
			t.Fatal("nil payload without error")
		}
		if err == nil && s != strings.TrimSpace(good) && strings.TrimSpace(s) != good {
			t.Fatalf("accepted a string that this test never signed: %q", s)
		}
	})
}
