// Command jumpgate-agent is the Jumpgate agent: a Jump Client or a
// Jumpoint node, in one small binary.
//
// The appliance serves it as an installer: this binary with an installer
// trailer (agentproto.Manifest) appended. Run as an installer (no
// subcommand, or Windows-style properties only) it installs itself, as
// "install" does. The installed copy, without the trailer, runs as the
// service ("run"), and removes itself with "uninstall".
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/jumpgate/jumpgate/agent/internal/agent"
	"github.com/jumpgate/jumpgate/agent/internal/enroll"
	"github.com/jumpgate/jumpgate/agent/internal/install"
	"github.com/jumpgate/jumpgate/agent/internal/session"
	"github.com/jumpgate/jumpgate/agent/internal/state"
	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/api/agentproto"
)

// EnvShell names the program of session shells, started as a login shell,
// instead of the session user's login shell.
const EnvShell = "JUMPGATE_AGENT_SHELL"

// EnvWOLAddrs lists (comma-separated) the broadcast addresses Wake-on-LAN
// packets are sent to; empty uses the agent's defaults.
const EnvWOLAddrs = "JUMPGATE_AGENT_WOL_ADDRS"

// EnvKeyInfoFile is the environment twin of `run --key-info-file`.
const EnvKeyInfoFile = "JUMPGATE_AGENT_KEY_INFO_FILE"

// notifyTimeout bounds telling the appliance about an uninstall.
const notifyTimeout = 10 * time.Second

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// exitError carries the exit code of a command's failure. Errors without
// one come from cobra's own checks (flags, arguments) and are usage
// errors.
type exitError struct {
	code int
	err  error
	// quiet: the command has said all there is on stdout; run prints no
	// error line.
	quiet bool
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func fail(err error) error  { return &exitError{code: exitFailure, err: err} }
func usage(err error) error { return &exitError{code: exitUsage, err: err} }

// env is what the commands read from their surroundings.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	exe            string
	getenv         func(string) string
}

// run executes the agent with args (without the program name) and returns
// the exit code: 0 ok, 1 failure, 2 usage error. Errors are printed as one
// line on stderr.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	exe, err := os.Executable()
	if err == nil {
		exe, _ = filepath.EvalSymlinks(exe)
	}
	e := env{stdin: os.Stdin, stdout: stdout, stderr: stderr, exe: exe, getenv: os.Getenv}
	root := e.rootCmd()
	if installerMode(root, args, exe) {
		args = append([]string{"install"}, args...)
	}
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err = root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	var xe *exitError
	if errors.As(err, &xe) && xe.quiet {
		return xe.code
	}
	fmt.Fprintln(stderr, "jumpgate-agent: "+err.Error())
	if xe != nil {
		return xe.code
	}
	return exitUsage
}

// installerMode reports whether this run installs: the executable is an
// installer and the first argument names no subcommand (no arguments,
// flags, or Windows-style properties).
func installerMode(root *cobra.Command, args []string, exe string) bool {
	if len(args) > 0 {
		root.InitDefaultHelpCmd()
		for _, c := range root.Commands() {
			if c.Name() == args[0] || c.HasAlias(args[0]) {
				return false
			}
		}
	}
	return exe != "" && install.HasManifest(exe)
}

func (e env) rootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "jumpgate-agent",
		Short: "The Jumpgate agent: a Jump Client or Jumpoint node",
		Long: "The Jumpgate agent: a Jump Client or Jumpoint node.\n\n" +
			"Installers downloaded from the appliance are this binary with the installer's\n" +
			"configuration appended; run one without a subcommand to install it.",
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          noArgs,
		RunE:          func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	root.CompletionOptions.DisableDefaultCmd = true
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usage(err) })
	root.AddCommand(e.installCmd(), e.runCmd(), e.uninstallCmd(), e.versionCmd(), e.serviceCmd(),
		e.consentCmd(), e.sessionsCmd(), e.joinCmd())
	return root
}

func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usage(fmt.Errorf("unknown command or argument %q for %q (see %s --help)", args[0], cmd.CommandPath(), cmd.CommandPath()))
	}
	return nil
}

func (e env) versionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the agent's version",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintln(e.stdout, api.Version)
			return nil
		},
	}
}

