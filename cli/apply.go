package main

// This file holds the model of 'jumpgate apply': the documents read from
// files, how objects are matched by key and references written by key, and
// the plan (creates and updates in dependency order, then deletes). Nothing
// here talks to the appliance; cmd_apply.go loads the state and runs the plan.

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/jumpgate/jumpgate/api"
)

// applyKeys names, per collection, the unique key that apply matches objects
// by: the one the Terraform provider's import takes. The order is the order
// of writes when no reference decides it: what others refer to comes first.
var applyKeys = []struct{ path, key string }{
	{api.PathUsers, "username"},
	{api.PathJumpPolicies, "code_name"},
	{api.PathSessionPolicies, "code_name"},
	{api.PathPublicPortals, "hostname"},
	{api.PathJumpoints, "code_name"},
	{api.PathGroupPolicies, "name"},
	{api.PathJumpGroups, "code_name"},
	{api.PathProtocolTunnelJumps, "name"},
}

// applyRefusals says why apply does not manage the other collections.
var applyRefusals = map[string]string{
	api.PathJumpClientInstallers: "has no unique key that a file can give (installer_id is assigned by the appliance, and the key info is shown only when one is created); use 'jumpgate create' or Terraform",
	pathJumpClients:              "has no unique key, and jump clients are created by installing one, not by apply",
	api.PathAPITokens:            "has no unique key, and a token's secret is shown only when it is created; use 'jumpgate create'",
	api.PathAuditEvents:          "is written by the appliance itself",
}

// applyKey returns the unique key of coll ("" for the settings singleton,
// which needs none), or an error saying why apply refuses it.
func applyKey(coll *collection) (string, error) {
	if coll.singleton {
		return "", nil
	}
	for _, k := range applyKeys {
		if k.path == coll.path {
			return k.key, nil
		}
	}
	why := applyRefusals[coll.path]
	if why == "" {
		why = "has no unique key"
	}
	name := coll.path
	if coll.singleton {
		name = coll.singular
	}
	return "", fmt.Errorf("collection %s %s", name, why)
}

// normalKey is a key value as the appliance stores it: a public portal's
// host name in lower case without a final dot (DNS names are not case
// sensitive); other keys as they are.
func normalKey(path, key, value string) string {
	if path == api.PathPublicPortals && key == "hostname" {
		return strings.TrimSuffix(strings.ToLower(value), ".")
	}
	return value
}

// applyRank orders collections for writes (and, reversed, for deletes).
func applyRank(path string) int {
	for i, k := range applyKeys {
		if k.path == path {
			return i
		}
	}
	return len(applyKeys)
}

// refTarget is a collection that a reference may name by its key.
type refTarget struct{ key, path string }

// refFields are the reference fields of the API, by JSON name: the *_id
// fields anywhere in an object (memberships and jump_groups entries too),
// with the collections they may point at. A reference F_id is written by key
// as F: {key: value}; jump_group with username names a user's personal list.
var refFields = map[string][]refTarget{
	"jump_group_id":                {{"code_name", api.PathJumpGroups}, {"username", api.PathUsers}},
	"group_policy_id":              {{"name", api.PathGroupPolicies}},
	"jump_policy_id":               {{"code_name", api.PathJumpPolicies}},
	"session_policy_id":            {{"code_name", api.PathSessionPolicies}},
	"attended_session_policy_id":   {{"code_name", api.PathSessionPolicies}},
	"unattended_session_policy_id": {{"code_name", api.PathSessionPolicies}},
	"public_portal_id":             {{"hostname", api.PathPublicPortals}},
	"jumpoint_id":                  {{"code_name", api.PathJumpoints}},
	"user_id":                      {{"username", api.PathUsers}},
}

// refLists are the fields that hold a list of ids; each entry may be an id
// or written by key in place: members: [{username: alice}].
var refLists = map[string]refTarget{
	"members":           {"username", api.PathUsers},
	"approval_user_ids": {"username", api.PathUsers},
}

// applyDoc is one object of the files.
type applyDoc struct {
	file  string
	index int // document number in the file, from 1
	line  int
	coll  *collection
	key   string // the collection's unique key field
	value string // its value
	// fields are the object's fields without "collection", references by
	// key replaced with *docRef placeholders.
	fields map[string]any
	refs   []*docRef

	// Set while planning and running.
	id      int64 // 0 until it exists on the appliance
	version int64
}

