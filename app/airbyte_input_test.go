package app_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pdxhq/pdx/app"
	"github.com/pdxhq/pdx/source/airbyte"
)

// TestReadRefusesHugeInputs: an input file over app.MaxInputSize (a wrong
// path) ends the read before any request with a config_error TRACE that
// names the file, and exit 1.
func TestReadRefusesHugeInputs(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string, size int64) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if size > 0 {
			if err := os.Truncate(p, size); err != nil { // sparse
				t.Fatal(err)
			}
		}
		return p
	}
	cfg := write("config.json", `{"credentials":{"auth_type":"api_token","api_token":"tok-123456"},"api_base_url":"http://127.0.0.1:1"}`, 0)
	cat := write("catalog.json", `{"streams":[{"stream":{"name":"deals"},"sync_mode":"incremental","destination_sync_mode":"append"}]}`, 0)
	huge := write("huge.json", "[", app.MaxInputSize+1)
	tests := []struct {
		name string
		in   app.ReadFiles
		what string
	}{
		{"config", app.ReadFiles{Config: huge, Catalog: cat}, "cannot read the config file"},
		{"catalog", app.ReadFiles{Config: cfg, Catalog: huge}, "Cannot read the configured catalog"},
		{"state", app.ReadFiles{Config: cfg, Catalog: cat, State: huge}, "Cannot read the state file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errw bytes.Buffer
			code := app.Read(context.Background(), airbyte.Env{Stdout: &out, Stderr: &errw}, tt.in)
			if code != airbyte.ExitFailure {
				t.Fatalf("exit %d, want %d\n%s", code, airbyte.ExitFailure, out.String())
			}
			s := out.String()
			if !strings.Contains(s, `"failure_type":"config_error"`) || !strings.Contains(s, "huge.json is larger than 16 MiB") || !strings.Contains(s, tt.what) {
				t.Errorf("no config_error TRACE saying %q and naming the file:\n%s", tt.what, s)
			}
			if strings.Contains(s, `"type":"RECORD"`) {
				t.Errorf("records after a refused input:\n%s", s)
			}
		})
	}
}
