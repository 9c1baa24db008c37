package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pdxhq/pdx/source/airbyte/airbytetest"
	"github.com/pdxhq/pdx/source/pipedrivetest"
	"github.com/pdxhq/pdx/source/pipedrivetest/spectest"
)

// noStdin fails the test if a command reads stdin (the protocol forbids it).
type noStdin struct{ t *testing.T }

func (r noStdin) Read([]byte) (int, error) {
	r.t.Errorf("a command read stdin")
	return 0, os.ErrClosed
}

type result struct {
	code           int
	stdout, stderr string
	msgs           []airbytetest.Msg
}

// pdx runs the real command line in-process and validates every stdout
// line against the protocol schema.
func pdx(t *testing.T, v *airbytetest.Validator, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, noStdin{t}, &out, &errb)
	r := result{code: code, stdout: out.String(), stderr: errb.String()}
	r.msgs = v.Parse(t, out.Bytes())
	return r
}

func writeJSON(t *testing.T, name string, v any) string {
	t.Helper()
	var b []byte
	switch x := v.(type) {
	case string:
		b = []byte(x)
	case []byte:
		b = x
	default:
		var err error
		if b, err = json.Marshal(v); err != nil {
			t.Fatal(err)
		}
	}
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// sim starts a simulator for the Airbyte command tests. Every API request
// pdx sends to it (check's /users/me, discover's Fields reads, read's pages)
// must be a valid, non-deprecated operation of the published spec.
func sim(t *testing.T, opts pipedrivetest.Options) *pipedrivetest.Server {
	t.Helper()
	if opts.Plan == "" {
		// The biggest burst window: these tests are about the protocol, not pacing.
		opts.Plan = pipedrivetest.PlanUltimate
	}
	if opts.BurstLimit == 0 {
		// Nor does any wait out the plan's 2 s window in real time.
		opts.BurstLimit = 100000
	}
	sp := spectest.Load(t)
	opts.Wrap = func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !strings.HasPrefix(r.URL.Path, "/oauth/") {
				if err := sp.ValidateRequest(r); err != nil {
					t.Errorf("pdx sent a request that is not a valid operation of the spec: %v", err)
				}
			}
			next.ServeHTTP(w, r)
		})
	}
	s := pipedrivetest.NewServer(opts)
	t.Cleanup(s.Close)
	return s
}

func tokenConfig(s *pipedrivetest.Server, token string) map[string]any {
	return map[string]any{
		"credentials":  map[string]any{"auth_type": "api_token", "api_token": token},
		"api_base_url": s.URL(),
	}
}

// only returns the messages of one type.
func only(msgs []airbytetest.Msg, typ string) []airbytetest.Msg {
	var out []airbytetest.Msg
	for _, m := range msgs {
		if m.Type == typ {
			out = append(out, m)
		}
	}
	return out
}

// noSecret fails when secret appears anywhere in the result.
func noSecret(t *testing.T, r result, secret string) {
	t.Helper()
	if secret == "" {
		t.Fatal("empty secret")
	}
	if strings.Contains(r.stdout, secret) || strings.Contains(r.stderr, secret) {
		t.Errorf("the secret appears in the output:\nstdout: %.500s\nstderr: %.500s", r.stdout, r.stderr)
	}
}

type catStream struct {
	Stream struct {
		Name               string          `json:"name"`
		JSONSchema         json.RawMessage `json:"json_schema"`
		SupportedSyncModes []string        `json:"supported_sync_modes"`
		PrimaryKey         [][]string      `json:"source_defined_primary_key,omitempty"`
		Cursor             []string        `json:"default_cursor_field,omitempty"`
	} `json:"stream"`
	SyncMode            string `json:"sync_mode"`
	DestinationSyncMode string `json:"destination_sync_mode"`
}

// discover runs discover and returns stream -> schema and the configured
// catalog of every stream in its best mode.
func discover(t *testing.T, v *airbytetest.Validator, cfgPath string) (map[string]json.RawMessage, []catStream) {
	t.Helper()
	r := pdx(t, v, "discover", "--config", cfgPath)
	if r.code != 0 {
		t.Fatalf("discover exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	cats := only(r.msgs, "CATALOG")
	if len(cats) != 1 {
		t.Fatalf("discover printed %d CATALOG messages", len(cats))
	}
	schemas := map[string]json.RawMessage{}
	var cs []catStream
	for _, s := range cats[0].Catalog.Streams {
		schemas[s.Name] = s.JSONSchema
		var c catStream
		c.Stream.Name, c.Stream.JSONSchema, c.Stream.SupportedSyncModes = s.Name, s.JSONSchema, s.SupportedSyncModes
		c.Stream.PrimaryKey, c.Stream.Cursor = s.SourceDefinedPrimaryKey, s.DefaultCursorField
		c.SyncMode = s.SupportedSyncModes[len(s.SupportedSyncModes)-1]
		c.DestinationSyncMode = "append"
		cs = append(cs, c)
	}
	return schemas, cs
}

func catalogOf(streams []catStream, mode string, names ...string) map[string]any {
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	var out []catStream
	for _, s := range streams {
		if len(names) > 0 && !want[s.Stream.Name] {
			continue
		}
		if mode != "" {
			s.SyncMode = mode
			if mode == "incremental" && len(s.Stream.SupportedSyncModes) < 2 {
				s.SyncMode = "full_refresh"
			}
		}
		out = append(out, s)
	}
	return map[string]any{"streams": out}
}

func names(streams []catStream, filter ...string) []string {
	if len(filter) > 0 {
		return filter
	}
	var out []string
	for _, s := range streams {
		out = append(out, s.Stream.Name)
	}
	return out
}
