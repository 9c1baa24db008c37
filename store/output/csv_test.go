package output

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pdxhq/pdx/source/engine"
	"github.com/pdxhq/pdx/source/readable"
	"github.com/pdxhq/pdx/source/schema"
)

const hashA = "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678"
const hashB = "ffeeddccbbaa99887766554433221100ffeeddcc"

var testSchema = json.RawMessage(`{"type":"object","properties":{
 "title":{"type":["null","string"]},"id":{"type":"integer"},"value":{"type":["null","number"]},
 "label_ids":{"type":["null","array"]},"won":{"type":["null","boolean"]},
 "custom_fields":{"type":["null","object"],"properties":{"` + hashA + `":{},"` + hashB + `":{}}}}}`)

var testFields = []schema.Field{{Key: hashA, Name: "Budget", Type: "monetary"},
	{Key: hashB, Name: "Region", Type: "enum", Options: []schema.Option{{ID: 7, Label: "North"}, {ID: 3, Label: "South"}}}}

// testDecoder decodes testFields in v2 records (version 1: v1 records).
func testDecoder(version int, fields []schema.Field) func(string) (*readable.Decoder, error) {
	return func(string) (*readable.Decoder, error) {
		return readable.NewDecoder(version, fields, nil, readable.Options{}), nil
	}
}

// columnsOf lays out js with fields decoded as version.
func columnsOf(js json.RawMessage, version int, fields []schema.Field) func(string) ([]Column, error) {
	return func(string) ([]Column, error) {
		d, _ := testDecoder(version, fields)("")
		return Columns(js, []string{"id"}, d.Columns())
	}
}

var testColumns = columnsOf(testSchema, 2, testFields)

// newTestCSV is a CSV sink with the test's v2 columns and decoder.
func newTestCSV(opt Options) (*FileSink, error) {
	return NewCSV(opt, testColumns, testDecoder(2, testFields))
}

func TestColumnsLayout(t *testing.T) {
	cols, err := testColumns("deals")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range cols {
		names = append(names, c.Name)
	}
	want := "id,label_ids,title,value,won,Budget,Budget currency,Region"
	if got := strings.Join(names, ","); got != want {
		t.Errorf("columns = %s\nwant      %s", got, want)
	}
	// v1 layout: hash keys at the top level, with suffix keys.
	v1 := json.RawMessage(`{"properties":{"id":{},"` + hashA + `":{},"` + hashA + `_currency":{}}}`)
	cols, _ = columnsOf(v1, 1, testFields[:1])("")
	if len(cols) != 3 || cols[1].Name != "Budget" || cols[2].Name != "Budget currency" || cols[2].Field != hashA || cols[2].Part != "currency" {
		t.Errorf("v1 columns = %+v", cols)
	}
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s is not valid CSV: %v", path, err)
	}
	return rows
}

func TestCSVValues(t *testing.T) {
	dir := t.TempDir()
	s, err := newTestCSV(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	records := []json.RawMessage{
		json.RawMessage(`{"id":1,"title":"Ünïcödé, \"quoted\"\nsecond line","value":12.50,"label_ids":[1, 2],"won":true,
		  "custom_fields":{"` + hashA + `":{"value":100,"currency":"EUR"},"` + hashB + `":7}}`),
		json.RawMessage(`{"id":2,"title":null,"value":null,"won":false,"custom_fields":null,"surprise":"<b>new</b> & field"}`),
		json.RawMessage(`{"id":3,"custom_fields":{"` + hashB + `":null,"0000000000000000000000000000000000000000":"later"}}`),
		json.RawMessage(`{"id":4,"title":"cr\rlone, crlf\r\nkept"}`),
	}
	emit(t, s, ev(engine.Records, "deals", records...), ev(engine.Checkpoint, "deals"), ev(engine.StreamComplete, "deals"))
	raw, _ := os.ReadFile(s.Path("deals"))
	if !strings.HasSuffix(string(raw), "\r\n") || strings.HasPrefix(string(raw), "\xef\xbb\xbf") {
		t.Errorf("want CRLF records and no BOM")
	}
	// Records end with CRLF, but a value's own line breaks stay as they are
	// (Go's reader would hide a CRLF-ised "\n"; DuckDB and pandas do not).
	for _, want := range []string{"_extra\r\n1,", "\"Ünïcödé, \"\"quoted\"\"\nsecond line\"", "4,,\"cr\rlone, crlf\r\nkept\","} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("raw CSV lacks %q:\n%q", want, raw)
		}
	}
	rows := readCSV(t, s.Path("deals"))
	want := [][]string{
		{"id", "label_ids", "title", "value", "won", "Budget", "Budget currency", "Region", "_extra"},
		{"1", "[1,2]", "Ünïcödé, \"quoted\"\nsecond line", "12.50", "true", "100", "EUR", "North", ""},
		{"2", "", "", "", "false", "", "", "", `{"surprise":"<b>new</b> & field"}`},
		{"3", "", "", "", "", "", "", "", `{"custom_fields":{"0000000000000000000000000000000000000000":"later"}}`},
		{"4", "", "cr\rlone, crlf\nkept", "", "", "", "", "", ""}, // Go's reader drops the CR of CRLF
	}
	if len(rows) != len(want) {
		t.Fatalf("%d rows, want %d: %q", len(rows), len(want), rows)
	}
	for i := range want {
		if strings.Join(rows[i], "|") != strings.Join(want[i], "|") {
			t.Errorf("row %d = %q\n want %q", i, rows[i], want[i])
		}
	}
}

