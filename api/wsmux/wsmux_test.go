package wsmux

import (
	"bytes"
	"io"
	"net"
	"sync"
	"testing"

	"github.com/hashicorp/yamux"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// recordConn records the size of every Write.
type recordConn struct {
	net.Conn
	mu     sync.Mutex
	writes []int
}

func (r *recordConn) Write(b []byte) (int, error) {
	r.mu.Lock()
	r.writes = append(r.writes, len(b))
	r.mu.Unlock()
	return r.Conn.Write(b)
}

func TestCoalesce_OneWritePerDataFrame(t *testing.T) {
	a, b := net.Pipe()
	rec := &recordConn{Conn: a}
	client, err := yamux.Client(Coalesce(rec), Config(0))
	require.NoError(t, err)
	server, err := yamux.Server(b, Config(0))
	require.NoError(t, err)
	defer client.Close()
	defer server.Close()

	payload := bytes.Repeat([]byte("x"), 100<<10)
	done := make(chan []byte)
	go func() {
		st, err := server.AcceptStream()
		if err != nil {
			done <- nil
			return
		}
		got, _ := io.ReadAll(st)
		done <- got
	}()
	st, err := client.OpenStream()
	require.NoError(t, err)
	_, err = st.Write(payload)
	require.NoError(t, err)
	require.NoError(t, st.Close())
	assert.Equal(t, payload, <-done)

	rec.mu.Lock()
	defer rec.mu.Unlock()
	assert.Contains(t, rec.writes, headerSize+len(payload), "the data frame went out in one write with its header")
}

func TestCoalesce_SplitsLargeFrames(t *testing.T) {
	a, b := net.Pipe()
	rec := &recordConn{Conn: a}
	c := Coalesce(rec)
	hdr := []byte{0, 0, 0, 0, 0, 0, 0, 1, 0, 0x10, 0, 0} // data, stream 1, length 1 MiB
	body := bytes.Repeat([]byte("y"), 1<<20)
	go func() {
		_, _ = c.Write(hdr)
		_, _ = c.Write(body)
		_ = a.Close()
	}()
	got, err := io.ReadAll(b)
	require.NoError(t, err)
	assert.Equal(t, append(hdr, body...), got)
	for _, n := range rec.writes {
		assert.LessOrEqual(t, n, MaxWrite)
	}
}
