package sim_test

import (
	"os"
	"testing"

	"github.com/jumpgate/jumpgate/agent/internal/sim"
	"github.com/jumpgate/jumpgate/internal/pgtest"
)

// TestMain runs a simulator child process when the benchmark started this
// binary as one, and the tests otherwise.
func TestMain(m *testing.M) {
	if role := os.Getenv(sim.EnvRole); role != "" {
		os.Exit(sim.Main(role))
	}
	os.Exit(pgtest.Run(m))
}
