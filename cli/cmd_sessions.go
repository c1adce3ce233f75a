package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/jumpgate/jumpgate/api"
)

func newSessionsCmd(e env, f *connFlags) *cobra.Command {
	sessions := &cobra.Command{
		Use:   "sessions",
		Short: "List, inspect and end sessions",
		Long: `sessions shows the sessions you may see (admins see all), ends them and
records the end-of-session survey. Sessions are started by shell, run, files,
sysinfo and tunnel.`,
	}
	sessions.AddCommand(newSessionsListCmd(e, f), newSessionsShowCmd(e, f), newSessionsEndCmd(e, f), newSessionsFeedbackCmd(e, f))
	return sessions
}

func newSessionsListCmd(e env, f *connFlags) *cobra.Command {
	var output, status, user string
	var all bool
	cmd := &cobra.Command{
		Use:   "list [--status S] [--all] [-o json]",
		Short: "List sessions",
		Long: `sessions list prints the sessions that are prompting or active. --all adds
ended and refused ones; --status shows one status only (refused, prompting,
active or ended); --user one representative's.`,
		Example: `  jumpgate sessions list
  jumpgate sessions list --all --user alice -o json
  jumpgate sessions list --status refused`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			statuses, err := sessionStatuses(status, all)
			if err != nil {
				return err
			}
			c, err := e.client(f)
			if err != nil {
				return err
			}
			var out []api.Session
			for _, st := range statuses {
				opts := &api.ListOptions{Limit: maxPageSize, Filters: map[string]string{}}
				if st != "" {
					opts.Filters["status"] = st
				}
				if user != "" {
					opts.Filters["username"] = user
				}
				page, err := api.ListAll(cmd.Context(), c.ListSessions, opts)
				if err != nil {
					return err
				}
				out = append(out, page...)
			}
			sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
			if out == nil {
				out = []api.Session{}
			}
			if output == outputJSON {
				return writeJSON(e.stdout, out)
			}
			return writeSessions(e.stdout, out)
		},
	}
	addOutputFlag(cmd, &output)
	cmd.Flags().StringVar(&status, "status", "", "only sessions with this status: refused, prompting, active or ended")
	cmd.Flags().BoolVar(&all, "all", false, "include ended and refused sessions")
	cmd.Flags().StringVar(&user, "user", "", "only sessions of this representative (username)")
	return cmd
}

// sessionStatuses are the status filters of sessions list: "" is every
// status.
func sessionStatuses(status string, all bool) ([]string, error) {
	switch {
	case status != "" && all:
		return nil, errors.New("--status and --all do not go together")
	case all:
		return []string{""}, nil
	case status == "":
		return []string{api.SessionPrompting, api.SessionActive}, nil
	}
	switch status {
	case api.SessionRefused, api.SessionPrompting, api.SessionActive, api.SessionEnded:
		return []string{status}, nil
	}
	return nil, fmt.Errorf("--status %q: want refused, prompting, active or ended", status)
}

// writeSessions prints sessions as a table.
func writeSessions(w io.Writer, sessions []api.Session) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tITEM\tUSER\tMODE\tSTATUS\tSTARTED\tENDS/ENDED\tREASON")
	for _, s := range sessions {
		started := s.RequestedAt
		if s.StartedAt != nil {
			started = *s.StartedAt
		}
		end := ""
		switch {
		case s.EndedAt != nil:
			end = s.EndedAt.Format(time.RFC3339)
		case s.EndsAt != nil:
			end = s.EndsAt.Format(time.RFC3339)
		}
		reason := s.EndReason
		if s.RefusedReason != "" {
			reason = s.RefusedReason
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", s.ID, cleanCell(sessionItem(&s)), cleanCell(s.Username), s.Mode, s.Status,
			started.Format(time.RFC3339), end, reason)
	}
	return tw.Flush()
}

