package channel

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/yamux"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/api/sessionproto"
	"github.com/jumpgate/jumpgate/cli/internal/channel/channeltest"
)

const testToken = "rep-token"

var activeState = sessionproto.Event{Type: sessionproto.EventState, Session: 7, Status: api.SessionActive}

// newBroker serves b behind TLS and returns a client of it.
func newBroker(t *testing.T, b *channeltest.Broker) *api.Client {
	t.Helper()
	if b.Token == "" {
		b.Token = testToken
	}
	if b.Events == nil {
		b.Events = []sessionproto.Event{activeState}
	}
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !channeltest.IsConnect(r) {
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(http.StatusNotFound)
			_, _ = io.WriteString(w, `{"title":"Not Found","status":404,"detail":"session 9 does not exist"}`)
			return
		}
		b.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	c, err := api.New(srv.URL, api.WithHTTPClient(srv.Client()), api.WithToken(testToken))
	require.NoError(t, err)
	return c
}

// dial opens the channel of session 7 and waits for the first event.
func dial(t *testing.T, c *api.Client) *Channel {
	t.Helper()
	ch, err := Dial(context.Background(), c, 7)
	require.NoError(t, err)
	t.Cleanup(func() { ch.Close() })
	ev := <-ch.Events()
	require.Equal(t, sessionproto.EventState, ev.Type)
	return ch
}

func TestDial_UpgradeRefused(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusConflict)
		_, _ = io.WriteString(w, `{"title":"Conflict","status":409,"detail":"session 7 has ended"}`)
	}))
	defer srv.Close()
	c, err := api.New(srv.URL, api.WithHTTPClient(srv.Client()), api.WithToken(testToken))
	require.NoError(t, err)

	_, err = Dial(context.Background(), c, 7)
	var p *api.Problem
	require.ErrorAs(t, err, &p)
	assert.Equal(t, "session 7 has ended", p.Detail)
	assert.ErrorIs(t, err, api.ErrConflict)
}

func TestDial_SendsToken(t *testing.T) {
	b := &channeltest.Broker{Token: "another-token"}
	c := newBroker(t, b)
	_, err := Dial(context.Background(), c, 7)
	assert.ErrorIs(t, err, api.ErrUnauthorized)
}

func TestChannel_EventsAndEnd(t *testing.T) {
	b := &channeltest.Broker{}
	ch := dial(t, newBroker(t, b))
	b.Send(sessionproto.Event{Type: sessionproto.EventWarning, Session: 7, Message: "5 minutes left"})
	ev := <-ch.Events()
	assert.Equal(t, "5 minutes left", ev.Message)

	b.End(sessionproto.Event{Session: 7, EndReason: api.EndUser, EndedBy: "admin"})
	ev = <-ch.Events()
	assert.Equal(t, sessionproto.EventEnded, ev.Type)
	_, ok := <-ch.Events()
	assert.False(t, ok, "events close after ended")
	require.NotNil(t, ch.Ended())
	assert.Equal(t, "admin", ch.Ended().EndedBy)
	assert.NoError(t, ch.Err())
	<-ch.Done()
	_, _, err := ch.Open(context.Background(), sessionproto.Open{Type: sessionproto.StreamSysInfo})
	assert.ErrorIs(t, err, ErrClosed)
}

func TestChannel_OpenRefused(t *testing.T) {
	ch := dial(t, newBroker(t, &channeltest.Broker{}))
	conn, opened, err := ch.Open(context.Background(), sessionproto.Open{Type: sessionproto.StreamShell})
	assert.Nil(t, conn)
	var r *sessionproto.RefusedError
	require.ErrorAs(t, err, &r)
	assert.Equal(t, sessionproto.CodePermission, r.Code)
	require.NotNil(t, opened)
	assert.False(t, opened.OK)
}

func TestChannel_OpenHonoursContext(t *testing.T) {
	block := make(chan struct{})
	defer close(block)
	ch := dial(t, newBroker(t, &channeltest.Broker{Streams: func(sessionproto.Open, *yamux.Stream) { <-block }}))
	ctx, cancel := context.WithCancel(context.Background())
	go cancel()
	_, _, err := ch.Open(ctx, sessionproto.Open{Type: sessionproto.StreamSysInfo})
	assert.ErrorIs(t, err, context.Canceled)
}

