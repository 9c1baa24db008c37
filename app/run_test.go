package app

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/pdxhq/pdx/source/client"
	"github.com/pdxhq/pdx/source/engine"
	"github.com/pdxhq/pdx/source/pipedrivetest"
	"github.com/pdxhq/pdx/source/readable"
	"github.com/pdxhq/pdx/source/streams"
	"github.com/pdxhq/pdx/store/output"
	"github.com/pdxhq/pdx/store/profile"
	"github.com/pdxhq/pdx/store/secret"
	"github.com/pdxhq/pdx/store/state"
)

type env struct {
	srv    *pipedrivetest.Server
	out    string
	states *state.Store
	prof   profile.Profile
}

func newEnv(t *testing.T, o pipedrivetest.Options) *env {
	t.Helper()
	if o.Plan == "" {
		o.Plan = pipedrivetest.PlanUltimate
	}
	if o.BurstLimit == 0 {
		// No test here is about the burst window (the engine's and client's
		// are, on fake time): paced to a plan's 2 s window in real time, a
		// sync of every stream waited seconds for nothing.
		o.BurstLimit = 100000
	}
	srv := pipedrivetest.NewServer(o)
	t.Cleanup(srv.Close)
	return &env{srv: srv, out: t.TempDir(), states: state.OpenDir(t.TempDir()),
		prof: profile.Profile{AuthType: profile.AuthToken, APIBaseURL: srv.URL(), Mode: engine.Incremental}}
}

func (e *env) run(t *testing.T, p profile.Profile, notices *[]string) Summary {
	t.Helper()
	st, err := e.states.Load("test")
	if err != nil {
		t.Fatal(err)
	}
	if p.OutDir == "" {
		p.OutDir = e.out
	}
	sum, err := Run(context.Background(), Options{ProfileName: "test", Profile: p, Secret: secret.Secret{APIToken: e.srv.Token()}, State: st,
		Notice: func(m string) {
			if notices != nil {
				*notices = append(*notices, m)
			}
		}})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return sum
}

func lines(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) == 0 {
		return nil
	}
	if data[len(data)-1] != '\n' {
		t.Fatalf("%s: last line is not terminated", path)
	}
	return strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
}

func rawStrings(rs []json.RawMessage) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = string(r)
	}
	return out
}

func idOf(t *testing.T, rec string) string {
	t.Helper()
	var v struct {
		ID json.RawMessage `json:"id"`
	}
	if err := json.Unmarshal([]byte(rec), &v); err != nil || len(v.ID) == 0 {
		t.Fatalf("record without id: %s", rec)
	}
	return string(v.ID)
}

// latest dedupes on id keeping the last line, as the docs tell users to.
func latest(t *testing.T, recs []string) map[string]string {
	m := map[string]string{}
	for _, r := range recs {
		m[idOf(t, r)] = r
	}
	return m
}

func sameSet(t *testing.T, what string, got, want []string) {
	t.Helper()
	g := append([]string(nil), got...)
	w := append([]string(nil), want...)
	sort.Strings(g)
	sort.Strings(w)
	if len(g) != len(w) {
		t.Fatalf("%s: %d records, want %d", what, len(g), len(w))
	}
	for i := range g {
		if g[i] != w[i] {
			t.Fatalf("%s: record differs from the API's bytes:\n got %s\nwant %s", what, g[i], w[i])
		}
	}
}

