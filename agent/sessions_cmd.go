package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/jumpgate/jumpgate/agent/internal/localctl"
	"github.com/jumpgate/jumpgate/agent/internal/prompt"
	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/api/agentproto"
)

// Output formats of -o.
const (
	outputTable = "table"
	outputJSON  = "json"
)

// consentCmd is `consent list|accept|reject`: the end user's answer to a
// representative's request to connect.
func (e env) consentCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "consent list|accept ID|reject ID",
		Short: "See and answer requests to start a session on this computer",
		Long: "See and answer the consent prompts of the agent installed in --dir: a\n" +
			"representative asks to start a remote support session on this computer.\n" +
			"Talks to the running agent through its control socket (<dir>/run/ctl.sock).",
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.PersistentFlags().String("dir", "", "the install dir (default: the dir of this executable)")
	list := &cobra.Command{
		Use:   "list",
		Short: "List the requests waiting for an answer",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return e.listSessions(cmd, func(s agentproto.SessionInfo) bool { return s.Status == api.SessionPrompting },
				"No request is waiting for an answer.")
		},
	}
	addOutputFlag(list)
	answer := func(accept bool) func(*cobra.Command, []string) error {
		return func(cmd *cobra.Command, args []string) error {
			return e.sessionAction(cmd, args[0], func(ctx context.Context, c *localctl.Client, id int64) (string, string, error) {
				if err := c.Answer(ctx, id, accept); err != nil {
					return "", "", err
				}
				if accept {
					return fmt.Sprintf("Accepted the request of session %d.", id), "", nil
				}
				return fmt.Sprintf("Rejected the request of session %d.", id), "", nil
			})
		}
	}
	cmd.AddCommand(list,
		&cobra.Command{Use: "accept ID", Short: "Accept a request: let the representative in", Args: oneID, RunE: answer(true)},
		&cobra.Command{Use: "reject ID", Short: "Reject a request", Args: oneID, RunE: answer(false)},
	)
	return cmd
}

// sessionsCmd is `sessions list|watch|revoke|restore|end`: the end user's
// view and control of the sessions on this computer.
func (e env) sessionsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sessions list|watch|revoke ID|restore ID|end ID",
		Short: "See and control the remote support sessions on this computer",
		Long: "See and control the sessions of the agent installed in --dir: list or watch\n" +
			"them, revoke the representative's control (viewing goes on) or give it back,\n" +
			"and end a session. Talks to the running agent through its control socket\n" +
			"(<dir>/run/ctl.sock).",
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.PersistentFlags().String("dir", "", "the install dir (default: the dir of this executable)")
	list := &cobra.Command{
		Use:   "list",
		Short: "List the sessions: waiting for consent or active",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return e.listSessions(cmd, func(agentproto.SessionInfo) bool { return true }, "No sessions.")
		},
	}
	addOutputFlag(list)
	watch := &cobra.Command{
		Use:   "watch",
		Short: "Print the sessions, then a line for every change, until interrupted",
		Args:  noArgs,
		RunE:  e.watchSessions,
	}
	addOutputFlag(watch)
	control := func(revoked bool) func(*cobra.Command, []string) error {
		return func(cmd *cobra.Command, args []string) error {
			return e.sessionAction(cmd, args[0], func(ctx context.Context, c *localctl.Client, id int64) (string, string, error) {
				warning, err := c.SetControl(ctx, id, revoked)
				if err != nil {
					return "", "", err
				}
				if revoked {
					return fmt.Sprintf("Revoked the representative's control of session %d: viewing goes on, acting on this computer does not.", id), warning, nil
				}
				return fmt.Sprintf("Gave the representative control of session %d back.", id), warning, nil
			})
		}
	}
	end := &cobra.Command{
		Use:   "end ID [--reason TEXT]",
		Short: "End a session",
		Args:  oneID,
		RunE: func(cmd *cobra.Command, args []string) error {
			reason, _ := cmd.Flags().GetString("reason")
			return e.sessionAction(cmd, args[0], func(ctx context.Context, c *localctl.Client, id int64) (string, string, error) {
				warning, err := c.End(ctx, id, reason)
				if err != nil {
					return "", "", err
				}
				return fmt.Sprintf("Ended session %d.", id), warning, nil
			})
		},
	}
	end.Flags().String("reason", "", "why, in your words (the representative sees it)")
	cmd.AddCommand(list, watch,
		&cobra.Command{Use: "revoke ID", Short: "Revoke the representative's control (viewing goes on)", Args: oneID, RunE: control(true)},
		&cobra.Command{Use: "restore ID", Short: "Give the representative control back", Args: oneID, RunE: control(false)},
		end,
	)
	return cmd
}

func addOutputFlag(cmd *cobra.Command) {
	cmd.Flags().StringP("output", "o", outputTable, "output format: table or json")
}

// outputOf returns the -o flag, checked.
func outputOf(cmd *cobra.Command) (string, error) {
	o, _ := cmd.Flags().GetString("output")
	if o != outputTable && o != outputJSON {
		return "", usage(fmt.Errorf("-o %q: want table or json", o))
	}
	return o, nil
}

