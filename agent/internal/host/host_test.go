package host

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/api"
)

// utmpRecord builds one glibc utmp record.
func utmpRecord(typ int16, pid int32, line, user, host string, sec int32) []byte {
	r := make([]byte, utmpSize)
	binary.LittleEndian.PutUint16(r[utmpOffType:], uint16(typ))
	binary.LittleEndian.PutUint32(r[utmpOffPID:], uint32(pid))
	copy(r[utmpOffLine:utmpOffLine+32], line)
	copy(r[utmpOffUser:utmpOffUser+32], user)
	copy(r[utmpOffHost:utmpOffHost+256], host)
	binary.LittleEndian.PutUint32(r[utmpOffSec:], uint32(sec))
	return r
}

func TestParseUtmp(t *testing.T) {
	var b []byte
	b = append(b, utmpRecord(2, 0, "~", "reboot", "6.1.0", 1700000000)...) // BOOT_TIME
	b = append(b, utmpRecord(utmpUserProcess, 10, "pts/0", "bob", "203.0.113.9", 1700000100)...)
	b = append(b, utmpRecord(utmpUserProcess, 11, "tty1", "alice", "", 1700000200)...)
	b = append(b, utmpRecord(8, 12, "pts/1", "", "", 0)...) // DEAD_PROCESS
	b = append(b, 1, 2, 3)                                  // partial record

	entries := parseUtmp(b)
	require.Len(t, entries, 4)
	assert.Equal(t, utmpEntry{Type: utmpUserProcess, PID: 11, Line: "tty1", User: "alice", Time: time.Unix(1700000200, 0).UTC()}, entries[2])
	assert.Equal(t, "203.0.113.9", entries[1].Host)

	users := utmpUsers(entries, nil)
	require.Len(t, users, 2)
	assert.Equal(t, "alice", utmpConsoleUser(users), "a tty login is preferred over an earlier ssh login")
	assert.True(t, utmpLocalLogin(users))
}

func TestUtmpConsoleUser(t *testing.T) {
	e := func(pid int32, line, user, host string) utmpEntry {
		return utmpEntry{Type: utmpUserProcess, PID: pid, Line: line, User: user, Host: host}
	}
	tests := []struct {
		name      string
		entries   []utmpEntry
		dead      map[int32]bool
		wantUser  string
		wantLocal bool
	}{
		{name: "none", wantUser: ""},
		{name: "x display", entries: []utmpEntry{e(1, "pts/3", "bob", ":0"), e(2, ":0", "carol", ":0")}, wantUser: "carol", wantLocal: true},
		{name: "only ssh falls back to the first", entries: []utmpEntry{e(1, "pts/0", "bob", "10.0.0.5"), e(2, "pts/1", "dan", "10.0.0.6")}, wantUser: "bob"},
		{name: "stale record skipped", entries: []utmpEntry{e(1, "tty1", "ghost", ""), e(2, "tty2", "eve", "")}, dead: map[int32]bool{1: true}, wantUser: "eve", wantLocal: true},
		{name: "local terminal counts as logged in", entries: []utmpEntry{e(1, "pts/2", "fay", "")}, wantUser: "fay", wantLocal: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			users := utmpUsers(tt.entries, func(pid int32) bool { return !tt.dead[pid] })
			assert.Equal(t, tt.wantUser, utmpConsoleUser(users))
			assert.Equal(t, tt.wantLocal, utmpLocalLogin(users))
		})
	}
}

func TestLogindSessions(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"2":  "# This is private data. Do not parse.\nUID=1000\nUSER=alice\nACTIVE=1\nSTATE=active\nREMOTE=0\nTYPE=wayland\nCLASS=user\nSEAT=seat0\nVTNR=2\n",
		"5":  "UID=1001\nUSER=bob\nACTIVE=1\nREMOTE=1\nTYPE=tty\nCLASS=user\nREMOTE_HOST=203.0.113.9\n",
		"c1": "UID=120\nUSER=gdm\nACTIVE=0\nTYPE=wayland\nCLASS=greeter\nSEAT=seat0\n",
		"9":  "UID=0\nUSER=root\nACTIVE=1\nREMOTE=0\nTYPE=unspecified\nCLASS=user\n",
	}
	for name, content := range files {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644))
	}
	ss := readLogindSessions(dir)
	require.Len(t, ss, 3, "the greeter is not a user session")
	s, ok := seatSession(ss)
	require.True(t, ok)
	assert.Equal(t, logindSession{ID: "2", User: "alice", Seat: "seat0", Type: "wayland", Class: "user", Active: true}, s)
	assert.True(t, logindLocalLogin(ss))
	assert.False(t, logindLocalLogin(ss[1:]), "a remote session and a background session are no local login")
}