func TestJSONLRoundTripAndIncremental(t *testing.T) {
	e := newEnv(t, pipedrivetest.Options{Seed: 3, Scale: 700})
	p := e.prof
	p.Streams = []string{"deals", "persons", "notes", "pipelines"}
	p.StreamModes = map[string]engine.Mode{"pipelines": profile.ModeFull}
	sum := e.run(t, p, nil)
	if !sum.OK() {
		t.Fatalf("run not OK: %+v", sum.Streams)
	}
	for _, s := range p.Streams {
		sameSet(t, s, lines(t, filepath.Join(e.out, s+".jsonl")), apiRecords(t, e.srv, s))
	}
	if sum.Records() != int64(len(apiRecords(t, e.srv, "deals"))+e.srv.Count("persons")+e.srv.Count("notes")+e.srv.Count("pipelines")) {
		t.Errorf("summary records = %d", sum.Records())
	}

	// State and recorded sizes match what is on disk.
	st, err := e.states.Load("test")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range p.Streams {
		if _, ok := st.Streams()[s]; !ok && s != "pipelines" {
			t.Errorf("no state saved for %s", s)
		}
		fi, _ := os.Stat(filepath.Join(e.out, s+".jsonl"))
		if out := st.Run().Outputs[s]; out.Size != fi.Size() {
			t.Errorf("%s: recorded size %d, file %d", s, out.Size, fi.Size())
		}
	}
	if st.Run().Counts["deals"] != int64(len(apiRecords(t, e.srv, "deals"))) {
		t.Errorf("last-run count = %v", st.Run().Counts)
	}

	// Changes on the server; the next run appends only them (plus the
	// inclusive boundary) and the deduplicated file equals the server.
	before := len(lines(t, filepath.Join(e.out, "deals.jsonl")))
	e.srv.Advance(3600e9)
	for _, id := range []string{"1", "2", "3"} {
		if err := e.srv.Update("deals", id); err != nil {
			t.Fatal(err)
		}
	}
	e.srv.Insert("deals")
	sum = e.run(t, p, nil)
	if !sum.OK() {
		t.Fatalf("second run: %+v", sum.Streams)
	}
	got := lines(t, filepath.Join(e.out, "deals.jsonl"))
	added := len(got) - before
	if added < 4 || added > 4+5 {
		t.Errorf("incremental run appended %d lines; want the 4 changed records (+ a few at the inclusive boundary)", added)
	}
	want := latest(t, apiRecords(t, e.srv, "deals"))
	have := latest(t, got)
	if len(have) != len(want) {
		t.Fatalf("dedup: %d ids, want %d", len(have), len(want))
	}
	for id, r := range want {
		if have[id] != r {
			t.Fatalf("deal %s: file has %s, server %s", id, have[id], r)
		}
	}
	// The full refresh stream was replaced, not appended.
	sameSet(t, "pipelines again", lines(t, filepath.Join(e.out, "pipelines.jsonl")), rawStrings(e.srv.Records("pipelines")))

	// The secret never lands in outputs or state.
	for _, dir := range []string{e.out, e.states.Dir()} {
		assertNoSecret(t, dir, e.srv.Token())
	}
}

func assertNoSecret(t *testing.T, dir, secret string) {
	t.Helper()
	filepath.Walk(dir, func(path string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return err
		}
		data, _ := os.ReadFile(path)
		if bytes.Contains(data, []byte(secret)) {
			t.Errorf("secret found in %s", path)
		}
		return nil
	})
}

func TestCSVRoundTrip(t *testing.T) {
	e := newEnv(t, pipedrivetest.Options{Seed: 5, Scale: 200})
	p := e.prof
	p.Format = "csv"
	p.Streams = []string{"deals", "leads", "notes"}
	sum := e.run(t, p, nil)
	if !sum.OK() {
		t.Fatalf("run: %+v", sum.Streams)
	}
	// The decoders a run makes: the same definitions and (a fresh book
	// assigns deterministically) the same names.
	cl, err := NewClient(Conn{Profile: p, Secret: secret.Secret{APIToken: e.srv.Token()}})
	if err != nil {
		t.Fatal(err)
	}
	x := &decoders{ctx: context.Background(), fields: NewFields(cl), book: readable.NewNameBook(), notice: func(string) {}, save: func() error { return nil }}
	for _, s := range p.Streams {
		dec, err := x.decoder(s)
		if err != nil {
			t.Fatalf("%s decoder %v: %v", s, dec, err)
		}
		checkCSV(t, filepath.Join(e.out, s+".csv"), apiRecords(t, e.srv, s), dec)
	}
}

