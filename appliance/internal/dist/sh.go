package dist

import (
	"fmt"
	"strings"
)

// HeaderSize is the size of the sh header of every .bin installer; the
// payload (agent build + trailer) starts right after it, at the 1-based
// byte offset HeaderSize+1 that the header gives `tail -c +`. The header is
// padded to this fixed size so the offset is known before the header text
// is written.
const HeaderSize = 2048

// ShHeader returns the POSIX sh header of a .bin installer whose payload is
// payloadSize bytes. The header extracts the payload into a private
// temporary directory, checks its size, runs `jumpgate-agent install` with
// the script's arguments (so --help reaches the agent), removes the
// directory and exits with the agent's status. It runs under dash, bash,
// busybox sh and macOS sh, and must be run from a file (`sh x.bin` or
// `./x.bin`), not through a pipe. fileName, platform and version appear in
// comments only.
func ShHeader(fileName, platform, version string, payloadSize int64) ([]byte, error) {
	name := comment(fileName)
	var b strings.Builder
	fmt.Fprintf(&b, `#!/bin/sh
# %s: Jumpgate installer for %s (jumpgate-agent %s).
#
# Install (system-wide, as root):  sudo sh ./%s [flags]
# Every flag of "jumpgate-agent install" works; list them with:  sh ./%s --help
#
# This header extracts the agent that follows it (with its built-in
# configuration) into a private temporary directory and runs its install
# command. Set TMPDIR when /tmp does not allow running programs.
set -eu
offset=%d
size=%d
if [ ! -f "$0" ] || [ ! -r "$0" ]; then
	echo "jumpgate installer: cannot read the installer file \"$0\"; save it, then run: sh ./<file>.bin" >&2
	exit 1
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/jumpgate-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM
tail -c +$offset "$0" >"$tmp/jumpgate-agent"
got=$(wc -c <"$tmp/jumpgate-agent")
if [ $got -ne $size ]; then
	echo "jumpgate installer: \"$0\" is damaged or incomplete ($got of $size payload bytes); download it again" >&2
	exit 1
fi
chmod 700 "$tmp/jumpgate-agent"
status=0
"$tmp/jumpgate-agent" install "$@" || status=$?
if [ $status -eq 126 ]; then
	echo "jumpgate installer: cannot run the agent in $tmp; if that file system is mounted noexec, run again with TMPDIR set to another directory" >&2
fi
exit $status
`, name, comment(platform), comment(version), name, name, HeaderSize+1, payloadSize)
	if b.Len() > HeaderSize-2 {
		return nil, fmt.Errorf("installer header is %d bytes, more than %d", b.Len(), HeaderSize-2)
	}
	// Pad with one comment line, which the shell never reaches (it exits
	// above), to exactly HeaderSize bytes.
	pad := HeaderSize - b.Len()
	b.WriteString("#" + strings.Repeat("#", pad-2) + "\n")
	return []byte(b.String()), nil
}

// comment makes s safe inside a sh comment: one line of printable ASCII.
func comment(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r < 0x20 || r > 0x7e {
			r = '?'
		}
		b.WriteRune(r)
	}
	if b.Len() > 128 {
		return b.String()[:128]
	}
	return b.String()
}
