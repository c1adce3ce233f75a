// Package join is the customer client: `jumpgate-agent join CODE` connects
// to the appliance with a one-time access code, without an install, and
// serves the one session the code belongs to until it ends.
//
// # Flow
//
//	Connect as an agent: Auth{kind customer, intent join, code, name, facts}, unsigned
//	   ← Refused{code_invalid}: ErrCodeInvalid (unknown, used or expired)
//	   ← Welcome{session}: a session manager takes the session
//	control stream: MsgSession → Manager.Update (start, changes, end)
//	session streams: StreamSession → Manager.Serve, each in its own goroutine
//	terminal: a status block, then a line per change and the time left every
//	   minute; r revokes control, g gives it back, e ends the session, ? helps
//	SIGINT/SIGTERM (ctx): Manager.End, then close
//
// Run returns nil when the session ends, whoever ended it; losing the
// connection before the end is an error.
package join

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/jumpgate/jumpgate/agent/internal/conn"
	"github.com/jumpgate/jumpgate/agent/internal/host"
	"github.com/jumpgate/jumpgate/agent/internal/install"
	"github.com/jumpgate/jumpgate/agent/internal/prompt"
	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/api/agentproto"
	"github.com/jumpgate/jumpgate/api/sessionproto"
)

// ErrCodeInvalid is the appliance's refusal of the access code.
var ErrCodeInvalid = errors.New("the access code is not valid: it is unknown, was already used, or expired (codes are valid for 5 minutes and once)")

// ErrConnectionLost: the connection to the appliance ended before the
// session did.
var ErrConnectionLost = errors.New("lost the connection to the appliance before the session ended")

// drainTimeout bounds waiting for the appliance to close the connection
// after the session ended, so that the end reaches it.
const drainTimeout = 2 * time.Second

// Manager is what the customer client needs of the agent's session
// manager (session.Manager implements it).
type Manager interface {
	// Update applies a MsgSession.
	Update(info agentproto.SessionInfo)
	// Serve serves one session stream until it ends.
	Serve(ctx context.Context, st net.Conn, open *sessionproto.Open)
	// Sessions returns the prompting and active sessions.
	Sessions() []agentproto.SessionInfo
	// Answer answers a consent prompt.
	Answer(id int64, accept bool, by string) error
	// SetControl revokes or restores the representative's control.
	SetControl(id int64, revoked bool, by string) error
	// End ends the session from the endpoint.
	End(id int64, by, reason string) error
	// Subscribe returns every change of a session until cancel is called.
	Subscribe() (<-chan agentproto.SessionInfo, func())
	// Close ends every stream and subscription.
	Close()
}

// Config configures Run.
type Config struct {
	// URL is the appliance's base URL. Required.
	URL string
	// Code is the one-time access code. Required.
	Code string
	// Name is the customer's name, shown to the representative. Required.
	Name string
	// CAPin pins the appliance's CA ("sha256:<hex>"); at most one of CAPin
	// and CACert. With neither, the system roots are trusted.
	CAPin string
	// CACert is a PEM file's content: the only CA trusted.
	CACert []byte
	// Proxy is conn.Dialer.Proxy: "" honours HTTPS_PROXY.
	Proxy string
	// NewManager makes the session manager; send delivers its control
	// messages to the appliance. Required.
	NewManager func(send func(agentproto.Control) error) Manager
	// In is the terminal's input (commands); nil reads nothing.
	In io.Reader
	// Out is where the terminal's lines go; nil discards them.
	Out io.Writer
	// Log receives diagnostics; nil discards them.
	Log *slog.Logger
	// Now tells the time; nil is time.Now.
	Now func() time.Time
	// Facts gathers the host's facts; nil is host.Facts.
	Facts func() agentproto.Facts
	// Refresh is how often the time left is printed; 0 is a minute.
	Refresh time.Duration
}

