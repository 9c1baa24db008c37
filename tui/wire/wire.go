// Package wire is the UI's real Backend: it connects tui to the saved
// profile (store/profile), the secret store (store/secret), the saved state
// (store/state), the use cases (app: plan and run a sync, the API client,
// the demo) and the output formats (store/output). `pdx` and
// `pdx --demo` build one with New; tests of the UI use a fake instead.
package wire

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/pdxhq/pdx/app"
	"github.com/pdxhq/pdx/source/client"
	"github.com/pdxhq/pdx/source/engine"
	"github.com/pdxhq/pdx/source/streams"
	"github.com/pdxhq/pdx/store/output"
	"github.com/pdxhq/pdx/store/profile"
	"github.com/pdxhq/pdx/store/secret"
	"github.com/pdxhq/pdx/store/state"
	"github.com/pdxhq/pdx/tui"
)

// Options choose the profile.
type Options struct {
	// Profile is the profile name; "" means the config's default.
	Profile string
	// Demo runs against the built-in simulator with a temporary profile:
	// nothing is read from or written to the config, keyring or state.
	Demo bool
	// Secrets overrides the secret store (tests); nil opens the real one
	// (or a memory store for the demo).
	Secrets *secret.Store
	// ConfigDir and StateDir override the stores' directories (tests).
	ConfigDir, StateDir string
	// NoKeyring keeps secrets out of the OS keyring (PDX_NO_KEYRING), as
	// `pdx auth login` does: they go to the profile's 0600 file.
	NoKeyring bool
	// DemoReset starts the demo over: its state and memory are removed.
	DemoReset bool
	// OAuth turns the UI's OAuth sign-in on (nil: off) and holds its
	// fixed options: the browser opener, and in tests the client id and
	// secret and the servers. The profile is the Backend's.
	OAuth *app.OAuthLogin
}

// Backend implements tui.Backend.
type Backend struct {
	name     string
	demo     *app.Demo
	profiles *profile.Store // nil in the demo
	secrets  *secret.Store
	// states is the state store (nil in the demo, whose states are its
	// session's); a run's state is that of its destination.
	states      *state.Store
	demoSession *app.DemoSession // the demo with its memory between runs
	saved       profile.Profile  // the profile as saved, for DestState

	oauth *app.OAuthLogin

	mu       sync.Mutex
	prof     profile.Profile
	lastSeen tui.Identity
	warnings bytes.Buffer // secret-store warnings, shown instead of printed over the UI
}

// New opens the stores for the profile (or starts the demo simulator). The
// caller must Close it.
func New(o Options) (*Backend, error) {
	b := &Backend{oauth: o.OAuth}
	if o.Demo {
		ss := state.OpenDir(o.StateDir)
		if o.StateDir == "" {
			var err error
			if ss, err = state.Open(); err != nil {
				return nil, err
			}
		}
		base := profile.Profile{Format: output.DefaultFormat, OutDir: app.DemoOutDir()}
		ds, err := app.OpenDemo(ss, o.DemoReset, base, func(mem app.DemoMemory, p profile.Profile) profile.Profile {
			if mem.Format != "" {
				p.Format = mem.Format
			}
			if mem.OutDir != "" {
				p.OutDir = mem.OutDir
			}
			p.Streams, p.StreamModes = mem.Streams, mem.Modes
			return p
		})
		if err != nil {
			return nil, err
		}
		b.demo, b.demoSession, b.name, b.prof = ds.Demo, ds, app.DemoProfile, ds.Profile
		b.secrets = secret.NewMemory()
		if o.Secrets != nil {
			b.secrets = o.Secrets
		}
		if _, err := b.destState(b.prof); err != nil {
			ds.Close()
			return nil, err // a damaged state file is said before the UI starts
		}
		return b, nil
	}
	b.profiles = profile.OpenDir(o.ConfigDir)
	if o.ConfigDir == "" {
		ps, err := profile.Open()
		if err != nil {
			return nil, err
		}
		b.profiles = ps
	}
	cfg, err := b.profiles.Load()
	if err != nil {
		return nil, err
	}
	name, p, _ := cfg.Resolve(o.Profile)
	if err := profile.ValidateName(name); err != nil {
		return nil, err
	}
	b.name, b.prof, b.saved = name, p, p
	b.secrets = o.Secrets
	if b.secrets == nil {
		b.secrets = secret.New(secret.Options{Dir: b.profiles.Dir(), NoKeyring: o.NoKeyring, Warn: &b.warnings})
	}
	ss := state.OpenDir(o.StateDir)
	if o.StateDir == "" {
		if ss, err = state.Open(); err != nil {
			return nil, err
		}
	}
	b.states = ss
	if _, err := b.destState(p); err != nil {
		return nil, err // a damaged state file is said before the UI starts
	}
	return b, nil
}

