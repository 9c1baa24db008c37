package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"os"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/pdxhq/pdx/app"
	"github.com/pdxhq/pdx/source/airbyte"
	"github.com/pdxhq/pdx/source/airbyte/airbytetest"
	"github.com/pdxhq/pdx/source/pipedrivetest"
)

// TestReadChildDiff (issue 12.7, Airbyte): with ids_dir set, an
// incremental read after products were removed from deals sends one
// RECORD tombstone per removed product, each covered by a STATE after it;
// the first read and a read without changes send none.
func TestReadChildDiff(t *testing.T) {
	v := airbytetest.NewValidator(t)
	s := pipedrivetest.NewServer(pipedrivetest.Options{Seed: 5, Scale: 200, Plan: pipedrivetest.PlanUltimate})
	defer s.Close()
	cfg := writeFile(t, "config.json", `{"credentials":{"auth_type":"api_token","api_token":"`+s.Token()+`"},"api_base_url":"`+s.URL()+`","ids_dir":"`+t.TempDir()+`"}`)
	cat := writeFile(t, "catalog.json", `{"streams":[{"stream":{"name":"deal_products"},"sync_mode":"incremental","destination_sync_mode":"append_dedup"}]}`)
	var state json.RawMessage
	read := func(what string) []string {
		t.Helper()
		in := app.ReadFiles{Config: cfg, Catalog: cat}
		if state != nil {
			in.State = writeFile(t, "state.json", `[{"type":"STREAM","stream":{"stream_descriptor":{"name":"deal_products"},"stream_state":`+string(state)+`}}]`)
		}
		var out bytes.Buffer
		if code := app.Read(context.Background(), airbyte.Env{Stdout: &out, Stderr: os.Stderr}, in); code != 0 {
			t.Fatalf("%s: exit %d:\n%s", what, code, out.String())
		}
		r := airbytetest.CheckRead(t, v.Parse(t, out.Bytes()), []string{"deal_products"}, nil, true)
		covered := 0
		for _, b := range r.Batches["deal_products"] {
			covered += len(b)
		}
		var tombs []string
		for i, rec := range r.Records["deal_products"] {
			var m map[string]json.RawMessage
			if err := json.Unmarshal(rec, &m); err != nil {
				t.Fatal(err)
			}
			if _, ok := m[app.DeletedAt]; !ok {
				continue
			}
			if len(m) != 2 {
				t.Errorf("%s: tombstone %s has more than the key and %s", what, rec, app.DeletedAt)
			}
			if i >= covered {
				t.Errorf("%s: tombstone %s has no STATE after it", what, rec)
			}
			tombs = append(tombs, string(m["id"]))
		}
		states := r.States["deal_products"]
		state = states[len(states)-1]
		sort.Strings(tombs)
		return tombs
	}
	if got := read("first read"); len(got) != 0 {
		t.Fatalf("first read: tombstones %v", got)
	}
	before := map[string][]string{}
	for _, r := range s.Records("deal_products") {
		var f struct {
			ID     json.Number `json:"id"`
			DealID json.Number `json:"deal_id"`
		}
		if err := json.Unmarshal(r, &f); err != nil {
			t.Fatal(err)
		}
		before[f.DealID.String()] = append(before[f.DealID.String()], f.ID.String())
	}
	s.Advance(time.Hour)
	var want []string
	n := 0
	for _, d := range slices.Sorted(maps.Keys(before)) {
		if len(before[d]) >= 2 && s.SetDealProducts(d, 1) == nil {
			want = append(want, before[d][1:]...)
			if n++; n == 3 {
				break
			}
		}
	}
	sort.Strings(want)
	if len(want) == 0 {
		t.Fatal("precondition: no deal with 2+ products")
	}
	if got := read("after the removals"); !slices.Equal(got, want) {
		t.Errorf("after the removals: tombstones %v, want %v", got, want)
	}
	if got := read("without changes"); len(got) != 0 {
		t.Errorf("a read without changes: tombstones %v", got)
	}
}