func (e env) installCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "install [flags] [PROPERTY=value ...]",
		Short: "Install this installer's Jump Client or Jumpoint",
		Long:  install.Usage,
		// Flags and Windows-style properties mix freely; install.ParseArgs
		// reads them all.
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			o, err := install.ParseArgs(runtime.GOOS, args)
			if err != nil {
				return usage(err)
			}
			if o.Help {
				fmt.Fprint(e.stdout, install.Usage)
				return nil
			}
			log := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
			res, err := install.Install(cmd.Context(), install.Config{
				Options: o,
				Exe:     e.exe,
				Enroll: func(ctx context.Context, dir string) error {
					err := agent.Enroll(ctx, e.agentConfig(dir, filepath.Join(dir, install.BinaryName(runtime.GOOS)), log))
					url := ""
					if st, lerr := state.Load(dir); lerr == nil {
						url = st.URL
					}
					return enrollError(ctx, url, err)
				},
			})
			if err != nil {
				return fail(fmt.Errorf("install failed: %w", err))
			}
			e.printInstalled(res)
			return nil
		},
	}
}

// applianceError is the appliance's answer to an enrollment that did not
// succeed (its refusal, or its own failure), worded for the user; it unwraps
// to the appliance's *api.Problem, so that the installer tells a refusal
// from an appliance that is failing (enroll.Transient).
type applianceError struct{ p *api.Problem }

func (e *applianceError) Error() string {
	if _, ok := enroll.Refusal(e.p); !ok {
		return fmt.Sprintf("the appliance failed to enroll the agent (%d %s): %s", e.p.Status, http.StatusText(e.p.Status), enroll.Reason(e.p))
	}
	return "the appliance refused the enrollment: " + enroll.Reason(e.p)
}
func (e *applianceError) Unwrap() error { return e.p }

// enrollError words an install-time enrollment failure for the user.
func enrollError(ctx context.Context, url string, err error) error {
	var p *api.Problem
	switch {
	case err == nil:
		return nil
	case errors.As(err, &p):
		return &applianceError{p: p}
	case errors.Is(err, enroll.ErrUnreachable):
		return err
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return fmt.Errorf("%w at %s: no answer within %s", enroll.ErrUnreachable, url, install.EnrollTimeout)
	case ctx.Err() != nil:
		return errors.New("interrupted while enrolling")
	}
	return fmt.Errorf("enrollment failed: %w", err)
}

func (e env) printInstalled(res *install.Result) {
	st := res.State
	in := st.Install
	what := "Jump Client"
	if st.Kind == agentproto.KindJumpoint {
		what = "Jumpoint node"
	}
	w := e.stdout
	fmt.Fprintf(w, "Installed the Jumpgate %s (installer %s) in %s.\n", what, st.InstallerID, in.Dir)
	if res.Enrolled {
		fmt.Fprintf(w, "Enrolled with %s as %q (id %d).\n", st.URL, st.Name, st.ID)
	}
	if res.Offline != nil {
		fmt.Fprintf(w, "Not enrolled: could not enroll with the appliance now (%v).\n", res.Offline)
		fmt.Fprintf(w, "This is an offline install: the agent enrolls when it first runs, and keeps trying until %s.\n",
			st.KeyExpires.Format(time.RFC3339))
		fmt.Fprintln(w, "A refusal by the appliance then shows only in the status below; --online-install fails at once instead.")
	}
	initScript := filepath.Join(in.Dir, state.InitScript)
	uninstall := filepath.Join(in.Dir, state.Uninstall)
	if runtime.GOOS == "windows" {
		initScript += ".cmd"
		uninstall += ".cmd"
	}
	switch in.Startup {
	case install.StartupSystemd:
		fmt.Fprintf(w, "Startup: systemd unit %s, enabled.\n", in.SystemdUnit)
	case install.StartupXDG:
		fmt.Fprintf(w, "Startup: at graphical login (%s).\n", strings.Join(in.ExtraFiles, ", "))
	case install.StartupLaunchd:
		fmt.Fprintf(w, "Startup: launchd job %s.\n", strings.Join(in.ExtraFiles, ", "))
	case install.StartupTask:
		fmt.Fprintf(w, "Startup: scheduled task jumpgate-agent-%s.\n", st.InstallerID)
	default:
		fmt.Fprintf(w, "Startup: none; arrange for %q to run at boot.\n", initScript+" start")
	}
	if res.Started {
		fmt.Fprintln(w, "The agent is running.")
	} else {
		fmt.Fprintf(w, "Start it with:  %s start\n", initScript)
	}
	if !res.Enrolled && res.Offline == nil {
		fmt.Fprintf(w, "It enrolls when it first runs, which must be before %s.\n", st.KeyExpires.Format(time.RFC3339))
	}
	fmt.Fprintf(w, "Status:         %s status\n", initScript)
	fmt.Fprintf(w, "Uninstall with: %s\n", uninstall)
}

