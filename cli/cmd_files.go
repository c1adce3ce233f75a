package main

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/jumpgate/jumpgate/api/sessionproto"
	"github.com/jumpgate/jumpgate/cli/internal/channel"
)

func newFilesCmd(e env, f *connFlags) *cobra.Command {
	files := &cobra.Command{
		Use:   "files",
		Short: "List, download and upload files on a Jump Client",
		Long: `files lists, downloads and uploads files on a Jump Client as the account the
agent runs as (shells and commands switch to --session-user; file transfers
do not). Remote paths are absolute, or relative to the session user's home
directory. Transfers are checked end to end with SHA-256 and resume where an
interrupted one stopped: run the same command again.

` + sessionHelp,
	}
	files.AddCommand(newFilesLsCmd(e, f), newFilesGetCmd(e, f), newFilesPutCmd(e, f))
	return files
}

func newFilesLsCmd(e env, f *connFlags) *cobra.Command {
	sf := &sessionFlags{}
	var output string
	cmd := &cobra.Command{
		Use:   "ls <client> [PATH]",
		Short: "List a remote directory",
		Long: `files ls lists a directory on a Jump Client (default: the session user's
home directory). -o json prints the agent's listing.`,
		Example: `  jumpgate files ls web-01 /var/log
  jumpgate files ls --session 57 Documents -o json`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			itemArg, rest, err := sf.splitItemArg(args, 0, 1, "[PATH]")
			if err != nil {
				return err
			}
			dir := "."
			if len(rest) > 0 {
				dir = rest[0]
			}
			return e.inSession(cmd.Context(), f, sf, sessionJob{itemArg: itemArg, allowed: refClient,
				run: func(ctx context.Context, ls *liveSession) error {
					l, err := channel.ListFiles(ctx, ls.ch, dir)
					if err != nil {
						return streamError(sessionproto.StreamFileList, err)
					}
					if output == outputJSON {
						return writeJSON(e.stdout, l)
					}
					return e.writeFileList(l)
				}})
		},
	}
	addOutputFlag(cmd, &output)
	addSessionFlags(cmd, sf)
	return cmd
}

// writeFileList prints a listing like ls -l.
func (e env) writeFileList(l *sessionproto.FileList) error {
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 1, ' ', 0)
	for _, fi := range l.Entries {
		name := fi.Name
		if fi.IsDir {
			name += "/"
		}
		if fi.Link != "" {
			name += " -> " + fi.Link
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\n", fi.Mode, fi.Size, fi.ModTime.Local().Format("2006-01-02 15:04"), cleanCell(name))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if l.Truncated {
		fmt.Fprintf(e.stderr, "jumpgate: %s has more than %d entries; the listing is cut off\n", l.Path, sessionproto.MaxListEntries)
	}
	return nil
}

func newFilesGetCmd(e env, f *connFlags) *cobra.Command {
	sf := &sessionFlags{}
	var overwrite, quiet bool
	cmd := &cobra.Command{
		Use:   "get <client> REMOTE [LOCAL]",
		Short: "Download a file from a Jump Client",
		Long: `files get downloads a remote file to LOCAL: a file name, or a directory to
put it in (default: the current directory, under the remote file's name).

The bytes go to LOCAL.jgpart first; an interrupted download resumes from there
when the same command is run again. The whole file's SHA-256 is checked
against the agent's before LOCAL.jgpart is renamed to LOCAL. An existing LOCAL
is kept unless --overwrite is given. A progress bar is shown on stderr when it
is a terminal, unless -q.`,
		Example: `  jumpgate files get web-01 /var/log/syslog
  jumpgate files get web-01 /var/backups/db.tar.gz ./backups/ -q
  jumpgate files get --session 57 Desktop/report.pdf report.pdf`,
		RunE: func(cmd *cobra.Command, args []string) error {
			itemArg, rest, err := sf.splitItemArg(args, 1, 2, "REMOTE [LOCAL]")
			if err != nil {
				return err
			}
			remote := rest[0]
			local := ""
			if len(rest) > 1 {
				local = rest[1]
			}
			dest, err := localDest(remote, local)
			if err != nil {
				return err
			}
			if !overwrite {
				if _, err := os.Lstat(dest); err == nil {
					return fmt.Errorf("%s exists; pass --overwrite to replace it", dest)
				}
			}
			return e.inSession(cmd.Context(), f, sf, sessionJob{itemArg: itemArg, allowed: refClient,
				run: func(ctx context.Context, ls *liveSession) error {
					p := progressFor(e.stderr, path.Base(remote), quiet, channel.IsTerminal)
					done, err := channel.GetFile(ctx, ls.ch, remote, dest, p)
					if err != nil {
						return streamError(sessionproto.StreamFileGet, err)
					}
					if !quiet {
						fmt.Fprintf(e.stderr, "jumpgate: downloaded %s to %s (%s, sha256 %s)\n", remote, dest, formatBytes(done.Size), done.SHA256)
					}
					return nil
				}})
		},
	}
	cmd.Flags().BoolVar(&overwrite, "overwrite", false, "replace LOCAL if it exists")
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "no progress bar and no summary")
	addSessionFlags(cmd, sf)
	return cmd
}

