package engine_test

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pdxhq/pdx/source/client"
	"github.com/pdxhq/pdx/source/engine"
	"github.com/pdxhq/pdx/source/pipedrivetest"
	"github.com/pdxhq/pdx/source/streams"
)

// The faults of issue 11, injected the way a faulty proxy or cache would
// (the simulator's FaultRewrite): each must end the stream loudly, with no
// record duplicated and no state past what was emitted.

// rewriteEnv decodes a list answer, lets fn change it and encodes it again
// (records stay raw).
func rewriteEnv(body []byte, fn func(env, ad map[string]json.RawMessage)) []byte {
	var env, ad map[string]json.RawMessage
	if json.Unmarshal(body, &env) != nil {
		return append([]byte(nil), body...)
	}
	_ = json.Unmarshal(env["additional_data"], &ad)
	if ad == nil {
		ad = map[string]json.RawMessage{}
	}
	fn(env, ad)
	env["additional_data"], _ = json.Marshal(ad)
	out, _ := json.Marshal(env)
	return out
}

// v1pg is a v1 answer's pagination block.
func v1pg(ad map[string]json.RawMessage) map[string]json.RawMessage {
	var pg map[string]json.RawMessage
	_ = json.Unmarshal(ad["pagination"], &pg)
	return pg
}

func setV1pg(ad, pg map[string]json.RawMessage) { ad["pagination"], _ = json.Marshal(pg) }

// cursors remembers the v2 cursors the answers handed out, in order, so a
// fault can aim at "the second page" whatever the cursors look like.
type cursors struct {
	mu   sync.Mutex
	list []string
}

// page is the page number of a request (1 = no cursor), or 0 when unknown;
// it records the answer's next cursor.
func (cs *cursors) page(r *http.Request, body []byte) int {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	n := 1
	if c := r.URL.Query().Get("cursor"); c != "" {
		n = slices.Index(cs.list, c) + 2
		if n == 1 {
			return 0
		}
	}
	var env struct {
		AD struct {
			Next string `json:"next_cursor"`
		} `json:"additional_data"`
	}
	if json.Unmarshal(body, &env) == nil && env.AD.Next != "" && !slices.Contains(cs.list, env.AD.Next) && n == len(cs.list)+1 {
		cs.list = append(cs.list, env.AD.Next)
	}
	return n
}

func (cs *cursors) get(i int) string {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if i < len(cs.list) {
		return cs.list[i]
	}
	return ""
}

func v1start(r *http.Request) int { n, _ := strconv.Atoi(r.URL.Query().Get("start")); return n }

