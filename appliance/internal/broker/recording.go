package broker

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/api/sessionproto"
)

// castWriter writes one shell stream as an asciicast v2 file: a header
// line, then one JSON array per event ([seconds, "o", text] for output,
// [seconds, "r", "COLSxROWS"] for a resize). Each event is written (and so
// survives a crash of the appliance) as it happens. An exec's stderr is
// recorded as output too, as a terminal shows it: asciicast v2 has one
// output stream, and a recording that left stderr out would hide what a
// command wrote there. Output is split only on whole UTF-8 sequences, kept
// apart per stream; invalid bytes become U+FFFD, as asciinema does.
type castWriter struct {
	mu    sync.Mutex
	id    int64
	f     *os.File
	h     hash.Hash
	w     io.Writer
	start time.Time
	// carry holds an incomplete UTF-8 sequence at the end of stdout
	// (carry[0]) and stderr (carry[1]).
	carry [2][]byte
	size  int64
	err   error
}

// castHeader is the first line of an asciicast v2 file.
type castHeader struct {
	Version   int               `json:"version"`
	Width     int               `json:"width"`
	Height    int               `json:"height"`
	Timestamp int64             `json:"timestamp"`
	Title     string            `json:"title,omitempty"`
	Command   string            `json:"command,omitempty"`
	Env       map[string]string `json:"env,omitempty"`
}

func (b *Broker) newCast(ctx context.Context, rec Record, open *sessionproto.Open) (*castWriter, error) {
	now := b.now().UTC()
	dir := filepath.Join(b.recDir, strconv.FormatInt(rec.ID, 10))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	row := &RecordingRecord{SessionID: rec.ID, Kind: api.RecordingShell, StartedAt: now}
	if err := b.db.W.WithContext(ctx).Create(row).Error; err != nil {
		return nil, err
	}
	name := fmt.Sprintf("session-%d-%s-%d.cast", rec.ID, open.Type, row.ID)
	rel := filepath.Join(strconv.FormatInt(rec.ID, 10), name)
	f, err := os.OpenFile(filepath.Join(b.recDir, rel), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	if err := b.db.W.WithContext(ctx).Model(row).Updates(map[string]any{"file_name": name, "path": rel}).Error; err != nil {
		f.Close()
		return nil, err
	}
	cols, rows := open.Cols, open.Rows
	if cols <= 0 {
		cols = 80
	}
	if rows <= 0 {
		rows = 24
	}
	term := open.Term
	if term == "" {
		term = "xterm-256color"
	}
	c := &castWriter{id: row.ID, f: f, h: sha256.New(), start: time.Now()}
	c.w = io.MultiWriter(f, c.h)
	hdr := castHeader{Version: 2, Width: cols, Height: rows, Timestamp: now.Unix(),
		Title: fmt.Sprintf("Jumpgate session %d: %s on %s by %s", rec.ID, open.Type, rec.ItemName, rec.Username),
		Env:   map[string]string{"TERM": term}}
	if open.Type == sessionproto.StreamExec {
		hdr.Command = strings.Join(open.Command, " ")
	}
	if err := c.line(hdr); err != nil {
		f.Close()
		return nil, err
	}
	return c, nil
}

func (c *castWriter) line(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	n, err := c.w.Write(append(b, '\n'))
	c.size += int64(n)
	if err != nil {
		c.err = err
	}
	return err
}

func (c *castWriter) elapsed() float64 {
	return float64(time.Since(c.start).Microseconds()) / 1e6
}

// Output streams of a cast: the index of castWriter.carry.
const (
	castStdout = 0
	castStderr = 1
)

// output records terminal output of stream (castStdout or castStderr).
func (c *castWriter) output(stream int, p []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return c.err
	}
	data := append(c.carry[stream], p...)
	// Keep an incomplete UTF-8 sequence at the end for the next chunk.
	cut := len(data)
	for i := len(data) - 1; i >= 0 && i >= len(data)-utf8.UTFMax; i-- {
		if utf8.RuneStart(data[i]) {
			if !utf8.FullRune(data[i:]) {
				cut = i
			}
			break
		}
	}
	c.carry[stream] = append([]byte(nil), data[cut:]...)
	if cut == 0 {
		return nil
	}
	text := strings.ToValidUTF8(string(data[:cut]), "\uFFFD")
	return c.line([]any{c.elapsed(), "o", text})
}

