package output

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/pdxhq/pdx/source/engine"
)

var ctx = context.Background()

func recs(from, to int) []json.RawMessage {
	var out []json.RawMessage
	for i := from; i < to; i++ {
		out = append(out, json.RawMessage(fmt.Sprintf(`{"id":%d,"title":"deal \"%d\"","value":{"a":[1,2]}}`, i, i)))
	}
	return out
}

func emit(t *testing.T, s engine.Sink, evs ...engine.Event) {
	t.Helper()
	for _, ev := range evs {
		if err := s.Emit(ctx, ev); err != nil {
			t.Fatalf("Emit(%s): %v", ev.Kind, err)
		}
	}
}

func ev(kind engine.Kind, stream string, r ...json.RawMessage) engine.Event {
	return engine.Event{Kind: kind, Stream: stream, Records: r, State: json.RawMessage(`{"c":1}`)}
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) > 0 && data[len(data)-1] != '\n' {
		t.Fatalf("%s does not end with a newline", path)
	}
	return strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
}

func TestJSONLIncrementalExactBytes(t *testing.T) {
	dir := t.TempDir()
	s, err := NewJSONL(Options{Dir: dir, Streams: map[string]Stream{"deals": {Fresh: true, ResumeSize: -1}}})
	if err != nil {
		t.Fatal(err)
	}
	emit(t, s, ev(engine.StreamStarted, "deals"), ev(engine.Records, "deals", recs(0, 3)...), ev(engine.Checkpoint, "deals"))
	pos, ok := s.Position("deals")
	fi, _ := os.Stat(s.Path("deals"))
	if !ok || pos.Size != fi.Size() || pos.Path != s.Path("deals") {
		t.Fatalf("Position = %+v %v; file size %d", pos, ok, fi.Size())
	}
	emit(t, s, ev(engine.Records, "deals", recs(3, 5)...), ev(engine.Checkpoint, "deals"), ev(engine.StreamComplete, "deals"))
	lines := readLines(t, s.Path("deals"))
	want := recs(0, 5)
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d", len(lines), len(want))
	}
	for i := range want {
		if lines[i] != string(want[i]) {
			t.Errorf("line %d = %s, want the API's bytes %s", i, lines[i], want[i])
		}
	}
	if got := s.Files(); len(got) != 1 || got[0] != s.Path("deals") {
		t.Errorf("Files = %v", got)
	}
}