// dirOf returns the --dir flag, or else the executable's dir: the installed
// agent lives in its install dir.
func (e env) dirOf(cmd *cobra.Command) (string, error) {
	dir, _ := cmd.Flags().GetString("dir")
	if dir == "" {
		if e.exe == "" {
			return "", usage(errors.New("--dir is required"))
		}
		dir = filepath.Dir(e.exe)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", usage(fmt.Errorf("--dir: %w", err))
	}
	return abs, nil
}

func (e env) agentConfig(dir, exe string, log *slog.Logger) agent.Config {
	var wol []string
	for _, a := range strings.Split(e.getenv(EnvWOLAddrs), ",") {
		if a = strings.TrimSpace(a); a != "" {
			wol = append(wol, a)
		}
	}
	return agent.Config{Dir: dir, Log: log, Exe: exe, WOLAddrs: wol, Shell: e.getenv(EnvShell), Now: time.Now}
}

func (e env) runCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "run --dir DIR [--key-info-file FILE]",
		Short: "Run the installed agent (the service's entry point)",
		Long: "Run the agent installed in DIR until it is stopped (SIGINT, SIGTERM) or\n" +
			"uninstalls itself. Logs go to stderr, or to --log-file.\n\n" +
			"With --key-info-file (or " + EnvKeyInfoFile + "), as in a container, an agent\n" +
			"that is not installed in DIR yet is installed there first from the key info in\n" +
			"FILE, without an installer or any startup integration, and enrolled online;\n" +
			"DIR is made (0700) if missing. Once DIR holds an enrolled agent, FILE is ignored.",
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			kiFile, _ := cmd.Flags().GetString("key-info-file")
			if kiFile == "" {
				kiFile = e.getenv(EnvKeyInfoFile)
			}
			if d, _ := cmd.Flags().GetString("dir"); kiFile != "" && d == "" {
				return usage(errors.New("--key-info-file needs --dir: the directory that keeps the agent's identity"))
			}
			dir, err := e.dirOf(cmd)
			if err != nil {
				return err
			}
			madeDir := false
			if kiFile != "" {
				if madeDir, err = makeDir(dir); err != nil {
					return fail(err)
				}
			}
			out := e.stderr
			if lf, _ := cmd.Flags().GetString("log-file"); lf != "" {
				f, err := os.OpenFile(lf, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
				if err != nil {
					return fail(fmt.Errorf("open log file: %w", err))
				}
				defer f.Close()
				out = f
			}
			log := slog.New(slog.NewTextHandler(out, nil))
			release, err := install.ClaimPID(dir, install.ClaimWait)
			if err != nil {
				return fail(err)
			}
			defer release()
			log.Info("agent starting", "version", api.Version, "dir", dir, "pid", os.Getpid())
			if kiFile != "" {
				if err := e.enrollFromFile(cmd.Context(), dir, kiFile, log); err != nil {
					release()
					if madeDir {
						// Only the dir made here goes; os.Remove leaves a dir that is not empty.
						_ = os.Remove(dir)
					}
					return fail(err)
				}
			}
			cfg := e.agentConfig(dir, e.exe, log)
			var user endUser
			if st, err := state.Load(dir); err == nil && st.Kind != agentproto.KindJumpoint {
				// A Jump Client has someone at the endpoint; a Jumpoint
				// node only relays tunnels.
				cfg.OnManager = func(m *session.Manager) { user.start(cmd.Context(), dir, st, e.exe, m, log) }
			}
			err = agent.Run(cmd.Context(), cfg)
			user.stop()
			switch {
			case errors.Is(err, agent.ErrUninstalled):
				log.Info("agent uninstalled itself", "reason", err)
				return nil
			case errors.Is(err, agent.ErrRestarted):
				// Windows: the upgraded build runs as a new process, which
				// takes over the pid file once this one has exited.
				log.Info("agent restarted into its upgrade")
				return nil
			case err == nil || cmd.Context().Err() != nil:
				log.Info("agent stopped")
				return nil
			}
			log.Error("agent failed", "err", err)
			return fail(err)
		},
	}
	cmd.Flags().String("dir", "", "the install dir (default: the dir of this executable)")
	cmd.Flags().String("log-file", "", "append logs to this file instead of stderr")
	cmd.Flags().String("key-info-file", "", "install and enroll from the key info in this file when DIR holds no agent yet (containers; env "+EnvKeyInfoFile+")")
	return cmd
}

