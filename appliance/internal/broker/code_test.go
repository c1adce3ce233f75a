package broker

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestJoinKey(t *testing.T) {
	tests := []struct{ remote, want string }{
		{"192.0.2.7", "192.0.2.7"},
		{"::ffff:192.0.2.7", "192.0.2.7"},
		{"2001:db8:1:2::1", "2001:db8:1:2::/64"},
		{"2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"},
		{"fe80::1%eth0", "fe80::/64"},
		{"not an address", "not an address"},
	}
	for _, tt := range tests {
		t.Run(tt.remote, func(t *testing.T) { assert.Equal(t, tt.want, joinKey(tt.remote)) })
	}
}