func TestBadOutputNothingFetched(t *testing.T) {
	e := newEnv(t, pipedrivetest.Options{Seed: 1, Scale: 20})
	blocker := filepath.Join(t.TempDir(), "file")
	os.WriteFile(blocker, nil, 0o600)
	st := state.Ephemeral("x")
	p := e.prof
	p.OutDir = filepath.Join(blocker, "out")
	_, err := Run(context.Background(), Options{ProfileName: "x", Profile: p, Secret: secret.Secret{APIToken: e.srv.Token()}, State: st})
	if err == nil || !strings.Contains(err.Error(), "output directory") {
		t.Fatalf("err = %v", err)
	}
	if n := len(e.srv.Requests()); n != 0 {
		t.Errorf("%d API requests spent before noticing the output is unwritable", n)
	}
}

func TestStreamWriteFailureLosesNothing(t *testing.T) {
	e := newEnv(t, pipedrivetest.Options{Seed: 2, Scale: 100})
	// persons.jsonl cannot be created (a directory is in the way): that
	// stream fails, the others complete, and persons has no state saved.
	if err := os.MkdirAll(filepath.Join(e.out, "persons.jsonl"), 0o755); err != nil {
		t.Fatal(err)
	}
	p := e.prof
	p.Streams = []string{"deals", "persons"}
	sum := e.run(t, p, nil)
	var failed *StreamSummary
	for i := range sum.Streams {
		if sum.Streams[i].Name == "persons" {
			failed = &sum.Streams[i]
		} else if !sum.Streams[i].Complete {
			t.Errorf("%s did not complete: %v", sum.Streams[i].Name, sum.Streams[i].Err)
		}
	}
	if failed == nil || failed.Complete || failed.Err == nil || !strings.Contains(failed.Err.Error(), "persons.jsonl") {
		t.Fatalf("persons = %+v", failed)
	}
	st, _ := e.states.Load("test")
	if _, ok := st.Streams()["persons"]; ok {
		t.Error("state saved for a stream whose records were not written")
	}
	if _, ok := st.Streams()["deals"]; !ok {
		t.Error("deals state missing")
	}
}

func TestBudgetExhausted(t *testing.T) {
	e := newEnv(t, pipedrivetest.Options{Seed: 4, Scale: 2000, DailyBudget: 30})
	p := e.prof
	p.Streams = []string{"deals"}
	sum := e.run(t, p, nil)
	if !sum.BudgetExhausted || sum.BudgetReset.IsZero() || sum.OK() {
		t.Fatalf("summary = %+v", sum)
	}
	st, _ := e.states.Load("test")
	if _, ok := st.Streams()["deals"]; !ok {
		t.Fatal("no state saved before the budget ran out")
	}
	n := len(lines(t, filepath.Join(e.out, "deals.jsonl")))
	if n == 0 || n >= e.srv.Count("deals") {
		t.Errorf("%d deals written of %d", n, e.srv.Count("deals"))
	}
}

func TestResolve(t *testing.T) {
	tests := []struct {
		name    string
		p       profile.Profile
		want    string
		wantErr string
		note    string
	}{
		{"explicit", profile.Profile{Streams: []string{"deals", "stages"}, Mode: engine.Incremental}, "deals:incremental,stages:incremental", "", ""},
		{"full only downgraded", profile.Profile{Streams: []string{"currencies"}, Mode: engine.Incremental}, "currencies:full_refresh", "", "only full refresh"},
		{"per stream", profile.Profile{Streams: []string{"deals"}, Mode: engine.Incremental, StreamModes: map[string]engine.Mode{"deals": "full"}}, "deals:full_refresh", "", ""},
		{"unknown", profile.Profile{Streams: []string{"dealz"}}, "", `unknown stream "dealz"`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pl, err := PlanSync(tt.p)
			plan, notes := pl.Streams, pl.Notes
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v", err)
				}
				return
			}
			var parts []string
			for _, cs := range plan {
				parts = append(parts, cs.Name+":"+string(cs.Mode))
			}
			if got := strings.Join(parts, ","); got != tt.want {
				t.Errorf("plan = %s, want %s", got, tt.want)
			}
			if tt.note != "" && (len(notes) == 0 || !strings.Contains(notes[0], tt.note)) {
				t.Errorf("notes = %v", notes)
			}
		})
	}
	pl, err := PlanSync(profile.Profile{})
	all := pl.Streams
	if err != nil || len(all) < 20 || all[0].Mode != engine.FullRefresh && all[0].Mode != engine.Incremental {
		t.Errorf("all streams: %d %v", len(all), err)
	}
}

