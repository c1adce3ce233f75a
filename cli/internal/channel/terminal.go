package channel

import (
	"context"
	"io"
	"os"

	"golang.org/x/term"

	"github.com/jumpgate/jumpgate/api/sessionproto"
)

// Terminal is the user's terminal when stdin is one.
type Terminal struct {
	in *os.File
	// out is sized when stdin is not (it normally is the same terminal).
	out   *os.File
	state *term.State
}

// OpenTerminal returns the terminal of stdin, or nil when stdin is not a
// terminal (a pipe, a file, a test's reader). out is the terminal's output,
// used for its size when stdin cannot tell.
func OpenTerminal(stdin io.Reader, out io.Writer) *Terminal {
	f, ok := stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	t := &Terminal{in: f}
	if o, ok := out.(*os.File); ok && term.IsTerminal(int(o.Fd())) {
		t.out = o
	}
	return t
}

// IsTerminal reports whether w is a terminal.
func IsTerminal(w any) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// MakeRaw puts the terminal in raw mode: every key, Ctrl-C included, goes
// to the remote side as input. Restore undoes it.
func (t *Terminal) MakeRaw() error {
	st, err := term.MakeRaw(int(t.in.Fd()))
	if err != nil {
		return err
	}
	t.state = st
	return nil
}

// Restore puts the terminal back as MakeRaw found it; it is safe to call
// when MakeRaw was not.
func (t *Terminal) Restore() {
	if t.state != nil {
		_ = term.Restore(int(t.in.Fd()), t.state)
		t.state = nil
	}
}

// Raw reports whether the terminal is in raw mode.
func (t *Terminal) Raw() bool { return t != nil && t.state != nil }

// Size returns the terminal's size; 80×24 when it cannot be read.
func (t *Terminal) Size() sessionproto.Resize {
	for _, f := range []*os.File{t.in, t.out} {
		if f == nil {
			continue
		}
		if w, h, err := term.GetSize(int(f.Fd())); err == nil && w > 0 && h > 0 {
			return sessionproto.Resize{Cols: w, Rows: h}
		}
	}
	return sessionproto.Resize{Cols: 80, Rows: 24}
}

// WatchSize delivers the terminal's new size whenever it changes, until
// ctx ends.
func (t *Terminal) WatchSize(ctx context.Context) <-chan sessionproto.Resize {
	out := make(chan sessionproto.Resize, 1)
	go func() {
		defer close(out)
		last := t.Size()
		changed, stop := sizeChanges()
		defer stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-changed:
			}
			if s := t.Size(); s != last {
				last = s
				select {
				case out <- s:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return out
}

// tick turns the values of in into ticks, dropping those nobody waits for;
// it stops when in is closed.
func tick[T any](in <-chan T) <-chan struct{} {
	out := make(chan struct{}, 1)
	go func() {
		defer close(out)
		for range in {
			select {
			case out <- struct{}{}:
			default:
			}
		}
	}()
	return out
}
