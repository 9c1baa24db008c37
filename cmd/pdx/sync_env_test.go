package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pdxhq/pdx/source/client"
	"github.com/pdxhq/pdx/source/pipedrivetest"
	"github.com/pdxhq/pdx/source/streams"
	"github.com/pdxhq/pdx/store/state"
)

// syncEnv is a simulator plus private config, state and output dirs, with
// the OS keyring off (secrets go to the warned file) unless a test mocks it.
type syncEnv struct {
	srv                *pipedrivetest.Server
	cfg, stateDir, out string
}

func newSyncEnv(t *testing.T, o pipedrivetest.Options) *syncEnv {
	t.Helper()
	if o.Plan == "" {
		o.Plan = pipedrivetest.PlanUltimate
	}
	if o.BurstLimit == 0 {
		// No sync test is about the burst window (the client's are, on fake
		// time): paced to a plan's 2 s window in real time, they waited.
		o.BurstLimit = 100000
	}
	srv := pipedrivetest.NewServer(o)
	t.Cleanup(srv.Close)
	root := t.TempDir()
	e := &syncEnv{srv: srv, cfg: filepath.Join(root, "config"), stateDir: filepath.Join(root, "state"), out: filepath.Join(root, "out")}
	t.Setenv("PDX_CONFIG_DIR", e.cfg)
	t.Setenv("PDX_STATE_DIR", e.stateDir)
	t.Setenv("PDX_NO_KEYRING", "1")
	t.Setenv("PIPEDRIVE_API_TOKEN", "")
	return e
}

// writeConfig writes config.toml with a "main" profile pointing at the
// simulator, plus extra TOML lines for that profile.
func (e *syncEnv) writeConfig(t *testing.T, extra ...string) {
	t.Helper()
	if err := os.MkdirAll(e.cfg, 0o700); err != nil {
		t.Fatal(err)
	}
	body := "default_profile = \"main\"\n[profiles.main]\nauth_type = \"token\"\napi_base_url = \"" + e.srv.URL() + "\"\n" + strings.Join(extra, "\n") + "\n"
	if err := os.WriteFile(filepath.Join(e.cfg, "config.toml"), []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
}

type cliResult struct {
	code           int
	stdout, stderr string
}

// pdxCLI runs pdx in-process with stdin (not a terminal).
func pdxCLI(t *testing.T, stdin string, args ...string) cliResult {
	t.Helper()
	var out, errb bytes.Buffer
	var in io.Reader = strings.NewReader(stdin)
	code := run(args, in, &out, &errb)
	return cliResult{code: code, stdout: out.String(), stderr: errb.String()}
}

// assertNoToken fails when the token appears in any file under the dirs
// (the 0600 fallback secrets directory excepted) or in the texts.
func assertNoToken(t *testing.T, token string, dirs []string, texts ...string) {
	t.Helper()
	for i, s := range texts {
		if strings.Contains(s, token) {
			t.Errorf("token leaked in output #%d", i)
		}
	}
	for _, d := range dirs {
		filepath.Walk(d, func(path string, fi os.FileInfo, err error) error {
			if err != nil {
				return nil
			}
			if fi.IsDir() {
				if fi.Name() == "secrets" {
					return filepath.SkipDir
				}
				return nil
			}
			data, _ := os.ReadFile(path)
			if bytes.Contains(data, []byte(token)) {
				t.Errorf("token leaked into %s", path)
			}
			return nil
		})
	}
}

// apiRecordsFor reads a stream's whole list from the simulator with the
// stream's own fixed params (pipedrivetest's Records("deals") leaves out
// the status=deleted deals the deals stream asks for).
func apiRecordsFor(t *testing.T, srv *pipedrivetest.Server, stream string) []json.RawMessage {
	t.Helper()
	def, ok := streams.Lookup(stream)
	if !ok {
		t.Fatalf("no stream %s", stream)
	}
	if def.Params.Get("status") == "" {
		return srv.Records(stream)
	}
	cl, err := client.New(client.Options{BaseURL: srv.URL(), Auth: client.TokenAuth(srv.Token()), BurstLimit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var out []json.RawMessage
	req := client.PageRequest{Version: def.Version, Path: def.Path, Params: def.Params, Paging: def.Paging, Limit: def.PageLimit, Cost: def.TokenCost}
	if err := cl.Pages(context.Background(), req, func(p client.Page) error {
		for _, r := range p.Records {
			out = append(out, append(json.RawMessage(nil), r...))
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// destStatePath is the state.json of profile's destination format in dir
// (state is bound to its destination, see app.DestState).
func destStatePath(t *testing.T, stateDir, profile, format, dir string) string {
	t.Helper()
	p, err := state.OpenDir(stateDir).LoadDest(profile, state.Dest{Format: format, Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	return p.StatePath()
}
