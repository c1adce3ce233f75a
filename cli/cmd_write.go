package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/jumpgate/jumpgate/api"
)

// writeFlags are the flags of create, update and delete.
type writeFlags struct {
	file    string
	output  string
	ifMatch int64
}

func newCreateCmd(e env, f *connFlags) *cobra.Command {
	wf := &writeFlags{}
	cmd := &cobra.Command{
		Use:   "create COLLECTION -f FILE|-",
		Short: "Create an object from a JSON or YAML file",
		Long: `create sends the object in FILE (or stdin for -) to the collection and prints
the object the appliance made, with its id. The file holds one object, as JSON
or as one YAML document, with the fields of the API (docs/api.md); references
are ids here (apply takes them by key).

When the appliance refuses the object, each invalid field is printed as
"field: detail" on its own line and the exit status is 1; nothing is created.
The create answer of a jump-client-installer is the only place its key info
is shown: keep it (-o json).`,
		Example: `  jumpgate create jump-groups -f ops.yaml
  echo '{"name": "Ops", "code_name": "ops"}' | jumpgate create jump-group -f -`,
		ValidArgs: collectionNames(),
		Args:      writeArgs("create needs a collection", 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			coll, err := writableCollection(args[0], "create")
			if err != nil {
				return err
			}
			if coll.singleton {
				return fmt.Errorf("%s is a single object that always exists; use 'jumpgate update %s -f FILE'", coll.singular, coll.singular)
			}
			return e.create(cmd.Context(), f, coll, wf)
		},
	}
	addWriteFlags(cmd, wf, false)
	return cmd
}

func newUpdateCmd(e env, f *connFlags) *cobra.Command {
	wf := &writeFlags{}
	cmd := &cobra.Command{
		Use:   "update COLLECTION ID -f FILE|- | update settings -f FILE|-",
		Short: "Change an object with a JSON merge patch",
		Long: `update applies FILE (or stdin for -) to one object as a JSON merge patch
(RFC 7396): the fields given are changed, a field set to null is removed (it
gets its default), objects merge and lists are replaced whole. The patch is
sent with If-Match naming the version just read, so a change made in between
is never overwritten: the appliance answers 412 and nothing is written.
--if-match VERSION names the version your edit is based on instead (the
"version" of 'jumpgate get -o json'), which catches changes made since then.

Field errors are printed as "field: detail", one per line, with exit status 1.`,
		Example: `  jumpgate update jump-groups 3 -f - <<< 'comments: night shift'
  jumpgate update settings -f settings.yaml`,
		ValidArgs: collectionNames(),
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) < 1 || len(args) > 2 {
				return errors.New("update needs a collection and an id (settings takes no id)")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			coll, err := writableCollection(args[0], "update")
			if err != nil {
				return err
			}
			path, err := objectPath(coll, args[1:])
			if err != nil {
				return err
			}
			return e.update(cmd.Context(), f, coll, path, wf)
		},
	}
	addWriteFlags(cmd, wf, true)
	return cmd
}

func newDeleteCmd(e env, f *connFlags) *cobra.Command {
	wf := &writeFlags{}
	cmd := &cobra.Command{
		Use:   "delete COLLECTION ID",
		Short: "Delete an object",
		Long: `delete reads the object, then deletes it with If-Match naming the version
read (or --if-match VERSION), so an object changed in between is not deleted.
An object still in use (a jump policy that items name, say) is refused with
the appliance's reason.`,
		Example:   `  jumpgate delete jump-groups 3`,
		ValidArgs: collectionNames(),
		Args:      writeArgs("delete needs a collection and an id", 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			coll, err := writableCollection(args[0], "delete")
			if err != nil {
				return err
			}
			if coll.singleton {
				return fmt.Errorf("%s is a single object and cannot be deleted", coll.singular)
			}
			path, err := objectPath(coll, args[1:])
			if err != nil {
				return err
			}
			return e.remove(cmd.Context(), f, coll, path, wf)
		},
	}
	cmd.Flags().Int64Var(&wf.ifMatch, "if-match", 0, "delete only if the object is still at this version")
	return cmd
}

func writeArgs(msg string, n int) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		if len(args) != n {
			return fmt.Errorf("%s; valid collections: %s", msg, strings.Join(collectionNames(), ", "))
		}
		return nil
	}
}

func addWriteFlags(cmd *cobra.Command, wf *writeFlags, ifMatch bool) {
	cmd.Flags().StringVarP(&wf.file, "filename", "f", "", "JSON or YAML file holding the object, or - for stdin")
	addOutputFlag(cmd, &wf.output)
	if ifMatch {
		cmd.Flags().Int64Var(&wf.ifMatch, "if-match", 0, "change only if the object is still at this version (default: the version read just before)")
	}
}

