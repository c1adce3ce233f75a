package session

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/api/sessionproto"
)

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func randomBytes(t *testing.T, n int) []byte {
	b := make([]byte, n)
	_, err := rand.Read(b)
	require.NoError(t, err)
	return b
}

// partName is where a file_put of content to path keeps its bytes.
func partName(path string, content []byte) string {
	return filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+partSuffix+sha(content)[:16])
}

func TestFileGet(t *testing.T) {
	dir := t.TempDir()
	content := randomBytes(t, 3*fileChunk+123)
	file := filepath.Join(dir, "data.bin")
	require.NoError(t, os.WriteFile(file, content, 0o640))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "empty"), nil, 0o644))
	tests := []struct {
		name   string
		path   string
		offset int64
		want   []byte
		whole  []byte
	}{
		{"whole file", file, 0, content, content},
		{"resumed at an offset", file, fileChunk + 7, content[fileChunk+7:], content},
		{"at the end", file, int64(len(content)), nil, content},
		{"empty file", filepath.Join(dir, "empty"), 0, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, _ := newManager(t, Config{}, &allowAll)
			p := serve(t, m, sessionproto.Open{Type: sessionproto.StreamFileGet, Session: sessionID, Path: tt.path, Offset: tt.offset})
			o := p.mustOpen()
			require.NotNil(t, o.File)
			assert.Equal(t, int64(len(tt.whole)), o.File.Size)
			assert.Equal(t, tt.path, o.File.Path)
			assert.Equal(t, filepath.Base(tt.path), o.File.Name)
			var got []byte
			for {
				typ, b := p.next()
				if typ == sessionproto.FrameDone {
					var d sessionproto.Done
					require.NoError(t, json.Unmarshal(b, &d))
					assert.Equal(t, sessionproto.Done{Size: int64(len(tt.whole)), SHA256: sha(tt.whole)}, d, "the hash is of the whole file")
					break
				}
				require.Equal(t, sessionproto.FrameData, typ)
				assert.LessOrEqual(t, len(b), fileChunk)
				got = append(got, b...)
			}
			assert.True(t, bytes.Equal(tt.want, got), "got %d bytes, want %d", len(got), len(tt.want))
			_, _, err := p.nextErr()
			assert.Error(t, err, "the stream ends after the done frame")
		})
	}
}

func TestFileGet_Refuses(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f")
	require.NoError(t, os.WriteFile(file, []byte("12345"), 0o644))
	tests := []struct {
		name   string
		path   string
		offset int64
		code   string
	}{
		{"missing", filepath.Join(dir, "missing"), 0, sessionproto.CodeNotFound},
		{"directory", dir, 0, sessionproto.CodeBadRequest},
		{"offset beyond the end", file, 6, sessionproto.CodeBadRequest},
		{"negative offset", file, -1, sessionproto.CodeBadRequest},
		{"no path", "", 0, sessionproto.CodeBadRequest},
	}
	if runtime.GOOS != "windows" {
		fifo := filepath.Join(dir, "fifo")
		require.NoError(t, mkfifo(fifo))
		tests = append(tests, []struct {
			name   string
			path   string
			offset int64
			code   string
		}{
			{"a device", "/dev/null", 0, sessionproto.CodeBadRequest},
			{"a fifo, which would block the open", fifo, 0, sessionproto.CodeBadRequest},
		}...)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, _ := newManager(t, Config{}, &allowAll)
			o := serve(t, m, sessionproto.Open{Type: sessionproto.StreamFileGet, Session: sessionID, Path: tt.path, Offset: tt.offset}).opened()
			assert.Equal(t, tt.code, o.Code, o.Error)
		})
	}
}

func TestFileList(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "b.txt"), []byte("bb"), 0o600))
	require.NoError(t, os.Mkdir(filepath.Join(dir, "a-dir"), 0o755))
	require.NoError(t, os.Symlink("b.txt", filepath.Join(dir, "c-link")))

	m, _ := newManager(t, Config{}, &allowAll)
	p := serve(t, m, sessionproto.Open{Type: sessionproto.StreamFileList, Session: sessionID, Path: dir})
	p.mustOpen()
	var list sessionproto.FileList
	p.readDoc(&list)
	assert.Equal(t, dir, list.Path)
	assert.False(t, list.Truncated)
	require.Len(t, list.Entries, 3)
	names := []string{list.Entries[0].Name, list.Entries[1].Name, list.Entries[2].Name}
	assert.Equal(t, []string{"a-dir", "b.txt", "c-link"}, names, "sorted by name")
	assert.True(t, list.Entries[0].IsDir)
	assert.Equal(t, int64(2), list.Entries[1].Size)
	assert.Equal(t, "-rw-------", list.Entries[1].Mode)
	assert.Equal(t, filepath.Join(dir, "b.txt"), list.Entries[1].Path)
	assert.Equal(t, "b.txt", list.Entries[2].Link, "links are lstat'ed and name their target")
	assert.Equal(t, byte('L'), list.Entries[2].Mode[0])
}

