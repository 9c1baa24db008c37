package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/pdxhq/pdx/app"
	"github.com/pdxhq/pdx/source/airbyte"
	"github.com/pdxhq/pdx/source/airbyte/airbytetest"
	"github.com/pdxhq/pdx/source/pipedrivetest"
)

// cancelAfterState passes output through and cancels the run once the
// first STATE line went out: the platform's SIGTERM in the middle of a sync.
type cancelAfterState struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	cancel context.CancelFunc
}

func (c *cancelAfterState) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if bytes.Contains(p, []byte(`{"type":"STATE"`)) {
		c.cancel()
	}
	return c.buf.Write(p)
}

func writeFile(t *testing.T, name, content string) string {
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestReadCancelledKeepsResumePoint: a read stopped mid-way ends every
// stream INCOMPLETE with a non-zero exit, and resuming from the last STATE
// it emitted returns everything that came after.
func TestReadCancelledKeepsResumePoint(t *testing.T) {
	v := airbytetest.NewValidator(t)
	s := pipedrivetest.NewServer(pipedrivetest.Options{Seed: 21, Scale: 1300, Plan: pipedrivetest.PlanUltimate})
	defer s.Close()
	cfg := writeFile(t, "config.json", `{"credentials":{"auth_type":"api_token","api_token":"`+s.Token()+`"},"api_base_url":"`+s.URL()+`"}`)
	cat := writeFile(t, "catalog.json", `{"streams":[{"stream":{"name":"deals"},"sync_mode":"incremental","destination_sync_mode":"append_dedup"}]}`)

	// The whole stream, for reference.
	var full bytes.Buffer
	if code := app.Read(context.Background(), airbyte.Env{Stdout: &full, Stderr: os.Stderr}, app.ReadFiles{Config: cfg, Catalog: cat}); code != 0 {
		t.Fatalf("full read: exit %d", code)
	}
	all := airbytetest.CheckRead(t, v.Parse(t, full.Bytes()), []string{"deals"}, nil, true)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := &cancelAfterState{cancel: cancel}
	code := app.Read(ctx, airbyte.Env{Stdout: out, Stderr: os.Stderr}, app.ReadFiles{Config: cfg, Catalog: cat})
	if code == 0 {
		t.Fatal("a cancelled read exited 0")
	}
	msgs := v.Parse(t, out.buf.Bytes())
	part := airbytetest.CheckRead(t, msgs, []string{"deals"}, nil, false)
	if st := part.Statuses["deals"]; st[len(st)-1] != "INCOMPLETE" {
		t.Errorf("statuses %v", st)
	}
	states := part.States["deals"]
	if len(states) == 0 || len(part.Records["deals"]) >= len(all.Records["deals"]) {
		t.Fatalf("%d states, %d of %d records: the read was not stopped mid-way", len(states), len(part.Records["deals"]), len(all.Records["deals"]))
	}
	// Records after the last STATE are not covered by it; resume from it.
	last := states[len(states)-1]
	covered := 0
	for _, b := range part.Batches["deals"] {
		covered += len(b)
	}
	stateFile := writeFile(t, "state.json", `[{"type":"STREAM","stream":{"stream_descriptor":{"name":"deals"},"stream_state":`+string(last)+`}}]`)
	var rest bytes.Buffer
	if code := app.Read(context.Background(), airbyte.Env{Stdout: &rest, Stderr: os.Stderr}, app.ReadFiles{Config: cfg, Catalog: cat, State: stateFile}); code != 0 {
		t.Fatalf("resume: exit %d", code)
	}
	resumed := airbytetest.CheckRead(t, v.Parse(t, rest.Bytes()), []string{"deals"}, nil, true)
	seen := map[string]bool{}
	for _, r := range part.Records["deals"][:covered] {
		seen[id(r)] = true
	}
	for _, r := range resumed.Records["deals"] {
		seen[id(r)] = true
	}
	for _, r := range all.Records["deals"] {
		if !seen[id(r)] {
			t.Fatalf("deal %s lost across the interruption", id(r))
		}
	}
}

func id(rec json.RawMessage) string {
	var x struct {
		ID json.RawMessage `json:"id"`
	}
	_ = json.Unmarshal(rec, &x)
	return strings.TrimSpace(string(x.ID))
}
