package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/jumpgate/jumpgate/api/sessionproto"
	"github.com/jumpgate/jumpgate/cli/internal/channel"
)

// sessionHelp is the part of every session command's help that says how
// sessions start and end.
const sessionHelp = `The command starts a session on the item (and ends it when it finishes)
unless --session names an existing one, e.g. a session a customer joined with
an access code; then leave out the item. A refused session is one line that
says why. While the end user is asked to accept, the command waits and says
until when. Warnings (the session ends soon) and notices appear on stderr; if
the session ends remotely the command stops with the reason and a non-zero
exit status.

Items are named by client:ID, tunnel:ID, an id, or a name (see 'jumpgate
items list').`

func newShellCmd(e env, f *connFlags) *cobra.Command {
	sf := &sessionFlags{}
	cmd := &cobra.Command{
		Use:   "shell <client> [--ticket ID] [--mode unattended|consent] [--session ID]",
		Short: "Open an interactive shell on a Jump Client",
		Long: `shell opens the session user's login shell on a Jump Client, in a
pseudo-terminal. When stdin is a terminal it is put in raw mode, so every key,
Ctrl-C included, goes to the remote shell, and window size changes follow;
otherwise stdin and stdout are plain pipes. The exit status of the shell
becomes the command's.

` + sessionHelp,
		Example: `  jumpgate shell web-01
  jumpgate shell client:12 --ticket INC-4711 --mode consent
  jumpgate shell --session 57
  echo 'uptime; exit' | jumpgate shell web-01`,
		RunE: func(cmd *cobra.Command, args []string) error {
			itemArg, _, err := sf.splitItemArg(args, 0, 0, "none")
			if err != nil {
				return err
			}
			return e.inSession(cmd.Context(), f, sf, sessionJob{itemArg: itemArg, allowed: refClient,
				run: func(ctx context.Context, ls *liveSession) error {
					return e.runProcess(ctx, ls, sessionproto.Open{Type: sessionproto.StreamShell}, true)
				}})
		},
	}
	addSessionFlags(cmd, sf)
	return cmd
}

func newRunCmd(e env, f *connFlags) *cobra.Command {
	sf := &sessionFlags{}
	var tty bool
	cmd := &cobra.Command{
		Use:   "run <client> [flags] -- COMMAND [ARG...]",
		Short: "Run a command on a Jump Client",
		Long: `run runs one command on a Jump Client as the session user and passes its
stdout and stderr through. COMMAND is looked up in the remote PATH; it is not
run by a shell, so run 'sh -c "…"' for pipes and globs. The remote exit status
becomes the command's own.

Stdin is forwarded when it is not a terminal (a pipe or a file). With -t the
command runs in a pseudo-terminal and, when stdin is a terminal, gets the
keyboard in raw mode like 'shell'.

Flags of run go before the item; everything after the item (or after --) is
the remote command.

` + sessionHelp,
		Example: `  jumpgate run web-01 -- uname -a
  jumpgate run client:12 -- sh -c 'df -h | sort'
  tar cz ./site | jumpgate run web-01 -- tar xz -C /srv
  jumpgate run -t web-01 -- top
  jumpgate run --session 57 -- id`,
		RunE: func(cmd *cobra.Command, args []string) error {
			itemArg, command, err := runArgs(sf.sessionID > 0, args, cmd.ArgsLenAtDash())
			if err != nil {
				return err
			}
			if rest := args; itemArg != "" && len(rest) > 0 && cmd.ArgsLenAtDash() != 0 {
				if err := flagAfterItem(cmd.Flags(), itemArg, rest[1:]); err != nil {
					return err
				}
			}
			return e.inSession(cmd.Context(), f, sf, sessionJob{itemArg: itemArg, allowed: refClient,
				run: func(ctx context.Context, ls *liveSession) error {
					return e.runProcess(ctx, ls, sessionproto.Open{Type: sessionproto.StreamExec, Command: command, TTY: tty}, tty)
				}})
		},
	}
	// Everything after the item is the remote command, its flags included.
	cmd.Flags().SetInterspersed(false)
	cmd.Flags().BoolVarP(&tty, "tty", "t", false, "run the command in a pseudo-terminal")
	addSessionFlags(cmd, sf)
	return cmd
}

// runArgs splits run's arguments into the item and the remote command.
// Flags end at the first argument, so a -- after the item arrives as an
// argument; one before it is cobra's (dash is where it was).
func runArgs(withSession bool, args []string, dash int) (string, []string, error) {
	const usage = "want the item, then the command: jumpgate run web-01 -- uname -a"
	item := ""
	if !withSession {
		if len(args) == 0 || dash == 0 {
			return "", nil, errors.New(usage)
		}
		item, args = args[0], args[1:]
	}
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 {
		if withSession {
			return "", nil, errors.New("want the command: jumpgate run --session ID -- uname -a")
		}
		return "", nil, errors.New(usage)
	}
	return item, args, nil
}

