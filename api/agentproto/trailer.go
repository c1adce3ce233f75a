package agentproto

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// An installer is the agent binary with a trailer appended:
//
//	<agent binary> <manifest JSON> <uint64 big-endian length of the JSON> "JGINST01"
//
// Executable formats ignore bytes past their end, so the agent runs as is,
// reads its own trailer, and knows which appliance and installer it belongs
// to. The appliance builds a download by streaming the build and appending a
// trailer, with no compile. The Linux/macOS .bin is a POSIX sh header that
// extracts such an agent (trailer included) and runs `install`.

// TrailerMagic ends every installer trailer.
const TrailerMagic = "JGINST01"

// MaxManifest bounds the manifest JSON.
const MaxManifest = 64 << 10

// Manifest is the installer's built-in configuration.
type Manifest struct {
	// Kind is jump_client or jumpoint.
	Kind string `json:"kind"`
	// KeyInfo is the signed key info; empty in a generic installer, which
	// then needs --key-info / KEY_INFO=.
	KeyInfo string `json:"key_info,omitempty"`
	// SigningKey is the appliance's Ed25519 public key that key info and
	// agent builds must be signed with.
	SigningKey []byte `json:"signing_key"`
	// CAPEM is the appliance's CA certificate(s), PEM; its pin must match
	// the key info's ca_pin.
	CAPEM string `json:"ca_pem"`
	// FileName is the file name the appliance served the installer as.
	FileName string `json:"file_name"`
	// Platform is the platform of the build.
	Platform string `json:"platform"`
	// Version is the agent build's version.
	Version string `json:"version"`
}

// ErrNoTrailer means the file is a plain agent build, not an installer.
var ErrNoTrailer = errors.New("no installer trailer")

// Trailer encodes m as the bytes to append to an agent build.
func Trailer(m *Manifest) ([]byte, error) {
	j, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("encode installer manifest: %w", err)
	}
	if len(j) > MaxManifest {
		return nil, fmt.Errorf("installer manifest is %d bytes, more than %d", len(j), MaxManifest)
	}
	var b bytes.Buffer
	b.Write(j)
	_ = binary.Write(&b, binary.BigEndian, uint64(len(j)))
	b.WriteString(TrailerMagic)
	return b.Bytes(), nil
}

// ReadTrailer reads the trailer at the end of r, of total size size. It
// returns the manifest and the size of the agent build before it, or
// ErrNoTrailer.
func ReadTrailer(r io.ReaderAt, size int64) (*Manifest, int64, error) {
	tail := int64(8 + len(TrailerMagic))
	if size < tail {
		return nil, 0, ErrNoTrailer
	}
	end := make([]byte, tail)
	if _, err := r.ReadAt(end, size-tail); err != nil {
		return nil, 0, fmt.Errorf("read installer trailer: %w", err)
	}
	if string(end[8:]) != TrailerMagic {
		return nil, 0, ErrNoTrailer
	}
	n := binary.BigEndian.Uint64(end[:8])
	if n == 0 || n > MaxManifest || int64(n) > size-tail {
		return nil, 0, fmt.Errorf("installer trailer is corrupt: manifest length %d", n)
	}
	j := make([]byte, n)
	start := size - tail - int64(n)
	if _, err := r.ReadAt(j, start); err != nil {
		return nil, 0, fmt.Errorf("read installer manifest: %w", err)
	}
	var m Manifest
	if err := json.Unmarshal(j, &m); err != nil {
		return nil, 0, fmt.Errorf("installer manifest is corrupt: %w", err)
	}
	return &m, start, nil
}
