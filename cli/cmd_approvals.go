package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/jumpgate/jumpgate/api"
)

// maxApprovalMinutes is the longest grant the API takes (30 days), from
// its rule.
var maxApprovalMinutes = time.Duration(*api.RulesOf[api.ApprovalDecision]()["duration_minutes"].Max)

func newApprovalsCmd(e env, f *connFlags) *cobra.Command {
	approvals := &cobra.Command{
		Use:   "approvals",
		Short: "List, grant and deny requests to use Jump Items",
		Long: `approvals handles the requests that Jump Policies with approval make: a
session refused with reason approval_required leaves a pending request, which
an approver grants for a while (then the requester runs the command again) or
denies.`,
	}
	approvals.AddCommand(newApprovalsListCmd(e, f), newApprovalDecisionCmd(e, f, true), newApprovalDecisionCmd(e, f, false))
	return approvals
}

func newApprovalsListCmd(e env, f *connFlags) *cobra.Command {
	var output, status string
	cmd := &cobra.Command{
		Use:   "list [--status pending]",
		Short: "List approval requests",
		Long: `approvals list prints the requests you made and those you may decide:
pending ones unless --status names granted, denied, expired or all.`,
		Example: `  jumpgate approvals list
  jumpgate approvals list --status all -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			// The approvals list is not paged: no limit.
			opts := &api.ListOptions{Filters: map[string]string{}}
			switch status {
			case "all":
			case api.ApprovalPending, api.ApprovalGranted, api.ApprovalDenied, api.ApprovalExpired:
				opts.Filters["status"] = status
			default:
				return fmt.Errorf("--status %q: want pending, granted, denied, expired or all", status)
			}
			c, err := e.client(f)
			if err != nil {
				return err
			}
			out, err := api.ListAll(cmd.Context(), c.ListApprovals, opts)
			if err != nil {
				return err
			}
			if out == nil {
				out = []api.Approval{}
			}
			if output == outputJSON {
				return writeJSON(e.stdout, out)
			}
			return writeApprovals(e.stdout, out)
		},
	}
	addOutputFlag(cmd, &output)
	cmd.Flags().StringVar(&status, "status", api.ApprovalPending, "pending, granted, denied, expired or all")
	return cmd
}

func writeApprovals(w io.Writer, approvals []api.Approval) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tITEM\tREQUESTER\tSTATUS\tREQUESTED\tEXPIRES\tREASON")
	for _, a := range approvals {
		expires := ""
		if a.ExpiresAt != nil {
			expires = a.ExpiresAt.Format(time.RFC3339)
		}
		item := refKind(a.ItemType) + ":" + strconv.FormatInt(a.ItemID, 10) + " (" + a.ItemName + ")"
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", a.ID, cleanCell(item), cleanCell(a.Username), a.Status,
			a.RequestedAt.Format(time.RFC3339), expires, cleanCell(a.Reason))
	}
	return tw.Flush()
}

// newApprovalDecisionCmd is approvals grant (grant) or approvals deny.
func newApprovalDecisionCmd(e env, f *connFlags, grant bool) *cobra.Command {
	var duration, comment string
	cmd := &cobra.Command{
		Use:     "deny ID [--comment TEXT]",
		Short:   "Deny a pending approval request",
		Long:    `approvals deny refuses a pending request; the requester's next attempt makes a new one.`,
		Example: `  jumpgate approvals deny 7 --comment "not during the freeze"`,
		Args:    exactArgs(1, "approvals deny needs an approval id"),
	}
	if grant {
		cmd.Use = "grant ID [--duration 60m] [--comment TEXT]"
		cmd.Short = "Grant a pending approval request"
		cmd.Long = `approvals grant lets the requester start sessions on the item for
--duration (default: the Jump Policy's approval maximum, which also caps it).
The requester then runs their command again.`
		cmd.Example = `  jumpgate approvals grant 7
  jumpgate approvals grant 7 --duration 2h --comment "INC-4711"`
		cmd.Args = exactArgs(1, "approvals grant needs an approval id")
		cmd.Flags().StringVar(&duration, "duration", "", "how long the grant lasts, e.g. 60m, 2h or 1d (default: the Jump Policy's maximum)")
	}
	cmd.Flags().StringVar(&comment, "comment", "", "why, shown to the requester")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		id, err := parseID("approval", args[0])
		if err != nil {
			return err
		}
		minutes, err := parseApprovalDuration(duration)
		if err != nil {
			return err
		}
		c, err := e.client(f)
		if err != nil {
			return err
		}
		d := &api.ApprovalDecision{DurationMinutes: minutes, Comment: comment}
		var a *api.Approval
		if grant {
			a, err = c.GrantApproval(cmd.Context(), id, d)
		} else {
			a, err = c.DenyApproval(cmd.Context(), id, d)
		}
		if err != nil {
			return err
		}
		msg := fmt.Sprintf("Approval %d for %s on %s is %s", a.ID, a.Username, a.ItemName, a.Status)
		if a.Status == api.ApprovalGranted && a.ExpiresAt != nil {
			msg += " until " + a.ExpiresAt.Local().Format(time.DateTime)
		}
		fmt.Fprintln(e.stdout, msg)
		return nil
	}
	return cmd
}

