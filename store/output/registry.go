package output

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"

	"github.com/pdxhq/pdx/source/engine"
	"github.com/pdxhq/pdx/source/readable"
)

// Format is one output format as everything that offers or runs one sees
// it: profile validation, `pdx sync --format` (help and completion), the
// UI's Output step and the runner all read the registry. A format is one
// file that calls Register from init, plus its tests.
type Format struct {
	// Name is the spelling in profiles and on the command line.
	Name string
	// Label is the short name a person sees ("CSV", "Airbyte messages").
	Label string
	// Description says in one line what the files are good for.
	Description string
	// Rank orders the formats in lists (lowest first).
	Rank int
	// Ext is the extension of the files written (without the dot).
	Ext string
	// OneFile: every stream goes to one file in the directory (or to
	// stdout); otherwise each stream has <dir>/<stream>.<Ext>.
	OneFile bool
	// Stdout: the directory may be "-" (standard output).
	Stdout bool
	// StagesFullRefresh: a full refresh replaces the stream's old data only
	// when the stream completes, so an unfinished one keeps nothing of this
	// run.
	StagesFullRefresh bool
	// DecodesFields: the format writes custom fields readable itself (CSV:
	// always); the others write the API's bytes and, with --readable, get
	// the decoded values added by Readable.
	DecodesFields bool
	// Open starts writing a run's records.
	Open func(ctx context.Context, t Target) (Writer, error)
}

// Target is what a run asks a format to write.
type Target struct {
	// Dir is the output directory, absolute, or "-" for Stdout.
	Dir    string
	Stdout io.Writer
	// Streams are the configured streams in plan order; Specs say how each
	// starts (full refresh, fresh, and for a per-stream file the size to
	// resume at).
	Streams []string
	Specs   map[string]Stream
	// Secrets are masked from any text a format writes (log messages).
	Secrets []string
	// Columns gives a stream's columns, for formats with fixed columns.
	Columns func(stream string) ([]Column, error)
	// Decoder gives a stream's custom-field decoder (nil: the stream has
	// no custom fields), for formats that DecodesFields.
	Decoder func(stream string) (*readable.Decoder, error)
	// Notice receives repairs and warnings.
	Notice func(stream, msg string)
}

// Writer is an open format: an engine.Sink whose Emit(Checkpoint) returns
// only once that stream's records so far are durable, so the runner may
// save the state then.
type Writer interface {
	engine.Sink
	// Position is the stream's file and durable size to save with its state
	// (ok false when the format resumes without one).
	Position(stream string) (Position, bool)
	// Files lists the files written, sorted.
	Files() []string
	// Finish ends the run (runErr: why it stopped, if it did) and closes.
	Finish(runErr error) error
}

// DefaultFormat is the format when neither a flag nor the profile names one.
const DefaultFormat = "jsonl"

var registry = map[string]Format{}

// Register adds a format; called from init, so a duplicate is a bug.
func Register(f Format) {
	if f.Name == "" || f.Open == nil {
		panic("output: a format needs a name and Open")
	}
	if _, dup := registry[f.Name]; dup {
		panic("output: format " + f.Name + " registered twice")
	}
	registry[f.Name] = f
}

// Lookup returns the format called name.
func Lookup(name string) (Format, bool) {
	f, ok := registry[name]
	return f, ok
}

// Formats lists every format by rank.
func Formats() []Format {
	out := make([]Format, 0, len(registry))
	for _, f := range registry {
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Rank != out[j].Rank {
			return out[i].Rank < out[j].Rank
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// Names lists the format names by rank.
func Names() []string {
	var out []string
	for _, f := range Formats() {
		out = append(out, f.Name)
	}
	return out
}

// ValidFormat accepts "" (the default) and the registered names.
func ValidFormat(name string) error {
	if _, ok := registry[name]; ok || name == "" {
		return nil
	}
	return fmt.Errorf("format %q: must be one of %s", name, strings.Join(Names(), ", "))
}

// StreamPath is the file of stream in dir for a per-stream format.
func (f Format) StreamPath(dir, stream string) string {
	return filepath.Join(dir, stream+"."+f.Ext)
}

// StdoutNames lists the formats that can write to "-".
func StdoutNames() []string {
	var out []string
	for _, f := range Formats() {
		if f.Stdout {
			out = append(out, f.Name)
		}
	}
	return out
}