// execHandler runs a pretend command: "cat" echoes stdin, "fail" writes to
// stderr and exits 3, "resize" reports the sizes it gets.
func execHandler(o sessionproto.Open, st *yamux.Stream) {
	if err := channeltest.Accept(st, sessionproto.Opened{Recording: o.Type == sessionproto.StreamShell}); err != nil {
		return
	}
	fr := sessionproto.NewFrameReader(st)
	exit := func(code int) {
		_ = sessionproto.WriteJSONFrame(st, sessionproto.FrameExit, sessionproto.Exit{Code: code})
	}
	switch strings.Join(o.Command, " ") {
	case "fail":
		_ = sessionproto.WriteFrame(st, sessionproto.FrameStderr, []byte("boom\n"))
		exit(3)
		return
	case "wait":
		_ = sessionproto.WriteFrame(st, sessionproto.FrameNotice, []byte("waiting"))
		for {
			typ, p, err := fr.Next()
			if err != nil {
				return
			}
			if typ == sessionproto.FrameSignal {
				_ = sessionproto.WriteJSONFrame(st, sessionproto.FrameExit, sessionproto.Exit{Signal: string(p)})
				return
			}
		}
	}
	_ = sessionproto.WriteFrame(st, sessionproto.FrameNotice, []byte("hello from the agent"))
	for {
		typ, p, err := fr.Next()
		if err != nil {
			return
		}
		switch typ {
		case sessionproto.FrameData:
			_ = sessionproto.WriteFrame(st, sessionproto.FrameData, p)
		case sessionproto.FrameResize:
			_ = sessionproto.WriteFrame(st, sessionproto.FrameData, append([]byte("resize "), p...))
		case sessionproto.FrameEOF:
			exit(0)
			return
		}
	}
}

func TestRunProcess(t *testing.T) {
	ch := dial(t, newBroker(t, &channeltest.Broker{Streams: execHandler}))
	big := bytes.Repeat([]byte("0123456789abcdef"), 64<<10) // 1 MiB: several frames

	tests := []struct {
		name       string
		open       sessionproto.Open
		stdin      io.Reader
		wantStdout string
		wantStderr string
		wantCode   int
		wantNotes  []string
	}{
		{name: "stdin is echoed", open: sessionproto.Open{Type: sessionproto.StreamExec, Command: []string{"cat"}},
			stdin: bytes.NewReader(big), wantStdout: string(big), wantNotes: []string{"hello from the agent"}},
		{name: "no stdin is eof at once", open: sessionproto.Open{Type: sessionproto.StreamExec, Command: []string{"cat"}},
			wantNotes: []string{"hello from the agent"}},
		{name: "stderr and exit code", open: sessionproto.Open{Type: sessionproto.StreamExec, Command: []string{"fail"}},
			wantStderr: "boom\n", wantCode: 3},
		{name: "a recorded shell says so", open: sessionproto.Open{Type: sessionproto.StreamShell}, stdin: strings.NewReader("ls\n"),
			wantStdout: "ls\n", wantNotes: []string{"this shell is recorded", "hello from the agent"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			var notes []string
			exit, err := RunProcess(context.Background(), ch, tt.open, Stdio{
				Stdin: tt.stdin, Stdout: &stdout, Stderr: &stderr, Notice: func(m string) { notes = append(notes, m) },
			})
			require.NoError(t, err)
			assert.Equal(t, tt.wantCode, exit.Code)
			assert.Equal(t, len(tt.wantStdout), stdout.Len())
			assert.True(t, stdout.String() == tt.wantStdout, "stdout differs")
			assert.Equal(t, tt.wantStderr, stderr.String())
			assert.Equal(t, tt.wantNotes, notes)
		})
	}
}

func TestRunProcess_Resize(t *testing.T) {
	ch := dial(t, newBroker(t, &channeltest.Broker{Streams: execHandler}))
	resize := make(chan sessionproto.Resize, 1)
	resize <- sessionproto.Resize{Cols: 120, Rows: 40}
	pr, pw := io.Pipe()
	out := &notifyingBuffer{want: "resize", seen: make(chan struct{})}
	go func() {
		<-out.seen
		pw.Close()
	}()
	exit, err := RunProcess(context.Background(), ch, sessionproto.Open{Type: sessionproto.StreamShell}, Stdio{Stdin: pr, Stdout: out, Resize: resize})
	require.NoError(t, err)
	assert.Equal(t, 0, exit.Code)
	assert.Equal(t, `resize {"cols":120,"rows":40}`, out.String())
}

