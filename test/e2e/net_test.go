package e2e

import (
	"net"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

// newHTTPServer serves h on a loopback port until the test ends and
// returns its URL.
func newHTTPServer(t *testing.T, h http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &http.Server{Handler: h}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return "http://" + ln.Addr().String()
}
