package conn_test

import (
	"crypto/ed25519"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/agent/internal/conn"
	"github.com/jumpgate/jumpgate/agent/internal/conn/conntest"
	"github.com/jumpgate/jumpgate/api/agentproto"
)

// BenchmarkSessionFootprint holds b.N idle sessions (each with its own
// Dialer, as simulated agents have) and reports the heap and goroutines
// per session, both ends included: the fake appliance runs in-process.
func BenchmarkSessionFootprint(b *testing.B) {
	a := conntest.New(b)
	key := newKeyB(b)
	id := a.Register(key.Public().(ed25519.PublicKey))
	go func() {
		for range a.Conns {
		}
	}()
	runtime.GC()
	var m0 runtime.MemStats
	runtime.ReadMemStats(&m0)
	g0 := runtime.NumGoroutine()

	sessions := make([]*conn.Session, 0, b.N)
	b.ResetTimer()
	for range b.N {
		d := &conn.Dialer{URL: a.URL, CAPin: a.CAPin, Proxy: "direct"}
		s, err := d.Connect(b.Context(), key, agentproto.Auth{Kind: agentproto.KindJumpClient, ID: id, Intent: agentproto.IntentRun})
		require.NoError(b, err)
		sessions = append(sessions, s)
	}
	b.StopTimer()
	time.Sleep(100 * time.Millisecond) // let both ends settle before measuring
	runtime.GC()
	var m1 runtime.MemStats
	runtime.ReadMemStats(&m1)
	b.ReportMetric(float64(m1.HeapInuse-m0.HeapInuse)/float64(b.N), "heap-B/session")
	b.ReportMetric(float64(m1.StackInuse-m0.StackInuse)/float64(b.N), "stack-B/session")
	b.ReportMetric(float64(runtime.NumGoroutine()-g0)/float64(b.N), "goroutines/session")
	for _, s := range sessions {
		s.Close()
	}
}

func newKeyB(b *testing.B) ed25519.PrivateKey {
	_, k, err := ed25519.GenerateKey(nil)
	require.NoError(b, err)
	return k
}