// flagAfterItem refuses a flag of run written after the item: flags end
// at the item, so `run web-01 --mode consent -- id` would run "--mode" on
// the endpoint (in a session started with the default mode). rest is what
// follows the item. Unless it starts with "--" (then all of it is the
// command), a known flag first in it, or anywhere before a later "--", is
// taken for that mistake; anything else is the remote command's own.
func flagAfterItem(fs *pflag.FlagSet, item string, rest []string) error {
	if len(rest) == 0 || rest[0] == "--" {
		return nil
	}
	dash := slices.Index(rest, "--")
	for i, a := range rest {
		if i > 0 && (dash < 0 || i >= dash) {
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			continue
		}
		var f *pflag.Flag
		if name, ok := strings.CutPrefix(a, "--"); ok {
			name, _, _ = strings.Cut(name, "=")
			f = fs.Lookup(name)
		} else if len(a) >= 2 {
			f = fs.ShorthandLookup(a[1:2])
		}
		if f != nil {
			return fmt.Errorf("%s is a flag of jumpgate run, written after the item %s: flags go before the item, as in jumpgate run [flags] %s -- COMMAND", a, item, item)
		}
	}
	return nil
}

// runProcess runs a shell or exec stream on the user's terminal or pipes
// and turns its exit status into the command's.
func (e env) runProcess(ctx context.Context, ls *liveSession, o sessionproto.Open, wantTTY bool) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s := channel.Stdio{Stdout: e.stdout, Stderr: e.stderr, Notice: func(m string) { ls.out.printf("%s", m) }}
	t := channel.OpenTerminal(e.stdin, e.stdout)
	switch {
	case t != nil && wantTTY:
		size := t.Size()
		o.Cols, o.Rows = size.Cols, size.Rows
		o.Term = e.getenv("TERM")
		if err := t.MakeRaw(); err != nil {
			return fmt.Errorf("put the terminal in raw mode: %w", err)
		}
		defer t.Restore()
		ls.out.setRaw(t.Raw)
		defer ls.out.setRaw(nil)
		s.Stdin = e.stdin
		s.Resize = t.WatchSize(ctx)
	case t != nil:
		// A terminal without -t: the command gets no input, as if </dev/null.
	default:
		s.Stdin = e.stdin
	}
	exit, err := channel.RunProcess(ctx, ls.ch, o, s)
	if err != nil {
		return streamError(o.Type, err)
	}
	return exitStatus(exit)
}

// exitStatus turns a remote Exit into the CLI's: 0 is success; another code
// becomes ours; a signal is 128 plus its number, as a shell reports it.
func exitStatus(x *sessionproto.Exit) error {
	if x.Signal != "" {
		code := 128 + signalNumber(x.Signal)
		if x.Code != 0 && x.Code != -1 {
			code = x.Code
		}
		return &exitError{code: clampExit(code), err: fmt.Errorf("the remote process was killed by signal %s", x.Signal)}
	}
	if x.Code == 0 {
		return nil
	}
	return &exitError{code: clampExit(x.Code)}
}

// clampExit keeps an exit status in 1..255, where a remote code outside
// (a Windows status, -1) would otherwise wrap to success.
func clampExit(code int) int {
	if code < 1 || code > 255 {
		return 255
	}
	return code
}

// signalNumber is the POSIX number of a signal name (INT, SIGKILL); 127
// when unknown, which makes 255.
func signalNumber(name string) int {
	switch strings.TrimPrefix(strings.ToUpper(name), "SIG") {
	case "HUP":
		return 1
	case "INT":
		return 2
	case "QUIT":
		return 3
	case "ILL":
		return 4
	case "ABRT":
		return 6
	case "KILL":
		return 9
	case "SEGV":
		return 11
	case "PIPE":
		return 13
	case "ALRM":
		return 14
	case "TERM":
		return 15
	}
	return 127
}

// streamError explains a refused stream.
func streamError(typ string, err error) error {
	var r *sessionproto.RefusedError
	if !errors.As(err, &r) {
		return err
	}
	what := strings.ReplaceAll(typ, "_", " ")
	hint := ""
	switch r.Code {
	case sessionproto.CodePermission:
		hint = " — the session policy does not allow it"
	case sessionproto.CodeRevoked:
		hint = " — the end user revoked control"
	case sessionproto.CodeExists:
		hint = " — pass --overwrite to replace it"
	case sessionproto.CodeOffline:
		hint = " — the endpoint is not connected"
	}
	return fmt.Errorf("%s refused: %w%s", what, err, hint)
}
