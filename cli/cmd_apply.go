package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/jumpgate/jumpgate/api"
)

type applyFlags struct {
	files  []string
	dryRun bool
	prune  bool
	labels []string
}

func newApplyCmd(e env, f *connFlags) *cobra.Command {
	af := &applyFlags{}
	cmd := &cobra.Command{
		Use:   "apply -f DIR|FILE [--dry-run] [--prune -l key=value]",
		Short: "Make the appliance's configuration match YAML files",
		Long: `apply reads YAML documents (several per file, separated by ---) from FILE, or
from every .yaml, .yml and .json file of DIR, and makes the appliance match
them. Each document names its collection and gives the object's fields:

  collection: jump-groups
  code_name: ops
  name: Operations

An object is matched by its collection's unique key: code_name (jump-groups,
jump-policies, session-policies, jumpoints), hostname (public-portals),
username (users) or name (group-policies, protocol-tunnel-jumps); the
jump-client settings (collection: settings) are one object and need none. Missing
objects are created, objects whose fields differ are changed with a JSON merge
patch of the differing fields (with If-Match), and equal ones are left alone.
Fields a document leaves out are not touched.

A reference may be written by key instead of id: jump_group: {code_name: ops}
for jump_group_id, and likewise jumpoint, jump_policy, session_policy,
attended_session_policy, unattended_session_policy, public_portal and
group_policy (also inside memberships and jump_groups entries); members and
approval_user_ids entries may be {username: alice}. jump_group: {username:
alice} names alice's personal list. Writes are ordered so that every
reference resolves.

Everything is checked before the first write: the YAML, the collections and
their fields (against the appliance's OpenAPI document), the keys and every
reference. Bad input writes nothing. --dry-run prints the plan and writes
nothing.

--prune -l key=value deletes the objects that carry all of those labels and
that no document names any more (what refers to others first); every
document must then carry the labels. Without -l, --prune is refused.`,
		Example: `  jumpgate apply -f examples/cli-apply/ --dry-run
  jumpgate apply -f examples/cli-apply/ --prune -l app.example.com/set=support`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return e.apply(cmd.Context(), f, af)
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVarP(&af.files, "filename", "f", nil, "YAML file, directory of them, or - for stdin (repeatable)")
	fl.BoolVar(&af.dryRun, "dry-run", false, "print the plan and write nothing")
	fl.BoolVar(&af.prune, "prune", false, "delete objects carrying the -l labels that the files no longer contain")
	fl.StringArrayVarP(&af.labels, "label", "l", nil, "with --prune: a label key=value the pruned objects carry (repeatable; all must match)")
	return cmd
}

// pruneSelector checks --prune and -l.
func (af *applyFlags) pruneSelector() (map[string]string, error) {
	if !af.prune {
		if len(af.labels) > 0 {
			return nil, errors.New("-l selects the objects --prune deletes; give --prune too")
		}
		return nil, nil
	}
	if len(af.labels) == 0 {
		return nil, errors.New("--prune needs -l key=value: only objects carrying that label are ever deleted")
	}
	sel := map[string]string{}
	for _, term := range af.labels {
		k, v, ok := strings.Cut(term, "=")
		if !ok {
			return nil, fmt.Errorf("-l %q: want key=value", term)
		}
		if err := checkLabelTerm(term); err != nil {
			return nil, fmt.Errorf("-l %q: %w", term, err)
		}
		sel[k] = v
	}
	return sel, nil
}

func (e env) apply(ctx context.Context, f *connFlags, af *applyFlags) error {
	if len(af.files) == 0 {
		return errors.New("apply needs -f DIR|FILE")
	}
	prune, err := af.pruneSelector()
	if err != nil {
		return err
	}
	files, err := applyFiles(af.files)
	if err != nil {
		return err
	}
	var errs docErrors
	var docs []*applyDoc
	for _, name := range files {
		b, err := e.readInput(name)
		if err != nil {
			return err
		}
		if name == "-" {
			name = "stdin"
		}
		docs = append(docs, parseApplyFile(name, b, &errs)...)
	}
	if err := errs.err(); err != nil {
		return err
	}
	if len(docs) == 0 {
		// With --prune this would delete every labelled object: a wrong
		// path must not do that.
		return errors.New("the files hold no document")
	}
	c, err := e.client(f)
	if err != nil {
		return err
	}
	state, candidates, err := loadApplyState(ctx, c, docs, prune)
	if err != nil {
		return err
	}
	steps := plan(docs, state, loadSchemas(ctx, c), applyOptions{prune: prune}, candidates, &errs)
	if err := errs.err(); err != nil {
		return err
	}
	if af.dryRun {
		for _, s := range steps {
			fmt.Fprintln(e.stdout, s)
		}
		fmt.Fprintln(e.stdout, summary(steps, true))
		return nil
	}
	written := 0
	for _, s := range steps {
		if err := runStep(ctx, c, s); err != nil {
			where := ""
			if s.doc != nil {
				where = " (" + s.doc.where() + ")"
			}
			done := "; nothing was written before it"
			if written > 0 {
				done = fmt.Sprintf("; apply stopped here after %s (above): fix this and apply again", plural(written, "write", "writes"))
			}
			return fmt.Errorf("%s%s: %w%s", s, where, err, done)
		}
		if s.action != actionUnchanged {
			written++
		}
		fmt.Fprintln(e.stdout, pastStep(s))
	}
	fmt.Fprintln(e.stdout, summary(steps, false))
	return nil
}

// loadSchemas reads the appliance's OpenAPI document, else the one this CLI
// was built with.
func loadSchemas(ctx context.Context, c *api.Client) *schemaSet {
	var raw json.RawMessage
	if _, err := c.Do(ctx, http.MethodGet, "openapi.json", nil, nil, &raw); err == nil {
		if s := newSchemaSet(raw); s != nil {
			return s
		}
	}
	return embeddedSchemas()
}

// loadApplyState lists the collections that the documents and their
// references name, and the prune candidates: the objects of every
// collection apply manages that carry the prune labels.
func loadApplyState(ctx context.Context, c *api.Client, docs []*applyDoc, prune map[string]string) (applyState, map[string][]*remoteObject, error) {
	need := map[string]string{}
	for _, d := range docs {
		need[d.coll.path] = d.key
		for _, r := range d.refs {
			need[r.target.path] = r.target.key
		}
	}
	state := applyState{}
	for _, d := range docs {
		if d.coll.singleton && state[d.coll.path] == nil {
			var raw json.RawMessage
			if _, err := c.Do(ctx, http.MethodGet, d.coll.path, nil, nil, &raw); err != nil {
				return nil, nil, fmt.Errorf("read %s: %w", d.coll.singular, err)
			}
			o, err := decodeObject(raw)
			if err != nil {
				return nil, nil, err
			}
			ver, _ := toInt(o["version"])
			state[d.coll.path] = map[string][]*remoteObject{"": {{version: ver, fields: o}}}
		}
	}
	for _, k := range applyKeys {
		key, ok := need[k.path]
		if !ok {
			continue
		}
		objs, err := listObjects(ctx, c, k.path, nil)
		if err != nil {
			return nil, nil, err
		}
		if err := state.add(k.path, key, objs); err != nil {
			return nil, nil, err
		}
	}
	if len(prune) == 0 {
		return state, nil, nil
	}
	q := url.Values{}
	for _, k := range sortedKeys(prune) {
		q.Add("label", k+"="+prune[k])
	}
	candidates := map[string][]*remoteObject{}
	for _, k := range applyKeys {
		objs, err := listObjects(ctx, c, k.path, q)
		if err != nil {
			return nil, nil, err
		}
		sel := applyState{}
		if err := sel.add(k.path, k.key, objs); err != nil {
			return nil, nil, err
		}
		for _, byKey := range sel[k.path] {
			candidates[k.path] = append(candidates[k.path], byKey...)
		}
	}
	return state, candidates, nil
}

func listObjects(ctx context.Context, c *api.Client, path string, q url.Values) ([]map[string]any, error) {
	raws, err := fetchAll(ctx, c, path, q, 0)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", path, err)
	}
	objs := make([]map[string]any, 0, len(raws))
	for _, r := range raws {
		o, err := decodeObject(r)
		if err != nil {
			return nil, err
		}
		objs = append(objs, o)
	}
	return objs, nil
}

