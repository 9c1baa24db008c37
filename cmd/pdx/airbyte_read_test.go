package main

import (
	"encoding/json"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/pdxhq/pdx/source/airbyte/airbytetest"
	"github.com/pdxhq/pdx/source/pipedrivetest"
	"github.com/pdxhq/pdx/source/sharedref"
)

var hex40 = regexp.MustCompile(`^[0-9a-f]{40}$`)

func TestAirbyteDiscover(t *testing.T) {
	v := airbytetest.NewValidator(t)
	s := sim(t, pipedrivetest.Options{Seed: 3, Scale: 20})
	cfg := writeJSON(t, "config.json", tokenConfig(s, s.Token()))
	r := pdx(t, v, "discover", "--config", cfg)
	if r.code != 0 {
		t.Fatalf("exit %d: %s %s", r.code, r.stdout, r.stderr)
	}
	cats := only(r.msgs, "CATALOG")
	if len(cats) != 1 || len(r.msgs) != 1 {
		t.Fatalf("%d messages, %d catalogs", len(r.msgs), len(cats))
	}
	seen := map[string]bool{}
	for _, st := range cats[0].Catalog.Streams {
		if seen[st.Name] {
			t.Errorf("stream %s listed twice", st.Name)
		}
		seen[st.Name] = true
		if _, err := airbytetest.CompileStreamSchema(st.Name, st.JSONSchema); err != nil {
			t.Errorf("%s: schema does not compile: %v", st.Name, err)
		}
		var sch struct {
			Type       string                     `json:"type"`
			Properties map[string]json.RawMessage `json:"properties"`
		}
		if err := json.Unmarshal(st.JSONSchema, &sch); err != nil || sch.Type != "object" || len(sch.Properties) == 0 {
			t.Errorf("%s: schema is not an object with properties (%v)", st.Name, err)
		}
		if len(st.SupportedSyncModes) == 0 || st.SupportedSyncModes[0] != "full_refresh" {
			t.Errorf("%s: supported_sync_modes %v", st.Name, st.SupportedSyncModes)
		}
		if len(st.SourceDefinedPrimaryKey) == 0 {
			t.Errorf("%s: no primary key", st.Name)
		}
		for _, pk := range st.SourceDefinedPrimaryKey {
			if len(pk) != 1 || sch.Properties[pk[0]] == nil {
				t.Errorf("%s: primary key %v not in the schema", st.Name, pk)
			}
		}
		incr := len(st.SupportedSyncModes) == 2 && st.SupportedSyncModes[1] == "incremental"
		if incr != (st.SourceDefinedCursor && st.IsResumable && len(st.DefaultCursorField) == 1) {
			t.Errorf("%s: modes %v but cursor %v/%v resumable %v", st.Name, st.SupportedSyncModes, st.SourceDefinedCursor, st.DefaultCursorField, st.IsResumable)
		}
		if incr && sch.Properties[st.DefaultCursorField[0]] == nil {
			t.Errorf("%s: cursor %v not in the schema", st.Name, st.DefaultCursorField)
		}
		// Custom fields: v2 inside custom_fields, v1 (leads) at the top level.
		switch st.Name {
		case "deals", "persons", "organizations", "products", "projects", "projects_archived":
			var cf struct {
				Properties map[string]json.RawMessage `json:"properties"`
			}
			_ = json.Unmarshal(sch.Properties["custom_fields"], &cf)
			if len(cf.Properties) < 10 {
				t.Errorf("%s: %d custom fields declared, want the simulator's (>= 10)", st.Name, len(cf.Properties))
			}
		case "leads":
			n := 0
			for k := range sch.Properties {
				if hex40.MatchString(k) {
					n++
				}
			}
			if n < 10 {
				t.Errorf("leads: %d custom field keys declared at the top level", n)
			}
		}
	}
	for _, want := range []string{"deals", "deal_products", "deals_archived", "users", "leads", "activity_fields", "lead_sources"} {
		if !seen[want] {
			t.Errorf("stream %s missing", want)
		}
	}
}