func TestPaginationFaultsFailLoudly(t *testing.T) {
	tests := []struct {
		name    string
		stream  string
		rewrite func(cs *cursors) func(r *http.Request, body []byte) []byte
		want    string // in the stream's error
	}{
		{"v2 data null with a next cursor", "deals", func(cs *cursors) func(*http.Request, []byte) []byte {
			return func(r *http.Request, body []byte) []byte {
				if cs.page(r, body) != 2 {
					return append([]byte(nil), body...)
				}
				return rewriteEnv(body, func(env, ad map[string]json.RawMessage) { env["data"] = json.RawMessage("null") })
			}
		}, "no records"},
		{"v2 empty data with a next cursor", "deals", func(cs *cursors) func(*http.Request, []byte) []byte {
			return func(r *http.Request, body []byte) []byte {
				if cs.page(r, body) != 3 {
					return append([]byte(nil), body...)
				}
				return rewriteEnv(body, func(env, ad map[string]json.RawMessage) { env["data"] = json.RawMessage("[]") })
			}
		}, "no records"},
		{"v1 data null with more items", "call_logs", func(*cursors) func(*http.Request, []byte) []byte {
			return func(r *http.Request, body []byte) []byte {
				if v1start(r) != 50 {
					return append([]byte(nil), body...)
				}
				return rewriteEnv(body, func(env, ad map[string]json.RawMessage) { env["data"] = json.RawMessage("null") })
			}
		}, "no records"},
		{"v2 cursor cycle A -> B -> A", "deals", func(cs *cursors) func(*http.Request, []byte) []byte {
			return func(r *http.Request, body []byte) []byte {
				if cs.page(r, body) != 3 {
					return append([]byte(nil), body...)
				}
				return rewriteEnv(body, func(env, ad map[string]json.RawMessage) { ad["next_cursor"], _ = json.Marshal(cs.get(0)) })
			}
		}, "pagination cycle"},
		{"v2 page repeated", "deals", func(cs *cursors) func(*http.Request, []byte) []byte {
			var first json.RawMessage
			var mu sync.Mutex
			return func(r *http.Request, body []byte) []byte {
				n := cs.page(r, body)
				mu.Lock()
				defer mu.Unlock()
				return rewriteEnv(body, func(env, ad map[string]json.RawMessage) {
					if n == 1 {
						first = append(json.RawMessage(nil), env["data"]...)
					} else if n == 2 {
						env["data"] = first
					}
				})
			}
		}, "repeats the previous page"},
		{"v1 overlapping offsets", "call_logs", func(*cursors) func(*http.Request, []byte) []byte {
			return func(r *http.Request, body []byte) []byte {
				if v1start(r) != 0 {
					return append([]byte(nil), body...)
				}
				return rewriteEnv(body, func(env, ad map[string]json.RawMessage) {
					pg := v1pg(ad)
					pg["next_start"] = json.RawMessage("30")
					setV1pg(ad, pg)
				})
			}
		}, "overlaps"},
		{"v1 more items forever", "call_logs", func(*cursors) func(*http.Request, []byte) []byte {
			return func(r *http.Request, body []byte) []byte {
				return rewriteEnv(body, func(env, ad map[string]json.RawMessage) {
					pg := v1pg(ad)
					pg["more_items_in_collection"] = json.RawMessage("true")
					setV1pg(ad, pg)
				})
			}
		}, "no records"},
	}
	// Every case's simulator of a stream is the same (seed and scale): the
	// clean read of a stream, every record it lists, is made by its first
	// case only.
	// (Subtests run one at a time.)
	cleanIDs := map[string][]string{}
	for _, tt := range tests {
		for _, mode := range []engine.Mode{engine.FullRefresh, engine.Incremental} {
			if mode == engine.Incremental && tt.stream != "deals" {
				continue // call_logs is full refresh only
			}
			t.Run(tt.name+"/"+string(mode), func(t *testing.T) {
				// 4 pages of deals; 200 call logs (a simulator of calls scales
				// from deals: the v1 cases take a bigger one)
				scale := map[string]int{"deals": 1700, "call_logs": 2100}[tt.stream]
				sim := newSim(t, pipedrivetest.Options{Seed: 21, Scale: scale})
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				var requests atomic.Int32
				c := newClient(t, sim, func(o *client.Options) {
					o.Observer = func(ob client.Observation) {
						// Without the guards some of these never end: stop
						// them so the test fails instead of hanging.
						if ob.Kind == client.ObsRequest && requests.Add(1) > 300 {
							cancel()
						}
					}
				})
				list := []engine.ConfiguredStream{{Name: tt.stream, Mode: mode}}
				all, ok := cleanIDs[tt.stream]
				if !ok {
					clean := newCollector(t)
					if _, err := engine.Run(ctx, engine.Options{Client: c, Sink: clean, Streams: full(tt.stream)}); err != nil {
						t.Fatal(err)
					}
					all = clean.ids(tt.stream)
					cleanIDs[tt.stream] = all
				}
				if len(all) < 200 {
					t.Fatalf("%s: only %d records in the simulator, the faults need several pages", tt.stream, len(all))
				}
				requests.Store(0)
				sim.Fault(pipedrivetest.Fault{Path: streamPath(t, tt.stream), Kind: pipedrivetest.FaultRewrite, Rewrite: tt.rewrite(&cursors{})})
				col := newCollector(t)
				res, err := engine.Run(ctx, engine.Options{Client: c, Sink: col, Streams: list})
				if err != nil {
					t.Fatal(err)
				}
				s := res.Streams[0]
				if s.Complete || res.OK() || s.Err == nil || !strings.Contains(s.Err.Error(), tt.want) {
					t.Fatalf("complete=%v err=%v; want a failure saying %q", s.Complete, s.Err, tt.want)
				}
				if errors.Is(s.Err, context.Canceled) {
					t.Fatalf("the read did not stop by itself: %v", s.Err)
				}
				got := col.ids(tt.stream)
				if len(slices.Compact(slices.Clone(got))) != len(got) {
					t.Errorf("%d records emitted, %d distinct: duplicates", len(got), len(slices.Compact(slices.Clone(got))))
				}
				if mode != engine.Incremental {
					return
				}
				// The state never moves past a record that was not emitted:
				// resuming from it (faults gone) reads every missing record.
				sim.ClearFaults()
				resume := newCollector(t)
				res, err = engine.Run(ctx, engine.Options{Client: c, Sink: resume, Streams: list, State: stateOf(tt.stream, s.State)})
				if err != nil || !res.OK() {
					t.Fatalf("resume: %v %v", err, res.Err())
				}
				union := slices.Compact(slices.Sorted(slices.Values(append(got, resume.ids(tt.stream)...))))
				if len(union) != len(all) {
					t.Errorf("after the failed run (state %s) and a resume: %d of %d records", s.State, len(union), len(all))
				}
			})
		}
	}
}

