package channel

import (
	"io"
	"net"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
)

// tcpPair returns the two ends of a loopback TCP connection.
func tcpPair(tb testing.TB) (net.Conn, net.Conn) {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(tb, err)
	defer l.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := l.Accept()
		accepted <- c
	}()
	c, err := net.Dial("tcp", l.Addr().String())
	require.NoError(tb, err)
	return c, <-accepted
}

// BenchmarkSplice measures the splice loop alone between two TCP
// connections: one op is 256 KiB through it. It should allocate nothing
// per op.
func BenchmarkSplice(b *testing.B) {
	src, in := tcpPair(b)
	out, dst := tcpPair(b)
	var n atomic.Int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		Splice(in, out, &n, nil)
	}()
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		_, _ = io.Copy(io.Discard, dst)
	}()
	chunk := make([]byte, spliceBuffer)
	b.SetBytes(spliceBuffer)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := src.Write(chunk); err != nil {
			b.Fatal(err)
		}
	}
	_ = src.(*net.TCPConn).CloseWrite()
	<-drained
	_ = dst.(*net.TCPConn).CloseWrite()
	<-done
	src.Close()
	dst.Close()
}
