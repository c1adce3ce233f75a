package session

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/jumpgate/jumpgate/api/sessionproto"
)

// File streams run as the agent's own user, whoever the session user is:
// only shells and execs switch users.

// fileChunk is the payload of one file_get data frame.
const fileChunk = 256 << 10

// frameHeader is sessionproto's frame header: the type byte and the
// big-endian uint32 payload length. file_get builds its data frames in
// place behind it, so that a chunk costs no allocation and no copy;
// TestDataFrameLayout holds this to sessionproto.FrameReader.
const frameHeader = 5

// frameInPlace fills the header of a frame whose n payload bytes follow
// it in buf and returns the frame.
func frameInPlace(buf []byte, typ byte, n int) []byte {
	buf[0] = typ
	binary.BigEndian.PutUint32(buf[1:frameHeader], uint32(n))
	return buf[:frameHeader+n]
}

var fileBuffers = sync.Pool{New: func() any {
	b := make([]byte, frameHeader+fileChunk)
	return &b
}}

// partSuffix names the temporary file of a file_put:
// ".<base>.jgpart-<first 16 hex digits of the SHA-256>".
const partSuffix = ".jgpart-"

// listLimit is sessionproto.MaxListEntries; tests lower it.
var listLimit = sessionproto.MaxListEntries

// defaultFileMode is a file_put's mode when the Open gives none.
const defaultFileMode = 0o644

// fsRefusal refuses a stream over a file system error.
func fsRefusal(err error) sessionproto.Opened {
	if errors.Is(err, fs.ErrNotExist) {
		return sessionproto.Refuse(sessionproto.CodeNotFound, "%v", err)
	}
	return sessionproto.Refuse(sessionproto.CodeFailed, "%v", err)
}

// fileInfo describes fi, found at path (lstat: a link is described as a
// link, with its target).
func fileInfo(path string, fi fs.FileInfo) sessionproto.FileInfo {
	info := sessionproto.FileInfo{
		Name: fi.Name(), Path: path, Size: fi.Size(), Mode: fi.Mode().String(),
		ModTime: fi.ModTime().UTC(), IsDir: fi.IsDir(),
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		info.Link, _ = os.Readlink(path)
	}
	return info
}

// serveFileList lists a directory (a link to one is followed): its
// entries by name, each lstat'ed, at most sessionproto.MaxListEntries.
func (m *Manager) serveFileList(s *stream, open *sessionproto.Open) {
	path, err := m.resolvePath(open.Path)
	if err != nil {
		s.refuse(sessionproto.Refuse(sessionproto.CodeBadRequest, "%v", err))
		return
	}
	fi, err := os.Stat(path)
	if err != nil {
		s.refuse(fsRefusal(err))
		return
	}
	if !fi.IsDir() {
		s.refuse(sessionproto.Refuse(sessionproto.CodeBadRequest, "%s is not a directory", path))
		return
	}
	ents, err := os.ReadDir(path)
	if err != nil && len(ents) == 0 {
		s.refuse(fsRefusal(err))
		return
	}
	list := sessionproto.FileList{Path: path, Entries: []sessionproto.FileInfo{}}
	if len(ents) > listLimit {
		ents, list.Truncated = ents[:listLimit], true
	}
	for _, d := range ents {
		fi, err := d.Info()
		if err != nil {
			// Removed since the directory was read.
			continue
		}
		list.Entries = append(list.Entries, fileInfo(filepath.Join(path, d.Name()), fi))
	}
	if s.opened(sessionproto.Opened{}) != nil {
		return
	}
	// The list may exceed sessionproto.MaxLine: it is one JSON document,
	// not a line to read with ReadLine.
	_ = json.NewEncoder(s).Encode(list)
}

