package output

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pdxhq/pdx/source/engine"
)

func TestRegistry(t *testing.T) {
	if got, want := Names(), []string{"jsonl", "csv", "sqlite", "airbyte"}; !slices.Equal(got, want) {
		t.Fatalf("Names() = %v, want %v (rank order)", got, want)
	}
	if got := StdoutNames(); !slices.Equal(got, []string{"airbyte"}) {
		t.Errorf("StdoutNames() = %v", got)
	}
	if _, ok := Lookup(DefaultFormat); !ok {
		t.Errorf("the default format %q is not registered", DefaultFormat)
	}
	for _, f := range Formats() {
		if f.Label == "" || f.Description == "" || f.Ext == "" || f.Open == nil {
			t.Errorf("format %q lacks a label, description, extension or Open: %+v", f.Name, f)
		}
	}
	tests := []struct {
		name, wantErr string
	}{
		{"", ""},
		{"jsonl", ""},
		{"csv", ""},
		{"airbyte", ""},
		{"sqlite", ""},
		{"xml", `format "xml": must be one of jsonl, csv, sqlite, airbyte`},
		{"JSONL", "must be one of"},
	}
	for _, tt := range tests {
		err := ValidFormat(tt.name)
		if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("ValidFormat(%q) = %v, want %q", tt.name, err, tt.wantErr)
		}
	}
}

func TestRegisterTwicePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("registering jsonl again did not panic")
		}
	}()
	f, _ := Lookup("jsonl")
	Register(f)
}

// TestEveryFormatKeepsTheWriterContract runs one stream through each
// registered format: after a checkpoint and the stream's end, Finish
// closes, Files names what was written and the record is in it. A new
// format passes this before the runner uses it.
func TestEveryFormatKeepsTheWriterContract(t *testing.T) {
	rec := json.RawMessage(`{"id":7,"title":"Seven"}`)
	for _, f := range Formats() {
		t.Run(f.Name, func(t *testing.T) {
			dir := t.TempDir()
			var stdout bytes.Buffer
			w, err := f.Open(ctx, Target{Dir: dir, Stdout: &stdout, Streams: []string{"deals"},
				Specs:   map[string]Stream{"deals": {Fresh: true, ResumeSize: -1}},
				Columns: testColumns, Notice: func(_, m string) { t.Log(m) }})
			if err != nil {
				t.Fatal(err)
			}
			emit(t, w, ev(engine.StreamStarted, "deals"), ev(engine.Records, "deals", rec), ev(engine.Checkpoint, "deals"))
			if pos, ok := w.Position("deals"); ok && (pos.Size == 0 || !strings.HasPrefix(pos.Path, dir)) {
				t.Errorf("position after a checkpoint: %+v", pos)
			}
			emit(t, w, ev(engine.StreamComplete, "deals"))
			if err := w.Finish(nil); err != nil {
				t.Fatal(err)
			}
			files := w.Files()
			if len(files) != 1 {
				t.Fatalf("Files() = %v, want one file", files)
			}
			if !f.OneFile && files[0] != f.StreamPath(dir, "deals") {
				t.Errorf("file %s, want %s", files[0], f.StreamPath(dir, "deals"))
			}
			if filepath.Ext(files[0]) != "."+f.Ext {
				t.Errorf("file %s does not end in .%s", files[0], f.Ext)
			}
			data, err := os.ReadFile(files[0])
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(data, []byte("Seven")) {
				t.Errorf("%s lacks the record:\n%s", files[0], data)
			}
			if stdout.Len() != 0 {
				t.Errorf("a run into a directory wrote to stdout: %q", stdout.String())
			}
		})
	}
}