// parseApprovalDuration reads --duration as whole minutes: a Go duration
// (90m, 2h30m), days (1d) or a number of minutes; "" is 0 (the policy's
// maximum).
func parseApprovalDuration(s string) (int, error) {
	if s == "" {
		return 0, nil
	}
	bad := fmt.Errorf("--duration %q: want whole minutes from 1m to 30d, e.g. 60m, 2h or 1d", s)
	var d time.Duration
	switch {
	case isDigits(s):
		m, err := strconv.Atoi(s)
		if err != nil {
			return 0, bad
		}
		d = time.Duration(m) * time.Minute
	case strings.HasSuffix(s, "d") && isDigits(strings.TrimSuffix(s, "d")):
		n, err := strconv.Atoi(strings.TrimSuffix(s, "d"))
		if err != nil {
			return 0, bad
		}
		d = time.Duration(n) * 24 * time.Hour
	default:
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return 0, bad
		}
	}
	if d < time.Minute || d%time.Minute != 0 || d > maxApprovalMinutes*time.Minute {
		return 0, bad
	}
	return int(d / time.Minute), nil
}

// codePoll is how often codes create --wait asks whether the code was used.
var codePoll = 2 * time.Second

func newCodesCmd(e env, f *connFlags) *cobra.Command {
	codes := &cobra.Command{
		Use:   "codes",
		Short: "One-time access codes for attended sessions",
		Long: `codes makes one-time access codes: the end user runs the join command with
the code within five minutes, and the session that starts is yours (see
'jumpgate sessions list'; work in it with --session ID).`,
	}
	codes.AddCommand(newCodesCreateCmd(e, f), newCodesListCmd(e, f))
	return codes
}