// streamPath is the path a Fault matches for a stream.
func streamPath(t *testing.T, name string) string {
	t.Helper()
	st, ok := streams.Lookup(name)
	if !ok {
		t.Fatalf("no stream %s", name)
	}
	if st.Version == client.V2 {
		return "/api/v2" + st.Path
	}
	return "/v1" + st.Path
}

// cloudflare200 is a challenge page served with status 200.
const cloudflare200 = "<!DOCTYPE html>\n<html><head><title>Just a moment...</title></head><body>Checking your browser before accessing api.pipedrive.com</body></html>"

// TestBadBodiesFailLoudly: a 200 whose body is not valid JSON (a malformed
// record, an HTML page) is retried like a truncated one; when it persists
// the stream fails saying what came, and no invalid record is emitted.
// Once only, it costs a retry and nothing else.
func TestBadBodiesFailLoudly(t *testing.T) {
	damage := map[string]func(body []byte) []byte{
		"double comma in a record": func(b []byte) []byte {
			i := bytes.Index(b, []byte(`"data":[`))
			return slices.Concat(b[:i], bytes.Replace(b[i:], []byte(`,"`), []byte(`,,"`), 1))
		},
		"trailing comma in a record": func(b []byte) []byte {
			i := bytes.Index(b, []byte(`},{"id"`))
			return slices.Concat(b[:i], []byte(`,`), b[i:])
		},
		"a broken literal": func(b []byte) []byte {
			i := bytes.Index(b, []byte(`"id":`))
			return slices.Concat(b[:i], []byte(`"x":tru,`), b[i:])
		},
		"additional_data without a value": func(b []byte) []byte {
			i := bytes.Index(b, []byte(`"additional_data":`)) + len(`"additional_data":`)
			return slices.Concat(b[:i], []byte(`}`))
		},
		"an HTML page with status 200": func([]byte) []byte { return []byte(cloudflare200) },
	}
	want := map[string]string{"an HTML page with status 200": "HTML page instead of JSON"}
	// Every case's simulator is the same (seed and scale, two pages of
	// deals): the clean read is made once, by the first case to need it.
	var clean []string
	for name, fn := range damage {
		for _, persistent := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/persistent=%v", name, persistent), func(t *testing.T) {
				sim := newSim(t, pipedrivetest.Options{Seed: 22, Scale: 700})
				c := newClient(t, sim, nil)
				if !persistent && clean == nil {
					res, col := run(t, c, runCfg{streams: full("deals")})
					mustComplete(t, res)
					if res.Streams[0].Stats.Pages < 2 {
						t.Fatalf("%d pages of deals, the damage is on the second", res.Streams[0].Stats.Pages)
					}
					clean = rawSet(col.records["deals"])
				}
				cs := &cursors{}
				var hits atomic.Int32
				sim.Fault(pipedrivetest.Fault{Path: "/api/v2/deals", Kind: pipedrivetest.FaultRewrite, Rewrite: func(r *http.Request, body []byte) []byte {
					if cs.page(r, body) != 2 || (!persistent && hits.Add(1) > 1) {
						return append([]byte(nil), body...)
					}
					return fn(append([]byte(nil), body...))
				}})
				res, col := run(t, c, runCfg{streams: full("deals")})
				for _, rec := range col.records["deals"] {
					if !json.Valid(rec) {
						t.Fatalf("an invalid record was emitted: %.80s", rec)
					}
				}
				s := res.Streams[0]
				if !persistent {
					mustComplete(t, res)
					if !slices.Equal(rawSet(col.records["deals"]), clean) {
						t.Errorf("records differ after one bad page")
					}
					return
				}
				msg := cmp.Or(want[name], "not valid JSON")
				if s.Complete || s.Err == nil || !strings.Contains(s.Err.Error(), msg) {
					t.Fatalf("complete=%v err=%v; want a failure saying %q", s.Complete, s.Err, msg)
				}
				if n := len(col.records["deals"]); n != 500 {
					t.Errorf("%d records emitted, want the first page's 500", n)
				}
			})
		}
	}
}

