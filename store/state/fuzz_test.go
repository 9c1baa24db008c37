package state

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/pdxhq/pdx/source/airbyte"
)

// FuzzLoad: a profile's state.json and run.json either fail to load (an
// error, no state) or load into a state that, written back, loads the same.
func FuzzLoad(f *testing.F) {
	f.Add([]byte(`[{"type":"STREAM","stream":{"stream_descriptor":{"name":"deals"},"stream_state":{"update_time":"2024-01-01T00:00:00Z"}}}]`),
		[]byte(`{"last_run":"2024-01-01T00:00:00Z","counts":{"deals":3},"outputs":{"deals":{"path":"/o/deals.jsonl","size":10,"state":{"update_time":"2024-01-01T00:00:00Z"}}}}`))
	f.Add([]byte(`{"deals":{"update_time":"2017-06-01 10:10:10"},"files":{"modified":"2024-01-01"}}`), []byte(`{}`))
	f.Add([]byte(`[{"type":"STREAM","stream":{"stream_descriptor":{"name":"deals"},"stream_state":{"update_time":"garbage"}}}]`), []byte(``))
	f.Fuzz(func(t *testing.T, stateFile, runFile []byte) {
		dir := t.TempDir()
		pdir := filepath.Join(dir, "acme")
		if err := os.MkdirAll(pdir, 0o700); err != nil {
			t.Fatal(err)
		}
		for name, b := range map[string][]byte{"state.json": stateFile, "run.json": runFile} {
			if len(b) > 0 {
				if err := os.WriteFile(filepath.Join(pdir, name), b, 0o600); err != nil {
					t.Fatal(err)
				}
			}
		}
		p, err := OpenDir(dir).Load("acme")
		if err != nil {
			if p != nil {
				t.Fatalf("error %v with a state", err)
			}
			return
		}
		want := p.Streams()
		got, err := airbyte.ParseState(p.Messages())
		if err != nil || len(got) != len(want) {
			t.Fatalf("Messages() reads back as %v, %v; want %v", got, err, want)
		}
		for k, v := range want {
			var a, b bytes.Buffer
			if json.Compact(&a, v) != nil || json.Compact(&b, got[k]) != nil || !bytes.Equal(a.Bytes(), b.Bytes()) {
				t.Fatalf("stream %q: %s became %s", k, v, got[k])
			}
		}
		// Written by a checkpoint and read again, nothing is lost.
		if err := p.FinishRun(p.Run().LastRun, nil); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p.StatePath(), p.Messages(), 0o600); err != nil {
			t.Fatal(err)
		}
		again, err := OpenDir(dir).Load("acme")
		if err != nil || len(again.Streams()) != len(want) {
			t.Fatalf("reload: %v, %v", again, err)
		}
	})
}
