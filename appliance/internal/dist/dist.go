// Package dist holds the agent builds the appliance hands out and turns them
// into installers.
//
// `make build` cross-compiles jumpgate-agent for every platform into
// bin/agents/jumpgate-agent-<platform>[.exe] and writes
// bin/agents/manifest.json:
//
//	{"version": "1.2.3", "builds": {"linux-amd64": {"file": "jumpgate-agent-linux-amd64", "sha256": "…", "size": 123}}}
//
// The appliance loads that directory once at start (--agent-dir), checks
// every file against the manifest, and from then on serves downloads by
// streaming a build with a trailer (agentproto.Trailer) appended, preceded
// by a small sh header for the Linux and macOS .bin. Nothing is compiled
// per download.
package dist

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/api/agentproto"
	"github.com/jumpgate/jumpgate/appliance/internal/problem"
)

// ManifestFile is the name of the manifest in an agent directory.
const ManifestFile = "manifest.json"

// Manifest is the JSON form of ManifestFile.
type Manifest struct {
	// Version is the version every build was made with (api.Version).
	Version string `json:"version"`
	// Builds lists the builds by platform (one of api.Platforms).
	Builds map[string]ManifestBuild `json:"builds"`
}

// ManifestBuild describes one build file of a Manifest.
type ManifestBuild struct {
	// File is the build's file name in the agent directory (no directories).
	File string `json:"file"`
	// SHA256 is the hex SHA-256 of the file.
	SHA256 string `json:"sha256"`
	// Size is the file's size in bytes.
	Size int64 `json:"size"`
}

// Build is one verified agent build.
type Build struct {
	// Platform is one of api.Platforms.
	Platform string
	// Version is the agent version the build reports.
	Version string
	// SHA256 is the hex SHA-256 of the file.
	SHA256 string
	// Size is the file's size in bytes.
	Size int64
	// Path is the file's path.
	Path string

	// file stays open from Load on, so the bytes served are the bytes
	// verified even when `make build` replaces the file meanwhile (the go
	// command writes a changed build as a new file).
	file *os.File
}

// Builds are the agent builds of one directory, verified when loaded and
// served as they were then until the appliance restarts. The zero value
// (and a nil *Builds) holds no build. It is safe for concurrent use.
type Builds struct {
	dir     string
	version string
	builds  map[string]*Build
}

// Load reads dir/manifest.json and verifies the size and SHA-256 of every
// build it lists. An empty dir, a missing dir or a missing manifest give
// empty Builds, so an appliance without agent builds still starts; a
// manifest that does not match its files is an error.
func Load(dir string) (*Builds, error) {
	b := &Builds{dir: dir, builds: map[string]*Build{}}
	if dir == "" {
		return b, nil
	}
	raw, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if errors.Is(err, fs.ErrNotExist) {
		return b, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read agent manifest: %w", err)
	}
	var m Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("agent manifest %s is not valid JSON: %w", filepath.Join(dir, ManifestFile), err)
	}
	if m.Version == "" {
		return nil, fmt.Errorf("agent manifest %s has no version", filepath.Join(dir, ManifestFile))
	}
	b.version = m.Version
	for _, platform := range slices.Sorted(maps.Keys(m.Builds)) {
		mb := m.Builds[platform]
		build, err := verify(dir, platform, m.Version, mb)
		if err != nil {
			b.Close()
			return nil, fmt.Errorf("agent build %s in %s: %w (rebuild with make build, or fix --agent-dir)", platform, dir, err)
		}
		b.builds[platform] = build
	}
	return b, nil
}

