package app_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"slices"
	"sort"
	"testing"

	"github.com/pdxhq/pdx/app"
	"github.com/pdxhq/pdx/source/airbyte"
	"github.com/pdxhq/pdx/source/airbyte/airbytetest"
	"github.com/pdxhq/pdx/source/pipedrivetest"
)

// readTombstones runs a read and returns the tombstoned ids per stream.
func readTombstones(t *testing.T, v *airbytetest.Validator, cfg, cat string, streams []string) map[string][]string {
	t.Helper()
	var disc bytes.Buffer
	if code := app.Discover(context.Background(), airbyte.Env{Stdout: &disc, Stderr: os.Stderr}, cfg); code != 0 {
		t.Fatalf("discover: exit %d", code)
	}
	schemas := map[string]json.RawMessage{}
	for _, l := range bytes.Split(disc.Bytes(), []byte("\n")) {
		var m struct {
			Catalog struct {
				Streams []struct {
					Name       string          `json:"name"`
					JSONSchema json.RawMessage `json:"json_schema"`
				} `json:"streams"`
			} `json:"catalog"`
		}
		if json.Unmarshal(l, &m) == nil {
			for _, s := range m.Catalog.Streams {
				schemas[s.Name] = s.JSONSchema
			}
		}
	}
	if len(schemas) == 0 {
		t.Fatal("discover gave no schemas")
	}
	var out bytes.Buffer
	if code := app.Read(context.Background(), airbyte.Env{Stdout: &out, Stderr: os.Stderr}, app.ReadFiles{Config: cfg, Catalog: cat}); code != 0 {
		t.Fatalf("read: exit %d:\n%s", code, out.String())
	}
	airbytetest.CheckRead(t, v.Parse(t, out.Bytes()), streams, schemas, true)
	got := map[string][]string{}
	sc := bufio.NewScanner(&out)
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var m struct {
			Type   string `json:"type"`
			Record struct {
				Stream string                     `json:"stream"`
				Data   map[string]json.RawMessage `json:"data"`
			} `json:"record"`
		}
		if json.Unmarshal(sc.Bytes(), &m) != nil || m.Type != "RECORD" {
			continue
		}
		if _, ok := m.Record.Data[app.DeletedAt]; ok {
			if len(m.Record.Data) != 2 {
				t.Errorf("tombstone %s has more than the key and %s", sc.Bytes(), app.DeletedAt)
			}
			got[m.Record.Stream] = append(got[m.Record.Stream], string(m.Record.Data["id"]))
		}
	}
	for _, ids := range got {
		sort.Strings(ids)
	}
	return got
}

// TestReadReconcilesDeletes: with reconcile_deletes, a read emits one
// RECORD tombstone per purged id delivered by an earlier read, valid
// against the stream's schema, and none again on the next read.
func TestReadReconcilesDeletes(t *testing.T) {
	v := airbytetest.NewValidator(t)
	s := pipedrivetest.NewServer(pipedrivetest.Options{Seed: 5, Scale: 200, Plan: pipedrivetest.PlanUltimate})
	defer s.Close()
	cfg := writeFile(t, "config.json", `{"credentials":{"auth_type":"api_token","api_token":"`+s.Token()+`"},"api_base_url":"`+s.URL()+`","reconcile_deletes":true,"ids_dir":"`+t.TempDir()+`"}`)
	cat := writeFile(t, "catalog.json", `{"streams":[{"stream":{"name":"deals"},"sync_mode":"incremental","destination_sync_mode":"append_dedup"},{"stream":{"name":"persons"},"sync_mode":"full_refresh","destination_sync_mode":"overwrite"}]}`)
	names := []string{"deals", "persons"}
	if got := readTombstones(t, v, cfg, cat, names); len(got) != 0 {
		t.Fatalf("first read: tombstones %v before anything was delivered", got)
	}
	var listed []string // deals /deals shows (not archived)
	for _, r := range s.Records("deals")[:2] {
		var d struct {
			ID json.Number `json:"id"`
		}
		if err := json.Unmarshal(r, &d); err != nil {
			t.Fatal(err)
		}
		listed = append(listed, d.ID.String())
	}
	sort.Strings(listed)
	for _, p := range []struct{ entity, id string }{{"deals", listed[0]}, {"deals", listed[1]}, {"persons", "8"}} {
		if err := s.Purge(p.entity, p.id); err != nil {
			t.Fatal(err)
		}
	}
	got := readTombstones(t, v, cfg, cat, names)
	// Deal ids the simulator's base purged before the first read were never
	// delivered: only the purged ones are tombstoned.
	if !slices.Equal(got["deals"], listed) || !slices.Equal(got["persons"], []string{"8"}) || len(got) != 2 {
		t.Errorf("tombstones %v, want deals %v, persons [8]", got, listed)
	}
	if again := readTombstones(t, v, cfg, cat, names); len(again) != 0 {
		t.Errorf("third read: tombstones %v again", again)
	}
}