// writableCollection looks a collection up for a write command, refusing
// the ones that are only read.
func writableCollection(name, verb string) (*collection, error) {
	coll, err := lookupCollection(name)
	if err != nil {
		return nil, err
	}
	if coll.listOnly {
		return nil, fmt.Errorf("%s are written by the appliance itself; they cannot be %s", coll.path, pastTense(verb))
	}
	return coll, nil
}

func pastTense(verb string) string {
	if strings.HasSuffix(verb, "e") {
		return verb + "d"
	}
	return verb + "ed"
}

// readObject reads and decodes -f. A document written for apply may be
// used as is: its "collection" field is dropped when it names coll.
func (e env) readObject(wf *writeFlags, coll *collection) (map[string]any, error) {
	b, err := e.readInput(wf.file)
	if err != nil {
		return nil, err
	}
	name := wf.file
	if name == "-" {
		name = "stdin"
	}
	obj, err := decodeInput(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if v, ok := obj["collection"]; ok {
		s, _ := v.(string)
		named, err := lookupCollection(s)
		if err != nil || named != coll {
			return nil, fmt.Errorf("%s: collection: the file is for %v, not %s", name, v, coll.path)
		}
		delete(obj, "collection")
	}
	return obj, nil
}

func (e env) create(ctx context.Context, f *connFlags, coll *collection, wf *writeFlags) error {
	if err := checkOutput(wf.output); err != nil {
		return err
	}
	obj, err := e.readObject(wf, coll)
	if err != nil {
		return err
	}
	c, err := e.client(f)
	if err != nil {
		return err
	}
	var out json.RawMessage
	if _, err := c.Do(ctx, http.MethodPost, coll.path, nil, obj, &out); err != nil {
		return fmt.Errorf("create %s: %w", coll.singular, err)
	}
	return e.writeResult(wf.output, "created", coll, out)
}

func (e env) update(ctx context.Context, f *connFlags, coll *collection, path string, wf *writeFlags) error {
	if err := checkOutput(wf.output); err != nil {
		return err
	}
	patch, err := e.readObject(wf, coll)
	if err != nil {
		return err
	}
	c, err := e.client(f)
	if err != nil {
		return err
	}
	version := wf.ifMatch
	if version == 0 {
		if version, err = readVersion(ctx, c, path); err != nil {
			return err
		}
	}
	var out json.RawMessage
	if _, err := c.Do(ctx, http.MethodPatch, path, nil, patch, &out, api.IfMatch(version)); err != nil {
		return fmt.Errorf("update %s: %w", coll.singular, err)
	}
	return e.writeResult(wf.output, "updated", coll, out)
}

func (e env) remove(ctx context.Context, f *connFlags, coll *collection, path string, wf *writeFlags) error {
	c, err := e.client(f)
	if err != nil {
		return err
	}
	version := wf.ifMatch
	if version == 0 {
		if version, err = readVersion(ctx, c, path); err != nil {
			return err
		}
	}
	if _, err := c.Do(ctx, http.MethodDelete, path, nil, nil, nil, api.IfMatch(version)); err != nil {
		return fmt.Errorf("delete %s: %w", coll.singular, err)
	}
	_, err = fmt.Fprintf(e.stdout, "deleted %s %s\n", coll.singular, path[strings.LastIndex(path, "/")+1:])
	return err
}

// readVersion reads the object at path and returns its version, from the
// ETag (or, failing that, the version field).
func readVersion(ctx context.Context, c *api.Client, path string) (int64, error) {
	var obj struct {
		Version int64 `json:"version"`
	}
	h, err := c.Do(ctx, http.MethodGet, path, nil, nil, &obj)
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", path, err)
	}
	if v, err := strconv.ParseInt(strings.Trim(strings.TrimPrefix(h.Get("ETag"), "W/"), `"`), 10, 64); err == nil {
		return v, nil
	}
	return obj.Version, nil
}

// writeResult prints the object a write answered: a "created jump-group 4"
// line and its fields, or the JSON alone with -o json.
func (e env) writeResult(output, verb string, coll *collection, raw json.RawMessage) error {
	if output == outputJSON {
		return writeJSON(e.stdout, raw)
	}
	obj, err := decodeObject(raw)
	if err != nil {
		return err
	}
	what := coll.singular
	if id := scalar(obj["id"]); id != "" && !coll.singleton {
		what += " " + id
	}
	fmt.Fprintf(e.stdout, "%s %s\n", verb, what)
	return writeFields(e.stdout, raw)
}
