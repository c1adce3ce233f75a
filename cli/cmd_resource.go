package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/jumpgate/jumpgate/api"
)

// maxPageSize is the largest page the appliance serves; list asks for it to
// make as few round trips as possible.
const maxPageSize = 500

// listFlags are the flags of every list command.
type listFlags struct {
	output     string
	limit      int
	filters    []string
	labels     []string
	showLabels bool
	objectType string
	actor      string
	since      string
	search     string
	sort       string
}

func newListCmd(e env, f *connFlags) *cobra.Command {
	return listCommand(e, f, nil, &cobra.Command{
		Use:   "list COLLECTION",
		Short: "List the objects of a collection",
		Long: `list prints every object of a collection, following pages to the end unless
--limit is given.

Collections: jump-groups, jump-policies, session-policies, jumpoints,
jump-client-installers, jump-clients, protocol-tunnel-jumps, public-portals,
users, group-policies, api-tokens and audit-events. Singular and snake_case
names work too, as do portals, installers, tokens and audit.

The collections with labels (all but jump-clients, api-tokens and
audit-events) take --label: key=value selects objects whose label key has
exactly that value, key alone objects that have the label at all; every
--label must match. --show-labels adds a LABELS column; -o json always
includes the labels.`,
		Example: `  jumpgate list jump-groups --filter code_name=ops
  jumpgate list jump-groups --label jumpgate.dev/managed-by=jumpgate-operator --show-labels
  jumpgate list audit-events --object-type jump-group --since 1h
  jumpgate list users -o json`,
		ValidArgs: collectionNames(),
	})
}

func newItemsCmd(e env, f *connFlags) *cobra.Command {
	items := &cobra.Command{Use: "items", Short: "Jump Items visible to you"}
	items.AddCommand(newItemsListCmd(e, f))
	return items
}

func newClientsCmd(e env, f *connFlags) *cobra.Command {
	clients := &cobra.Command{Use: "clients", Short: "Jump Clients"}
	jc, _ := lookupCollection(pathJumpClients)
	clients.AddCommand(listCommand(e, f, jc, &cobra.Command{
		Use:   "list",
		Short: "List the Jump Clients you can see",
		Long: `clients list prints the Jump Clients visible to you, from the appliance's
jump-clients collection. Appliances without that collection yet say so.`,
	}))
	return clients
}

// listCommand completes cmd as a list command: of fixed, or of the
// collection named by its argument when fixed is nil.
func listCommand(e env, f *connFlags, fixed *collection, cmd *cobra.Command) *cobra.Command {
	lf := &listFlags{}
	cmd.Args = cobra.NoArgs
	if fixed == nil {
		cmd.Args = func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return fmt.Errorf("list needs one collection; valid names: %s", strings.Join(collectionNames(), ", "))
			}
			return nil
		}
	}
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		coll := fixed
		if coll == nil {
			var err error
			if coll, err = lookupCollection(args[0]); err != nil {
				return err
			}
		}
		return e.list(cmd.Context(), f, coll, lf)
	}
	fl := cmd.Flags()
	addOutputFlag(cmd, &lf.output)
	fl.IntVar(&lf.limit, "limit", 0, "print at most this many objects (default all)")
	fl.StringArrayVar(&lf.filters, "filter", nil, "exact-match filter key=value sent as a query parameter (repeatable)")
	addSearchSortFlags(cmd, &lf.search, &lf.sort)
	if fixed == nil || fixed.labeled {
		fl.StringArrayVarP(&lf.labels, "label", "l", nil, "only objects with this label: key=value, or key for any value (repeatable; all must match)")
		fl.BoolVar(&lf.showLabels, "show-labels", false, "add a LABELS column to the table")
	}
	if fixed == nil {
		fl.StringVar(&lf.objectType, "object-type", "", "audit-events: only events about this kind of object, e.g. jump_group")
		fl.StringVar(&lf.actor, "actor", "", "audit-events: only events by this username")
		fl.StringVar(&lf.since, "since", "", "audit-events: only events since an RFC 3339 time or a duration ago, e.g. 1h")
	}
	return cmd
}