func newCodesCreateCmd(e env, f *connFlags) *cobra.Command {
	var output, comment string
	var policy int64
	var wait bool
	cmd := &cobra.Command{
		Use:   "create [--session-policy ID] [--comment TEXT] [--wait]",
		Short: "Make a one-time access code",
		Long: `codes create makes a one-time access code and prints it, its expiry and the
command the end user runs to join. The code is shown only now.

--wait then waits until the code is used and prints the session's id (or fails
when the code expires unused). With -o json one JSON object is printed: the
code, with session_id once used when --wait is given.`,
		Example: `  jumpgate codes create --comment "printer at reception"
  jumpgate codes create --wait
  id=$(jumpgate codes create --wait -o json | jq .session_id) && jumpgate shell --session "$id"`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			if policy < 0 {
				return errors.New("--session-policy must be a session policy id")
			}
			c, err := e.client(f)
			if err != nil {
				return err
			}
			in := &api.AccessCode{Comment: comment}
			if policy > 0 {
				in.SessionPolicyID = &policy
			}
			code, err := c.CreateAccessCode(cmd.Context(), in)
			if err != nil {
				return err
			}
			if output != outputJSON {
				fmt.Fprintf(e.stdout, "Code:     %s\n", code.Code)
				fmt.Fprintf(e.stdout, "Expires:  %s (in %s)\n", code.ExpiresAt.Local().Format(time.TimeOnly),
					code.ExpiresAt.Sub(e.now()).Round(time.Second))
				fmt.Fprintf(e.stdout, "Join:     %s\n", code.JoinCommand)
			}
			if wait {
				if output != outputJSON {
					fmt.Fprintln(e.stderr, "jumpgate: waiting for the end user to join…")
				}
				used, err := waitForCode(cmd.Context(), c, code.ID)
				if err != nil {
					return err
				}
				// The one-time fields are only in the create's answer.
				used.Code, used.JoinCommand = code.Code, code.JoinCommand
				code = used
				if output != outputJSON {
					fmt.Fprintf(e.stdout, "Session:  %d\n", *code.SessionID)
				}
			}
			if output == outputJSON {
				return writeJSON(e.stdout, code)
			}
			return nil
		},
	}
	addOutputFlag(cmd, &output)
	cmd.Flags().Int64Var(&policy, "session-policy", 0, "session policy id of the session (default: the default public portal's)")
	cmd.Flags().StringVar(&comment, "comment", "", "free text, e.g. who the code is for")
	cmd.Flags().BoolVar(&wait, "wait", false, "wait until the code is used and print the session id")
	return cmd
}

// waitForCode polls an access code until it is used or expires.
func waitForCode(ctx context.Context, c *api.Client, id int64) (*api.AccessCode, error) {
	t := time.NewTicker(codePoll)
	defer t.Stop()
	for {
		code, err := c.GetAccessCode(ctx, id)
		if err != nil {
			return nil, interrupted(ctx, err)
		}
		switch code.Status {
		case api.CodeUsed:
			if code.SessionID == nil {
				return nil, fmt.Errorf("access code %d was used but names no session", id)
			}
			return code, nil
		case api.CodeExpired:
			return nil, fmt.Errorf("access code %d expired unused at %s", id, code.ExpiresAt.Local().Format(time.TimeOnly))
		}
		select {
		case <-ctx.Done():
			return nil, errors.New("interrupted")
		case <-t.C:
		}
	}
}

func newCodesListCmd(e env, f *connFlags) *cobra.Command {
	var output, status string
	cmd := &cobra.Command{
		Use:   "list [--status pending|used|expired]",
		Short: "List your access codes",
		Long:  `codes list prints your access codes (admins: everyone's); the codes themselves are never shown again.`,
		Example: `  jumpgate codes list --status pending
  jumpgate codes list -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			switch status {
			case "", api.CodePending, api.CodeUsed, api.CodeExpired:
			default:
				return fmt.Errorf("--status %q: want pending, used or expired", status)
			}
			c, err := e.client(f)
			if err != nil {
				return err
			}
			// The appliance answers the newest codes and takes no filter.
			all, err := api.ListAll(cmd.Context(), c.ListAccessCodes, nil)
			if err != nil {
				return err
			}
			out := []api.AccessCode{}
			for _, a := range all {
				if status == "" || a.Status == status {
					out = append(out, a)
				}
			}
			if output == outputJSON {
				return writeJSON(e.stdout, out)
			}
			tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tSTATUS\tCREATED\tEXPIRES\tSESSION\tUSER\tCOMMENT")
			for _, a := range out {
				session := ""
				if a.SessionID != nil {
					session = strconv.FormatInt(*a.SessionID, 10)
				}
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", a.ID, a.Status, a.CreatedAt.Format(time.RFC3339),
					a.ExpiresAt.Format(time.RFC3339), session, cleanCell(a.Username), cleanCell(a.Comment))
			}
			return tw.Flush()
		},
	}
	addOutputFlag(cmd, &output)
	cmd.Flags().StringVar(&status, "status", "", "only codes with this status: pending, used or expired")
	return cmd
}