// notifyingBuffer closes seen once its contents contain want.
type notifyingBuffer struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	want string
	seen chan struct{}
	once sync.Once
}

func (b *notifyingBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Write(p)
	if strings.Contains(b.buf.String(), b.want) {
		b.once.Do(func() { close(b.seen) })
	}
	return len(p), nil
}

func (b *notifyingBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestRunProcess_ContextInterrupts(t *testing.T) {
	ch := dial(t, newBroker(t, &channeltest.Broker{Streams: execHandler}))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// The handler's notice says it waits; then the user presses Ctrl-C.
	exit, err := RunProcess(ctx, ch, sessionproto.Open{Type: sessionproto.StreamExec, Command: []string{"wait"}},
		Stdio{Stdout: io.Discard, Notice: func(string) { cancel() }})
	require.NoError(t, err)
	assert.Equal(t, "INT", exit.Signal, "the process got INT and exited")
}

// fileServer serves file_get of content, cutting the stream after cut
// bytes when cut > 0, and records file_put uploads.
type fileServer struct {
	content []byte
	cut     atomic.Int64
	// resumeAt is the offset a file_put is told to resume from.
	resumeAt int64
	mu       sync.Mutex
	put      []byte
	putOpen  sessionproto.Open
}

func (fs *fileServer) handle(o sessionproto.Open, st *yamux.Stream) {
	switch o.Type {
	case sessionproto.StreamFileGet:
		if o.Path != "/data/file.bin" {
			_ = channeltest.Refuse(st, sessionproto.CodeNotFound, "no such file")
			return
		}
		size := int64(len(fs.content))
		_ = channeltest.Accept(st, sessionproto.Opened{File: &sessionproto.FileInfo{Name: "file.bin", Size: size}})
		if o.Offset > size {
			return
		}
		body := fs.content[o.Offset:]
		if cut := fs.cut.Swap(0); cut > 0 {
			body = body[:cut]
			for len(body) > 0 {
				n := min(len(body), 100_000)
				_ = sessionproto.WriteFrame(st, sessionproto.FrameData, body[:n])
				body = body[n:]
			}
			return
		}
		for len(body) > 0 {
			n := min(len(body), 100_000)
			_ = sessionproto.WriteFrame(st, sessionproto.FrameData, body[:n])
			body = body[n:]
		}
		sum := sha256.Sum256(fs.content)
		_ = sessionproto.WriteJSONFrame(st, sessionproto.FrameDone, sessionproto.Done{Size: size, SHA256: hex.EncodeToString(sum[:])})
	case sessionproto.StreamFilePut:
		fs.mu.Lock()
		fs.putOpen = o
		prefix := fs.content[:fs.resumeAt]
		fs.mu.Unlock()
		if !o.Overwrite && o.Path == "exists" {
			_ = channeltest.Refuse(st, sessionproto.CodeExists, "exists already")
			return
		}
		_ = channeltest.Accept(st, sessionproto.Opened{Offset: fs.resumeAt})
		got := append([]byte(nil), prefix...)
		fr := sessionproto.NewFrameReader(st)
		for {
			typ, p, err := fr.Next()
			if err != nil {
				return
			}
			if typ == sessionproto.FrameData {
				got = append(got, p...)
				continue
			}
			if typ == sessionproto.FrameEOF {
				break
			}
		}
		sum := sha256.Sum256(got)
		if hex.EncodeToString(sum[:]) != o.SHA256 || int64(len(got)) != o.Size {
			_ = sessionproto.WriteFrame(st, sessionproto.FrameError, []byte("checksum mismatch"))
			return
		}
		fs.mu.Lock()
		fs.put = got
		fs.mu.Unlock()
		_ = sessionproto.WriteJSONFrame(st, sessionproto.FrameDone, sessionproto.Done{Size: int64(len(got)), SHA256: o.SHA256, Path: "/home/u/" + o.Path})
	case sessionproto.StreamFileList:
		_ = channeltest.Accept(st, sessionproto.Opened{})
		_ = json.NewEncoder(st).Encode(sessionproto.FileList{Path: o.Path, Entries: []sessionproto.FileInfo{{Name: "a.txt", Size: 3}}})
	case sessionproto.StreamSysInfo:
		_ = channeltest.Accept(st, sessionproto.Opened{})
		_ = json.NewEncoder(st).Encode(sessionproto.SysInfo{Hostname: "web-01", CPUs: 4})
	}
}

// countingProgress records what a transfer reports.
type countingProgress struct {
	starts [][2]int64
	added  int64
}

func (p *countingProgress) Start(total, done int64) {
	p.starts = append(p.starts, [2]int64{total, done})
}
func (p *countingProgress) Add(n int) { p.added += int64(n) }
func (p *countingProgress) Finish()   {}

func testContent(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i * 7 / 3)
	}
	return b
}

