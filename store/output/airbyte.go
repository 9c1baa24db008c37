package output

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/pdxhq/pdx/source/airbyte"
	"github.com/pdxhq/pdx/source/engine"
)

// AirbyteFile is the file the airbyte format appends to in an output
// directory (one file for all streams: it is one protocol message stream).
const AirbyteFile = "airbyte.jsonl"

func init() {
	Register(Format{
		Name: "airbyte", Label: "Airbyte messages", Rank: 30, Ext: "jsonl", OneFile: true, Stdout: true,
		Description: "one file of protocol messages, for data pipelines",
		Open: func(_ context.Context, t Target) (Writer, error) {
			a, err := NewAirbyte(t.Dir, t.Stdout, t.Streams, t.Secrets, t.Notice)
			if err != nil {
				return nil, err
			}
			return airbyteWriter{a}, nil
		},
	})
}

// airbyteWriter is an AirbyteSink as a Writer: one file, no per-stream
// position (its STATE messages are in the file itself).
type airbyteWriter struct{ *AirbyteSink }

func (a airbyteWriter) Position(string) (Position, bool) { return Position{}, false }

func (a airbyteWriter) Files() []string {
	if a.Path() == "" {
		return nil
	}
	return []string{a.Path()}
}

func (a airbyteWriter) Finish(runErr error) error {
	_, err := a.AirbyteSink.Finish(runErr)
	return err
}

// AirbyteSink writes Airbyte protocol messages with source/airbyte's writer
// and sink (the same ones `pdx read` uses), to stdout or appended to
// <dir>/airbyte.jsonl. With a file, every STATE is fsynced before the
// checkpoint returns.
type AirbyteSink struct {
	*airbyte.Sink
	f          *os.File
	path       string
	configured []string
}

// NewAirbyte returns a sink writing to w when dir is "" or "-", else to
// <dir>/airbyte.jsonl (appended, its torn last line repaired first).
// secrets are masked in LOG and TRACE text.
func NewAirbyte(dir string, w io.Writer, configured []string, secrets []string, notice func(stream, msg string)) (*AirbyteSink, error) {
	a := &AirbyteSink{configured: configured}
	if dir != "" && dir != "-" {
		if err := ensureDir(dir); err != nil {
			return nil, err
		}
		a.path = filepath.Join(dir, AirbyteFile)
		sf, notes, err := openAppend(osFS{}, a.path, appendOpts{resumeSize: -1, lastRecordEnd: lastLineEnd})
		if err != nil {
			return nil, err
		}
		for _, n := range notes {
			if notice != nil {
				notice("", n)
			}
		}
		a.f = sf.f.(*os.File)
		w = a.f
	}
	a.Sink = airbyte.NewSink(airbyte.NewWriter(w), airbyte.NewMasker(secrets...), configured)
	return a, nil
}

// Path is the file written ("" for stdout).
func (a *AirbyteSink) Path() string { return a.path }

// Emit writes the event's messages; a Checkpoint's STATE is synced to disk
// before it returns.
func (a *AirbyteSink) Emit(ctx context.Context, ev engine.Event) error {
	if err := a.Sink.Emit(ctx, ev); err != nil {
		return err
	}
	if ev.Kind == engine.Checkpoint && a.f != nil {
		if err := a.f.Sync(); err != nil {
			return fmt.Errorf("sync %s: %w", a.path, err)
		}
	}
	return nil
}

// Finish gives every configured stream its final status and closes the file.
func (a *AirbyteSink) Finish(runErr error) (airbyte.Summary, error) {
	sum, err := a.Sink.Finish(a.configured, runErr)
	if a.f != nil {
		if serr := a.f.Sync(); serr != nil && err == nil {
			err = fmt.Errorf("sync %s: %w", a.path, serr)
		}
		if cerr := a.f.Close(); cerr != nil && err == nil {
			err = cerr
		}
		a.f = nil
	}
	return sum, err
}