// oneID takes exactly one argument, a session id.
func oneID(cmd *cobra.Command, args []string) error {
	if len(args) != 1 {
		return usage(fmt.Errorf("%s takes one session ID (see %s --help)", cmd.CommandPath(), cmd.CommandPath()))
	}
	if _, err := parseID(args[0]); err != nil {
		return err
	}
	return nil
}

func parseID(s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, usage(fmt.Errorf("session ID %q is not a positive number", s))
	}
	return id, nil
}

// ctlClient returns the client of the agent installed in --dir.
func (e env) ctlClient(cmd *cobra.Command) (*localctl.Client, error) {
	dir, err := e.dirOf(cmd)
	if err != nil {
		return nil, err
	}
	return localctl.NewClient(dir), nil
}

// sessionAction runs one action on session idArg and prints its outcome,
// and its warning, if any, on stderr.
func (e env) sessionAction(cmd *cobra.Command, idArg string, do func(context.Context, *localctl.Client, int64) (msg, warning string, err error)) error {
	id, err := parseID(idArg)
	if err != nil {
		return err
	}
	c, err := e.ctlClient(cmd)
	if err != nil {
		return err
	}
	msg, warning, err := do(cmd.Context(), c, id)
	if err != nil {
		return fail(err)
	}
	fmt.Fprintln(e.stdout, msg)
	if warning != "" {
		fmt.Fprintln(e.stderr, "jumpgate-agent: warning: "+warning)
	}
	return nil
}

// listSessions prints the sessions keep selects.
func (e env) listSessions(cmd *cobra.Command, keep func(agentproto.SessionInfo) bool, none string) error {
	out, err := outputOf(cmd)
	if err != nil {
		return err
	}
	c, err := e.ctlClient(cmd)
	if err != nil {
		return err
	}
	all, err := c.List(cmd.Context())
	if err != nil {
		return fail(err)
	}
	sessions := []agentproto.SessionInfo{}
	for _, s := range all {
		if keep(s) {
			sessions = append(sessions, s)
		}
	}
	if out == outputJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(sessions)
	}
	if len(sessions) == 0 {
		fmt.Fprintln(e.stdout, none)
		return nil
	}
	writeSessionTable(e.stdout, sessions, time.Now())
	return nil
}

// writeSessionTable prints sessions as a table.
func writeSessionTable(w io.Writer, sessions []agentproto.SessionInfo, now time.Time) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATUS\tMODE\tREPRESENTATIVE\tITEM\tTIME LEFT\tCONTROL\tRECORDING\tPROMPT EXPIRES")
	for _, s := range sessions {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", s.ID, s.Status, dash(s.Mode), dash(s.Representative),
			dash(s.ItemName), timeLeft(s, now), controlText(s), onOff(s.Recording), promptExpiry(s, now))
	}
	_ = tw.Flush()
}

// watchSessions prints every session, then every change, until
// interrupted.
func (e env) watchSessions(cmd *cobra.Command, _ []string) error {
	out, err := outputOf(cmd)
	if err != nil {
		return err
	}
	c, err := e.ctlClient(cmd)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(e.stdout)
	err = c.Watch(cmd.Context(), func(s agentproto.SessionInfo) error {
		if out == outputJSON {
			return enc.Encode(s)
		}
		_, err := fmt.Fprintln(e.stdout, watchLine(s, time.Now()))
		return err
	})
	if err == nil || (errors.Is(err, context.Canceled) && cmd.Context().Err() != nil) {
		return nil
	}
	return fail(err)
}

// watchLine is one change, in words.
func watchLine(s agentproto.SessionInfo, now time.Time) string {
	parts := []string{now.Format("15:04:05"), fmt.Sprintf("session %d", s.ID), s.Status}
	if s.Mode != "" {
		parts = append(parts, s.Mode)
	}
	if s.Representative != "" {
		parts = append(parts, s.Representative)
	}
	switch s.Status {
	case api.SessionPrompting:
		parts = append(parts, "prompt expires "+promptExpiry(s, now))
	case api.SessionActive:
		parts = append(parts, "control "+controlText(s), "recording "+onOff(s.Recording), "time left "+timeLeft(s, now))
	case api.SessionEnded:
		if r := prompt.EndReasonText(s.EndReason); r != "" {
			parts = append(parts, r)
		}
	}
	line := strings.Join(parts, "  ")
	if s.Message != "" {
		line += "  (" + s.Message + ")"
	}
	return line
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

func controlText(s agentproto.SessionInfo) string {
	if s.ControlRevoked {
		return "revoked"
	}
	return "granted"
}

func timeLeft(s agentproto.SessionInfo, now time.Time) string {
	if s.EndsAt == nil {
		return "-"
	}
	return prompt.LeftText(s.EndsAt.Sub(now))
}

// promptExpiry says when a prompt expires and what happens then.
func promptExpiry(s agentproto.SessionInfo, now time.Time) string {
	if s.Prompt == nil {
		return "-"
	}
	left := s.Prompt.ExpiresAt.Sub(now)
	then := "deny"
	if s.Prompt.OnTimeout == "accept" {
		then = "accept"
	}
	switch {
	case left <= 0:
		return "expired"
	case left < time.Minute:
		return fmt.Sprintf("%ds, then %s", int(left.Round(time.Second)/time.Second), then)
	}
	return prompt.LeftText(left) + ", then " + then
}
