package channel

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/jumpgate/jumpgate/api/sessionproto"
)

// stdinChunk is how much of stdin one data frame carries: keystrokes are
// small, piped input is not.
const stdinChunk = 32 << 10

// interruptGrace is how long a process may take to exit after its context
// ended and it was sent INT, before the stream is cut.
const interruptGrace = 5 * time.Second

// Stdio connects a shell or exec stream to the user.
type Stdio struct {
	// Stdin is forwarded as data frames and an eof frame when it ends; nil
	// sends eof at once.
	Stdin io.Reader
	// Stdout receives data frames; Stderr receives stderr frames (exec
	// without a TTY).
	Stdout, Stderr io.Writer
	// Resize delivers terminal size changes to forward; nil for none.
	Resize <-chan sessionproto.Resize
	// Notice shows a message (a notice frame, "recorded") on its own line;
	// nil drops them.
	Notice func(msg string)
}

// RunProcess opens a shell or exec stream with o and connects it to s
// until the remote process exits; it returns the process's Exit. When ctx
// ends first, the process is sent INT and given a few seconds to exit, and
// the error is ctx's cause. A refused stream is a *sessionproto.RefusedError.
func RunProcess(ctx context.Context, ch *Channel, o sessionproto.Open, s Stdio) (*sessionproto.Exit, error) {
	st, opened, err := ch.Open(ctx, o)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	if opened.Recording && s.Notice != nil {
		s.Notice("this " + o.Type + " is recorded")
	}
	fw := newFrameWriter(st)

	go func() {
		if s.Stdin != nil {
			buf := dataBuffer(stdinChunk)
			for {
				n, err := s.Stdin.Read(buf[frameHeader:])
				if n > 0 {
					if fw.sendData(buf, n) != nil {
						return
					}
				}
				if err != nil {
					break
				}
			}
		}
		_ = fw.frame(sessionproto.FrameEOF, nil)
	}()
	stopResize := make(chan struct{})
	defer close(stopResize)
	if s.Resize != nil {
		go func() {
			for {
				select {
				case r, ok := <-s.Resize:
					if !ok {
						return
					}
					if fw.json(sessionproto.FrameResize, r) != nil {
						return
					}
				case <-stopResize:
					return
				}
			}
		}()
	}
	// An ended ctx interrupts the process and cuts the stream if it lingers.
	stop := context.AfterFunc(ctx, func() {
		_ = fw.frame(sessionproto.FrameSignal, []byte("INT"))
		time.AfterFunc(interruptGrace, func() { _ = st.Close(); _ = st.SetReadDeadline(pastDeadline) })
	})
	defer stop()

	exit, err := readProcess(st, s)
	if ctx.Err() != nil && exit == nil {
		return nil, context.Cause(ctx)
	}
	return exit, err
}

// readProcess handles the frames of a shell or exec stream until it ends.
func readProcess(r io.Reader, s Stdio) (*sessionproto.Exit, error) {
	fr := sessionproto.NewFrameReader(r)
	var exit *sessionproto.Exit
	for {
		typ, p, err := fr.Next()
		if err != nil {
			if exit != nil {
				return exit, nil
			}
			if errors.Is(err, io.EOF) {
				return nil, errors.New("the remote process ended without an exit status")
			}
			return nil, fmt.Errorf("read from the remote process: %w", err)
		}
		switch typ {
		case sessionproto.FrameData:
			if _, err := s.Stdout.Write(p); err != nil {
				return nil, fmt.Errorf("write stdout: %w", err)
			}
		case sessionproto.FrameStderr:
			w := s.Stderr
			if w == nil {
				w = s.Stdout
			}
			if _, err := w.Write(p); err != nil {
				return nil, fmt.Errorf("write stderr: %w", err)
			}
		case sessionproto.FrameNotice:
			if s.Notice != nil {
				s.Notice(string(p))
			}
		case sessionproto.FrameExit:
			exit = &sessionproto.Exit{}
			if err := json.Unmarshal(p, exit); err != nil {
				return nil, fmt.Errorf("decode exit status: %w", err)
			}
		case sessionproto.FrameError:
			return exit, errors.New(string(p))
		}
	}
}