// serveFileGet sends a regular file from Open.Offset: data frames, then a
// done frame with the size and the SHA-256 of the whole file.
func (m *Manager) serveFileGet(s *stream, open *sessionproto.Open) {
	path, err := m.resolvePath(open.Path)
	if err != nil {
		s.refuse(sessionproto.Refuse(sessionproto.CodeBadRequest, "%v", err))
		return
	}
	f, fi, ref := openRegular(path)
	if ref != nil {
		s.refuse(*ref)
		return
	}
	defer f.Close()
	offset := open.Offset
	if offset < 0 || offset > fi.Size() {
		s.refuse(sessionproto.Refuse(sessionproto.CodeBadRequest, "offset %d is outside %s (%d bytes)", offset, path, fi.Size()))
		return
	}
	info := fileInfo(path, fi)
	if s.opened(sessionproto.Opened{File: &info}) != nil {
		return
	}

	bp := fileBuffers.Get().(*[]byte)
	defer fileBuffers.Put(bp)
	buf := *bp
	h := sha256.New()
	// The done frame carries the hash of the whole file, so the part the
	// peer already has is hashed too.
	if _, err := io.CopyBuffer(h, io.LimitReader(f, offset), buf); err != nil {
		s.fail(fmt.Sprintf("read %s: %v", path, err))
		return
	}
	size := offset
	for {
		n, err := f.Read(buf[frameHeader:])
		if n > 0 {
			h.Write(buf[frameHeader : frameHeader+n])
			size += int64(n)
			if _, werr := s.Write(frameInPlace(buf, sessionproto.FrameData, n)); werr != nil {
				return
			}
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			s.fail(fmt.Sprintf("read %s: %v", path, err))
			return
		}
	}
	_ = s.jsonFrame(sessionproto.FrameDone, sessionproto.Done{Size: size, SHA256: hex.EncodeToString(h.Sum(nil))})
}

// openRegular opens path for reading when it is a regular file (a link to
// one is followed). Nothing else is opened: opening a FIFO blocks, and
// opening some devices acts (a watchdog starts counting).
func openRegular(path string) (*os.File, fs.FileInfo, *sessionproto.Opened) {
	refuse := func(r sessionproto.Opened) (*os.File, fs.FileInfo, *sessionproto.Opened) { return nil, nil, &r }
	fi, err := os.Stat(path)
	if err == nil && fi.Mode().IsRegular() {
		f, err := openRead(path)
		if err != nil {
			return refuse(fsRefusal(err))
		}
		if fi, err = f.Stat(); err == nil && fi.Mode().IsRegular() {
			return f, fi, nil
		}
		f.Close()
		if err != nil {
			return refuse(fsRefusal(err))
		}
	}
	switch {
	case err != nil:
		return refuse(fsRefusal(err))
	case fi.IsDir():
		return refuse(sessionproto.Refuse(sessionproto.CodeBadRequest, "%s is a directory", path))
	}
	return refuse(sessionproto.Refuse(sessionproto.CodeBadRequest, "%s is not a regular file (%s)", path, fi.Mode().Type()))
}

