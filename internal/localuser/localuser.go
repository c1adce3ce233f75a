//go:build unix

// Package localuser makes real local accounts for tests that need a peer of
// another uid (control-socket credentials, end users, session users): the
// account is created with useradd and deleted when the test ends.
package localuser

import (
	"crypto/rand"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"strconv"
	"syscall"
	"testing"
)

// User is a local account made by Add.
type User struct {
	Name     string
	UID, GID int
}

// Add makes a local account named prefix plus six random hex digits, with
// no home and no login shell, and deletes it when t ends. It skips t when
// the test does not run as root or useradd is missing.
func Add(t testing.TB, prefix string) User {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("localuser: needs root to make local accounts")
	}
	if _, err := exec.LookPath("useradd"); err != nil {
		t.Skip("localuser: no useradd")
	}
	var rnd [3]byte
	_, _ = rand.Read(rnd[:])
	name := fmt.Sprintf("%s%x", prefix, rnd)
	if out, err := exec.Command("useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", name).CombinedOutput(); err != nil {
		t.Fatalf("localuser: useradd %s: %v %s", name, err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("userdel", name).CombinedOutput(); err != nil {
			t.Logf("localuser: userdel %s: %v %s", name, err, out)
		}
	})
	u, err := user.Lookup(name)
	if err != nil {
		t.Fatalf("localuser: %v", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return User{Name: name, UID: uid, GID: gid}
}

// SysProcAttr runs a command as u.
func (u User) SysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(u.UID), Gid: uint32(u.GID)}}
}
