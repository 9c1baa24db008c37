package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"testing"

	"github.com/pdxhq/pdx/app"
	"github.com/pdxhq/pdx/source/airbyte"
	"github.com/pdxhq/pdx/source/airbyte/airbytetest"
	"github.com/pdxhq/pdx/source/pipedrivetest"
	"github.com/pdxhq/pdx/source/readable"
)

// TestAirbyteReadable: with "readable": true, discover declares the
// readable object and read emits it, every RECORD valid against the
// discovered schema (no undeclared top-level key); without it, neither.
func TestAirbyteReadable(t *testing.T) {
	v := airbytetest.NewValidator(t)
	s := pipedrivetest.NewServer(pipedrivetest.Options{Seed: 4, Scale: 80, Plan: pipedrivetest.PlanUltimate})
	defer s.Close()
	cat := writeFile(t, "catalog.json", `{"streams":[{"stream":{"name":"deals"},"sync_mode":"full_refresh","destination_sync_mode":"overwrite"},`+
		`{"stream":{"name":"leads"},"sync_mode":"full_refresh","destination_sync_mode":"overwrite"},`+
		`{"stream":{"name":"activities"},"sync_mode":"full_refresh","destination_sync_mode":"overwrite"}]}`)
	for _, on := range []bool{true, false} {
		extra := ""
		if on {
			extra = `,"readable":true`
		}
		cfg := writeFile(t, "config.json", `{"credentials":{"auth_type":"api_token","api_token":"`+s.Token()+`"},"api_base_url":"`+s.URL()+`"`+extra+`}`)
		var disc bytes.Buffer
		if code := app.Discover(context.Background(), airbyte.Env{Stdout: &disc, Stderr: os.Stderr}, cfg); code != 0 {
			t.Fatalf("discover: exit %d", code)
		}
		schemas := map[string]json.RawMessage{}
		for _, m := range v.Parse(t, disc.Bytes()) {
			if m.Catalog != nil {
				for _, st := range m.Catalog.Streams {
					schemas[st.Name] = st.JSONSchema
				}
			}
		}
		for _, name := range []string{"deals", "leads"} {
			if got := bytes.Contains(schemas[name], []byte(`"`+readable.Key+`"`)); got != on {
				t.Errorf("readable %v: %s schema declares %s: %v", on, name, readable.Key, got)
			}
		}
		if bytes.Contains(schemas["activities"], []byte(readable.Key)) {
			t.Error("activities (no custom fields) declares the readable object")
		}
		var out bytes.Buffer
		if code := app.Read(context.Background(), airbyte.Env{Stdout: &out, Stderr: os.Stderr}, app.ReadFiles{Config: cfg, Catalog: cat}); code != 0 {
			t.Fatalf("read: exit %d", code)
		}
		r := airbytetest.CheckRead(t, v.Parse(t, out.Bytes()), []string{"deals", "leads", "activities"}, schemas, true)
		for _, name := range []string{"deals", "leads"} {
			recs := r.Records[name]
			if len(recs) == 0 {
				t.Fatalf("no %s", name)
			}
			labelled := 0
			for _, rec := range recs {
				var x map[string]json.RawMessage
				if err := json.Unmarshal(rec, &x); err != nil {
					t.Fatal(err)
				}
				ro, has := x[readable.Key]
				if has != on {
					t.Fatalf("readable %v: %s record has %s: %v", on, name, readable.Key, has)
				}
				if bytes.Contains(ro, []byte(`"Custom enum 11":"`)) {
					labelled++
				}
			}
			if on && labelled == 0 {
				t.Errorf("%s: no enum decoded to its label", name)
			}
		}
	}
}
