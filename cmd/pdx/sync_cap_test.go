package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/pdxhq/pdx/source/pipedrivetest"
)

// TestSyncMaxTokens: `pdx sync --max-tokens` caps a per-parent backfill:
// a run stops at the cap with a non-zero exit saying so and the state saved,
// and the following runs go on until the stream completes, the file then
// holding the changelog of every deal.
func TestSyncMaxTokens(t *testing.T) {
	e := newSyncEnv(t, pipedrivetest.Options{Seed: 25, Scale: 60})
	e.writeConfig(t, `out_dir = "`+e.out+`"`, `mode = "incremental"`)
	t.Setenv("PIPEDRIVE_API_TOKEN", e.srv.Token())
	runs := 0
	for ; runs < 20; runs++ {
		r := pdxCLI(t, "", "sync", "--no-tui", "--streams", "deal_changelog", "--max-tokens", "600")
		if r.code == exitOK {
			runs++
			break
		}
		if r.code == exitUsage || !strings.Contains(r.stderr, "token cap") {
			t.Fatalf("run %d: code %d without the token cap:\n%s", runs+1, r.code, r.stderr)
		}
	}
	if runs < 2 || runs >= 20 {
		t.Fatalf("%d runs, want a backfill over several", runs)
	}
	// The changelog of every deal is in the file (a deal on a stopping
	// point's second may come twice).
	deals := map[string]bool{}
	for _, l := range fileLines(t, filepath.Join(e.out, "deal_changelog.jsonl")) {
		i := strings.Index(l, `"deal_id":`)
		if i < 0 {
			t.Fatalf("a line without deal_id: %s", l)
		}
		deals[strings.SplitN(l[i+len(`"deal_id":`):], ",", 2)[0]] = true
	}
	if want := e.srv.Count("deals"); len(deals) < want {
		t.Errorf("changelog of %d deals, the simulator has %d", len(deals), want)
	}
}