func TestJSONLPrettyRecordStaysOneLine(t *testing.T) {
	s, err := NewJSONL(Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	emit(t, s, ev(engine.Records, "notes", json.RawMessage("{\n  \"id\": 1,\n  \"content\": \"a\\nb\"\n}")), ev(engine.StreamComplete, "notes"))
	lines := readLines(t, s.Path("notes"))
	if len(lines) != 1 || lines[0] != `{"id":1,"content":"a\nb"}` {
		t.Errorf("lines = %q", lines)
	}
}

func TestJSONLFullRefreshReplacesAtEnd(t *testing.T) {
	tests := []struct {
		name     string
		end      engine.Kind
		wantFile string
	}{
		{"complete replaces", engine.StreamComplete, "new"},
		{"incomplete keeps old", engine.StreamIncomplete, "old"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			final := filepath.Join(dir, "stages.jsonl")
			if err := os.WriteFile(final, []byte(`{"old":1}`+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			s, err := NewJSONL(Options{Dir: dir, Streams: map[string]Stream{"stages": {Full: true}}})
			if err != nil {
				t.Fatal(err)
			}
			emit(t, s, ev(engine.StreamStarted, "stages"), ev(engine.Records, "stages", recs(0, 2)...), ev(engine.Checkpoint, "stages"))
			if _, ok := s.Position("stages"); ok {
				t.Error("full refresh reports a durable position before it completed")
			}
			// Mid-stream the old file is untouched.
			if lines := readLines(t, final); lines[0] != `{"old":1}` {
				t.Fatalf("old file changed mid-stream: %v", lines)
			}
			emit(t, s, engine.Event{Kind: tt.end, Stream: "stages", Err: errors.New("boom")})
			lines := readLines(t, final)
			if tt.wantFile == "new" && (len(lines) != 2 || lines[0] != string(recs(0, 1)[0])) {
				t.Errorf("after complete: %v", lines)
			}
			if tt.wantFile == "old" && (len(lines) != 1 || lines[0] != `{"old":1}`) {
				t.Errorf("after incomplete: %v", lines)
			}
			if _, err := os.Stat(partialPath(final)); !errors.Is(err, os.ErrNotExist) {
				t.Error("partial file left behind")
			}
			if _, ok := s.Position("stages"); ok != (tt.wantFile == "new") {
				t.Errorf("Position reported = %v after %s", ok, tt.end)
			}
		})
	}
}

func TestJSONLFullRefreshEmptyStream(t *testing.T) {
	dir := t.TempDir()
	final := filepath.Join(dir, "goals.jsonl")
	os.WriteFile(final, []byte("{\"stale\":1}\n"), 0o644)
	s, _ := NewJSONL(Options{Dir: dir, Streams: map[string]Stream{"goals": {Full: true}}})
	emit(t, s, ev(engine.StreamStarted, "goals"), ev(engine.Checkpoint, "goals"), ev(engine.StreamComplete, "goals"))
	data, _ := os.ReadFile(final)
	if len(data) != 0 {
		t.Errorf("zero-record full refresh left %q", data)
	}
}

func TestJSONLReopenRepairs(t *testing.T) {
	good := `{"id":1}` + "\n" + `{"id":2}` + "\n"
	tests := []struct {
		name       string
		existing   string
		spec       Stream
		want       string // content after reopening and appending {"id":9}
		wantNotice string
	}{
		{"clean append", good, Stream{ResumeSize: -1}, good + `{"id":9}` + "\n", ""},
		{"torn last line", good + `{"id":3,"ti`, Stream{ResumeSize: -1}, good + `{"id":9}` + "\n", "torn last record"},
		{"torn only line", `{"id":3`, Stream{ResumeSize: -1}, `{"id":9}` + "\n", "torn last record"},
		{"cut to checkpoint", good + `{"id":3}` + "\n" + `{"id":4`, Stream{ResumeSize: int64(len(good))}, good + `{"id":9}` + "\n", "after the last saved checkpoint"},
		// A full disk stops a run just as a kill does: the notes say both.
		{"cut to checkpoint, not only kills", good + `{"id":3}` + "\n", Stream{ResumeSize: int64(len(good))}, good + `{"id":9}` + "\n", "a full disk"},
		{"torn, not only kills", good + `{"id":3,"ti`, Stream{ResumeSize: -1}, good + `{"id":9}` + "\n", "a failed write"},
		{"shorter than recorded", good, Stream{ResumeSize: int64(len(good)) + 50}, good + `{"id":9}` + "\n", "shorter"},
		{"fresh starts over", good, Stream{Fresh: true, ResumeSize: -1}, `{"id":9}` + "\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			final := filepath.Join(dir, "deals.jsonl")
			if err := os.WriteFile(final, []byte(tt.existing), 0o644); err != nil {
				t.Fatal(err)
			}
			var notices []string
			s, err := NewJSONL(Options{Dir: dir, Streams: map[string]Stream{"deals": tt.spec}, Notice: func(_, m string) { notices = append(notices, m) }})
			if err != nil {
				t.Fatal(err)
			}
			emit(t, s, ev(engine.Records, "deals", json.RawMessage(`{"id":9}`)), ev(engine.Checkpoint, "deals"), ev(engine.StreamComplete, "deals"))
			data, _ := os.ReadFile(final)
			if string(data) != tt.want {
				t.Errorf("content = %q, want %q", data, tt.want)
			}
			joined := strings.Join(notices, "\n")
			if tt.wantNotice == "" && joined != "" {
				t.Errorf("unexpected notice %q", joined)
			}
			if tt.wantNotice != "" && !strings.Contains(joined, tt.wantNotice) {
				t.Errorf("notices %q lack %q", joined, tt.wantNotice)
			}
		})
	}
}

// fullDisk fails writes once limit bytes are written, like ENOSPC.
type fullDisk struct {
	mu    sync.Mutex
	limit int64
}

type fullFile struct {
	*os.File
	d *fullDisk
}

func (d *fullDisk) OpenFile(name string, flag int, perm os.FileMode) (file, error) {
	f, err := os.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return fullFile{f, d}, nil
}

func (f fullFile) Write(p []byte) (int, error) {
	f.d.mu.Lock()
	defer f.d.mu.Unlock()
	if int64(len(p)) > f.d.limit {
		n, _ := f.File.Write(p[:f.d.limit])
		f.d.limit = 0
		return n, &os.PathError{Op: "write", Path: f.Name(), Err: syscall.ENOSPC}
	}
	f.d.limit -= int64(len(p))
	return f.File.Write(p)
}

func TestJSONLDiskFull(t *testing.T) {
	dir := t.TempDir()
	first := recs(0, 10)
	size := 0
	for _, r := range first {
		size += len(r) + 1
	}
	opt := Options{Dir: dir, Streams: map[string]Stream{"deals": {Fresh: true, ResumeSize: -1}}, fs: &fullDisk{limit: int64(size) + 30}}
	s, err := newFileSink(opt, format{ext: "jsonl", newEncoder: func(string) (encoder, error) { return jsonlEncoder{}, nil }, lastRecordEnd: lastLineEnd})
	if err != nil {
		t.Fatal(err)
	}
	emit(t, s, ev(engine.Records, "deals", first...), ev(engine.Checkpoint, "deals"))
	pos, _ := s.Position("deals")
	if err := s.Emit(ctx, ev(engine.Records, "deals", recs(10, 20)...)); err == nil {
		// bufio may hold the page; the checkpoint must then fail.
		err = s.Emit(ctx, ev(engine.Checkpoint, "deals"))
		if err == nil {
			t.Fatal("a full disk went unnoticed")
		}
	}
	err = s.Emit(ctx, ev(engine.Checkpoint, "deals"))
	if err == nil || !strings.Contains(err.Error(), "no space left") || !strings.Contains(err.Error(), "deals") {
		t.Fatalf("err = %v, want a sticky clear disk-full error", err)
	}
	if p2, _ := s.Position("deals"); p2 != pos {
		t.Errorf("position moved past the failure: %+v -> %+v", pos, p2)
	}
	// A rerun cut back to the recorded position has exactly the checkpointed records.
	s2, err := NewJSONL(Options{Dir: dir, Streams: map[string]Stream{"deals": {ResumeSize: pos.Size}}})
	if err != nil {
		t.Fatal(err)
	}
	emit(t, s2, ev(engine.StreamStarted, "deals"), ev(engine.StreamComplete, "deals"))
	if lines := readLines(t, pos.Path); len(lines) != 10 {
		t.Errorf("%d lines after repair, want the 10 checkpointed", len(lines))
	}
}

func TestUnwritableDir(t *testing.T) {
	dir := t.TempDir()
	blocker := filepath.Join(dir, "file")
	os.WriteFile(blocker, nil, 0o600)
	_, err := NewJSONL(Options{Dir: filepath.Join(blocker, "out")})
	if err == nil || !strings.Contains(err.Error(), "output directory") {
		t.Fatalf("err = %v", err)
	}
}

func TestConcurrentStreams(t *testing.T) {
	s, err := NewJSONL(Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"a", "b", "c", "d"}
	var wg sync.WaitGroup
	for _, n := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := 0; p < 20; p++ {
				if err := s.Emit(ctx, ev(engine.Records, n, recs(p*10, p*10+10)...)); err != nil {
					t.Error(err)
				}
				if err := s.Emit(ctx, ev(engine.Checkpoint, n)); err != nil {
					t.Error(err)
				}
			}
			s.Emit(ctx, ev(engine.StreamComplete, n))
		}()
	}
	wg.Wait()
	for _, n := range names {
		if lines := readLines(t, s.Path(n)); len(lines) != 200 {
			t.Errorf("%s: %d lines", n, len(lines))
		}
	}
	if err := s.Close(); err != nil {
		t.Error(err)
	}
}

func TestAirbyteFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, AirbyteFile)
	// A killed earlier run left a torn line.
	os.WriteFile(path, []byte(`{"type":"LOG","log":{"level":"INFO","message":"x"}}`+"\n"+`{"type":"REC`), 0o644)
	var notices []string
	a, err := NewAirbyte(dir, nil, []string{"deals"}, []string{"sekret"}, func(_, m string) { notices = append(notices, m) })
	if err != nil {
		t.Fatal(err)
	}
	emit(t, a, ev(engine.StreamStarted, "deals"), ev(engine.Records, "deals", recs(0, 2)...), ev(engine.Checkpoint, "deals"),
		engine.Event{Kind: engine.Log, Message: "token sekret leaked?"}, ev(engine.StreamComplete, "deals"))
	if _, err := a.Finish(nil); err != nil {
		t.Fatal(err)
	}
	if len(notices) != 1 || !strings.Contains(notices[0], "torn") {
		t.Errorf("notices = %q", notices)
	}
	lines := readLines(t, path)
	var types []string
	for _, l := range lines {
		var m struct{ Type string }
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		types = append(types, m.Type)
		if strings.Contains(l, "sekret") {
			t.Errorf("secret not masked: %s", l)
		}
	}
	if got := strings.Join(types, ","); got != "LOG,TRACE,TRACE,RECORD,RECORD,STATE,LOG,TRACE" {
		t.Errorf("message types = %s", got)
	}
}
