package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/pdxhq/pdx/source/engine"
)

// metaSchema: the database's own tables.
//
// _pdx_columns maps every column of a stream's table to the record value it
// holds; its name is fixed at creation (renames in Pipedrive keep it), and a
// changed type is recorded here, not by rebuilding the table (see the
// package doc).
var metaSchema = []string{
	`CREATE TABLE IF NOT EXISTS _pdx_columns (
		stream TEXT NOT NULL,
		name TEXT NOT NULL,
		key TEXT NOT NULL,
		sub TEXT NOT NULL DEFAULT '',
		part TEXT NOT NULL DEFAULT '',
		type TEXT NOT NULL,
		declared_type TEXT NOT NULL,
		ordinal INTEGER NOT NULL,
		added_at TEXT NOT NULL,
		previous_type TEXT,
		type_changed_at TEXT,
		PRIMARY KEY (stream, name)
	)`,
	`CREATE TABLE IF NOT EXISTS _pdx_runs (
		run_id INTEGER PRIMARY KEY,
		started_at TEXT NOT NULL,
		finished_at TEXT,
		outcome TEXT NOT NULL,
		records INTEGER NOT NULL DEFAULT 0,
		tokens INTEGER NOT NULL DEFAULT 0,
		streams TEXT NOT NULL DEFAULT '[]',
		error TEXT
	)`,
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func (s *Sink) tableExists(ctx context.Context, name string) (bool, error) {
	var n int
	err := s.conn.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?`, name).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("look up table %s: %w", name, err)
	}
	return n > 0, nil
}

func (s *Sink) loadColumns(ctx context.Context, stream string) ([]Column, error) {
	rows, err := s.conn.QueryContext(ctx, `SELECT name, key, sub, part, type FROM _pdx_columns WHERE stream = ? ORDER BY ordinal`, stream)
	if err != nil {
		return nil, fmt.Errorf("read columns of %s: %w", stream, err)
	}
	defer rows.Close()
	var out []Column
	for rows.Next() {
		var c Column
		var typ string
		if err := rows.Scan(&c.Name, &c.Key, &c.Sub, &c.Part, &typ); err != nil {
			return nil, fmt.Errorf("read columns of %s: %w", stream, err)
		}
		c.Type = Type(typ)
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read columns of %s: %w", stream, err)
	}
	return out, nil
}

func (s *Sink) saveColumn(ctx context.Context, stream string, c Column, ordinal int) error {
	_, err := s.conn.ExecContext(ctx, `INSERT INTO _pdx_columns (stream, name, key, sub, part, type, declared_type, ordinal, added_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		stream, c.Name, c.Key, c.Sub, c.Part, string(c.Type), c.Type.declared(), ordinal, stamp(s.started))
	if err != nil {
		return fmt.Errorf("record column %s.%s: %w", stream, c.Name, err)
	}
	return nil
}

// retypeColumn records that a column's values now have another type. The
// column and its data stay: SQLite stores each value with its own type.
func (s *Sink) retypeColumn(ctx context.Context, stream string, c Column, typ Type) error {
	_, err := s.conn.ExecContext(ctx, `UPDATE _pdx_columns SET type = ?, previous_type = ?, type_changed_at = ? WHERE stream = ? AND name = ?`,
		string(typ), string(c.Type), stamp(s.started), stream, c.Name)
	if err != nil {
		return fmt.Errorf("record type of %s.%s: %w", stream, c.Name, err)
	}
	s.opt.Notice(stream, fmt.Sprintf("%s: column %s now holds %s values (was %s); its earlier values are kept as they were", stream, c.Name, typ, c.Type))
	return nil
}

// runStream is one stream's line in _pdx_runs.streams.
type runStream struct {
	Stream   string      `json:"stream"`
	Mode     engine.Mode `json:"mode"`
	Outcome  string      `json:"outcome"` // queued, running, complete, incomplete
	Records  int64       `json:"records"`
	Tokens   int64       `json:"tokens"`
	Error    string      `json:"error,omitempty"`
	Failure  string      `json:"failure,omitempty"`
	Finished string      `json:"finished_at,omitempty"`
}

// startRun records this run (and marks runs a killed process left as
// "running" as "killed").
func (s *Sink) startRun(ctx context.Context) error {
	if _, err := s.conn.ExecContext(ctx, `UPDATE _pdx_runs SET outcome = 'killed' WHERE outcome = 'running'`); err != nil {
		return fmt.Errorf("record run: %w", err)
	}
	res, err := s.conn.ExecContext(ctx, `INSERT INTO _pdx_runs (started_at, outcome) VALUES (?, 'running')`, stamp(s.started))
	if err != nil {
		return fmt.Errorf("record run: %w", err)
	}
	s.runID, err = res.LastInsertId()
	return err
}

// track keeps the stream's counters for _pdx_runs.
func (s *Sink) track(ev engine.Event) {
	rs := s.runs[ev.Stream]
	if rs == nil {
		rs = &runStream{Stream: ev.Stream, Mode: s.opt.mode(ev.Stream), Outcome: "queued"}
		s.runs[ev.Stream] = rs
	}
	rs.Records, rs.Tokens = ev.Stats.Records, ev.Stats.Tokens
	switch ev.Kind {
	case engine.StreamStarted, engine.Records, engine.Checkpoint:
		if rs.Outcome == "queued" {
			rs.Outcome = "running"
		}
	case engine.StreamComplete:
		rs.Outcome, rs.Finished = "complete", stamp(s.opt.Now())
	case engine.StreamIncomplete:
		rs.Outcome, rs.Finished, rs.Failure = "incomplete", stamp(s.opt.Now()), string(ev.Failure)
		if ev.Err != nil {
			rs.Error = ev.Err.Error()
		}
	}
}

// outcome of the run for _pdx_runs: complete, incomplete, interrupted or
// failed.
func (s *Sink) outcome(runErr error) (string, []runStream) {
	var list []runStream
	out := "complete"
	for _, rs := range s.runs {
		list = append(list, *rs)
		if rs.Outcome != "complete" {
			out = "incomplete"
		}
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Stream < list[j].Stream })
	switch {
	case errors.Is(runErr, context.Canceled):
		out = "interrupted"
	case runErr != nil || s.broken != nil:
		out = "failed"
	}
	return out, list
}

func (s *Sink) finishRun(ctx context.Context, runErr error) error {
	out, list := s.outcome(runErr)
	var records, tokens int64
	for _, rs := range list {
		records += rs.Records
		tokens += rs.Tokens
	}
	js, err := json.Marshal(list)
	if err != nil {
		return err
	}
	if list == nil {
		js = []byte("[]")
	}
	var msg sql.NullString
	switch {
	case runErr != nil:
		msg = sql.NullString{String: runErr.Error(), Valid: true}
	case s.broken != nil:
		msg = sql.NullString{String: s.broken.Error(), Valid: true}
	}
	_, err = s.conn.ExecContext(ctx, `UPDATE _pdx_runs SET finished_at = ?, outcome = ?, records = ?, tokens = ?, streams = ?, error = ? WHERE run_id = ?`,
		stamp(s.opt.Now()), out, records, tokens, string(js), msg, s.runID)
	if err != nil {
		return fmt.Errorf("record run: %w", err)
	}
	return nil
}
