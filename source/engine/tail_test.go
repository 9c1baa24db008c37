package engine_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/pdxhq/pdx/source/engine"
	"github.com/pdxhq/pdx/source/pipedrivetest"
)

// callLogIDs are the ids /callLogs lists now, in its order.
func callLogIDs(t *testing.T, sim *pipedrivetest.Server) []string {
	t.Helper()
	return inOrder(t, sim.Records("call_logs"))
}

// inOrder are the records' ids in the order given (idsOf sorts them).
func inOrder(t *testing.T, recs []json.RawMessage) []string {
	t.Helper()
	out := make([]string, 0, len(recs))
	for _, r := range recs {
		var m struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal(r, &m); err != nil {
			t.Fatal(err)
		}
		out = append(out, m.ID)
	}
	return out
}

// TestCallLogsTail (issue 16 point 2): call_logs is append-only (no update
// operation in the spec), so an incremental read goes on after the last
// record read: nothing new costs one request, new call logs are read
// exactly once, and a delete before the watermark (offsets shift) is
// noticed, warned about, and answered with a whole read: no record missed.
func TestCallLogsTail(t *testing.T) {
	const stream = "call_logs"
	sim := newSim(t, pipedrivetest.Options{Seed: 40, Scale: 1200}) // 120 call logs, 3 pages of 50
	c := newClient(t, sim, nil)
	type want struct {
		records  []string // ids emitted, in order (nil: none)
		requests int64
		warned   bool
	}
	step := func(name string, state json.RawMessage, w want) json.RawMessage {
		t.Helper()
		res, col := run(t, c, runCfg{streams: incr(stream), state: stateOf(stream, state)})
		mustComplete(t, res)
		got := inOrder(t, col.records[stream])
		if !slices.Equal(got, w.records) {
			t.Errorf("%s: emitted %v, want %v", name, got, w.records)
		}
		if reqs := res.Streams[0].Stats.Requests; reqs != w.requests {
			t.Errorf("%s: %d requests, want %d", name, reqs, w.requests)
		}
		warned := false
		for _, ev := range col.events(engine.Log) {
			warned = warned || ev.Level == engine.LevelWarn && strings.Contains(ev.Message, "not where it was")
		}
		if warned != w.warned {
			t.Errorf("%s: warned %v, want %v", name, warned, w.warned)
		}
		ids := callLogIDs(t, sim)
		last := col.lastState(stream)
		var st struct {
			Offset int64  `json:"offset"`
			LastID string `json:"last_id"`
		}
		if err := json.Unmarshal(last, &st); err != nil || st.Offset != int64(len(ids)) || st.LastID != ids[len(ids)-1] {
			t.Errorf("%s: state %s, want offset %d and last id %s (%v)", name, last, len(ids), ids[len(ids)-1], err)
		}
		pages := int(res.Streams[0].Stats.Requests)
		if w.warned {
			pages-- // the page that failed the check
		}
		if n := len(col.states[stream]); n != pages {
			t.Errorf("%s: %d checkpoints for %d pages read on, want one a page", name, n, pages)
		}
		return last
	}
	state := step("first sync", nil, want{records: callLogIDs(t, sim), requests: 3})
	state = step("nothing new", state, want{requests: 1})
	for range 3 {
		sim.Insert("callLogs")
	}
	ids := callLogIDs(t, sim)
	added := ids[len(ids)-3:]
	state = step("three new", state, want{records: added, requests: 1})
	state = step("nothing new again", state, want{requests: 1})
	if err := sim.Delete("callLogs", "10"); err != nil {
		t.Fatal(err)
	}
	state = step("a delete before the watermark", state, want{records: callLogIDs(t, sim), requests: 1 + 3, warned: true})
	step("after the whole read", state, want{requests: 1})
	// a watermark whose record is gone (the last one deleted)
	ids = callLogIDs(t, sim)
	if err := sim.Delete("callLogs", strings.TrimPrefix(ids[len(ids)-1], "call-")); err != nil {
		t.Fatal(err)
	}
	step("the watermark record deleted", state, want{records: callLogIDs(t, sim), requests: 1 + 3, warned: true})
}

