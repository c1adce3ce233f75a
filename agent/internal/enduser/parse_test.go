package enduser

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/jumpgate/jumpgate/agent/internal/enduser/endusertest"
)

func TestSeatOf(t *testing.T) {
	local := endusertest.Session{ID: "2", UID: 1000, User: "alice", Seat: "seat0", Display: ":0", TTY: "tty2"}.File()
	tests := []struct {
		name string
		file string
		ok   bool
	}{
		{name: "a local graphical session", file: local, ok: true},
		{name: "remote", file: strings.Replace(local, "REMOTE=0", "REMOTE=1", 1)},
		{name: "another seat", file: strings.Replace(local, "SEAT=seat0", "SEAT=seat1", 1)},
		{name: "not active", file: strings.Replace(local, "ACTIVE=1", "ACTIVE=0", 1)},
		{name: "closing", file: strings.Replace(local, "STATE=active", "STATE=closing", 1)},
		{name: "a greeter", file: strings.Replace(local, "CLASS=user", "CLASS=greeter", 1)},
		{name: "no class", file: strings.Replace(local, "CLASS=user\n", "", 1)},
		{name: "no uid", file: strings.Replace(local, "UID=1000\n", "", 1)},
		{name: "a negative uid", file: strings.Replace(local, "UID=1000", "UID=-1", 1)},
		{name: "REMOTE given twice", file: local + "REMOTE=1\n"},
		{name: "REMOTE not given", file: strings.Replace(local, "REMOTE=0\n", "", 1)},
		{name: "UID given twice", file: local + "UID=0\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, ok := SeatOf("seat0", "2", []byte(tt.file))
			assert.Equal(t, tt.ok, ok)
			if ok {
				assert.Equal(t, Seat{Seat: "seat0", Session: "2", UID: 1000, User: "alice", Display: ":0", TTY: "tty2"}, s)
			}
		})
	}
}

func TestLocalDisplay(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{":0", "0", true}, {":0.0", "0", true}, {"unix:1", "1", true}, {":00", "0", true}, {":10.1", "10", true},
		{"localhost:10.0", "", false}, {"host:0", "", false}, {"", "", false}, {":", "", false},
		{":x", "", false}, {":-1", "", false}, {"/tmp/.X11-unix/X0", "", false},
	}
	for _, tt := range tests {
		got, ok := localDisplay(tt.in)
		assert.Equal(t, tt.ok, ok, tt.in)
		assert.Equal(t, tt.want, got, tt.in)
	}
}

// FuzzSeatOf feeds the session and seat parsers arbitrary files: they must
// not panic, and a session they accept must say, once and for all, that it
// is a local, active user session of the seat asked about.
func FuzzSeatOf(f *testing.F) {
	f.Add([]byte(endusertest.Session{ID: "2", UID: 1000, User: "alice", Seat: "seat0", Display: ":0"}.File()))
	f.Add([]byte(endusertest.Session{ID: "5", UID: 1001, User: "mallory", Remote: true}.File()))
	f.Add([]byte(endusertest.SeatFile("2", 1000, "2", "c1")))
	f.Add([]byte("SEAT=seat0\nACTIVE=1\nCLASS=user\nUID=0\nUSER=root\n"))
	f.Add([]byte("SEAT=seat0\r\nACTIVE=1\r\nCLASS=user\r\nUID=1\r\nUSER=x\r\nREMOTE=1\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_ = ParseSeat(b)
		s, ok := SeatOf("seat0", "2", b)
		if !ok {
			return
		}
		kv := stateValues(b)
		if s.UID < 0 || s.User == "" || s.Seat != "seat0" || kv["REMOTE"] != "0" || kv["ACTIVE"] != "1" {
			t.Fatalf("accepted %+v from %q", s, b)
		}
		for _, line := range strings.Split(string(b), "\n") {
			if strings.TrimSpace(line) == "REMOTE=1" {
				t.Fatalf("a file saying REMOTE=1 was accepted: %q", b)
			}
		}
	})
}

// FuzzLocalDisplay: a display the parser calls local names no host but
// unix, and its number is digits only.
func FuzzLocalDisplay(f *testing.F) {
	for _, s := range []string{":0", ":0.0", "unix:1", "localhost:10.0", "host:0", "", ":", "[::1]:0", ":1:2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, d string) {
		num, ok := localDisplay(d)
		if !ok {
			return
		}
		host, _, _ := strings.Cut(d, ":")
		if host != "" && host != "unix" {
			t.Fatalf("%q taken for a local display", d)
		}
		if num == "" || strings.Trim(num, "0123456789") != "" || (len(num) > 1 && num[0] == '0') {
			t.Fatalf("%q: display number %q", d, num)
		}
	})
}
