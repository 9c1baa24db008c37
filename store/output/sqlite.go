package output

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/pdxhq/pdx/source/engine"
	"github.com/pdxhq/pdx/store/sqlite"
)

// The sqlite format is store/sqlite's database writer: one file,
// <dir>/pipedrive.sqlite, with a current-state table per stream (readable
// custom-field columns beside the raw ones), history views and _pdx_runs.
func init() {
	Register(Format{
		Name: "sqlite", Label: "SQLite database", Rank: 25, Ext: "sqlite", OneFile: true, StagesFullRefresh: true,
		DecodesFields: true,
		Description:   "one file for DuckDB, pandas, Excel, BI tools",
		Open:          openSQLite,
		HowToOpen:     sqliteHowToOpen,
	})
}

func openSQLite(ctx context.Context, t Target) (Writer, error) {
	if t.Dir == "" || t.Dir == "-" {
		return nil, fmt.Errorf("sqlite output needs a directory")
	}
	modes := map[string]engine.Mode{}
	for name, spec := range t.Specs {
		if spec.Full {
			modes[name] = engine.FullRefresh
		}
	}
	// The readable custom-field columns come from the same decoder as
	// CSV's (same values, same names), beside the raw ones.
	opt := sqlite.Options{Dir: t.Dir, Modes: modes, Notice: t.Notice, Decoder: t.Decoder}
	if t.Fields != nil {
		// Custom field names make readable column names (v1 streams'
		// top-level custom fields); without them a column is named by its
		// key when it first appears.
		opt.Columns = func(stream string) ([]sqlite.Column, error) {
			fields, err := t.Fields(stream)
			if err != nil {
				return nil, err
			}
			return sqlite.Layout(stream, fields)
		}
	}
	s, err := sqlite.Open(ctx, opt)
	if err != nil {
		return nil, err
	}
	return sqliteWriter{s}, nil
}

// sqliteWriter is a sqlite.Sink as a Writer: one file, no per-stream
// position (a stream resumes from its state; every write is an upsert).
type sqliteWriter struct{ *sqlite.Sink }

func (w sqliteWriter) Position(string) (Position, bool) { return Position{}, false }
func (w sqliteWriter) Files() []string                  { return []string{w.Path()} }

// sqliteHowToOpen names the three readers an analyst most likely has.
func sqliteHowToOpen(files []string) []string {
	if len(files) == 0 {
		return nil
	}
	p := files[0]
	return []string{
		"sqlite3 " + shellQuote(p),
		"duckdb " + shellQuote(p),
		"python3 -c " + shellQuote(`import sqlite3, pandas; print(pandas.read_sql("select * from deals", sqlite3.connect(`+strconv.Quote(p)+`)))`),
	}
}

// shellQuote quotes p for a POSIX shell when it needs it.
func shellQuote(p string) string {
	for _, r := range p {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("/.-_+:=,@", r)) {
			return "'" + strings.ReplaceAll(p, "'", `'\''`) + "'"
		}
	}
	return p
}
