package install

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"strings"
	"text/template"
)

// initScript is DIR/init-script: start|stop|restart|status for the agent
// of one install dir, by the pid file protocol (see process.go). When the
// install has a systemd unit, start and stop go through systemctl so that
// systemd's view stays true.
var initScript = template.Must(template.New("init-script").Parse(`#!/bin/sh
# Starts, stops and reports the Jumpgate agent installed in {{.DirQ}}.
# Written by the installer: start|stop|restart|status.
DIR={{.DirQ}}
BIN="$DIR/{{.Binary}}"
PIDFILE="$DIR/agent.pid"
LOG="$DIR/agent.log"
UNIT={{.UnitQ}}
SYSTEMCTL={{.SystemctlQ}}

# running sets pid and succeeds if the pid file names a live "run" of DIR.
# A command line reads empty for a zombie, and for a moment while a
# process execs: look again a few times before calling it gone.
running() {
	pid=
	{ read -r pid <"$PIDFILE"; } 2>/dev/null
	case "$pid" in '' | *[!0-9]*) return 1 ;; esac
	if [ -d /proc/self ]; then
		for _ in 1 2 3 4 5; do
			cmdline=$( { tr '\000' '\n' <"/proc/$pid/cmdline"; } 2>/dev/null) || return 1
			if [ -n "$cmdline" ]; then
				printf '%s\n' "$cmdline" | grep -qxF -- "$DIR"
				return
			fi
			sleep 0.05 2>/dev/null || sleep 1
		done
		return 1
	fi
	kill -0 "$pid" 2>/dev/null
}

start() {
	if running; then
		echo "already running (pid $pid)"
		return 0
	fi
	if [ -n "$UNIT" ]; then
		$SYSTEMCTL start "$UNIT" || return 1
		echo "started ($UNIT)"
		return 0
	fi
	umask 077
	nohup "$BIN" run --dir "$DIR" >>"$LOG" 2>&1 </dev/null &
	echo $! >"$PIDFILE"
	# Report only once the agent runs (the child may not have exec'd yet),
	# and say so if it exits at once: up to 5 s by the clock (a loaded host
	# stretches any count of ticks).
	deadline=$(($(date +%s) + 5))
	until running; do
		if [ "$(date +%s)" -ge "$deadline" ]; then
			echo "the agent did not start; see $LOG" >&2
			return 1
		fi
		sleep 0.1 2>/dev/null || sleep 1
	done
	echo "started (pid $pid)"
}

stop() {
	if [ -n "$UNIT" ]; then
		$SYSTEMCTL stop "$UNIT" || return 1
	fi
	if running; then
		kill -TERM "$pid" 2>/dev/null
		# Wait up to 10 s by the clock, then kill.
		deadline=$(($(date +%s) + 10))
		while running; do
			if [ "$(date +%s)" -ge "$deadline" ]; then
				kill -KILL "$pid" 2>/dev/null
				sleep 1
				break
			fi
			sleep 0.1 2>/dev/null || sleep 1
		done
	fi
	if running; then
		echo "could not stop the agent (pid $pid)" >&2
		return 1
	fi
	rm -f "$PIDFILE"
	echo "stopped"
}

# status: 0 running and enrolled, 3 stopped, 1 running but not enrolled.
# The agent itself says whether it is enrolled and, if not, why (the
# appliance's refusal and when, or that it could not be reached).
status() {
	rc=3
	if running; then
		echo "running (pid $pid)"
		rc=0
	else
		echo "stopped"
	fi
	"$BIN" service enrollment --dir "$DIR"
	case $? in
	0 | 2) ;; # 2: a build without the enrollment report
	*) [ "$rc" -eq 0 ] && rc=1 ;;
	esac
	return "$rc"
}

case "$1" in
start) start ;;
stop) stop ;;
restart) stop && start ;;
status) status ;;
*)
	echo "usage: $0 start|stop|restart|status" >&2
	exit 2
	;;
esac
`))

// uninstallScript is DIR/uninstall.
var uninstallScript = template.Must(template.New("uninstall").Parse(`#!/bin/sh
# Uninstalls the Jumpgate agent installed in {{.DirQ}}. Written by the installer.
exec {{.BinQ}} uninstall --dir {{.DirQ}} "$@"
`))

