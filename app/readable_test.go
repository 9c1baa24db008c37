package app

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/pdxhq/pdx/source/engine"
	"github.com/pdxhq/pdx/source/pipedrivetest"
	"github.com/pdxhq/pdx/source/readable"
)

// renamer serves the simulator with the deal field "Custom enum 11"
// renamed to "Priority" once on is set (a rename in Pipedrive between runs).
type renamer struct{ on atomic.Bool }

func (r *renamer) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if !r.on.Load() || !strings.HasSuffix(req.URL.Path, "Fields") {
			next.ServeHTTP(w, req)
			return
		}
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, req)
		for k, v := range rec.Header() {
			if k != "Content-Length" {
				w.Header()[k] = v
			}
		}
		w.WriteHeader(rec.Code)
		w.Write(bytes.ReplaceAll(rec.Body.Bytes(), []byte(`"Custom enum 11"`), []byte(`"Priority"`)))
	})
}

func csvHeader(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h, err := csv.NewReader(f).Read()
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// TestRenameKeepsColumnAcrossRuns: run 1 names a field's column; Pipedrive
// renames the field; run 2, a full refresh that recreates the files, still
// writes the first name (from the name book beside the profile's state),
// says so, and the book records the new name. JSONL --readable uses the same
// names and keeps the API's bytes.
func TestRenameKeepsColumnAcrossRuns(t *testing.T) {
	var rn renamer
	e := newEnv(t, pipedrivetest.Options{Seed: 8, Scale: 40, Wrap: rn.wrap})
	p := e.prof
	p.Format, p.Mode, p.Streams = "csv", engine.FullRefresh, []string{"deals", "leads"}
	if sum := e.run(t, p, nil); !sum.OK() {
		t.Fatalf("run 1: %+v", sum.Streams)
	}
	for _, s := range p.Streams {
		if h := strings.Join(csvHeader(t, filepath.Join(e.out, s+".csv")), ","); !strings.Contains(h, ",Custom enum 11,") {
			t.Fatalf("run 1 %s header lacks the field: %s", s, h)
		}
	}
	rn.on.Store(true)
	var notices []string
	if sum := e.run(t, p, &notices); !sum.OK() {
		t.Fatalf("run 2: %+v", sum.Streams)
	}
	for _, s := range p.Streams {
		h := strings.Join(csvHeader(t, filepath.Join(e.out, s+".csv")), ",")
		if !strings.Contains(h, ",Custom enum 11,") || strings.Contains(h, "Priority") {
			t.Errorf("run 2 %s: the rename moved the column: %s", s, h)
		}
	}
	if !strings.Contains(strings.Join(notices, "\n"), `"Custom enum 11" is now "Priority"`) {
		t.Errorf("no rename notice: %q", notices)
	}
	// The definitions as tables: the field with its stable column and its
	// new name, and its options with their labels.
	fieldsCSV, _ := os.ReadFile(filepath.Join(e.out, readable.FieldsTable+".csv"))
	if !bytes.Contains(fieldsCSV, []byte(",Priority,Custom enum 11,enum,\r\n")) || !bytes.HasPrefix(fieldsCSV, []byte("entity,field_key,name,column,field_type,_extra\r\ndeal,")) {
		t.Errorf("%s:\n%s", readable.FieldsTable, fieldsCSV)
	}
	optsCSV, _ := os.ReadFile(filepath.Join(e.out, readable.OptionsTable+".csv"))
	if n := bytes.Count(optsCSV, []byte("\r\ndeal,")); n != 8 || !bytes.Contains(optsCSV, []byte(",Ünïcode,")) {
		t.Errorf("%s has %d deal options (want the 4 of the enum and the 4 of the set):\n%s", readable.OptionsTable, n, optsCSV)
	}
	st, _ := e.states.Load("test")
	book, err := os.ReadFile(filepath.Join(filepath.Dir(st.StatePath()), NamesFile))
	if err != nil || !bytes.Contains(book, []byte(`"Priority"`)) || !bytes.Contains(book, []byte(`"Custom enum 11"`)) {
		t.Errorf("name book %s (%v): want the column and the new name", book, err)
	}

	// JSONL --readable: the same names; each line is the API's record with
	// the readable object added as its last member.
	p.Format, p.Readable, p.Streams = "jsonl", true, []string{"deals"}
	out := filepath.Join(t.TempDir(), "jsonl")
	p.OutDir = out
	if sum := e.run(t, p, nil); !sum.OK() {
		t.Fatalf("run 3: %+v", sum.Streams)
	}
	got := lines(t, filepath.Join(out, "deals.jsonl"))
	api := apiRecords(t, e.srv, "deals")
	if len(got) != len(api) {
		t.Fatalf("%d lines, %d deals", len(got), len(api))
	}
	byID := map[string]string{}
	for _, r := range api {
		byID[idOf(t, r)] = r
	}
	for _, l := range got {
		raw := byID[idOf(t, l)]
		if !strings.HasPrefix(l, raw[:len(raw)-1]+`,"`+readable.Key+`":{`) {
			t.Fatalf("line is not the API record plus the readable object:\n%s\n%s", l, raw)
		}
		var rec struct {
			R map[string]json.RawMessage `json:"_pdx_readable"`
		}
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatal(err)
		}
		if _, ok := rec.R["Custom enum 11"]; !ok || rec.R["Priority"] != nil {
			t.Fatalf("readable names: %v", rec.R)
		}
	}
}
