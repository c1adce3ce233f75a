package session

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/jumpgate/jumpgate/agent/internal/host"
	"github.com/jumpgate/jumpgate/api/sessionproto"
)

// osSysInfo fills what Linux tells in /proc.
func osSysInfo(si *sessionproto.SysInfo) {
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		si.Kernel = strings.TrimSpace(string(b))
	}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		si.CPUModel = cpuModel(string(b))
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		si.MemTotalBytes, si.MemFreeBytes = memInfo(string(b))
	}
	if b, err := os.ReadFile("/proc/stat"); err == nil {
		if bt, ok := bootTime(string(b)); ok {
			si.BootTime = &bt
		}
	}
	if b, err := os.ReadFile("/proc/mounts"); err == nil {
		for _, mnt := range parseMounts(string(b)) {
			if total, free, ok := host.DiskUsage(mnt.Mount); ok && total > 0 {
				mnt.TotalBytes, mnt.FreeBytes = total, free
				si.Disks = append(si.Disks, mnt)
			}
		}
	}
}

// cpuModel finds the processor's name in /proc/cpuinfo: "model name" on
// x86, "Model" (the board) or "Hardware" on ARM boards.
func cpuModel(s string) string {
	kv := map[string]string{}
	for _, line := range strings.Split(s, "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		k = strings.TrimSpace(k)
		if _, seen := kv[k]; !seen {
			kv[k] = strings.TrimSpace(v)
		}
	}
	for _, k := range []string{"model name", "Model", "Hardware", "cpu model", "Processor"} {
		if v := kv[k]; v != "" {
			return v
		}
	}
	return ""
}

// memInfo reads MemTotal and MemAvailable (else MemFree) of /proc/meminfo.
func memInfo(s string) (total, free uint64) {
	vals := map[string]uint64{}
	for _, line := range strings.Split(s, "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		f := strings.Fields(v)
		if len(f) == 0 {
			continue
		}
		n, err := strconv.ParseUint(f[0], 10, 64)
		if err != nil {
			continue
		}
		if len(f) > 1 && f[1] == "kB" {
			n *= 1024
		}
		vals[k] = n
	}
	free, ok := vals["MemAvailable"]
	if !ok {
		free = vals["MemFree"]
	}
	return vals["MemTotal"], free
}

// bootTime reads btime of /proc/stat.
func bootTime(s string) (time.Time, bool) {
	for _, line := range strings.Split(s, "\n") {
		if v, ok := strings.CutPrefix(line, "btime "); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err != nil || n <= 0 {
				return time.Time{}, false
			}
			return time.Unix(n, 0).UTC(), true
		}
	}
	return time.Time{}, false
}

// pseudoFS are file systems without disk space to report. Network file
// systems are left out too: statfs on a dead server hangs.
var pseudoFS = map[string]bool{
	"autofs": true, "binfmt_misc": true, "bpf": true, "cgroup": true, "cgroup2": true,
	"configfs": true, "debugfs": true, "devpts": true, "devtmpfs": true, "efivarfs": true,
	"fusectl": true, "hugetlbfs": true, "mqueue": true, "nsfs": true, "proc": true,
	"pstore": true, "ramfs": true, "rpc_pipefs": true, "securityfs": true, "selinuxfs": true,
	"squashfs": true, "sysfs": true, "tmpfs": true, "tracefs": true,
	"nfs": true, "nfs4": true, "cifs": true, "smb3": true, "smbfs": true, "fuse.sshfs": true,
	"fuse.gvfsd-fuse": true, "fuse.portal": true, "fuse.lxcfs": true,
}

// parseMounts lists the disk file systems of /proc/mounts, each mount
// point once.
func parseMounts(s string) []sessionproto.DiskInfo {
	var out []sessionproto.DiskInfo
	seen := map[string]bool{}
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 3 || pseudoFS[f[2]] {
			continue
		}
		mnt := unescapeMount(f[1])
		if seen[mnt] || !strings.HasPrefix(mnt, "/") {
			continue
		}
		seen[mnt] = true
		out = append(out, sessionproto.DiskInfo{Mount: mnt, FSType: f[2]})
	}
	return out
}

// unescapeMount decodes the octal escapes (\040 for a space) of a mount
// point in /proc/mounts.
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
