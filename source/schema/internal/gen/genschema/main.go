// Command genschema writes source/schema/files/<stream>.json from Pipedrive's
// OpenAPI specs in ../shared/reference/pipedrive-openapi. Run it with
// `go generate ./source/schema` from the module root.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/pdxhq/pdx/source/schema/internal/gen"
	"github.com/pdxhq/pdx/source/sharedref"
)

func main() {
	out := flag.String("out", "files", "directory to write the schema files to")
	flag.Parse()
	if err := run(*out); err != nil {
		fmt.Fprintln(os.Stderr, "genschema:", err)
		os.Exit(1)
	}
}

func run(out string) error {
	v1p, err := sharedref.Path("reference/pipedrive-openapi/v1.yaml")
	if err != nil {
		return err
	}
	v2p, err := sharedref.Path("reference/pipedrive-openapi/v2.yaml")
	if err != nil {
		return err
	}
	files, err := gen.GenerateFiles(v1p, v2p)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	old, _ := filepath.Glob(filepath.Join(out, "*.json"))
	for _, f := range old {
		if err := os.Remove(f); err != nil {
			return err
		}
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(out, name+".json"), b, 0o644); err != nil {
			return err
		}
	}
	fmt.Fprintf(os.Stderr, "genschema: wrote %d schemas to %s\n", len(files), out)
	return nil
}