func TestFileList_Truncates(t *testing.T) {
	require.Equal(t, sessionproto.MaxListEntries, listLimit)
	// Making 10,000 files takes seconds: the limit is lowered.
	listLimit = 50
	defer func() { listLimit = sessionproto.MaxListEntries }()
	dir := t.TempDir()
	for i := range listLimit + 5 {
		f, err := os.Create(filepath.Join(dir, fmt.Sprintf("f%05d", i)))
		require.NoError(t, err)
		f.Close()
	}
	m, _ := newManager(t, Config{}, &allowAll)
	p := serve(t, m, sessionproto.Open{Type: sessionproto.StreamFileList, Session: sessionID, Path: dir})
	p.mustOpen()
	var list sessionproto.FileList
	p.readDoc(&list)
	assert.True(t, list.Truncated)
	require.Len(t, list.Entries, listLimit)
	assert.Equal(t, "f00000", list.Entries[0].Name)
	assert.Equal(t, fmt.Sprintf("f%05d", listLimit-1), list.Entries[len(list.Entries)-1].Name, "the first entries by name")
}

func TestFileList_Refuses(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f")
	require.NoError(t, os.WriteFile(file, nil, 0o644))
	tests := []struct{ name, path, code string }{
		{"missing", filepath.Join(dir, "missing"), sessionproto.CodeNotFound},
		{"a file", file, sessionproto.CodeBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, _ := newManager(t, Config{}, &allowAll)
			o := serve(t, m, sessionproto.Open{Type: sessionproto.StreamFileList, Session: sessionID, Path: tt.path}).opened()
			assert.Equal(t, tt.code, o.Code, o.Error)
		})
	}
}

