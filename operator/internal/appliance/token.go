package appliance

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"time"
)

// TokenSource gives the API token for the next request.
type TokenSource interface {
	Token() (string, error)
}

// StaticToken is a token that never changes (JUMPGATE_TOKEN).
type StaticToken string

// Token implements TokenSource.
func (t StaticToken) Token() (string, error) { return string(t), nil }

// FileToken is a token kept in a file, such as a key of a Secret mounted
// as a volume. The kubelet replaces such files atomically when the Secret
// changes, so a rotated token is used without a restart: the file is
// looked at again at most once per CheckInterval, and read again when it is
// another file (a new inode), or its size or modification time changed.
// Surrounding white space (a final newline) is not part of the token.
type FileToken struct {
	// CheckInterval is how often the file is looked at; default 1 s.
	CheckInterval time.Duration
	// OnReload, when set, is called each time a changed token is read.
	OnReload func()

	path    string
	mu      sync.Mutex
	checked time.Time
	info    os.FileInfo
	token   string // "" after an error
	last    string // the last token read, for OnReload
}

// NewFileToken returns the token kept in the file path.
func NewFileToken(path string) *FileToken { return &FileToken{path: path} }

// Path is the file's path.
func (f *FileToken) Path() string { return f.path }

// Token implements TokenSource. An unreadable or empty file is an error,
// even when an earlier token is known: a deleted Secret must not go on
// working.
func (f *FileToken) Token() (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	every := f.CheckInterval
	if every <= 0 {
		every = time.Second
	}
	now := time.Now()
	if f.token != "" && now.Sub(f.checked) < every {
		return f.token, nil
	}
	tok, fi, err := f.read()
	if err != nil {
		// Look again at the next request, not after the interval.
		f.info, f.token = nil, ""
		return "", err
	}
	f.checked = now
	if fi == nil {
		return f.token, nil // unchanged
	}
	changed := f.last != "" && tok != f.last
	f.info, f.token, f.last = fi, tok, tok
	if changed && f.OnReload != nil {
		f.OnReload()
	}
	return tok, nil
}

// read reads the file unless it is the one read last time, unchanged; then
// it returns a nil FileInfo.
func (f *FileToken) read() (string, os.FileInfo, error) {
	fi, err := os.Stat(f.path)
	if err != nil {
		return "", nil, fmt.Errorf("token file: %w", err)
	}
	if f.info != nil && os.SameFile(f.info, fi) && fi.Size() == f.info.Size() && fi.ModTime().Equal(f.info.ModTime()) {
		return "", nil, nil
	}
	b, err := os.ReadFile(f.path)
	if err != nil {
		return "", nil, fmt.Errorf("token file: %w", err)
	}
	tok := strings.TrimSpace(string(b))
	if tok == "" {
		return "", nil, fmt.Errorf("token file %s is empty", f.path)
	}
	if strings.ContainsAny(tok, " \t\r\n") {
		return "", nil, fmt.Errorf("token file %s holds more than one word; it must hold the API token alone", f.path)
	}
	return tok, fi, nil
}