func (d *applyDoc) where() string {
	return fmt.Sprintf("%s document %d (line %d)", d.file, d.index, d.line)
}

func (d *applyDoc) name() string {
	if d.coll.singleton {
		return d.coll.singular
	}
	return fmt.Sprintf("%s %s=%s", d.coll.path, d.key, d.value)
}

// label is name with the id, once the object exists.
func (d *applyDoc) label() string {
	if d.coll.singleton || d.id == 0 {
		return d.name()
	}
	return fmt.Sprintf("%s (id %d)", d.name(), d.id)
}

// docRef is a reference written by key, resolved to an object of the
// appliance (id set) or to a document that apply creates (doc set).
type docRef struct {
	field  string // where the document writes it, e.g. memberships[0].group_policy
	target refTarget
	value  string
	id     int64
	doc    *applyDoc
}

// docErrors collects the problems of the files, each naming where it is.
type docErrors []docError

type docError struct {
	file  string
	index int // the document, 0 for the file as a whole
	msg   string
}

// add records a problem of the file as a whole.
func (e *docErrors) add(file, format string, args ...any) {
	*e = append(*e, docError{file: file, msg: file + ": " + fmt.Sprintf(format, args...)})
}

// addDoc records a problem of document d.
func (e *docErrors) addDoc(d *applyDoc, format string, args ...any) {
	*e = append(*e, docError{file: d.file, index: d.index, msg: d.where() + ": " + fmt.Sprintf(format, args...)})
}

// err lists the problems by file and document, nil if there are none.
func (e docErrors) err() error {
	if len(e) == 0 {
		return nil
	}
	sorted := append(docErrors(nil), e...)
	sort.SliceStable(sorted, func(i, j int) bool {
		if sorted[i].file != sorted[j].file {
			return sorted[i].file < sorted[j].file
		}
		return sorted[i].index < sorted[j].index
	})
	const max = 50
	var lines []string
	for i, de := range sorted {
		if i == max {
			lines = append(lines, fmt.Sprintf("… and %d more", len(sorted)-max))
			break
		}
		lines = append(lines, de.msg)
	}
	return fmt.Errorf("the files were refused and nothing was written:\n%s", strings.Join(lines, "\n"))
}

// applyFiles lists the files that -f names: a file as is, a directory's
// *.yaml, *.yml and *.json files (not recursively, hidden ones skipped), in
// name order.
func applyFiles(names []string) ([]string, error) {
	var out []string
	for _, n := range names {
		if n == "-" {
			out = append(out, n)
			continue
		}
		st, err := os.Stat(n)
		if err != nil {
			return nil, fmt.Errorf("-f %s: %w", n, err)
		}
		if !st.IsDir() {
			out = append(out, n)
			continue
		}
		entries, err := os.ReadDir(n)
		if err != nil {
			return nil, fmt.Errorf("-f %s: %w", n, err)
		}
		found := false
		for _, ent := range entries {
			name := ent.Name()
			ext := strings.ToLower(filepath.Ext(name))
			if ent.IsDir() || strings.HasPrefix(name, ".") || (ext != ".yaml" && ext != ".yml" && ext != ".json") {
				continue
			}
			out = append(out, filepath.Join(n, name))
			found = true
		}
		if !found {
			return nil, fmt.Errorf("-f %s: the directory holds no .yaml, .yml or .json file", n)
		}
	}
	return out, nil
}

// parseApplyFile reads the documents of one file. Each names its collection
// and carries the collection's unique key; references by key become
// placeholders that resolve finds.
func parseApplyFile(file string, b []byte, errs *docErrors) []*applyDoc {
	raw, err := yamlDocuments(b)
	var docs []*applyDoc
	for _, r := range raw {
		d := &applyDoc{file: file, index: r.index, line: r.line}
		if r.err != nil {
			errs.addDoc(d, "%v", r.err)
			continue
		}
		if d, ok := parseApplyDoc(d, r.fields, errs); ok {
			docs = append(docs, d)
		}
	}
	if err != nil {
		errs.add(file, "%v", err)
	}
	return docs
}

