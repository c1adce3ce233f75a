package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/spf13/cobra"

	"github.com/jumpgate/jumpgate/agent/internal/join"
	"github.com/jumpgate/jumpgate/agent/internal/session"
	"github.com/jumpgate/jumpgate/api/agentproto"
)

// joinCmd is the customer client: join a session with an access code,
// without installing anything.
func (e env) joinCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "join CODE --name NAME --url URL [--ca-pin sha256:HEX | --ca-cert FILE]",
		Short: "Join a remote support session with a one-time access code (no install)",
		Long: "Connect this computer to a representative's remote support session with the\n" +
			"one-time access code they gave you; nothing is installed. The session goes on\n" +
			"until it ends or you end it: type r + Enter to revoke the representative's\n" +
			"control, g to give it back, e (or Ctrl-C) to end the session.\n\n" +
			"The appliance's certificate is checked against the system's trusted CAs, or\n" +
			"against --ca-pin or --ca-cert when given.",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usage(fmt.Errorf("%s takes one access code (see %s --help)", cmd.CommandPath(), cmd.CommandPath()))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			flags := cmd.Flags()
			cfg := join.Config{Code: args[0], In: e.stdin, Out: e.stdout}
			cfg.Name, _ = flags.GetString("name")
			cfg.URL, _ = flags.GetString("url")
			cfg.CAPin, _ = flags.GetString("ca-pin")
			if f, _ := flags.GetString("ca-cert"); f != "" {
				b, err := os.ReadFile(f)
				if err != nil {
					return usage(fmt.Errorf("--ca-cert: %w", err))
				}
				cfg.CACert = b
			}
			log := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
			cfg.Log = log
			cfg.NewManager = func(send func(agentproto.Control) error) join.Manager {
				return session.New(session.Config{Kind: agentproto.KindCustomer, Log: log, Send: send, Shell: e.getenv(EnvShell)})
			}
			if err := cfg.Validate(); err != nil {
				return usage(err)
			}
			err := join.Run(cmd.Context(), cfg)
			switch {
			case err == nil:
				return nil
			case errors.Is(err, context.Canceled) && cmd.Context().Err() != nil:
				return fail(errors.New("interrupted before the session started"))
			case untrustedCA(err) && cfg.CAPin == "" && len(cfg.CACert) == 0:
				return fail(fmt.Errorf("%w (the appliance's certificate is not trusted: pass the --ca-pin sha256:… of the join command your representative gave you, or --ca-cert FILE)", err))
			}
			return fail(err)
		},
	}
	cmd.Flags().String("name", "", "your name, as the representative sees it (required)")
	cmd.Flags().String("url", "", "the appliance's URL, https://host[:port] (required)")
	cmd.Flags().String("ca-pin", "", "trust only the CA with this pin (sha256:HEX)")
	cmd.Flags().String("ca-cert", "", "trust only the CA in this PEM file")
	return cmd
}

// untrustedCA reports whether err is a TLS certificate that no trusted CA
// signed.
func untrustedCA(err error) bool {
	var unknown x509.UnknownAuthorityError
	var verify *tls.CertificateVerificationError
	return errors.As(err, &unknown) || errors.As(err, &verify)
}
