package apitoken

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/jumpgate/jumpgate/appliance/internal/auth"
)

func TestExpiryChange(t *testing.T) {
	now := time.Date(2026, 12, 8, 12, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *time.Time { t := now.Add(d); return &t }
	owner, admin := auth.Principal{UserID: 2}, auth.Principal{UserID: 1, Admin: true}
	tests := []struct {
		name      string
		p         auth.Principal
		cur, next *time.Time
		refused   bool
	}{
		{"owner keeps no expiry", owner, nil, nil, false},
		{"owner sets an expiry", owner, nil, at(time.Hour), false},
		{"owner shortens", owner, at(time.Hour), at(time.Minute), false},
		{"owner ends it now", owner, at(time.Hour), at(-time.Second), false},
		{"owner keeps the expiry, another spelling", owner, at(time.Hour), func() *time.Time { t := at(time.Hour).In(time.FixedZone("x", 3600)); return &t }(), false},
		{"owner lifts it", owner, at(time.Hour), nil, true},
		{"owner postpones it", owner, at(time.Hour), at(2 * time.Hour), true},
		{"admin lifts it", admin, at(time.Hour), nil, false},
		{"admin postpones it", admin, at(time.Hour), at(2 * time.Hour), false},
		{"owner revives an expired token", owner, at(-time.Hour), nil, true},
		{"admin revives an expired token", admin, at(-time.Hour), nil, true},
		{"admin postpones an expired token", admin, at(-time.Hour), at(time.Hour), true},
		{"an expired token kept as it is", owner, at(-time.Hour), at(-time.Hour), false},
		{"expiring this second counts as expired", admin, at(0), at(time.Hour), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg := expiryChange(tt.p, tt.cur, tt.next, now)
			assert.Equal(t, tt.refused, msg != "", msg)
		})
	}
}
