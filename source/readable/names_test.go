package readable_test

import (
	"strings"
	"testing"

	"github.com/pdxhq/pdx/source/readable"
	"github.com/pdxhq/pdx/source/schema"
)

const (
	hashA = "aaaaaaaa00000000000000000000000000000001"
	hashB = "bbbbbbbb00000000000000000000000000000002"
	hashC = "cccccccc00000000000000000000000000000003"
)

// TestRenameStableAcrossRuns: run 1 names the columns; the book is saved
// and loaded; in run 2 Pipedrive has renamed a field and a new field took
// its old name. The renamed field keeps its column, the new one is told
// apart, and the book records the new name.
func TestRenameStableAcrossRuns(t *testing.T) {
	run1 := []schema.Field{{Key: hashA, Name: "Budget", Type: "monetary"}, {Key: hashB, Name: "Region", Type: "enum"}}
	b := readable.NewNameBook()
	got := b.Assign(run1, []string{"id", "title"})
	if got[hashA] != "Budget" || got[hashB] != "Region" || !b.Dirty() {
		t.Fatalf("run 1: %v dirty %v", got, b.Dirty())
	}
	saved, err := b.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	b2, err := readable.LoadNameBook(saved)
	if err != nil {
		t.Fatal(err)
	}
	run2 := []schema.Field{{Key: hashA, Name: "Spend", Type: "monetary"}, {Key: hashB, Name: "Region", Type: "enum"}, {Key: hashC, Name: "Budget", Type: "double"}}
	got = b2.Assign(run2, []string{"id", "title"})
	want := map[string]string{hashA: "Budget", hashB: "Region", hashC: "Budget (cccccccc)"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("run 2: %s = %q, want %q", k[:8], got[k], v)
		}
	}
	if r := b2.Renamed(run2); len(r) != 1 || !strings.Contains(r[0], `"Spend"`) {
		t.Errorf("Renamed = %v", r)
	}
	again, _ := b2.MarshalJSON()
	if !strings.Contains(string(again), `"Spend"`) {
		t.Errorf("the book does not record the new name: %s", again)
	}
	// The decoder's columns follow the book, not the current name.
	d := readable.NewDecoder(2, run2, got, readable.Options{})
	if c := d.Columns(); c[0].Name != "Budget" || c[1].Name != "Budget currency" {
		t.Errorf("columns %v", c)
	}
	// A third run with nothing changed leaves the book clean.
	b3, _ := readable.LoadNameBook(again)
	b3.Assign(run2, nil)
	if b3.Dirty() {
		t.Error("an unchanged run marked the book dirty")
	}
}

func TestDuplicateNames(t *testing.T) {
	for _, tc := range []struct {
		name     string
		fields   []schema.Field
		reserved []string
		want     map[string]string
	}{
		{"same name, hash order decides", []schema.Field{{Key: hashB, Name: "Region"}, {Key: hashA, Name: "Region"}}, nil,
			map[string]string{hashA: "Region", hashB: "Region (bbbbbbbb)"}},
		{"case-insensitive", []schema.Field{{Key: hashA, Name: "region"}, {Key: hashB, Name: "Region"}}, nil,
			map[string]string{hashA: "region", hashB: "Region (bbbbbbbb)"}},
		{"standard column", []schema.Field{{Key: hashA, Name: "Title"}}, []string{"title"},
			map[string]string{hashA: "Title (aaaaaaaa)"}},
		{"no name", []schema.Field{{Key: hashA, Name: " "}, {Key: hashB}}, nil,
			map[string]string{hashA: "custom", hashB: "custom (bbbbbbbb)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := readable.NewNameBook().Assign(tc.fields, tc.reserved)
			for k, v := range tc.want {
				if got[k] != v {
					t.Errorf("%s = %q, want %q", k[:8], got[k], v)
				}
			}
		})
	}
}

// TestUnknownOption: an option id the definitions do not know refreshes
// them once; a label found there is used, an id still unknown stays the
// id and is reported.
func TestUnknownOption(t *testing.T) {
	old := []schema.Field{{Key: hashA, Name: "Tier", Type: "enum", Options: []schema.Option{{ID: 1, Label: "Gold"}}},
		{Key: hashB, Name: "Tags", Type: "set", Options: []schema.Option{{ID: 5, Label: "A"}}}}
	fresh := []schema.Field{{Key: hashA, Name: "Tier", Type: "enum", Options: []schema.Option{{ID: 1, Label: "Gold"}, {ID: 2, Label: "Silver"}}},
		{Key: hashB, Name: "Tags", Type: "set", Options: []schema.Option{{ID: 5, Label: "A"}}}}
	calls := 0
	d := readable.NewDecoder(2, old, nil, readable.Options{Refresh: func() ([]schema.Field, error) { calls++; return fresh, nil }})
	rec := `{"custom_fields":{"` + hashA + `":1,"` + hashB + `":[5]}}`
	if got := fieldJSON(t, d, rec, "Tier"); got != `"Gold"` || calls != 0 {
		t.Fatalf("known: %s, %d refreshes", got, calls)
	}
	rec = `{"custom_fields":{"` + hashA + `":2,"` + hashB + `":[5,9]}}`
	vals, err := d.Decode([]byte(rec))
	if err != nil {
		t.Fatal(err)
	}
	if vals[0].Text != "Silver" || vals[1].Text != `["A","9"]` || calls != 1 {
		t.Errorf("after refresh: %q %q, %d refreshes", vals[0].Text, vals[1].Text, calls)
	}
	if _, err := d.Decode([]byte(`{"custom_fields":{"` + hashA + `":3}}`)); err != nil {
		t.Fatal(err)
	}
	if calls != 1 {
		t.Errorf("refreshed %d times, want once per decoder", calls)
	}
	u := d.Unknown()
	if len(u[hashA]) != 1 || u[hashA][0] != 3 || len(u[hashB]) != 1 || u[hashB][0] != 9 {
		t.Errorf("Unknown = %v", u)
	}
	raw := readable.NewDecoder(2, old, nil, readable.Options{RawIDs: true})
	vals, _ = raw.Decode([]byte(rec))
	if vals[0].Text != "2" || vals[1].Text != "[5,9]" {
		t.Errorf("raw ids: %q %q", vals[0].Text, vals[1].Text)
	}
}

func TestAppendRecordKeepsAPIBytes(t *testing.T) {
	fs := []schema.Field{{Key: hashA, Name: "Tier \"x\"", Type: "enum", Options: []schema.Option{{ID: 1, Label: "Gold <b>"}}}}
	d := readable.NewDecoder(2, fs, nil, readable.Options{})
	for _, tc := range []struct{ in, want string }{
		{`{"id":1,"custom_fields":{"` + hashA + `":1}}`, `{"id":1,"custom_fields":{"` + hashA + `":1},"_pdx_readable":{"Tier \"x\"":"Gold <b>"}}`},
		{`{}`, `{"_pdx_readable":{"Tier \"x\"":null}}`},
	} {
		got, err := d.AppendRecord(nil, []byte(tc.in))
		if err != nil || string(got) != tc.want {
			t.Errorf("%s -> %s (%v), want %s", tc.in, got, err, tc.want)
		}
	}
	if _, err := d.AppendRecord(nil, []byte(`[1]`)); err == nil {
		t.Error("a non-object record was accepted")
	}
}
