package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

// Output formats of -o.
const (
	outputTable = "table"
	outputJSON  = "json"
)

// addOutputFlag registers -o on cmd.
func addOutputFlag(cmd *cobra.Command, dst *string) {
	cmd.Flags().StringVarP(dst, "output", "o", outputTable, "output format: table or json")
}

func checkOutput(format string) error {
	if format != outputTable && format != outputJSON {
		return fmt.Errorf("unknown output format %q; use table or json", format)
	}
	return nil
}

// decodeObject decodes one JSON object, keeping numbers exact.
func decodeObject(raw json.RawMessage) (map[string]any, error) {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		return nil, fmt.Errorf("decode object: %w", err)
	}
	return m, nil
}

// objectKeys returns the top-level keys of a JSON object in wire order, which
// follows the api type and so reads better than sorted order.
func objectKeys(raw json.RawMessage) ([]string, error) {
	d := json.NewDecoder(bytes.NewReader(raw))
	if _, err := d.Token(); err != nil { // {
		return nil, fmt.Errorf("decode object: %w", err)
	}
	var keys []string
	for d.More() {
		tok, err := d.Token()
		if err != nil {
			return nil, fmt.Errorf("decode object: %w", err)
		}
		keys = append(keys, tok.(string))
		var skip json.RawMessage
		if err := d.Decode(&skip); err != nil {
			return nil, fmt.Errorf("decode object: %w", err)
		}
	}
	return keys, nil
}

// writeJSON writes v indented, with raw messages kept as the appliance sent them.
func writeJSON(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode json: %w", err)
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

// writeTable writes items as a table with the collection's columns.
func writeTable(w io.Writer, cols []column, items []json.RawMessage) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	headers := make([]string, len(cols))
	for i, c := range cols {
		headers[i] = c.header
	}
	fmt.Fprintln(tw, strings.Join(headers, "\t"))
	for _, raw := range items {
		obj, err := decodeObject(raw)
		if err != nil {
			return err
		}
		cells := make([]string, len(cols))
		for i, c := range cols {
			cells[i] = cleanCell(c.value(obj))
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	return tw.Flush()
}

// writeFields writes one object as "key: value" lines in wire order.
func writeFields(w io.Writer, raw json.RawMessage) error {
	keys, err := objectKeys(raw)
	if err != nil {
		return err
	}
	obj, err := decodeObject(raw)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 1, ' ', 0)
	for _, k := range keys {
		fmt.Fprintf(tw, "%s:\t%s\n", k, cleanCell(scalar(obj[k])))
	}
	return tw.Flush()
}

// cleanCell keeps a cell on one line so free text cannot break the table.
func cleanCell(s string) string {
	return strings.NewReplacer("\t", " ", "\n", " ", "\r", " ").Replace(s)
}
