//go:build unix

package enduser

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"
)

// errNoLogind: there are no logind seat files (logind does not run).
var errNoLogind = errors.New("no systemd-logind seats")

// logindSeats reads the active sessions of logind's seats: for each seat
// file in run/systemd/seats, the session its ACTIVE= names, when that
// session's file agrees (see SeatOf).
func (s Source) logindSeats() ([]Seat, error) {
	ents, err := os.ReadDir(s.path("run/systemd/seats"))
	if err != nil || len(ents) == 0 {
		return nil, errNoLogind
	}
	var out []Seat
	found := false
	for _, e := range ents {
		name := e.Name()
		if !logindIDRE.MatchString(name) || !e.Type().IsRegular() {
			continue
		}
		found = true
		seatFile, err := s.read("run/systemd/seats/" + name)
		if err != nil {
			continue
		}
		id := ParseSeat(seatFile)
		if id == "" || !logindIDRE.MatchString(id) {
			continue
		}
		sessFile, err := s.read("run/systemd/sessions/" + id)
		if err != nil {
			continue
		}
		if seat, ok := SeatOf(name, id, sessFile); ok {
			out = append(out, seat)
		}
	}
	if !found {
		return nil, errNoLogind
	}
	return out, nil
}

// vtSeat is the owner of the active virtual console: the user login(1)
// gave its terminal device to. A console owned by root (a getty, a display
// manager) is nobody's.
func (s Source) vtSeat() ([]Seat, error) {
	b, err := s.read("sys/class/tty/tty0/active")
	if err != nil {
		return nil, ErrUnsupported
	}
	tty := strings.TrimSpace(string(b))
	if !vtRE.MatchString(tty) {
		return nil, nil
	}
	uid, ok := s.deviceOwner("dev/" + tty)
	if !ok || uid == 0 {
		return nil, nil
	}
	return []Seat{{Seat: "vt", UID: uid, User: nameOf(uid), TTY: tty}}, nil
}

// deviceOwner is the uid owning a character device.
func (s Source) deviceOwner(p string) (int, bool) {
	fi, err := os.Stat(s.path(p))
	if err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		return 0, false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return int(st.Uid), true
}

// read reads a small state file that the system (root) owns and that
// nobody else may write.
func (s Source) read(p string) ([]byte, error) {
	// Non-blocking and not through a symlink: a FIFO (logind keeps
	// <session>.ref FIFOs beside the state files) must not hang the read.
	f, err := os.OpenFile(s.path(p), os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", p)
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		if owner := int(st.Uid); owner != 0 {
			return nil, fmt.Errorf("%s is owned by uid %d, not root", p, owner)
		}
	}
	if fi.Mode().Perm()&0o022 != 0 {
		return nil, fmt.Errorf("%s is writable by others than its owner", p)
	}
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, io.LimitReader(f, maxStateFile+1)); err != nil {
		return nil, err
	}
	if buf.Len() > maxStateFile {
		return nil, fmt.Errorf("%s is longer than %d bytes", p, maxStateFile)
	}
	return buf.Bytes(), nil
}