func TestGetFile_ResumesAfterInterruption(t *testing.T) {
	fs := &fileServer{content: testContent(1_500_000)}
	fs.cut.Store(600_000)
	b := &channeltest.Broker{Streams: fs.handle}
	ch := dial(t, newBroker(t, b))
	dest := filepath.Join(t.TempDir(), "file.bin")

	_, err := GetFile(context.Background(), ch, "/data/file.bin", dest, nil)
	require.ErrorContains(t, err, "run again to resume")
	fi, err := os.Stat(dest + PartSuffix)
	require.NoError(t, err)
	assert.Equal(t, int64(600_000), fi.Size())

	p := &countingProgress{}
	done, err := GetFile(context.Background(), ch, "/data/file.bin", dest, p)
	require.NoError(t, err)
	assert.Equal(t, int64(1_500_000), done.Size)
	got, err := os.ReadFile(dest)
	require.NoError(t, err)
	assert.True(t, bytes.Equal(fs.content, got), "content differs")
	assert.NoFileExists(t, dest+PartSuffix)
	assert.Equal(t, [][2]int64{{1_500_000, 600_000}}, p.starts)
	assert.Equal(t, int64(900_000), p.added)
	opens := b.Opens()
	assert.Equal(t, int64(600_000), opens[len(opens)-1].Offset, "resumed where the first attempt stopped")
}

func TestGetFile_StalePartialStartsOver(t *testing.T) {
	fs := &fileServer{content: testContent(300_000)}
	ch := dial(t, newBroker(t, &channeltest.Broker{Streams: fs.handle}))
	dir := t.TempDir()
	tests := []struct {
		name    string
		partial []byte
	}{
		{name: "different bytes (the remote file changed)", partial: bytes.Repeat([]byte{0xff}, 1000)},
		{name: "longer than the remote file", partial: make([]byte, 400_000)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dest := filepath.Join(dir, "out.bin")
			require.NoError(t, os.WriteFile(dest+PartSuffix, tt.partial, 0o644))
			_, err := GetFile(context.Background(), ch, "/data/file.bin", dest, nil)
			require.NoError(t, err)
			got, err := os.ReadFile(dest)
			require.NoError(t, err)
			assert.True(t, bytes.Equal(fs.content, got), "content differs")
		})
	}
}

func TestGetFile_NotFound(t *testing.T) {
	ch := dial(t, newBroker(t, &channeltest.Broker{Streams: (&fileServer{}).handle}))
	dest := filepath.Join(t.TempDir(), "x")
	_, err := GetFile(context.Background(), ch, "/nope", dest, nil)
	var r *sessionproto.RefusedError
	require.ErrorAs(t, err, &r)
	assert.Equal(t, sessionproto.CodeNotFound, r.Code)
}

func TestPutFile_Resumes(t *testing.T) {
	content := testContent(700_000)
	fs := &fileServer{content: content, resumeAt: 250_000}
	ch := dial(t, newBroker(t, &channeltest.Broker{Streams: fs.handle}))
	local := filepath.Join(t.TempDir(), "up.bin")
	require.NoError(t, os.WriteFile(local, content, 0o640))

	p := &countingProgress{}
	done, err := PutFile(context.Background(), ch, local, "up.bin", PutOptions{Progress: p})
	require.NoError(t, err)
	assert.Equal(t, "/home/u/up.bin", done.Path)
	assert.True(t, bytes.Equal(content, fs.put), "upload differs")
	assert.Equal(t, uint32(0o640), fs.putOpen.Mode, "the local mode by default")
	assert.Equal(t, int64(700_000), fs.putOpen.Size)
	assert.Equal(t, [][2]int64{{700_000, 250_000}}, p.starts)
	assert.Equal(t, int64(450_000), p.added)
}