// serveFilePut receives a file into a temporary file beside the target,
// resuming an earlier interrupted transfer of the same file, and renames
// it over the target only once its size and SHA-256 are right. The target
// is never written before that; a transfer broken off keeps its
// temporary file for the next attempt.
func (m *Manager) serveFilePut(s *stream, open *sessionproto.Open) {
	path, want, ref := m.checkPut(open)
	if ref != nil {
		s.refuse(*ref)
		return
	}
	dir, base := filepath.Split(path)
	tmp := filepath.Join(dir, "."+base+partSuffix+want[:16])
	f, err := openPartial(tmp)
	if err != nil {
		s.refuse(sessionproto.Refuse(sessionproto.CodeFailed, "create %s: %v", tmp, err))
		return
	}
	defer func() {
		if f != nil {
			f.Close()
		}
	}()
	h := sha256.New()
	offset, err := resume(f, h, open.Size)
	if err != nil {
		s.refuse(sessionproto.Refuse(sessionproto.CodeFailed, "resume %s: %v", tmp, err))
		return
	}
	if s.opened(sessionproto.Opened{Offset: offset}) != nil {
		return
	}

	size := offset
	fr := sessionproto.NewFrameReader(s)
	for done := false; !done; {
		typ, p, err := fr.Next()
		if err != nil {
			// Broken off: the temporary file stays for a resume.
			m.log.Info("file upload interrupted", "session", s.session, "path", path, "received", size, "size", open.Size)
			return
		}
		switch typ {
		case sessionproto.FrameData:
			if size+int64(len(p)) > open.Size {
				f.Close()
				f = nil
				os.Remove(tmp)
				s.fail(fmt.Sprintf("more than the announced %d bytes", open.Size))
				return
			}
			if _, err := f.Write(p); err != nil {
				s.fail(fmt.Sprintf("write %s: %v", tmp, err))
				return
			}
			h.Write(p)
			size += int64(len(p))
		case sessionproto.FrameEOF:
			done = true
		}
		// Other frames carry nothing for an upload.
	}

	got := hex.EncodeToString(h.Sum(nil))
	if size != open.Size || got != want {
		f.Close()
		f = nil
		os.Remove(tmp)
		s.fail(fmt.Sprintf("upload of %s does not match: received %d bytes with SHA-256 %s, announced %d bytes with SHA-256 %s",
			path, size, got, open.Size, want))
		return
	}
	mode := fs.FileMode(open.Mode) & fs.ModePerm
	if open.Mode == 0 {
		mode = defaultFileMode
	}
	err = f.Sync()
	if err == nil {
		err = f.Chmod(mode)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	f = nil
	if err != nil {
		s.fail(fmt.Sprintf("write %s: %v", tmp, err))
		return
	}
	// The target may have appeared while the bytes came.
	if fi, err := os.Lstat(path); err == nil {
		if fi.IsDir() {
			s.fail(fmt.Sprintf("%s is a directory", path))
			return
		}
		if !open.Overwrite {
			s.fail(fmt.Sprintf("%s exists (%s) and overwrite was not asked for", path, sessionproto.CodeExists))
			return
		}
	}
	if err := os.Rename(tmp, path); err != nil {
		s.fail(fmt.Sprintf("rename %s to %s: %v", tmp, path, err))
		return
	}
	syncDir(dir)
	m.log.Info("file uploaded", "session", s.session, "path", path, "size", size)
	_ = s.jsonFrame(sessionproto.FrameDone, sessionproto.Done{Size: size, SHA256: got, Path: path})
}

// checkPut validates a file_put: the target path, its directory, and the
// announced size and hash (returned lower case).
func (m *Manager) checkPut(open *sessionproto.Open) (path, sum string, ref *sessionproto.Opened) {
	bad := func(code, format string, args ...any) (string, string, *sessionproto.Opened) {
		r := sessionproto.Refuse(code, format, args...)
		return "", "", &r
	}
	path, err := m.resolvePath(open.Path)
	if err != nil {
		return bad(sessionproto.CodeBadRequest, "%v", err)
	}
	if open.Size < 0 {
		return bad(sessionproto.CodeBadRequest, "size %d is negative", open.Size)
	}
	sum = strings.ToLower(open.SHA256)
	if b, err := hex.DecodeString(sum); err != nil || len(b) != sha256.Size {
		return bad(sessionproto.CodeBadRequest, "sha256 must be 64 hex digits")
	}
	dir := filepath.Dir(path)
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return bad(sessionproto.CodeNotFound, "directory %s does not exist", dir)
	}
	fi, err := os.Lstat(path)
	switch {
	case err == nil && fi.IsDir():
		return bad(sessionproto.CodeBadRequest, "%s is a directory", path)
	case err == nil && !open.Overwrite:
		return bad(sessionproto.CodeExists, "%s exists and overwrite was not asked for", path)
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return bad(sessionproto.CodeFailed, "%v", err)
	}
	return path, sum, nil
}

// resume prepares the temporary file f for a file of size bytes: what an
// earlier attempt left is kept (and hashed into h) when it is not longer
// than the file, else f starts over. It returns where the upload resumes.
func resume(f *os.File, h hash.Hash, size int64) (int64, error) {
	fi, err := f.Stat()
	if err != nil {
		return 0, err
	}
	have := fi.Size()
	if have > size {
		if err := f.Truncate(0); err != nil {
			return 0, err
		}
		have = 0
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return 0, err
	}
	if have > 0 {
		bp := fileBuffers.Get().(*[]byte)
		n, err := io.CopyBuffer(h, io.LimitReader(f, have), *bp)
		fileBuffers.Put(bp)
		if err != nil {
			return 0, err
		}
		if n != have {
			return 0, fmt.Errorf("read %d of %d bytes", n, have)
		}
	}
	if _, err := f.Seek(have, io.SeekStart); err != nil {
		return 0, err
	}
	return have, nil
}

// syncDir makes a rename in dir durable; best effort (Windows cannot
// sync a directory).
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}
