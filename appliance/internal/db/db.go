// Package db opens the appliance's database: embedded SQLite (pure Go, the
// default) or PostgreSQL, through GORM.
package db

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/glebarez/sqlite"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// Dialects.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

// DB holds the connection pools. With SQLite, writes go through a
// single-connection pool so that writers queue in Go instead of spinning on
// SQLITE_BUSY, while reads use a pool of their own in WAL mode. With
// PostgreSQL both are the same pool.
type DB struct {
	// R serves reads.
	R *gorm.DB
	// W serves writes; use it for every transaction that writes.
	W *gorm.DB
	// Dialect is SQLite or Postgres.
	Dialect string
}

// Open connects to dsn: "sqlite://<path>" (a file; its directory is
// created), or "postgres://…"/"postgresql://…".
func Open(ctx context.Context, dsn string, log *slog.Logger) (*DB, error) {
	cfg := &gorm.Config{
		TranslateError:                           true,
		Logger:                                   newLogger(log),
		DisableForeignKeyConstraintWhenMigrating: false,
		NowFunc:                                  func() time.Time { return time.Now().UTC().Truncate(time.Microsecond) },
		PrepareStmt:                              true,
	}
	switch {
	case strings.HasPrefix(dsn, "sqlite://"):
		return openSQLite(ctx, strings.TrimPrefix(dsn, "sqlite://"), cfg)
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		return openPostgres(ctx, dsn, cfg)
	}
	return nil, fmt.Errorf("database %q: want sqlite://<path> or postgres://…", Redact(dsn))
}

func openSQLite(ctx context.Context, path string, cfg *gorm.Config) (*DB, error) {
	if path == "" {
		return nil, errors.New("sqlite database path is empty")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create database directory: %w", err)
	}
	// WAL lets readers run beside the writer; synchronous=NORMAL is durable
	// across application crashes and only risks the last commits on power
	// loss, the usual trade-off for WAL.
	q := url.Values{}
	for _, p := range []string{"journal_mode(WAL)", "synchronous(NORMAL)", "foreign_keys(1)", "busy_timeout(10000)"} {
		q.Add("_pragma", p)
	}
	dsn := "file:" + path + "?" + q.Encode()
	w, err := gorm.Open(sqlite.Open(dsn+"&_txlock=immediate"), cfg)
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	wsql, err := w.DB()
	if err != nil {
		return nil, err
	}
	wsql.SetMaxOpenConns(1)
	wsql.SetConnMaxIdleTime(0)
	if err := wsql.PingContext(ctx); err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	r, err := gorm.Open(sqlite.Open(dsn+"&_pragma=query_only(1)"), cfg)
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	rsql, err := r.DB()
	if err != nil {
		return nil, err
	}
	n := max(4, 2*runtime.GOMAXPROCS(0))
	rsql.SetMaxOpenConns(n)
	rsql.SetMaxIdleConns(n)
	return &DB{R: r, W: w, Dialect: SQLite}, nil
}

func openPostgres(ctx context.Context, dsn string, cfg *gorm.Config) (*DB, error) {
	g, err := gorm.Open(postgres.Open(dsn), cfg)
	if err != nil {
		return nil, fmt.Errorf("open postgres %s: %w", Redact(dsn), err)
	}
	sqlDB, err := g.DB()
	if err != nil {
		return nil, err
	}
	sqlDB.SetMaxOpenConns(32)
	sqlDB.SetMaxIdleConns(32)
	sqlDB.SetConnMaxLifetime(time.Hour)
	pctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := sqlDB.PingContext(pctx); err != nil {
		return nil, fmt.Errorf("connect postgres %s: %w", Redact(dsn), err)
	}
	return &DB{R: g, W: g, Dialect: Postgres}, nil
}

// Ping checks that both pools answer.
func (d *DB) Ping(ctx context.Context) error {
	for _, g := range []*gorm.DB{d.W, d.R} {
		s, err := g.DB()
		if err != nil {
			return err
		}
		if err := s.PingContext(ctx); err != nil {
			return err
		}
	}
	return nil
}

// Close closes the pools.
func (d *DB) Close() error {
	var errs []error
	for _, g := range []*gorm.DB{d.R, d.W} {
		if s, err := g.DB(); err == nil {
			errs = append(errs, s.Close())
		}
		if d.R == d.W {
			break
		}
	}
	return errors.Join(errs...)
}

// Redact hides the password of a database URL, for logs and errors.
func Redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.User == nil {
		return dsn
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

type slogLogger struct {
	log   *slog.Logger
	level logger.LogLevel
}

func newLogger(log *slog.Logger) logger.Interface {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &slogLogger{log: log, level: logger.Warn}
}

func (l *slogLogger) LogMode(level logger.LogLevel) logger.Interface {
	return &slogLogger{log: l.log, level: level}
}

func (l *slogLogger) Info(ctx context.Context, msg string, args ...any) {
	if l.level >= logger.Info {
		l.log.InfoContext(ctx, fmt.Sprintf(msg, args...))
	}
}

func (l *slogLogger) Warn(ctx context.Context, msg string, args ...any) {
	if l.level >= logger.Warn {
		l.log.WarnContext(ctx, fmt.Sprintf(msg, args...))
	}
}

func (l *slogLogger) Error(ctx context.Context, msg string, args ...any) {
	if l.level >= logger.Error {
		l.log.ErrorContext(ctx, fmt.Sprintf(msg, args...))
	}
}

// Trace logs slow queries only; expected errors such as not-found and
// constraint violations are the caller's business.
func (l *slogLogger) Trace(ctx context.Context, begin time.Time, fc func() (string, int64), err error) {
	if elapsed := time.Since(begin); elapsed > 500*time.Millisecond && l.level >= logger.Warn {
		sql, rows := fc()
		l.log.WarnContext(ctx, "slow query", "elapsed", elapsed, "rows", rows, "sql", sql)
	}
}