// TestFinalWriteFailureFailsStream: a sink that fails to finish the output
// (the StreamComplete that renames the file, or the last Checkpoint of a
// full refresh) leaves the stream incomplete, with the sink's error, and a
// StreamIncomplete event instead of StreamComplete.
func TestFinalWriteFailureFailsStream(t *testing.T) {
	for _, failOn := range []engine.Kind{engine.StreamComplete, engine.Checkpoint} {
		t.Run(failOn.String(), func(t *testing.T) {
			sim := newSim(t, pipedrivetest.Options{Seed: 15, Scale: 50})
			c := newClient(t, sim, nil)
			col := newCollector(t)
			renameFailed := errors.New("rename deals.jsonl: no space left on device")
			sink := engine.SinkFunc(func(ctx context.Context, ev engine.Event) error {
				if ev.Stream == "deals" && ev.Kind == failOn {
					return renameFailed
				}
				return col.Emit(ctx, ev)
			})
			res, err := engine.Run(context.Background(), engine.Options{Client: c, Sink: sink, Streams: full("deals")})
			if err != nil {
				t.Fatal(err)
			}
			s := res.Streams[0]
			if s.Complete || res.OK() || s.Failure != engine.SystemError || !errors.Is(s.Err, renameFailed) || !errors.Is(res.Err(), renameFailed) {
				t.Fatalf("deals: complete=%v ok=%v failure=%s err=%v", s.Complete, res.OK(), s.Failure, s.Err)
			}
			kinds := col.kinds["deals"]
			if last := kinds[len(kinds)-1]; last != engine.StreamIncomplete {
				t.Errorf("deals ended with %s, want incomplete (events %v)", last, kinds)
			}
		})
	}
}

// TestFutureFloorWarns: a saved cursor or a start date in the future reads
// nothing; a warning naming the stream and the date says why, so it is not
// taken for "no changes". A floor in the past says nothing of the kind.
func TestFutureFloorWarns(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	future := "2030-01-02T03:04:05Z"
	tests := []struct {
		name  string
		list  []engine.ConfiguredStream
		state map[string]json.RawMessage
		start time.Time
		want  string // "" = no warning
	}{
		{"saved cursor", incr("deals"), stateOf("deals", json.RawMessage(`{"update_time":"`+future+`"}`)), time.Time{}, "saved state's cursor " + future},
		{"start date", full("deals"), nil, time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC), "start date " + future},
		{"past cursor", incr("deals"), stateOf("deals", json.RawMessage(`{"update_time":"2026-11-30T12:00:00Z"}`)), time.Time{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim := newSim(t, pipedrivetest.Options{Seed: 4, Scale: 50})
			col := newCollector(t)
			res, err := engine.Run(context.Background(), engine.Options{Client: newClient(t, sim, nil), Sink: col, Streams: tt.list,
				State: tt.state, StartDate: tt.start, Now: func() time.Time { return now }})
			if err != nil {
				t.Fatal(err)
			}
			mustComplete(t, res)
			var warned []string
			for _, e := range col.events(engine.Log) {
				if e.Level == engine.LevelWarn && strings.Contains(e.Message, "in the future") {
					if e.Stream != "deals" {
						t.Errorf("warning for stream %q: %s", e.Stream, e.Message)
					}
					warned = append(warned, e.Message)
				}
			}
			switch {
			case tt.want == "" && len(warned) > 0:
				t.Errorf("unexpected warning: %q", warned)
			case tt.want != "" && (len(warned) != 1 || !strings.Contains(warned[0], tt.want)):
				t.Errorf("warnings %q, want one with %q", warned, tt.want)
			}
		})
	}
}

