package channel

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"sync"

	"github.com/jumpgate/jumpgate/api/sessionproto"
)

// frameHeader is sessionproto's frame header: the type byte and the
// big-endian uint32 payload length.
const frameHeader = 5

// chunk is how much file or stdin data one data frame carries.
const chunk = 256 << 10

// frameWriter writes sessionproto frames from several goroutines (stdin,
// resizes, signals) without interleaving them, each in one Write and
// without allocating per frame.
type frameWriter struct {
	mu  sync.Mutex
	w   io.Writer
	buf []byte
}

func newFrameWriter(w io.Writer) *frameWriter { return &frameWriter{w: w} }

// frame writes one frame.
func (f *frameWriter) frame(typ byte, payload []byte) error {
	if len(payload) > sessionproto.MaxFrame {
		return fmt.Errorf("frame of %d bytes exceeds %d", len(payload), sessionproto.MaxFrame)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	n := frameHeader + len(payload)
	if cap(f.buf) < n {
		f.buf = make([]byte, n)
	}
	b := f.buf[:n]
	b[0] = typ
	binary.BigEndian.PutUint32(b[1:frameHeader], uint32(len(payload)))
	copy(b[frameHeader:], payload)
	_, err := f.w.Write(b)
	return err
}

// json writes v as the payload of a frame.
func (f *frameWriter) json(typ byte, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return f.frame(typ, b)
}

// dataBuffer returns a buffer whose payload area, b[frameHeader:], a caller
// fills before sendData; it belongs to one sender (not shared with frame).
func dataBuffer(size int) []byte { return make([]byte, frameHeader+size) }

// sendData sends b[frameHeader:frameHeader+n] as a data frame, writing the
// header into b's first bytes: the payload is not copied.
func (f *frameWriter) sendData(b []byte, n int) error {
	b[0] = sessionproto.FrameData
	binary.BigEndian.PutUint32(b[1:frameHeader], uint32(n))
	f.mu.Lock()
	defer f.mu.Unlock()
	_, err := f.w.Write(b[:frameHeader+n])
	return err
}
