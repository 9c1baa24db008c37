package airbyte

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime/debug"
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

// connectorBug turns a panic into a system_error TRACE and exit 1: only a
// bug in pdx gets here, and the platform must see a protocol message, not a
// Go stack trace on stdout.
func connectorBug(w *Writer, m *Masker, stderr io.Writer, code *int) {
	r := recover()
	if r == nil {
		return
	}
	msg := m.String(fmt.Sprint(r))
	fmt.Fprintf(m.Writer(stderr), "pdx: internal error: %s\n%s", msg, m.String(string(debug.Stack())))
	_ = w.Write(&Message{Type: TypeTrace, Trace: &TraceMessage{Type: "ERROR", Error: &ErrorTrace{
		Message: "pdx hit an internal error; please report it", InternalMessage: msg, FailureType: FailureSystem,
	}}})
	*code = ExitFailure
}

// RunSpec prints the SPEC message.
func RunSpec(env Env) (code int) {
	w := env.writer()
	defer connectorBug(w, nil, env.Stderr, &code)
	m, err := SpecMessage()
	if err == nil {
		err = w.Write(m)
	}
	if err != nil {
		fmt.Fprintln(env.Stderr, "pdx spec:", err)
		return ExitFailure
	}
	return ExitOK
}

// loadConfig reads and parses the config file. The masker it returns hides
// the secrets even when the config does not parse.
func loadConfig(path string) (*Config, *Masker, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, NewMasker(), configErr("cannot read the config file: %v", err)
	}
	cfg, err := ParseConfig(data)
	if err != nil {
		return nil, NewMasker(SecretsFromJSON(data)...), err
	}
	return cfg, cfg.Masker(), nil
}

// newClient builds the Pipedrive client the config describes. With OAuth,
// every rotated token set is sent as a CONTROL message carrying the complete
// new config before the new access token is used (the platform stores it),
// and the new tokens are masked from then on.
//
// Only ErrInvalidConfig errors are the user's to fix; others (an OAuth server
// that is down) are transient.
func newClient(ctx context.Context, cfg *Config, env Env, w *Writer, mask *Masker) (*client.Client, error) {
	opts := client.Options{BaseURL: cfg.APIBaseURL, HTTPClient: env.HTTPClient}
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
			BaseURL:      cfg.OAuthBaseURL,
			HTTPClient:   env.HTTPClient,
			LoginHint:    "re-authenticate the Pipedrive source (OAuth) in Airbyte",
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
	c, err := client.New(opts)
	if err != nil {
		return nil, configErr("%v", err)
	}
	return c, nil
}

// RunCheck tests the config: CONNECTION_STATUS SUCCEEDED with the company name,
// or FAILED with what to fix. Both exit 0; only a pdx bug exits non-zero.
func RunCheck(ctx context.Context, env Env, configPath string) (code int) {
	w := env.writer()
	var mask *Masker
	defer func() { connectorBug(w, mask, env.Stderr, &code) }()
	status := func(ok bool, msg string) int {
		st := &ConnectionStatus{Status: "SUCCEEDED", Message: mask.String(msg)}
		if !ok {
			st.Status = "FAILED"
		}
		if err := w.Write(&Message{Type: TypeConnectionStatus, ConnectionStatus: st}); err != nil {
			fmt.Fprintln(mask.Writer(env.Stderr), "pdx check:", err)
			return ExitFailure
		}
		return ExitOK
	}
	cfg, m, err := loadConfig(configPath)
	mask = m
	if err != nil {
		return status(false, err.Error())
	}
	if cfg.Migrated() {
		if err := w.Write(cfg.ControlMessage()); err != nil {
			return ExitFailure
		}
	}
	c, err := newClient(ctx, cfg, env, w, mask)
	if err != nil {
		return status(false, err.Error())
	}
	me, err := c.Me(ctx)
	if err != nil {
		return status(false, "Pipedrive did not accept the connection: "+err.Error())
	}
	msg := fmt.Sprintf("Connected to Pipedrive company %q", me.CompanyName)
	if me.Name != "" {
		msg += fmt.Sprintf(" as %s", me.Name)
	}
	return status(true, msg)
}

