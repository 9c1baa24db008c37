package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pdxhq/pdx/source/client"
	"github.com/pdxhq/pdx/source/engine"
	"github.com/pdxhq/pdx/source/startdate"
	"github.com/pdxhq/pdx/source/streams"
	"github.com/pdxhq/pdx/store/output"
	"github.com/pdxhq/pdx/store/profile"
)

// DefaultOutDir is where files go when neither --out nor the profile says.
const DefaultOutDir = "pdx-data"

// Plan is a sync resolved from a profile: what is read, in which mode, and
// where it goes. PlanSync makes one; `pdx sync` and the UI show it (and
// refuse a bad one as a usage error) and Run runs it.
type Plan struct {
	Streams []engine.ConfiguredStream
	// Notes are what the plan changed from the request (a stream that is
	// read in full although incremental was asked).
	Notes  []string
	Format output.Format
	// OutDir is the output directory as given ("-": standard output).
	OutDir      string
	StartDate   time.Time // zero: none
	Concurrency int       // streams read at once (0: the engine's default)
	// Readable: JSONL and Airbyte records get decoded custom fields
	// (readable.Key) beside the API's; RawIDs: CSV writes option ids.
	Readable, RawIDs bool
	MaxTokens        int64 // the run's token cap (0: none; see engine.Options.MaxTokens)
	// SweepArchived: this run reconciles deletes, so the archived lists
	// are swept whole too (engine.Options.SweepArchived).
	SweepArchived bool
}

// execute runs the plan's streams with the engine, the one place a plan
// becomes an engine run (`pdx sync`, the UI, `pdx read`). Only incremental
// streams start from their saved state: a full refresh reads everything,
// so its state (if any) must not filter. estimates are last run's record
// counts (nil: unknown).
func (p Plan) execute(ctx context.Context, cl *client.Client, saved map[string]json.RawMessage, sink engine.Sink, now func() time.Time, estimates map[string]int64) (engine.Result, error) {
	state := map[string]json.RawMessage{}
	for _, cs := range p.Streams {
		if st, ok := saved[cs.Name]; ok && cs.Mode == engine.Incremental {
			state[cs.Name] = st
		}
	}
	return engine.Run(ctx, engine.Options{
		Client: cl, Streams: p.Streams, State: state, StartDate: p.StartDate, Concurrency: p.Concurrency,
		Sink: sink, Now: now, Estimates: estimates, MaxTokens: p.MaxTokens, SweepArchived: p.SweepArchived,
	})
}

// Names are the planned streams, in order.
func (p Plan) Names() []string {
	out := make([]string, len(p.Streams))
	for i, cs := range p.Streams {
		out[i] = cs.Name
	}
	return out
}

// Modes are the planned streams' modes.
func (p Plan) Modes() map[string]engine.Mode {
	out := map[string]engine.Mode{}
	for _, cs := range p.Streams {
		out[cs.Name] = cs.Mode
	}
	return out
}

// PlanSync resolves the profile's streams, modes, format, output directory
// and start date, and checks they go together. Streams default to all, the
// mode to incremental where the stream supports it, the format to
// output.DefaultFormat, the directory to DefaultOutDir.
func PlanSync(p profile.Profile) (Plan, error) {
	if err := p.Validate(); err != nil {
		return Plan{}, err
	}
	return planSync(p)
}

// planSync is PlanSync of a validated profile.
func planSync(p profile.Profile) (Plan, error) {
	var pl Plan
	var err error
	if pl.Streams, pl.Notes, err = resolveStreams(p); err != nil {
		return Plan{}, err
	}
	name := p.Format
	if name == "" {
		name = output.DefaultFormat
	}
	f, ok := output.Lookup(name)
	if !ok {
		return Plan{}, output.ValidFormat(name)
	}
	pl.Format, pl.Concurrency = f, p.Concurrency
	pl.Readable, pl.RawIDs = p.Readable, p.RawIDs
	pl.MaxTokens = p.MaxTokens
	pl.OutDir = p.OutDir
	if pl.OutDir == "" {
		pl.OutDir = DefaultOutDir
	}
	if pl.OutDir == "-" && !f.Stdout {
		return Plan{}, fmt.Errorf("out dir \"-\" (stdout) needs --format %s; %s writes %s", strings.Join(output.StdoutNames(), " or "), f.Name, filesOf(f))
	}
	if p.StartDate != "" {
		if pl.StartDate, err = startdate.Parse(p.StartDate); err != nil {
			return Plan{}, err
		}
	}
	return pl, nil
}

func filesOf(f output.Format) string {
	if f.OneFile {
		return "one file"
	}
	return "one file per stream"
}

// resolveStreams picks the streams and their modes.
func resolveStreams(p profile.Profile) ([]engine.ConfiguredStream, []string, error) {
	names := p.Streams
	var notes []string
	if len(names) == 0 {
		// Per-parent streams (a request per deal, person, ...) only when named.
		names = streams.Defaults()
		if off := len(streams.Names()) - len(names); off > 0 {
			notes = append(notes, fmt.Sprintf("%d per-parent streams (changelogs, flows, followers, participants) are read only when named with --streams", off))
		}
	}
	var plan []engine.ConfiguredStream
	seen := map[string]bool{}
	for _, n := range names {
		n = strings.TrimSpace(n)
		if n == "" || seen[n] {
			continue
		}
		seen[n] = true
		st, ok := streams.Lookup(n)
		if !ok {
			return nil, nil, fmt.Errorf("unknown stream %q; streams are: %s", n, strings.Join(streams.Names(), ", "))
		}
		mode := engine.FullRefresh
		if p.ModeFor(n) == engine.Incremental {
			if st.SupportsIncremental() {
				mode = engine.Incremental
			} else if len(p.Streams) > 0 && (p.Mode == engine.Incremental || p.StreamModes[n] == engine.Incremental) {
				// Only worth saying when the user named the stream.
				notes = append(notes, fmt.Sprintf("%s supports only full refresh; reading it in full", n))
			}
		}
		plan = append(plan, engine.ConfiguredStream{Name: n, Mode: mode})
	}
	if len(plan) == 0 {
		return nil, nil, errors.New("no streams selected")
	}
	return plan, notes, nil
}
