package sessionproto

// # The browser's streams
//
// A browser cannot easily run yamux over a WebSocket, so the appliance
// serves each feature stream of a Jump Client session to a browser on its
// own endpoint. The appliance opens the same stream a session channel
// would, through the same checks, limits, audit and recording, and
// translates its body:
//
//	GET /api/v1/sessions/{id}/shell?cols=&rows=    a WebSocket, subprotocol TerminalSubprotocol
//	GET /api/v1/sessions/{id}/files?path=          FileList (file_list)
//	GET /api/v1/sessions/{id}/files/content?path=  the file's bytes (file_get)
//	PUT /api/v1/sessions/{id}/files/content?path=&sha256=[&overwrite=true]   the bytes (file_put), answers Done
//	GET /api/v1/sessions/{id}/sysinfo              SysInfo (sysinfo)
//
// A refused stream is an HTTP error (problem+json) before anything is
// streamed; a shell's WebSocket is upgraded only once the endpoint opened
// the shell.
//
// On the terminal WebSocket, binary messages carry the terminal's bytes
// both ways (the browser's to the shell's input, the shell's output to the
// browser); text messages are TerminalMessage JSON: from the browser
// "resize" (Cols, Rows) and "signal" (Signal); from the appliance "notice",
// "exit" (Code, Signal), "error" and "ended" (Message, EndReason) — the
// shell ended, or the session or the browser's place in it did.
//
// A download's answer carries X-Jumpgate-Size (the file's size, as the
// endpoint saw it when the transfer started) and the trailer
// X-Jumpgate-SHA256: the SHA-256 of the whole file that the endpoint
// computed, which the appliance compared with the bytes it relayed. A
// transfer that fails, or whose bytes do not match, is aborted, so the
// client sees a broken answer rather than a short or wrong file.

// TerminalSubprotocol is the WebSocket subprotocol of a browser's terminal.
const TerminalSubprotocol = "jumpgate-terminal.v1"

// Terminal message types.
const (
	TerminalResize = "resize"
	TerminalSignal = "signal"
	TerminalNotice = "notice"
	TerminalExit   = "exit"
	TerminalError  = "error"
	TerminalEnded  = "ended"
)

// TerminalMessage is a text message of a browser's terminal WebSocket.
type TerminalMessage struct {
	Type      string `json:"type"`
	Cols      int    `json:"cols,omitempty"`
	Rows      int    `json:"rows,omitempty"`
	Signal    string `json:"signal,omitempty"`
	Code      int    `json:"code,omitempty"`
	Message   string `json:"message,omitempty"`
	EndReason string `json:"end_reason,omitempty"`
}

// Headers of a browser's download.
const (
	HeaderSize   = "X-Jumpgate-Size"
	HeaderSHA256 = "X-Jumpgate-SHA256"
)
