package session

import (
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/api/sessionproto"
)

func TestSysInfo(t *testing.T) {
	m, _ := newManager(t, Config{SessionUser: "someone"}, &allowAll)
	p := serve(t, m, sessionproto.Open{Type: sessionproto.StreamSysInfo, Session: sessionID})
	p.mustOpen()
	var si sessionproto.SysInfo
	p.readDoc(&si)
	assert.NotEmpty(t, si.Hostname)
	assert.NotEmpty(t, si.OS)
	assert.Equal(t, runtime.GOARCH, si.Arch)
	assert.Equal(t, platform(runtime.GOOS, runtime.GOARCH), si.Platform)
	assert.Equal(t, runtime.NumCPU(), si.CPUs)
	assert.Equal(t, api.Version, si.AgentVersion)
	assert.Equal(t, "someone", si.SessionUser)
	assert.NotEmpty(t, si.Interfaces)
	assert.Empty(t, si.Env, "the agent's environment is not shown")
	if runtime.GOOS == "linux" {
		assert.NotEmpty(t, si.Kernel)
		assert.NotZero(t, si.MemTotalBytes)
		assert.NotZero(t, si.UptimeSeconds)
		require.NotNil(t, si.BootTime)
		require.NotEmpty(t, si.Disks)
		var mounts []string
		for _, d := range si.Disks {
			mounts = append(mounts, d.Mount)
			assert.NotZero(t, d.TotalBytes, d.Mount)
		}
		assert.Contains(t, mounts, "/")
	}
}

func TestPlatform(t *testing.T) {
	tests := []struct{ goos, goarch, want string }{
		{"linux", "amd64", api.PlatformLinuxAMD64},
		{"linux", "arm", api.PlatformRaspberryPi},
		{"darwin", "arm64", api.PlatformMacOSARM64},
		{"windows", "amd64", api.PlatformWindowsAMD64},
		{"freebsd", "amd64", "freebsd-amd64"},
	}
	for _, tt := range tests {
		t.Run(tt.goos+"/"+tt.goarch, func(t *testing.T) {
			assert.Equal(t, tt.want, platform(tt.goos, tt.goarch))
		})
	}
}
