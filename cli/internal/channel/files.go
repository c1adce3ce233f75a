package channel

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/jumpgate/jumpgate/api/sessionproto"
)

// PartSuffix is appended to a download's destination while it is in
// progress; a later get of the same destination resumes from its size.
const PartSuffix = ".jgpart"

// Progress shows a transfer's progress. Implementations need not be safe
// for concurrent use: a transfer calls them from one goroutine.
type Progress interface {
	// Start announces the whole size and the bytes already there.
	Start(total, done int64)
	// Add counts bytes transferred.
	Add(n int)
	// Finish ends the display.
	Finish()
}

// NoProgress shows nothing.
type NoProgress struct{}

// Start does nothing.
func (NoProgress) Start(int64, int64) {}

// Add does nothing.
func (NoProgress) Add(int) {}

// Finish does nothing.
func (NoProgress) Finish() {}

// ErrChecksum is returned when a transferred file's SHA-256 does not match.
var ErrChecksum = errors.New("checksum mismatch")

// GetFile downloads the remote file into dest. It writes dest+PartSuffix
// and resumes from that file's size if it exists; it verifies the SHA-256
// of the whole file that the agent reports, then renames it to dest. A
// resumed download whose checksum does not match (the remote file changed)
// is started over once. dest is replaced if it exists; the caller decides
// whether it may. p may be nil.
func GetFile(ctx context.Context, ch *Channel, remote, dest string, p Progress) (*sessionproto.Done, error) {
	if p == nil {
		p = NoProgress{}
	}
	part := dest + PartSuffix
	_, statErr := os.Lstat(part)
	created := errors.Is(statErr, os.ErrNotExist)
	f, err := os.OpenFile(part, os.O_RDWR|os.O_CREATE, 0o666)
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", part, err)
	}
	defer f.Close()
	// A download refused or failed before its first byte leaves nothing
	// behind; one interrupted later keeps its part file to resume from.
	defer func() {
		if fi, err := os.Lstat(part); created && err == nil && fi.Size() == 0 {
			f.Close()
			os.Remove(part)
		}
	}()
	for attempt := 0; ; attempt++ {
		done, resumed, err := getInto(ctx, ch, remote, f, p)
		if errors.Is(err, ErrChecksum) && resumed && attempt == 0 {
			if err := restart(f); err != nil {
				return nil, err
			}
			continue
		}
		if errors.Is(err, ErrChecksum) {
			// The bytes are wrong: resuming from them would fail again.
			f.Close()
			os.Remove(part)
			return nil, err
		}
		if err != nil {
			return nil, err
		}
		if err := f.Sync(); err != nil {
			return nil, fmt.Errorf("write %s: %w", part, err)
		}
		if err := f.Close(); err != nil {
			return nil, fmt.Errorf("write %s: %w", part, err)
		}
		if err := os.Rename(part, dest); err != nil {
			return nil, fmt.Errorf("rename %s: %w", part, err)
		}
		return done, nil
	}
}

// restart empties the partial file.
func restart(f *os.File) error {
	if err := f.Truncate(0); err != nil {
		return fmt.Errorf("truncate %s: %w", f.Name(), err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("seek %s: %w", f.Name(), err)
	}
	return nil
}

// getInto fetches the remote file from the end of f (hashing what f already
// holds first) and reports whether it resumed.
func getInto(ctx context.Context, ch *Channel, remote string, f *os.File, p Progress) (*sessionproto.Done, bool, error) {
	h := sha256.New()
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, false, fmt.Errorf("read %s: %w", f.Name(), err)
	}
	offset, err := io.Copy(h, f)
	if err != nil {
		return nil, false, fmt.Errorf("read %s: %w", f.Name(), err)
	}
	st, opened, err := ch.Open(ctx, sessionproto.Open{Type: sessionproto.StreamFileGet, Path: remote, Offset: offset})
	if err != nil {
		return nil, false, err
	}
	defer st.Close()
	if opened.File != nil && opened.File.Size < offset {
		// The partial file is longer than the remote one: not a prefix.
		st.Close()
		if err := restart(f); err != nil {
			return nil, false, err
		}
		return getInto(ctx, ch, remote, f, p)
	}
	stop := context.AfterFunc(ctx, func() { _ = st.Close(); _ = st.SetReadDeadline(pastDeadline) })
	defer stop()
	if opened.File != nil {
		p.Start(opened.File.Size, offset)
	}
	defer p.Finish()
	fr := sessionproto.NewFrameReader(st)
	got := offset
	for {
		typ, b, err := fr.Next()
		if err != nil {
			if ctx.Err() != nil {
				return nil, offset > 0, context.Cause(ctx)
			}
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return nil, offset > 0, fmt.Errorf("download interrupted after %d bytes (run again to resume): %w", got, err)
		}
		switch typ {
		case sessionproto.FrameData:
			if _, err := f.Write(b); err != nil {
				return nil, offset > 0, fmt.Errorf("write %s: %w", f.Name(), err)
			}
			h.Write(b)
			got += int64(len(b))
			p.Add(len(b))
		case sessionproto.FrameNotice:
		case sessionproto.FrameError:
			return nil, offset > 0, fmt.Errorf("download %s: %s", remote, b)
		case sessionproto.FrameDone:
			var d sessionproto.Done
			if err := json.Unmarshal(b, &d); err != nil {
				return nil, offset > 0, fmt.Errorf("decode done: %w", err)
			}
			sum := hex.EncodeToString(h.Sum(nil))
			if d.Size != got || d.SHA256 != sum {
				return nil, offset > 0, fmt.Errorf("download %s: %w (got %d bytes, sha256 %s; the agent sent %d bytes, sha256 %s)",
					remote, ErrChecksum, got, sum, d.Size, d.SHA256)
			}
			return &d, offset > 0, nil
		}
	}
}