// Validate checks the required fields and the CA options.
func (c *Config) Validate() error {
	switch {
	case c.URL == "":
		return errors.New("--url is required")
	case strings.TrimSpace(c.Code) == "":
		return errors.New("the access code is required")
	case strings.TrimSpace(c.Name) == "":
		return errors.New("--name is required")
	case c.CAPin != "" && len(c.CACert) > 0:
		return errors.New("give --ca-pin or --ca-cert, not both")
	case c.NewManager == nil:
		return errors.New("join: no session manager configured")
	}
	u, err := url.Parse(c.URL)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return fmt.Errorf("--url %q: want https://host[:port]", c.URL)
	}
	if c.CAPin != "" && !strings.HasPrefix(c.CAPin, "sha256:") {
		return fmt.Errorf("--ca-pin %q: want sha256:<hex>", c.CAPin)
	}
	return nil
}

func (c *Config) withDefaults() {
	if c.Out == nil {
		c.Out = io.Discard
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Refresh <= 0 {
		c.Refresh = time.Minute
	}
	if c.Facts == nil {
		applianceHost := ""
		if u, err := url.Parse(c.URL); err == nil {
			applianceHost = u.Host
		}
		c.Facts = func() agentproto.Facts {
			return host.Facts(host.InstallModeUser, install.Platform(runtime.GOOS, runtime.GOARCH), applianceHost)
		}
	}
}

// dialer builds the connection's dialer from the CA options.
func (c *Config) dialer() (*conn.Dialer, error) {
	d := &conn.Dialer{URL: c.URL, Proxy: c.Proxy, UserAgent: "jumpgate-agent/" + api.Version + " (customer)", Log: c.Log}
	switch {
	case c.CAPin != "":
		d.CAPin = c.CAPin
	case len(c.CACert) > 0:
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(c.CACert) {
			return nil, errors.New("--ca-cert holds no PEM certificate")
		}
		d.TLSConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	default:
		d.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	return d, nil
}

// Run joins the session of cfg.Code and serves it until it ends (nil),
// the connection is lost (ErrConnectionLost) or ctx ends, which ends the
// session first (nil). A refused code is ErrCodeInvalid.
func Run(ctx context.Context, cfg Config) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	cfg.withDefaults()
	d, err := cfg.dialer()
	if err != nil {
		return err
	}
	// The session must outlive ctx long enough to tell the appliance that
	// the customer ended it; until Welcome, ctx aborts the connection.
	sctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	defer stop()
	abort := context.AfterFunc(ctx, stop)
	sess, err := d.Connect(sctx, nil, agentproto.Auth{
		Kind: agentproto.KindCustomer, Intent: agentproto.IntentJoin,
		Code: strings.TrimSpace(cfg.Code), Name: strings.TrimSpace(cfg.Name),
		Version: api.Version, Facts: cfg.Facts(),
	})
	if !abort() {
		if sess != nil {
			sess.Close()
		}
		return ctx.Err()
	}
	var re *conn.RefusedError
	switch {
	case errors.As(err, &re) && re.Refused.Code == agentproto.RefusedCode:
		return ErrCodeInvalid
	case errors.As(err, &re):
		return fmt.Errorf("the appliance refused to join: %w", err)
	case err != nil:
		return err
	}
	defer sess.Close()
	if sess.Welcome.Session == nil {
		return errors.New("the appliance accepted the code but named no session")
	}
	m := cfg.NewManager(sess.Control.Send)
	c := &client{cfg: cfg, sess: sess, m: m, id: sess.Welcome.Session.ID}
	return c.run(ctx, sctx, stop, *sess.Welcome.Session)
}

// client is one joined session.
type client struct {
	cfg  Config
	sess *conn.Session
	m    Manager
	id   int64
	last agentproto.SessionInfo
}

// run serves the session: ctx is the user's (its end ends the session),
// sctx the connection's, which stop ends.
func (c *client) run(ctx, sctx context.Context, stop context.CancelFunc, first agentproto.SessionInfo) error {
	var wg sync.WaitGroup
	done := make(chan struct{})
	defer func() {
		close(done)
		stop()
		c.m.Close()
		c.sess.Close()
		wg.Wait()
	}()
	changes, cancel := c.m.Subscribe()
	defer cancel()

	msgs := make(chan agentproto.Control)
	recvErr := make(chan error, 1)
	wg.Go(func() {
		for {
			msg, err := c.sess.Control.Recv()
			if err != nil {
				recvErr <- err
				return
			}
			select {
			case msgs <- msg:
			case <-done:
				return
			}
		}
	})
	wg.Go(func() { c.acceptStreams(sctx, &wg) })
	cmds := make(chan string)
	if c.cfg.In != nil {
		// A read from a terminal cannot be interrupted, so this goroutine
		// may outlive Run; it only ever hands over lines.
		go readCommands(c.cfg.In, cmds, done)
	}

	c.m.Update(first)
	c.last = first
	c.printWelcome(first)
	tick := time.NewTicker(c.cfg.Refresh)
	defer tick.Stop()
	var ended bool
	for !ended {
		select {
		case <-ctx.Done():
			c.printf("Ending the session…")
			if err := c.m.End(c.id, c.cfg.Name, "the customer closed the client"); err != nil {
				c.cfg.Log.Warn("could not end the session cleanly", "err", err)
			}
			// The manager publishes the end; print it below.
			ended = c.drainChanges(changes)
			if !ended {
				return nil
			}
		case s, ok := <-changes:
			if !ok {
				return ErrConnectionLost
			}
			ended = c.change(s)
		case msg := <-msgs:
			if msg.Type == agentproto.MsgSession && msg.Session != nil && msg.Session.ID == c.id {
				c.m.Update(*msg.Session)
			}
		case err := <-recvErr:
			c.cfg.Log.Debug("control stream ended", "err", err)
			// The appliance may close right after its last MsgSession.
			if c.drainMessages(msgs, changes) {
				return nil
			}
			c.printf("Lost the connection to the appliance.")
			return ErrConnectionLost
		case <-tick.C:
			if c.last.Status == api.SessionActive {
				c.printf("%s", c.statusLine(c.last))
			}
		case cmd := <-cmds:
			ended = c.command(cmd)
		}
	}
	c.waitClose(recvErr)
	return nil
}

// acceptStreams serves the session streams the appliance opens until the
// connection closes.
func (c *client) acceptStreams(ctx context.Context, wg *sync.WaitGroup) {
	for {
		st, h, err := c.sess.AcceptStream()
		if err != nil {
			return
		}
		if h.Type != agentproto.StreamSession {
			st.Close()
			continue
		}
		wg.Go(func() { c.m.Serve(ctx, st, h.Open) })
	}
}

// drainChanges prints the changes already published and reports whether
// the session ended among them.
func (c *client) drainChanges(changes <-chan agentproto.SessionInfo) bool {
	for {
		select {
		case s, ok := <-changes:
			if !ok {
				return false
			}
			if c.change(s) {
				return true
			}
		default:
			return false
		}
	}
}

// drainMessages applies the messages the appliance sent before it closed
// and reports whether the session ended.
func (c *client) drainMessages(msgs <-chan agentproto.Control, changes <-chan agentproto.SessionInfo) bool {
	for {
		select {
		case msg := <-msgs:
			if msg.Type == agentproto.MsgSession && msg.Session != nil && msg.Session.ID == c.id {
				c.m.Update(*msg.Session)
			}
		default:
			return c.drainChanges(changes)
		}
	}
}

// waitClose gives the appliance a moment to take the end and close.
func (c *client) waitClose(recvErr <-chan error) {
	t := time.NewTimer(drainTimeout)
	defer t.Stop()
	select {
	case <-recvErr:
	case <-t.C:
	}
}

// change prints what changed in s and reports whether the session ended.
func (c *client) change(s agentproto.SessionInfo) bool {
	if s.ID != c.id {
		return false
	}
	prev := c.last
	c.last = s
	switch s.Status {
	case api.SessionEnded:
		msg := "The session ended"
		if r := prompt.EndReasonText(s.EndReason); r != "" {
			msg += ": " + r
		}
		if s.Message != "" && s.Message != prev.Message {
			msg += " (" + s.Message + ")"
		}
		c.printf("%s.", msg)
		return true
	case api.SessionPrompting:
		if prev.Status != api.SessionPrompting || prev.Prompt == nil {
			c.printPrompt(s)
		}
		return false
	}
	if prev.Status != api.SessionActive {
		c.printf("%s is connected.", who(s))
	}
	if s.ControlRevoked != prev.ControlRevoked {
		if s.ControlRevoked {
			c.printf("Control revoked: %s can no longer act on this computer (viewing goes on). Type g to give it back.", who(s))
		} else {
			c.printf("Control given back to %s.", who(s))
		}
	}
	if s.Message != "" && s.Message != prev.Message {
		c.printf("Notice: %s", s.Message)
	}
	c.printf("%s", c.statusLine(s))
	return false
}

// command runs one typed command and reports whether it ended the session.
func (c *client) command(line string) bool {
	cmd := strings.ToLower(strings.TrimSpace(line))
	var err error
	switch cmd {
	case "":
		return false
	case "?", "h", "help":
		c.printHelp()
		return false
	case "r":
		err = c.m.SetControl(c.id, true, c.cfg.Name)
	case "g":
		err = c.m.SetControl(c.id, false, c.cfg.Name)
	case "e":
		err = c.m.End(c.id, c.cfg.Name, "ended by the customer")
	case "y", "n":
		if c.last.Status != api.SessionPrompting {
			c.printf("Nothing to answer. Type ? for help.")
			return false
		}
		err = c.m.Answer(c.id, cmd == "y", c.cfg.Name)
	default:
		c.printf("Unknown command %q. Type ? for help.", cmd)
		return false
	}
	if err != nil {
		c.printf("Could not do that: %v", err)
	}
	return false
}

func (c *client) printWelcome(s agentproto.SessionInfo) {
	c.printf("Connected to %s as %q.", c.cfg.URL, strings.TrimSpace(c.cfg.Name))
	mode := s.Mode
	if mode == api.ModeAccessCode {
		mode = "access code"
	}
	c.println(fmt.Sprintf("Session %d with %s (%s)", s.ID, who(s), mode))
	if s.Recording {
		c.println("  Recording: on (shell sessions are recorded)")
	} else {
		c.println("  Recording: off")
	}
	if p := prompt.PermissionsText(s.Permissions); p != "" {
		c.println("  Allowed:   " + p)
	}
	c.println("  Time left: " + c.left(s))
	if s.Status == api.SessionPrompting {
		c.printPrompt(s)
	}
	c.printHelp()
}

func (c *client) printPrompt(s agentproto.SessionInfo) {
	q := who(s) + " asks to connect."
	if s.Prompt != nil && s.Prompt.Message != "" {
		q = s.Prompt.Message
	}
	c.printf("%s Type y to accept or n to reject.", q)
}

func (c *client) printHelp() {
	c.println("Type r + Enter to revoke control, g to give it back, e to end the session, ? for help. Ctrl-C ends the session too.")
}

func (c *client) statusLine(s agentproto.SessionInfo) string {
	control := "granted"
	if s.ControlRevoked {
		control = "revoked"
	}
	rec := "off"
	if s.Recording {
		rec = "on"
	}
	return fmt.Sprintf("%s · control %s · recording %s · time left %s", who(s), control, rec, c.left(s))
}

func (c *client) left(s agentproto.SessionInfo) string {
	if s.EndsAt == nil {
		return "no limit"
	}
	return prompt.LeftText(s.EndsAt.Sub(c.cfg.Now()))
}

// printf writes one timestamped line.
func (c *client) printf(format string, args ...any) {
	c.println("[" + c.cfg.Now().Local().Format("15:04") + "] " + fmt.Sprintf(format, args...))
}

func (c *client) println(s string) {
	fmt.Fprintln(c.cfg.Out, s)
}

func who(s agentproto.SessionInfo) string {
	if s.Representative == "" {
		return "the representative"
	}
	return s.Representative
}

// readCommands hands over r's lines until r ends or done closes.
func readCommands(r io.Reader, cmds chan<- string, done <-chan struct{}) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		select {
		case cmds <- sc.Text():
		case <-done:
			return
		}
	}
}
