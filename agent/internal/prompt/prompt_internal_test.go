package prompt

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestDisplayAvailable(t *testing.T) {
	env := func(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }
	tests := []struct {
		name string
		goos string
		env  map[string]string
		euid int
		want bool
	}{
		{name: "linux X11", goos: "linux", env: map[string]string{"DISPLAY": ":0"}, euid: 1000, want: true},
		{name: "linux Wayland", goos: "linux", env: map[string]string{"WAYLAND_DISPLAY": "wayland-0"}, euid: 1000, want: true},
		{name: "linux service without display", goos: "linux", euid: 0},
		{name: "macOS user agent", goos: "darwin", euid: 501, want: true},
		{name: "macOS daemon", goos: "darwin", euid: 0},
		{name: "windows", goos: "windows", env: map[string]string{"DISPLAY": ":0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, displayAvailable(tt.goos, env(tt.env), tt.euid))
		})
	}
}

func TestAppleString(t *testing.T) {
	assert.Equal(t, `say \"hi\"\n\\o/`, appleString("say \"hi\"\n\\o/"))
}
