package sqlite

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pdxhq/pdx/source/engine"
	"github.com/pdxhq/pdx/source/schema"
)

func TestUpsertAcrossRuns(t *testing.T) {
	tests := []struct {
		name string
		runs [][][]string // runs of pages of records
		cols string       // the columns compared ("" id, title, value)
		want []string     // the columns of every row, by id
	}{
		{
			name: "the inclusive-boundary repeat adds no row",
			runs: [][][]string{
				{{deal(1, "a", "2026-01-01T00:00:00Z"), deal(2, "b", "2026-01-02T00:00:00Z")}},
				{{deal(2, "b", "2026-01-02T00:00:00Z"), deal(3, "c", "2026-01-03T00:00:00Z")}},
			},
			want: []string{"1|a|12.5", "2|b|12.5", "3|c|12.5"},
		},
		{
			name: "a changed record replaces its row",
			runs: [][][]string{
				{{deal(1, "a", "2026-01-01T00:00:00Z")}, {deal(2, "b", "2026-01-02T00:00:00Z")}},
				{{deal(1, "a2", "2026-01-05T00:00:00Z")}},
			},
			want: []string{"1|a2|12.5", "2|b|12.5"},
		},
		{
			name: "the same record twice in one page keeps the last",
			runs: [][][]string{
				{{deal(7, "x", "2026-01-01T00:00:00Z"), deal(7, "y", "2026-01-02T00:00:00Z")}},
			},
			want: []string{"7|y|12.5"},
		},
		{
			// flush leaves out the columns no record of a batch has a
			// value for: they must still become NULL on an update.
			name: "a value that becomes null or absent is cleared, in sparse and mixed batches",
			runs: [][][]string{
				{{deal(1, "a", "2026-01-01T00:00:00Z", `"lost_reason":"x"`), deal(2, "b", "2026-01-01T00:00:00Z", `"lost_reason":"y"`), deal(3, "c", "2026-01-01T00:00:00Z")}},
				{{deal(1, "a", "2026-01-02T00:00:00Z")}, {deal(2, "b", "2026-01-02T00:00:00Z", `"lost_reason":null`), deal(3, "c", "2026-01-02T00:00:00Z", `"lost_reason":"z"`)}},
			},
			cols: "id, title, value, lost_reason",
			want: []string{"1|a|12.5|NULL", "2|b|12.5|NULL", "3|c|12.5|z"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for i, pages := range tt.runs {
				run(t, dir, "deals", engine.Incremental, t0.Add(time.Duration(i)*time.Hour), pages...)
			}
			cols := tt.cols
			if cols == "" {
				cols = "id, title, value"
			}
			equal(t, "deals", query(t, dir, "SELECT "+cols+" FROM deals ORDER BY id"), tt.want)
		})
	}
}

func TestFullRefreshReplaces(t *testing.T) {
	// Each step is one run of pipelines in full refresh; end says how it ends.
	type step struct {
		recs []string
		end  string // "complete", "incomplete", "killed" (Finish without an end)
		want []string
	}
	p := func(id int, name string) string {
		return fmt.Sprintf(`{"id":%d,"name":%q,"update_time":"2026-01-01T00:00:00Z"}`, id, name)
	}
	steps := []step{
		{recs: []string{p(1, "a"), p(2, "b"), p(3, "c")}, end: "complete", want: []string{"1|a", "2|b", "3|c"}},
		{recs: []string{p(2, "b2"), p(3, "c"), p(4, "d")}, end: "complete", want: []string{"2|b2", "3|c", "4|d"}},
		{recs: []string{p(5, "e")}, end: "incomplete", want: []string{"2|b2", "3|c", "4|d"}},
		{recs: []string{p(6, "f")}, end: "killed", want: []string{"2|b2", "3|c", "4|d"}},
		{recs: nil, end: "complete", want: nil},
	}
	dir := t.TempDir()
	for i, st := range steps {
		s := open(t, dir, map[string]engine.Mode{"pipelines": engine.FullRefresh}, t0.Add(time.Duration(i)*time.Hour))
		emit(t, s, engine.Event{Kind: engine.StreamStarted, Stream: "pipelines"})
		if st.recs != nil {
			emit(t, s, page("pipelines", st.recs...), ckpt("pipelines"))
		}
		// Mid-stream, readers still see the previous content.
		var before []string
		if i > 0 {
			before = steps[i-1].want
		}
		equal(t, fmt.Sprintf("step %d during the refresh", i), query(t, dir, "SELECT id, name FROM pipelines ORDER BY id"), before)
		switch st.end {
		case "complete":
			emit(t, s, done("pipelines"))
		case "incomplete":
			emit(t, s, engine.Event{Kind: engine.StreamIncomplete, Stream: "pipelines", Err: errors.New("boom")})
		}
		if err := s.Finish(nil); err != nil {
			t.Fatal(err)
		}
		equal(t, fmt.Sprintf("step %d (%s)", i, st.end), query(t, dir, "SELECT id, name FROM pipelines ORDER BY id"), st.want)
		equal(t, "no stage left", query(t, dir, "SELECT name FROM sqlite_schema WHERE name LIKE '_pdx_stage%'"), nil)
	}
}

