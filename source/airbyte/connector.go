package airbyte

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime/debug"
	"sort"
	"sync"
	"time"

	"github.com/pdxhq/pdx/source/client"
	"github.com/pdxhq/pdx/source/engine"
	"github.com/pdxhq/pdx/source/oauth"
	"github.com/pdxhq/pdx/source/schema"
	"github.com/pdxhq/pdx/source/streams"
)

// Exit codes of the connector commands (the same as the CLI's).
const (
	ExitOK      = 0
	ExitFailure = 1
	ExitBudget  = 3 // daily API budget exhausted, state saved
)

// Env is what the commands write to and talk through.
type Env struct {
	Stdout io.Writer // protocol messages only
	Stderr io.Writer // masked plain-text diagnostics
	// HTTPClient is used for Pipedrive requests (nil: the client's default).
	HTTPClient *http.Client
	// Now is the clock for emitted_at (nil: time.Now).
	Now func() time.Time
	// Concurrency overrides the config's concurrency when > 0.
	Concurrency int
}

func (e Env) writer() *Writer {
	w := NewWriter(e.Stdout)
	if e.Now != nil {
		w.SetClock(e.Now)
	}
	return w
}

// File is one input of a command as the caller read it: its bytes, or why
// it could not be read. source/airbyte reads no files itself.
type File struct {
	Data []byte
	Err  error
}

// Command is one connector command (check, discover, read) under way: its
// protocol writer, the masker of every secret seen so far and, once
// LoadConfig succeeded, the config. The application runs the steps; every
// protocol message and exit code comes from here.
type Command struct {
	env  Env
	w    *Writer
	mask *Masker
	cfg  *Config
}

// Start begins a command writing to env.Stdout.
func Start(env Env) *Command { return &Command{env: env, w: env.writer(), mask: NewMasker()} }

// outputError is a failure to write to stdout: nothing more can be said
// there, so the command just exits 1.
type outputError struct{ error }

// OutputFailed reports an error of writing to stdout: the command can only
// exit 1.
func OutputFailed(err error) bool {
	var oe outputError
	return errors.As(err, &oe)
}

// Recover turns a panic into a system_error TRACE and exit 1: only a bug in
// pdx gets here, and the platform must see a protocol message, not a Go
// stack trace on stdout. Use it as `defer c.Recover(&code)`.
func (c *Command) Recover(code *int) {
	r := recover()
	if r == nil {
		return
	}
	msg := c.mask.String(fmt.Sprint(r))
	fmt.Fprintf(c.mask.Writer(c.env.Stderr), "pdx: internal error: %s\n%s", msg, c.mask.String(string(debug.Stack())))
	_ = c.w.Write(&Message{Type: TypeTrace, Trace: &TraceMessage{Type: "ERROR", Error: &ErrorTrace{
		Message: "pdx hit an internal error; please report it", InternalMessage: msg, FailureType: FailureSystem,
	}}})
	*code = ExitFailure
}

// RunSpec prints the SPEC message.
func RunSpec(env Env) (code int) {
	c := Start(env)
	defer c.Recover(&code)
	m, err := SpecMessage()
	if err == nil {
		err = c.w.Write(m)
	}
	if err != nil {
		fmt.Fprintln(env.Stderr, "pdx spec:", err)
		return ExitFailure
	}
	return ExitOK
}

// LoadConfig parses the config; the masker hides its secrets from then on,
// even when it does not parse. A migrated config is sent to the platform
// as a CONTROL message.
func (c *Command) LoadConfig(f File) error {
	if f.Err != nil {
		return configErr("cannot read the config file: %v", f.Err)
	}
	cfg, err := ParseConfig(f.Data)
	if err != nil {
		c.mask = NewMasker(SecretsFromJSON(f.Data)...)
		return err
	}
	c.cfg, c.mask = cfg, cfg.Masker()
	if cfg.Migrated() {
		if err := c.w.Write(cfg.ControlMessage()); err != nil {
			return outputError{err}
		}
	}
	return nil
}

