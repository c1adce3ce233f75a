package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"

	"go.yaml.in/yaml/v3"
)

// maxInputBytes bounds one input file; the appliance takes at most 1 MiB per
// request, and apply reads several objects per file.
const maxInputBytes = 8 << 20

// readInput reads the file named by -f, or stdin for "-".
func (e env) readInput(name string) ([]byte, error) {
	if name == "" {
		return nil, errors.New("-f is required: a JSON or YAML file, or - for stdin")
	}
	var r io.Reader
	if name == "-" {
		r = e.stdin
		name = "stdin"
	} else {
		f, err := os.Open(name)
		if err != nil {
			return nil, fmt.Errorf("read input: %w", err)
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, maxInputBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if len(b) > maxInputBytes {
		return nil, fmt.Errorf("read %s: larger than %d bytes", name, maxInputBytes)
	}
	return b, nil
}

// decodeInput decodes one object written as JSON (when it starts with '{')
// or as a single YAML document. Numbers become json.Number, as objects read
// from the appliance are, so that values compare and re-encode exactly.
func decodeInput(b []byte) (map[string]any, error) {
	trimmed := bytes.TrimSpace(b)
	if len(trimmed) == 0 {
		return nil, errors.New("the input is empty; give one object as JSON or YAML")
	}
	if trimmed[0] == '{' {
		d := json.NewDecoder(bytes.NewReader(trimmed))
		d.UseNumber()
		var m map[string]any
		if err := d.Decode(&m); err != nil {
			return nil, fmt.Errorf("malformed JSON: %w", err)
		}
		if d.More() {
			return nil, errors.New("malformed JSON: more than one value")
		}
		return m, nil
	}
	docs, err := yamlDocuments(b)
	if err != nil {
		return nil, err
	}
	switch len(docs) {
	case 0:
		return nil, errors.New("the input is empty; give one object as JSON or YAML")
	case 1:
		if docs[0].err != nil {
			return nil, fmt.Errorf("line %d: %w", docs[0].line, docs[0].err)
		}
		return docs[0].fields, nil
	}
	return nil, fmt.Errorf("the input holds %d YAML documents; create and update take one (apply takes several)", len(docs))
}

// yamlDoc is one non-empty YAML document of a file.
type yamlDoc struct {
	// index counts the documents of the file from 1, empty ones included,
	// so that it matches what a reader counts between the '---' lines.
	index int
	// line is the document's first line.
	line   int
	fields map[string]any
	// err is what is wrong with this document; the others still count.
	err error
}

// yamlDocuments decodes every document of a YAML stream. Each must be a
// mapping; empty documents (a stray '---') are skipped. A document that is
// not a mapping, or holds what JSON cannot, carries its err; malformed
// YAML ends the stream with an error.
func yamlDocuments(b []byte) ([]yamlDoc, error) {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	var docs []yamlDoc
	for i := 1; ; i++ {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return docs, fmt.Errorf("document %d: malformed YAML: %w", i, err)
		}
		if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
			n = *n.Content[0]
		}
		if n.Kind == 0 || (n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null") {
			continue
		}
		doc := yamlDoc{index: i, line: n.Line}
		v, err := fromYAML(&n, "")
		m, ok := v.(map[string]any)
		switch {
		case err != nil:
			doc.err = err
		case !ok:
			doc.err = fmt.Errorf("want a mapping of fields, not %s", yamlKindName(&n))
		}
		doc.fields = m
		docs = append(docs, doc)
	}
}

// fromYAML converts a YAML node to the value encoding/json would decode
// from the same JSON (with UseNumber). path names the node in errors.
// Anchors and aliases are refused: they are rare in configuration, and
// expanding them is how a small file becomes a huge one.
func fromYAML(n *yaml.Node, path string) (any, error) {
	at := func() string {
		if path == "" {
			return ""
		}
		return path + ": "
	}
	if n.Anchor != "" || n.Kind == yaml.AliasNode {
		return nil, fmt.Errorf("%sline %d: anchors and aliases are not supported", at(), n.Line)
	}
	switch n.Kind {
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.ShortTag() == "!!merge" {
				return nil, fmt.Errorf("%sline %d: merge keys (<<) are not supported", at(), k.Line)
			}
			if k.Kind != yaml.ScalarNode || (k.ShortTag() != "!!str" && k.ShortTag() != "!!int" && k.ShortTag() != "!!bool") {
				return nil, fmt.Errorf("%sline %d: a key must be a string", at(), k.Line)
			}
			name := k.Value
			sub := name
			if path != "" {
				sub = path + "." + name
			}
			if _, dup := m[name]; dup {
				return nil, fmt.Errorf("%sline %d: %q is given twice", at(), k.Line, name)
			}
			val, err := fromYAML(v, sub)
			if err != nil {
				return nil, err
			}
			m[name] = val
		}
		return m, nil
	case yaml.SequenceNode:
		a := make([]any, 0, len(n.Content))
		for i, c := range n.Content {
			val, err := fromYAML(c, fmt.Sprintf("%s[%d]", path, i))
			if err != nil {
				return nil, err
			}
			a = append(a, val)
		}
		return a, nil
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return nil, nil
		case "!!bool":
			var b bool
			if err := n.Decode(&b); err != nil {
				return nil, fmt.Errorf("%sline %d: %w", at(), n.Line, err)
			}
			return b, nil
		case "!!int":
			var i int64
			if err := n.Decode(&i); err != nil {
				return nil, fmt.Errorf("%sline %d: %q is not a 64-bit integer", at(), n.Line, n.Value)
			}
			return json.Number(strconv.FormatInt(i, 10)), nil
		case "!!float":
			var f float64
			if err := n.Decode(&f); err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
				return nil, fmt.Errorf("%sline %d: %q is not a finite number", at(), n.Line, n.Value)
			}
			return json.Number(strconv.FormatFloat(f, 'g', -1, 64)), nil
		case "!!str", "!!timestamp":
			// A timestamp stays the text written, which the API parses.
			return n.Value, nil
		}
		return nil, fmt.Errorf("%sline %d: unsupported YAML tag %s", at(), n.Line, n.ShortTag())
	}
	return nil, fmt.Errorf("%sline %d: unsupported YAML node", at(), n.Line)
}

func yamlKindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return "a single value"
	}
	return "this node"
}