// destState is the state of the destination p's format and out dir name
// (app.DestState): what the Streams step shows and a run continues.
func (b *Backend) destState(p profile.Profile) (*state.Profile, error) {
	pl := app.Plan{OutDir: p.OutDir}
	name := p.Format
	if name == "" {
		name = output.DefaultFormat
	}
	f, ok := output.Lookup(name)
	if !ok {
		return nil, output.ValidFormat(name)
	}
	pl.Format = f
	if pl.OutDir == "" {
		pl.OutDir = app.DefaultOutDir
	}
	if b.demoSession != nil {
		return b.demoSession.State(pl)
	}
	return app.DestState(b.states, b.name, b.saved, pl)
}

// shownState is destState of the current profile, or an empty state when
// it cannot be read (Run says why).
func (b *Backend) shownState() *state.Profile {
	st, err := b.destState(b.profileCopy())
	if err != nil {
		return state.Ephemeral(b.name)
	}
	return st
}

// Close stops the demo simulator, if any.
func (b *Backend) Close() {
	if b.demo != nil {
		b.demo.Close()
	}
}

// Profile implements tui.Backend.
func (b *Backend) Profile() string { return b.name }

// Demo implements tui.Backend.
func (b *Backend) Demo() bool { return b.demo != nil }

// DemoToken implements tui.Backend.
func (b *Backend) DemoToken() string {
	if b.demo == nil {
		return ""
	}
	return b.demo.Secret.APIToken
}

// HasCredentials implements tui.Backend.
func (b *Backend) HasCredentials() bool {
	s, _, err := b.secrets.Get(b.name)
	return err == nil && !s.Empty()
}

// OAuth implements tui.Backend.
func (b *Backend) OAuth() (bool, string) {
	switch {
	case b.demo != nil:
		return false, "the demo signs in with its API token."
	case b.oauth == nil:
		return false, "this build of pdx has no OAuth sign-in yet."
	}
	return true, ""
}

// OAuthSignIn implements tui.Backend with the CLI's own OAuth login (the
// same questions on the terminal, the browser), in this process: the
// tokens are saved where `pdx auth login --oauth` saves them, and the
// profile it saved is the one this Backend goes on with.
func (b *Backend) OAuthSignIn(ctx context.Context, in io.Reader, out io.Writer) (tui.Identity, tui.Budget, string, error) {
	if ok, reason := b.OAuth(); !ok {
		return tui.Identity{}, tui.Budget{}, "", errors.New("OAuth sign-in is not available: " + reason)
	}
	o := *b.oauth
	o.Profile = b.name
	b.warnings.Reset()
	res, err := app.Auth{Profiles: b.profiles, Secrets: b.secrets}.LoginOAuth(ctx, o, app.NewPrompter(in, out, false))
	if err != nil {
		return tui.Identity{}, tui.Budget{}, "", err
	}
	id := tui.Identity{User: res.Me.Name, Company: res.Me.CompanyName}
	b.mu.Lock()
	b.prof, b.lastSeen = res.Saved, id
	b.mu.Unlock()
	bu := res.Budget
	return id, tui.Budget{Known: bu.Known, Limit: bu.Limit, Remaining: bu.Remaining}, "in " + res.Where.String(), nil
}

// profileCopy is the current profile under the lock.
func (b *Backend) profileCopy() profile.Profile {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.prof
}

// check asks /v1/users/me who the secret belongs to.
func (b *Backend) check(ctx context.Context, sec secret.Secret) (tui.Identity, tui.Budget, error) {
	cl, err := app.NewClient(app.Conn{Profile: b.profileCopy(), Secret: sec, Persist: b.persist})
	if err != nil {
		return tui.Identity{}, tui.Budget{}, err
	}
	me, err := cl.Me(ctx)
	if err != nil {
		return tui.Identity{}, tui.Budget{}, err
	}
	id := tui.Identity{User: me.Name, Company: me.CompanyName}
	b.mu.Lock()
	b.lastSeen = id
	b.prof.User, b.prof.Company, b.prof.CompanyDomain = me.Name, me.CompanyName, me.CompanyDomain
	b.mu.Unlock()
	return id, cl.Budget(), nil
}

// persist saves rotated OAuth tokens.
func (b *Backend) persist(s secret.Secret) error {
	_, err := b.secrets.Set(b.name, s)
	return err
}

