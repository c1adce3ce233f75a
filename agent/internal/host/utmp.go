package host

import (
	"bytes"
	"encoding/binary"
	"strings"
	"time"
)

// Linux glibc utmp records (struct utmp, the same 384 bytes on amd64, arm64
// and 32-bit arm, little-endian on all three).
const (
	utmpSize        = 384
	utmpUserProcess = 7

	utmpOffType = 0
	utmpOffPID  = 4
	utmpOffLine = 8
	utmpOffUser = 44
	utmpOffHost = 76
	utmpOffSec  = 340
)

// utmpEntry is one login record.
type utmpEntry struct {
	Type int16
	PID  int32
	Line string // "tty1", "pts/0", ":0"
	User string
	Host string // remote host, or the X display (":0") for local sessions
	Time time.Time
}

// parseUtmp decodes the records of a utmp file; a trailing partial record
// is ignored.
func parseUtmp(b []byte) []utmpEntry {
	var out []utmpEntry
	for len(b) >= utmpSize {
		r := b[:utmpSize]
		b = b[utmpSize:]
		out = append(out, utmpEntry{
			Type: int16(binary.LittleEndian.Uint16(r[utmpOffType:])),
			PID:  int32(binary.LittleEndian.Uint32(r[utmpOffPID:])),
			Line: cstr(r[utmpOffLine : utmpOffLine+32]),
			User: cstr(r[utmpOffUser : utmpOffUser+32]),
			Host: cstr(r[utmpOffHost : utmpOffHost+256]),
			Time: time.Unix(int64(int32(binary.LittleEndian.Uint32(r[utmpOffSec:]))), 0).UTC(),
		})
	}
	return out
}

func cstr(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

// local reports whether the login is at the machine rather than remote
// (ssh logins carry the peer's address as Host).
func (e utmpEntry) local() bool {
	return e.Host == "" || strings.HasPrefix(e.Host, ":")
}

// console reports whether the login is on a seat: a virtual terminal or an
// X display.
func (e utmpEntry) console() bool {
	return strings.HasPrefix(e.Line, "tty") || strings.HasPrefix(e.Line, ":") ||
		(strings.HasPrefix(e.Host, ":") && !strings.HasPrefix(e.Line, "pts/"))
}

// utmpUsers returns the live user logins of entries; alive tells whether a
// login's process still runs (utmp keeps stale records after crashes).
func utmpUsers(entries []utmpEntry, alive func(pid int32) bool) []utmpEntry {
	var out []utmpEntry
	for _, e := range entries {
		if e.Type == utmpUserProcess && e.User != "" && (alive == nil || alive(e.PID)) {
			out = append(out, e)
		}
	}
	return out
}

// utmpConsoleUser picks the console user among logins: a seat login (tty1,
// :0) first, else the first login of any kind.
func utmpConsoleUser(users []utmpEntry) string {
	for _, e := range users {
		if e.console() {
			return e.User
		}
	}
	if len(users) > 0 {
		return users[0].User
	}
	return ""
}

// utmpLocalLogin reports whether any login is local, which is what
// "a user is logged in" means for customer presence.
func utmpLocalLogin(users []utmpEntry) bool {
	for _, e := range users {
		if e.local() {
			return true
		}
	}
	return false
}
