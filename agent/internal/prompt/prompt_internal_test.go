package prompt

import (
	"testing"
	"time"

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

func TestLeftText(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{d: -time.Second, want: "over"},
		{d: 0, want: "over"},
		{d: 59 * time.Second, want: "less than a minute"},
		{d: 29*time.Minute + 59*time.Second, want: "29m"},
		{d: time.Hour + 5*time.Minute, want: "1h05m"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, LeftText(tt.d), "%s", tt.d)
	}
}
