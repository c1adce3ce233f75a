package server_test

import (
	"os"
	"testing"

	"github.com/jumpgate/jumpgate/internal/pgtest"
)

// TestMain stops the PostgreSQL server that TestAPI_Postgres starts.
func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }
