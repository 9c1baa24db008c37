package tui

import (
	"context"
	"encoding/json"
	"errors"
	"github.com/pdxhq/pdx/source/streams"
	"io"
	"sync"
	"time"

	"github.com/pdxhq/pdx/source/engine"
)

var errRejected = errors.New("GET /v1/users/me: 401 unauthorized")

// t0 is the frozen "now" of every test screen.
var t0 = time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)

func frozen() time.Time { return t0 }

// fakeBackend is a scripted Backend: no network, no disk.
type fakeBackend struct {
	mu        sync.Mutex
	hasCreds  bool
	demo      bool
	saved     []string
	settings  Settings
	savedSets []Settings
	plans     []Plan
	// script is emitted by Run; when block is set Run then waits for ctx.
	script []engine.Event
	block  bool
	runErr error
	// oauth is the OAuth sign-in (nil: OAuth unavailable).
	oauth *fakeOAuth
	// streams edits the stream list before Streams returns it.
	streams func([]StreamInfo)
	// lastModes are the modes the streams last ran in (StreamInfo.LastMode).
	lastModes map[string]engine.Mode
	// costs are Estimate's per stream (default: 10 tokens, complete), days
	// its whole selection's.
	costs           map[string]StreamCost
	days, daysShort string
	// started is closed when Run begins (if set).
	started chan struct{}
}

func (f *fakeBackend) Profile() string      { return "default" }
func (f *fakeBackend) Demo() bool           { return f.demo }
func (f *fakeBackend) HasCredentials() bool { return f.hasCreds }
func (f *fakeBackend) DemoToken() string {
	if f.demo {
		return "demo-token"
	}
	return ""
}
func (f *fakeBackend) OAuth() (bool, string) {
	if f.oauth != nil {
		return true, ""
	}
	return false, "pdx has no registered OAuth app yet."
}
func (f *fakeBackend) OAuthSignIn(_ context.Context, in io.Reader, out io.Writer) (Identity, Budget, string, error) {
	o := f.oauth
	o.mu.Lock()
	defer o.mu.Unlock()
	o.calls++
	o.gotIn, o.gotOut = in != nil, out != nil
	if o.err != nil {
		return Identity{}, Budget{}, "", o.err
	}
	return Identity{User: "Ada Lovelace", Company: "Acme Ltd"}, Budget{Known: true, Limit: 30000, Remaining: 25000}, "in the OS keyring", nil
}

// fakeOAuth is a scripted OAuth sign-in: it fails with err (nil: succeeds)
// and records how it was called.
type fakeOAuth struct {
	err error

	mu            sync.Mutex
	calls         int
	gotIn, gotOut bool // the terminal was handed over
}

func (f *fakeBackend) Verify(_ context.Context, tok string) (Identity, Budget, error) {
	if tok != "good" && tok != "demo-token" {
		return Identity{}, Budget{}, errRejected
	}
	return Identity{User: "Ada Lovelace", Company: "Acme Ltd"}, Budget{Known: true, Limit: 30000, Remaining: 29998}, nil
}
func (f *fakeBackend) SaveToken(tok string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.saved = append(f.saved, tok)
	return `in the OS keyring (service "pdx", profile "default")`, nil
}
func (f *fakeBackend) Whoami(context.Context) (Identity, Budget, error) {
	return Identity{User: "Ada Lovelace", Company: "Acme Ltd"}, Budget{Known: true, Limit: 30000, Remaining: 25000}, nil
}
func (f *fakeBackend) Streams() []StreamInfo {
	all := []StreamInfo{
		{Name: "deals", Description: "Deals in every pipeline", Group: streams.Core, SupportsIncremental: true, LastCount: 200},
		{Name: "persons", Description: "Contact people", Group: streams.Core, SupportsIncremental: true, LastCount: 500, HasState: true},
		{Name: "organizations", Description: "Companies you deal with", Group: streams.Core, SupportsIncremental: true, LastCount: -1},
		{Name: "deal_fields", Description: "Deal field definitions, custom fields included", Group: streams.Fields, LastCount: -1},
		{Name: "person_fields", Description: "Person field definitions", Group: streams.Fields, LastCount: -1},
		{Name: "users", Description: "Users of the company account", Group: streams.Settings, LastCount: -1},
		{Name: "pipelines", Description: "Sales pipelines", Group: streams.Settings, LastCount: -1},
	}
	for i := range all {
		all[i].LastMode = f.lastModes[all[i].Name]
	}
	if f.streams != nil {
		f.streams(all)
	}
	return all
}