// failure classifies an error for an ERROR trace.
func failure(err error) engine.FailureType {
	switch {
	case errors.Is(err, ErrInvalidConfig), errors.Is(err, ErrInvalidCatalog), errors.Is(err, ErrInvalidState), client.IsConfig(err):
		return engine.ConfigError
	case oauth.NeedsLogin(err):
		return engine.ConfigError
	case client.IsTransient(err), oauth.IsTransient(err):
		return engine.TransientError
	}
	return failureOf(err)
}

// fail writes a TRACE ERROR for a whole-command failure and returns its
// exit code.
func fail(w *Writer, mask *Masker, msg string, err error) int {
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

// RunDiscover prints the CATALOG: every stream with its schema (custom fields
// declared from the Fields endpoints), sync modes, primary key and cursor.
func RunDiscover(ctx context.Context, env Env, configPath string) (code int) {
	w := env.writer()
	var mask *Masker
	defer func() { connectorBug(w, mask, env.Stderr, &code) }()
	cfg, m, err := loadConfig(configPath)
	mask = m
	if err != nil {
		return fail(w, mask, "Fix the connector config", err)
	}
	if cfg.Migrated() {
		if err := w.Write(cfg.ControlMessage()); err != nil {
			return ExitFailure
		}
	}
	c, err := newClient(ctx, cfg, env, w, mask)
	if err != nil {
		return fail(w, mask, "Cannot set up the Pipedrive connection", err)
	}
	cat, err := BuildCatalog(ctx, c)
	if err != nil {
		return fail(w, mask, "Discover failed", err)
	}
	if err := w.Write(&Message{Type: TypeCatalog, Catalog: cat}); err != nil {
		return ExitFailure
	}
	return ExitOK
}

// fieldsSource says where an entity's field definitions come from.
func fieldsSource(entity string) (client.PageRequest, bool) {
	if st, ok := streams.Lookup(entity + "_fields"); ok {
		return client.PageRequest{Version: st.Version, Path: st.Path, Params: st.Params, Paging: st.Paging, Limit: st.PageLimit, Cost: st.TokenCost}, true
	}
	return client.PageRequest{}, false
}

// BuildCatalog makes the catalog of every stream, reading each entity's
// custom field definitions once.
func BuildCatalog(ctx context.Context, c *client.Client) (*Catalog, error) {
	fieldCache := map[string][]schema.Field{}
	fieldsOf := func(entity string) ([]schema.Field, error) {
		if f, ok := fieldCache[entity]; ok {
			return f, nil
		}
		req, ok := fieldsSource(entity)
		if !ok {
			fieldCache[entity] = nil
			return nil, nil
		}
		var raws []json.RawMessage
		err := c.Pages(ctx, req, func(p client.Page) error {
			raws = append(raws, p.Records...)
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("read %s field definitions: %w", entity, err)
		}
		fs, err := schema.ParseFields(int(req.Version), raws)
		if err != nil {
			return nil, fmt.Errorf("read %s field definitions: %w", entity, err)
		}
		fieldCache[entity] = fs
		return fs, nil
	}
	cat := &Catalog{}
	for _, st := range streams.All() {
		js, err := schema.Base(st.Name)
		if err != nil {
			return nil, err
		}
		if st.FieldsEntity != "" && hasCustomFieldsSlot(js, int(st.Version)) {
			fs, err := fieldsOf(st.FieldsEntity)
			if err != nil {
				return nil, err
			}
			if js, err = schema.WithCustomFields(js, int(st.Version), fs); err != nil {
				return nil, fmt.Errorf("stream %s: %w", st.Name, err)
			}
		}
		cat.Streams = append(cat.Streams, CatalogStream(st, js))
	}
	return cat, nil
}

// hasCustomFieldsSlot: v2 records carry custom fields only where the spec
// declares custom_fields (activities and deal products do not); v1 records
// (leads) carry them at the top level.
func hasCustomFieldsSlot(js json.RawMessage, version int) bool {
	if version != 2 {
		return true
	}
	var s struct {
		Properties map[string]json.RawMessage `json:"properties"`
	}
	return json.Unmarshal(js, &s) == nil && s.Properties["custom_fields"] != nil
}

// CatalogStream describes one stream of the table for the catalog.
func CatalogStream(st streams.Stream, js json.RawMessage) Stream {
	out := Stream{Name: st.Name, JSONSchema: js, SupportedSyncModes: []string{FullRefresh}}
	for _, k := range st.PrimaryKey {
		out.SourceDefinedPrimaryKey = append(out.SourceDefinedPrimaryKey, []string{k})
	}
	if st.SupportsIncremental() {
		out.SupportedSyncModes = append(out.SupportedSyncModes, Incremental)
		out.SourceDefinedCursor = true
		out.DefaultCursorField = []string{st.Cursor}
		out.IsResumable = true
	}
	return out
}

// Modes is the StreamModes of the streams table.
func Modes(name string) ([]string, bool) {
	st, ok := streams.Lookup(name)
	if !ok {
		return nil, false
	}
	modes := []string{FullRefresh}
	if st.SupportsIncremental() {
		modes = append(modes, Incremental)
	}
	return modes, true
}

// ReadInputs are the files of a read.
type ReadInputs struct {
	Config, Catalog, State string // State may be empty (first sync)
}

// RunRead runs the configured catalog and prints RECORD, STATE, status and log
// messages. Exit 0 only when every configured stream completed; 3 when the
// daily API budget ran out (state saved); 1 otherwise.
func RunRead(ctx context.Context, env Env, in ReadInputs) (code int) {
	w := env.writer()
	var mask *Masker
	defer func() { connectorBug(w, mask, env.Stderr, &code) }()
	cfg, m, err := loadConfig(in.Config)
	mask = m
	if err != nil {
		return fail(w, mask, "Fix the connector config", err)
	}
	if cfg.Migrated() {
		if err := w.Write(cfg.ControlMessage()); err != nil {
			return ExitFailure
		}
	}
	catData, err := os.ReadFile(in.Catalog)
	if err != nil {
		return fail(w, mask, "Cannot read the configured catalog", fmt.Errorf("%w: %v", ErrInvalidCatalog, err))
	}
	cat, err := ParseConfiguredCatalog(catData, Modes)
	if err != nil {
		return fail(w, mask, "The configured catalog is invalid", err)
	}
	state := map[string]json.RawMessage{}
	if in.State != "" {
		data, err := os.ReadFile(in.State)
		if err != nil {
			return fail(w, mask, "Cannot read the state file", fmt.Errorf("%w: %v", ErrInvalidState, err))
		}
		if state, err = ParseState(data); err != nil {
			return fail(w, mask, "The state file is invalid", err)
		}
	}
	c, err := newClient(ctx, cfg, env, w, mask)
	if err != nil {
		return fail(w, mask, "Cannot set up the Pipedrive connection", err)
	}
	sink := NewSink(w, mask, cat.Names())
	opts := engine.Options{
		Client:      c,
		State:       map[string]json.RawMessage{},
		StartDate:   cfg.Start(),
		Concurrency: cfg.Concurrency,
		Sink:        sink,
	}
	if env.Concurrency > 0 {
		opts.Concurrency = env.Concurrency
	}
	configured := map[string]bool{}
	for _, s := range cat.Streams {
		name := s.Stream.Name
		configured[name] = true
		opts.Streams = append(opts.Streams, engine.ConfiguredStream{Name: name, Mode: engine.Mode(s.SyncMode)})
		// A full refresh reads everything: its state (if any) must not filter.
		if st, ok := state[name]; ok && s.SyncMode == Incremental {
			opts.State[name] = st
		}
	}
	for name := range state {
		if !configured[name] {
			_ = sink.Log("WARN", fmt.Sprintf("state for stream %q ignored: it is not in the configured catalog", name))
		}
	}
	res, runErr := engine.Run(ctx, opts)
	sum, werr := sink.Finish(cat.Names(), runErr)
	if runErr != nil {
		_ = sink.Error("", failure(runErr), "The sync failed: "+runErr.Error(), runErr.Error())
	}
	switch {
	case werr != nil:
		fmt.Fprintln(mask.Writer(env.Stderr), "pdx read:", werr)
		return ExitFailure
	case runErr == nil && sum.OK() && res.OK():
		return ExitOK
	}
	if _, budget := res.BudgetExhausted(); budget || sum.Budget {
		return ExitBudget
	}
	return ExitFailure
}
