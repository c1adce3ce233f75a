package main

import (
	"errors"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/jumpgate/jumpgate/api"
)

// newRootCmd builds the command tree. Errors are returned, not printed:
// run prints them as one line.
func newRootCmd(e env) *cobra.Command {
	f := &connFlags{}
	root := &cobra.Command{
		Use:   "jumpgate",
		Short: "Use a Jumpgate appliance from the command line",
		Long: `jumpgate logs in to a Jumpgate appliance, reads and writes its configuration
(list, get, create, update, delete, and apply for YAML files kept in git), and
reaches Jump Items through it: shells, commands, files and system information
on Jump Clients, TCP tunnels through Jumpoints, and the sessions, approvals,
access codes and recordings around them.

The appliance and credentials come from --url, --token and --ca-cert, else from
JUMPGATE_URL, JUMPGATE_TOKEN and JUMPGATE_CA_CERT, else from 'jumpgate login'.`,
		Version:       api.Version,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(e.stdin)
	root.SetOut(e.stdout)
	root.SetErr(e.stderr)
	pf := root.PersistentFlags()
	pf.StringVar(&f.url, "url", "", "appliance URL, e.g. https://jumpgate.example.com:8443 (env "+api.EnvURL+")")
	pf.StringVar(&f.token, "token", "", "API token, or - to read it from stdin (env "+api.EnvToken+")")
	pf.StringVar(&f.caCert, "ca-cert", "", "PEM file of the appliance CA, e.g. <data-dir>/ca.pem (env "+api.EnvCACert+")")
	pf.BoolVar(&f.insecureHTTP, "insecure-http", false, "allow an http:// URL on a loopback address (the token then travels in clear text); any other http:// URL is refused")

	root.AddCommand(
		newLoginCmd(e, f), newLogoutCmd(e), newWhoAmICmd(e, f), newVersionCmd(e),
		newListCmd(e, f), newGetCmd(e, f), newItemsCmd(e, f), newClientsCmd(e, f),
		newCreateCmd(e, f), newUpdateCmd(e, f), newDeleteCmd(e, f), newApplyCmd(e, f),
		newShellCmd(e, f), newRunCmd(e, f), newFilesCmd(e, f), newSysInfoCmd(e, f), newTunnelCmd(e, f),
		newSessionsCmd(e, f), newApprovalsCmd(e, f), newCodesCmd(e, f), newRecordingsCmd(e, f),
	)
	return root
}

func newLoginCmd(e env, f *connFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "login --url URL --token TOKEN [--ca-cert FILE]",
		Short: "Check and store the credentials of an appliance",
		Long: `login checks the URL and token against the appliance, then stores them in
the user's config directory (or JUMPGATE_CONFIG_DIR) with mode 0600.

--ca-cert names the appliance CA; its contents are stored, so the file may move
afterwards. Each flag falls back to its environment variable.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			u := e.flagOrEnv(f.url, api.EnvURL)
			if u == "" {
				return errors.New("login needs --url or " + api.EnvURL)
			}
			token := e.flagOrEnv(f.token, api.EnvToken)
			if token == "" {
				return errors.New("login needs --token (- reads it from stdin) or " + api.EnvToken)
			}
			conn := &connection{url: u, insecureHTTP: f.insecureHTTP}
			var err error
			if conn.token, err = e.readToken(token); err != nil {
				return err
			}
			if ca := e.flagOrEnv(f.caCert, api.EnvCACert); ca != "" {
				if conn.caPEM, err = readCA(ca); err != nil {
					return err
				}
			}
			c, err := conn.client()
			if err != nil {
				return err
			}
			who, err := c.WhoAmI(cmd.Context())
			if err != nil {
				return fmt.Errorf("log in to %s: %w", c.BaseURL(), err)
			}
			stored := &storedConfig{URL: c.BaseURL(), Token: conn.token, CACertPEM: string(conn.caPEM), InsecureHTTP: conn.insecureHTTP}
			if _, err := e.saveConfig(stored); err != nil {
				return err
			}
			role := ""
			if who.Admin {
				role = " (admin)"
			}
			fmt.Fprintf(e.stdout, "Logged in to %s as %s%s\n", c.BaseURL(), who.Username, role)
			return nil
		},
	}
}

func newLogoutCmd(e env) *cobra.Command {
	return &cobra.Command{
		Use:   "logout",
		Short: "Forget the stored credentials",
		Long:  "logout deletes the credentials stored by login. JUMPGATE_URL and JUMPGATE_TOKEN still apply if set.",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			// A config that cannot be read is still removed: that is how to get rid of it.
			stored, _ := e.loadConfig()
			removed, err := e.removeConfig()
			if err != nil {
				return err
			}
			switch {
			case !removed:
				fmt.Fprintln(e.stdout, "Not logged in")
			case stored != nil:
				fmt.Fprintf(e.stdout, "Logged out of %s\n", stored.URL)
			default:
				fmt.Fprintln(e.stdout, "Logged out")
			}
			return nil
		},
	}
}

func newWhoAmICmd(e env, f *connFlags) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "whoami",
		Short: "Show the user the token belongs to",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			c, err := e.client(f)
			if err != nil {
				return err
			}
			who, err := c.WhoAmI(cmd.Context())
			if err != nil {
				return err
			}
			if output == outputJSON {
				return writeJSON(e.stdout, struct {
					*api.WhoAmI
					URL string `json:"url"`
				}{who, c.BaseURL()})
			}
			tw := tabwriter.NewWriter(e.stdout, 0, 4, 1, ' ', 0)
			fmt.Fprintf(tw, "User:\t%s (id %d)\n", who.Username, who.UserID)
			fmt.Fprintf(tw, "Admin:\t%t\n", who.Admin)
			fmt.Fprintf(tw, "URL:\t%s\n", c.BaseURL())
			return tw.Flush()
		},
	}
	addOutputFlag(cmd, &output)
	return cmd
}

func newVersionCmd(e env) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version of jumpgate",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			_, err := fmt.Fprintln(e.stdout, api.Version)
			return err
		},
	}
}

// client resolves the connection and builds an API client.
func (e env) client(f *connFlags) (*api.Client, error) {
	conn, err := e.resolve(f)
	if err != nil {
		return nil, err
	}
	return conn.client()
}