func parseApplyDoc(d *applyDoc, fields map[string]any, errs *docErrors) (*applyDoc, bool) {
	name, ok := fields["collection"].(string)
	if !ok || name == "" {
		errs.addDoc(d, "collection: missing; every document names its collection, e.g. collection: jump-groups")
		return nil, false
	}
	coll, err := lookupCollection(name)
	if err != nil {
		errs.addDoc(d, "collection: %v", err)
		return nil, false
	}
	key, err := applyKey(coll)
	if err != nil {
		errs.addDoc(d, "collection: %v", err)
		return nil, false
	}
	d.coll, d.key = coll, key
	d.fields = make(map[string]any, len(fields))
	for k, v := range fields {
		if k != "collection" {
			d.fields[k] = v
		}
	}
	if coll.singleton {
		n := len(*errs)
		d.fields = d.refsByKey(d.fields, "", errs).(map[string]any)
		return d, len(*errs) == n
	}
	value, ok := d.fields[key].(string)
	if !ok || value == "" {
		errs.addDoc(d, "%s: missing; apply matches %s by %s, so every document of them gives it", key, coll.path, key)
		return nil, false
	}
	// The key as the appliance stores it, so that it matches and compares.
	d.value = normalKey(coll.path, key, value)
	d.fields[key] = d.value
	n := len(*errs)
	d.fields = d.refsByKey(d.fields, "", errs).(map[string]any)
	return d, len(*errs) == n
}

// refsByKey walks v and replaces every reference written by key with a
// *docRef: F: {key: value} becomes F_id, and entries of refLists written as
// {key: value} become placeholders in place.
func (d *applyDoc) refsByKey(v any, path string, errs *docErrors) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		keys := sortedKeys(v)
		for _, k := range keys {
			sub := joinPath(path, k)
			val := v[k]
			if targets, ok := refFields[k+"_id"]; ok {
				if m, isMap := val.(map[string]any); isMap {
					if _, both := v[k+"_id"]; both {
						errs.addDoc(d, "%s: give %s or %s_id, not both", sub, k, k)
						continue
					}
					if r := d.parseRef(sub, m, targets, errs); r != nil {
						out[k+"_id"] = r
						if k == "jump_group" && r.target.path == api.PathUsers {
							if _, set := v["jump_group_type"]; !set {
								out["jump_group_type"] = api.JumpGroupPersonal
							}
						}
					}
					continue
				}
			}
			if t, ok := refLists[k]; ok {
				if a, isList := val.([]any); isList {
					list := make([]any, len(a))
					for i, e := range a {
						p := fmt.Sprintf("%s[%d]", sub, i)
						if m, isMap := e.(map[string]any); isMap {
							if r := d.parseRef(p, m, []refTarget{t}, errs); r != nil {
								list[i] = r
							}
							continue
						}
						list[i] = e
					}
					out[k] = list
					continue
				}
			}
			out[k] = d.refsByKey(val, sub, errs)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = d.refsByKey(e, fmt.Sprintf("%s[%d]", path, i), errs)
		}
		return out
	}
	return v
}

func (d *applyDoc) parseRef(written string, m map[string]any, targets []refTarget, errs *docErrors) *docRef {
	var keys []string
	for _, t := range targets {
		keys = append(keys, t.key)
	}
	want := "{" + strings.Join(keys, ": …} or {") + ": …}"
	if len(m) != 1 {
		errs.addDoc(d, "%s: a reference by key names one key, %s", written, want)
		return nil
	}
	for k, v := range m {
		for _, t := range targets {
			if k != t.key {
				continue
			}
			s, ok := v.(string)
			if !ok || s == "" {
				errs.addDoc(d, "%s.%s: want a non-empty string", written, k)
				return nil
			}
			r := &docRef{field: written, target: t, value: normalKey(t.path, t.key, s)}
			d.refs = append(d.refs, r)
			return r
		}
		errs.addDoc(d, "%s: %q is not a key it can be found by; write %s", written, k, want)
	}
	return nil
}

// remoteObject is an object as the appliance answered it.
type remoteObject struct {
	id      int64
	version int64
	fields  map[string]any
}

// applyState is what the appliance holds of the collections apply touches:
// by collection path and key value.
type applyState map[string]map[string][]*remoteObject