// TestAirbyteReadCAT reads every stream (incremental where supported) and
// applies CAT's rules, records against their discovered schemas included.
func TestAirbyteReadCAT(t *testing.T) {
	v := airbytetest.NewValidator(t)
	s := sim(t, pipedrivetest.Options{Seed: 1, Scale: 60})
	cfg := writeJSON(t, "config.json", tokenConfig(s, s.Token()))
	schemas, cs := discover(t, v, cfg)
	for _, mode := range []string{"incremental", "full_refresh"} {
		t.Run(mode, func(t *testing.T) {
			cat := writeJSON(t, "catalog.json", catalogOf(cs, mode))
			r := pdx(t, v, "read", "--config", cfg, "--catalog", cat)
			if r.code != 0 {
				t.Fatalf("exit %d\nstderr: %s", r.code, r.stderr)
			}
			sch := schemas
			if mode == "full_refresh" {
				sch = nil // the same records as the incremental run: validated there
			}
			rd := airbytetest.CheckRead(t, r.msgs, names(cs), sch, true)
			for _, n := range []string{"deals", "persons", "activities", "users", "deal_products", "leads"} {
				if len(rd.Records[n]) == 0 {
					t.Errorf("no %s records", n)
				}
			}
			if len(rd.Errors) > 0 {
				t.Errorf("error traces: %v", rd.Errors)
			}
			keys, cursors := map[string][][]string{}, map[string][]string{}
			for _, c := range cs {
				keys[c.Stream.Name] = c.Stream.PrimaryKey
				if mode == "incremental" {
					cursors[c.Stream.Name] = c.Stream.Cursor
				}
			}
			airbytetest.CheckKeys(t, rd.Records, keys, cursors)
			noSecret(t, r, s.Token())
		})
	}
}

// TestAirbyteReadFutureState: the old connector's far-future state gives no
// records and exactly one STATE per stream.
func TestAirbyteReadFutureState(t *testing.T) {
	v := airbytetest.NewValidator(t)
	statePath := sharedref.Require(t, "reference/airbyte-source-pipedrive/integration_tests/abnormal_state.json")
	s := sim(t, pipedrivetest.Options{Seed: 2, Scale: 40})
	cfg := writeJSON(t, "config.json", tokenConfig(s, s.Token()))
	schemas, cs := discover(t, v, cfg)
	streams := []string{"deals", "activities", "persons", "pipelines", "stages", "users", "organizations"}
	cat := writeJSON(t, "catalog.json", catalogOf(cs, "incremental", streams...))
	r := pdx(t, v, "read", "--config", cfg, "--catalog", cat, "--state", statePath)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	rd := airbytetest.CheckRead(t, r.msgs, streams, schemas, true)
	for _, n := range streams {
		if len(rd.Records[n]) != 0 || len(rd.States[n]) != 1 {
			t.Errorf("%s: %d records, %d states; want 0 and 1", n, len(rd.Records[n]), len(rd.States[n]))
		}
	}
}

func TestAirbyteReadLegacyState(t *testing.T) {
	v := airbytetest.NewValidator(t)
	statePath := sharedref.Require(t, "reference/airbyte-source-pipedrive/integration_tests/legacy-0.1.x/sample_state.json")
	s := sim(t, pipedrivetest.Options{Seed: 2, Scale: 40})
	cfg := writeJSON(t, "config.json", tokenConfig(s, s.Token()))
	schemas, cs := discover(t, v, cfg)
	streams := []string{"deals", "notes", "files"}
	cat := writeJSON(t, "catalog.json", catalogOf(cs, "incremental", streams...))
	r := pdx(t, v, "read", "--config", cfg, "--catalog", cat, "--state", statePath)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	rd := airbytetest.CheckRead(t, r.msgs, streams, schemas, true)
	if len(rd.Records["deals"]) == 0 {
		t.Error("a 2017 legacy state must still return the deals updated since")
	}
	// The legacy file holds streams not configured: they are ignored with a warning.
	warned := false
	for _, m := range only(r.msgs, "LOG") {
		warned = warned || strings.Contains(m.Log.Message, "not in the configured catalog")
	}
	if !warned {
		t.Error("no warning for state of unconfigured streams")
	}
}

