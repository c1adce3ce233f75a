package host

import (
	"encoding/binary"
	"encoding/hex"
	"net"
	"strconv"
	"strings"
)

// parseProcNetRoute returns the gateway of the default route with the
// lowest metric in a Linux /proc/net/route table.
func parseProcNetRoute(s string) string {
	best, bestMetric := "", -1
	for _, line := range strings.Split(s, "\n")[1:] {
		f := strings.Fields(line)
		// Iface Destination Gateway Flags RefCnt Use Metric Mask …
		if len(f) < 8 || f[1] != "00000000" || f[7] != "00000000" {
			continue
		}
		flags, err := strconv.ParseUint(f[3], 16, 32)
		if err != nil || flags&0x1 == 0 || flags&0x2 == 0 { // RTF_UP, RTF_GATEWAY
			continue
		}
		gw, err := hex.DecodeString(f[2])
		if err != nil || len(gw) != 4 {
			continue
		}
		metric, _ := strconv.Atoi(f[6])
		if bestMetric == -1 || metric < bestMetric {
			var ip [4]byte
			// The kernel prints the address in host byte order, which is
			// little-endian on every platform the agent ships for.
			binary.BigEndian.PutUint32(ip[:], binary.LittleEndian.Uint32(gw))
			best, bestMetric = net.IP(ip[:]).String(), metric
		}
	}
	return best
}

// parseProcStatCPU returns the idle and total jiffies of the "cpu" line of
// /proc/stat. Guest time is already counted in user time and is left out.
func parseProcStatCPU(s string) (idle, total uint64, ok bool) {
	line, _, _ := strings.Cut(s, "\n")
	f := strings.Fields(line)
	if len(f) < 5 || f[0] != "cpu" {
		return 0, 0, false
	}
	for i, v := range f[1:min(len(f), 9)] {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return 0, 0, false
		}
		total += n
		if i == 3 || i == 4 { // idle, iowait
			idle += n
		}
	}
	return idle, total, true
}

// firstFloat parses the first field of s (/proc/loadavg, /proc/uptime).
func firstFloat(s string) (float64, bool) {
	f := strings.Fields(s)
	if len(f) == 0 {
		return 0, false
	}
	v, err := strconv.ParseFloat(f[0], 64)
	return v, err == nil
}

// parseOSRelease returns PRETTY_NAME (else NAME VERSION) of an os-release
// file.
func parseOSRelease(s string) string {
	kv := keyValues(s, "=")
	if v := kv["PRETTY_NAME"]; v != "" {
		return v
	}
	return strings.TrimSpace(kv["NAME"] + " " + kv["VERSION"])
}

// parseIoregUUID finds IOPlatformUUID in `ioreg -rd1 -c IOPlatformExpertDevice`.
func parseIoregUUID(s string) string {
	for _, line := range strings.Split(s, "\n") {
		if k, v, ok := strings.Cut(line, "="); ok && strings.Contains(k, `"IOPlatformUUID"`) {
			return strings.Trim(strings.TrimSpace(v), `"`)
		}
	}
	return ""
}

// parseRouteGetGateway finds "gateway: x" in macOS `route -n get default`.
func parseRouteGetGateway(s string) string {
	return keyValues(s, ":")["gateway"]
}

// parseRoutePrint finds the default route's gateway in Windows
// `route print 0.0.0.0` (Network Destination, Netmask, Gateway, Interface,
// Metric), taking the lowest metric.
func parseRoutePrint(s string) string {
	best, bestMetric := "", -1
	for _, line := range strings.Split(s, "\n") {
		f := strings.Fields(line)
		if len(f) != 5 || f[0] != "0.0.0.0" || f[1] != "0.0.0.0" || net.ParseIP(f[2]) == nil {
			continue
		}
		m, err := strconv.Atoi(f[4])
		if err != nil {
			continue
		}
		if bestMetric == -1 || m < bestMetric {
			best, bestMetric = f[2], m
		}
	}
	return best
}
