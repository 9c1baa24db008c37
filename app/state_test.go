package app

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/pdxhq/pdx/source/airbyte"
	"github.com/pdxhq/pdx/store/state"
)

func TestShowAndResetState(t *testing.T) {
	ss := state.OpenDir(t.TempDir())
	dest := state.Dest{Format: "jsonl", Dir: t.TempDir()}
	p, err := ss.LoadDest("acme", dest)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"deals", "persons"} {
		if err := p.Checkpoint(s, json.RawMessage(`{"cursor":"2024-01-01"}`), nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.FinishRun(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), map[string]int64{"deals": 12, "persons": 30}); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name    string
		only    []string
		want    []string // streams in the array
		wantErr string
	}{
		{"all", nil, []string{"deals", "persons"}, ""},
		{"one", []string{"deals"}, []string{"deals"}, ""},
		{"no state", []string{"users"}, nil, `no state for stream "users" (streams with state: deals, persons)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := ShowState(ss, "acme", dest, tt.only)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			st, err := airbyte.ParseState(v.Array)
			if err != nil || len(st) != len(tt.want) {
				t.Fatalf("array %s: %v, %d streams", v.Array, err, len(st))
			}
			for _, s := range tt.want {
				if st[s] == nil || v.Counts[s] == 0 {
					t.Errorf("stream %s: state %s, count %d", s, st[s], v.Counts[s])
				}
			}
			if len(v.Counts) != len(tt.want) || v.LastRun.IsZero() || v.Path == "" {
				t.Errorf("view %+v", v)
			}
		})
	}

	r, err := ResetState(ss, "acme", dest, []string{"deals"})
	if err != nil || strings.Join(r.Had, ",") != "deals" || r.Damaged {
		t.Fatalf("reset deals: %+v %v", r, err)
	}
	if v, err := ShowState(ss, "acme", dest, nil); err != nil || strings.Contains(string(v.Array), `"deals"`) {
		t.Fatalf("after reset: %s %v", v.Array, err)
	}

	// A damaged file is only reset whole.
	if err := os.WriteFile(p.StatePath(), []byte("{torn"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ResetState(ss, "acme", dest, []string{"persons"}); err == nil || !strings.Contains(err.Error(), "reset whole") {
		t.Fatalf("partial reset of a damaged file: %v", err)
	}
	if r, err := ResetState(ss, "acme", dest, nil); err != nil || !r.Damaged {
		t.Fatalf("whole reset of a damaged file: %+v %v", r, err)
	}
	if _, err := os.Stat(p.StatePath()); !os.IsNotExist(err) {
		t.Errorf("damaged state file still there: %v", err)
	}
}

func TestKnownStreams(t *testing.T) {
	if err := KnownStreams([]string{"deals", "persons"}); err != nil {
		t.Error(err)
	}
	if err := KnownStreams([]string{"deals", "dealz"}); err == nil || !strings.Contains(err.Error(), `unknown stream "dealz"`) {
		t.Errorf("dealz: %v", err)
	}
}