func (e env) list(ctx context.Context, f *connFlags, coll *collection, lf *listFlags) error {
	if err := checkOutput(lf.output); err != nil {
		return err
	}
	if coll.singleton {
		return fmt.Errorf("%s is a single object; use 'jumpgate get %s'", coll.singular, coll.singular)
	}
	if lf.limit < 0 {
		return errors.New("--limit must not be negative")
	}
	q, err := e.listQuery(coll, lf)
	if err != nil {
		return err
	}
	c, err := e.client(f)
	if err != nil {
		return err
	}
	items, err := fetchAll(ctx, c, coll.path, q, lf.limit)
	if coll.path == pathJumpClients && errors.Is(err, api.ErrNotFound) {
		return fmt.Errorf("this appliance has no jump-clients collection yet: %w", err)
	}
	if err != nil {
		return err
	}
	if lf.output == outputJSON {
		return writeJSON(e.stdout, items)
	}
	cols := coll.columns
	if lf.showLabels {
		cols = append(cols[:len(cols):len(cols)], labelsColumn)
	}
	return writeTable(e.stdout, cols, items)
}

// listQuery turns --filter, --label and the audit shortcuts into query
// parameters.
func (e env) listQuery(coll *collection, lf *listFlags) (url.Values, error) {
	q := url.Values{}
	for _, kv := range lf.filters {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("--filter %q: want key=value", kv)
		}
		q.Set(k, v)
	}
	if (len(lf.labels) > 0 || lf.showLabels) && !coll.labeled {
		return nil, fmt.Errorf("%s have no labels; --label and --show-labels apply to %s", coll.path, strings.Join(labeledNames(), ", "))
	}
	for _, term := range lf.labels {
		if err := checkLabelTerm(term); err != nil {
			return nil, fmt.Errorf("--label %q: %w", term, err)
		}
		q.Add("label", term)
	}
	setSearchSort(q, lf.search, lf.sort)
	if lf.objectType == "" && lf.actor == "" && lf.since == "" {
		return q, nil
	}
	if coll.path != api.PathAuditEvents {
		return nil, errors.New("--object-type, --actor and --since apply only to audit-events")
	}
	if lf.objectType != "" {
		t, err := auditObjectType(lf.objectType)
		if err != nil {
			return nil, err
		}
		q.Set("object_type", t)
	}
	if lf.actor != "" {
		q.Set("actor", lf.actor)
	}
	if lf.since != "" {
		t, err := e.parseSince(lf.since)
		if err != nil {
			return nil, err
		}
		q.Set("since", t.UTC().Format(time.RFC3339Nano))
	}
	return q, nil
}

// checkLabelTerm checks a --label term, "key=value" or "key", with the
// appliance's label rules, so that a typo fails before any request.
func checkLabelTerm(term string) error {
	k, v, hasValue := strings.Cut(term, "=")
	if err := api.CheckLabelKey(k); err != nil {
		return err
	}
	if hasValue {
		return api.CheckLabelValue(v)
	}
	return nil
}

// parseSince reads an RFC 3339 time, or a duration meaning that long ago.
func (e env) parseSince(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return time.Time{}, fmt.Errorf("--since %q: want an RFC 3339 time or a duration such as 1h", s)
	}
	return e.now().Add(-d), nil
}

// fetchAll follows next_cursor until the end, or until limit objects when
// limit > 0.
func fetchAll(ctx context.Context, c *api.Client, path string, q url.Values, limit int) ([]json.RawMessage, error) {
	items := []json.RawMessage{}
	cursor := ""
	for {
		pq := url.Values{}
		for k, v := range q {
			pq[k] = v
		}
		size := maxPageSize
		if limit > 0 {
			size = min(size, limit-len(items))
		}
		pq.Set("limit", strconv.Itoa(size))
		if cursor != "" {
			pq.Set("cursor", cursor)
		}
		var page api.List[json.RawMessage]
		if _, err := c.Do(ctx, http.MethodGet, path, pq, nil, &page); err != nil {
			return nil, err
		}
		items = append(items, page.Items...)
		if page.NextCursor == "" || (limit > 0 && len(items) >= limit) {
			break
		}
		if page.NextCursor == cursor {
			return nil, fmt.Errorf("list %s: the appliance returned the same cursor twice", path)
		}
		cursor = page.NextCursor
	}
	if limit > 0 && len(items) > limit {
		items = items[:limit]
	}
	return items, nil
}