// Windows equivalents: both hand over to the agent binary, which does the
// work itself (the pid file protocol, and uninstall).
var (
	initScriptCmd = template.Must(template.New("init-script.cmd").Parse("@echo off\r\n" +
		"rem Starts, stops and reports the Jumpgate agent installed in {{.Dir}}: start^|stop^|restart^|status.\r\n" +
		"\"{{.Bin}}\" service %1 --dir \"{{.Dir}}\"\r\n"))
	uninstallCmd = template.Must(template.New("uninstall.cmd").Parse("@echo off\r\n" +
		"rem Uninstalls the Jumpgate agent installed in {{.Dir}}.\r\n" +
		"\"{{.Bin}}\" uninstall --dir \"{{.Dir}}\" %*\r\n"))
)

// systemdUnit is the unit for --startup systemd.
var systemdUnit = template.Must(template.New("unit").Parse(`[Unit]
Description=Jumpgate agent ({{.ID}})
{{- if .System}}
Wants=network-online.target
After=network-online.target
{{- end}}

[Service]
Type=simple
ExecStart={{.BinSD}} run --dir {{.DirSD}}
Restart=on-failure
RestartSec=5
LimitNOFILE=65536

[Install]
WantedBy={{if .System}}multi-user.target{{else}}default.target{{end}}
`))

// xdgAutostart is the autostart entry for --startup xdg.
var xdgAutostart = template.Must(template.New("desktop").Parse(`[Desktop Entry]
Type=Application
Name=Jumpgate agent ({{.ID}})
Comment=Starts the Jumpgate agent installed in {{.Dir}}
Exec={{.InitExec}} start
Terminal=false
NoDisplay=true
X-GNOME-Autostart-enabled=true
`))

// launchdPlist is the launchd job for --startup launchd. KeepAlive restarts
// the agent after a failure but not after a clean exit (stop, uninstall).
var launchdPlist = template.Must(template.New("plist").Parse(`<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>Label</key>
	<string>{{.LabelX}}</string>
	<key>ProgramArguments</key>
	<array>
		<string>{{.BinX}}</string>
		<string>run</string>
		<string>--dir</string>
		<string>{{.DirX}}</string>
	</array>
	<key>RunAtLoad</key>
	<true/>
	<key>KeepAlive</key>
	<dict>
		<key>SuccessfulExit</key>
		<false/>
	</dict>
	<key>StandardOutPath</key>
	<string>{{.LogX}}</string>
	<key>StandardErrorPath</key>
	<string>{{.LogX}}</string>
</dict>
</plist>
`))

// scriptData is what the templates fill in; the suffixes say the quoting:
// Q POSIX sh, SD systemd, X XML.
type scriptData struct {
	ID, Dir, Bin, Binary, Log, Label string
	System                           bool
	Unit, Systemctl                  string
}

func (d scriptData) DirQ() string       { return shQuote(d.Dir) }
func (d scriptData) BinQ() string       { return shQuote(d.Bin) }
func (d scriptData) UnitQ() string      { return shQuote(d.Unit) }
func (d scriptData) SystemctlQ() string { return shQuote(d.Systemctl) }
func (d scriptData) DirSD() string      { return systemdQuote(d.Dir) }
func (d scriptData) BinSD() string      { return systemdQuote(d.Bin) }
func (d scriptData) DirX() string       { return xmlText(d.Dir) }
func (d scriptData) BinX() string       { return xmlText(d.Bin) }
func (d scriptData) LogX() string       { return xmlText(d.Log) }
func (d scriptData) LabelX() string     { return xmlText(d.Label) }

// InitExec is the init-script's path as a desktop entry Exec argument.
func (d scriptData) InitExec() string { return desktopQuote(d.Dir + "/init-script") }

func render(t *template.Template, d scriptData) []byte {
	var b bytes.Buffer
	if err := t.Execute(&b, d); err != nil {
		// The templates are fixed and their data are plain strings.
		panic(fmt.Sprintf("render %s: %v", t.Name(), err))
	}
	return b.Bytes()
}

// shQuote quotes s as one POSIX sh word.
func shQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// systemdQuote quotes s as one word of a systemd command line, escaping
// specifiers (%) and variables ($) too.
func systemdQuote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "%", "%%", "$", "$$")
	return `"` + r.Replace(s) + `"`
}

// desktopQuote quotes s as one Exec argument of a desktop entry: quoted if
// it holds anything but plain path characters, with the entry's own
// backslash escaping on top.
func desktopQuote(s string) string {
	plain := true
	for _, r := range s {
		if !(r == '/' || r == '.' || r == '_' || r == '-' || r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z') {
			plain = false
			break
		}
	}
	if plain {
		return s
	}
	r := strings.NewReplacer(`\`, `\\\\`, `"`, `\\"`, "$", `\\$`, "`", "\\\\`", "%", "%%")
	return `"` + r.Replace(s) + `"`
}

func xmlText(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}
