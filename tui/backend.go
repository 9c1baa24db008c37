package tui

import (
	"context"
	"io"
	"time"

	"github.com/pdxhq/pdx/source/client"
	"github.com/pdxhq/pdx/source/engine"
	"github.com/pdxhq/pdx/source/streams"
)

// groupLabel is the heading the picker shows above a group of streams.
func groupLabel(g streams.Group) string {
	switch g {
	case streams.Core:
		return "Core records"
	case streams.Fields:
		return "Field definitions"
	case streams.Settings:
		return "Settings"
	}
	return "Other"
}

// StreamInfo describes one stream the user can pick.
type StreamInfo struct {
	Name                string
	Description         string
	Group               streams.Group
	SupportsIncremental bool
	// LastCount is the stream's record count from the previous run, -1 when
	// unknown; it makes the progress bar determinate.
	LastCount int64
	// HasState: an incremental run would continue from saved state, so it
	// reads only the changes and LastCount says nothing about its total.
	// State is the chosen destination's (format + directory): false means
	// this destination never received the stream and gets all of it.
	HasState bool
	// Cursor is where an incremental run continues from, Synced when a run
	// last completed the stream in this destination (zero: unknown).
	Cursor string
	Synced time.Time
	// LastMode is the mode the profile last ran the stream in ("" unknown):
	// after a full refresh LastCount is the stream's whole size.
	LastMode engine.Mode
	// DefaultOff: a per-parent stream left out of the first selection (its
	// cost grows with its parents; see streams.Stream.DefaultOff).
	DefaultOff bool
}

// FullSize is the stream's whole size, when LastCount is one: its last run
// read all of it (a full refresh, or no saved state: nothing to continue
// from), or it is only ever read in full. After an incremental run LastCount is the changes only,
// which is no total for a full refresh (issue 15.1).
func (si StreamInfo) FullSize() (int64, bool) {
	if si.LastCount < 0 || si.SupportsIncremental && si.HasState && si.LastMode != engine.FullRefresh {
		return -1, false
	}
	return si.LastCount, true
}

// ReadsAll reports whether a run in mode m reads the whole stream: a full
// refresh, or an incremental one with nothing to continue from.
func (si StreamInfo) ReadsAll(m engine.Mode) bool {
	return m != engine.Incremental || !si.SupportsIncremental || !si.HasState
}

// Choice is one picked stream and its mode.
type Choice struct {
	Stream string
	Mode   engine.Mode
}

// Format is an output format.
type Format string

const (
	FormatJSONL   Format = "jsonl"
	FormatCSV     Format = "csv"
	FormatAirbyte Format = "airbyte"
	FormatSQLite  Format = "sqlite"
)

// FormatInfo is one output format the Output step offers (from
// store/output's registry, through the Backend).
type FormatInfo struct {
	Name        Format
	Label       string // "CSV", "Airbyte messages"
	Description string // what the files are good for
	Stdout      bool   // can write to "-" (standard output)
	// OneFile: every stream goes into one file (or stream), so the run
	// screen names the output by its label alone ("Airbyte messages").
	OneFile bool
	// StagesFullRefresh: a full refresh writes beside the old data and
	// replaces it only once complete, so a stopped one is not kept.
	StagesFullRefresh bool
}

// runName is how the run screen names the output: "CSV files".
func (f FormatInfo) runName() string {
	if f.OneFile {
		return f.Label
	}
	return f.Label + " files"
}

// Settings are the profile's remembered choices.
type Settings struct {
	Streams []Choice // nil: nothing remembered yet
	Format  Format
	OutDir  string
}

// Identity is who a credential belongs to.
type Identity struct {
	User    string
	Company string
}

// Budget is the daily API token budget, when known (the client's: one
// type for the idea).
type Budget = client.Budget

// Plan is everything a run needs.
type Plan struct {
	Streams []Choice
	Format  Format
	OutDir  string
}