func TestHistoryVersions(t *testing.T) {
	// One deal through its life, one run per step; want is the history view
	// afterwards: title|is_deleted|deleted_at|valid_from|valid_to.
	steps := []struct {
		name string
		rec  string
		want []string
	}{
		{"first seen", deal(1, "a", "2026-01-01T00:00:00Z"),
			[]string{"a|0|NULL|2026-01-01T00:00:00Z|NULL"}},
		{"identical re-read (inclusive boundary)", deal(1, "a", "2026-01-01T00:00:00Z"),
			[]string{"a|0|NULL|2026-01-01T00:00:00Z|NULL"}},
		{"edited", deal(1, "b", "2026-01-02T10:00:00Z"),
			[]string{"a|0|NULL|2026-01-01T00:00:00Z|2026-01-02T10:00:00Z", "b|0|NULL|2026-01-02T10:00:00Z|NULL"}},
		{"deleted in Pipedrive (is_deleted)", strings.Replace(deal(1, "b", "2026-01-03T00:00:00Z"), `"is_deleted":false`, `"is_deleted":true`, 1),
			[]string{"a|0|NULL|2026-01-01T00:00:00Z|2026-01-02T10:00:00Z", "b|0|NULL|2026-01-02T10:00:00Z|2026-01-03T00:00:00Z", "b|1|NULL|2026-01-03T00:00:00Z|NULL"}},
		{"purged: a tombstone", `{"id":1,"_pdx_deleted_at":"2026-01-04T00:00:00Z"}`,
			[]string{"a|0|NULL|2026-01-01T00:00:00Z|2026-01-02T10:00:00Z", "b|0|NULL|2026-01-02T10:00:00Z|2026-01-03T00:00:00Z", "b|1|NULL|2026-01-03T00:00:00Z|2026-01-04T00:00:00Z", "b|1|2026-01-04T00:00:00Z|2026-01-04T00:00:00Z|NULL"}},
		{"the same tombstone again", `{"id":1,"_pdx_deleted_at":"2026-01-05T00:00:00Z"}`,
			[]string{"a|0|NULL|2026-01-01T00:00:00Z|2026-01-02T10:00:00Z", "b|0|NULL|2026-01-02T10:00:00Z|2026-01-03T00:00:00Z", "b|1|NULL|2026-01-03T00:00:00Z|2026-01-04T00:00:00Z", "b|1|2026-01-04T00:00:00Z|2026-01-04T00:00:00Z|NULL"}},
	}
	dir := t.TempDir()
	for i, st := range steps {
		run(t, dir, "deals", engine.Incremental, t0.Add(time.Duration(i)*time.Hour), []string{st.rec})
		got := query(t, dir, `SELECT title, is_deleted, _pdx_deleted_at, _pdx_valid_from, _pdx_valid_to FROM deals_history ORDER BY _pdx_valid_from, _pdx_valid_to IS NULL`)
		equal(t, st.name, got, st.want)
	}
	// The tombstone kept the row's other columns.
	equal(t, "current row", query(t, dir, "SELECT id, title, value, _pdx_deleted_at FROM deals"), []string{"1|b|12.5|2026-01-04T00:00:00Z"})
}