// TestCallLogsTailFullRefresh: a full refresh reads every call log with one
// Checkpoint at the end holding the watermark an incremental run goes on
// from; an older state (the old connector's, or a cursor) means a whole read.
func TestCallLogsTailFullRefresh(t *testing.T) {
	const stream = "call_logs"
	sim := newSim(t, pipedrivetest.Options{Seed: 41, Scale: 700})
	c := newClient(t, sim, nil)
	res, col := run(t, c, runCfg{streams: full(stream)})
	mustComplete(t, res)
	if got, want := inOrder(t, col.records[stream]), callLogIDs(t, sim); !slices.Equal(got, want) || len(col.states[stream]) != 1 {
		t.Fatalf("full refresh: %d records, %d checkpoints; want %d, 1", len(got), len(col.states[stream]), len(want))
	}
	res, col2 := run(t, c, runCfg{streams: incr(stream), state: stateOf(stream, col.lastState(stream))})
	mustComplete(t, res)
	if n, reqs := len(col2.records[stream]), res.Streams[0].Stats.Requests; n != 0 || reqs != 1 {
		t.Errorf("incremental after a full refresh: %d records, %d requests; want 0, 1", n, reqs)
	}
	for _, old := range []string{`{}`, `{"update_time":"2026-01-01T00:00:00Z"}`, `{"offset":5}`} {
		res, col3 := run(t, c, runCfg{streams: incr(stream), state: stateOf(stream, json.RawMessage(old))})
		mustComplete(t, res)
		if n := len(col3.records[stream]); n != len(callLogIDs(t, sim)) {
			t.Errorf("state %s: %d records, want a whole read", old, n)
		}
	}
	if _, err := engine.Run(t.Context(), engine.Options{Client: c, Streams: incr(stream), Sink: newCollector(t),
		State: stateOf(stream, json.RawMessage(`{"offset":"x","last_id":"call-1"}`))}); err == nil {
		t.Error("a state with a non-numeric offset was accepted")
	}
}

// TestCallLogsTailResume: every page's Checkpoint is a real resume point (a
// run resumed from it returns exactly the call logs after it), and a read
// that fails mid-way leaves the last page's state, from which the next run
// reads the rest exactly once.
func TestCallLogsTailResume(t *testing.T) {
	const stream = "call_logs"
	sim := newSim(t, pipedrivetest.Options{Seed: 42, Scale: 2000}) // 200 call logs, 4 pages
	c := newClient(t, sim, nil)
	res, col := run(t, c, runCfg{streams: incr(stream)})
	mustComplete(t, res)
	all := inOrder(t, col.records[stream])
	states := col.states[stream]
	if len(states) < 4 {
		t.Fatalf("%d checkpoints, want one per page", len(states))
	}
	for i, st := range states {
		_, rcol := run(t, c, runCfg{streams: incr(stream), state: stateOf(stream, st)})
		if got, want := inOrder(t, rcol.records[stream]), all[col.at[stream][i]:]; !slices.Equal(got, want) && len(got)+len(want) > 0 {
			t.Errorf("resume from checkpoint %d (%s): %d records, want the %d after it", i, st, len(got), len(want))
		}
	}

	// A crash: the third page's answer is broken.
	sim.Fault(pipedrivetest.Fault{Path: "/v1/callLogs", Kind: pipedrivetest.FaultRewrite, Rewrite: func(r *http.Request, body []byte) []byte {
		if r.URL.Query().Get("start") == "100" {
			return []byte(`{"success":true,"data":[`)
		}
		return body
	}})
	res, col = run(t, c, runCfg{streams: incr(stream)})
	if res.OK() {
		t.Fatal("the read with a broken page completed")
	}
	first := inOrder(t, col.records[stream])
	sim.ClearFaults()
	res, col2 := run(t, c, runCfg{streams: incr(stream), state: stateOf(stream, col.lastState(stream))})
	mustComplete(t, res)
	if got := append(first, inOrder(t, col2.records[stream])...); !slices.Equal(got, all) {
		t.Errorf("crash and resume: %d + %d records, want each of the %d exactly once", len(first), len(col2.records[stream]), len(all))
	}
}