func TestResolvePath(t *testing.T) {
	m, _ := newManager(t, Config{}, nil)
	home, err := m.home()
	require.NoError(t, err)
	abs := filepath.Join(t.TempDir(), "x")
	tests := []struct{ in, want string }{
		{abs, abs},
		{abs + "/../y", filepath.Join(filepath.Dir(abs), "y")},
		{"notes.txt", filepath.Join(home, "notes.txt")},
		{"~", home},
		{"~/a/b", filepath.Join(home, "a", "b")},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := m.resolvePath(tt.in)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

// put sends an upload of content[from:] and the eof frame, and returns
// the error or done frame.
func (p *peer) put(content []byte, from int64) (byte, []byte) {
	p.t.Helper()
	rest := content[from:]
	for len(rest) > 0 {
		n := min(len(rest), 100<<10)
		p.send(sessionproto.FrameData, rest[:n])
		rest = rest[n:]
	}
	p.send(sessionproto.FrameEOF, nil)
	return p.next()
}

func putOpen(path string, content []byte) sessionproto.Open {
	return sessionproto.Open{Type: sessionproto.StreamFilePut, Session: sessionID, Path: path, Size: int64(len(content)), SHA256: sha(content)}
}

func TestFilePut(t *testing.T) {
	content := randomBytes(t, 700<<10)
	tests := []struct {
		name string
		// before prepares the directory: the target and the temporary
		// file of an earlier attempt.
		before    func(t *testing.T, target string)
		open      func(target string) sessionproto.Open
		offset    int64
		mode      os.FileMode
		wantOld   []byte // the target's content before and after, when it existed
		overwrite bool
	}{
		{"fresh", nil, func(target string) sessionproto.Open { return putOpen(target, content) }, 0, defaultFileMode, nil, false},
		{"with a mode", nil, func(target string) sessionproto.Open {
			o := putOpen(target, content)
			o.Mode = 0o4751 // no set-id bits from the wire
			return o
		}, 0, 0o751, nil, false},
		{"resumed", func(t *testing.T, target string) {
			require.NoError(t, os.WriteFile(partName(target, content), content[:300<<10], 0o600))
		}, func(target string) sessionproto.Open { return putOpen(target, content) }, 300 << 10, defaultFileMode, nil, false},
		{"a longer temporary file starts over", func(t *testing.T, target string) {
			require.NoError(t, os.WriteFile(partName(target, content), append(content, 'x'), 0o600))
		}, func(target string) sessionproto.Open { return putOpen(target, content) }, 0, defaultFileMode, nil, false},
		{"overwrite", func(t *testing.T, target string) {
			require.NoError(t, os.WriteFile(target, []byte("old"), 0o644))
		}, func(target string) sessionproto.Open {
			o := putOpen(target, content)
			o.Overwrite = true
			return o
		}, 0, defaultFileMode, nil, true},
		{"empty file", nil, func(target string) sessionproto.Open { return putOpen(target, nil) }, 0, defaultFileMode, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			target := filepath.Join(t.TempDir(), "upload.bin")
			if tt.before != nil {
				tt.before(t, target)
			}
			open := tt.open(target)
			want := content
			if open.Size == 0 {
				want = nil
			}
			m, _ := newManager(t, Config{}, &allowAll)
			p := serve(t, m, open)
			o := p.mustOpen()
			assert.Equal(t, tt.offset, o.Offset)
			typ, b := p.put(want, o.Offset)
			require.Equal(t, sessionproto.FrameDone, typ, "%s", b)
			var d sessionproto.Done
			require.NoError(t, json.Unmarshal(b, &d))
			assert.Equal(t, sessionproto.Done{Size: int64(len(want)), SHA256: sha(want), Path: target}, d)

			got, err := os.ReadFile(target)
			require.NoError(t, err)
			assert.True(t, bytes.Equal(want, got), "content")
			if runtime.GOOS != "windows" {
				fi, err := os.Stat(target)
				require.NoError(t, err)
				assert.Equal(t, tt.mode, fi.Mode().Perm())
			}
			assert.NoFileExists(t, partName(target, want), "the temporary file became the target")
		})
	}
}

func TestFilePut_Fails(t *testing.T) {
	content := randomBytes(t, 200<<10)
	tests := []struct {
		name string
		// send sends the body after Opened; nil when the Open is refused.
		send     func(t *testing.T, p *peer)
		code     string
		error    string
		old      []byte // the target before (nil: absent)
		keepPart int    // -1: the temporary file is gone; else its size
		open     func(target string) sessionproto.Open
	}{
		{"hash mismatch", func(t *testing.T, p *peer) {
			bad := append([]byte(nil), content...)
			bad[1000] ^= 0xff
			typ, b := p.put(bad, 0)
			assert.Equal(t, sessionproto.FrameError, typ)
			assert.Contains(t, string(b), "does not match")
		}, "", "", []byte("old"), -1, func(target string) sessionproto.Open {
			o := putOpen(target, content)
			o.Overwrite = true
			return o
		}},
		{"short", func(t *testing.T, p *peer) {
			typ, b := p.put(content[:1000], 0)
			assert.Equal(t, sessionproto.FrameError, typ)
			assert.Contains(t, string(b), "does not match")
		}, "", "", nil, -1, func(target string) sessionproto.Open { return putOpen(target, content) }},
		{"more than announced", func(t *testing.T, p *peer) {
			typ, b := p.put(append(append([]byte(nil), content...), 'x'), 0)
			assert.Equal(t, sessionproto.FrameError, typ)
			assert.Contains(t, string(b), "more than")
		}, "", "", nil, -1, func(target string) sessionproto.Open { return putOpen(target, content) }},
		{"interrupted", func(t *testing.T, p *peer) {
			p.send(sessionproto.FrameData, content[:50000])
			require.NoError(t, p.conn.Close())
			p.wait()
		}, "", "", nil, 50000, func(target string) sessionproto.Open { return putOpen(target, content) }},
		{"exists without overwrite", nil, sessionproto.CodeExists, "exists", []byte("old"), -1,
			func(target string) sessionproto.Open { return putOpen(target, content) }},
		{"onto a directory", nil, sessionproto.CodeBadRequest, "directory", nil, -1,
			func(target string) sessionproto.Open {
				o := putOpen(filepath.Dir(target), content)
				o.Overwrite = true
				return o
			}},
		{"missing directory", nil, sessionproto.CodeNotFound, "does not exist", nil, -1,
			func(target string) sessionproto.Open { return putOpen(filepath.Join(target, "sub", "f"), content) }},
		{"bad hash", nil, sessionproto.CodeBadRequest, "sha256", nil, -1,
			func(target string) sessionproto.Open {
				o := putOpen(target, content)
				o.SHA256 = "abc"
				return o
			}},
		{"negative size", nil, sessionproto.CodeBadRequest, "negative", nil, -1,
			func(target string) sessionproto.Open {
				o := putOpen(target, content)
				o.Size = -1
				return o
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			target := filepath.Join(t.TempDir(), "upload.bin")
			if tt.old != nil {
				require.NoError(t, os.WriteFile(target, tt.old, 0o644))
			}
			m, _ := newManager(t, Config{}, &allowAll)
			p := serve(t, m, tt.open(target))
			o := p.opened()
			if tt.send == nil {
				assert.False(t, o.OK)
				assert.Equal(t, tt.code, o.Code, o.Error)
				assert.Contains(t, o.Error, tt.error)
			} else {
				require.True(t, o.OK, o.Error)
				tt.send(t, p)
			}
			p.wait()

			if tt.old == nil {
				assert.NoFileExists(t, target, "the target is not touched")
			} else {
				got, err := os.ReadFile(target)
				require.NoError(t, err)
				assert.Equal(t, tt.old, got, "the target is not touched")
			}
			part := partName(target, content)
			if tt.keepPart < 0 {
				assert.NoFileExists(t, part)
				return
			}
			fi, err := os.Stat(part)
			require.NoError(t, err, "the temporary file is kept for a resume")
			assert.Equal(t, int64(tt.keepPart), fi.Size())
			if runtime.GOOS != "windows" {
				assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
			}
		})
	}
}

func TestFilePut_ResumesAfterAnInterruption(t *testing.T) {
	content := randomBytes(t, 500<<10)
	target := filepath.Join(t.TempDir(), "f")
	m, _ := newManager(t, Config{}, &allowAll)

	p := serve(t, m, putOpen(target, content))
	assert.Equal(t, int64(0), p.mustOpen().Offset)
	p.send(sessionproto.FrameData, content[:123456])
	require.NoError(t, p.conn.Close())
	p.wait()

	p = serve(t, m, putOpen(target, content))
	o := p.mustOpen()
	assert.Equal(t, int64(123456), o.Offset)
	typ, b := p.put(content, o.Offset)
	require.Equal(t, sessionproto.FrameDone, typ, "%s", b)
	got, err := os.ReadFile(target)
	require.NoError(t, err)
	assert.True(t, bytes.Equal(content, got))
}

func TestFilePut_DoesNotFollowAPlantedLink(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symlinks need privileges on windows")
	}
	content := []byte("payload")
	dir := t.TempDir()
	victim := filepath.Join(dir, "victim")
	require.NoError(t, os.WriteFile(victim, []byte("precious"), 0o644))
	target := filepath.Join(dir, "upload")
	require.NoError(t, os.Symlink(victim, partName(target, content)))

	m, _ := newManager(t, Config{}, &allowAll)
	p := serve(t, m, putOpen(target, content))
	o := p.mustOpen()
	assert.Equal(t, int64(0), o.Offset)
	typ, b := p.put(content, 0)
	require.Equal(t, sessionproto.FrameDone, typ, "%s", b)
	got, err := os.ReadFile(victim)
	require.NoError(t, err)
	assert.Equal(t, "precious", string(got))
	got, err = os.ReadFile(target)
	require.NoError(t, err)
	assert.Equal(t, content, got)
}

// TestDataFrameLayout holds file_get's in-place frames to sessionproto's
// frame format.
func TestDataFrameLayout(t *testing.T) {
	payload := []byte("some file bytes")
	var want bytes.Buffer
	require.NoError(t, sessionproto.WriteFrame(&want, sessionproto.FrameData, payload))

	buf := make([]byte, frameHeader+64)
	copy(buf[frameHeader:], payload)
	frame := frameInPlace(buf, sessionproto.FrameData, len(payload))
	assert.Equal(t, want.Bytes(), frame)
	typ, got, err := sessionproto.NewFrameReader(bytes.NewReader(frame)).Next()
	require.NoError(t, err)
	assert.Equal(t, sessionproto.FrameData, typ)
	assert.Equal(t, payload, got)
}
