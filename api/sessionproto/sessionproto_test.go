package sessionproto

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFrames_RoundTrip(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, WriteFrame(&b, FrameData, []byte("hello")))
	require.NoError(t, WriteJSONFrame(&b, FrameResize, Resize{Cols: 100, Rows: 30}))
	require.NoError(t, WriteFrame(&b, FrameEOF, nil))
	fr := NewFrameReader(&b)
	typ, p, err := fr.Next()
	require.NoError(t, err)
	assert.Equal(t, FrameData, typ)
	assert.Equal(t, "hello", string(p))
	typ, p, err = fr.Next()
	require.NoError(t, err)
	assert.Equal(t, FrameResize, typ)
	assert.JSONEq(t, `{"cols":100,"rows":30}`, string(p))
	typ, p, err = fr.Next()
	require.NoError(t, err)
	assert.Equal(t, FrameEOF, typ)
	assert.Empty(t, p)
	_, _, err = fr.Next()
	assert.ErrorIs(t, err, io.EOF)
}

func TestFrames_Refusals(t *testing.T) {
	assert.Error(t, WriteFrame(io.Discard, FrameData, make([]byte, MaxFrame+1)), "an oversized frame is not written")
	big := []byte{FrameData, 0xff, 0xff, 0xff, 0xff}
	_, _, err := NewFrameReader(bytes.NewReader(big)).Next()
	assert.ErrorContains(t, err, "exceeds", "an oversized length is refused before anything is allocated")
	cut := []byte{FrameData, 0, 0, 0, 9, 'a', 'b'}
	_, _, err = NewFrameReader(bytes.NewReader(cut)).Next()
	assert.ErrorIs(t, err, io.ErrUnexpectedEOF, "a stream cut inside a frame")
}

func TestReadLine(t *testing.T) {
	r := strings.NewReader(`{"type":"shell","cols":80}` + "\nBODY")
	var o Open
	require.NoError(t, ReadLine(r, &o))
	assert.Equal(t, Open{Type: StreamShell, Cols: 80}, o)
	rest, _ := io.ReadAll(r)
	assert.Equal(t, "BODY", string(rest), "nothing after the line is consumed")

	assert.Error(t, ReadLine(strings.NewReader(strings.Repeat("x", MaxLine+1)+"\n"), &o), "an overlong line")
	assert.Error(t, ReadLine(strings.NewReader("{not json}\n"), &o))
	err := ReadLine(strings.NewReader(`{"type":"sh`), &o)
	assert.True(t, errors.Is(err, io.ErrUnexpectedEOF), "%v", err)
}

// FuzzFrameReader feeds arbitrary bytes to the frame reader: it must never
// panic or allocate past MaxFrame, and what it accepts re-encodes to the
// same bytes.
func FuzzFrameReader(f *testing.F) {
	var seed bytes.Buffer
	_ = WriteFrame(&seed, FrameData, []byte("ls -la\n"))
	_ = WriteJSONFrame(&seed, FrameExit, Exit{Code: 3})
	f.Add(seed.Bytes())
	f.Add([]byte{FrameData, 0xff, 0xff, 0xff, 0xff})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, in []byte) {
		fr := NewFrameReader(bytes.NewReader(in))
		var out bytes.Buffer
		for {
			typ, p, err := fr.Next()
			if err != nil {
				break
			}
			if len(p) > MaxFrame {
				t.Fatalf("frame of %d bytes", len(p))
			}
			if err := WriteFrame(&out, typ, p); err != nil {
				t.Fatal(err)
			}
		}
		if !bytes.HasPrefix(in, out.Bytes()) {
			t.Fatalf("re-encoding differs")
		}
	})
}
