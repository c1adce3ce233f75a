package session

import (
	"bytes"
	"io"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/jumpgate/jumpgate/api/sessionproto"
)

// recorder is a target that records what input frames did.
type recorder struct {
	stdin   string
	closed  int
	sizes   [][2]int
	signals []string
	hangups int
}

func (r *recorder) input(p []byte) error { r.stdin += string(p); return nil }
func (r *recorder) closeInput()          { r.closed++ }
func (r *recorder) resize(c, rows int) error {
	r.sizes = append(r.sizes, [2]int{c, rows})
	return nil
}
func (r *recorder) signal(name string) error { r.signals = append(r.signals, name); return nil }
func (r *recorder) peerClosed()              { r.hangups++ }

// pipeConn is a stream's input from a reader; nothing else is used.
type pipeConn struct{ r io.Reader }

func (c pipeConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// The rest of net.Conn is not used by the input handling.
func (pipeConn) Write(p []byte) (int, error) { return len(p), nil }
func (pipeConn) Close() error                { return nil }
func (pipeConn) LocalAddr() net.Addr         { return nil }
func (pipeConn) RemoteAddr() net.Addr        { return nil }

func (pipeConn) SetDeadline(time.Time) error      { return nil }
func (pipeConn) SetReadDeadline(time.Time) error  { return nil }
func (pipeConn) SetWriteDeadline(time.Time) error { return nil }

func frames(t testing.TB, fs ...[]byte) []byte {
	var b bytes.Buffer
	for _, f := range fs {
		if err := sessionproto.WriteFrame(&b, f[0], f[1:]); err != nil {
			t.Fatal(err)
		}
	}
	return b.Bytes()
}

func frame(typ byte, payload string) []byte { return append([]byte{typ}, payload...) }

func TestApplyInput(t *testing.T) {
	in := frames(t,
		frame(sessionproto.FrameData, "ls\n"),
		frame(sessionproto.FrameResize, `{"cols":120,"rows":40}`),
		frame(sessionproto.FrameResize, `{"cols":0,"rows":40}`),
		frame(sessionproto.FrameResize, `{"cols":99999,"rows":99999}`),
		frame(sessionproto.FrameResize, `not json`),
		frame(sessionproto.FrameSignal, "int"),
		frame(sessionproto.FrameSignal, "SIGTERM"),
		frame(sessionproto.FrameExit, `{"code":1}`),
		frame(sessionproto.FrameEOF, ""),
	)
	tests := []struct {
		name    string
		revoked bool
		want    recorder
		dropped int64
	}{
		{"in control", false, recorder{stdin: "ls\n", closed: 1, sizes: [][2]int{{120, 40}, {maxTermSize, maxTermSize}}, signals: []string{"INT", "TERM"}, hangups: 1}, 0},
		{"revoked", true, recorder{sizes: [][2]int{{120, 40}, {maxTermSize, maxTermSize}}, hangups: 1}, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := New(Config{})
			s := &stream{conn: pipeConn{bytes.NewReader(in)}}
			s.revoked.Store(tt.revoked)
			var r recorder
			m.pumpInput(s, &r)
			assert.Equal(t, tt.want, r)
			assert.Equal(t, tt.dropped, m.dropped.Load())
		})
	}
}

// FuzzInput feeds arbitrary bytes to a shell's input handling: it must
// never panic, and never pass input on while control is revoked.
func FuzzInput(f *testing.F) {
	f.Add(frames(f, frame(sessionproto.FrameData, "x"), frame(sessionproto.FrameEOF, "")), false)
	f.Add(frames(f, frame(sessionproto.FrameResize, `{"cols":-1,"rows":1e99}`), frame(sessionproto.FrameSignal, "KILL")), true)
	f.Add([]byte{sessionproto.FrameData, 0xff, 0xff, 0xff, 0xff}, false)
	f.Add([]byte{sessionproto.FrameResize, 0, 0, 0, 2, '{', '}'}, false)
	f.Fuzz(func(t *testing.T, in []byte, revoked bool) {
		m := New(Config{})
		s := &stream{conn: pipeConn{bytes.NewReader(in)}}
		s.revoked.Store(revoked)
		var r recorder
		m.pumpInput(s, &r)
		if revoked && (r.stdin != "" || r.closed > 0 || len(r.signals) > 0) {
			t.Fatalf("input passed while revoked: %+v", r)
		}
		for _, sz := range r.sizes {
			if sz[0] < 1 || sz[1] < 1 || sz[0] > maxTermSize || sz[1] > maxTermSize {
				t.Fatalf("size %v out of bounds", sz)
			}
		}
	})
}
