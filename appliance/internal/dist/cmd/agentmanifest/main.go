// Command agentmanifest writes the manifest.json of an agent directory (see
// package dist) from the jumpgate-agent-<platform> builds in it. `make build`
// runs it after cross-compiling the agent:
//
//	go run ./appliance/internal/dist/cmd/agentmanifest -dir bin/agents -version 1.2.3
//
// An unchanged manifest is left untouched.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/appliance/internal/dist"
)

func main() {
	dir := flag.String("dir", "bin/agents", "agent directory holding jumpgate-agent-<platform> builds")
	version := flag.String("version", "", "version the builds were made with (required)")
	flag.Parse()
	if err := run(*dir, *version); err != nil {
		fmt.Fprintln(os.Stderr, "agentmanifest:", err)
		os.Exit(1)
	}
}

func run(dir, version string) error {
	if version == "" {
		return errors.New("-version is required")
	}
	var platforms []string
	for _, p := range api.Platforms {
		_, err := os.Stat(filepath.Join(dir, dist.FileName(p)))
		switch {
		case err == nil:
			platforms = append(platforms, p)
		case !errors.Is(err, fs.ErrNotExist):
			return err
		}
	}
	if len(platforms) == 0 {
		return fmt.Errorf("no jumpgate-agent-<platform> builds in %s", dir)
	}
	return dist.WriteManifest(dir, version, platforms)
}