// fabricate answers every request of a v1 list with a page of records never
// seen before (copies of the first real one with fresh ids, each a second
// later than the last) and "more follow": a list that never ends.
func fabricate(perPage int) func(*http.Request, []byte) []byte {
	var mu sync.Mutex
	var tmpl map[string]json.RawMessage
	n := 0
	base := time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)
	return func(_ *http.Request, body []byte) []byte {
		mu.Lock()
		defer mu.Unlock()
		return rewriteEnv(body, func(env, ad map[string]json.RawMessage) {
			if tmpl == nil {
				var recs []map[string]json.RawMessage
				if json.Unmarshal(env["data"], &recs) != nil || len(recs) == 0 {
					return // nothing to copy yet
				}
				tmpl = recs[0]
			}
			page := make([]map[string]json.RawMessage, perPage)
			for i := range page {
				n++
				r := make(map[string]json.RawMessage, len(tmpl))
				for k, v := range tmpl {
					r[k] = v
				}
				id := strconv.Itoa(9_000_000 + n)
				if strings.HasPrefix(string(tmpl["id"]), `"`) {
					id = fmt.Sprintf(`"00000000-0000-4000-8000-%012d"`, n) // leads: uuids
				}
				r["id"] = json.RawMessage(id)
				at := base.Add(time.Duration(n) * time.Second)
				if strings.Contains(string(tmpl["update_time"]), "T") {
					r["update_time"], _ = json.Marshal(at.Format("2006-01-02T15:04:05.000Z"))
				} else {
					r["update_time"], _ = json.Marshal(at.Format(time.DateTime))
				}
				page[i] = r
			}
			env["data"], _ = json.Marshal(page)
			if _, nested := ad["pagination"]; !nested {
				ad["more_items_in_collection"] = json.RawMessage("true") // leads
				return
			}
			pg := v1pg(ad)
			pg["more_items_in_collection"] = json.RawMessage("true")
			pg["next_start"] = json.RawMessage(strconv.Itoa(perPage))
			setV1pg(ad, pg)
		})
	}
}

// TestKeysetBoundsRecords (issue 11): the v1 keyset read (notes, leads) asks
// one page a request, each a read of its own for the client's guard, so a
// list fabricating records forever must still stop at the client's
// MaxRecords, counted across the whole keyset walk, with the guard's
// message, and emit nothing past the bound.
func TestKeysetBoundsRecords(t *testing.T) {
	const limit, perPage = 120, 25
	tests := []struct {
		stream string
		mode   engine.Mode
	}{
		{"notes", engine.Incremental},
		{"notes", engine.FullRefresh},
		{"leads", engine.Incremental},
	}
	for _, tt := range tests {
		t.Run(tt.stream+"/"+string(tt.mode), func(t *testing.T) {
			sim := newSim(t, pipedrivetest.Options{Seed: 21, Scale: 200})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var requests atomic.Int32
			c := newClient(t, sim, func(o *client.Options) {
				o.MaxRecords = limit
				o.Observer = func(ob client.Observation) {
					// Without the bound the read never ends: stop it so
					// the test fails instead of hanging.
					if ob.Kind == client.ObsRequest && requests.Add(1) > 60 {
						cancel()
					}
				}
			})
			sim.Fault(pipedrivetest.Fault{Path: streamPath(t, tt.stream), Kind: pipedrivetest.FaultRewrite, Rewrite: fabricate(perPage)})
			col := newCollector(t)
			res, err := engine.Run(ctx, engine.Options{Client: c, Sink: col, Streams: []engine.ConfiguredStream{{Name: tt.stream, Mode: tt.mode}}})
			if err != nil {
				t.Fatal(err)
			}
			s := res.Streams[0]
			if errors.Is(s.Err, context.Canceled) {
				t.Fatalf("the read did not stop by itself after %d requests: %v", requests.Load(), s.Err)
			}
			var pe *client.PagingError
			if s.Complete || !errors.As(s.Err, &pe) || !strings.Contains(s.Err.Error(), fmt.Sprintf("more than %d records in one read", limit)) {
				t.Fatalf("complete=%v err=%v; want the PagingError of a read beyond %d records", s.Complete, s.Err, limit)
			}
			if want := limit/perPage + 1; pe.Page != want {
				t.Errorf("failed at page %d, want %d (the first page past %d records)", pe.Page, want, limit)
			}
			if got := len(col.records[tt.stream]); got > limit {
				t.Errorf("%d records emitted, beyond the bound of %d", got, limit)
			}
		})
	}
}
