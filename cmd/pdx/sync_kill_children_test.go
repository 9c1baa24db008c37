package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/pdxhq/pdx/source/pipedrivetest"
)

// TestSyncKillChildDiff (issue 12.7): products removed from every deal,
// then a real `pdx sync --no-tui` killed with SIGKILL while it re-reads
// the deals' products (its state and journal part way), several times,
// then run to the end twice: every removed product has exactly one
// tombstone, nothing else has one, and each id's last line is what the
// simulator says (live, or the tombstone).
func TestSyncKillChildDiff(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills a real process; skipped with -short")
	}
	k := &killRun{t: t, bin: buildPDX(t)}
	k.srv = pipedrivetest.NewServer(pipedrivetest.Options{Seed: 43, Scale: 2000, Plan: pipedrivetest.PlanUltimate, Latency: 10 * time.Millisecond})
	t.Cleanup(k.srv.Close)
	root := t.TempDir()
	k.cfgDir, k.stateDir, k.out = filepath.Join(root, "config"), filepath.Join(root, "state"), filepath.Join(root, "out")
	os.MkdirAll(k.cfgDir, 0o700)
	cfg := fmt.Sprintf("default_profile = \"main\"\n[profiles.main]\nauth_type = \"token\"\napi_base_url = %q\nout_dir = %q\nformat = \"jsonl\"\nstreams = [\"deals\", \"deal_products\"]\nmode = \"incremental\"\n", k.srv.URL(), k.out)
	if err := os.WriteFile(filepath.Join(k.cfgDir, "config.toml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	k.env = append(os.Environ(), "PDX_CONFIG_DIR="+k.cfgDir, "PDX_STATE_DIR="+k.stateDir, "PDX_NO_KEYRING=1",
		"PIPEDRIVE_API_TOKEN="+k.srv.Token(), "HOME="+root, "XDG_CONFIG_HOME="+root, "XDG_STATE_HOME="+root)
	runToEnd := func(what string) {
		t.Helper()
		_, errb, done := k.start()
		if err := <-done; err != nil {
			t.Fatalf("%s: %v\n%s", what, err, errb.String())
		}
	}
	runToEnd("first sync")

	products := func() map[string][]string {
		out := map[string][]string{}
		for _, r := range k.srv.Records("deal_products") {
			var f struct {
				ID     json.Number `json:"id"`
				DealID json.Number `json:"deal_id"`
			}
			if err := json.Unmarshal(r, &f); err != nil {
				t.Fatal(err)
			}
			out[f.DealID.String()] = append(out[f.DealID.String()], f.ID.String())
		}
		return out
	}
	before := products()
	k.srv.Advance(time.Hour)
	want := map[string]bool{}
	for d, ids := range before {
		if len(ids) > 0 && k.srv.SetDealProducts(d, len(ids)-1) == nil {
			want[ids[len(ids)-1]] = true // the lines are in id order
		}
	}
	if len(want) < 500 {
		t.Fatalf("precondition: %d products removed", len(want))
	}
	path := filepath.Join(k.out, "deal_products.jsonl")
	for i, grow := range []int64{1, 300_000, 300_000} {
		target := fileSize(path) + grow
		k.killWhen(i, fmt.Sprintf("deal_products.jsonl reached %d bytes", target), func() bool { return fileSize(path) >= target })
	}
	runToEnd("the sync after the kills")
	runToEnd("one more sync")

	tombs := map[string]int{}
	last := map[string]bool{} // id → its last line is a tombstone
	for _, l := range fileLines(t, path) {
		var m map[string]json.RawMessage
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("invalid line %q", l)
		}
		id := string(m["id"])
		_, dead := m["_pdx_deleted_at"]
		if dead {
			tombs[id]++
		}
		last[id] = dead
	}
	var bad []string
	for id, n := range tombs {
		if n != 1 || !want[id] {
			bad = append(bad, fmt.Sprintf("%s×%d", id, n))
		}
	}
	for id := range want {
		if tombs[id] == 0 {
			bad = append(bad, id+"×0")
		}
		if !last[id] {
			t.Errorf("product %s: its last line is not its tombstone", id)
		}
	}
	sort.Strings(bad)
	if len(bad) > 0 {
		t.Errorf("%d of %d removed products tombstoned, wrong counts: %v", len(tombs), len(want), bad[:min(len(bad), 20)])
	}
	now := products()
	for _, ids := range now {
		for _, id := range ids {
			if dead, ok := last[id]; dead || !ok {
				t.Errorf("live product %s: missing or tombstoned", id)
			}
		}
	}
	t.Logf("%d products removed, %d tombstones after 3 kills", len(want), len(tombs))
}