// Verify implements tui.Backend.
func (b *Backend) Verify(ctx context.Context, token string) (tui.Identity, tui.Budget, error) {
	return b.check(ctx, secret.Secret{APIToken: strings.TrimSpace(token)})
}

// Whoami implements tui.Backend.
func (b *Backend) Whoami(ctx context.Context) (tui.Identity, tui.Budget, error) {
	sec, _, err := b.secrets.Get(b.name)
	if err != nil {
		return tui.Identity{}, tui.Budget{}, err
	}
	return b.check(ctx, sec)
}

// SaveToken implements tui.Backend: the secret goes to the secret store,
// the auth type and who it belongs to to the profile.
func (b *Backend) SaveToken(token string) (string, error) {
	b.warnings.Reset()
	loc, err := b.secrets.Set(b.name, secret.Secret{APIToken: strings.TrimSpace(token)})
	if err != nil {
		return "", fmt.Errorf("save the token: %w", err)
	}
	b.mu.Lock()
	b.prof.AuthType = profile.AuthToken
	b.mu.Unlock()
	if err := b.saveProfile(); err != nil {
		return "", err
	}
	if b.demo != nil {
		return "in memory for this demo only (nothing goes to disk or the keyring)", nil
	}
	return "in " + loc.String(), nil
}

// saveProfile writes the profile back to the config (not in the demo).
func (b *Backend) saveProfile() error {
	if ds := b.demoSession; ds != nil {
		p := b.profileCopy()
		ds.Memory.Streams, ds.Memory.Modes, ds.Memory.Format, ds.Memory.OutDir = p.Streams, p.StreamModes, p.Format, p.OutDir
		return ds.Save()
	}
	if b.profiles == nil {
		return nil
	}
	cfg, err := b.profiles.Load()
	if err != nil {
		return err
	}
	cfg.Put(b.name, b.profileCopy())
	return b.profiles.Save(cfg)
}

// Streams implements tui.Backend.
func (b *Backend) Streams() []tui.StreamInfo {
	here := map[string]app.DestStream{}
	for _, ds := range app.DestStreams(b.shownState()) {
		here[ds.Name] = ds
	}
	p := b.profileCopy()
	last := map[string]engine.Mode{}
	for _, n := range p.Streams {
		last[n] = p.ModeFor(n)
	}
	var out []tui.StreamInfo
	for _, s := range streams.All() {
		ds := here[s.Name]
		out = append(out, tui.StreamInfo{Name: s.Name, Description: s.Description, Group: s.Group,
			SupportsIncremental: s.SupportsIncremental(), LastCount: ds.Records, HasState: ds.Has,
			Cursor: ds.Cursor, Synced: ds.Synced, LastMode: last[s.Name], DefaultOff: s.DefaultOff})
	}
	// Group order (core, fields, settings), table order within a group.
	var sorted []tui.StreamInfo
	for _, g := range []streams.Group{streams.Core, streams.Fields, streams.Settings} {
		for _, s := range out {
			if s.Group == g {
				sorted = append(sorted, s)
			}
		}
	}
	return sorted
}

// Formats implements tui.Backend: store/output's registry.
func (b *Backend) Formats() []tui.FormatInfo {
	var out []tui.FormatInfo
	for _, f := range output.Formats() {
		out = append(out, tui.FormatInfo{Name: tui.Format(f.Name), Label: f.Label, Description: f.Description, Stdout: f.Stdout,
			OneFile: f.OneFile, StagesFullRefresh: f.StagesFullRefresh})
	}
	return out
}

// Settings implements tui.Backend.
func (b *Backend) Settings() tui.Settings {
	p := b.profileCopy()
	s := tui.Settings{Format: tui.Format(p.Format), OutDir: p.OutDir}
	if s.OutDir == "" {
		s.OutDir = app.DefaultOutDir
	}
	for _, n := range p.Streams {
		s.Streams = append(s.Streams, tui.Choice{Stream: n, Mode: p.ModeFor(n)})
	}
	return s
}

// SaveSettings implements tui.Backend: the choices become the profile's
// streams, per-stream modes, format and directory, so `pdx sync --no-tui`
// repeats them.
func (b *Backend) SaveSettings(s tui.Settings) error {
	b.mu.Lock()
	b.prof.Streams = nil
	b.prof.StreamModes = map[string]engine.Mode{}
	for _, c := range s.Streams {
		b.prof.Streams = append(b.prof.Streams, c.Stream)
		b.prof.StreamModes[c.Stream] = c.Mode
	}
	// The directory is remembered absolute: a relative one would follow
	// the current directory, so the next run (or cron, from $HOME) would
	// write elsewhere and miss the files the saved state belongs to.
	if s.OutDir != "-" && s.OutDir != "" && !filepath.IsAbs(s.OutDir) {
		if abs, err := filepath.Abs(s.OutDir); err == nil {
			s.OutDir = abs
		}
	}
	b.prof.Format, b.prof.OutDir = string(s.Format), s.OutDir
	b.mu.Unlock()
	return b.saveProfile()
}