// testFormats are the formats pdx registers, as the Output step shows them.
var testFormats = []FormatInfo{
	{FormatJSONL, "JSONL", "one file per stream, one record per line (jq, DuckDB, pandas)", false, false, true},
	{FormatCSV, "CSV", "one file per stream, opens in Excel and Google Sheets", false, false, true},
	{FormatAirbyte, "Airbyte messages", "one file of protocol messages, for data pipelines", true, true, false},
}

func (f *fakeBackend) Formats() []FormatInfo { return testFormats }
func (f *fakeBackend) Settings() Settings    { f.mu.Lock(); defer f.mu.Unlock(); return f.settings }
func (f *fakeBackend) SaveSettings(s Settings) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.savedSets = append(f.savedSets, s)
	f.settings = s
	return nil
}

// Estimate: 10 tokens a stream, complete; costs names what the streams'
// costs say instead (their tokens, scan and days), and days the whole
// selection's.
func (f *fakeBackend) Estimate(ch []Choice, _ Budget) Estimate {
	e := Estimate{Complete: true, Streams: map[string]StreamCost{}, Days: f.days, DaysShort: f.daysShort}
	for _, c := range ch {
		sc, ok := f.costs[c.Stream]
		if !ok {
			sc = StreamCost{Tokens: 10, Complete: true}
		}
		e.Streams[c.Stream] = sc
		e.Tokens += sc.Tokens
		e.Complete = e.Complete && sc.Complete
	}
	return e
}
func (f *fakeBackend) Run(ctx context.Context, plan Plan, obs engine.Sink) (Result, error) {
	f.mu.Lock()
	f.plans = append(f.plans, plan)
	f.mu.Unlock()
	if f.started != nil {
		close(f.started)
	}
	res := Result{Files: map[string][]string{}, StateSaved: true}
	for _, ev := range f.script {
		if err := obs.Emit(ctx, ev); err != nil {
			return res, err
		}
		if ev.Kind == engine.StreamComplete || ev.Kind == engine.Records {
			res.Files[ev.Stream] = []string{plan.OutDir + "/" + ev.Stream + "." + string(plan.Format)}
		}
	}
	if f.block {
		<-ctx.Done()
		for _, c := range plan.Streams {
			_ = obs.Emit(ctx, engine.Event{Kind: engine.StreamIncomplete, Stream: c.Stream, Time: t0.Add(5 * time.Second), Err: ctx.Err(), Failure: engine.TransientError})
		}
		return res, nil
	}
	return res, f.runErr
}
func (f *fakeBackend) Explain(err error) string {
	if errors.Is(err, errRejected) {
		return "Pipedrive rejected the API token (401). Create a new one in Pipedrive > Personal preferences > API."
	}
	return "Something went wrong: " + err.Error()
}

// script builds a two-stream run: deals done with 200 records in 4s,
// persons failed after 50.
func twoStreamScript() []engine.Event {
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	rec := []json.RawMessage{json.RawMessage(`{"id":1}`)}
	return []engine.Event{
		{Kind: engine.StreamQueued, Stream: "deals", Time: at(0), Stats: engine.StreamStats{Estimate: -1}},
		{Kind: engine.StreamQueued, Stream: "persons", Time: at(0), Stats: engine.StreamStats{Estimate: -1}},
		{Kind: engine.Budget, Time: at(0), Budget: engine.BudgetInfo{Known: true, Limit: 30000, Remaining: 29990}},
		{Kind: engine.StreamStarted, Stream: "deals", Time: at(0)},
		{Kind: engine.StreamStarted, Stream: "persons", Time: at(0)},
		{Kind: engine.Records, Stream: "deals", Time: at(2), Records: rec, Stats: engine.StreamStats{Records: 100, Tokens: 10}},
		{Kind: engine.Records, Stream: "persons", Time: at(2), Records: rec, Stats: engine.StreamStats{Records: 50, Tokens: 10}},
		{Kind: engine.Records, Stream: "deals", Time: at(4), Records: rec, Stats: engine.StreamStats{Records: 200, Tokens: 20}},
		{Kind: engine.StreamComplete, Stream: "deals", Time: at(4), Stats: engine.StreamStats{Records: 200, Tokens: 20}},
		{Kind: engine.StreamIncomplete, Stream: "persons", Time: at(3), Stats: engine.StreamStats{Records: 50, Tokens: 10}, Err: errRejected, Failure: engine.ConfigError},
	}
}