// Close releases the build files.
func (b *Builds) Close() error {
	if b == nil {
		return nil
	}
	var errs []error
	for _, build := range b.builds {
		if err := build.file.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func verify(dir, platform, version string, mb ManifestBuild) (*Build, error) {
	if !slices.Contains(api.Platforms, platform) {
		return nil, fmt.Errorf("unknown platform; platforms are %s", strings.Join(api.Platforms, ", "))
	}
	if mb.File == "" || mb.File != filepath.Base(mb.File) || mb.File == "." || mb.File == ".." || strings.ContainsAny(mb.File, `/\`) {
		return nil, fmt.Errorf("file %q must be a plain file name in the agent directory", mb.File)
	}
	want, err := hex.DecodeString(mb.SHA256)
	if err != nil || len(want) != sha256.Size {
		return nil, fmt.Errorf("sha256 %q is not a hex SHA-256", mb.SHA256)
	}
	path := filepath.Join(dir, mb.File)
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open build: %w", err)
	}
	ok := false
	defer func() {
		if !ok {
			f.Close()
		}
	}()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("stat build: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	if fi.Size() != mb.Size {
		return nil, fmt.Errorf("%s is %d bytes, the manifest says %d", path, fi.Size(), mb.Size)
	}
	h := sha256.New()
	if n, err := io.Copy(h, f); err != nil {
		return nil, fmt.Errorf("read build: %w", err)
	} else if n != mb.Size {
		return nil, fmt.Errorf("%s changed while it was read", path)
	}
	if got := h.Sum(nil); !slices.Equal(got, want) {
		return nil, fmt.Errorf("%s has SHA-256 %x, the manifest says %s", path, got, strings.ToLower(mb.SHA256))
	}
	ok = true
	return &Build{Platform: platform, Version: version, SHA256: strings.ToLower(mb.SHA256), Size: mb.Size, Path: path, file: f}, nil
}

// Dir returns the directory the builds were loaded from ("" when none was
// configured).
func (b *Builds) Dir() string {
	if b == nil {
		return ""
	}
	return b.dir
}

// Version returns the manifest's version, "" without builds.
func (b *Builds) Version() string {
	if b == nil {
		return ""
	}
	return b.version
}

// Platforms lists the platforms that have a build, in api.Platforms order.
func (b *Builds) Platforms() []string {
	var out []string
	for _, p := range api.Platforms {
		if _, ok := b.Get(p); ok {
			out = append(out, p)
		}
	}
	return out
}

// Get returns the build of platform.
func (b *Builds) Get(platform string) (*Build, bool) {
	if b == nil {
		return nil, false
	}
	build, ok := b.builds[platform]
	return build, ok
}

// Open returns a reader of the build of platform, exactly the bytes Load
// verified; closing it is optional and leaves the build open for others.
// Readers are independent, so any number may be read at once. Without such
// a build it fails with problem.ErrUnavailable (a 503: the request is fine,
// the appliance is not set up to answer it).
func (b *Builds) Open(platform string) (io.ReadCloser, *Build, error) {
	build, ok := b.Get(platform)
	if !ok {
		return nil, nil, problem.Unavailable("no agent build for %s on this appliance: build it with make build and start the appliance with --agent-dir", platform)
	}
	return reader{io.NewSectionReader(build.file, 0, build.Size)}, build, nil
}

type reader struct{ *io.SectionReader }

func (reader) Close() error { return nil }

// Upgrade returns the signed announcement of the build of platform, which
// agents verify with agentproto.VerifyUpgrade, or nil when there is no such
// build.
func (b *Builds) Upgrade(platform string, key ed25519.PrivateKey) *agentproto.Upgrade {
	build, ok := b.Get(platform)
	if !ok {
		return nil
	}
	return &agentproto.Upgrade{
		Version: build.Version, Platform: build.Platform, SHA256: build.SHA256, Size: build.Size,
		Signature: ed25519.Sign(key, agentproto.BuildMessage(build.Platform, build.Version, build.SHA256, build.Size)),
	}
}

// FileName returns the file name of platform's build in an agent directory:
// jumpgate-agent-<platform>, with .exe on Windows.
func FileName(platform string) string {
	return "jumpgate-agent-" + platform + Ext(platform, "")
}

// Ext returns the extension of platform's executables ".exe" on Windows,
// else def.
func Ext(platform, def string) string {
	if platform == api.PlatformWindowsAMD64 {
		return ".exe"
	}
	return def
}

// WriteManifest hashes the builds of the given platforms in dir (named as by
// FileName) and writes dir/manifest.json atomically. It leaves an unchanged
// manifest untouched, so its modification time tells when builds changed.
func WriteManifest(dir, version string, platforms []string) error {
	m := Manifest{Version: version, Builds: map[string]ManifestBuild{}}
	sort.Strings(platforms)
	for _, p := range platforms {
		name := FileName(p)
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			return fmt.Errorf("agent build %s: %w", p, err)
		}
		h := sha256.New()
		n, err := io.Copy(h, f)
		f.Close()
		if err != nil {
			return fmt.Errorf("hash agent build %s: %w", p, err)
		}
		m.Builds[p] = ManifestBuild{File: name, SHA256: hex.EncodeToString(h.Sum(nil)), Size: n}
	}
	out, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	out = append(out, '\n')
	path := filepath.Join(dir, ManifestFile)
	if old, err := os.ReadFile(path); err == nil && string(old) == string(out) {
		return nil
	}
	tmp, err := os.CreateTemp(dir, ".manifest-*.json")
	if err != nil {
		return fmt.Errorf("write agent manifest: %w", err)
	}
	if _, err := tmp.Write(out); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return fmt.Errorf("write agent manifest: %w", err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write agent manifest: %w", err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write agent manifest: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write agent manifest: %w", err)
	}
	return nil
}
