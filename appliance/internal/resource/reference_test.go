package resource

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/jumpgate/jumpgate/appliance/internal/problem"
)

func TestCheckRefs_RefusesUndeclaredFields(t *testing.T) {
	refs := []Reference{
		{Table: "things", Column: "owner_id", Field: "owner_id", Target: "users", Noun: "user", Where: "owner_type = 'user'"},
		{Table: "things", Column: "owner_id", Field: "owner_id", Target: "groups", Noun: "group", Where: "owner_type = 'group'"},
		{Table: "things", Column: "policy_id", Field: "policy_id", Target: "policies", Noun: "policy"},
	}
	tests := []struct {
		name  string
		field string
		want  string
	}{
		{"undeclared", "portal_id", `field "portal_id" is the field of 0 declared references, not 1`},
		{"two targets", "owner_id", `field "owner_id" is the field of 2 declared references, not 1`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := int64(1)
			err := CheckRefs(context.Background(), nil, &problem.Invalid{}, refs, map[string]*int64{tt.field: &id})
			assert.ErrorContains(t, err, tt.want)
		})
	}
}

func TestTableRank_OrdersMessages(t *testing.T) {
	assert.Less(t, tableRank("protocol_tunnel_jumps"), tableRank("jump_client_installers"))
	assert.Less(t, tableRank("jump_client_installers"), tableRank("jump_clients"))
	assert.Equal(t, len(messageOrder), tableRank("widgets"), "an unlisted table comes last")
}
