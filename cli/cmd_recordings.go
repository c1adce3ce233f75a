package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/jumpgate/jumpgate/api"
)

func newRecordingsCmd(e env, f *connFlags) *cobra.Command {
	recordings := &cobra.Command{
		Use:   "recordings",
		Short: "List and download session recordings",
		Long: `recordings lists and downloads what a session recorded: each shell stream
as an asciicast v2 file (play it with 'asciinema play'), and the session's
tunnel connections as JSON lines.`,
	}
	recordings.AddCommand(newRecordingsListCmd(e, f), newRecordingsGetCmd(e, f))
	return recordings
}

func newRecordingsListCmd(e env, f *connFlags) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "list SESSION",
		Short: "List a session's recordings",
		Long: `recordings list prints the recordings of a session: id, kind (shell or
tunnel_log), file name, times and size. -o json prints them as the appliance
sends them.`,
		Example: `  jumpgate recordings list 57`,
		Args:    exactArgs(1, "recordings list needs a session id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			c, err := e.client(f)
			if err != nil {
				return err
			}
			s, err := getSession(cmd.Context(), c, args[0])
			if err != nil {
				return err
			}
			recs := s.Recordings
			if recs == nil {
				recs = []api.Recording{}
			}
			if output == outputJSON {
				return writeJSON(e.stdout, recs)
			}
			return writeRecordings(e.stdout, recs, "")
		},
	}
	addOutputFlag(cmd, &output)
	return cmd
}

// writeRecordings prints recordings as a table, each line indented.
func writeRecordings(w io.Writer, recs []api.Recording, indent string) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, indent+"ID\tKIND\tFILE\tSTARTED\tENDED\tSIZE")
	for _, r := range recs {
		ended := ""
		if r.EndedAt != nil {
			ended = r.EndedAt.Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s%d\t%s\t%s\t%s\t%s\t%d\n", indent, r.ID, r.Kind, cleanCell(r.FileName), r.StartedAt.Format(time.RFC3339), ended, r.Size)
	}
	return tw.Flush()
}

func newRecordingsGetCmd(e env, f *connFlags) *cobra.Command {
	var out string
	var overwrite bool
	cmd := &cobra.Command{
		Use:   "get SESSION [RECORDING_ID] [-o FILE]",
		Short: "Download a recording",
		Long: `recordings get downloads one recording of a session. Without RECORDING_ID
the session's shell recording is taken, if it has exactly one. The file goes to
-o FILE (- for stdout), or by default to the current directory under the name
the appliance gives it. An existing file is kept unless --overwrite is given.`,
		Example: `  jumpgate recordings get 57
  jumpgate recordings get 57 3 -o tunnels.jsonl
  jumpgate recordings get 57 -o - | asciinema play -`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) < 1 || len(args) > 2 {
				return errors.New("recordings get needs a session id and, optionally, a recording id")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			c, err := e.client(f)
			if err != nil {
				return err
			}
			s, err := getSession(ctx, c, args[0])
			if err != nil {
				return err
			}
			var recID int64
			if len(args) > 1 {
				if recID, err = parseID("recording", args[1]); err != nil {
					return err
				}
			}
			rec, err := pickRecording(s, recID)
			if err != nil {
				return err
			}
			if out == "-" {
				_, err := c.DownloadRecording(ctx, s.ID, rec.ID, e.stdout)
				return err
			}
			dest, err := downloadToFile(out, overwrite, func(w io.Writer) (string, error) {
				return c.DownloadRecording(ctx, s.ID, rec.ID, w)
			}, recordingName(s.ID, rec))
			if err != nil {
				return err
			}
			fmt.Fprintln(e.stdout, dest)
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "file to write, - for stdout (default: the appliance's file name, in the current directory)")
	cmd.Flags().BoolVar(&overwrite, "overwrite", false, "replace the file if it exists")
	return cmd
}

// pickRecording finds recording id of s, or its only shell recording when
// id is 0.
func pickRecording(s *api.Session, id int64) (*api.Recording, error) {
	if id > 0 {
		for i := range s.Recordings {
			if s.Recordings[i].ID == id {
				return &s.Recordings[i], nil
			}
		}
		return nil, fmt.Errorf("session %d has no recording %d (see 'jumpgate recordings list %d')", s.ID, id, s.ID)
	}
	var shells []*api.Recording
	for i := range s.Recordings {
		if s.Recordings[i].Kind == api.RecordingShell {
			shells = append(shells, &s.Recordings[i])
		}
	}
	switch len(shells) {
	case 1:
		return shells[0], nil
	case 0:
		if len(s.Recordings) == 0 {
			return nil, fmt.Errorf("session %d has no recordings", s.ID)
		}
		return nil, fmt.Errorf("session %d has no shell recording; name one of its recordings (see 'jumpgate recordings list %d')", s.ID, s.ID)
	}
	ids := make([]string, len(shells))
	for i, r := range shells {
		ids[i] = strconv.FormatInt(r.ID, 10)
	}
	return nil, fmt.Errorf("session %d has %d shell recordings (%s); name one", s.ID, len(shells), strings.Join(ids, ", "))
}

// recordingName is the fallback file name of a recording.
func recordingName(sessionID int64, r *api.Recording) string {
	if r.FileName != "" {
		return r.FileName
	}
	ext := ".cast"
	if r.Kind == api.RecordingTunnelLog {
		ext = ".jsonl"
	}
	return fmt.Sprintf("session-%d-recording-%d%s", sessionID, r.ID, ext)
}

// downloadToFile runs download into a temporary file and renames it to
// dest, or (dest empty) to the name the download reports, else fallback,
// in the current directory. A download that fails leaves nothing behind.
func downloadToFile(dest string, overwrite bool, download func(io.Writer) (string, error), fallback string) (string, error) {
	dir := "."
	if dest != "" {
		dir = filepath.Dir(dest)
		if err := checkFree(dest, overwrite); err != nil {
			return "", err
		}
	}
	tmp, err := os.CreateTemp(dir, ".jumpgate-download-*")
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp.Name())
	name, err := download(tmp)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", err
	}
	if dest == "" {
		dest = safeFileName(name)
		if dest == "" {
			dest = safeFileName(fallback)
		}
		if err := checkFree(dest, overwrite); err != nil {
			return "", err
		}
	}
	// CreateTemp makes the file 0600; a recording is no secret to its owner.
	_ = os.Chmod(tmp.Name(), 0o644)
	if err := os.Rename(tmp.Name(), dest); err != nil {
		return "", err
	}
	return dest, nil
}

// checkFree refuses to replace an existing file without overwrite.
func checkFree(path string, overwrite bool) error {
	if overwrite {
		return nil
	}
	if _, err := os.Lstat(path); err == nil {
		return fmt.Errorf("%s exists; pass --overwrite to replace it", path)
	}
	return nil
}

// safeFileName keeps the last element of a server-given file name, so that
// it cannot point outside the current directory; "" when nothing usable is
// left.
func safeFileName(name string) string {
	name = filepath.Base(strings.ReplaceAll(name, `\`, "/"))
	switch name {
	case ".", "..", "/", "":
		return ""
	}
	return name
}
