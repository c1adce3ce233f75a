package server_test

import (
	"testing"

	"github.com/jumpgate/jumpgate/appliance/appliancetest"
	"github.com/jumpgate/jumpgate/internal/pgtest"
)

// onEachDatabase runs test in parallel subtests "sqlite" and "postgres", each
// against a fresh appliance on that database.
func onEachDatabase(t *testing.T, test func(t *testing.T, s *appliancetest.Server)) {
	t.Helper()
	for _, tt := range []struct {
		name      string
		newServer func(t *testing.T) *appliancetest.Server
	}{
		{"sqlite", func(t *testing.T) *appliancetest.Server { return appliancetest.NewServer(t) }},
		{"postgres", func(t *testing.T) *appliancetest.Server {
			return appliancetest.NewServer(t, appliancetest.WithDatabase(pgtest.NewDatabase(t)))
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			test(t, tt.newServer(t))
		})
	}
}