func TestHistoryDatesWithoutUpdateTime(t *testing.T) {
	dir := t.TempDir()
	run(t, dir, "products", engine.Incremental, t0, []string{`{"id":1,"name":"p"}`})
	run(t, dir, "products", engine.Incremental, t0.Add(time.Hour), []string{`{"id":1,"name":"q"}`})
	equal(t, "versions dated by the runs", query(t, dir, `SELECT name, _pdx_valid_from, _pdx_valid_to FROM products_history ORDER BY _pdx_valid_from`),
		[]string{"p|2026-11-27T12:00:00Z|2026-11-27T13:00:00Z", "q|2026-11-27T13:00:00Z|NULL"})
}

func TestSchemaChanges(t *testing.T) {
	dir := t.TempDir()
	lead := func(id, extra string) string {
		return fmt.Sprintf(`{"id":%q,"title":"L","update_time":"2026-01-01T00:00:00Z"%s}`, id, extra)
	}
	const budget = "4b0fd925aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	const region = "77e1a2b3bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	// Run 1 knows the custom field "Budget"; run 2's records carry a field
	// created since (no name known: a column named by its key) and the
	// layout says budget is now text.
	fields := []schema.Field{{Key: budget, Name: "Budget", Type: "monetary"}}
	cols1 := func(stream string) ([]Column, error) { return Layout(stream, fields) }
	s, err := Open(ctx, Options{Dir: dir, Columns: cols1, Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	emit(t, s, page("leads", lead("a", `,"`+budget+`":100,"`+budget+`_currency":"EUR"`)), ckpt("leads"), done("leads"))
	if err := s.Finish(nil); err != nil {
		t.Fatal(err)
	}
	equal(t, "run 1", query(t, dir, "SELECT id, budget_4b0fd925, budget_currency_4b0fd925 FROM leads"), []string{"a|100|EUR"})

	var notices []string
	cols2 := func(stream string) ([]Column, error) {
		c, err := Layout(stream, []schema.Field{{Key: budget, Name: "Budget renamed", Type: "varchar"}})
		return c, err
	}
	s, err = Open(ctx, Options{Dir: dir, Columns: cols2, Now: func() time.Time { return t0.Add(time.Hour) },
		Notice: func(_, m string) { notices = append(notices, m) }})
	if err != nil {
		t.Fatal(err)
	}
	emit(t, s, page("leads", lead("b", `,"`+budget+`":"lots","`+region+`":"North"`), lead("a", `,"`+budget+`":100,"`+budget+`_currency":"EUR"`)), ckpt("leads"), done("leads"))
	if err := s.Finish(nil); err != nil {
		t.Fatal(err)
	}
	// The renamed field keeps its column; the old values stay (a number,
	// kept as a number by the column's REAL affinity), the new one is text;
	// the new field has a column of its own, in the table and its history.
	equal(t, "run 2", query(t, dir, "SELECT id, budget_4b0fd925, typeof(budget_4b0fd925), custom_77e1a2b3 FROM leads ORDER BY id"),
		[]string{"a|100|real|NULL", "b|lots|text|North"})
	equal(t, "history has the new column", query(t, dir, "SELECT count(*) FROM pragma_table_info('_pdx_history_leads') WHERE name = 'custom_77e1a2b3'"), []string{"1"})
	equal(t, "column metadata", query(t, dir, "SELECT name, key, type, previous_type FROM _pdx_columns WHERE stream = 'leads' AND name IN ('budget_4b0fd925', 'custom_77e1a2b3') ORDER BY name"),
		[]string{"budget_4b0fd925|" + budget + "|string|number", "custom_77e1a2b3|" + region + "|string|NULL"})
	if len(notices) != 2 {
		t.Fatalf("want a notice for the new column and the type change, got %q", notices)
	}
}

func TestConcurrentStreams(t *testing.T) {
	dir := t.TempDir()
	names := []string{"deals", "persons", "organizations"}
	s := open(t, dir, nil, t0)
	const pages, per = 20, 50
	var wg sync.WaitGroup
	errs := make(chan error, len(names))
	for _, name := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := 0; p < pages; p++ {
				recs := make([]json.RawMessage, per)
				for i := range recs {
					recs[i] = json.RawMessage(fmt.Sprintf(`{"id":%d,"name":"n%d","update_time":"2026-01-01T00:00:00Z"}`, p*per+i+1, p))
				}
				if err := s.Emit(ctx, engine.Event{Kind: engine.Records, Stream: name, Records: recs}); err != nil {
					errs <- err
					return
				}
				if err := s.Emit(ctx, ckpt(name)); err != nil {
					errs <- err
					return
				}
			}
			errs <- s.Emit(ctx, done(name))
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Finish(nil); err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		equal(t, n, query(t, dir, fmt.Sprintf("SELECT count(*), count(DISTINCT id), min(id), max(id) FROM %s", n)), []string{fmt.Sprintf("%d|%d|1|%d", pages*per, pages*per, pages*per)})
	}
	equal(t, "integrity", query(t, dir, "PRAGMA integrity_check"), []string{"ok"})
}

func TestRuns(t *testing.T) {
	dir := t.TempDir()
	// A run killed before it finished.
	s := open(t, dir, nil, t0)
	emit(t, s, page("deals", deal(1, "a", "2026-01-01T00:00:00Z")), ckpt("deals"))
	s.conn.Close() // as a killed process would: no Finish
	s.db.Close()
	// A run with one complete and one failed stream.
	s = open(t, dir, map[string]engine.Mode{"pipelines": engine.FullRefresh}, t0.Add(time.Hour))
	emit(t, s,
		engine.Event{Kind: engine.StreamQueued, Stream: "deals"},
		engine.Event{Kind: engine.StreamStarted, Stream: "deals"},
		page("deals", deal(2, "b", "2026-01-01T00:00:00Z")),
		engine.Event{Kind: engine.Checkpoint, Stream: "deals", State: json.RawMessage(`{}`), Stats: engine.StreamStats{Records: 1, Tokens: 10}},
		engine.Event{Kind: engine.StreamComplete, Stream: "deals", Stats: engine.StreamStats{Records: 1, Tokens: 10}},
		engine.Event{Kind: engine.StreamStarted, Stream: "pipelines"},
		engine.Event{Kind: engine.StreamIncomplete, Stream: "pipelines", Err: errors.New("HTTP 500"), Failure: engine.TransientError, Stats: engine.StreamStats{Tokens: 5}},
	)
	if err := s.Finish(nil); err != nil {
		t.Fatal(err)
	}
	got := query(t, dir, "SELECT run_id, started_at, finished_at IS NOT NULL, outcome, records, tokens, json_extract(streams, '$[1].outcome'), json_extract(streams, '$[1].error') FROM _pdx_runs ORDER BY run_id")
	equal(t, "runs", got, []string{
		"1|2026-11-27T12:00:00Z|0|killed|0|0|NULL|NULL",
		"2|2026-11-27T13:00:00Z|1|incomplete|1|15|incomplete|HTTP 500",
	})
	// The killed run's committed record is there.
	equal(t, "deals", query(t, dir, "SELECT id FROM deals ORDER BY id"), []string{"1", "2"})
}

func TestRecordErrorsFailTheirStreamOnly(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, nil, t0)
	tests := []struct {
		stream, rec, err string
	}{
		{"deals", `{"title":"no id"}`, "no id"},
		{"activities", `{"id":"x1","subject":"s"}`, "not an integer"},
		{"persons", `{"id":1,"name":`, "not a valid JSON object"},
		{"organizations", `[1,2]`, "not a valid JSON object"},
	}
	for _, tt := range tests {
		err := s.Emit(ctx, page(tt.stream, tt.rec))
		if err == nil || !strings.Contains(err.Error(), tt.err) {
			t.Fatalf("%s: error %v, want %q", tt.stream, err, tt.err)
		}
		if err := s.Emit(ctx, ckpt(tt.stream)); err == nil {
			t.Fatalf("%s: a failed stream must stay failed", tt.stream)
		}
	}
	emit(t, s, page("products", `{"id":9,"name":"ok"}`), ckpt("products"), done("products"))
	if err := s.Finish(nil); err != nil {
		t.Fatal(err)
	}
	equal(t, "the other stream", query(t, dir, "SELECT id, name FROM products"), []string{"9|ok"})
}

