package engine_test

import (
	"strings"
	"testing"
	"time"

	"github.com/pdxhq/pdx/source/engine"
	"github.com/pdxhq/pdx/source/pipedrivetest"
)

// TestArchivedDealsWithDeleted (issue 12, item 3): /deals/archived without
// status leaves the deleted archived deals out ("If omitted, all not
// deleted deals are returned"); deals_archived has them, with
// is_deleted:true, in a full and an incremental read.
func TestArchivedDealsWithDeleted(t *testing.T) {
	sim := newSim(t, pipedrivetest.Options{Seed: 32, Scale: 300})
	c := newClient(t, sim, nil)
	sim.Advance(time.Hour)
	for _, step := range []func() error{
		func() error { return sim.Archive("deals", "21") },
		func() error { return sim.Delete("deals", "21") },
	} {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	for _, mode := range []engine.Mode{engine.FullRefresh, engine.Incremental} {
		res, col := run(t, c, runCfg{streams: []engine.ConfiguredStream{{Name: "deals_archived", Mode: mode}}})
		mustComplete(t, res)
		found := false
		for _, r := range col.records["deals_archived"] {
			if idOf(t, "deals_archived", r) == "21" {
				found = strings.Contains(string(r), `"is_deleted":true`)
			}
		}
		if !found {
			t.Errorf("%s: the deleted archived deal 21 is missing (or not is_deleted:true)", mode)
		}
	}
}
