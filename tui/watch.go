package tui

import (
	"context"
	"errors"
	"io"

	"github.com/pdxhq/pdx/source/engine"
)

// WatchOptions configure Watch: the progress and summary screens alone, for
// `pdx sync` in a terminal, where the choices come from the command line.
type WatchOptions struct {
	In        io.Reader
	Out       io.Writer
	NoColor   bool
	AltScreen bool
	Profile   string
	Demo      bool
	Plan      Plan
	// Totals are the previous run's record counts (determinate bars).
	Totals map[string]int64
	// Run performs the sync, reporting every event to obs.
	Run func(ctx context.Context, obs engine.Sink) (Result, error)
	// Explain turns errors into plain words (nil: a generic sentence).
	Explain func(error) string
}

// Watch shows a sync's live progress and its summary until the user quits.
func Watch(ctx context.Context, o WatchOptions) (Outcome, error) {
	if o.Run == nil {
		return Outcome{}, errors.New("tui: nothing to run")
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	c := NewCommon(watchBackend{o}, o.NoColor, nil)
	m := &Model{c: c, ctx: ctx, plan: o.Plan, step: StepRun, watch: true}
	return runProgram(ctx, cancel, m, programOptions(ctx, o.In, o.Out, o.AltScreen))
}

// watchBackend adapts WatchOptions to the Backend the model talks to; only
// the run-related methods are ever called.
type watchBackend struct{ o WatchOptions }

func (w watchBackend) Profile() string      { return w.o.Profile }
func (w watchBackend) Demo() bool           { return w.o.Demo }
func (w watchBackend) HasCredentials() bool { return true }
func (w watchBackend) DemoToken() string    { return "" }
func (w watchBackend) OAuth() (bool, string) {
	return false, "not available while watching a sync"
}
func (w watchBackend) OAuthSignIn(context.Context, io.Reader, io.Writer) (Identity, Budget, string, error) {
	return Identity{}, Budget{}, "", errors.New("not available while watching a sync")
}
func (w watchBackend) Verify(context.Context, string) (Identity, Budget, error) {
	return Identity{}, Budget{}, errors.New("not available while watching a sync")
}
func (w watchBackend) SaveToken(string) (string, error) {
	return "", errors.New("not available while watching a sync")
}
func (w watchBackend) Whoami(context.Context) (Identity, Budget, error) {
	return Identity{}, Budget{}, nil
}
func (w watchBackend) Streams() []StreamInfo {
	var out []StreamInfo
	for _, c := range w.o.Plan.Streams {
		n, ok := w.o.Totals[c.Stream]
		if !ok {
			n = -1
		}
		out = append(out, StreamInfo{Name: c.Stream, LastCount: n, SupportsIncremental: c.Mode == engine.Incremental})
	}
	return out
}
func (w watchBackend) Formats() []FormatInfo              { return nil } // the watch has no Output step
func (w watchBackend) Settings() Settings                 { return Settings{} }
func (w watchBackend) SaveSettings(Settings) error        { return nil }
func (w watchBackend) Estimate([]Choice, Budget) Estimate { return Estimate{} }
func (w watchBackend) Run(ctx context.Context, _ Plan, obs engine.Sink) (Result, error) {
	return w.o.Run(ctx, obs)
}
func (w watchBackend) Explain(err error) string {
	if w.o.Explain != nil {
		return w.o.Explain(err)
	}
	return "Something went wrong: " + err.Error() + "."
}
