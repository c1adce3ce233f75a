package wol_test

import (
	"bytes"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/agent/internal/wol"
)

func TestMagicPacket(t *testing.T) {
	mac := []byte{0x00, 0x11, 0x22, 0xaa, 0xbb, 0xcc}
	tests := []struct {
		name    string
		mac, pw string
		wantPW  []byte
		wantErr string
	}{
		{name: "colon mac", mac: "00:11:22:aa:bb:cc"},
		{name: "dash mac upper", mac: "00-11-22-AA-BB-CC"},
		{name: "bare mac", mac: "001122aabbcc"},
		{name: "6-byte password", mac: "00:11:22:aa:bb:cc", pw: "01:02:03:04:05:06", wantPW: []byte{1, 2, 3, 4, 5, 6}},
		{name: "4-byte dotted password", mac: "00:11:22:aa:bb:cc", pw: "192.168.1.9", wantPW: []byte{192, 168, 1, 9}},
		{name: "4-byte hex password", mac: "00:11:22:aa:bb:cc", pw: "de:ad:be:ef", wantPW: []byte{0xde, 0xad, 0xbe, 0xef}},
		{name: "short mac", mac: "00:11:22:aa:bb", wantErr: "want 6 hex bytes, got 5"},
		{name: "eui64 is not a mac here", mac: "00:11:22:33:44:55:66:77", wantErr: "want 6 hex bytes"},
		{name: "not hex", mac: "00:11:22:aa:bb:zz", wantErr: `"zz" is not a hex byte`},
		{name: "empty mac", mac: "", wantErr: "mac address"},
		{name: "bad password", mac: "00:11:22:aa:bb:cc", pw: "01:02:03", wantErr: "secureon password"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pkt, err := wol.MagicPacket(tt.mac, tt.pw)
			if tt.wantErr != "" {
				assert.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			require.Len(t, pkt, 102+len(tt.wantPW))
			assert.Equal(t, bytes.Repeat([]byte{0xff}, 6), pkt[:6])
			for i := range 16 {
				assert.Equal(t, mac, pkt[6+6*i:12+6*i])
			}
			assert.Equal(t, tt.wantPW, nilIfEmpty(pkt[102:]))
		})
	}
}

func nilIfEmpty(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

func TestSend_Loopback(t *testing.T) {
	l, err := net.ListenPacket("udp4", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	pkt, err := wol.MagicPacket("00:11:22:aa:bb:cc", "")
	require.NoError(t, err)

	require.NoError(t, wol.Send(t.Context(), pkt, []string{l.LocalAddr().String()}))

	require.NoError(t, l.SetReadDeadline(time.Now().Add(5*time.Second)))
	buf := make([]byte, 512)
	n, _, err := l.ReadFrom(buf)
	require.NoError(t, err)
	assert.Equal(t, pkt, buf[:n])
}

func TestSend_ReportsEveryBadAddress(t *testing.T) {
	l, err := net.ListenPacket("udp4", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	err = wol.Send(t.Context(), []byte("x"), []string{"no-port", l.LocalAddr().String(), "127.0.0.1:99999"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no-port")
	assert.Contains(t, err.Error(), "99999")
	// The good address in the middle was still sent to.
	require.NoError(t, l.SetReadDeadline(time.Now().Add(5*time.Second)))
	buf := make([]byte, 16)
	n, _, err := l.ReadFrom(buf)
	require.NoError(t, err)
	assert.Equal(t, "x", string(buf[:n]))
}