// Config is the loaded config (nil before LoadConfig succeeded).
func (c *Command) Config() *Config { return c.cfg }

// Write writes one protocol message.
func (c *Command) Write(m *Message) error { return c.w.Write(m) }

// Status ends `check`: CONNECTION_STATUS SUCCEEDED or FAILED with msg. Both
// exit 0; only a pdx bug or a broken stdout exits non-zero.
func (c *Command) Status(ok bool, msg string) int {
	st := &ConnectionStatus{Status: "SUCCEEDED", Message: c.mask.String(msg)}
	if !ok {
		st.Status = "FAILED"
	}
	if err := c.w.Write(&Message{Type: TypeConnectionStatus, ConnectionStatus: st}); err != nil {
		fmt.Fprintln(c.mask.Writer(c.env.Stderr), "pdx check:", err)
		return ExitFailure
	}
	return ExitOK
}

// Client builds the Pipedrive client the config describes. With OAuth,
// every rotated token set is sent as a CONTROL message carrying the complete
// new config before the new access token is used (the platform stores it),
// and the new tokens are masked from then on.
//
// Only ErrInvalidConfig errors are the user's to fix; others (an OAuth server
// that is down) are transient.
func (c *Command) Client(ctx context.Context) (*client.Client, error) {
	cfg, env, w, mask := c.cfg, c.env, c.w, c.mask
	if cfg == nil {
		return nil, configErr("no config loaded")
	}
	opts := client.Options{BaseURL: cfg.APIBaseURL, HTTPClient: env.HTTPClient, Reserve: cfg.Reserve()}
	switch cfg.Credentials.AuthType {
	case AuthAPIToken:
		opts.Auth = client.TokenAuth(cfg.Credentials.APIToken)
	case AuthOAuth:
		cr := cfg.Credentials
		var mu sync.Mutex
		persist := func(t oauth.Tokens) error {
			mu.Lock()
			defer mu.Unlock()
			mask.Add(t.AccessToken, t.RefreshToken)
			next := *cfg
			next.Credentials.AccessToken = t.AccessToken
			if t.RefreshToken != "" {
				next.Credentials.RefreshToken = t.RefreshToken
			}
			if !t.Expiry.IsZero() {
				next.Credentials.TokenExpiryDate = t.Expiry.UTC().Format(time.RFC3339)
			}
			if t.APIDomain != "" {
				next.Credentials.APIDomain = t.APIDomain
			}
			if err := w.Write(next.ControlMessage()); err != nil {
				return fmt.Errorf("send the rotated OAuth tokens to the platform: %w", err)
			}
			*cfg = next
			return nil
		}
		src, err := oauth.NewSource(oauth.Config{
			ClientID:     cr.ClientID,
			ClientSecret: cr.ClientSecret,
			// No oauth_base_url: Pipedrive's server, or the sandbox's own
			// when api_base_url is a loopback one (as for profiles).
			BaseURL:    cmp.Or(cfg.OAuthBaseURL, oauth.ServerFor(cfg.APIBaseURL)),
			HTTPClient: env.HTTPClient,
			LoginHint:  "re-authenticate the Pipedrive source (OAuth) in Airbyte",
		}, oauth.Tokens{AccessToken: cr.AccessToken, RefreshToken: cr.RefreshToken, Expiry: cfg.TokenExpiry(), APIDomain: cr.APIDomain}, persist)
		if err != nil {
			return nil, configErr("%v", err)
		}
		// Get a valid access token now: a revoked grant is a clear config
		// error here instead of a request the client would retry.
		if _, err := src.Token(ctx); err != nil {
			if oauth.NeedsLogin(err) {
				return nil, fmt.Errorf("%w: %v", ErrInvalidConfig, err)
			}
			return nil, fmt.Errorf("sign in to Pipedrive (OAuth): %w", err)
		}
		opts.Auth, opts.OAuth = src, true
	default:
		return nil, configErr("credentials.auth_type %q is not supported", cfg.Credentials.AuthType)
	}
	cl, err := client.New(opts)
	if err != nil {
		return nil, configErr("%v", err)
	}
	return cl, nil
}