// makeDir makes dir (0700) if it is missing and reports whether it did.
func makeDir(dir string) (bool, error) {
	err := os.Mkdir(dir, 0o700)
	switch {
	case err == nil:
		return true, os.Chmod(dir, 0o700)
	case errors.Is(err, fs.ErrExist):
		if fi, serr := os.Stat(dir); serr != nil || !fi.IsDir() {
			return false, fmt.Errorf("%s is not a directory", dir)
		}
		return false, nil
	case errors.Is(err, fs.ErrNotExist):
		return false, fmt.Errorf("cannot make %s: its parent directory does not exist", dir)
	}
	return false, fmt.Errorf("cannot make the agent's dir: %w", err)
}

// enrollFromFile installs and enrolls the agent in dir from the key info in
// file, unless dir already holds an agent: an enrolled one authenticates
// with its own key, and an installer's agent that has not enrolled yet
// enrolls with the key info it was installed with. A container install
// that never enrolled (its start was interrupted) is started over.
func (e env) enrollFromFile(ctx context.Context, dir, file string, log *slog.Logger) error {
	st, err := state.Load(dir)
	switch {
	case err == nil && (st.Enrolled() || !st.Install.Container):
		log.Info("the agent is installed; ignoring the key info file", "kind", st.Kind, "id", st.ID)
		return nil
	case err == nil:
		if err := os.Remove(filepath.Join(dir, state.File)); err != nil {
			return fmt.Errorf("remove the unenrolled agent state: %w", err)
		}
	case !errors.Is(err, fs.ErrNotExist):
		return err
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("read the key info file: %w", err)
	}
	ki := strings.TrimSpace(string(b))
	if ki == "" {
		return fmt.Errorf("the key info file %s is empty", file)
	}
	res, err := install.FromKeyInfo(ctx, install.KeyInfoConfig{
		Dir:     dir,
		KeyInfo: ki,
		Enroll: func(ctx context.Context, dir string) error {
			url := ""
			if st, lerr := state.Load(dir); lerr == nil {
				url = st.URL
			}
			return enrollError(ctx, url, agent.Enroll(ctx, e.agentConfig(dir, e.exe, log)))
		},
	})
	if err != nil {
		return fmt.Errorf("cannot enroll with the key info in %s: %w", file, err)
	}
	log.Info("installed and enrolled from the key info file", "kind", res.State.Kind, "id", res.State.ID, "name", res.State.Name, "url", res.State.URL)
	return nil
}

func (e env) uninstallCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "uninstall --dir DIR",
		Short: "Uninstall the agent installed in DIR",
		Long: "Tell the appliance, stop the agent installed in DIR and remove it: the install\n" +
			"dir and the startup files the install made. Refused when the appliance\n" +
			"restricts local uninstall.",
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dir, err := e.dirOf(cmd)
			if err != nil {
				return err
			}
			st, err := state.Load(dir)
			if err != nil {
				return fail(fmt.Errorf("no agent is installed in %s: %w", dir, err))
			}
			if st.Install.Scope == install.ScopeSystem && runtime.GOOS != "windows" && os.Geteuid() != 0 {
				return fail(fmt.Errorf("the agent in %s is installed for the whole system: uninstalling it needs root (sudo %s)", dir, filepath.Join(dir, state.Uninstall)))
			}
			log := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
			if err := e.notifyUninstall(cmd.Context(), dir, st, log); err != nil {
				return err
			}
			removed, err := install.Uninstall(cmd.Context(), st, log)
			if err != nil {
				return fail(fmt.Errorf("uninstall failed: %w", err))
			}
			for _, r := range removed {
				fmt.Fprintf(e.stdout, "removed %s\n", r)
			}
			fmt.Fprintln(e.stdout, "The Jumpgate agent is uninstalled.")
			return nil
		},
	}
	cmd.Flags().String("dir", "", "the install dir (default: the dir of this executable)")
	return cmd
}

