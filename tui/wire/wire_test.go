package wire

import (
	"bytes"
	"context"
	"encoding/csv"
	"github.com/pdxhq/pdx/source/engine"
	"github.com/pdxhq/pdx/source/streams"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/pdxhq/pdx/source/pipedrivetest"
	"github.com/pdxhq/pdx/store/profile"
	"github.com/pdxhq/pdx/store/secret"
	"github.com/pdxhq/pdx/tui"
)

// newTestBackend points a profile at a fresh simulator, with files (not a
// keyring) for secrets, in temporary directories.
func newTestBackend(t testing.TB) (*Backend, *pipedrivetest.Server, Options) {
	t.Helper()
	srv, err := pipedrivetest.Start(pipedrivetest.Options{Seed: 7, Scale: 60})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	cfgDir, stateDir := t.TempDir(), t.TempDir()
	ps := profile.OpenDir(cfgDir)
	cfg, err := ps.Load()
	if err != nil {
		t.Fatal(err)
	}
	cfg.Put("work", profile.Profile{AuthType: profile.AuthToken, APIBaseURL: srv.URL()})
	if err := ps.Save(cfg); err != nil {
		t.Fatal(err)
	}
	o := Options{Profile: "work", ConfigDir: cfgDir, StateDir: stateDir,
		Secrets: secret.New(secret.Options{Dir: cfgDir, NoKeyring: true, IgnoreEnv: true, Warn: io.Discard})}
	b, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return b, srv, o
}

func TestBackendConnectPickRun(t *testing.T) {
	b, srv, o := newTestBackend(t)
	ctx := context.Background()
	if b.HasCredentials() || b.Demo() || b.DemoToken() != "" || b.Profile() != "work" {
		t.Fatalf("fresh profile: creds=%v demo=%v", b.HasCredentials(), b.Demo())
	}
	if ok, why := b.OAuth(); ok || why == "" {
		t.Errorf("OAuth() = %v, %q: want unavailable with a reason", ok, why)
	}

	_, _, err := b.Verify(ctx, "not-the-token")
	if err == nil || !strings.Contains(b.Explain(err), "Personal preferences > API") {
		t.Fatalf("a wrong token: err %v, explained %q", err, b.Explain(err))
	}
	id, bu, err := b.Verify(ctx, " "+srv.Token()+"\n")
	if err != nil {
		t.Fatalf("the simulator's token: %v", err)
	}
	if id.User == "" || id.Company == "" || !bu.Known || bu.Limit <= 0 {
		t.Errorf("identity %+v budget %+v", id, bu)
	}
	where, err := b.SaveToken(srv.Token())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(where, "file") {
		t.Errorf("where = %q, want the fallback file named", where)
	}
	if !b.HasCredentials() {
		t.Fatal("no credentials after saving")
	}
	if who, _, err := b.Whoami(ctx); err != nil || who != id {
		t.Errorf("Whoami = %+v, %v", who, err)
	}

	// Every stream is offered once, grouped core, fields, settings.
	all := b.Streams()
	seen := map[string]bool{}
	last := streams.Core
	for _, s := range all {
		if seen[s.Name] || s.Group < last || s.Description == "" {
			t.Errorf("stream list out of order or duplicated at %+v", s)
		}
		seen[s.Name], last = true, s.Group
	}
	if b.Estimate([]tui.Choice{{Stream: "deals", Mode: engine.Incremental}}, bu).Complete {
		t.Error("an estimate before any run claims to be complete")
	}

	choices := []tui.Choice{{Stream: "deals", Mode: engine.Incremental}, {Stream: "users", Mode: engine.FullRefresh}}
	out := filepath.Join(t.TempDir(), "out")
	if err := b.SaveSettings(tui.Settings{Streams: choices, Format: tui.FormatCSV, OutDir: out}); err != nil {
		t.Fatal(err)
	}
	b2, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	if got := b2.Settings(); !reflect.DeepEqual(got, tui.Settings{Streams: choices, Format: tui.FormatCSV, OutDir: out}) {
		t.Errorf("remembered settings = %+v", got)
	}
	if !b2.HasCredentials() {
		t.Error("the saved token was not found by a new backend")
	}

	tr := tui.NewTracker(choices, nil, nil)
	res, err := b.Run(ctx, tui.Plan{Streams: choices, Format: tui.FormatCSV, OutDir: out}, tr)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if !res.StateSaved {
		t.Error("state not reported saved")
	}
	snap := tr.Snapshot()
	for _, s := range snap.Streams {
		if s.State != tui.StateDone {
			t.Errorf("%s ended %v: %v", s.Name, s.State, s.Err)
		}
		files := res.Files[s.Name]
		if len(files) != 1 {
			t.Fatalf("%s: files %v", s.Name, files)
		}
		data, err := os.ReadFile(files[0])
		if err != nil {
			t.Fatal(err)
		}
		recs, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
		if err != nil {
			t.Fatalf("%s: %v", s.Name, err)
		}
		if rows := int64(len(recs)) - 1; rows != s.Records || s.Records == 0 { // minus the header
			t.Errorf("%s: tracker saw %d records, the CSV has %d rows", s.Name, s.Records, rows)
		}
	}
	if !b.Estimate(choices, bu).Complete {
		t.Error("the estimate after a run should know the counts")
	}
	// deals ran incremental: its count is no full size, so a full refresh
	// of it is estimated as a floor (issue 15.1).
	if b.Estimate([]tui.Choice{{Stream: "deals", Mode: engine.FullRefresh}}, bu).Complete {
		t.Error("a full refresh after an incremental run claims a complete estimate")
	}
	for _, s := range b.Streams() {
		if s.Name == "deals" && s.LastCount != snap.Streams[0].Records {
			t.Errorf("deals LastCount = %d, want %d", s.LastCount, snap.Streams[0].Records)
		}
	}
	// The token is in the secret file only: never in the config or state.
	for _, dir := range []string{o.ConfigDir, o.StateDir, out} {
		_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || strings.Contains(p, string(filepath.Separator)+"secrets"+string(filepath.Separator)) {
				return err
			}
			data, _ := os.ReadFile(p)
			if bytes.Contains(data, []byte(srv.Token())) {
				t.Errorf("the token is written in %s", p)
			}
			return nil
		})
	}
}