func recordIDs(recs []json.RawMessage) []string {
	var out []string
	for _, r := range recs {
		var x struct {
			ID json.RawMessage `json:"id"`
		}
		_ = json.Unmarshal(r, &x)
		out = append(out, string(x.ID))
	}
	sort.Strings(out)
	return out
}

func TestAirbyteReadTwiceSameFullRefresh(t *testing.T) {
	v := airbytetest.NewValidator(t)
	s := sim(t, pipedrivetest.Options{Seed: 4, Scale: 40})
	cfg := writeJSON(t, "config.json", tokenConfig(s, s.Token()))
	_, cs := discover(t, v, cfg)
	cat := writeJSON(t, "catalog.json", catalogOf(cs, "full_refresh"))
	var runs []map[string][]string
	for i := 0; i < 2; i++ {
		r := pdx(t, v, "read", "--config", cfg, "--catalog", cat)
		if r.code != 0 {
			t.Fatalf("run %d: exit %d: %s", i, r.code, r.stderr)
		}
		// Records were checked against their schemas in TestAirbyteReadCAT.
		rd := airbytetest.CheckRead(t, r.msgs, names(cs), nil, true)
		got := map[string][]string{}
		for n, recs := range rd.Records {
			for _, rec := range recs {
				got[n] = append(got[n], string(rec))
			}
			sort.Strings(got[n])
		}
		runs = append(runs, got)
	}
	if len(runs[0]) == 0 {
		t.Fatal("no records")
	}
	for n := range runs[0] {
		if strings.Join(runs[0][n], "\n") != strings.Join(runs[1][n], "\n") {
			t.Errorf("%s: the two full refreshes differ (%d vs %d records)", n, len(runs[0][n]), len(runs[1][n]))
		}
	}
}

// stateFile writes the STATE message of line as a one-element state file.
func stateFile(t *testing.T, line string) string {
	var m struct {
		State json.RawMessage `json:"state"`
	}
	if err := json.Unmarshal([]byte(line), &m); err != nil {
		t.Fatal(err)
	}
	return writeJSON(t, "state.json", "["+string(m.State)+"]")
}

// TestAirbyteReadResume: resuming from each intermediate STATE returns every
// record that came after it (the boundary record may come again).
func TestAirbyteReadResume(t *testing.T) {
	v := airbytetest.NewValidator(t)
	s := sim(t, pipedrivetest.Options{Seed: 5, Scale: 1300})
	cfg := writeJSON(t, "config.json", tokenConfig(s, s.Token()))
	schemas, cs := discover(t, v, cfg)
	for _, stream := range []string{"deals", "notes"} {
		t.Run(stream, func(t *testing.T) {
			cat := writeJSON(t, "catalog.json", catalogOf(cs, "incremental", stream))
			r := pdx(t, v, "read", "--config", cfg, "--catalog", cat)
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			full := airbytetest.CheckRead(t, r.msgs, []string{stream}, schemas, true)
			var stateLines []string
			for _, m := range only(r.msgs, "STATE") {
				stateLines = append(stateLines, m.Line)
			}
			if len(stateLines) < 3 {
				t.Fatalf("%d STATE messages for %d records: want a checkpoint per page", len(stateLines), len(full.Records[stream]))
			}
			total := len(full.Records[stream])
			for i, line := range stateLines {
				var rest []json.RawMessage
				for _, b := range full.Batches[stream][i+1:] {
					rest = append(rest, b...)
				}
				rr := pdx(t, v, "read", "--config", cfg, "--catalog", cat, "--state", stateFile(t, line))
				if rr.code != 0 {
					t.Fatalf("resume %d: exit %d: %s", i, rr.code, rr.stderr)
				}
				res := airbytetest.CheckRead(t, rr.msgs, []string{stream}, nil, true)
				got := map[string]bool{}
				for _, id := range recordIDs(res.Records[stream]) {
					got[id] = true
				}
				for _, id := range recordIDs(rest) {
					if !got[id] {
						t.Errorf("resume from state %d: record %s lost", i, id)
						break
					}
				}
				// Only the records after the state, plus the inclusive boundary.
				if n := len(res.Records[stream]); n > len(rest)+5 || n >= total && i < len(stateLines)-1 {
					t.Errorf("resume from state %d: %d records, %d came after it (of %d)", i, n, len(rest), total)
				}
			}
		})
	}
}