func TestValues(t *testing.T) {
	dir := t.TempDir()
	rec := `{"id":5, "title":"quote \" and \u00e9", "value":3, "probability":null, "is_archived":true, "is_deleted":false, "label_ids":[1, 2], "custom_fields":{"k":{"a":"}"}}, "channel":"7x", "update_time":"2026-01-01T00:00:00Z"}`
	run(t, dir, "deals", engine.Incremental, t0, []string{rec})
	equal(t, "values and their types", query(t, dir, `SELECT title, value, typeof(value), probability, is_archived, is_deleted, label_ids, json_extract(custom_fields, '$.k.a'), channel, typeof(channel) FROM deals`),
		[]string{`quote " and é|3|real|NULL|1|0|[1, 2]|}|7x|text`})
}

func TestValidFrom(t *testing.T) {
	s := &Sink{started: t0}
	for _, tt := range []struct{ raw, want string }{
		{`"2026-01-02T03:04:05Z"`, "2026-01-02T03:04:05Z"}, // v2: as it is
		{`"2026-01-02 03:04:05"`, "2026-01-02T03:04:05Z"},  // v1
		{`"2026-01-02T03:04:05+02:00"`, "2026-01-02T01:04:05Z"},
		{`"2026-01-02T03:04:05.250Z"`, "2026-01-02T03:04:05Z"},
		{`"2026-01-0xT03:04:05Z"`, "2026-01-0xT03:04:05Z"}, // not a time: kept
		{`null`, "2026-11-27T12:00:00Z"},                   // the run's start
		{``, "2026-11-27T12:00:00Z"},
	} {
		if got := s.validFrom([]byte(tt.raw)); got != tt.want {
			t.Errorf("validFrom(%s) = %q, want %q", tt.raw, got, tt.want)
		}
	}
}

