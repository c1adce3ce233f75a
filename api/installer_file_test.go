package api

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestInstallerFile(t *testing.T) {
	tests := []struct {
		name     string
		platform string
		ext      string
		client   string
		jumpoint string
		generic  string
	}{
		{name: "linux amd64", platform: PlatformLinuxAMD64, ext: "bin",
			client: "jumpgate-jc-3f2a-linux-amd64.bin", jumpoint: "jumpgate-jumpoint-dc1-linux-amd64.bin", generic: "jumpgate-jc-generic-linux-amd64.bin"},
		{name: "linux arm64", platform: PlatformLinuxARM64, ext: "bin",
			client: "jumpgate-jc-3f2a-linux-arm64.bin", jumpoint: "jumpgate-jumpoint-dc1-linux-arm64.bin", generic: "jumpgate-jc-generic-linux-arm64.bin"},
		{name: "raspberry pi", platform: PlatformRaspberryPi, ext: "bin",
			client: "jumpgate-jc-3f2a-raspberry-pi.bin", jumpoint: "jumpgate-jumpoint-dc1-raspberry-pi.bin", generic: "jumpgate-jc-generic-raspberry-pi.bin"},
		{name: "macos amd64", platform: PlatformMacOSAMD64, ext: "bin",
			client: "jumpgate-jc-3f2a-macos-amd64.bin", jumpoint: "jumpgate-jumpoint-dc1-macos-amd64.bin", generic: "jumpgate-jc-generic-macos-amd64.bin"},
		{name: "macos arm64", platform: PlatformMacOSARM64, ext: "bin",
			client: "jumpgate-jc-3f2a-macos-arm64.bin", jumpoint: "jumpgate-jumpoint-dc1-macos-arm64.bin", generic: "jumpgate-jc-generic-macos-arm64.bin"},
		{name: "windows amd64", platform: PlatformWindowsAMD64, ext: "exe",
			client: "jumpgate-jc-3f2a-windows-amd64.exe", jumpoint: "jumpgate-jumpoint-dc1-windows-amd64.exe", generic: "jumpgate-jc-generic-windows-amd64.exe"},
	}
	assert.Len(t, tests, len(Platforms), "one row per platform")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.ext, InstallerFileExt(tt.platform))
			assert.Equal(t, tt.client, JumpClientInstallerFile("3f2a", tt.platform))
			assert.Equal(t, tt.jumpoint, JumpointInstallerFile("dc1", tt.platform))
			assert.Equal(t, tt.generic, GenericInstallerFile(tt.platform))
		})
	}
}

// TestInstallerFile_DistinctPerPlatform checks the point of the names: no
// two platforms of one installer share a file name.
func TestInstallerFile_DistinctPerPlatform(t *testing.T) {
	for _, tt := range []struct {
		kind string
		file func(platform string) string
	}{
		{"jump client", func(p string) string { return JumpClientInstallerFile("3f2a", p) }},
		{"jumpoint", func(p string) string { return JumpointInstallerFile("dc1", p) }},
		{"generic", GenericInstallerFile},
	} {
		t.Run(tt.kind, func(t *testing.T) {
			seen := map[string]string{}
			for _, p := range Platforms {
				f := tt.file(p)
				if other, ok := seen[f]; ok {
					t.Errorf("%s and %s are both saved as %s", other, p, f)
				}
				seen[f] = p
			}
		})
	}
}