// sessionItem names a session's item as the user would: client:12 (web-01).
func sessionItem(s *api.Session) string {
	switch s.ItemType {
	case api.ItemJumpClient, api.ItemProtocolTunnelJump:
		return refKind(s.ItemType) + ":" + strconv.FormatInt(s.ItemID, 10) + " (" + s.ItemName + ")"
	case api.ItemCustomerClient:
		name := s.CustomerName
		if name == "" {
			name = s.ItemName
		}
		return "customer (" + name + ")"
	}
	return s.ItemType + ":" + strconv.FormatInt(s.ItemID, 10)
}

// parseID reads a positive id argument.
func parseID(what, s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id < 1 {
		return 0, fmt.Errorf("invalid %s id %q: want a positive number", what, s)
	}
	return id, nil
}

func newSessionsShowCmd(e env, f *connFlags) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "show ID",
		Short: "Show one session",
		Long: `sessions show prints a session: its item, representative, status, times,
policies and permissions, then its participants, tunnel statistics and
recordings. -o json prints the appliance's object.`,
		Example: `  jumpgate sessions show 57
  jumpgate sessions show 57 -o json | jq .tunnels`,
		Args: exactArgs(1, "sessions show needs a session id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			id, err := parseID("session", args[0])
			if err != nil {
				return err
			}
			c, err := e.client(f)
			if err != nil {
				return err
			}
			s, err := c.GetSession(cmd.Context(), id)
			if err != nil {
				return err
			}
			if output == outputJSON {
				return writeJSON(e.stdout, s)
			}
			return writeSession(e.stdout, s)
		},
	}
	addOutputFlag(cmd, &output)
	return cmd
}