func TestPutFile_ExistsRefused(t *testing.T) {
	fs := &fileServer{content: testContent(10)}
	ch := dial(t, newBroker(t, &channeltest.Broker{Streams: fs.handle}))
	local := filepath.Join(t.TempDir(), "up.bin")
	require.NoError(t, os.WriteFile(local, fs.content, 0o600))
	_, err := PutFile(context.Background(), ch, local, "exists", PutOptions{})
	var r *sessionproto.RefusedError
	require.ErrorAs(t, err, &r)
	assert.Equal(t, sessionproto.CodeExists, r.Code)
}

func TestListFilesAndSysInfo(t *testing.T) {
	ch := dial(t, newBroker(t, &channeltest.Broker{Streams: (&fileServer{}).handle}))
	l, err := ListFiles(context.Background(), ch, "/tmp")
	require.NoError(t, err)
	assert.Equal(t, "/tmp", l.Path)
	assert.Equal(t, "a.txt", l.Entries[0].Name)
	si, err := SysInfo(context.Background(), ch)
	require.NoError(t, err)
	assert.Equal(t, "web-01", si.Hostname)
}

// echoServer is a TCP server that echoes until the client half-closes, then
// half-closes itself.
func echoServer(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_, _ = io.Copy(c, c)
				_ = c.(*net.TCPConn).CloseWrite()
			}()
		}
	}()
	return l.Addr().String()
}

func TestForward(t *testing.T) {
	target := echoServer(t)
	var limit atomic.Int64
	limit.Store(1 << 30)
	var open atomic.Int64
	b := &channeltest.Broker{Streams: func(o sessionproto.Open, st *yamux.Stream) {
		if open.Add(1) > limit.Load() {
			open.Add(-1)
			_ = channeltest.Refuse(st, sessionproto.CodeLimit, "too many connections")
			return
		}
		defer open.Add(-1)
		channeltest.Tunnel(st, target)
	}}
	ch := dial(t, newBroker(t, b))
	tunnels, err := Listen(context.Background(), []Spec{{LocalAddr: "127.0.0.1", RemotePort: 5432}}, "db.internal")
	require.NoError(t, err)
	tun := tunnels[0]
	assert.Regexp(t, `^127\.0\.0\.1:\d+ -> db\.internal:5432$`, tun.String())

	var logMu sync.Mutex
	var logs []string
	ctx, cancel := context.WithCancel(context.Background())
	forwarded := make(chan error, 1)
	go func() {
		forwarded <- Forward(ctx, ch, tunnels, func(format string, args ...any) {
			logMu.Lock()
			defer logMu.Unlock()
			logs = append(logs, fmt.Sprintf(format, args...))
		})
	}()

	// A round trip with half-close: everything sent comes back, then EOF.
	payload := testContent(3 << 20)
	c, err := net.Dial("tcp", tun.Listener.Addr().String())
	require.NoError(t, err)
	go func() {
		_, _ = c.Write(payload)
		_ = c.(*net.TCPConn).CloseWrite()
	}()
	got, err := io.ReadAll(c)
	require.NoError(t, err)
	c.Close()
	assert.True(t, bytes.Equal(payload, got), "echo differs: %d bytes back", len(got))

	// A refused connection is closed and logged.
	limit.Store(0)
	c, err = net.Dial("tcp", tun.Listener.Addr().String())
	require.NoError(t, err)
	_, err = io.ReadAll(c)
	require.NoError(t, err, "the local connection is closed")
	c.Close()

	cancel()
	require.NoError(t, <-forwarded)
	st := tun.Stats()
	assert.Equal(t, int64(1), st.ConnectionsTotal)
	assert.Equal(t, int64(1), st.ConnectionsRefused)
	assert.Equal(t, 0, st.ConnectionsOpen)
	assert.Equal(t, int64(len(payload)), st.BytesOut)
	assert.Equal(t, int64(len(payload)), st.BytesIn)
	logMu.Lock()
	defer logMu.Unlock()
	require.Len(t, logs, 1)
	assert.Contains(t, logs[0], "refused: too many connections (limit)")
	_, err = net.DialTimeout("tcp", tun.Listener.Addr().String(), time.Second)
	assert.Error(t, err, "the listener is closed")
}
