package engine_test

import (
	"context"
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pdxhq/pdx/source/client"
	"github.com/pdxhq/pdx/source/engine"
	"github.com/pdxhq/pdx/source/pipedrivetest"
	"github.com/pdxhq/pdx/source/pipedrivetest/spectest"
	"github.com/pdxhq/pdx/source/streams"
)

// The spec is loaded once per test binary (it is large).
var (
	specOnce sync.Once
	spec     *spectest.Spec
)

func loadSpec(t testing.TB) *spectest.Spec {
	t.Helper()
	specOnce.Do(func() { spec = spectest.Load(t) })
	if spec == nil {
		t.Skip("spec not loaded")
	}
	return spec
}

// newSim starts a simulator whose every request is validated against the
// published spec (a failing request fails the test) and logged by path.
func newSim(t testing.TB, o pipedrivetest.Options) *pipedrivetest.Server {
	t.Helper()
	sp := loadSpec(t)
	o.Wrap = func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasPrefix(r.URL.Path, "/oauth/") {
				next.ServeHTTP(w, r) // the tests' own OAuth login, not an API call
				return
			}
			for _, vr := range splitStatus(r) {
				if err := sp.ValidateRequest(vr); err != nil {
					t.Errorf("request %s %s is not a valid operation of the spec: %v", r.Method, r.URL.Path, err)
				}
			}
			next.ServeHTTP(w, r)
		})
	}
	if o.Plan == "" && o.BurstLimit == 0 {
		// Tests that are not about rate limits should not wait on them.
		o.BurstLimit = 100000
	}
	s := pipedrivetest.NewServer(o)
	t.Cleanup(s.Close)
	return s
}

// splitStatus works around one spec inaccuracy: v2 deals' status is
// documented as "multiple statuses can be included as a comma separated
// array" but typed as a single enum value. A comma list is validated as one
// request per value, so each value must still be in the enum.
func splitStatus(r *http.Request) []*http.Request {
	q := r.URL.Query()
	vals := strings.Split(q.Get("status"), ",")
	if len(vals) < 2 {
		return []*http.Request{r}
	}
	out := make([]*http.Request, 0, len(vals))
	for _, v := range vals {
		c := r.Clone(r.Context())
		u := *r.URL
		q.Set("status", v)
		u.RawQuery = q.Encode()
		c.URL = &u
		out = append(out, c)
	}
	return out
}

// newClient is a client of sim with quick retries (the backoff is the only
// real-time delay besides the burst window). It connects through the
// simulator's own HTTP client, so an InMemory simulator works too.
func newClient(t testing.TB, sim *pipedrivetest.Server, mod func(*client.Options)) *client.Client {
	t.Helper()
	o := client.Options{BaseURL: sim.URL(), Auth: client.TokenAuth(sim.Token()), HTTPClient: sim.HTTPClient(),
		MinBackoff: time.Millisecond, MaxBackoff: 10 * time.Millisecond, BurstLimit: 100000}
	if mod != nil {
		mod(&o)
	}
	c, err := client.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// collector is a Sink that records everything, checking the event contract
// as it goes (order per stream, stats monotone, Count consistency).
type collector struct {
	t  testing.TB
	mu sync.Mutex
	ev []engine.Event
	// per stream
	records map[string][]json.RawMessage
	states  map[string][]json.RawMessage
	counts  map[string][]int64 // Checkpoint.Count
	since   map[string]int64   // records since the last checkpoint
	kinds   map[string][]engine.Kind
	// at each checkpoint, how many records of the stream had been emitted
	at   map[string][]int
	last map[string]engine.StreamStats
}

func newCollector(t testing.TB) *collector {
	return &collector{t: t, records: map[string][]json.RawMessage{}, states: map[string][]json.RawMessage{},
		counts: map[string][]int64{}, since: map[string]int64{}, kinds: map[string][]engine.Kind{}, at: map[string][]int{}, last: map[string]engine.StreamStats{}}
}

func (c *collector) Emit(ctx context.Context, ev engine.Event) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ev = append(c.ev, ev)
	if ev.Stream == "" {
		return nil
	}
	c.kinds[ev.Stream] = append(c.kinds[ev.Stream], ev.Kind)
	if prev, ok := c.last[ev.Stream]; ok {
		p, n := prev, ev.Stats
		if n.Records < p.Records || n.Pages < p.Pages || n.Bytes < p.Bytes || n.Tokens < p.Tokens || n.Requests < p.Requests || n.Waits < p.Waits || n.Waited < p.Waited {
			c.t.Errorf("%s: stats went backwards: %+v -> %+v", ev.Stream, p, n)
		}
	}
	c.last[ev.Stream] = ev.Stats
	switch ev.Kind {
	case engine.Records:
		for _, r := range ev.Records {
			c.records[ev.Stream] = append(c.records[ev.Stream], append(json.RawMessage(nil), r...))
		}
		c.since[ev.Stream] += int64(len(ev.Records))
		if ev.Stats.Records != int64(len(c.records[ev.Stream])) {
			c.t.Errorf("%s: Stats.Records %d, emitted %d", ev.Stream, ev.Stats.Records, len(c.records[ev.Stream]))
		}
	case engine.Checkpoint:
		if ev.Count != c.since[ev.Stream] {
			c.t.Errorf("%s: Checkpoint.Count %d, records since the previous checkpoint %d", ev.Stream, ev.Count, c.since[ev.Stream])
		}
		if !json.Valid(ev.State) {
			c.t.Errorf("%s: invalid state %s", ev.Stream, ev.State)
		}
		if prev := c.states[ev.Stream]; len(prev) > 0 && stateTime(prev[len(prev)-1]).After(stateTime(ev.State)) {
			c.t.Errorf("%s: state went backwards: %s -> %s", ev.Stream, prev[len(prev)-1], ev.State)
		}
		c.since[ev.Stream] = 0
		c.states[ev.Stream] = append(c.states[ev.Stream], ev.State)
		c.counts[ev.Stream] = append(c.counts[ev.Stream], ev.Count)
		c.at[ev.Stream] = append(c.at[ev.Stream], len(c.records[ev.Stream]))
	}
	return nil
}