// Estimate implements tui.Backend: app's estimate at the last run's
// counts, and the days a selection over today's budget takes at b (the
// budget pdx read last when the UI has none yet), less the profile's
// reserve, at most its token cap.
func (b *Backend) Estimate(choices []tui.Choice, bu tui.Budget) tui.Estimate {
	shown := b.shownState()
	counts := shown.Run().Counts
	info := map[string]tui.StreamInfo{}
	for _, si := range b.Streams() {
		info[si.Name] = si
	}
	var list []engine.ConfiguredStream
	for _, c := range choices {
		list = append(list, engine.ConfiguredStream{Name: c.Stream, Mode: c.Mode})
	}
	p := b.profileCopy()
	if !bu.Known {
		bu = app.BudgetNow(shown.BudgetMemo(), time.Now())
	}
	reserve, _ := client.ParseReserve(p.BudgetReserve) // validated with the profile
	allow := app.Allowance{Budget: bu, Reserve: reserve, MaxTokens: p.MaxTokens}
	out := tui.Estimate{Complete: true, Streams: map[string]tui.StreamCost{}}
	for _, e := range app.EstimateStreams(list, counts) {
		sc := tui.StreamCost{Tokens: e.Tokens, Complete: e.Known && fullSizes(e, info), Scan: e.Scan}
		bf := allow.Backfill(e.Tokens)
		if !bf.Fits() {
			sc.Days, sc.DaysShort = bf.Text(), bf.Short()
		}
		sc.DayCount = bf.Days
		out.Streams[e.Stream] = sc
		out.Tokens += e.Tokens
		out.Complete = out.Complete && sc.Complete
	}
	if bf := allow.Backfill(out.Tokens); !bf.Fits() {
		out.Days, out.DaysShort = bf.Text(), bf.Short()
	}
	return out
}

// fullSizes reports whether the counts an estimate of a read of all of the
// stream rests on are whole sizes: a run reading all of it (a full
// refresh, no state, or a stream that scans all whatever changed) costs its
// full size, and a count is one only if that run read all of it too: after
// an incremental run it is the changes, so the figure is a floor. A child
// reading all rests on its parents' counts.
func fullSizes(e app.Estimate, info map[string]tui.StreamInfo) bool {
	si := info[e.Stream]
	if !si.ReadsAll(e.Mode) && !e.ScansAll {
		return true
	}
	st, _ := streams.Lookup(e.Stream)
	names := []string{e.Stream}
	if st.Parent != nil && !st.Parent.FixedOnly() {
		names = st.Parent.Streams()
	}
	for _, n := range names {
		if _, full := info[n].FullSize(); !full {
			return false
		}
	}
	return true
}

// Run implements tui.Backend.
func (b *Backend) Run(ctx context.Context, plan tui.Plan, obs engine.Sink) (tui.Result, error) {
	sec, _, err := b.secrets.Get(b.name)
	if err != nil {
		return tui.Result{}, err
	}
	p := b.profileCopy()
	p.Streams, p.StreamModes, p.Mode = nil, map[string]engine.Mode{}, ""
	for _, c := range plan.Streams {
		p.Streams = append(p.Streams, c.Stream)
		p.StreamModes[c.Stream] = c.Mode
	}
	p.Format, p.OutDir = string(plan.Format), plan.OutDir
	st, err := b.destState(p)
	if err != nil {
		return tui.Result{}, err
	}
	sum, err := app.Run(ctx, app.Options{
		ProfileName: b.name, Profile: p, Secret: sec, Persist: b.persist, State: st,
		Observers: []engine.Sink{obs},
		Notice: func(msg string) {
			// Notices reach the screen as warnings through the tracker.
			_ = obs.Emit(ctx, engine.Event{Kind: engine.Log, Level: engine.LevelWarn, Message: msg})
		},
	})
	if b.demoSession != nil && len(sum.Streams) > 0 {
		// The next demo starts where this one left the simulated company.
		if serr := b.demoSession.Ran(); serr != nil && err == nil {
			err = serr
		}
	}
	return resultOf(sum, !st.IsEphemeral()), err
}

var _ tui.Backend = (*Backend)(nil)