// failure classifies an error for an ERROR trace.
func failure(err error) engine.FailureType {
	if errors.Is(err, ErrInvalidConfig) || errors.Is(err, ErrInvalidCatalog) || errors.Is(err, ErrInvalidState) {
		return engine.ConfigError // what the platform handed over is unusable
	}
	return engine.FailureOf(err)
}

// Fail writes a TRACE ERROR for a whole-command failure (msg says what
// failed) and returns its exit code.
func (c *Command) Fail(msg string, err error) int {
	if OutputFailed(err) {
		return ExitFailure
	}
	w, mask := c.w, c.mask
	ft := failure(err)
	detail := err.Error()
	_ = w.Write(&Message{Type: TypeTrace, Trace: &TraceMessage{Type: "ERROR", Error: &ErrorTrace{
		Message: mask.String(msg + ": " + detail), InternalMessage: mask.String(detail), FailureType: string(ft),
	}}})
	if client.IsBudgetExhausted(err) {
		return ExitBudget
	}
	return ExitFailure
}

// BuildCatalog makes the catalog of every stream; fieldsOf gives an
// entity's custom field definitions (the application reads them once).
func BuildCatalog(fieldsOf func(entity string) ([]schema.Field, error)) (*Catalog, error) {
	cat := &Catalog{}
	for _, st := range streams.All() {
		js, err := schema.Base(st.Name)
		if err != nil {
			return nil, err
		}
		if st.FieldsEntity != "" && schema.HasCustomSlot(js, int(st.Version)) {
			fs, err := fieldsOf(st.FieldsEntity)
			if err != nil {
				return nil, err
			}
			if js, err = schema.WithCustomFields(js, int(st.Version), fs); err != nil {
				return nil, fmt.Errorf("stream %s: %w", st.Name, err)
			}
		}
		if st.Tombstoned() {
			if js, err = schema.WithDeletedAt(js); err != nil {
				return nil, fmt.Errorf("stream %s: %w", st.Name, err)
			}
		}
		cat.Streams = append(cat.Streams, CatalogStream(st, js))
	}
	return cat, nil
}

// CatalogStream describes one stream of the table for the catalog.
func CatalogStream(st streams.Stream, js json.RawMessage) Stream {
	out := Stream{Name: st.Name, JSONSchema: js, SupportedSyncModes: modeNames([]engine.Mode{engine.FullRefresh})}
	for _, k := range st.PrimaryKey {
		out.SourceDefinedPrimaryKey = append(out.SourceDefinedPrimaryKey, []string{k})
	}
	if st.SupportsIncremental() {
		out.SupportedSyncModes = append(out.SupportedSyncModes, string(engine.Incremental))
		out.SourceDefinedCursor = true
		out.DefaultCursorField = []string{st.CursorField()}
		out.IsResumable = true
	}
	return out
}

// Modes is the StreamModes of the streams table.
func Modes(name string) ([]engine.Mode, bool) {
	st, ok := streams.Lookup(name)
	if !ok {
		return nil, false
	}
	modes := []engine.Mode{engine.FullRefresh}
	if st.SupportsIncremental() {
		modes = append(modes, engine.Incremental)
	}
	return modes, true
}

// ReadPlan is what a read runs: the configured streams, the state file's
// states of those streams, and the config's start date and concurrency.
type ReadPlan struct {
	Streams     []engine.ConfiguredStream
	State       map[string]json.RawMessage
	StartDate   time.Time
	Concurrency int
	MaxTokens   int64

	names   []string
	ignored []string // streams with state but not configured
	unknown []string // configured streams pdx does not have
	notes   []string // modes read differently from what was asked
	sink    *Sink
}

