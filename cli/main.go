// Command jumpgate is the representative's and administrator's CLI for a
// Jumpgate appliance. It reaches the appliance only through the public HTTP
// API, by way of the api package.
//
// The connection is resolved per command from the --url, --token and
// --ca-cert flags, then the JUMPGATE_URL, JUMPGATE_TOKEN and JUMPGATE_CA_CERT
// environment variables, then the credentials stored by "jumpgate login".
package main

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/jumpgate/jumpgate/api"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// env is what a command may read from its surroundings; tests replace it.
type env struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
	now    func() time.Time
}

// run executes the CLI with args (without the program name) and returns the
// process exit code: 0 on success, 1 on any error, which is printed as one
// line on stderr, or the exit status of a remote command ('run', 'shell').
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return env{stdin: os.Stdin, stdout: stdout, stderr: stderr, getenv: os.Getenv, now: time.Now}.run(ctx, args)
}

func (e env) run(ctx context.Context, args []string) int {
	root := newRootCmd(e)
	root.SetArgs(args)
	if err := root.ExecuteContext(ctx); err != nil {
		// A remote command's exit status becomes ours, silently.
		var exit *exitError
		if errors.As(err, &exit) {
			if exit.err != nil {
				fmt.Fprintln(e.stderr, "jumpgate: "+describe(exit.err))
			}
			return exit.code
		}
		fmt.Fprintln(e.stderr, "jumpgate: "+describe(err))
		return 1
	}
	return 0
}

// describe renders err for the user, with a hint for the errors whose fix is
// not obvious from the message.
func describe(err error) string {
	msg := err.Error()
	var unknownCA x509.UnknownAuthorityError
	switch {
	case errors.As(err, &unknownCA):
		msg += " (the appliance's certificate is not trusted: pass --ca-cert <data-dir>/ca.pem or set " + api.EnvCACert + ")"
	case errors.Is(err, api.ErrUnauthorized):
		msg += " (the token was rejected: check it, or run 'jumpgate login' again)"
	case errors.Is(err, api.ErrPreconditionFailed):
		msg += " (the object changed since that version was read, so this write was refused: read it again and retry)"
	}
	return fieldLines(err, msg)
}

// fieldLines moves the field errors of a problem from the end of msg, where
// Problem.Error lists them inline, to lines of their own: "field: detail".
func fieldLines(err error, msg string) string {
	fes := api.FieldErrors(err)
	if len(fes) == 0 {
		return msg
	}
	inline := make([]string, len(fes))
	lines := make([]string, len(fes))
	for i, fe := range fes {
		inline[i] = fe.Field + ": " + fe.Detail
		lines[i] = "\n" + cleanCell(fe.Field) + ": " + cleanCell(fe.Detail)
	}
	msg = strings.Replace(msg, " ("+strings.Join(inline, "; ")+")", "", 1)
	return msg + strings.Join(lines, "")
}