// apiRecords reads a stream's whole list from the simulator with the
// stream's own fixed params (deals asks for status=open,won,lost,deleted,
// which pipedrivetest's Records("deals") leaves out), page by page.
func apiRecords(t *testing.T, srv *pipedrivetest.Server, stream string) []string {
	t.Helper()
	def, ok := streams.Lookup(stream)
	if !ok {
		t.Fatalf("no stream %s", stream)
	}
	if def.Params.Get("status") == "" {
		return rawStrings(srv.Records(stream))
	}
	cl, err := client.New(client.Options{BaseURL: srv.URL(), Auth: client.TokenAuth(srv.Token()), BurstLimit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	req := client.PageRequest{Version: def.Version, Path: def.Path, Params: def.Params, Paging: def.Paging, Limit: def.PageLimit, Cost: def.TokenCost}
	if err := cl.Pages(context.Background(), req, func(p client.Page) error {
		for _, r := range p.Records {
			out = append(out, string(r))
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestCSVResumeCutsUnsavedBytes(t *testing.T) {
	e := newEnv(t, pipedrivetest.Options{Seed: 6, Scale: 300})
	p := e.prof
	p.Format = "csv"
	p.Streams = []string{"deals"}
	if sum := e.run(t, p, nil); !sum.OK() {
		t.Fatalf("first run: %+v", sum.Streams)
	}
	path := filepath.Join(e.out, "deals.csv")
	// A killed run wrote rows after the last saved checkpoint, the last one torn.
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("999999,\"a row the state does not cover\r\n1000000,\"torn, \"\"quoted")
	f.Close()
	e.srv.Advance(3600e9)
	if err := e.srv.Update("deals", "5"); err != nil {
		t.Fatal(err)
	}
	var notices []string
	if sum := e.run(t, p, &notices); !sum.OK() {
		t.Fatalf("second run: %+v", sum.Streams)
	}
	if len(notices) != 1 || !strings.Contains(notices[0], "after the last saved checkpoint") {
		t.Errorf("notices = %q", notices)
	}
	rows := readCSVRows(t, path)
	last := map[string][]string{}
	for _, r := range rows[1:] {
		last[r[0]] = r
	}
	if _, ok := last["999999"]; ok {
		t.Error("bytes after the saved checkpoint survived")
	}
	want := apiRecords(t, e.srv, "deals")
	if len(last) != len(want) {
		t.Errorf("%d distinct deals, want %d", len(last), len(want))
	}
}

func readCSVRows(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s is not valid CSV: %v", path, err)
	}
	return rows
}

func TestOverlappingRunRefused(t *testing.T) {
	e := newEnv(t, pipedrivetest.Options{Seed: 7, Scale: 10})
	release, err := output.Lock(e.out)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	p := e.prof
	p.OutDir, p.Streams = e.out, []string{"deals"}
	st, _ := e.states.Load("test")
	_, err = Run(context.Background(), Options{ProfileName: "test", Profile: p, Secret: secret.Secret{APIToken: e.srv.Token()}, State: st})
	if !errors.Is(err, output.ErrLocked) {
		t.Fatalf("err = %v, want ErrLocked", err)
	}
	if n := len(e.srv.Requests()); n != 0 {
		t.Errorf("%d requests made by a refused run", n)
	}
}

func TestSameProfileTwiceRefused(t *testing.T) {
	e := newEnv(t, pipedrivetest.Options{Seed: 8, Scale: 10})
	st, _ := e.states.Load("test")
	release, err := output.Lock(filepath.Dir(st.StatePath()))
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	p := e.prof
	p.OutDir, p.Streams = t.TempDir(), []string{"deals"}
	_, err = Run(context.Background(), Options{ProfileName: "test", Profile: p, Secret: secret.Secret{APIToken: e.srv.Token()}, State: st})
	if !errors.Is(err, output.ErrLocked) || !strings.Contains(err.Error(), "profile test is syncing already") {
		t.Fatalf("err = %v", err)
	}
}
