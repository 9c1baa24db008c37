package app

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/pdxhq/pdx/source/readable"
)

// checkCSV parses the CSV back and checks that every value of every API
// record is in it: in its own column, in _extra, or (a custom field dec
// knows) decoded in its readable columns.
func checkCSV(t *testing.T, path string, want []string, dec *readable.Decoder) {
	t.Helper()
	rows := readCSVRows(t, path)
	header := rows[0]
	if header[len(header)-1] != "_extra" {
		t.Fatalf("%s: last column %q", path, header[len(header)-1])
	}
	if len(rows)-1 != len(want) {
		t.Fatalf("%s: %d rows, want %d", path, len(rows)-1, len(want))
	}
	col := map[string]int{}
	for i, h := range header {
		col[h] = i
	}
	known := func(k string) bool {
		if dec == nil {
			return false
		}
		_, ok := dec.FieldOf(k)
		return ok
	}
	byID := map[string][]string{}
	for _, r := range rows[1:] {
		byID[r[col["id"]]] = r
	}
	decoded := 0
	for _, rec := range want {
		var obj map[string]json.RawMessage
		if err := json.Unmarshal([]byte(rec), &obj); err != nil {
			t.Fatal(err)
		}
		id := strings.Trim(string(obj["id"]), `"`)
		row, ok := byID[id]
		if !ok {
			t.Fatalf("%s: record %s missing", path, id)
		}
		var extra map[string]json.RawMessage
		if x := row[len(row)-1]; x != "" {
			if err := json.Unmarshal([]byte(x), &extra); err != nil {
				t.Fatalf("%s: _extra %q: %v", path, x, err)
			}
		}
		if dec != nil {
			vals, err := dec.Decode([]byte(rec))
			if err != nil {
				t.Fatal(err)
			}
			for i, c := range dec.Columns() {
				j, ok := col[c.Name]
				if !ok {
					t.Fatalf("%s: no column %q for custom field %s", path, c.Name, c.Field)
				}
				if want := readableCell(vals[i]); row[j] != want {
					t.Fatalf("%s id %s: %s = %q, decoded %q", path, id, c.Name, row[j], want)
				}
				if row[j] != "" {
					decoded++
				}
			}
		}
		for k, v := range obj {
			if i, ok := col[k]; ok {
				if !cellMatches(row[i], v) {
					t.Fatalf("%s id %s: column %s = %q, API value %s", path, id, k, row[i], v)
				}
				continue
			}
			if known(k) {
				continue // checked decoded above
			}
			if k == "custom_fields" && dec != nil {
				var cf map[string]json.RawMessage
				json.Unmarshal(v, &cf)
				for h := range cf {
					if !known(h) {
						t.Fatalf("%s: custom field %s is not decoded", path, h)
					}
				}
				continue
			}
			if x, ok := extra[k]; !ok || !jsonEqual(x, v) {
				t.Fatalf("%s id %s: key %s neither has a column nor is in _extra (%s)", path, id, k, row[len(row)-1])
			}
		}
	}
	if dec != nil && decoded == 0 {
		t.Errorf("%s: no custom field value decoded", path)
	}
}

// readableCell is a readable value as CSV text.
func readableCell(v readable.Value) string {
	switch {
	case v.Null:
		return ""
	case v.Kind == readable.Real:
		return strconv.FormatFloat(v.Real, 'f', -1, 64)
	case v.Kind == readable.Integer:
		return strconv.FormatInt(v.Int, 10)
	case v.Kind == readable.Bool:
		return strconv.FormatBool(v.Bool)
	}
	return v.Text
}

func cellMatches(cell string, v json.RawMessage) bool {
	v = bytes.TrimSpace(v)
	switch {
	case string(v) == "null":
		return cell == ""
	case v[0] == '"':
		var s string
		json.Unmarshal(v, &s)
		return cell == s
	case v[0] == '{' || v[0] == '[':
		return jsonEqual(json.RawMessage(cell), v)
	}
	return cell == string(v)
}

func jsonEqual(a, b json.RawMessage) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}