// add indexes objects of coll (decoded with UseNumber) by key.
func (s applyState) add(path, key string, objs []map[string]any) error {
	byKey := s[path]
	if byKey == nil {
		byKey = map[string][]*remoteObject{}
		s[path] = byKey
	}
	for _, o := range objs {
		id, err1 := toInt(o["id"])
		ver, err2 := toInt(o["version"])
		if err := errors.Join(err1, err2); err != nil {
			return fmt.Errorf("%s: an object without a numeric id and version: %w", path, err)
		}
		v := normalKey(path, key, scalar(o[key]))
		byKey[v] = append(byKey[v], &remoteObject{id: id, version: ver, fields: o})
	}
	return nil
}

// find returns the one object of path with key value, nil if there is none.
func (s applyState) find(path, key, value string) (*remoteObject, error) {
	objs := s[path][value]
	switch len(objs) {
	case 0:
		return nil, nil
	case 1:
		return objs[0], nil
	}
	return nil, fmt.Errorf("%d %s on the appliance have %s %q; apply needs it unique: rename all but one", len(objs), path, key, value)
}

// planStep is one line of the plan.
type planStep struct {
	action  string // create, update, unchanged or delete
	doc     *applyDoc
	changed []string // update: the fields that differ
	// delete: the object to prune.
	coll   *collection
	key    string
	remote *remoteObject
}

func (s *planStep) String() string {
	switch s.action {
	case actionCreate:
		return fmt.Sprintf("%s %s", s.action, s.doc.name())
	case actionUpdate:
		return fmt.Sprintf("%s %s: %s", s.action, s.doc.label(), strings.Join(s.changed, ", "))
	case actionUnchanged:
		return fmt.Sprintf("%s %s", s.action, s.doc.label())
	}
	return fmt.Sprintf("%s %s %s=%s (id %d)", s.action, s.coll.path, s.key, scalar(s.remote.fields[s.key]), s.remote.id)
}

// Plan actions.
const (
	actionCreate    = "create"
	actionUpdate    = "update"
	actionUnchanged = "unchanged"
	actionDelete    = "delete"
)

// applyOptions are what the command line adds to the files.
type applyOptions struct {
	// prune selects, as key=value labels, the objects that apply deletes
	// when no document names them.
	prune map[string]string
}

// checkDuplicates refuses two documents for one object.
func checkDuplicates(docs []*applyDoc, errs *docErrors) {
	seen := map[string]*applyDoc{}
	for _, d := range docs {
		k := d.coll.path + "\x00" + d.value
		if first, dup := seen[k]; dup {
			field := d.key
			if field == "" {
				field = "collection"
			}
			errs.addDoc(d, "%s: %s is also in %s", field, d.name(), first.where())
			continue
		}
		seen[k] = d
	}
}

// checkPruneLabels makes sure every document carries the prune labels, so
// that a later apply without it prunes it.
func checkPruneLabels(docs []*applyDoc, prune map[string]string, errs *docErrors) {
	for _, d := range docs {
		labels, _ := d.fields["labels"].(map[string]any)
		for k, v := range prune {
			if got, ok := labels[k].(string); !ok || got != v {
				errs.addDoc(d, "labels: with --prune -l %s=%s every document carries that label (labels: {%s: %q}), so that removing it from the files prunes it", k, v, k, v)
			}
		}
	}
}

// resolve finds every reference: an object of the appliance, else a
// document of the files (which is then written first).
func resolve(docs []*applyDoc, state applyState, errs *docErrors) {
	inFiles := map[string]*applyDoc{}
	for _, d := range docs {
		inFiles[d.coll.path+"\x00"+d.value] = d
	}
	for _, d := range docs {
		for _, r := range d.refs {
			obj, err := state.find(r.target.path, r.target.key, r.value)
			if err != nil {
				errs.addDoc(d, "%s: %v", r.field, err)
				continue
			}
			if obj != nil {
				r.id = obj.id
				continue
			}
			if t := inFiles[r.target.path+"\x00"+r.value]; t != nil {
				r.doc = t
				continue
			}
			errs.addDoc(d, "%s: no %s with %s %q in the files or on the appliance", r.field, r.target.path, r.target.key, r.value)
		}
	}
}