// runStep writes one step.
func runStep(ctx context.Context, c *api.Client, s *planStep) error {
	switch s.action {
	case actionCreate:
		body := materialize(s.doc.fields)
		var out struct {
			ID      int64 `json:"id"`
			Version int64 `json:"version"`
		}
		if _, err := c.Do(ctx, http.MethodPost, s.doc.coll.path, nil, body, &out); err != nil {
			return err
		}
		s.doc.id, s.doc.version = out.ID, out.Version
	case actionUpdate:
		patch := map[string]any{}
		for _, k := range s.changed {
			patch[k] = materialize(s.doc.fields[k])
		}
		path := s.doc.coll.path + "/" + strconv.FormatInt(s.doc.id, 10)
		if s.doc.coll.singleton {
			path = s.doc.coll.path
		}
		if _, err := c.Do(ctx, http.MethodPatch, path, nil, patch, nil, api.IfMatch(s.doc.version)); err != nil {
			return err
		}
	case actionDelete:
		path := s.coll.path + "/" + strconv.FormatInt(s.remote.id, 10)
		if _, err := c.Do(ctx, http.MethodDelete, path, nil, nil, nil, api.IfMatch(s.remote.version)); err != nil {
			return err
		}
	}
	return nil
}

// pastStep is the line printed once a step is done.
func pastStep(s *planStep) string {
	switch s.action {
	case actionCreate:
		return fmt.Sprintf("created %s (id %d)", s.doc.name(), s.doc.id)
	case actionUpdate:
		return fmt.Sprintf("updated %s: %s", s.doc.label(), strings.Join(s.changed, ", "))
	case actionDelete:
		return "deleted" + strings.TrimPrefix(s.String(), actionDelete)
	}
	return s.String()
}

func summary(steps []*planStep, dryRun bool) string {
	n := map[string]int{}
	for _, s := range steps {
		n[s.action]++
	}
	if dryRun {
		return fmt.Sprintf("dry run: %d to create, %d to update, %d unchanged, %d to delete; nothing was written",
			n[actionCreate], n[actionUpdate], n[actionUnchanged], n[actionDelete])
	}
	return fmt.Sprintf("%d created, %d updated, %d unchanged, %d deleted",
		n[actionCreate], n[actionUpdate], n[actionUnchanged], n[actionDelete])
}