func TestAirbyteReadInvalidCatalog(t *testing.T) {
	v := airbytetest.NewValidator(t)
	s := sim(t, pipedrivetest.Options{Seed: 6, Scale: 10})
	cfg := writeJSON(t, "config.json", tokenConfig(s, s.Token()))
	stream := func(name, mode string) map[string]any {
		return map[string]any{"stream": map[string]any{"name": name, "json_schema": map[string]any{}, "supported_sync_modes": []string{"full_refresh"}},
			"sync_mode": mode, "destination_sync_mode": "append"}
	}
	cases := map[string]any{
		"unknown stream":       map[string]any{"streams": []any{stream("goal_scores", "full_refresh")}},
		"unknown mode":         map[string]any{"streams": []any{stream("currencies", "sometimes")}},
		"no streams":           map[string]any{"streams": []any{}},
		"duplicate stream":     map[string]any{"streams": []any{stream("deals", "full_refresh"), stream("deals", "incremental")}},
		"not JSON":             `{"streams": [`,
		"missing dest mode":    map[string]any{"streams": []any{map[string]any{"stream": map[string]any{"name": "deals"}, "sync_mode": "full_refresh"}}},
		"valid with a bad one": map[string]any{"streams": []any{stream("deals", "full_refresh"), stream("deals", "full_refresh"), stream("goal_scores", "full_refresh")}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			cat := writeJSON(t, "catalog.json", c)
			r := pdx(t, v, "read", "--config", cfg, "--catalog", cat)
			if r.code == 0 {
				t.Errorf("exit 0 for an invalid catalog")
			}
			traces := only(r.msgs, "TRACE")
			if len(traces) != 1 || traces[0].Trace.Error == nil || traces[0].Trace.Error.FailureType != "config_error" {
				t.Errorf("want one config_error trace, got:\n%s", r.stdout)
			}
			if len(only(r.msgs, "RECORD")) > 0 {
				t.Error("records emitted for an invalid catalog")
			}
		})
	}
	// A state file that is not a state also fails cleanly.
	cat := writeJSON(t, "catalog.json", map[string]any{"streams": []any{stream("deals", "incremental")}})
	bad := writeJSON(t, "state.json", `"yesterday"`)
	r := pdx(t, v, "read", "--config", cfg, "--catalog", cat, "--state", bad)
	if r.code == 0 || len(only(r.msgs, "TRACE")) != 1 || len(only(r.msgs, "RECORD")) > 0 {
		t.Errorf("bad state: exit %d\n%s", r.code, r.stdout)
	}
	// A well-formed state file whose cursor is not a time is the input's
	// fault too: config_error, not a connector bug.
	for name, value := range map[string]string{"not a time": `"yesterday"`, "not a string": `12`} {
		bad := writeJSON(t, "state.json", `[{"type":"STREAM","stream":{"stream_descriptor":{"name":"deals"},"stream_state":{"update_time":`+value+`}}}]`)
		r := pdx(t, v, "read", "--config", cfg, "--catalog", cat, "--state", bad)
		rd := airbytetest.CheckRead(t, r.msgs, []string{"deals"}, nil, false)
		if r.code == 0 || len(rd.Errors) == 0 || len(rd.Records["deals"]) > 0 {
			t.Errorf("state cursor %s: exit %d\n%s", name, r.code, r.stdout)
		}
		for _, e := range rd.Errors {
			if !strings.HasPrefix(e, "config_error") {
				t.Errorf("state cursor %s: trace %q, want config_error", name, e)
			}
		}
	}
}