// plan decides each document's action and orders the writes so that every
// reference resolves: a document is written after the documents it refers
// to, then the pruned objects are deleted, what refers to others first.
func plan(docs []*applyDoc, state applyState, schemas *schemaSet, opts applyOptions, pruneCandidates map[string][]*remoteObject, errs *docErrors) []*planStep {
	checkDuplicates(docs, errs)
	if len(opts.prune) > 0 {
		checkPruneLabels(docs, opts.prune, errs)
	}
	resolve(docs, state, errs)
	steps := make(map[*applyDoc]*planStep, len(docs))
	for _, d := range docs {
		obj, err := state.find(d.coll.path, d.key, d.value)
		if err != nil {
			errs.addDoc(d, "%s: %v", d.key, err)
			continue
		}
		if obj == nil && d.coll.singleton {
			errs.addDoc(d, "collection: the appliance has no %s to update", d.coll.singular)
			continue
		}
		schemas.check(d, obj == nil, errs)
		if obj == nil {
			steps[d] = &planStep{action: actionCreate, doc: d}
			continue
		}
		d.id, d.version = obj.id, obj.version
		changed := diffFields(obj.fields, d.fields, schemas.writeOnly(d.coll.path))
		if len(changed) == 0 {
			steps[d] = &planStep{action: actionUnchanged, doc: d}
		} else {
			steps[d] = &planStep{action: actionUpdate, doc: d, changed: changed}
		}
	}
	ordered := orderDocs(docs, errs)

	// Objects the files name, or refer to, are never pruned.
	keep := map[string]map[int64]bool{}
	for _, d := range docs {
		if d.id != 0 {
			markKeep(keep, d.coll.path, d.id)
		}
		for _, r := range d.refs {
			if r.id != 0 {
				markKeep(keep, r.target.path, r.id)
			}
		}
	}
	var deletes []*planStep
	for path, objs := range pruneCandidates {
		coll, _ := lookupCollection(path)
		key, _ := applyKey(coll)
		for _, o := range objs {
			if !keep[path][o.id] {
				deletes = append(deletes, &planStep{action: actionDelete, coll: coll, key: key, remote: o})
			}
		}
	}
	sort.SliceStable(deletes, func(i, j int) bool {
		ri, rj := applyRank(deletes[i].coll.path), applyRank(deletes[j].coll.path)
		if ri != rj {
			return ri > rj
		}
		return deletes[i].remote.id < deletes[j].remote.id
	})
	var out []*planStep
	for _, d := range ordered {
		if s := steps[d]; s != nil {
			out = append(out, s)
		}
	}
	return append(out, deletes...)
}

func markKeep(keep map[string]map[int64]bool, path string, id int64) {
	if keep[path] == nil {
		keep[path] = map[int64]bool{}
	}
	keep[path][id] = true
}

// orderDocs sorts the documents so that each comes after those it refers
// to (a stable topological sort: by collection rank, then file order). A
// cycle of references between new objects cannot be written and is refused.
func orderDocs(docs []*applyDoc, errs *docErrors) []*applyDoc {
	pos := make(map[*applyDoc]int, len(docs))
	for i, d := range docs {
		pos[d] = i
	}
	less := func(a, b *applyDoc) bool {
		if ra, rb := applyRank(a.coll.path), applyRank(b.coll.path); ra != rb {
			return ra < rb
		}
		return pos[a] < pos[b]
	}
	deps := map[*applyDoc]map[*applyDoc]bool{}
	users := map[*applyDoc][]*applyDoc{}
	for _, d := range docs {
		deps[d] = map[*applyDoc]bool{}
		for _, r := range d.refs {
			if r.doc != nil && r.doc != d && !deps[d][r.doc] {
				deps[d][r.doc] = true
				users[r.doc] = append(users[r.doc], d)
			}
		}
	}
	var ready, out []*applyDoc
	for _, d := range docs {
		if len(deps[d]) == 0 {
			ready = append(ready, d)
		}
	}
	for len(ready) > 0 {
		sort.SliceStable(ready, func(i, j int) bool { return less(ready[i], ready[j]) })
		d := ready[0]
		ready = ready[1:]
		out = append(out, d)
		for _, u := range users[d] {
			delete(deps[u], d)
			if len(deps[u]) == 0 {
				ready = append(ready, u)
			}
		}
	}
	for _, d := range docs {
		if len(deps[d]) > 0 {
			var names []string
			for o := range deps[d] {
				names = append(names, o.name())
			}
			sort.Strings(names)
			errs.addDoc(d, "%s refers to %s, which refers back to it before either exists; write the relation on one side only (memberships of the jump group, or jump_groups of the group policy)", d.name(), strings.Join(names, ", "))
		}
	}
	return out
}