// PlanRead parses the configured catalog and the state (nil: a first sync)
// against the loaded config. On error, msg says what failed for Fail.
func (c *Command) PlanRead(catalog File, state *File) (rp *ReadPlan, msg string, err error) {
	if catalog.Err != nil {
		return nil, "Cannot read the configured catalog", fmt.Errorf("%w: %v", ErrInvalidCatalog, catalog.Err)
	}
	cat, err := ParseConfiguredCatalog(catalog.Data, Modes)
	if err != nil {
		return nil, "The configured catalog is invalid", err
	}
	saved := map[string]json.RawMessage{}
	if state != nil {
		if state.Err != nil {
			return nil, "Cannot read the state file", fmt.Errorf("%w: %v", ErrInvalidState, state.Err)
		}
		if saved, err = ParseState(state.Data); err != nil {
			return nil, "The state file is invalid", err
		}
	}
	rp = &ReadPlan{State: map[string]json.RawMessage{}, names: cat.Names(), unknown: cat.Unknown, notes: cat.Notes}
	if c.cfg != nil {
		rp.StartDate, rp.Concurrency, rp.MaxTokens = c.cfg.Start(), c.cfg.Concurrency, c.cfg.MaxTokens
	}
	if c.env.Concurrency > 0 {
		rp.Concurrency = c.env.Concurrency
	}
	configured := map[string]bool{}
	for _, s := range cat.Streams {
		name := s.Stream.Name
		configured[name] = true
		rp.Streams = append(rp.Streams, engine.ConfiguredStream{Name: name, Mode: s.SyncMode})
		if st, ok := saved[name]; ok {
			rp.State[name] = st
		}
	}
	for name := range saved {
		if !configured[name] {
			rp.ignored = append(rp.ignored, name)
		}
	}
	sort.Strings(rp.ignored)
	return rp, "", nil
}

// Sink is the protocol sink of the read: RECORD, STATE, status and log
// messages. The first call says which state was ignored.
func (rp *ReadPlan) Sink(c *Command) *Sink {
	if rp.sink == nil {
		rp.sink = NewSink(c.w, c.mask, rp.names)
		for _, name := range rp.ignored {
			_ = rp.sink.Log("WARN", fmt.Sprintf("state for stream %q ignored: it is not in the configured catalog", name))
		}
		for _, n := range rp.notes {
			_ = rp.sink.Log("WARN", n)
		}
		for _, name := range rp.unknown {
			// As the Python CDK with raise_exception_on_missing_stream
			// False (its default): INCOMPLETE, no error trace, and the
			// read goes on; the exit code is that of the known streams,
			// so a catalog made for the old connector syncs what pdx has.
			_ = rp.sink.Log("WARN", fmt.Sprintf("stream %q is not a stream of this source (run discover for the list): skipped", name))
			_ = rp.sink.status(name, StatusIncomplete)
		}
	}
	return rp.sink
}

// FinishRead ends the read after the engine returned: every configured
// stream gets its final status. Exit 0 only when every configured stream
// completed; 3 when the daily API budget ran out (state saved); 1 otherwise.
func (c *Command) FinishRead(rp *ReadPlan, res engine.Result, runErr error) int {
	sink := rp.Sink(c)
	sum, werr := sink.Finish(rp.names, runErr)
	if runErr != nil {
		_ = sink.Error("", failure(runErr), "The sync failed: "+runErr.Error(), runErr.Error())
	}
	switch {
	case werr != nil:
		fmt.Fprintln(c.mask.Writer(c.env.Stderr), "pdx read:", werr)
		return ExitFailure
	case runErr == nil && sum.OK() && res.OK():
		return ExitOK
	}
	if _, budget := res.BudgetExhausted(); budget || sum.Budget {
		return ExitBudget
	}
	return ExitFailure
}