func TestCSVAppendKeepsHeader(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "deals.csv")
	// An earlier run's file, made before the Region field existed.
	old := "id,title,Budget (a1b2c3d4),gone_field,_extra\r\n1,a,5,x,\r\n"
	if err := os.WriteFile(path, []byte(old), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := newTestCSV(Options{Dir: dir, Streams: map[string]Stream{"deals": {ResumeSize: -1}}})
	if err != nil {
		t.Fatal(err)
	}
	emit(t, s, ev(engine.Records, "deals", json.RawMessage(`{"id":2,"title":"b","gone_field":"y","custom_fields":{"`+hashA+`":9,"`+hashB+`":3}}`)),
		ev(engine.Checkpoint, "deals"), ev(engine.StreamComplete, "deals"))
	rows := readCSV(t, path)
	if len(rows) != 3 || len(rows[2]) != 5 {
		t.Fatalf("rows = %q", rows)
	}
	// The old header's "Budget (a1b2c3d4)" (before readable names) is the
	// field's amount; Region, added since, has no column: its raw value
	// goes to _extra.
	if got := strings.Join(rows[2], "|"); got != `2|b|9|y|{"custom_fields":{"`+hashB+`":3}}` {
		t.Errorf("appended row = %s", got)
	}
}

func TestCSVRejectsForeignFile(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "deals.csv"), []byte("a,b\r\n1,2\r\n"), 0o644)
	s, _ := newTestCSV(Options{Dir: dir, Streams: map[string]Stream{"deals": {ResumeSize: -1}}})
	err := s.Emit(ctx, ev(engine.StreamStarted, "deals"))
	if err == nil || !strings.Contains(err.Error(), "not written by pdx") {
		t.Fatalf("err = %v", err)
	}
}

func TestLastCSVRecordEnd(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"h\r\n1,\"a\nb\"\r\n", 12},
		{"h\r\n1,\"a\nb", 3},
		{"h\r\n1,\"a\"\"\nb\"\r\n2,x", 14},
		{"no newline", 0},
	}
	for _, tt := range tests {
		got, err := lastCSVRecordEnd(strings.NewReader(tt.in), int64(len(tt.in)))
		if err != nil || got != int64(tt.want) {
			t.Errorf("lastCSVRecordEnd(%q) = %d %v, want %d", tt.in, got, err, tt.want)
		}
	}
}

// A custom field renamed in Pipedrive between two runs keeps its column
// when the file is appended to: the column is matched by the key's hash
// (and suffix), which the header keeps, not by the name.
func TestCSVAppendAfterCustomFieldRename(t *testing.T) {
	v1 := json.RawMessage(`{"properties":{"id":{},"` + hashA + `":{},"` + hashA + `_currency":{},"` + hashB + `":{}}}`)
	tests := []struct {
		name, header string
		fields       []schema.Field
		rec, want    string
	}{
		{"renamed with a suffix column",
			"id,Budget (a1b2c3d4),Budget currency (a1b2c3d4),Region (ffeeddcc),_extra",
			[]schema.Field{{Key: hashA, Name: "Total cost"}, {Key: hashB, Name: "Area"}},
			`{"id":2,"` + hashA + `":9,"` + hashA + `_currency":"EUR","` + hashB + `":3}`,
			"2|9|EUR|3|"},
		{"old name ends like the suffix",
			"id,Budget currency (a1b2c3d4),Budget currency currency (a1b2c3d4),_extra",
			[]schema.Field{{Key: hashA, Name: "Spend"}},
			`{"id":2,"` + hashA + `":9,"` + hashA + `_currency":"EUR","` + hashB + `":3}`,
			`2|9|EUR|{"` + hashB + `":3}`},
		{"unknown custom column stays empty",
			"id,Gone (12345678),_extra",
			testFields,
			`{"id":2,"` + hashA + `":9}`,
			`2||{"` + hashA + `":9}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "deals.csv")
			if err := os.WriteFile(path, []byte(tt.header+"\r\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			fields := append([]schema.Field(nil), tt.fields...)
			for i := range fields {
				fields[i].Type = map[string]string{hashA: "monetary", hashB: "varchar"}[fields[i].Key]
			}
			s, err := NewCSV(Options{Dir: dir, Streams: map[string]Stream{"deals": {ResumeSize: -1}}}, columnsOf(v1, 1, fields), testDecoder(1, fields))
			if err != nil {
				t.Fatal(err)
			}
			emit(t, s, ev(engine.Records, "deals", json.RawMessage(tt.rec)), ev(engine.Checkpoint, "deals"), ev(engine.StreamComplete, "deals"))
			rows := readCSV(t, path)
			if strings.Join(rows[0], ",") != tt.header {
				t.Errorf("header changed: %q", rows[0])
			}
			if got := strings.Join(rows[len(rows)-1], "|"); got != tt.want {
				t.Errorf("appended row = %s\nwant           %s", got, tt.want)
			}
		})
	}
}
