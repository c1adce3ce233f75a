package session

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/jumpgate/jumpgate/api/sessionproto"
)

func TestParseMounts(t *testing.T) {
	const mounts = `proc /proc proc rw,relatime 0 0
/dev/vda / ext4 rw,relatime 0 0
tmpfs /run tmpfs rw 0 0
/dev/vdb /mnt/my\040disk xfs rw 0 0
server:/export /mnt/nfs nfs4 rw 0 0
/dev/vda / ext4 rw,relatime 0 0
overlay /var/lib/docker/overlay2/x/merged overlay rw 0 0
`
	assert.Equal(t, []sessionproto.DiskInfo{
		{Mount: "/", FSType: "ext4"},
		{Mount: "/mnt/my disk", FSType: "xfs"},
		{Mount: "/var/lib/docker/overlay2/x/merged", FSType: "overlay"},
	}, parseMounts(mounts))
}

func TestProcParsers(t *testing.T) {
	tests := []struct {
		name string
		run  func(t *testing.T)
	}{
		{"cpu model on x86", func(t *testing.T) {
			assert.Equal(t, "AMD EPYC 7B13", cpuModel("processor\t: 0\nmodel name\t: AMD EPYC 7B13\nprocessor\t: 1\nmodel name\t: AMD EPYC 7B13\n"))
		}},
		{"cpu model on a Raspberry Pi", func(t *testing.T) {
			assert.Equal(t, "Raspberry Pi 4 Model B Rev 1.4", cpuModel("processor\t: 0\nBogoMIPS\t: 108.00\n\nHardware\t: BCM2835\nModel\t\t: Raspberry Pi 4 Model B Rev 1.4\n"))
		}},
		{"memory", func(t *testing.T) {
			total, free := memInfo("MemTotal:       16318324 kB\nMemFree:          512000 kB\nMemAvailable:    8000000 kB\n")
			assert.Equal(t, uint64(16318324*1024), total)
			assert.Equal(t, uint64(8000000*1024), free)
		}},
		{"memory without MemAvailable", func(t *testing.T) {
			_, free := memInfo("MemTotal: 100 kB\nMemFree: 10 kB\n")
			assert.Equal(t, uint64(10*1024), free)
		}},
		{"boot time", func(t *testing.T) {
			bt, ok := bootTime("cpu  1 2 3\nbtime 1700000000\nprocesses 5\n")
			assert.True(t, ok)
			assert.Equal(t, time.Unix(1700000000, 0).UTC(), bt)
		}},
		{"session of a stat line", func(t *testing.T) {
			sid, state, ok := statSession([]byte("4242 (a (weird) name) S 1 4242 4240 0 -1 4194560"))
			assert.True(t, ok)
			assert.Equal(t, 4240, sid)
			assert.Equal(t, "S", state)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, tt.run)
	}
}
