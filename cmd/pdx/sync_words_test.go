package main

import (
	"regexp"
	"strings"
	"testing"

	"github.com/pdxhq/pdx/source/pipedrivetest"
)

// `pdx sync --no-tui` says each stream event once, counts with thousands
// separators and the right plural, and does not claim an API filter for a
// full refresh that has none.
func TestSyncHeadlessWords(t *testing.T) {
	e := newSyncEnv(t, pipedrivetest.Options{Seed: 23, Scale: 1200})
	e.writeConfig(t, `out_dir = "`+e.out+`"`)
	t.Setenv("PIPEDRIVE_API_TOKEN", e.srv.Token())
	r := pdxCLI(t, "", "sync", "--no-tui", "--mode", "full", "--streams", "deals,users")
	if r.code != exitOK {
		t.Fatalf("sync: %d\n%s", r.code, r.stderr)
	}
	if n := len(e.srv.Records("deals")); n < 1000 {
		t.Fatalf("the simulator has %d deals; the test needs at least 1,000", n)
	}
	lines := strings.Split(r.stderr, "\n")
	for _, stream := range []string{"deals", "users"} {
		var started, done int
		for _, l := range lines {
			started += b2i(strings.HasPrefix(l, stream+": started"))
			done += b2i(strings.HasPrefix(l, stream+": done"))
			if strings.HasPrefix(l, stream+": complete:") {
				t.Errorf("the engine's narration is printed too: %q", l)
			}
		}
		if started != 1 || done != 1 {
			t.Errorf("%s: %d started and %d done lines, want one each:\n%s", stream, started, done, r.stderr)
		}
	}
	bare := regexp.MustCompile(`(^|[ (/])\d{4,}([ ,)/]|$)`) // 1868, not 1,868
	singular := regexp.MustCompile(`(^|[ (])1 [a-z-]+s\b`)  // "1 pages"
	for _, l := range lines {
		if bare.MatchString(l) {
			t.Errorf("a count without thousands separators: %q", l)
		}
		if m := singular.FindString(l); m != "" {
			t.Errorf("a wrong plural (%q): %q", m, l)
		}
		if strings.Contains(l, "filtered by the API") {
			t.Errorf("a full refresh without a start date says %q", l)
		}
	}
	for _, want := range []string{"deals: started", "full_refresh: all history", "users: done in ", "1 page, 1 request"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