func (c *collector) lastState(stream string) json.RawMessage {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.states[stream]
	if len(s) == 0 {
		return nil
	}
	return s[len(s)-1]
}

func (c *collector) events(kind engine.Kind) []engine.Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []engine.Event
	for _, e := range c.ev {
		if e.Kind == kind {
			out = append(out, e)
		}
	}
	return out
}

// ids returns the primary keys of a stream's records, sorted, as strings.
func (c *collector) ids(stream string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return idsOf(stream, c.records[stream])
}

func idsOf(stream string, recs []json.RawMessage) []string {
	st, _ := streams.Lookup(stream)
	key := "id"
	if st.Name != "" {
		key = st.PrimaryKey[0]
	}
	out := make([]string, 0, len(recs))
	for _, r := range recs {
		var v json.RawMessage
		if key == "id" {
			// most keys: a struct decodes without a map of every field
			var rec struct {
				ID json.RawMessage `json:"id"`
			}
			if err := json.Unmarshal(r, &rec); err != nil {
				panic(err)
			}
			v = rec.ID
		} else {
			var m map[string]json.RawMessage
			if err := json.Unmarshal(r, &m); err != nil {
				panic(err)
			}
			v = m[key]
		}
		out = append(out, strings.Trim(string(v), `"`))
	}
	sort.Strings(out)
	return out
}

type runCfg struct {
	streams     []engine.ConfiguredStream
	state       map[string]json.RawMessage
	start       time.Time
	concurrency int
	now         func() time.Time // the engine's clock (nil: time.Now)
	sweep       bool             // Options.SweepArchived
}

func run(t testing.TB, c *client.Client, cfg runCfg) (engine.Result, *collector) {
	t.Helper()
	col := newCollector(t)
	res, err := engine.Run(context.Background(), engine.Options{Client: c, Streams: cfg.streams, State: cfg.state,
		StartDate: cfg.start, Concurrency: cfg.concurrency, Sink: col, Now: cfg.now, SweepArchived: cfg.sweep})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return res, col
}

func mustComplete(t testing.TB, res engine.Result) {
	t.Helper()
	for _, s := range res.Streams {
		if !s.Complete {
			t.Errorf("stream %s incomplete (%s): %v", s.Name, s.Failure, s.Err)
		}
	}
}

func incr(names ...string) []engine.ConfiguredStream {
	out := make([]engine.ConfiguredStream, len(names))
	for i, n := range names {
		out[i] = engine.ConfiguredStream{Name: n, Mode: engine.Incremental}
	}
	return out
}

func full(names ...string) []engine.ConfiguredStream {
	out := make([]engine.ConfiguredStream, len(names))
	for i, n := range names {
		out[i] = engine.ConfiguredStream{Name: n, Mode: engine.FullRefresh}
	}
	return out
}

func stateOf(stream string, raw json.RawMessage) map[string]json.RawMessage {
	return map[string]json.RawMessage{stream: raw}
}

// TestHarnessValidates: the request check the other tests rely on rejects
// dead and malformed operations (so their silence means something).
func TestHarnessValidates(t *testing.T) {
	sp := loadSpec(t)
	for _, bad := range []string{"/v1/deals", "/v1/persons?start=0", "/api/v2/deals?status=open,bogus", "/api/v2/deals?limit=x"} {
		r, _ := http.NewRequest(http.MethodGet, "http://127.0.0.1"+bad, nil)
		r.Header.Set("x-api-token", "x")
		ok := true
		for _, vr := range splitStatus(r) {
			if sp.ValidateRequest(vr) != nil {
				ok = false
			}
		}
		if ok {
			t.Errorf("GET %s passed validation", bad)
		}
	}
}

// stateTime is the cursor of a state object (zero for {}); of a child
// stream's state, its "update_time" (the earliest of its parent listings').
func stateTime(raw json.RawMessage) time.Time {
	var m map[string]json.RawMessage
	_ = json.Unmarshal(raw, &m)
	if v, ok := m["update_time"]; ok { // beside an archived list's sweep keys
		m = map[string]json.RawMessage{"update_time": v}
	}
	for _, v := range m {
		var s string
		if json.Unmarshal(v, &s) != nil {
			continue
		}
		if t, err := engine.ParseTime(s); err == nil {
			return t
		}
	}
	return time.Time{}
}

// childTokens is what a read of the child stream st costs given its parent
// streams' record counts: each parent stream's listing (its pages at its
// cost) plus one call of st per batch of that stream's parents (at least
// one call each; app.EstimateStreams makes the same count for the plan).
func childTokens(t testing.TB, st streams.Stream, counts map[string]int64) int64 {
	t.Helper()
	batch := int64(max(st.Parent.Batch, 1))
	var total int64
	for _, src := range st.Parent.Parents {
		parent, ok := streams.Lookup(src.Stream)
		if !ok {
			t.Fatalf("%s: parent stream %s is not in the table", st.Name, src.Stream)
		}
		n := counts[src.Stream]
		total += parent.Pages(n)*int64(parent.TokenCost) + max((n+batch-1)/batch, 1)*int64(st.TokenCost)
	}
	return total
}