// writeSession prints one session for people.
func writeSession(w io.Writer, s *api.Session) error {
	tw := tabwriter.NewWriter(w, 0, 4, 1, ' ', 0)
	row := func(k, v string) {
		if v != "" {
			fmt.Fprintf(tw, "%s:\t%s\n", k, cleanCell(v))
		}
	}
	ts := func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.Format(time.RFC3339)
	}
	row("ID", strconv.FormatInt(s.ID, 10))
	row("Item", sessionItem(s))
	row("User", s.Username)
	row("Mode", s.Mode)
	status := s.Status
	switch {
	case s.RefusedReason != "":
		status += " (" + s.RefusedReason + ")"
	case s.EndReason != "":
		status += " (" + endText(s.EndReason, s.EndedBy) + ")"
	}
	row("Status", status)
	row("Detail", s.Detail)
	row("Ticket", s.TicketID)
	row("Reason", s.Reason)
	row("Requested", s.RequestedAt.Format(time.RFC3339))
	row("Started", ts(s.StartedAt))
	row("Ends", ts(s.EndsAt))
	if s.RemainingSeconds != nil {
		row("Remaining", (time.Duration(*s.RemainingSeconds) * time.Second).String())
	}
	row("Ended", ts(s.EndedAt))
	row("Ended by", s.EndedBy)
	if s.JumpPolicyID != nil {
		row("Jump policy", strconv.FormatInt(*s.JumpPolicyID, 10))
	}
	if s.SessionPolicyID != nil {
		row("Session policy", strconv.FormatInt(*s.SessionPolicyID, 10))
	} else {
		row("Session policy", "built-in default")
	}
	row("Permissions", grantedPermissions(s.Permissions))
	if s.CustomerPresent != nil {
		row("Customer present", strconv.FormatBool(*s.CustomerPresent))
	}
	row("Customer", s.CustomerName)
	row("Recording", strconv.FormatBool(s.Recording))
	if s.ControlRevoked {
		row("Control", "revoked by the end user")
	}
	row("Auto end", strconv.FormatBool(s.AutoEnd))
	if s.Rating != nil {
		row("Rating", strconv.Itoa(*s.Rating)+"/5")
	}
	row("Feedback", s.Feedback)
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(s.Participants) > 0 {
		fmt.Fprintln(w, "\nParticipants:")
		tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  USER\tJOINED\tLEFT")
		for _, p := range s.Participants {
			fmt.Fprintf(tw, "  %s\t%s\t%s\n", cleanCell(p.Username), p.JoinedAt.Format(time.RFC3339), ts(p.LeftAt))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if len(s.Tunnels) > 0 {
		fmt.Fprintln(w, "\nTunnels:")
		tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  TARGET\tOPEN\tTOTAL\tREFUSED\tIN\tOUT")
		for _, t := range s.Tunnels {
			fmt.Fprintf(tw, "  %s\t%d\t%d\t%d\t%s\t%s\n", hostPort(t.Host, t.RemotePort), t.ConnectionsOpen, t.ConnectionsTotal,
				t.ConnectionsRefused, formatBytes(t.BytesIn), formatBytes(t.BytesOut))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if len(s.Recordings) > 0 {
		fmt.Fprintln(w, "\nRecordings:")
		if err := writeRecordings(w, s.Recordings, "  "); err != nil {
			return err
		}
	}
	return nil
}

// grantedPermissions lists the permissions a session has.
func grantedPermissions(p api.SessionPermissions) string {
	var on []string
	for _, g := range []struct {
		name string
		ok   bool
	}{
		{"shell", p.Shell}, {"file_read", p.FileRead}, {"file_write", p.FileWrite}, {"tunnel", p.Tunnel},
		{"system_info", p.SystemInfo}, {"screen_view", p.ScreenView}, {"screen_control", p.ScreenControl},
	} {
		if g.ok {
			on = append(on, g.name)
		}
	}
	if p.Clipboard != "" && p.Clipboard != api.ClipboardOff {
		on = append(on, "clipboard:"+p.Clipboard)
	}
	if len(on) == 0 {
		return "none"
	}
	return strings.Join(on, ", ")
}

func newSessionsEndCmd(e env, f *connFlags) *cobra.Command {
	var reason string
	cmd := &cobra.Command{
		Use:   "end ID [--reason TEXT]",
		Short: "End a session",
		Long: `sessions end ends a session for everyone in it: their commands stop and say
so. Ending a session that is no longer open is an error (409).`,
		Example: `  jumpgate sessions end 57 --reason "maintenance window over"`,
		Args:    exactArgs(1, "sessions end needs a session id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseID("session", args[0])
			if err != nil {
				return err
			}
			c, err := e.client(f)
			if err != nil {
				return err
			}
			s, err := c.EndSession(cmd.Context(), id, &api.SessionEnd{Reason: reason})
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "Session %d is %s\n", s.ID, s.Status)
			return nil
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why, kept with the session")
	return cmd
}

func newSessionsFeedbackCmd(e env, f *connFlags) *cobra.Command {
	var rating int
	var comment string
	cmd := &cobra.Command{
		Use:   "feedback ID --rating 1-5 [--comment TEXT]",
		Short: "Rate a session (the end-of-session survey)",
		Long: `sessions feedback records the optional end-of-session survey: a rating from
1 (poor) to 5 (excellent) and a comment.`,
		Example: `  jumpgate sessions feedback 57 --rating 5 --comment "fixed in one go"`,
		Args:    exactArgs(1, "sessions feedback needs a session id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseID("session", args[0])
			if err != nil {
				return err
			}
			if rating < 1 || rating > 5 {
				return errors.New("--rating: want 1 to 5")
			}
			c, err := e.client(f)
			if err != nil {
				return err
			}
			if _, err := c.SessionFeedback(cmd.Context(), id, &api.SessionFeedback{Rating: rating, Feedback: comment}); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "Rated session %d %d/5\n", id, rating)
			return nil
		},
	}
	cmd.Flags().IntVar(&rating, "rating", 0, "1 (poor) to 5 (excellent)")
	cmd.Flags().StringVar(&comment, "comment", "", "free text")
	return cmd
}

// exactArgs wants n arguments and says msg otherwise.
func exactArgs(n int, msg string) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		if len(args) != n {
			return errors.New(msg)
		}
		return nil
	}
}

// getSession is GetSession for commands that only need to read one.
func getSession(ctx context.Context, c *api.Client, arg string) (*api.Session, error) {
	id, err := parseID("session", arg)
	if err != nil {
		return nil, err
	}
	return c.GetSession(ctx, id)
}
