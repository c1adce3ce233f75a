package resource

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestCounted(t *testing.T) {
	tests := []struct {
		n      int64
		plural string
		want   string
	}{
		{1, "jump clients", "1 jump client"},
		{2, "jump clients", "2 jump clients"},
		{1, "jump client installers (attended)", "1 jump client installer (attended)"},
		{3, "jump client installers (as jumpoint proxy)", "3 jump client installers (as jumpoint proxy)"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, Counted(tt.n, tt.plural))
	}
	assert.Equal(t, "", CountList(nil))
	assert.Equal(t, "a", CountList([]string{"a"}))
	assert.Equal(t, "a and b", CountList([]string{"a", "b"}))
	assert.Equal(t, "1 protocol tunnel jump, 1 jump client installer and 1 jump client",
		CountList([]string{Counted(1, "protocol tunnel jumps"), Counted(1, "jump client installers"), Counted(1, "jump clients")}))
}