// resize records a terminal resize.
func (c *castWriter) resize(cols, rows int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil || cols <= 0 || rows <= 0 {
		return
	}
	_ = c.line([]any{c.elapsed(), "r", fmt.Sprintf("%dx%d", cols, rows)})
}

// finish flushes what remains, syncs the file and records its size and
// hash.
func (c *castWriter) finish(b *Broker) error {
	c.mu.Lock()
	for _, rest := range c.carry {
		if len(rest) > 0 && c.err == nil {
			_ = c.line([]any{c.elapsed(), "o", strings.ToValidUTF8(string(rest), "\uFFFD")})
		}
	}
	err := c.err
	if serr := c.f.Sync(); err == nil {
		err = serr
	}
	if cerr := c.f.Close(); err == nil {
		err = cerr
	}
	sum := hex.EncodeToString(c.h.Sum(nil))
	size := c.size
	c.mu.Unlock()
	now := b.now().UTC()
	if uerr := b.db.W.Model(&RecordingRecord{}).Where("id = ?", c.id).Updates(map[string]any{"ended_at": now, "size": size, "sha256": sum}).Error; err == nil {
		err = uerr
	}
	return err
}

// tunnelLog is a session's JSON-lines log of tunnel connections.
type tunnelLog struct {
	mu   sync.Mutex
	id   int64
	f    *os.File
	h    hash.Hash
	size int64
}

// tunnelEntry is one line of a tunnel log.
type tunnelEntry struct {
	OpenedAt time.Time `json:"opened_at"`
	ClosedAt time.Time `json:"closed_at"`
	// Peer is the representative's address as the appliance saw it;
	// ClientPeer is the local application's address as the
	// representative's client reported it (unverified).
	Peer       string `json:"peer"`
	ClientPeer string `json:"client_peer,omitempty"`
	Target     string `json:"target"`
	BytesIn    int64  `json:"bytes_in"`
	BytesOut   int64  `json:"bytes_out"`
	DurationMS int64  `json:"duration_ms"`
}

// logTunnel appends one closed connection to the session's tunnel log,
// opening it on first use.
func (b *Broker) logTunnel(l *live, e tunnelEntry) {
	b.mu.Lock()
	tl := l.tunnelLog
	if tl == nil {
		tl = &tunnelLog{}
		l.tunnelLog = tl
	}
	rec := l.rec
	b.mu.Unlock()
	tl.mu.Lock()
	defer tl.mu.Unlock()
	if tl.f == nil {
		dir := filepath.Join(b.recDir, strconv.FormatInt(rec.ID, 10))
		if err := os.MkdirAll(dir, 0o700); err != nil {
			b.log.Error("tunnel log", "session", rec.ID, "err", err)
			return
		}
		name := fmt.Sprintf("session-%d-tunnels.jsonl", rec.ID)
		rel := filepath.Join(strconv.FormatInt(rec.ID, 10), name)
		f, err := os.OpenFile(filepath.Join(b.recDir, rel), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
		if err != nil {
			b.log.Error("tunnel log", "session", rec.ID, "err", err)
			return
		}
		row := &RecordingRecord{SessionID: rec.ID, Kind: api.RecordingTunnelLog, FileName: name, Path: rel, StartedAt: e.OpenedAt}
		if err := b.db.W.Create(row).Error; err != nil {
			f.Close()
			b.log.Error("tunnel log", "session", rec.ID, "err", err)
			return
		}
		tl.f, tl.h, tl.id = f, sha256.New(), row.ID
	}
	line, _ := json.Marshal(e)
	line = append(line, '\n')
	n, err := tl.f.Write(line)
	tl.h.Write(line[:n])
	tl.size += int64(n)
	if err != nil {
		b.log.Error("tunnel log write", "session", rec.ID, "err", err)
	}
	_ = b.db.W.Model(&RecordingRecord{}).Where("id = ?", tl.id).Updates(map[string]any{"size": tl.size, "ended_at": e.ClosedAt}).Error
}

func (tl *tunnelLog) finish(b *Broker) {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	if tl.f == nil {
		return
	}
	_ = tl.f.Sync()
	_ = tl.f.Close()
	_ = b.db.W.Model(&RecordingRecord{}).Where("id = ?", tl.id).Updates(map[string]any{"size": tl.size, "sha256": hex.EncodeToString(tl.h.Sum(nil))}).Error
	tl.f = nil
}
