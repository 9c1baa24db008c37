package app

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// checkCSV parses the CSV back and checks that every value of every API
// record is in it: in its own column (custom fields in theirs), or in _extra.
func checkCSV(t *testing.T, path string, want []string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
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
	// customCol finds a custom field's column by its key: the header ends
	// with "(<first 8 hex>)"; a suffix key (<hash>_currency) adds its words.
	customCol := func(key string) (int, bool) {
		m := hashKey.FindStringSubmatch(key)
		if m == nil {
			return 0, false
		}
		best, bestLen := -1, 0
		for h, i := range col {
			if !strings.HasSuffix(h, " ("+m[1][:8]+")") {
				continue
			}
			if m[2] != "" {
				if strings.HasSuffix(h, " "+strings.ReplaceAll(m[2], "_", " ")+" ("+m[1][:8]+")") {
					return i, true
				}
				continue
			}
			if best < 0 || len(h) < bestLen {
				best, bestLen = i, len(h)
			}
		}
		return best, best >= 0
	}
	byID := map[string][]string{}
	for _, r := range rows[1:] {
		byID[r[col["id"]]] = r
	}
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
		for k, v := range obj {
			if i, ok := col[k]; ok {
				if !cellMatches(row[i], v) {
					t.Fatalf("%s id %s: column %s = %q, API value %s", path, id, k, row[i], v)
				}
				continue
			}
			if i, ok := customCol(k); ok {
				if !cellMatches(row[i], v) {
					t.Fatalf("%s id %s: custom %s = %q, API value %s", path, id, k, row[i], v)
				}
				continue
			}
			if k == "custom_fields" {
				var cf map[string]json.RawMessage
				json.Unmarshal(v, &cf)
				for h, cv := range cf {
					i, ok := customCol(h)
					if !ok {
						t.Fatalf("%s: no column for custom field %s", path, h)
					}
					if !cellMatches(row[i], cv) {
						t.Fatalf("%s id %s: custom %s = %q, API %s", path, id, h, row[i], cv)
					}
				}
				continue
			}
			if x, ok := extra[k]; !ok || !jsonEqual(x, v) {
				t.Fatalf("%s id %s: key %s neither has a column nor is in _extra (%s)", path, id, k, row[len(row)-1])
			}
		}
	}
}

var hashKey = regexp.MustCompile(`^([0-9a-f]{40})(?:_(.+))?$`)

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