func TestDemoBackend(t *testing.T) {
	b, err := New(Options{Demo: true, StateDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if !b.Demo() || b.DemoToken() == "" || b.HasCredentials() {
		t.Fatalf("demo: demo=%v token=%q creds=%v", b.Demo(), b.DemoToken(), b.HasCredentials())
	}
	id, _, err := b.Verify(context.Background(), b.DemoToken())
	if err != nil || id.Company == "" {
		t.Fatalf("demo token: %+v %v", id, err)
	}
	where, err := b.SaveToken(b.DemoToken())
	if err != nil || !strings.Contains(where, "demo only") {
		t.Errorf("where = %q, %v", where, err)
	}
	if !b.HasCredentials() {
		t.Error("demo credentials not kept in memory")
	}
	if err := b.SaveSettings(tui.Settings{Streams: []tui.Choice{{Stream: "users", Mode: engine.FullRefresh}}, Format: tui.FormatJSONL, OutDir: "x"}); err != nil {
		t.Fatal(err)
	}
	// A relative directory is remembered absolute (it must not follow the
	// current directory); "-" (stdout) stays as it is.
	absX, _ := filepath.Abs("x")
	if got := b.Settings(); len(got.Streams) != 1 || got.OutDir != absX {
		t.Errorf("demo settings not kept for the session: %+v, want out dir %s", got, absX)
	}
	if err := b.SaveSettings(tui.Settings{Format: tui.FormatAirbyte, OutDir: "-"}); err != nil {
		t.Fatal(err)
	}
	if got := b.Settings().OutDir; got != "-" {
		t.Errorf("stdout out dir remembered as %q", got)
	}
}

// TestBackendEstimateDays: the Streams step's figures come from app: a
// stream over today's budget says how many days it takes, at the nominal
// budget before pdx read one, at the account's after; the profile's
// reserve counts; a stream that reads every page even incrementally says
// so (from the table's ScansAll), and its estimate after an incremental
// run is a floor (that run's count is the changes, not its size).
func TestBackendEstimateDays(t *testing.T) {
	b, srv, o := newTestBackend(t)
	ps := profile.OpenDir(o.ConfigDir)
	cfg, err := ps.Load()
	if err != nil {
		t.Fatal(err)
	}
	// 10 tokens a day to spend of the nominal 30,000.
	cfg.Put("work", profile.Profile{AuthType: profile.AuthToken, APIBaseURL: srv.URL(), BudgetReserve: "29990"})
	if err := ps.Save(cfg); err != nil {
		t.Fatal(err)
	}
	if b, err = New(o); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	if _, err := b.SaveToken(srv.Token()); err != nil {
		t.Fatal(err)
	}
	goals := []tui.Choice{{Stream: "goals", Mode: engine.FullRefresh}}
	e := b.Estimate(goals, tui.Budget{})
	// 120 tokens: 10 today, then 10 a day.
	if want := "about 12 days at the smallest plan's 30,000 tokens a day (nominal: pdx has not seen this account's budget yet)"; e.Streams["goals"].Days != want || e.Days != want || e.Streams["goals"].Tokens != 120 {
		t.Errorf("before any reading: %+v, want %q", e, want)
	}

	choices := []tui.Choice{{Stream: "deals", Mode: engine.Incremental}, {Stream: "activity_types", Mode: engine.Incremental}}
	out := filepath.Join(t.TempDir(), "out")
	if err := b.SaveSettings(tui.Settings{Streams: choices, Format: tui.FormatJSONL, OutDir: out}); err != nil {
		t.Fatal(err)
	}
	// The run itself keeps no reserve: with 10 tokens to spend its two
	// streams race for the budget, and the one that loses has no count.
	setReserve := func(r string) {
		t.Helper()
		cfg, err := ps.Load()
		if err != nil {
			t.Fatal(err)
		}
		_, p, _ := cfg.Resolve("work")
		p.BudgetReserve = r
		cfg.Put("work", p)
		if err := ps.Save(cfg); err != nil {
			t.Fatal(err)
		}
		if b, err = New(o); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(b.Close)
	}
	setReserve("0")
	tr := tui.NewTracker(choices, nil, nil)
	if _, err := b.Run(context.Background(), tui.Plan{Streams: choices, Format: tui.FormatJSONL, OutDir: out}, tr); err != nil {
		t.Fatal(err)
	}
	if c := b.shownState().Run().Counts; c["deals"] == 0 || c["activity_types"] == 0 {
		t.Fatalf("the run left counts %v, want both streams'", c)
	}
	setReserve("29990")
	// The run read the budget: the account's, from then on.
	e = b.Estimate(goals, tui.Budget{})
	if got := e.Streams["goals"].Days; !strings.HasSuffix(got, "days at this account's budget") {
		t.Errorf("after a run: %q", got)
	}
	e = b.Estimate(append(choices, tui.Choice{Stream: "deal_changelog", Mode: engine.Incremental}), tui.Budget{Known: true, Limit: 60000, Remaining: 60000})
	for _, c := range choices {
		st, _ := streams.Lookup(c.Stream)
		sc := e.Streams[c.Stream]
		if (sc.Scan != "") != st.ScansAll() || sc.Complete == st.ScansAll() {
			t.Errorf("%s: %+v; the table says ScansAll %v", c.Stream, sc, st.ScansAll())
		}
	}
	if dc := e.Streams["deal_changelog"]; dc.Days != "" || dc.Tokens < int64(srv.Count("deals"))*20 || dc.Scan != "" {
		t.Errorf("deal_changelog at 30,010 a day: %+v", dc)
	}
}
