package app

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/pdxhq/pdx/source/pipedrivetest"
	"github.com/pdxhq/pdx/source/streams"
	"github.com/pdxhq/pdx/store/output"
)

// TestEveryPathGetsTheWholeAccount is issue 12's "the same export through
// every path agrees": after a first full sync to JSONL, a sync into a fresh
// destination of every registered format (a new format is covered as soon as
// it registers, and fails here until pkSetOf can read it) holds exactly the
// primary keys of that first sync, stream by stream.
func TestEveryPathGetsTheWholeAccount(t *testing.T) {
	e := newEnv(t, pipedrivetest.Options{Seed: 21, Scale: 200})
	saved := e.prof
	saved.Format, saved.OutDir = "jsonl", filepath.Join(e.out, "first")
	e.runDest(t, saved, saved)
	want := pkSet(t, "jsonl", saved.OutDir)
	if total(want) == 0 {
		t.Fatal("the first sync wrote nothing")
	}
	for _, name := range output.Names() {
		t.Run(name, func(t *testing.T) {
			p := saved
			p.Format, p.OutDir = name, filepath.Join(e.out, "fresh-"+name)
			e.runDest(t, saved, p)
			got := pkSetOf(t, name, p.OutDir)
			for _, s := range streams.All() {
				if !slices.Equal(got[s.Name], want[s.Name]) {
					t.Errorf("%s: %d primary keys in the fresh %s destination, %d in the first sync", s.Name, len(got[s.Name]), name, len(want[s.Name]))
				}
			}
			t.Logf("%s: %d records (first sync: %d)", name, total(got), total(want))
		})
	}
}

// pkSetOf reads the primary keys per stream of a destination of any format.
func pkSetOf(t *testing.T, format, dir string) map[string][]string {
	t.Helper()
	switch format {
	case "jsonl", "csv":
		return pkSet(t, format, dir)
	case "airbyte":
		return airbytePKs(t, filepath.Join(dir, "airbyte.jsonl"))
	}
	t.Fatalf("no primary-key reader for format %q: add one to pkSetOf", format)
	return nil
}

// airbytePKs reads the RECORD messages of an Airbyte messages file.
func airbytePKs(t *testing.T, path string) map[string][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	pk := map[string][]string{}
	for _, s := range streams.All() {
		pk[s.Name] = s.PrimaryKey
	}
	out := map[string][]string{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		var m struct {
			Type   string `json:"type"`
			Record *struct {
				Stream string                     `json:"stream"`
				Data   map[string]json.RawMessage `json:"data"`
			} `json:"record"`
		}
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if m.Type != "RECORD" {
			continue
		}
		var parts []string
		for _, k := range pk[m.Record.Stream] {
			var str string
			if json.Unmarshal(m.Record.Data[k], &str) != nil {
				str = string(m.Record.Data[k])
			}
			parts = append(parts, str)
		}
		out[m.Record.Stream] = append(out[m.Record.Stream], strings.Join(parts, "|"))
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	for k, v := range out {
		sort.Strings(v)
		out[k] = compactStrings(v)
	}
	return out
}