// TestAirbyteReadMigratesOldConfig: an old-shape config is read and sent
// back, complete and in the new shape, as the first message.
func TestAirbyteReadMigratesOldConfig(t *testing.T) {
	v := airbytetest.NewValidator(t)
	s := sim(t, pipedrivetest.Options{Seed: 8, Scale: 10})
	cfg := writeJSON(t, "config.json", map[string]any{
		"authorization":          map[string]any{"auth_type": "Token", "api_token": s.Token()},
		"replication_start_date": "2017-01-25 00:00:00Z", "api_base_url": s.URL(),
	})
	schemas, cs := discover(t, v, cfg)
	cat := writeJSON(t, "catalog.json", catalogOf(cs, "incremental", "deals"))
	r := pdx(t, v, "read", "--config", cfg, "--catalog", cat)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if len(r.msgs) == 0 || r.msgs[0].Type != "CONTROL" || r.msgs[0].Control.Type != "CONNECTOR_CONFIG" {
		t.Fatalf("first message is not a CONNECTOR_CONFIG control:\n%.300s", r.stdout)
	}
	var newCfg struct {
		Credentials struct {
			AuthType string `json:"auth_type"`
			APIToken string `json:"api_token"`
		} `json:"credentials"`
		StartDate  string `json:"start_date"`
		APIBaseURL string `json:"api_base_url"`
	}
	if err := json.Unmarshal(r.msgs[0].Control.ConnectorConfig.Config, &newCfg); err != nil {
		t.Fatal(err)
	}
	if newCfg.Credentials.AuthType != "api_token" || newCfg.Credentials.APIToken != s.Token() || newCfg.StartDate != "2017-01-25T00:00:00Z" || newCfg.APIBaseURL != s.URL() {
		t.Errorf("migrated config %s", r.msgs[0].Control.ConnectorConfig.Config)
	}
	airbytetest.CheckRead(t, r.msgs, []string{"deals"}, schemas, true)
	// The migrated config itself runs without a further migration.
	again := writeJSON(t, "config2.json", []byte(r.msgs[0].Control.ConnectorConfig.Config))
	if r := pdx(t, v, "check", "--config", again); r.code != 0 || len(only(r.msgs, "CONTROL")) != 0 || r.msgs[0].ConnectionStatus.Status != "SUCCEEDED" {
		t.Errorf("check of the migrated config: exit %d\n%s", r.code, r.stdout)
	}
}

// TestAirbyteReadStreamFailure: a stream the API refuses ends INCOMPLETE
// with a config_error trace naming it; the others complete; exit non-zero.
func TestAirbyteReadStreamFailure(t *testing.T) {
	v := airbytetest.NewValidator(t)
	s := sim(t, pipedrivetest.Options{Seed: 9, Scale: 20})
	s.Fault(pipedrivetest.Fault{Path: "/api/v2/persons", Status: 403})
	cfg := writeJSON(t, "config.json", tokenConfig(s, s.Token()))
	schemas, cs := discover(t, v, cfg)
	streams := []string{"deals", "persons", "users"}
	cat := writeJSON(t, "catalog.json", catalogOf(cs, "incremental", streams...))
	r := pdx(t, v, "read", "--config", cfg, "--catalog", cat)
	if r.code != exitFailure {
		t.Errorf("exit %d, want %d", r.code, exitFailure)
	}
	rd := airbytetest.CheckRead(t, r.msgs, streams, schemas, false)
	if st := rd.Statuses["persons"]; st[len(st)-1] != "INCOMPLETE" {
		t.Errorf("persons statuses %v", st)
	}
	for _, n := range []string{"deals", "users"} {
		if st := rd.Statuses[n]; st[len(st)-1] != "COMPLETE" {
			t.Errorf("%s statuses %v", n, st)
		}
	}
	found := false
	for _, m := range only(r.msgs, "TRACE") {
		if e := m.Trace.Error; e != nil && e.StreamDescriptor != nil && e.StreamDescriptor.Name == "persons" && e.FailureType == "config_error" {
			found = true
		}
	}
	if !found {
		t.Errorf("no config_error trace for persons:\n%s", r.stdout)
	}
	noSecret(t, r, s.Token())
}

