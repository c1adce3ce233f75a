// Command gen writes api/openapi.json: it assembles a throwaway appliance
// (temporary data directory, SQLite) to get the real route table, reads the
// doc comments of the api package, and runs openapi.Build. It runs through
// go generate ./appliance/internal/openapi.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/jumpgate/jumpgate/appliance/internal/app"
	"github.com/jumpgate/jumpgate/appliance/internal/openapi"
	"github.com/jumpgate/jumpgate/appliance/internal/route"
)

func main() {
	apiDir := flag.String("api", "../../../api", "directory of the api package, whose doc comments describe the schemas")
	out := flag.String("o", "../../../api/openapi.json", "file to write")
	flag.Parse()
	if err := run(*apiDir, *out); err != nil {
		fmt.Fprintln(os.Stderr, "openapi gen:", err)
		os.Exit(1)
	}
}

func run(apiDir, out string) error {
	routes, err := appRoutes()
	if err != nil {
		return err
	}
	docs, err := openapi.ParseDocs(apiDir)
	if err != nil {
		return err
	}
	doc, err := openapi.Build(routes, docs)
	if err != nil {
		return err
	}
	if old, err := os.ReadFile(out); err == nil && bytes.Equal(old, doc) {
		return nil // unchanged: keep the file's timestamp
	}
	return os.WriteFile(out, doc, 0o644)
}

// appRoutes builds a throwaway appliance and returns its route table.
func appRoutes() ([]route.Route, error) {
	dir, err := os.MkdirTemp("", "jumpgate-openapi-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	cfg := app.Config{
		DataDir:   filepath.Join(dir, "data"),
		Database:  "sqlite://" + filepath.Join(dir, "jumpgate.db"),
		Listen:    "127.0.0.1:0",
		PublicURL: "https://localhost:8443",
	}
	a, err := app.New(context.Background(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		return nil, fmt.Errorf("assemble appliance: %w", err)
	}
	defer a.Close()
	return a.Server.Routes, nil
}
