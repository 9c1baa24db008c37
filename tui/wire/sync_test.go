package wire

import (
	"bytes"
	"context"
	"io"
	"maps"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/pdxhq/pdx/app"
	"github.com/pdxhq/pdx/source/engine"
	"github.com/pdxhq/pdx/store/profile"
	"github.com/pdxhq/pdx/tui"
)

// screenWatcher is the UI's output; it signals once the text appears.
type screenWatcher struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	want string
	seen chan struct{}
	once sync.Once
}

func (w *screenWatcher) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if strings.Contains(ansi.Strip(w.buf.String()), w.want) {
		w.once.Do(func() { close(w.seen) })
	}
	return len(p), nil
}

// `pdx sync` in a terminal: the job runs under the progress screen, the
// summary appears, q closes it, and the job's own summary comes back.
func TestSyncUnderWatch(t *testing.T) {
	d, err := app.StartDemo(profile.Profile{Streams: []string{"deals", "users"}, Format: "jsonl", OutDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	out := &screenWatcher{want: "Run the same sync without the UI", seen: make(chan struct{})}
	in, keys := io.Pipe()
	defer keys.Close()
	go func() {
		select {
		case <-out.seen:
			_, _ = keys.Write([]byte("q"))
		case <-time.After(30 * time.Second): // a hung UI fails the test below
			_ = keys.Close()
		}
	}()
	opts := app.Options{ProfileName: app.DemoProfile, Profile: d.Profile, Secret: d.Secret}
	sum, o, err := Sync(context.Background(), opts, tui.WatchOptions{In: in, Out: out, NoColor: true})
	if err != nil {
		t.Fatal(err)
	}
	if !sum.OK() || len(sum.Streams) != 2 || sum.Records() == 0 {
		t.Fatalf("job summary %+v", sum)
	}
	if !o.Ran || o.Failed != 0 || !strings.Contains(o.Summary, "Sync finished") {
		t.Errorf("outcome %+v", o)
	}
	for _, s := range sum.Streams {
		if !strings.Contains(ansi.Strip(o.Summary), s.Name) {
			t.Errorf("the screen's summary lacks %s:\n%s", s.Name, o.Summary)
		}
	}
}

// An unfinished full refresh into its own file is dropped by the writer, so
// the summary must not count it as saved; Airbyte messages share one file
// and keep every record.
func TestResultOfDropped(t *testing.T) {
	streams := []app.StreamSummary{
		{Name: "activities", Mode: engine.Incremental, Records: 500, File: "/o/activities.jsonl"},
		{Name: "call_logs", Mode: engine.FullRefresh, Records: 300},
		{Name: "users", Mode: engine.FullRefresh, Records: 12, Complete: true, File: "/o/users.jsonl"},
		{Name: "deals", Mode: engine.FullRefresh},
	}
	tests := []struct {
		format string
		want   map[string]bool
	}{
		{"jsonl", map[string]bool{"call_logs": true}},
		{"csv", map[string]bool{"call_logs": true}},
		{"sqlite", map[string]bool{"call_logs": true}},
		{"airbyte", nil},
	}
	for _, tt := range tests {
		t.Run(tt.format, func(t *testing.T) {
			res := resultOf(app.Summary{Format: tt.format, Streams: streams}, true)
			if !maps.Equal(res.Dropped, tt.want) {
				t.Errorf("dropped %v, want %v", res.Dropped, tt.want)
			}
		})
	}
}

// A database's summary says how to open it; files need no such lines.
func TestResultOfOpen(t *testing.T) {
	tests := []struct {
		format string
		files  []string
		want   string // in the first line; "" no lines
	}{
		{"sqlite", []string{"/o/pipedrive.sqlite"}, "sqlite3 /o/pipedrive.sqlite"},
		{"sqlite", nil, ""},
		{"jsonl", []string{"/o/deals.jsonl"}, ""},
	}
	for _, tt := range tests {
		res := resultOf(app.Summary{Format: tt.format, Files: tt.files}, true)
		if tt.want == "" && len(res.Open) != 0 || tt.want != "" && (len(res.Open) != 3 || res.Open[0] != tt.want) {
			t.Errorf("%s %v: Open = %q, want %q first of three", tt.format, tt.files, res.Open, tt.want)
		}
	}
}
