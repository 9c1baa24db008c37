package tui

import (
	"context"
	"io"
	"time"

	"github.com/pdxhq/pdx/source/client"
	"github.com/pdxhq/pdx/source/engine"
)

// Group is how the stream picker groups streams.
type Group int

const (
	GroupCore Group = iota
	GroupFields
	GroupSettings
)

// String is the heading shown above the group.
func (g Group) String() string {
	switch g {
	case GroupCore:
		return "Core records"
	case GroupFields:
		return "Field definitions"
	case GroupSettings:
		return "Settings"
	}
	return "Other"
}

// Mode is a stream's sync mode, named as in the Airbyte protocol.
type Mode string

const (
	FullRefresh Mode = "full_refresh"
	Incremental Mode = "incremental"
)

// Label is the short on-screen name of the mode.
func (m Mode) Label() string {
	if m == Incremental {
		return "incremental"
	}
	return "full"
}

// StreamInfo describes one stream the user can pick.
type StreamInfo struct {
	Name                string
	Description         string
	Group               Group
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
	// DefaultOff: a per-parent stream left out of the first selection (its
	// cost grows with its parents; see streams.Stream.DefaultOff).
	DefaultOff bool
}

// Choice is one picked stream and its mode.
type Choice struct {
	Stream string
	Mode   Mode
}

// Format is an output format.
type Format string

const (
	FormatJSONL   Format = "jsonl"
	FormatCSV     Format = "csv"
	FormatAirbyte Format = "airbyte"
)

// FormatInfo is one output format the Output step offers (from
// store/output's registry, through the Backend).
type FormatInfo struct {
	Name        Format
	Label       string // "CSV", "Airbyte messages"
	Description string // what the files are good for
	Stdout      bool   // can write to "-" (standard output)
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
	// Dropped names the streams whose records of this run were not kept: a
	// full refresh into its own file that did not finish leaves the previous
	// file in place, so its records must not be reported as saved.
	Dropped map[string]bool
	// BudgetNote, after a stop for the daily budget, says what was left for
	// the company's other users and when the budget comes back ("" when
	// the run did not stop for it).
	BudgetNote string
}

// Backend is everything the UI needs from the rest of pdx.
type Backend interface {
	// Profile is the profile name shown in the header.
	Profile() string
	// Demo reports a run against the built-in simulator.
	Demo() bool
	// HasCredentials reports whether the profile already has a usable secret.
	HasCredentials() bool
	// DemoToken is a token to prefill on the Connect step ("" outside demo).
	DemoToken() string
	// OAuth reports whether OAuth login is available and, if not, why.
	OAuth() (available bool, reason string)
	// OAuthSignIn signs the profile in with OAuth (prompts, browser) on the
	// terminal the UI hands over while it steps aside (in, out), saves the
	// tokens and says who they belong to and where they went; only called
	// when OAuth() says it is available.
	OAuthSignIn(ctx context.Context, in io.Reader, out io.Writer) (id Identity, budget Budget, where string, err error)
	// Verify checks a token live (GET /v1/users/me) without saving it.
	Verify(ctx context.Context, token string) (Identity, Budget, error)
	// SaveToken stores the token for the profile and says where it went.
	SaveToken(token string) (where string, err error)
	// Whoami checks the stored credential; used to show who is connected.
	Whoami(ctx context.Context) (Identity, Budget, error)
	// Streams lists every stream, in display order.
	Streams() []StreamInfo
	// Formats lists the output formats, in display order.
	Formats() []FormatInfo
	// Settings returns the profile's remembered choices.
	Settings() Settings
	// SaveSettings remembers the choices for next time.
	SaveSettings(Settings) error
	// Estimate is the API tokens the choices will likely cost; complete is
	// false when some record counts are unknown (a first run), making tokens
	// a lower bound.
	Estimate(choices []Choice) (tokens int64, complete bool)
	// Run syncs the plan, reporting every engine event to obs, and returns
	// when the run ends or ctx is cancelled (after saving state).
	Run(ctx context.Context, plan Plan, obs engine.Sink) (Result, error)
	// Explain turns an error into one plain sentence with what to do next.
	Explain(err error) string
}

// Clock lets tests freeze time for golden screens.
type Clock func() time.Time
