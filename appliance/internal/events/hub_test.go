package events_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/appliance/appliancetest"
	"github.com/jumpgate/jumpgate/appliance/internal/auth"
	"github.com/jumpgate/jumpgate/appliance/internal/events"
)

// hubServer serves a hub's stream over HTTP for the principal p, without
// the rest of the appliance, so that its timings can be short.
func hubServer(t *testing.T, h *events.Hub, p auth.Principal) string {
	t.Helper()
	e := gin.New()
	for _, r := range h.Routes() {
		e.Handle(r.Method, r.Path, func(c *gin.Context) {
			c.Request = c.Request.WithContext(auth.WithPrincipal(c.Request.Context(), p))
			c.Next()
		}, r.Handler)
	}
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	return srv.URL
}

// lines reads the raw stream into a channel of lines.
func lines(t *testing.T, url string) <-chan string {
	t.Helper()
	resp, err := http.Get(url + "/api/v1/events")
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	out := make(chan string, 10000)
	go func() {
		defer resp.Body.Close()
		buf := make([]byte, 64<<10)
		var rest string
		for {
			n, err := resp.Body.Read(buf)
			rest += string(buf[:n])
			for {
				i := strings.IndexByte(rest, '\n')
				if i < 0 {
					break
				}
				out <- rest[:i]
				rest = rest[i+1:]
			}
			if err != nil {
				close(out)
				return
			}
		}
	}()
	t.Cleanup(func() { resp.Body.Close() })
	return out
}

func waitLine(t *testing.T, ch <-chan string, want string) {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case l, ok := <-ch:
			require.True(t, ok, "stream ended before %q", want)
			if strings.HasPrefix(l, want) {
				return
			}
		case <-deadline:
			t.Fatalf("no line %q within 5s", want)
		}
	}
}

// TestHub_HeartbeatResyncAndSessions checks the heartbeat comments, that a
// reader who falls behind loses events but never blocks the publisher and
// is told to resync, and that session events reach only the session's
// users.
func TestHub_HeartbeatResyncAndSessions(t *testing.T) {
	t.Parallel()
	s := appliancetest.NewServer(t)
	u, _ := s.NewUser(t, false)

	t.Run("heartbeat", func(t *testing.T) {
		h := events.New(events.Config{DB: s.App.DB, Heartbeat: 50 * time.Millisecond})
		t.Cleanup(h.Close)
		ch := lines(t, hubServer(t, h, auth.Principal{UserID: 1, Username: "admin", Admin: true}))
		waitLine(t, ch, ": connected")
		waitLine(t, ch, ": heartbeat")
	})

	t.Run("a slow reader is told to resync and never blocks", func(t *testing.T) {
		h := events.New(events.Config{DB: s.App.DB, Buffer: 4, Batch: time.Millisecond})
		t.Cleanup(h.Close)
		url := hubServer(t, h, auth.Principal{UserID: 1, Username: "admin", Admin: true})
		resp, err := http.Get(url + "/api/v1/events")
		require.NoError(t, err)
		t.Cleanup(func() { resp.Body.Close() })
		deadline := time.Now().Add(5 * time.Second)
		for h.Streams() == 0 && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		// Nobody reads the body while 100,000 changes are published: the
		// publisher never waits.
		start := time.Now()
		for i := 0; i < 100000; i++ {
			h.ClientStatus(int64(i%5000+1), api.ClientOnline, time.Now())
		}
		assert.Less(t, time.Since(start), 2*time.Second)
		ch := make(chan string, 100000)
		go func() {
			buf := make([]byte, 1<<20)
			for {
				n, err := resp.Body.Read(buf)
				for _, l := range strings.Split(string(buf[:n]), "\n") {
					ch <- l
				}
				if err != nil {
					close(ch)
					return
				}
			}
		}()
		waitLine(t, ch, "event: "+api.EventStreamResync)
	})

	t.Run("sessions reach their users only", func(t *testing.T) {
		h := events.New(events.Config{DB: s.App.DB, Batch: time.Millisecond})
		t.Cleanup(h.Close)
		userURL := hubServer(t, h, auth.Principal{UserID: u.ID, Username: u.Username})
		ch := lines(t, userURL)
		waitLine(t, ch, ": connected")
		deadline := time.Now().Add(5 * time.Second)
		for h.Streams() == 0 && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		h.Session(api.EventSessionStarted, 41, api.SessionActive, []int64{u.ID + 100})
		h.Session(api.EventSessionStarted, 42, api.SessionActive, []int64{u.ID + 100, u.ID})
		for l := range ch {
			assert.NotContains(t, l, `"id":41`, "session 41 is not the user's")
			if l == `data: {"kind":"session","id":42,"status":"active"}` {
				break
			}
		}
		h.Session(api.EventSessionEnded, 42, api.SessionEnded, []int64{u.ID})
		waitLine(t, ch, "event: "+api.EventSessionEnded)
	})
}
