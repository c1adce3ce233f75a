package session

import (
	"bytes"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// killSession kills every process of session sid: the process group of
// its leader and the jobs a shell put in groups of their own. A process
// that made itself a new session (a daemon) escapes.
func killSession(sid int) {
	_ = syscall.Kill(-sid, syscall.SIGKILL)
	// Members may fork while they are being killed: look again until none
	// are left, a few times.
	for range 5 {
		pids := sessionMembers(sid)
		if len(pids) == 0 {
			return
		}
		for _, pid := range pids {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// sessionMembers lists the live processes of session sid from /proc.
func sessionMembers(sid int) []int {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var out []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		if s, state, ok := statSession(b); ok && s == sid && state != "Z" {
			out = append(out, pid)
		}
	}
	return out
}

// statSession reads the state and session id of a /proc/<pid>/stat line:
// "pid (comm) state ppid pgrp session …", where comm may hold anything.
func statSession(b []byte) (sid int, state string, ok bool) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, "", false
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 4 {
		return 0, "", false
	}
	sid, err := strconv.Atoi(f[3])
	return sid, f[0], err == nil
}
