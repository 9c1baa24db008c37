package engine_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pdxhq/pdx/source/client"
	"github.com/pdxhq/pdx/source/engine"
	"github.com/pdxhq/pdx/source/pipedrivetest"
)

// tamper rewrites or refuses requests on their way to the simulator.
type tamper struct {
	base http.RoundTripper
	fn   func(r *http.Request) *http.Response // nil: pass r on
}

func (t tamper) RoundTrip(r *http.Request) (*http.Response, error) {
	if resp := t.fn(r); resp != nil {
		return resp, nil
	}
	return t.base.RoundTrip(r)
}

func filesRequests(sim *pipedrivetest.Server) int {
	n := 0
	for _, r := range sim.Requests() {
		if r.Path == "/v1/files" {
			n++
		}
	}
	return n
}

// TestIncrementalNewestFirst pins files' read: newest first (sort=update_time
// DESC, which the simulator implements as the spec says), stopping at the
// first record older than the state. A run with nothing changed costs one
// request; changes are all read (inclusive boundary, updates, inserts); a
// read that fails before reaching the state leaves the state where it was
// and the next run reads everything it missed; an API that does not sort
// is noticed and the read goes on to the end.
func TestIncrementalNewestFirst(t *testing.T) {
	sim := newSim(t, pipedrivetest.Options{Seed: 4, Scale: 3500})
	c := newClient(t, sim, nil)
	res, col := run(t, c, runCfg{streams: incr("files")})
	mustComplete(t, res)
	all := col.records["files"]
	if want := sim.Count("files"); len(all) != want || want <= 300 {
		t.Fatalf("first sync: %d files, simulator has %d (want several pages)", len(all), want)
	}
	state := col.lastState("files")
	boundary := boundaryIDs(t, "files", all, state)

	// Nothing changed: one request, the boundary records only.
	before := filesRequests(sim)
	res, col = run(t, c, runCfg{streams: incr("files"), state: stateOf("files", state)})
	mustComplete(t, res)
	if n := filesRequests(sim) - before; n != 1 {
		t.Errorf("no-change run: %d requests of /v1/files, want 1", n)
	}
	if got := col.ids("files"); !slices.Equal(got, uniqSorted(boundary)) {
		t.Errorf("no-change run returned %v, want the boundary %v", got, boundary)
	}
	if s := col.lastState("files"); string(s) != string(state) {
		t.Errorf("no-change run moved the state %s -> %s", state, s)
	}

	// A few changes: still the first page, every change read, state advanced.
	sim.Advance(time.Hour)
	recs := sim.Records("files")
	upd := []string{idOf(t, "files", recs[7]), idOf(t, "files", recs[len(recs)/2])}
	for _, id := range upd {
		if err := sim.Update("files", id); err != nil {
			t.Fatal(err)
		}
	}
	ins := sim.Insert("files")
	before = filesRequests(sim)
	res, col = run(t, c, runCfg{streams: incr("files"), state: stateOf("files", state)})
	mustComplete(t, res)
	want := uniqSorted(append(append(slices.Clone(boundary), upd...), ins))
	if got := col.ids("files"); !slices.Equal(got, want) {
		t.Errorf("changed run returned %v, want %v", got, want)
	}
	if n := filesRequests(sim) - before; n != 1 {
		t.Errorf("changed run: %d requests, want 1", n)
	}
	state2 := col.lastState("files")
	if stateTime(state2).Compare(stateTime(state)) <= 0 {
		t.Errorf("state did not advance: %s -> %s", state, state2)
	}

	// 150 changes need two pages; the second fails: the state stays, and
	// the next run reads all 150.
	sim.Advance(time.Hour)
	recs = sim.Records("files")
	var many []string
	for i := range 150 {
		id := idOf(t, "files", recs[i*2])
		many = append(many, id)
		if err := sim.Update("files", id); err != nil {
			t.Fatal(err)
		}
	}
	failing := newClient(t, sim, func(o *client.Options) {
		o.HTTPClient = &http.Client{Transport: tamper{base: sim.HTTPClient().Transport, fn: func(r *http.Request) *http.Response {
			if r.URL.Query().Get("start") == "100" {
				return &http.Response{StatusCode: 400, Header: http.Header{}, Body: http.NoBody, Request: r}
			}
			return nil
		}}}
	})
	res, col = run(t, failing, runCfg{streams: incr("files"), state: stateOf("files", state2)})
	if res.Streams[0].Complete {
		t.Fatal("the read with a failing second page completed")
	}
	if s := col.lastState("files"); s != nil && stateTime(s).After(stateTime(state2)) {
		t.Errorf("a read that did not reach the state moved it %s -> %s", state2, s)
	}
	res, col = run(t, c, runCfg{streams: incr("files"), state: stateOf("files", state2)})
	mustComplete(t, res)
	got := map[string]bool{}
	for _, id := range col.ids("files") {
		got[id] = true
	}
	for _, id := range many {
		if !got[id] {
			t.Errorf("file %s changed during the failed run and was not read after it", id)
		}
	}

	// An API that ignores the sort: every page is read, the changes are
	// all emitted, and a warning says why.
	sim.Advance(time.Hour)
	late := idOf(t, "files", recs[len(recs)-1])
	if err := sim.Update("files", late); err != nil {
		t.Fatal(err)
	}
	unsorted := newClient(t, sim, func(o *client.Options) {
		o.HTTPClient = &http.Client{Transport: tamper{base: sim.HTTPClient().Transport, fn: func(r *http.Request) *http.Response {
			q := r.URL.Query()
			q.Del("sort")
			r.URL.RawQuery = q.Encode()
			return nil
		}}}
	})
	state3 := col.lastState("files")
	before = filesRequests(sim)
	res, col = run(t, unsorted, runCfg{streams: incr("files"), state: stateOf("files", state3)})
	mustComplete(t, res)
	if n, pages := filesRequests(sim)-before, (sim.Count("files")+99)/100; n != pages {
		t.Errorf("unsorted answers: %d requests, want every page (%d)", n, pages)
	}
	if !slices.Contains(col.ids("files"), late) {
		t.Errorf("unsorted answers: the changed file %s was not read", late)
	}
	warned := false
	for _, ev := range col.events(engine.Log) {
		warned = warned || (ev.Level == engine.LevelWarn && strings.Contains(ev.Message, "newest first"))
	}
	if !warned {
		t.Error("no warning that the API did not sort")
	}
}
