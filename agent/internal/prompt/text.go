package prompt

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/api/agentproto"
)

// dialogText is a consent dialog's question and what the user should know
// to answer it.
func dialogText(s agentproto.SessionInfo, now time.Time) string {
	lines := []string{question(s), ""}
	lines = append(lines, details(s)...)
	if s.Prompt != nil {
		lines = append(lines, "", timeoutText(s.Prompt, now))
	}
	return strings.Join(lines, "\n")
}

// fallbackText tells the user how to answer a prompt without a dialog.
func fallbackText(s agentproto.SessionInfo, command string, now time.Time) string {
	id := strconv.FormatInt(s.ID, 10)
	lines := []string{
		question(s),
		"To accept, run: " + command + " consent accept " + id,
		"To reject, run: " + command + " consent reject " + id,
	}
	if s.Prompt != nil {
		lines = append(lines, timeoutText(s.Prompt, now))
	}
	return strings.Join(lines, "\n")
}

// startedText tells the user who is connected and how to end it.
func startedText(s agentproto.SessionInfo, command string) string {
	lines := []string{who(s) + " is connected to this computer."}
	lines = append(lines, details(s)...)
	lines = append(lines, "To end it, run: "+command+" sessions end "+strconv.FormatInt(s.ID, 10))
	return strings.Join(lines, "\n")
}

// endedText says that and why a session ended.
func endedText(s agentproto.SessionInfo) string {
	t := "The session with " + who(s) + " ended"
	if r := EndReasonText(s.EndReason); r != "" {
		t += ": " + r
	}
	t += "."
	if s.Message != "" {
		t += "\n" + s.Message
	}
	return t
}

func who(s agentproto.SessionInfo) string {
	if s.Representative == "" {
		return "a representative"
	}
	return s.Representative
}

func question(s agentproto.SessionInfo) string {
	if s.Prompt != nil && s.Prompt.Message != "" {
		return s.Prompt.Message
	}
	return who(s) + " asks to start a remote support session on this computer."
}

func details(s agentproto.SessionInfo) []string {
	lines := []string{"Representative: " + who(s)}
	if p := PermissionsText(s.Permissions); p != "" {
		lines = append(lines, "Allowed: "+p)
	}
	if s.Recording {
		lines = append(lines, "Shell sessions are recorded.")
	} else {
		lines = append(lines, "Nothing is recorded.")
	}
	if s.EndsAt != nil {
		lines = append(lines, "The session ends at "+s.EndsAt.Local().Format("15:04")+" at the latest.")
	}
	return lines
}

func timeoutText(p *agentproto.Prompt, now time.Time) string {
	what := "rejected"
	if p.OnTimeout == "accept" {
		what = "accepted"
	}
	return fmt.Sprintf("Without an answer by %s, the request is %s.", p.ExpiresAt.Local().Format("15:04:05"), what)
}

// PermissionsText lists what a session may do, in words ("shell, read
// files, tunnels"); "" when nothing.
func PermissionsText(p api.SessionPermissions) string {
	var out []string
	add := func(ok bool, s string) {
		if ok {
			out = append(out, s)
		}
	}
	add(p.Shell, "shell")
	add(p.FileRead, "read files")
	add(p.FileWrite, "write files")
	add(p.Tunnel, "tunnels")
	add(p.SystemInfo, "system information")
	add(p.ScreenView, "view the screen")
	add(p.ScreenControl, "control the screen")
	if p.Clipboard != "" && p.Clipboard != "off" {
		out = append(out, "clipboard ("+strings.ReplaceAll(p.Clipboard, "_", " ")+")")
	}
	return strings.Join(out, ", ")
}

// EndReasonText words a session's end reason (api.End*, or a consent
// refusal) for the end user; an unknown reason is returned as it is.
func EndReasonText(reason string) string {
	switch reason {
	case "":
		return ""
	case api.EndUser:
		return "the representative ended it"
	case api.EndEndUser:
		return "ended on this computer"
	case api.EndMaxDuration:
		return "its time ran out"
	case api.EndScheduleEnd:
		return "the access schedule closed"
	case api.EndIdle:
		return "it was idle too long"
	case api.EndDisconnected:
		return "the representative disconnected"
	case api.EndEndpointGone:
		return "this computer lost its connection"
	case api.EndItemDeleted:
		return "this computer was removed from Jumpgate"
	case api.EndApplianceStop:
		return "the Jumpgate appliance stopped"
	case api.EndRecordingError:
		return "recording failed"
	case api.RefusedConsentRejected:
		return "the request was rejected"
	case api.RefusedConsentTimedOut:
		return "nobody answered the request in time"
	}
	return strings.ReplaceAll(reason, "_", " ")
}

// LeftText words the time left until a session's end: "1h05m", "29m",
// "less than a minute", or "over" once it has passed.
func LeftText(d time.Duration) string {
	switch {
	case d <= 0:
		return "over"
	case d < time.Minute:
		return "less than a minute"
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d/time.Minute))
	}
	return fmt.Sprintf("%dh%02dm", int(d/time.Hour), int(d%time.Hour/time.Minute))
}
