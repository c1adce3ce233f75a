package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/jumpgate/jumpgate/api"
)

// Item reference prefixes, also the TYPE column of 'items list'.
const (
	refClient = "client"
	refTunnel = "tunnel"
)

// itemRef is a parsed item argument: an id or a name, with or without a
// client: or tunnel: prefix.
type itemRef struct {
	// kind is refClient, refTunnel or "" (either).
	kind string
	// id is set when the argument is a number; name otherwise.
	id   int64
	name string
}

// parseItemRef reads an item argument: 12, client:12, tunnel:db, client:web-01
// or a bare name. A number after the prefix (or alone) is an id; anything
// else is a name. A prefix other than client: or tunnel: is part of a name.
func parseItemRef(s string) (itemRef, error) {
	var r itemRef
	rest := s
	if k, v, ok := strings.Cut(s, ":"); ok && (k == refClient || k == refTunnel) {
		r.kind, rest = k, v
	}
	rest = strings.TrimSpace(rest)
	if rest == "" {
		return r, fmt.Errorf("item %q: want an id or a name, e.g. client:12 or tunnel:db", s)
	}
	if isDigits(rest) {
		id, err := strconv.ParseInt(rest, 10, 64)
		if err != nil || id < 1 {
			return r, fmt.Errorf("item %q: invalid id", s)
		}
		r.id = id
		return r, nil
	}
	r.name = rest
	return r, nil
}

func isDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

// String renders the reference as the user would type it.
func (r itemRef) String() string {
	v := r.name
	if r.id > 0 {
		v = strconv.FormatInt(r.id, 10)
	}
	if r.kind != "" {
		return r.kind + ":" + v
	}
	return v
}

// item is a resolved Jump Item.
type item struct {
	// typ is api.ItemJumpClient or api.ItemProtocolTunnelJump.
	typ    string
	id     int64
	name   string
	client *api.JumpClient
	tunnel *api.ProtocolTunnelJump
}

// ref is the item's unambiguous reference, e.g. client:12.
func (i *item) ref() string { return refKind(i.typ) + ":" + strconv.FormatInt(i.id, 10) }

// String is "client:12 (web-01)".
func (i *item) String() string { return i.ref() + " (" + i.name + ")" }

func refKind(itemType string) string {
	if itemType == api.ItemProtocolTunnelJump {
		return refTunnel
	}
	return refClient
}

// kindName is the user's name of a reference kind.
func kindName(kind string) string {
	switch kind {
	case refClient:
		return "jump client"
	case refTunnel:
		return "protocol tunnel jump"
	}
	return "jump client or protocol tunnel jump"
}

// itemFinder looks items up; the methods are the appliance's, replaced in
// tests.
type itemFinder interface {
	GetJumpClient(ctx context.Context, id int64) (*api.JumpClient, error)
	ListJumpClients(ctx context.Context, opts *api.ListOptions) (*api.List[api.JumpClient], error)
	GetProtocolTunnelJump(ctx context.Context, id int64) (*api.ProtocolTunnelJump, error)
	ListProtocolTunnelJumps(ctx context.Context, opts *api.ListOptions) (*api.List[api.ProtocolTunnelJump], error)
}

// resolveItem finds the item r names among the kinds allowed ("" allows
// both). A name or a bare id that matches more than one item is an error
// that lists the matches.
func resolveItem(ctx context.Context, c itemFinder, r itemRef, allowed string) (*item, error) {
	if r.kind != "" && allowed != "" && r.kind != allowed {
		return nil, fmt.Errorf("%s is a %s; this command needs a %s", r, kindName(r.kind), kindName(allowed))
	}
	kinds := []string{refClient, refTunnel}
	switch {
	case r.kind != "":
		kinds = []string{r.kind}
	case allowed != "":
		kinds = []string{allowed}
	}
	var found []*item
	for _, k := range kinds {
		items, err := findItems(ctx, c, k, r)
		if err != nil {
			return nil, err
		}
		found = append(found, items...)
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		kind := r.kind
		if kind == "" {
			kind = allowed
		}
		if r.id > 0 {
			return nil, fmt.Errorf("no %s with id %d (or you may not see it)", kindName(kind), r.id)
		}
		return nil, fmt.Errorf("no %s named %q (or you may not see it)", kindName(kind), r.name)
	}
	names := make([]string, len(found))
	for i, it := range found {
		names[i] = it.String()
	}
	return nil, fmt.Errorf("%q matches %d items: %s; name one as TYPE:ID, e.g. %s", r.String(), len(found), strings.Join(names, ", "), found[0].ref())
}

