package main

// Real Airbyte clients (issue 12 item 8): PyAirbyte's catalog and state
// shapes and the old connector's own catalogs are read as the Python CDK
// reads them: exit 0, every known stream read, protocol-valid output.

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/pdxhq/pdx/source/airbyte/airbytetest"
	"github.com/pdxhq/pdx/source/pipedrivetest"
	"github.com/pdxhq/pdx/source/sharedref"
	"github.com/pdxhq/pdx/source/streams"
)

// pyairbyteCatalog is the configured catalog PyAirbyte writes for
// `select_all_streams(); read()` (airbyte/sources/base.py
// get_configured_catalog, model_dump_json): every discovered stream as is,
// sync_mode incremental whatever it supports, destination_sync_mode
// overwrite, primary_key and cursor_field from discover (null when
// absent), and the unused generation fields as null.
func pyairbyteCatalog(t *testing.T, v *airbytetest.Validator, cfg string) (map[string]any, []string) {
	t.Helper()
	r := pdx(t, v, "discover", "--config", cfg)
	if r.code != 0 {
		t.Fatalf("discover: %d %s", r.code, r.stderr)
	}
	var msg struct {
		Catalog struct {
			Streams []map[string]any `json:"streams"`
		} `json:"catalog"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &msg); err != nil {
		t.Fatal(err)
	}
	var out []any
	var names []string
	for _, st := range msg.Catalog.Streams {
		for _, k := range []string{"namespace", "source_defined_cursor", "default_cursor_field", "source_defined_primary_key", "is_resumable"} {
			if _, ok := st[k]; !ok {
				st[k] = nil
			}
		}
		names = append(names, st["name"].(string))
		out = append(out, map[string]any{
			"stream": st, "sync_mode": "incremental", "destination_sync_mode": "overwrite",
			"primary_key": st["source_defined_primary_key"], "cursor_field": st["default_cursor_field"],
			"generation_id": nil, "minimum_generation_id": nil, "sync_id": nil,
		})
	}
	return map[string]any{"streams": out}, names
}

// pyairbyteState is the state PyAirbyte passes back: each stream's last
// STATE message as its pydantic model dumps it, nulls included.
func pyairbyteState(t *testing.T, states map[string][]json.RawMessage) []any {
	t.Helper()
	var out []any
	for name, sts := range states {
		out = append(out, map[string]any{
			"type": "STREAM",
			"stream": map[string]any{"stream_descriptor": map[string]any{"name": name, "namespace": nil},
				"stream_state": sts[len(sts)-1]},
			"global_": nil, "data": nil, "sourceStats": nil, "destinationStats": nil,
		})
	}
	return out
}

func TestAirbytePyAirbyteCatalog(t *testing.T) {
	v := airbytetest.NewValidator(t)
	s := sim(t, pipedrivetest.Options{Seed: 81, Scale: 60})
	cfg := writeJSON(t, "config.json", tokenConfig(s, s.Token()))
	schemas, _ := discover(t, v, cfg)
	cat, all := pyairbyteCatalog(t, v, cfg)
	catPath := writeJSON(t, "catalog.json", cat)

	first := pdx(t, v, "read", "--config", cfg, "--catalog", catPath, "--state", writeJSON(t, "state.json", []any{}))
	if first.code != 0 {
		t.Fatalf("PyAirbyte's first read: exit %d\n%s", first.code, first.stderr)
	}
	rd := airbytetest.CheckRead(t, first.msgs, all, schemas, true)
	if len(rd.Errors) > 0 {
		t.Errorf("error traces: %v", rd.Errors)
	}
	total := 0
	for _, n := range all {
		total += len(rd.Records[n])
	}
	for _, n := range []string{"deals", "persons", "activities", "users", "deal_products", "leads", "currencies"} {
		if len(rd.Records[n]) == 0 {
			t.Errorf("no %s records", n)
		}
	}
	downgraded := 0
	for _, m := range only(first.msgs, "LOG") {
		if strings.Contains(m.Log.Message, "supports only full_refresh") {
			downgraded++
		}
	}
	if want := fullOnly(all); downgraded != want {
		t.Errorf("%d LOG lines about full refresh, want one per full-refresh-only stream (%d)", downgraded, want)
	}

	second := pdx(t, v, "read", "--config", cfg, "--catalog", catPath, "--state", writeJSON(t, "state2.json", pyairbyteState(t, rd.States)))
	if second.code != 0 {
		t.Fatalf("PyAirbyte's second read (state with nulls): exit %d\n%s", second.code, second.stderr)
	}
	rd2 := airbytetest.CheckRead(t, second.msgs, all, schemas, true)
	total2 := 0
	for _, n := range all {
		total2 += len(rd2.Records[n])
	}
	if total2 >= total {
		t.Errorf("the read with PyAirbyte's state read %d records, the first %d: the state was not used", total2, total)
	}
	t.Logf("PyAirbyte catalog: %d streams, %d downgraded to full refresh; first read %d records, second (state with nulls) %d", len(all), downgraded, total, total2)
}

func fullOnly(names []string) int {
	n := 0
	for _, name := range names {
		if st, ok := streams.Lookup(name); ok && !st.SupportsIncremental() {
			n++
		}
	}
	return n
}

func TestAirbyteOldConnectorCatalogs(t *testing.T) {
	v := airbytetest.NewValidator(t)
	s := sim(t, pipedrivetest.Options{Seed: 82, Scale: 60})
	cfg := writeJSON(t, "config.json", tokenConfig(s, s.Token()))
	schemas, _ := discover(t, v, cfg)
	for _, f := range []string{
		"reference/airbyte-source-pipedrive/integration_tests/configured_catalog.json",
		"reference/airbyte-source-pipedrive/integration_tests/legacy-0.1.x/configured_catalog.json",
	} {
		t.Run(f, func(t *testing.T) {
			data, err := os.ReadFile(sharedref.Require(t, f))
			if err != nil {
				t.Fatal(err)
			}
			var c struct {
				Streams []struct {
					Stream struct {
						Name string `json:"name"`
					} `json:"stream"`
				} `json:"streams"`
			}
			if err := json.Unmarshal(data, &c); err != nil {
				t.Fatal(err)
			}
			var known, unknown []string
			for _, st := range c.Streams {
				if _, ok := streams.Lookup(st.Stream.Name); ok {
					known = append(known, st.Stream.Name)
				} else {
					unknown = append(unknown, st.Stream.Name)
				}
			}
			r := pdx(t, v, "read", "--config", cfg, "--catalog", writeJSON(t, "catalog.json", json.RawMessage(data)))
			if r.code != 0 {
				t.Fatalf("exit %d\n%s", r.code, r.stderr)
			}
			rd := airbytetest.CheckRead(t, r.msgs, known, schemas, true)
			for _, n := range unknown {
				if st := rd.Statuses[n]; !slices.Equal(st, []string{"INCOMPLETE"}) {
					t.Errorf("unknown stream %s: statuses %v, want INCOMPLETE", n, st)
				}
			}
			if len(rd.Errors) > 0 {
				t.Errorf("error traces: %v", rd.Errors)
			}
			recs := 0
			for _, n := range known {
				recs += len(rd.Records[n])
			}
			t.Logf("%s: %d known streams read (%d records), %d unknown (%v) INCOMPLETE", f, len(known), recs, len(unknown), unknown)
		})
	}
}