// TestAirbyteReadBudgetExhausted: when the daily budget runs out the read
// stops with state saved, a transient_error trace and exit 3.
func TestAirbyteReadBudgetExhausted(t *testing.T) {
	v := airbytetest.NewValidator(t)
	s := sim(t, pipedrivetest.Options{Seed: 10, Scale: 2000, DailyBudget: 25})
	cfg := writeJSON(t, "config.json", tokenConfig(s, s.Token()))
	cat := writeJSON(t, "catalog.json", map[string]any{"streams": []any{map[string]any{
		"stream":    map[string]any{"name": "deals", "json_schema": map[string]any{}, "supported_sync_modes": []string{"full_refresh", "incremental"}},
		"sync_mode": "incremental", "destination_sync_mode": "append"}}})
	r := pdx(t, v, "read", "--config", cfg, "--catalog", cat)
	if r.code != exitBudget {
		t.Errorf("exit %d, want %d\n%.2000s", r.code, exitBudget, r.stdout)
	}
	rd := airbytetest.CheckRead(t, r.msgs, []string{"deals"}, nil, false)
	transient := false
	for _, e := range rd.Errors {
		transient = transient || strings.HasPrefix(e, "transient_error")
	}
	if !transient {
		t.Errorf("no transient_error trace: %v", rd.Errors)
	}
	if len(rd.States["deals"]) == 0 {
		t.Error("no STATE before stopping: the pages read are lost")
	}
}

// TestAirbyteRejectedToken: discover and read with a token Pipedrive
// refuses fail with config_error traces that never show the token.
func TestAirbyteRejectedToken(t *testing.T) {
	v := airbytetest.NewValidator(t)
	s := sim(t, pipedrivetest.Options{Seed: 13, Scale: 10})
	const canary = "canary-7d1f0e9a3b5c2d4e6f708192a3b4c5d6"
	cfg := writeJSON(t, "config.json", tokenConfig(s, canary))
	r := pdx(t, v, "discover", "--config", cfg)
	tr := only(r.msgs, "TRACE")
	if r.code == 0 || len(tr) != 1 || tr[0].Trace.Error.FailureType != "config_error" || len(only(r.msgs, "CATALOG")) != 0 {
		t.Errorf("discover: exit %d\n%s", r.code, r.stdout)
	}
	noSecret(t, r, canary)

	streams := []string{"deals", "users"}
	cat := writeJSON(t, "catalog.json", map[string]any{"streams": []any{
		map[string]any{"stream": map[string]any{"name": "deals"}, "sync_mode": "incremental", "destination_sync_mode": "append"},
		map[string]any{"stream": map[string]any{"name": "users"}, "sync_mode": "full_refresh", "destination_sync_mode": "overwrite"},
	}})
	r = pdx(t, v, "read", "--config", cfg, "--catalog", cat)
	if r.code != exitFailure {
		t.Errorf("read: exit %d, want %d", r.code, exitFailure)
	}
	rd := airbytetest.CheckRead(t, r.msgs, streams, nil, false)
	for _, n := range streams {
		if st := rd.Statuses[n]; len(st) == 0 || st[len(st)-1] != "INCOMPLETE" {
			t.Errorf("%s statuses %v", n, st)
		}
	}
	if len(rd.Errors) < 2 {
		t.Errorf("error traces %v, want one per stream", rd.Errors)
	}
	for _, e := range rd.Errors {
		if !strings.HasPrefix(e, "config_error") {
			t.Errorf("trace %q, want config_error", e)
		}
	}
	noSecret(t, r, canary)
}