// Result is what a finished (or stopped) run reports beyond the events.
type Result struct {
	// Files lists the files written per stream.
	Files map[string][]string
	// StateSaved says the per-stream state was persisted, so the next run
	// resumes from where this one stopped.
	StateSaved bool
	// Command is the headless command that runs the same sync again.
	Command string
	// Open lists commands that open what was written (a database), if any.
	Open []string
	// Dropped names the streams whose records of this run were not kept: a
	// full refresh into its own file that did not finish leaves the previous
	// file in place, so its records must not be reported as saved.
	Dropped map[string]bool
	// BudgetNote, after a stop for the daily budget, says what was left for
	// the company's other users and when the budget comes back ("" when
	// the run did not stop for it).
	BudgetNote string
}

// The UI's needs from the rest of pdx, in small parts: each screen takes
// only the ones it uses (Connect: Session and OAuth; Streams: Catalog;
// Output: the formats; Summary: Catalog); the root holds the whole Backend.

// Session is who the UI works for: the profile and its credential.
type Session interface {
	// Profile is the profile name shown in the header.
	Profile() string
	// Demo reports a run against the built-in simulator.
	Demo() bool
	// HasCredentials reports whether the profile already has a usable secret.
	HasCredentials() bool
	// DemoToken is a token to prefill on the Connect step ("" outside demo).
	DemoToken() string
	// Verify checks a token live (GET /v1/users/me) without saving it.
	Verify(ctx context.Context, token string) (Identity, Budget, error)
	// SaveToken stores the token for the profile and says where it went.
	SaveToken(token string) (where string, err error)
	// Whoami checks the stored credential; used to show who is connected.
	Whoami(ctx context.Context) (Identity, Budget, error)
}

// OAuth is the browser sign-in.
type OAuth interface {
	// OAuth reports whether OAuth login is available and, if not, why.
	OAuth() (available bool, reason string)
	// OAuthSignIn signs the profile in with OAuth (prompts, browser) on the
	// terminal the UI hands over while it steps aside (in, out), saves the
	// tokens and says who they belong to and where they went; only called
	// when OAuth() says it is available.
	OAuthSignIn(ctx context.Context, in io.Reader, out io.Writer) (id Identity, budget Budget, where string, err error)
}

// Catalog is what can be exported and what it costs.
type Catalog interface {
	// Streams lists every stream, in display order.
	Streams() []StreamInfo
	// Formats lists the output formats, in display order.
	Formats() []FormatInfo
	// Estimate is what the choices will likely cost, and how long they take
	// at the daily budget b (b.Known false: none seen yet).
	Estimate(choices []Choice, b Budget) Estimate
}

// Estimate is the API tokens a selection will likely cost.
type Estimate struct {
	// Tokens is the whole selection's; Complete is false when some record
	// counts are unknown (a first run), making Tokens a lower bound.
	Tokens   int64
	Complete bool
	// Days, when the selection does not fit today's budget (less the
	// reserve, at most the run's cap), says how long it takes: "about 4
	// days at this account's budget"; "" when it fits. DaysShort is the
	// same in fewer words, for narrow lines.
	Days, DaysShort string
	// Streams are each choice's, by name.
	Streams map[string]StreamCost
}

// StreamCost is one stream's part of an Estimate.
type StreamCost struct {
	Tokens   int64
	Complete bool
	// Scan says why even an incremental run reads all of the stream
	// ("reads every page: the API has no sort or filter"; "" when it
	// reads only the changes).
	Scan string
	// Days, when the stream alone does not fit today's budget, says how
	// long its backfill takes ("" when it fits); DaysShort in fewer words;
	// DayCount the days (1: fits today; 0: never, or unknown).
	Days, DaysShort string
	DayCount        int64
}

// Preferences are the profile's remembered choices.
type Preferences interface {
	// Settings returns the profile's remembered choices.
	Settings() Settings
	// SaveSettings remembers the choices for next time.
	SaveSettings(Settings) error
}

// Runner runs a sync.
type Runner interface {
	// Run syncs the plan, reporting every engine event to obs, and returns
	// when the run ends or ctx is cancelled (after saving state).
	Run(ctx context.Context, plan Plan, obs engine.Sink) (Result, error)
}

// Explainer turns an error into one plain sentence with what to do next.
type Explainer interface {
	Explain(err error) string
}

// Backend is all of the parts: what tui/wire implements.
type Backend interface {
	Session
	OAuth
	Catalog
	Preferences
	Runner
	Explainer
}

// Clock lets tests freeze time for golden screens.
type Clock func() time.Time
