package api

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestListOptions_QueryLabelSelector(t *testing.T) {
	o := &ListOptions{Limit: 5, LabelSelector: []string{"jumpgate.dev/managed-by=jumpgate-operator", "team"}}
	q := o.Query()
	assert.Equal(t, []string{"jumpgate.dev/managed-by=jumpgate-operator", "team"}, q["label"])
	assert.Equal(t, "label=jumpgate.dev%2Fmanaged-by%3Djumpgate-operator&label=team&limit=5", q.Encode())
}

func TestCheckLabel(t *testing.T) {
	tests := []struct {
		name, key, value string
		wantKey, wantVal bool // true: refused
	}{
		{name: "plain", key: "team", value: "ops"},
		{name: "prefixed", key: "jumpgate.dev/owner", value: "ns.name"},
		{name: "empty value", key: "a", value: ""},
		{name: "63 character name and value", key: strings.Repeat("k", 63), value: strings.Repeat("v", 63)},
		{name: "64 character name", key: strings.Repeat("k", 64), wantKey: true},
		{name: "64 character value", key: "a", value: strings.Repeat("v", 64), wantVal: true},
		{name: "empty key", key: "", wantKey: true},
		{name: "empty name after prefix", key: "example.com/", wantKey: true},
		{name: "empty prefix", key: "/name", wantKey: true},
		{name: "upper-case prefix", key: "Example.com/name", wantKey: true},
		{name: "two slashes", key: "a/b/c", wantKey: true},
		{name: "name ends with dash", key: "team-", wantKey: true},
		{name: "space in value", key: "a", value: "x y", wantVal: true},
		{name: "slash in value", key: "a", value: "ns/name", wantVal: true},
		{name: "254 character prefix", key: strings.Repeat("a", 254) + "/x", wantKey: true},
		{name: "64 character DNS label in the prefix", key: strings.Repeat("a", 64) + ".com/x", wantKey: true},
		{name: "63 character DNS label in the prefix", key: strings.Repeat("a", 63) + ".com/x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.wantKey, CheckLabelKey(tt.key) != nil, "key %q", tt.key)
			assert.Equal(t, tt.wantVal, CheckLabelValue(tt.value) != nil, "value %q", tt.value)
		})
	}
}