// PutOptions are the choices of an upload.
type PutOptions struct {
	// Mode is the permission bits of the remote file; 0 uses the local
	// file's.
	Mode fs.FileMode
	// Overwrite lets the upload replace an existing remote file.
	Overwrite bool
	// Progress may be nil.
	Progress Progress
	// Hashed is told when the local file's checksum is known, before the
	// transfer starts (hashing a large file takes a while); may be nil.
	Hashed func(sha256 string)
}

// PutFile uploads the local file to remote. It sends the file's size and
// SHA-256 first; the agent says how much of an earlier, interrupted upload
// of the same file it kept, and the upload resumes there. Nothing is
// written to the remote path until the agent has verified the whole file.
// An existing remote file without Overwrite is a *sessionproto.RefusedError
// with code exists.
func PutFile(ctx context.Context, ch *Channel, local, remote string, o PutOptions) (*sessionproto.Done, error) {
	p := o.Progress
	if p == nil {
		p = NoProgress{}
	}
	f, err := os.Open(local)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", local)
	}
	h := sha256.New()
	size, err := io.Copy(h, f)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", local, err)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	if o.Hashed != nil {
		o.Hashed(sum)
	}
	mode := o.Mode.Perm()
	if mode == 0 {
		mode = fi.Mode().Perm()
	}
	st, opened, err := ch.Open(ctx, sessionproto.Open{
		Type: sessionproto.StreamFilePut, Path: remote, Size: size, SHA256: sum, Mode: uint32(mode), Overwrite: o.Overwrite,
	})
	if err != nil {
		return nil, err
	}
	defer st.Close()
	if opened.Offset < 0 || opened.Offset > size {
		return nil, fmt.Errorf("the agent asked to resume at byte %d of %d", opened.Offset, size)
	}
	if _, err := f.Seek(opened.Offset, io.SeekStart); err != nil {
		return nil, fmt.Errorf("read %s: %w", local, err)
	}
	stop := context.AfterFunc(ctx, func() { _ = st.Close(); _ = st.SetDeadline(pastDeadline) })
	defer stop()

	p.Start(size, opened.Offset)
	defer p.Finish()
	sent := make(chan error, 1)
	fw := newFrameWriter(st)
	go func() { sent <- sendFile(fw, io.LimitReader(f, size-opened.Offset), p) }()

	// The agent may answer early (an error: disk full), so read while
	// sending; its answer wins over a write failing because it closed.
	done, err := readPutAnswer(st, remote)
	if err != nil {
		// Unblock the sender, which may wait for window the agent will
		// never give.
		_ = st.Close()
		_ = st.SetWriteDeadline(pastDeadline)
	}
	sendErr := <-sent
	switch {
	case err == nil:
		// The agent verified the whole file: the upload is done whatever
		// became of our last writes.
		return done, nil
	case ctx.Err() != nil:
		return nil, context.Cause(ctx)
	case sendErr != nil && errors.Is(err, io.ErrUnexpectedEOF):
		return nil, fmt.Errorf("upload interrupted (run again to resume): %w", sendErr)
	}
	return nil, err
}

// sendFile sends r as data frames, then an eof frame.
func sendFile(fw *frameWriter, r io.Reader, p Progress) error {
	buf := dataBuffer(chunk)
	for {
		n, err := io.ReadFull(r, buf[frameHeader:])
		if n > 0 {
			if werr := fw.sendData(buf, n); werr != nil {
				return werr
			}
			p.Add(n)
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return fw.frame(sessionproto.FrameEOF, nil)
		}
		if err != nil {
			return err
		}
	}
}

// readPutAnswer waits for a file_put's done or error frame.
func readPutAnswer(r io.Reader, remote string) (*sessionproto.Done, error) {
	fr := sessionproto.NewFrameReader(r)
	for {
		typ, b, err := fr.Next()
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return nil, fmt.Errorf("upload interrupted (run again to resume): %w", err)
		}
		switch typ {
		case sessionproto.FrameError:
			return nil, fmt.Errorf("upload %s: %s", remote, b)
		case sessionproto.FrameDone:
			var d sessionproto.Done
			if err := json.Unmarshal(b, &d); err != nil {
				return nil, fmt.Errorf("decode done: %w", err)
			}
			return &d, nil
		}
	}
}

// ListFiles lists a remote directory (or describes one file).
func ListFiles(ctx context.Context, ch *Channel, path string) (*sessionproto.FileList, error) {
	var l sessionproto.FileList
	if err := readDocument(ctx, ch, sessionproto.Open{Type: sessionproto.StreamFileList, Path: path}, &l); err != nil {
		return nil, err
	}
	return &l, nil
}

// SysInfo returns the endpoint's system information.
func SysInfo(ctx context.Context, ch *Channel) (*sessionproto.SysInfo, error) {
	var si sessionproto.SysInfo
	if err := readDocument(ctx, ch, sessionproto.Open{Type: sessionproto.StreamSysInfo}, &si); err != nil {
		return nil, err
	}
	return &si, nil
}

// maxDocument bounds a sysinfo or file_list document.
const maxDocument = 64 << 20

// readDocument opens a stream whose body is one JSON document.
func readDocument(ctx context.Context, ch *Channel, o sessionproto.Open, v any) error {
	st, _, err := ch.Open(ctx, o)
	if err != nil {
		return err
	}
	defer st.Close()
	stop := context.AfterFunc(ctx, func() { _ = st.SetDeadline(pastDeadline) })
	defer stop()
	if err := json.NewDecoder(io.LimitReader(st, maxDocument)).Decode(v); err != nil {
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		return fmt.Errorf("read %s: %w", o.Type, err)
	}
	return nil
}
