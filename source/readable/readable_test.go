package readable_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/pdxhq/pdx/source/pipedrivetest"
	"github.com/pdxhq/pdx/source/readable"
	"github.com/pdxhq/pdx/source/schema"
)

// simFields reads a Fields endpoint of the simulator (one page is enough
// for its field counts) and parses it as pdx does.
func simFields(t testing.TB, s *pipedrivetest.Server, version int, path string) []schema.Field {
	t.Helper()
	req, _ := http.NewRequest("GET", s.URL()+path, nil)
	req.Header.Set("x-api-token", s.Token())
	resp, err := s.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var env struct {
		Data []json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		t.Fatalf("%s: %v: %s", path, err, body)
	}
	fs, err := schema.ParseFields(version, env.Data)
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

func byType(fs []schema.Field) map[string]schema.Field {
	out := map[string]schema.Field{}
	for _, f := range fs {
		out[f.Type] = f
	}
	return out
}

// field returns the readable JSON of one field from a decoded record.
func fieldJSON(t *testing.T, d *readable.Decoder, rec string, name string) string {
	t.Helper()
	vals, err := d.Decode([]byte(rec))
	if err != nil {
		t.Fatalf("decode %s: %v", rec, err)
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(d.AppendJSON(nil, vals), &obj); err != nil {
		t.Fatal(err)
	}
	return string(obj[name])
}

// TestEveryTypeBothShapes: every field type the simulator declares, sent in
// the v2 shape (deals: custom_fields, nested objects, numeric ids) and in
// the v1 shape (leads: top-level keys, suffix keys, string ids), decodes to
// the same readable value. The definitions come from the simulator's
// dealFields (v2) and leadFields (v1), which declare the same custom fields.
func TestEveryTypeBothShapes(t *testing.T) {
	s := pipedrivetest.NewServer(pipedrivetest.Options{Seed: 3, Scale: 5})
	defer s.Close()
	v2 := simFields(t, s, 2, "/api/v2/dealFields")
	v1 := simFields(t, s, 1, "/v1/leadFields")
	if fmt.Sprint(v1) != fmt.Sprint(v2) {
		t.Fatalf("v1 and v2 definitions differ:\n%v\n%v", v1, v2)
	}
	types := byType(v2)
	enum, set := types["enum"], types["set"]
	if len(enum.Options) < 3 || len(set.Options) < 3 {
		t.Fatalf("enum/set options missing: %+v %+v", enum, set)
	}
	o := func(f schema.Field, i int) int64 { return f.Options[i].ID }
	addr := `{"value":"1 Main St, Tallinn, Estonia","subpremise":null,"street_number":"1","route":"Main St","sublocality":null,"locality":"Tallinn","admin_area_level_1":null,"admin_area_level_2":null,"country":"Estonia","postal_code":"10111","formatted_address":"Main St 1, 10111 Tallinn, Estonia"}`
	addrV1 := func(h string) string {
		return fmt.Sprintf(`"%[1]s":"1 Main St, Tallinn, Estonia","%[1]s_subpremise":null,"%[1]s_street_number":"1","%[1]s_route":"Main St","%[1]s_sublocality":null,"%[1]s_locality":"Tallinn","%[1]s_admin_area_level_1":null,"%[1]s_admin_area_level_2":null,"%[1]s_country":"Estonia","%[1]s_postal_code":"10111","%[1]s_formatted_address":"Main St 1, 10111 Tallinn, Estonia"`, h)
	}
	for _, tc := range []struct {
		typ    string
		v2, v1 string // raw value (v2) and raw members (v1; %[1]s is the hash)
		want   string
	}{
		{"varchar", `"Acme 12"`, `"%[1]s":"Acme 12"`, `"Acme 12"`},
		{"varchar_auto", `"Auto"`, `"%[1]s":"Auto"`, `"Auto"`},
		{"text", `"line\nnext"`, `"%[1]s":"line\nnext"`, `"line\nnext"`},
		{"double", `12.5`, `"%[1]s":12.5`, `12.5`},
		{"monetary", `{"value":250,"currency":"EUR"}`, `"%[1]s":250,"%[1]s_currency":"EUR"`, `{"amount":250,"currency":"EUR"}`},
		{"phone", `"+372 5123"`, `"%[1]s":"+372 5123"`, `"+372 5123"`},
		{"date", `"2026-03-04"`, `"%[1]s":"2026-03-04"`, `"2026-03-04"`},
		{"daterange", `{"value":"2026-03-04","until":"2026-04-01"}`, `"%[1]s":"2026-03-04","%[1]s_until":"2026-04-01"`, `{"start":"2026-03-04","until":"2026-04-01"}`},
		{"time", `"09:30:00"`, `"%[1]s":"09:30"`, `"09:30:00"`},
		{"timerange", `{"value":"09:00:00","until":"10:00:00"}`, `"%[1]s":"09:00:00","%[1]s_until":"10:00:00"`, `{"start":"09:00:00","until":"10:00:00"}`},
		{"enum", fmt.Sprint(o(enum, 1)), fmt.Sprintf(`"%%[1]s":"%d"`, o(enum, 1)), `"` + enum.Options[1].Label + `"`},
		{"set", fmt.Sprintf(`[%d,%d]`, o(set, 0), o(set, 2)), fmt.Sprintf(`"%%[1]s":"%d,%d"`, o(set, 0), o(set, 2)), fmt.Sprintf(`[%q,%q]`, set.Options[0].Label, set.Options[2].Label)},
		{"address", addr, "", `{"value":"1 Main St, Tallinn, Estonia","subpremise":null,"street_number":"1","route":"Main St","sublocality":null,"locality":"Tallinn","admin_area_level_1":null,"admin_area_level_2":null,"country":"Estonia","postal_code":"10111","formatted_address":"Main St 1, 10111 Tallinn, Estonia"}`},
		{"user", `7`, `"%[1]s":{"id":7,"name":"Ann Smith","email":"ann@example.com","value":7}`, `{"id":7,"name":null}`},
		{"org", `12`, `"%[1]s":12`, `{"id":12,"name":null}`},
		{"people", `5`, `"%[1]s":5`, `{"id":5,"name":null}`},
	} {
		t.Run(tc.typ, func(t *testing.T) {
			f, ok := types[tc.typ]
			if !ok {
				t.Fatalf("simulator declares no %s field", tc.typ)
			}
			v1raw := tc.v1
			if tc.typ == "address" {
				v1raw = addrV1(f.Key)
			} else {
				v1raw = fmt.Sprintf(v1raw, f.Key)
			}
			d2 := readable.NewDecoder(2, v2, nil, readable.Options{})
			d1 := readable.NewDecoder(1, v1, nil, readable.Options{})
			got2 := fieldJSON(t, d2, fmt.Sprintf(`{"id":1,"custom_fields":{%q:%s}}`, f.Key, tc.v2), f.Name)
			got1 := fieldJSON(t, d1, `{"id":"x",`+v1raw+`}`, f.Name)
			if tc.typ == "user" { // v1 expands the user: the name comes with it
				if want := `{"id":7,"name":"Ann Smith"}`; got1 != want {
					t.Errorf("v1 = %s, want %s", got1, want)
				}
				got1 = tc.want
			}
			if got2 != tc.want || got1 != tc.want {
				t.Errorf("v2 = %s\nv1 = %s\nwant %s", got2, got1, tc.want)
			}
			// Null in both shapes is null (every part).
			n2 := fieldJSON(t, d2, fmt.Sprintf(`{"custom_fields":{%q:null}}`, f.Key), f.Name)
			n1 := fieldJSON(t, d1, fmt.Sprintf(`{%q:null}`, f.Key), f.Name)
			if n1 != n2 || strings.Contains(strings.ReplaceAll(n2, "null", ""), `"`) && !strings.HasPrefix(n2, "{") {
				t.Errorf("null: v2 %s, v1 %s", n2, n1)
			}
		})
	}
}

// TestSimRecordsConform decodes every deal (v2) and lead (v1) the
// simulator serves: each value has its column's kind, every option id has
// a label, and a field's JSON shape is the same in both streams.
func TestSimRecordsConform(t *testing.T) {
	s := pipedrivetest.NewServer(pipedrivetest.Options{Seed: 9, Scale: 60})
	defer s.Close()
	fields := simFields(t, s, 2, "/api/v2/dealFields")
	labels := map[string]bool{}
	for _, f := range fields {
		for _, o := range f.Options {
			labels[o.Label] = true
		}
	}
	shapes := map[string]map[string]string{} // stream -> field name -> shape
	for _, tc := range []struct {
		stream  string
		version int
	}{{"deals", 2}, {"leads", 1}} {
		d := readable.NewDecoder(tc.version, fields, nil, readable.Options{})
		cols := d.Columns()
		recs := s.Records(tc.stream)
		if len(recs) == 0 {
			t.Fatalf("no %s", tc.stream)
		}
		nonNull := map[string]int{}
		shapes[tc.stream] = map[string]string{}
		for _, r := range recs {
			vals, err := d.Decode(r)
			if err != nil {
				t.Fatalf("%s: %v", tc.stream, err)
			}
			for i, v := range vals {
				if v.Null {
					continue
				}
				nonNull[cols[i].Type]++
				if v.Kind != cols[i].Kind {
					t.Errorf("%s %s (%s): kind %v, want %v (%q)", tc.stream, cols[i].Name, cols[i].Type, v.Kind, cols[i].Kind, v.Text)
				}
				if cols[i].Type == "enum" && !labels[v.Text] {
					t.Errorf("%s: enum value %q is not a label", tc.stream, v.Text)
				}
				if cols[i].Type == "set" {
					var ls []string
					if err := json.Unmarshal([]byte(v.Text), &ls); err != nil || len(ls) == 0 || !labels[ls[0]] {
						t.Errorf("%s: set value %s is not a list of labels", tc.stream, v.Text)
					}
				}
			}
			var obj map[string]any
			if err := json.Unmarshal(d.AppendJSON(nil, vals), &obj); err != nil {
				t.Fatal(err)
			}
			for k, v := range obj {
				if v != nil {
					shapes[tc.stream][k] = shapeOf(v)
				}
			}
		}
		if u := d.Unknown(); len(u) != 0 {
			t.Errorf("%s: unknown options %v", tc.stream, u)
		}
		for _, f := range fields {
			if nonNull[f.Type] == 0 {
				t.Errorf("%s: no %s value decoded", tc.stream, f.Type)
			}
		}
	}
	for name, sh := range shapes["deals"] {
		if shapes["leads"][name] != sh {
			t.Errorf("%s: deals shape %s, leads %s", name, sh, shapes["leads"][name])
		}
	}
}

// shapeOf is a JSON value's shape: its type, and an object's keys.
func shapeOf(v any) string {
	switch x := v.(type) {
	case map[string]any:
		keys := []string{}
		for k := range x {
			keys = append(keys, k)
		}
		return fmt.Sprintf("object%v", sortStrings(keys))
	case []any:
		return "array"
	default:
		return fmt.Sprintf("%T", v)
	}
}

func sortStrings(s []string) []string {
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j] < s[i] {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
	return s
}

// TestAppendRecordMatchesDecode: the fast path of AppendRecord (values
// borrowed from the record, numbers as sent) writes what Decode and
// AppendJSON write, for every simulator deal and lead.
func TestAppendRecordMatchesDecode(t *testing.T) {
	s := pipedrivetest.NewServer(pipedrivetest.Options{Seed: 11, Scale: 40})
	defer s.Close()
	fields := simFields(t, s, 2, "/api/v2/dealFields")
	for _, tc := range []struct {
		stream  string
		version int
	}{{"deals", 2}, {"leads", 1}} {
		d := readable.NewDecoder(tc.version, fields, nil, readable.Options{})
		for _, r := range s.Records(tc.stream) {
			vals, err := d.Decode(r)
			if err != nil {
				t.Fatal(err)
			}
			var want any
			if err := json.Unmarshal(d.AppendJSON(nil, vals), &want); err != nil {
				t.Fatal(err)
			}
			out, err := d.AppendRecord(nil, r)
			if err != nil {
				t.Fatal(err)
			}
			var got map[string]any
			if err := json.Unmarshal(out, &got); err != nil {
				t.Fatalf("%s: %v", out, err)
			}
			if fmt.Sprint(got[readable.Key]) != fmt.Sprint(want) {
				t.Fatalf("%s:\nAppendRecord %v\nDecode       %v", tc.stream, got[readable.Key], want)
			}
		}
	}
}