// notifyUninstall tells the appliance, which may refuse. When it cannot be
// reached, the last configuration it sent decides (agent.NotifyUninstall
// does that; the cached setting is checked here once more for the errors
// that are not about reaching the appliance, such as an unreadable key).
func (e env) notifyUninstall(ctx context.Context, dir string, st *state.State, log *slog.Logger) error {
	nctx, cancel := context.WithTimeout(ctx, notifyTimeout)
	defer cancel()
	err := agent.NotifyUninstall(nctx, e.agentConfig(dir, e.exe, log))
	switch {
	case err == nil:
		return nil
	case errors.Is(err, agent.ErrUninstallRestricted):
		return fail(fmt.Errorf("uninstall refused: %w; an administrator can remove the client in the console instead", err))
	case st.Config.RestrictLocalUninstall:
		return fail(fmt.Errorf("uninstall refused: the appliance restricts local uninstall (as of its last configuration) and cannot be asked now: %w", err))
	}
	fmt.Fprintf(e.stderr, "jumpgate-agent: warning: could not tell the appliance (%v); it will show this client as offline\n", err)
	return nil
}

// serviceCmd is the init-script's work in Go, for Windows (init-script.cmd)
// where there is no sh.
func (e env) serviceCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "service start|stop|restart|status|enrollment --dir DIR",
		Short: "Start, stop or report the agent installed in DIR (init-script.cmd)",
		Long: "Start, stop or report the agent installed in DIR: the init-script's work in Go,\n" +
			"for Windows. status exits 0 when the agent runs and is enrolled, 3 when it is\n" +
			"stopped, 1 when it runs but is not enrolled. enrollment prints only whether the\n" +
			"agent is enrolled and, if not, why (the init-script's status uses it); it exits\n" +
			"1 when it is not.",
		Hidden:    true,
		ValidArgs: []string{"start", "stop", "restart", "status", "enrollment"},
		Args:      cobra.MatchAll(cobra.ExactArgs(1), cobra.OnlyValidArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir, err := e.dirOf(cmd)
			if err != nil {
				return err
			}
			if args[0] == "stop" || args[0] == "restart" {
				if _, err := install.Stop(dir, install.StopTimeout); err != nil {
					return fail(err)
				}
				fmt.Fprintln(e.stdout, "stopped")
			}
			if args[0] == "start" || args[0] == "restart" {
				pid, err := install.Start(dir, runtime.GOOS)
				if err != nil {
					return fail(err)
				}
				fmt.Fprintf(e.stdout, "started (pid %d)\n", pid)
			}
			if args[0] == "enrollment" {
				return e.printEnrollment(dir)
			}
			if args[0] == "status" {
				pid, running := install.Running(dir)
				if running {
					fmt.Fprintf(e.stdout, "running (pid %d)\n", pid)
				} else {
					fmt.Fprintln(e.stdout, "stopped")
				}
				eerr := e.printEnrollment(dir)
				if !running {
					return &exitError{code: 3, err: errors.New("the agent is not running")}
				}
				return eerr
			}
			return nil
		},
	}
	cmd.Flags().String("dir", "", "the install dir (default: the dir of this executable)")
	return cmd
}

// printEnrollment prints whether the agent in dir is enrolled and, if not,
// why (install.EnrollmentStatus); not enrolled is exit 1.
func (e env) printEnrollment(dir string) error {
	st, err := state.Load(dir)
	if err != nil {
		return fail(fmt.Errorf("no agent is installed in %s: %w", dir, err))
	}
	line, enrolled := install.EnrollmentStatus(st, time.Now())
	fmt.Fprintln(e.stdout, line)
	if !enrolled {
		return &exitError{code: exitFailure, err: errors.New("the agent is not enrolled"), quiet: true}
	}
	return nil
}
