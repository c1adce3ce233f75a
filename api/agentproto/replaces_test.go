package agentproto_test

import (
	"crypto/ed25519"
	"encoding/json"
	"testing"
	"time"

	"github.com/jumpgate/jumpgate/api/agentproto"
)

// TestReplaces_Verify: a reinstall's proof holds only for the identity it
// names, the key stored for it, the new key it was made for, and within
// MaxReplaceSkew of the appliance's clock — also after a JSON round trip.
func TestReplaces_Verify(t *testing.T) {
	oldPub, oldKey, _ := ed25519.GenerateKey(nil)
	newPub, _, _ := ed25519.GenerateKey(nil)
	otherPub, otherKey, _ := ed25519.GenerateKey(nil)
	now := time.Date(2026, 12, 8, 1, 0, 0, 123456789, time.UTC)
	proof := func(key ed25519.PrivateKey, at time.Time) *agentproto.Replaces {
		r := agentproto.SignReplaces(key, agentproto.KindJumpClient, 7, newPub, at)
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		var out agentproto.Replaces
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatal(err)
		}
		return &out
	}
	tests := []struct {
		name   string
		r      *agentproto.Replaces
		kind   string
		id     int64
		stored ed25519.PublicKey
		newKey ed25519.PublicKey
		want   bool
	}{
		{"genuine", proof(oldKey, now), agentproto.KindJumpClient, 7, oldPub, newPub, true},
		{"a minute old", proof(oldKey, now.Add(-time.Minute)), agentproto.KindJumpClient, 7, oldPub, newPub, true},
		{"none", nil, agentproto.KindJumpClient, 7, oldPub, newPub, false},
		{"another key's", proof(otherKey, now), agentproto.KindJumpClient, 7, oldPub, newPub, false},
		{"for another new key", proof(oldKey, now), agentproto.KindJumpClient, 7, oldPub, otherPub, false},
		{"for another id", proof(oldKey, now), agentproto.KindJumpClient, 8, oldPub, newPub, false},
		{"for another kind", proof(oldKey, now), agentproto.KindJumpoint, 7, oldPub, newPub, false},
		{"stale", proof(oldKey, now.Add(-agentproto.MaxReplaceSkew-time.Second)), agentproto.KindJumpClient, 7, oldPub, newPub, false},
		{"from the future", proof(oldKey, now.Add(agentproto.MaxReplaceSkew+time.Second)), agentproto.KindJumpClient, 7, oldPub, newPub, false},
		{"no stored key", proof(oldKey, now), agentproto.KindJumpClient, 7, nil, newPub, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.r.Verify(tt.kind, tt.id, tt.stored, tt.newKey, now); got != tt.want {
				t.Errorf("Verify = %v, want %v", got, tt.want)
			}
		})
	}
	r := proof(oldKey, now)
	r.SignedAt = r.SignedAt.Add(time.Millisecond)
	if r.Verify(agentproto.KindJumpClient, 7, oldPub, newPub, now) {
		t.Error("a proof with an edited time verifies")
	}
}