// materialize returns v with every placeholder replaced by its id, for a
// request body.
func materialize(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = materialize(e)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = materialize(e)
		}
		return out
	case *docRef:
		if v.id == 0 && v.doc != nil {
			v.id = v.doc.id
		}
		return json.Number(fmt.Sprint(v.id))
	}
	return v
}

// diffFields lists the top-level fields of want whose merge into have would
// change it, in name order. Write-only fields (a password) cannot be
// compared and are left out.
func diffFields(have, want map[string]any, writeOnly map[string]bool) []string {
	var out []string
	for _, k := range sortedKeys(want) {
		if writeOnly[k] {
			continue
		}
		if !mergeKeeps(have[k], want[k]) {
			out = append(out, k)
		}
	}
	return out
}

// mergeKeeps reports whether merging patch into have (RFC 7396) leaves it
// as it is.
func mergeKeeps(have, patch any) bool {
	pm, isMap := patch.(map[string]any)
	if !isMap {
		return sameValue(have, patch)
	}
	hm, ok := have.(map[string]any)
	if !ok {
		return false
	}
	for k, pv := range pm {
		if !mergeKeeps(hm[k], pv) {
			return false
		}
	}
	return true
}

// sameValue compares two decoded JSON values: numbers by value, RFC 3339
// times by instant, placeholders by id (one not created yet is never equal).
func sameValue(a, b any) bool {
	if r, ok := b.(*docRef); ok {
		if r.id == 0 {
			return false
		}
		b = json.Number(fmt.Sprint(r.id))
	}
	switch bv := b.(type) {
	case nil:
		return a == nil
	case json.Number:
		an, ok := a.(json.Number)
		if !ok {
			return false
		}
		x, ok1 := new(big.Float).SetString(an.String())
		y, ok2 := new(big.Float).SetString(bv.String())
		return ok1 && ok2 && x.Cmp(y) == 0
	case string:
		as, ok := a.(string)
		if !ok {
			return false
		}
		if as == bv {
			return true
		}
		ta, err1 := time.Parse(time.RFC3339Nano, as)
		tb, err2 := time.Parse(time.RFC3339Nano, bv)
		return err1 == nil && err2 == nil && ta.Equal(tb)
	case []any:
		aa, ok := a.([]any)
		if !ok || len(aa) != len(bv) {
			return false
		}
		return sameList(aa, bv)
	case map[string]any:
		// A field the file leaves out of a list entry is the same when the
		// appliance holds its zero value there (what it fills in): the
		// entry is sent whole, so any other value would be lost.
		am, ok := a.(map[string]any)
		if !ok {
			return false
		}
		for k, v := range bv {
			if !sameValue(am[k], v) {
				return false
			}
		}
		for k, v := range am {
			if _, given := bv[k]; !given && !isZero(v) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(a, b)
}

// isZero reports whether a decoded JSON value is null, false, 0, "" or
// empty.
func isZero(v any) bool {
	switch v := v.(type) {
	case nil:
		return true
	case bool:
		return !v
	case string:
		return v == ""
	case json.Number:
		f, err := v.Float64()
		return err == nil && f == 0
	case []any:
		return len(v) == 0
	case map[string]any:
		return len(v) == 0
	}
	return false
}

// sameList compares lists as multisets: the appliance answers lists of
// relations in its own order (members by user id, memberships by group
// policy), so a file that lists them otherwise must not differ forever.
func sameList(have, want []any) bool {
	inOrder := true
	for i := range want {
		if !sameValue(have[i], want[i]) {
			inOrder = false
			break
		}
	}
	if inOrder {
		return true
	}
	used := make([]bool, len(have))
	for _, w := range want {
		found := false
		for i, h := range have {
			if !used[i] && sameValue(h, w) {
				used[i], found = true, true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func joinPath(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}

func toInt(v any) (int64, error) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, fmt.Errorf("%v is not a number", v)
	}
	return n.Int64()
}
