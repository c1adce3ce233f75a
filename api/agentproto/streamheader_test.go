package agentproto_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/jumpgate/jumpgate/api/agentproto"
	"github.com/jumpgate/jumpgate/api/sessionproto"
)

// TestReadStreamHeader: the reader takes one JSON line of at most
// MaxStreamHeader bytes and leaves the stream's body unread.
func TestReadStreamHeader(t *testing.T) {
	// A session header whose line is exactly MaxStreamHeader bytes long.
	exact := func() string {
		pre, post := `{"type":"session","open":{"type":"exec","command":["`, `"]}}`
		return pre + strings.Repeat("x", agentproto.MaxStreamHeader-len(pre)-len(post)) + post
	}()
	for _, tc := range []struct {
		name string
		in   string
		want agentproto.StreamHeader
		rest string // what is left unread after a header
		err  error  // errors.Is; nil with bad set means any error
		bad  bool
	}{
		{name: "control", in: `{"type":"control"}` + "\n", want: agentproto.StreamHeader{Type: agentproto.StreamControl}},
		{name: "build and body", in: `{"type":"build","platform":"linux-amd64"}` + "\nBUILD\n{}",
			want: agentproto.StreamHeader{Type: agentproto.StreamBuild, Platform: "linux-amd64"}, rest: "BUILD\n{}"},
		{name: "session", in: `{"type":"session","open":{"type":"shell","session":7,"cols":80}}` + "\n\x00",
			want: agentproto.StreamHeader{Type: agentproto.StreamSession, Open: &sessionproto.Open{Type: sessionproto.StreamShell, Session: 7, Cols: 80}},
			rest: "\x00"},
		{name: "unknown fields ignored", in: `{"type":"control","later":1}` + "\n", want: agentproto.StreamHeader{Type: agentproto.StreamControl}},
		{name: "exactly the limit", in: exact + "\nrest", want: func() agentproto.StreamHeader {
			var h agentproto.StreamHeader
			if err := json.Unmarshal([]byte(exact), &h); err != nil {
				t.Fatal(err)
			}
			return h
		}(), rest: "rest"},
		{name: "one byte over the limit", in: " " + exact + "\n", err: sessionproto.ErrLineTooLong, bad: true},
		{name: "no newline, far too long", in: strings.Repeat("x", 1<<20), err: sessionproto.ErrLineTooLong, bad: true},
		{name: "empty stream", in: "", err: io.EOF, bad: true},
		{name: "stream ends within the line", in: `{"type":"con`, err: io.ErrUnexpectedEOF, bad: true},
		{name: "empty line", in: "\n", bad: true},
		{name: "not JSON", in: "control\n", bad: true},
		{name: "wrong JSON type", in: `{"type":1}` + "\n", bad: true},
		{name: "two values", in: `{"type":"control"}{}` + "\n", bad: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := strings.NewReader(tc.in)
			h, err := agentproto.ReadStreamHeader(r)
			if tc.bad {
				if err == nil {
					t.Fatalf("read %+v, want an error", h)
				}
				if tc.err != nil && !errors.Is(err, tc.err) {
					t.Fatalf("error %v, want %v", err, tc.err)
				}
				if h != (agentproto.StreamHeader{}) {
					t.Errorf("header %+v with an error, want none", h)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !equalJSON(t, h, tc.want) {
				t.Errorf("read %+v, want %+v", h, tc.want)
			}
			rest, _ := io.ReadAll(r)
			if string(rest) != tc.rest {
				t.Errorf("left %q unread, want %q", rest, tc.rest)
			}
		})
	}
}

// TestWriteStreamHeader: the writer's line is what the reader reads, in one
// Write, and it refuses a header the reader would refuse.
func TestWriteStreamHeader(t *testing.T) {
	h := agentproto.StreamHeader{Type: agentproto.StreamSession, Open: &sessionproto.Open{
		Type: sessionproto.StreamExec, Session: 3, Command: []string{"sh", "-c", "echo <&>\n"}}}
	var w countingWriter
	if err := agentproto.WriteStreamHeader(&w, h); err != nil {
		t.Fatal(err)
	}
	if w.writes != 1 {
		t.Errorf("%d writes, want 1", w.writes)
	}
	if n := bytes.Count(w.buf.Bytes(), []byte("\n")); n != 1 || !bytes.HasSuffix(w.buf.Bytes(), []byte("\n")) {
		t.Errorf("%q is not one line", w.buf.Bytes())
	}
	w.buf.WriteString("body")
	got, err := agentproto.ReadStreamHeader(&w.buf)
	if err != nil {
		t.Fatal(err)
	}
	if !equalJSON(t, got, h) {
		t.Errorf("read back %+v, want %+v", got, h)
	}
	if w.buf.String() != "body" {
		t.Errorf("left %q, want the body", w.buf.String())
	}

	// The longest header written is the longest read.
	long := func(n int) agentproto.StreamHeader {
		pre := len(`{"type":"session","open":{"type":"file_get","path":""}}`)
		return agentproto.StreamHeader{Type: agentproto.StreamSession, Open: &sessionproto.Open{
			Type: sessionproto.StreamFileGet, Path: strings.Repeat("p", n-pre)}}
	}
	var buf bytes.Buffer
	if err := agentproto.WriteStreamHeader(&buf, long(agentproto.MaxStreamHeader)); err != nil {
		t.Fatalf("a header of MaxStreamHeader bytes: %v", err)
	}
	if buf.Len() != agentproto.MaxStreamHeader+1 {
		t.Fatalf("wrote %d bytes, want MaxStreamHeader+1", buf.Len())
	}
	if _, err := agentproto.ReadStreamHeader(&buf); err != nil {
		t.Fatalf("read back a header of MaxStreamHeader bytes: %v", err)
	}
	buf.Reset()
	err = agentproto.WriteStreamHeader(&buf, long(agentproto.MaxStreamHeader+1))
	if !errors.Is(err, sessionproto.ErrLineTooLong) {
		t.Fatalf("a header over MaxStreamHeader: %v, want ErrLineTooLong", err)
	}
	if buf.Len() != 0 {
		t.Errorf("wrote %d bytes of a refused header", buf.Len())
	}

	// An Open line as long as the agent leg allows fits in a header.
	if agentproto.MaxStreamHeader <= sessionproto.MaxLine {
		t.Errorf("MaxStreamHeader %d leaves no room for an Open of sessionproto.MaxLine %d", agentproto.MaxStreamHeader, sessionproto.MaxLine)
	}
}

// FuzzReadStreamHeader: whatever the stream holds, the reader does not
// panic, reads at most MaxStreamHeader bytes and the '\n', leaves the rest,
// and what it returns writes back as a header that reads the same. The
// overlong line is TestReadStreamHeader's: a seed of MaxStreamHeader bytes
// slows the fuzzer to a standstill.
func FuzzReadStreamHeader(f *testing.F) {
	for _, s := range []string{
		`{"type":"control"}` + "\n",
		`{"type":"build","platform":"linux-amd64"}` + "\nBODY",
		`{"type":"session","open":{"type":"tunnel","session":9,"item":7,"host":"127.0.0.1","port":22}}` + "\n\n",
		`{"type":"session","open":{"type":"exec","command":["sh","-c","\u003c\u0000"],"tty":true}}` + "\n",
		`{"type":"session","open":null}` + "\n",
		"null\n",
		"\n",
		"",
		`{"type":"con`,
		"\xff\xfe\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		r := bytes.NewReader(in)
		h, err := agentproto.ReadStreamHeader(r)
		read := len(in) - r.Len()
		nl := bytes.IndexByte(in, '\n')
		switch {
		case nl < 0 || nl > agentproto.MaxStreamHeader:
			if err == nil {
				t.Fatalf("read %+v from a stream without a line of at most MaxStreamHeader bytes", h)
			}
			if want := min(len(in), agentproto.MaxStreamHeader+1); read != want {
				t.Fatalf("read %d bytes, want %d", read, want)
			}
			if len(in) > agentproto.MaxStreamHeader && !errors.Is(err, sessionproto.ErrLineTooLong) {
				t.Fatalf("error %v for an overlong line, want ErrLineTooLong", err)
			}
			return
		case read != nl+1:
			t.Fatalf("read %d bytes of a %d-byte line", read, nl+1)
		}
		if err != nil {
			return
		}
		var buf bytes.Buffer
		if err := agentproto.WriteStreamHeader(&buf, h); err != nil {
			// Re-encoding may escape what the line held raw (<, >, &,
			// U+2028) and so grow past the limit.
			if !errors.Is(err, sessionproto.ErrLineTooLong) {
				t.Fatalf("write back %+v: %v", h, err)
			}
			return
		}
		again, err := agentproto.ReadStreamHeader(&buf)
		if err != nil {
			t.Fatalf("read back %q: %v", buf.Bytes(), err)
		}
		if !equalJSON(t, again, h) {
			t.Fatalf("read back %+v, want %+v", again, h)
		}
	})
}

// equalJSON compares headers by their encoding, so that a nil and an empty
// slice, which encode alike, are equal.
func equalJSON(t *testing.T, a, b agentproto.StreamHeader) bool {
	t.Helper()
	ja, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	jb, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Equal(ja, jb)
}

type countingWriter struct {
	buf    bytes.Buffer
	writes int
}

func (w *countingWriter) Write(p []byte) (int, error) {
	w.writes++
	return w.buf.Write(p)
}