func TestParsers(t *testing.T) {
	route := "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n" +
		"wlan0\t00000000\t0101A8C0\t0003\t0\t0\t600\t00000000\t0\t0\t0\n" +
		"eth0\t00000000\t0100000A\t0003\t0\t0\t100\t00000000\t0\t0\t0\n" +
		"eth0\t0000000A\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0\n"
	assert.Equal(t, "10.0.0.1", parseProcNetRoute(route))
	assert.Equal(t, "", parseProcNetRoute("Iface\tDestination\n"))

	idle, total, ok := parseProcStatCPU("cpu  100 5 50 800 20 1 2 3 7 0\ncpu0 1 2 3 4\n")
	require.True(t, ok)
	assert.Equal(t, uint64(820), idle)
	assert.Equal(t, uint64(981), total)
	_, _, ok = parseProcStatCPU("intr 1 2 3\n")
	assert.False(t, ok)

	p, ok := busyPercent(800, 1000, 850, 1100)
	require.True(t, ok)
	assert.InDelta(t, 50.0, p, 0.001)
	_, ok = busyPercent(800, 1000, 800, 1000)
	assert.False(t, ok, "no time passed")

	assert.Equal(t, "Debian GNU/Linux 12 (bookworm)", parseOSRelease("PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\n"))
	assert.Equal(t, "Alpine Linux 3.19", parseOSRelease("NAME='Alpine Linux'\nVERSION=3.19\n"))

	assert.Equal(t, "5B1C7A5E-1111-2222-3333-444455556666", parseIoregUUID("+-o J314sAP  <class IOPlatformExpertDevice>\n    {\n      \"IOPlatformUUID\" = \"5B1C7A5E-1111-2222-3333-444455556666\"\n      \"IOPlatformSerialNumber\" = \"X\"\n"))
	assert.Equal(t, "192.168.1.1", parseRouteGetGateway("   route to: default\ndestination: default\n       mask: default\n    gateway: 192.168.1.1\n  interface: en0\n"))
	assert.Equal(t, "192.168.1.254", parseRoutePrint(
		"IPv4 Route Table\n===\nActive Routes:\nNetwork Destination        Netmask          Gateway       Interface  Metric\n"+
			"          0.0.0.0          0.0.0.0      192.168.1.1    192.168.1.10     35\n"+
			"          0.0.0.0          0.0.0.0    192.168.1.254    192.168.1.10     25\n"+
			"          0.0.0.0          0.0.0.0         On-link       10.8.0.2     5\n"))

	f, ok := firstFloat("0.52 0.58 0.59 1/389 12345\n")
	require.True(t, ok)
	assert.InDelta(t, 0.52, f, 0.0001)
}

func TestFacts(t *testing.T) {
	f := Facts(InstallModeService, api.PlatformLinuxAMD64, "127.0.0.1:8443")
	assert.Equal(t, api.PlatformLinuxAMD64, f.Platform)
	assert.Equal(t, InstallModeService, f.InstallMode)
	assert.NotEmpty(t, f.Hostname)
	assert.NotEmpty(t, f.HostID)
	assert.NotEmpty(t, f.User)
	assert.Equal(t, "127.0.0.1", f.PrivateIP, "the interface that routes to the appliance")
	if runtime.GOOS == "linux" {
		assert.Contains(t, f.OS, "Linux")
	}
}

func TestSampler_OnlySelected(t *testing.T) {
	s := &Sampler{Dir: t.TempDir()}
	st := s.Sample(nil)
	assert.False(t, st.ReportedAt.IsZero())
	assert.Nil(t, st.CPUPercent)
	assert.Nil(t, st.DiskTotalBytes)
	assert.Nil(t, st.UptimeSeconds)
	assert.Nil(t, st.Screen)
	assert.Nil(t, st.ConsoleUser)

	st = s.Sample([]string{api.StatDisk, api.StatUptime, api.StatConsoleUser})
	assert.Nil(t, st.CPUPercent)
	assert.NotNil(t, st.ConsoleUser)
	if runtime.GOOS == "linux" {
		require.NotNil(t, st.DiskTotalBytes)
		assert.Positive(t, *st.DiskTotalBytes)
		assert.LessOrEqual(t, *st.DiskFreeBytes, *st.DiskTotalBytes)
		require.NotNil(t, st.UptimeSeconds)
		assert.Positive(t, *st.UptimeSeconds)
	}
}

func TestSampler_CPUAndScreenOnLinux(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("/proc statistics are Linux's")
	}
	s := &Sampler{Dir: t.TempDir()}
	for range 2 {
		st := s.Sample([]string{api.StatCPU, api.StatScreen})
		require.NotNil(t, st.CPUPercent)
		assert.GreaterOrEqual(t, *st.CPUPercent, 0.0)
		assert.LessOrEqual(t, *st.CPUPercent, 100.0)
		require.NotNil(t, st.LoadAverage)
		require.NotNil(t, st.Screen)
	}
	t.Setenv("WAYLAND_DISPLAY", "wayland-0")
	st := s.Sample([]string{api.StatScreen})
	assert.Equal(t, "wayland", *st.Screen)
	t.Setenv("WAYLAND_DISPLAY", "")
	t.Setenv("DISPLAY", ":1")
	st = s.Sample([]string{api.StatScreen})
	assert.Equal(t, "x11 :1", *st.Screen)
}

func TestFallbackHostID(t *testing.T) {
	a := fallbackHostID("h1", "00:11:22:33:44:55")
	assert.Len(t, a, 32)
	assert.Equal(t, a, fallbackHostID("h1", "00:11:22:33:44:55"))
	assert.NotEqual(t, a, fallbackHostID("h2", "00:11:22:33:44:55"))
	assert.Empty(t, fallbackHostID("", ""))
}

func TestPresenceAndConsoleUserDoNotFail(t *testing.T) {
	// The CI host's answers are unknown; these must merely not fail or hang.
	_ = Presence()
	_ = ConsoleUser()
}