// findItems returns the items of one kind that r names.
func findItems(ctx context.Context, c itemFinder, kind string, r itemRef) ([]*item, error) {
	if r.id > 0 {
		var it *item
		var err error
		if kind == refClient {
			var jc *api.JumpClient
			if jc, err = c.GetJumpClient(ctx, r.id); err == nil {
				it = clientItem(jc)
			}
		} else {
			var pt *api.ProtocolTunnelJump
			if pt, err = c.GetProtocolTunnelJump(ctx, r.id); err == nil {
				it = tunnelItem(pt)
			}
		}
		if errors.Is(err, api.ErrNotFound) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		return []*item{it}, nil
	}
	opts := &api.ListOptions{Filters: map[string]string{"name": r.name}}
	var out []*item
	if kind == refClient {
		all, err := api.ListAll(ctx, c.ListJumpClients, opts)
		if errors.Is(err, api.ErrNotFound) { // an appliance without Jump Clients yet
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		for i := range all {
			out = append(out, clientItem(&all[i]))
		}
		return out, nil
	}
	all, err := api.ListAll(ctx, c.ListProtocolTunnelJumps, opts)
	if err != nil {
		return nil, err
	}
	for i := range all {
		out = append(out, tunnelItem(&all[i]))
	}
	return out, nil
}

func clientItem(jc *api.JumpClient) *item {
	return &item{typ: api.ItemJumpClient, id: jc.ID, name: jc.Name, client: jc}
}

func tunnelItem(pt *api.ProtocolTunnelJump) *item {
	return &item{typ: api.ItemProtocolTunnelJump, id: pt.ID, name: pt.Name, tunnel: pt}
}

// newItemsListCmd is 'items list': Jump Clients and Protocol Tunnel Jumps
// in one table.
func newItemsListCmd(e env, f *connFlags) *cobra.Command {
	var output, search, sort string
	var filters []string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the Jump Items you can see",
		Long: `items list prints the Jump Items visible to you: Jump Clients (TYPE client)
and Protocol Tunnel Jumps (TYPE tunnel). STATUS is a client's status (online,
offline, lost, uninstalled) or, for a tunnel jump, whether its Jumpoint is
connected (shown to admins, who may read Jumpoints). TARGET is the client's
host name, or the tunnel jump's host and remote ports.

Name an item in other commands by TYPE:ID (client:12, tunnel:3), by its id
alone, or by its name. With -o json each object carries an item_type member.
--search and --sort apply to each type: clients come first, then tunnel jumps.`,
		Example: `  jumpgate items list
  jumpgate items list --search web --sort -name
  jumpgate items list --filter tag=prod -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			q := url.Values{}
			for _, kv := range filters {
				k, v, ok := strings.Cut(kv, "=")
				if !ok || k == "" {
					return fmt.Errorf("--filter %q: want key=value", kv)
				}
				q.Set(k, v)
			}
			setSearchSort(q, search, sort)
			c, err := e.client(f)
			if err != nil {
				return err
			}
			return e.listItems(cmd.Context(), c, q, output)
		},
	}
	addOutputFlag(cmd, &output)
	cmd.Flags().StringArrayVar(&filters, "filter", nil, "exact-match filter key=value sent to both collections, e.g. name=web-01 or tag=prod (repeatable)")
	addSearchSortFlags(cmd, &search, &sort)
	return cmd
}

func (e env) listItems(ctx context.Context, c *api.Client, q url.Values, output string) error {
	clients, err := fetchAll(ctx, c, pathJumpClients, q, 0)
	if errors.Is(err, api.ErrNotFound) { // an appliance without Jump Clients yet
		clients, err = nil, nil
	}
	if err != nil {
		return err
	}
	tunnels, err := fetchAll(ctx, c, api.PathProtocolTunnelJumps, q, 0)
	if err != nil {
		return err
	}
	rows := make([]json.RawMessage, 0, len(clients)+len(tunnels))
	for _, raw := range clients {
		rows = append(rows, withItemType(raw, api.ItemJumpClient))
	}
	for _, raw := range tunnels {
		rows = append(rows, withItemType(raw, api.ItemProtocolTunnelJump))
	}
	if output == outputJSON {
		return writeJSON(e.stdout, rows)
	}
	// Jumpoints are admin-only: others see no tunnel status.
	jumpoints := map[string]map[string]any{}
	if len(tunnels) > 0 {
		if jps, err := fetchAll(ctx, c, api.PathJumpoints, nil, 0); err == nil {
			for _, raw := range jps {
				if o, err := decodeObject(raw); err == nil {
					jumpoints[scalar(o["id"])] = o
				}
			}
		}
	}
	cols := itemColumns(jumpoints)
	return writeTable(e.stdout, cols, rows)
}

// itemColumns are the columns of 'items list'; jumpoints by id give the
// tunnel jumps' status.
func itemColumns(jumpoints map[string]map[string]any) []column {
	isTunnel := func(o map[string]any) bool { return o["item_type"] == api.ItemProtocolTunnelJump }
	return []column{
		{"TYPE", func(o map[string]any) string { return refKind(scalar(o["item_type"])) }},
		field("ID", "id"),
		field("NAME", "name"),
		jumpGroupColumn,
		{"STATUS", func(o map[string]any) string {
			if !isTunnel(o) {
				return scalar(o["status"])
			}
			jp, ok := jumpoints[scalar(o["jumpoint_id"])]
			switch {
			case !ok:
				return ""
			case jp["enabled"] == false:
				return "jumpoint disabled"
			case jp["connected"] == true:
				return "jumpoint connected"
			}
			return "jumpoint offline"
		}},
		{"TARGET", func(o map[string]any) string {
			if !isTunnel(o) {
				return scalar(o["hostname"])
			}
			defs, _ := o["tunnel_definitions"].([]any)
			ports := make([]string, 0, len(defs))
			for _, d := range defs {
				m, _ := d.(map[string]any)
				ports = append(ports, scalar(m["remote_port"]))
			}
			return scalar(o["hostname"]) + ":" + strings.Join(ports, ",")
		}},
	}
}

// withItemType prefixes a JSON object with "item_type", keeping the rest
// as the appliance sent it.
func withItemType(raw json.RawMessage, typ string) json.RawMessage {
	body := bytes.TrimSpace(raw)
	if len(body) < 2 || body[0] != '{' {
		return raw
	}
	var b bytes.Buffer
	t, _ := json.Marshal(typ)
	b.WriteString(`{"item_type":`)
	b.Write(t)
	if rest := bytes.TrimSpace(body[1:]); len(rest) > 0 && rest[0] != '}' {
		b.WriteByte(',')
	}
	b.Write(body[1:])
	return b.Bytes()
}
