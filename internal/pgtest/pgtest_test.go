package pgtest_test

import (
	"context"
	"database/sql"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jumpgate/jumpgate/internal/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }

func TestNewDatabase_GivesDistinctEmptyDatabases(t *testing.T) {
	dsnA := pgtest.NewDatabase(t)
	dsnB := pgtest.NewDatabase(t)
	if dsnA == dsnB {
		t.Fatalf("two calls returned the same DSN %q", dsnA)
	}
	for _, dsn := range []string{dsnA, dsnB} {
		if !strings.HasPrefix(dsn, "postgres://") {
			t.Errorf("DSN %q is not a postgres:// URL", dsn)
		}
	}
	a, b := open(t, dsnA), open(t, dsnB)

	var one int
	if err := a.QueryRowContext(ctx(t), "SELECT 1").Scan(&one); err != nil || one != 1 {
		t.Fatalf("SELECT 1 = %d, %v; want 1, nil", one, err)
	}
	if name(t, a) == name(t, b) {
		t.Fatalf("both DSNs lead to database %q", name(t, a))
	}
	for _, db := range []*sql.DB{a, b} {
		if n := userTables(t, db); n != 0 {
			t.Errorf("database %s has %d tables, want an empty database", name(t, db), n)
		}
	}

	if _, err := a.ExecContext(ctx(t), "CREATE TABLE widgets (id int)"); err != nil {
		t.Fatalf("create table: %v", err)
	}
	if n := userTables(t, b); n != 0 {
		t.Errorf("a table created in one database shows up in the other (%d tables)", n)
	}
}

func TestNewDatabase_DropsDatabaseAfterTest(t *testing.T) {
	var dropped string
	var leaked *sql.DB
	t.Run("user", func(t *testing.T) {
		// Leave a connection open on purpose: cleanup must still drop the database.
		leaked = open(t, pgtest.NewDatabase(t))
		leaked.SetMaxIdleConns(1)
		dropped = name(t, leaked)
	})
	defer leaked.Close()

	other := open(t, pgtest.NewDatabase(t))
	var n int
	if err := other.QueryRowContext(ctx(t), "SELECT count(*) FROM pg_database WHERE datname = $1", dropped).Scan(&n); err != nil {
		t.Fatalf("look up database: %v", err)
	}
	if n != 0 {
		t.Errorf("database %s still exists after its test finished", dropped)
	}
}

// open connects to dsn and closes the pool when the test ends.
func open(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatalf("open %s: %v", dsn, err)
	}
	if err := db.PingContext(ctx(t)); err != nil {
		t.Fatalf("ping %s: %v", dsn, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func name(t *testing.T, db *sql.DB) string {
	t.Helper()
	var s string
	if err := db.QueryRowContext(ctx(t), "SELECT current_database()").Scan(&s); err != nil {
		t.Fatalf("current_database: %v", err)
	}
	return s
}

func userTables(t *testing.T, db *sql.DB) int {
	t.Helper()
	var n int
	err := db.QueryRowContext(ctx(t),
		"SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')").Scan(&n)
	if err != nil {
		t.Fatalf("count tables: %v", err)
	}
	return n
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}
