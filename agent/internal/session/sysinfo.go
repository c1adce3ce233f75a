package session

import (
	"encoding/json"
	"net"
	"os"
	"runtime"
	"time"

	"github.com/jumpgate/jumpgate/agent/internal/host"
	"github.com/jumpgate/jumpgate/agent/internal/install"
	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/api/sessionproto"
)

// serveSysInfo answers with one SysInfo document.
func (m *Manager) serveSysInfo(s *stream) {
	info := m.sysInfo()
	if s.opened(sessionproto.Opened{}) != nil {
		return
	}
	_ = json.NewEncoder(s).Encode(info)
}

// sysInfo describes the machine; every field is best effort. The
// environment is left out: the agent's may hold a proxy's credentials.
func (m *Manager) sysInfo() sessionproto.SysInfo {
	si := sessionproto.SysInfo{
		OS:           host.OSName(),
		Platform:     platform(runtime.GOOS, runtime.GOARCH),
		Arch:         runtime.GOARCH,
		CPUs:         runtime.NumCPU(),
		Users:        host.LoggedInUsers(),
		Interfaces:   interfaces(),
		AgentVersion: api.Version,
		SessionUser:  m.sessionUserName(),
	}
	si.Hostname, _ = os.Hostname()
	si.FQDN = host.FQDN(si.Hostname)
	if up, ok := host.Uptime(); ok {
		si.UptimeSeconds = int64(up / time.Second)
		boot := time.Now().Add(-up).UTC().Truncate(time.Second)
		si.BootTime = &boot
	}
	osSysInfo(&si)
	return si
}

// platform names GOOS/GOARCH as api.Platforms does.
func platform(goos, goarch string) string { return install.Platform(goos, goarch) }

func interfaces() []sessionproto.InterfaceInfo {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil
	}
	out := make([]sessionproto.InterfaceInfo, 0, len(ifs))
	for _, ifc := range ifs {
		ii := sessionproto.InterfaceInfo{Name: ifc.Name, Up: ifc.Flags&net.FlagUp != 0}
		if len(ifc.HardwareAddr) > 0 {
			ii.MAC = ifc.HardwareAddr.String()
		}
		if addrs, err := ifc.Addrs(); err == nil {
			for _, a := range addrs {
				ii.Addrs = append(ii.Addrs, a.String())
			}
		}
		out = append(out, ii)
	}
	return out
}