// TestColumnSets: every batch's insert lists only the columns its records
// have values for; more sets than the statement cache holds still write
// every value where it belongs (and a later version clears what it lacks).
func TestColumnSets(t *testing.T) {
	optional := []string{`"lost_reason":"r%d"`, `"stage_id":%d`, `"probability":%d.5`, `"origin":"o%d"`, `"owner_id":%d`, `"visible_to":%d`}
	rec := func(id, set int) string {
		var extra []string
		for b, f := range optional {
			if set&(1<<b) != 0 {
				extra = append(extra, fmt.Sprintf(f, id))
			}
		}
		return deal(id, "t", "2026-01-01T00:00:00Z", extra...)
	}
	want := func(id, set int) string {
		cells := []string{fmt.Sprint(id)}
		for b, f := range []string{"r%d", "%d", "%d.5", "o%d", "%d", "%d"} {
			if set&(1<<b) != 0 {
				cells = append(cells, fmt.Sprintf(f, id))
			} else {
				cells = append(cells, "NULL")
			}
		}
		return strings.Join(cells, "|")
	}
	sets := 2 * maxInserts // one record per page: a new statement each
	var first, second [][]string
	var wantRows []string
	for i := range sets {
		first = append(first, []string{rec(i+1, i%64)})
		second = append(second, []string{rec(i+1, (i+1)%64)})
		wantRows = append(wantRows, want(i+1, (i+1)%64))
	}
	dir := t.TempDir()
	run(t, dir, "deals", engine.Incremental, t0, first...)
	run(t, dir, "deals", engine.Incremental, t0.Add(time.Hour), second...)
	equal(t, "deals", query(t, dir, "SELECT id, lost_reason, stage_id, probability, origin, owner_id, visible_to FROM deals ORDER BY id"), wantRows)
}
