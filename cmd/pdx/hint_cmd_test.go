package main

import (
	"strings"
	"testing"

	"github.com/pdxhq/pdx/source/pipedrivetest"
)

// An error whose text does not say what to do is followed by app.Hint's
// advice; one that does (usage, Pipedrive's answers) gets no second line.
func TestErrorHint(t *testing.T) {
	e := newSyncEnv(t, pipedrivetest.Options{Seed: 31, Scale: 5})
	e.writeConfig(t)
	t.Setenv("PIPEDRIVE_API_TOKEN", e.srv.Token())
	r := pdxCLI(t, "", "sync", "--no-tui", "--streams", "deals", "--out", "/proc/pdx-none/out")
	if r.code != exitFailure || !strings.Contains(r.stderr, "pdx: pdx could not create the folder /proc/pdx-none") {
		t.Errorf("an impossible folder: exit %d\n%s", r.code, r.stderr)
	}
	r = pdxCLI(t, "", "auth", "login")
	if r.code != exitUsage || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
		t.Errorf("a usage error grew a hint: exit %d\n%s", r.code, r.stderr)
	}
}