// localDest is where files get writes remote: local, or the remote file's
// name in the directory local names (the current one when empty).
func localDest(remote, local string) (string, error) {
	base := path.Base(strings.ReplaceAll(remote, `\`, "/"))
	if base == "/" || base == "." || base == ".." || base == "" {
		if local == "" {
			return "", fmt.Errorf("%q names no file; give LOCAL", remote)
		}
		base = ""
	}
	switch {
	case local == "":
		return base, nil
	case strings.HasSuffix(local, "/") || strings.HasSuffix(local, string(filepath.Separator)):
		if base == "" {
			return "", fmt.Errorf("%q names no file; give a LOCAL file name", remote)
		}
		return filepath.Join(local, base), nil
	}
	if fi, err := os.Stat(local); err == nil && fi.IsDir() {
		if base == "" {
			return "", fmt.Errorf("%q names no file; give a LOCAL file name", remote)
		}
		return filepath.Join(local, base), nil
	}
	return local, nil
}

func newFilesPutCmd(e env, f *connFlags) *cobra.Command {
	sf := &sessionFlags{}
	var overwrite, quiet bool
	var mode string
	cmd := &cobra.Command{
		Use:   "put <client> LOCAL REMOTE [--overwrite] [--mode 0644]",
		Short: "Upload a file to a Jump Client",
		Long: `files put uploads a local file to REMOTE: a file path, or a directory path
ending in / to put it in under its own name.

The file's size and SHA-256 go first; the agent writes to a temporary file,
verifies the whole file and only then moves it over REMOTE. An interrupted
upload resumes when the same command is run again. An existing REMOTE is kept
unless --overwrite is given. The remote file gets --mode, default the local
file's permission bits. A progress bar is shown on stderr when it is a
terminal, unless -q.`,
		Example: `  jumpgate files put web-01 ./nginx.conf /etc/nginx/nginx.conf --overwrite
  jumpgate files put web-01 deploy.sh bin/ --mode 0755
  jumpgate files put --session 57 fix.msi Desktop/`,
		RunE: func(cmd *cobra.Command, args []string) error {
			itemArg, rest, err := sf.splitItemArg(args, 2, 2, "LOCAL REMOTE")
			if err != nil {
				return err
			}
			local, remote := rest[0], rest[1]
			perm, err := parseMode(mode)
			if err != nil {
				return err
			}
			fi, err := os.Stat(local)
			if err != nil {
				return err
			}
			if !fi.Mode().IsRegular() {
				return fmt.Errorf("%s is not a regular file", local)
			}
			if strings.HasSuffix(remote, "/") || strings.HasSuffix(remote, `\`) {
				remote += filepath.Base(local)
			}
			return e.inSession(cmd.Context(), f, sf, sessionJob{itemArg: itemArg, allowed: refClient,
				run: func(ctx context.Context, ls *liveSession) error {
					done, err := channel.PutFile(ctx, ls.ch, local, remote, channel.PutOptions{
						Mode: perm, Overwrite: overwrite, Progress: progressFor(e.stderr, filepath.Base(local), quiet, channel.IsTerminal),
					})
					if err != nil {
						return streamError(sessionproto.StreamFilePut, err)
					}
					if !quiet {
						where := done.Path
						if where == "" {
							where = remote
						}
						fmt.Fprintf(e.stderr, "jumpgate: uploaded %s to %s (%s, sha256 %s)\n", local, where, formatBytes(done.Size), done.SHA256)
					}
					return nil
				}})
		},
	}
	cmd.Flags().BoolVar(&overwrite, "overwrite", false, "replace REMOTE if it exists")
	cmd.Flags().StringVar(&mode, "mode", "", "permission bits of the remote file in octal, e.g. 0644 (default: the local file's)")
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "no progress bar and no summary")
	addSessionFlags(cmd, sf)
	return cmd
}

// parseMode reads octal permission bits such as 0644, 644 or 0o755; ""
// is 0 (keep the local file's).
func parseMode(s string) (fs.FileMode, error) {
	if s == "" {
		return 0, nil
	}
	v, err := strconv.ParseUint(strings.TrimPrefix(strings.TrimPrefix(s, "0o"), "0O"), 8, 32)
	if err != nil || v == 0 || v > 0o777 {
		return 0, fmt.Errorf("--mode %q: want octal permission bits from 0001 to 0777, e.g. 0644", s)
	}
	return fs.FileMode(v), nil
}

func newSysInfoCmd(e env, f *connFlags) *cobra.Command {
	sf := &sessionFlags{}
	var output string
	cmd := &cobra.Command{
		Use:   "sysinfo <client>",
		Short: "Show a Jump Client's system information",
		Long: `sysinfo prints what the agent reports about its endpoint: host, OS, CPU,
memory, uptime, users, disks and network interfaces. -o json prints the whole
report.

` + sessionHelp,
		Example: `  jumpgate sysinfo web-01
  jumpgate sysinfo client:12 -o json | jq .disks`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			itemArg, _, err := sf.splitItemArg(args, 0, 0, "none")
			if err != nil {
				return err
			}
			return e.inSession(cmd.Context(), f, sf, sessionJob{itemArg: itemArg, allowed: refClient,
				run: func(ctx context.Context, ls *liveSession) error {
					si, err := channel.SysInfo(ctx, ls.ch)
					if err != nil {
						return streamError(sessionproto.StreamSysInfo, err)
					}
					if output == outputJSON {
						return writeJSON(e.stdout, si)
					}
					return writeSysInfo(e, si)
				}})
		},
	}
	addOutputFlag(cmd, &output)
	addSessionFlags(cmd, sf)
	return cmd
}

// writeSysInfo prints the readable summary of a sysinfo report.
func writeSysInfo(e env, si *sessionproto.SysInfo) error {
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 1, ' ', 0)
	row := func(k, v string) {
		if v != "" {
			fmt.Fprintf(tw, "%s:\t%s\n", k, cleanCell(v))
		}
	}
	host := si.Hostname
	if si.FQDN != "" && si.FQDN != si.Hostname {
		host += " (" + si.FQDN + ")"
	}
	row("Host", host)
	osLine := si.OS
	if si.Kernel != "" {
		osLine += ", kernel " + si.Kernel
	}
	row("OS", osLine)
	row("Platform", strings.TrimSpace(si.Platform+" "+si.Arch))
	cpu := strconv.Itoa(si.CPUs) + " CPUs"
	if si.CPUModel != "" {
		cpu += ", " + si.CPUModel
	}
	row("CPU", cpu)
	if si.MemTotalBytes > 0 {
		row("Memory", fmt.Sprintf("%s total, %s free", formatBytes(int64(si.MemTotalBytes)), formatBytes(int64(si.MemFreeBytes))))
	}
	if si.UptimeSeconds > 0 {
		row("Uptime", (time.Duration(si.UptimeSeconds) * time.Second).String())
	}
	row("Users", strings.Join(si.Users, ", "))
	row("Session user", si.SessionUser)
	row("Agent", si.AgentVersion)
	for _, d := range si.Disks {
		row("Disk "+d.Mount, fmt.Sprintf("%s free of %s %s", formatBytes(int64(d.FreeBytes)), formatBytes(int64(d.TotalBytes)), d.FSType))
	}
	for _, ifc := range si.Interfaces {
		state := "down"
		if ifc.Up {
			state = "up"
		}
		row("Interface "+ifc.Name, strings.TrimSpace(state+" "+ifc.MAC+" "+strings.Join(ifc.Addrs, " ")))
	}
	return tw.Flush()
}