func newGetCmd(e env, f *connFlags) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "get COLLECTION ID | get settings",
		Short: "Show one object",
		Long: `get prints every field of one object, or of the jump-client-settings
singleton (also called settings), which takes no ID.`,
		Example: `  jumpgate get jump-group 3
  jumpgate get settings -o json`,
		ValidArgs: collectionNames(),
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) < 1 || len(args) > 2 {
				return fmt.Errorf("get needs a collection and an id; valid collections: %s", strings.Join(collectionNames(), ", "))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			coll, err := lookupCollection(args[0])
			if err != nil {
				return err
			}
			path, err := objectPath(coll, args[1:])
			if err != nil {
				return err
			}
			c, err := e.client(f)
			if err != nil {
				return err
			}
			var obj json.RawMessage
			if _, err := c.Do(cmd.Context(), http.MethodGet, path, nil, nil, &obj); err != nil {
				return err
			}
			if output == outputJSON {
				return writeJSON(e.stdout, obj)
			}
			return writeFields(e.stdout, obj)
		},
	}
	addOutputFlag(cmd, &output)
	return cmd
}

// objectPath is the API path of the object that get's arguments name.
func objectPath(coll *collection, args []string) (string, error) {
	switch {
	case coll.singleton && len(args) > 0:
		return "", fmt.Errorf("%s is a single object and takes no id", coll.singular)
	case coll.singleton:
		return coll.path, nil
	case coll.listOnly:
		return "", fmt.Errorf("%s can only be listed; use 'jumpgate list %s'", coll.path, coll.path)
	case len(args) == 0:
		return "", fmt.Errorf("get %s needs an id", coll.singular)
	}
	id, err := strconv.ParseInt(args[0], 10, 64)
	if err != nil || id < 1 {
		return "", fmt.Errorf("invalid id %q: want a positive number", args[0])
	}
	return coll.path + "/" + strconv.FormatInt(id, 10), nil
}

// auditObjectType turns --object-type into one of api.AuditObjectTypes. It
// takes the type itself, a collection name ("jump-groups" means
// jump_group) and a plural ("sessions"); anything else is an error naming
// the valid types, since the filter would match nothing.
func auditObjectType(v string) (string, error) {
	t := strings.ToLower(strings.ReplaceAll(v, "-", "_"))
	if c, err := lookupCollection(v); err == nil {
		t = c.objectType()
	}
	for _, cand := range []string{t, strings.TrimSuffix(t, "s")} {
		if slices.Contains(api.AuditObjectTypes, cand) {
			return cand, nil
		}
	}
	return "", fmt.Errorf("--object-type %q: not a kind of audited object; valid: %s", v, strings.Join(api.AuditObjectTypes, ", "))
}

// addSearchSortFlags adds --search and --sort, which the appliance answers
// as ?q= and ?sort=.
func addSearchSortFlags(cmd *cobra.Command, search, sort *string) {
	cmd.Flags().StringVar(search, "search", "", "only objects whose names, code names, host names or tags contain this text, in any case")
	cmd.Flags().StringVar(sort, "sort", "", "sort by this key (e.g. name, created_at; -name for descending); the collection's OpenAPI ?sort= lists its keys")
}

// setSearchSort sets ?q= and ?sort= when given.
func setSearchSort(q url.Values, search, sort string) {
	if search != "" {
		q.Set("q", search)
	}
	if sort != "" {
		q.Set("sort", sort)
	}
}
