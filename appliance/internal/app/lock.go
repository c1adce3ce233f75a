package app

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// LockFile is the file in the data dir that a running appliance keeps
// locked (with SQLite) and that holds its pid.
const LockFile = "lock"

// ErrLocked means another process holds the data dir (or SQLite
// database) lock.
var ErrLocked = errors.New("in use by another appliance process")

// DataDirLock is this process's exclusive hold on a data dir: with SQLite,
// one process only may use the database and the files beside it. The
// operating system drops the lock when the process ends, however it ends.
type DataDirLock struct {
	files []*os.File
}

// LockDataDir takes the lock of cfg (after Defaults) when its database is
// SQLite: <data-dir>/lock, and <database>.lock when the database file is
// not in the data dir. It fails at once, wrapping ErrLocked and naming the
// holder's pid when known, when another process holds either. With
// PostgreSQL, several processes may share a data dir and a database; it
// returns a lock that holds nothing.
func LockDataDir(cfg Config) (*DataDirLock, error) {
	l := &DataDirLock{}
	if !strings.HasPrefix(cfg.Database, "sqlite://") {
		return l, nil
	}
	paths := []string{filepath.Join(cfg.DataDir, LockFile)}
	dbPath := strings.TrimPrefix(cfg.Database, "sqlite://")
	if d, err := filepath.Abs(filepath.Dir(dbPath)); err == nil {
		if dd, err := filepath.Abs(cfg.DataDir); err == nil && d != dd {
			paths = append(paths, dbPath+".lock")
		}
	}
	for _, p := range paths {
		if err := l.lock(p); err != nil {
			l.Release()
			return nil, err
		}
	}
	return l, nil
}

func (l *DataDirLock) lock(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("open lock file: %w", err)
	}
	held, err := tryLock(f)
	if err != nil {
		f.Close()
		return fmt.Errorf("lock %s: %w", path, err)
	}
	if held {
		holder := "another process"
		if b, err := os.ReadFile(path); err == nil {
			if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && pid > 0 {
				holder = "pid " + strconv.Itoa(pid)
			}
		}
		f.Close()
		what := "data dir " + filepath.Dir(path)
		if filepath.Base(path) != LockFile {
			what = "SQLite database " + strings.TrimSuffix(path, ".lock")
		}
		return fmt.Errorf("%s is %w (%s holds %s): stop that appliance first, or give this one another --data-dir",
			what, ErrLocked, holder, path)
	}
	// The pid is for the message above, in the next process.
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	l.files = append(l.files, f)
	return nil
}

// Release drops the lock; it is safe on nil and more than once.
func (l *DataDirLock) Release() {
	if l == nil {
		return
	}
	for _, f := range l.files {
		_ = unlock(f)
		_ = f.Close()
	}
	l.files = nil
}
