package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/pdxhq/pdx/source/engine"
	"github.com/pdxhq/pdx/source/readable"
	"github.com/pdxhq/pdx/source/streams"

	_ "modernc.org/sqlite" // the pure-Go driver, registered as "sqlite"
)

// FileName is the database file in the output directory.
const FileName = "pipedrive.sqlite"

// commitEvery bounds a transaction between checkpoints (a full refresh or a
// client-side stream checkpoints only at its end), so the WAL file stays
// small. Committing records early is harmless: writes are idempotent.
const commitEvery = 50_000

// Options configure a Sink.
type Options struct {
	Dir string
	// Modes gives each stream's sync mode; a stream not listed is incremental.
	Modes map[string]engine.Mode
	// Columns lays out a stream's table (nil: Layout(stream, nil)).
	Columns ColumnsFunc
	// Decoder gives a stream's custom-field decoder (nil, or a nil
	// decoder: no readable columns); its columns are added to the table
	// and filled from each record.
	Decoder func(stream string) (*readable.Decoder, error)
	// Notice receives schema changes and repairs; nil discards them.
	Notice func(stream, msg string)
	// Now is the clock of run times and default history dates.
	Now func() time.Time
}

func (o Options) mode(stream string) engine.Mode {
	if m, ok := o.Modes[stream]; ok {
		return m
	}
	return engine.Incremental
}

func (o Options) full(stream string) bool { return o.mode(stream) == engine.FullRefresh }

// Sink writes a sync into <Dir>/pipedrive.sqlite. It is an engine.Sink, safe
// for concurrent use: every write goes through one connection under one
// mutex (SQLite has one writer at a time anyway).
type Sink struct {
	opt     Options
	path    string
	db      *sql.DB
	conn    *sql.Conn
	started time.Time
	runID   int64

	mu      sync.Mutex
	inTx    bool
	pending int // rows written since the last commit
	tables  map[string]*table
	failed  map[string]error // streams stopped by their own error
	runs    map[string]*runStream
	broken  error // a database error: every stream stops
	closed  bool
}

// Open opens (or creates) the database and records the run in _pdx_runs.
// Leftovers of a killed run are cleaned: unfinished full refreshes are
// dropped (the previous content stays), its run is marked "killed".
func Open(ctx context.Context, opt Options) (*Sink, error) {
	if opt.Dir == "" {
		return nil, errors.New("no output directory given")
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Notice == nil {
		opt.Notice = func(string, string) {}
	}
	if err := os.MkdirAll(opt.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("create output directory: %w", err)
	}
	s := &Sink{opt: opt, path: filepath.Join(opt.Dir, FileName), started: opt.Now(),
		tables: map[string]*table{}, failed: map[string]error{}, runs: map[string]*runStream{}}
	db, err := sql.Open("sqlite", "file:"+filepath.ToSlash(s.path))
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", s.path, err)
	}
	db.SetMaxOpenConns(1)
	s.db = db
	if err := s.init(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", s.path, err)
	}
	return s, nil
}

func (s *Sink) init(ctx context.Context) error {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	s.conn = conn
	pragmas := []string{
		// 64 KiB pages for a new file (an existing one keeps its own): a
		// page is one write(2) into the WAL and one into the file, so a sync
		// of new rows makes 16x fewer system calls and B-tree splits than
		// with 4 KiB (-30% CPU per new record); readers take any page size.
		// It must come before WAL, which writes the file's first page.
		"PRAGMA page_size = 65536",
		// A reader (DuckDB, Datasette) waiting on a lock delays us briefly
		// instead of failing the run.
		"PRAGMA busy_timeout = 10000",
		// WAL: one fsync per commit, and readers can query during a sync.
		"PRAGMA journal_mode = WAL",
		// FULL: a COMMIT is fsynced before it returns, so the state the
		// runner saves next never covers records a power cut could take.
		"PRAGMA synchronous = FULL",
		"PRAGMA cache_size = -16384", // 16 MiB page cache
		"PRAGMA temp_store = MEMORY",
		"CREATE TEMP TABLE _pdx_now (t TEXT NOT NULL)",
	}
	for _, p := range pragmas {
		if _, err := conn.ExecContext(ctx, p); err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
	}
	var mode string
	if err := conn.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		return fmt.Errorf("WAL journal mode unavailable (%q, %v): is the directory on a network file system?", mode, err)
	}
	if err := s.begin(ctx); err != nil {
		return err
	}
	if _, err := conn.ExecContext(ctx, "INSERT INTO temp._pdx_now (t) VALUES (?)", stamp(s.started)); err != nil {
		return err
	}
	for _, q := range metaSchema {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("create metadata tables: %w", err)
		}
	}
	// Stage tables of full refreshes a killed run did not finish.
	rows, err := conn.QueryContext(ctx, `SELECT name FROM sqlite_schema WHERE type = 'table' AND name LIKE '\_pdx\_stage\_%' ESCAPE '\'`)
	if err != nil {
		return err
	}
	var stale []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return err
		}
		stale = append(stale, n)
	}
	rows.Close()
	for _, n := range stale {
		if _, err := conn.ExecContext(ctx, "DROP TABLE "+quote(n)); err != nil {
			return err
		}
		s.opt.Notice("", fmt.Sprintf("dropped %s: a full refresh an earlier run did not finish (the table keeps its previous content)", n))
	}
	if err := s.startRun(ctx); err != nil {
		return err
	}
	return s.commit(ctx)
}

// Path is the database file.
func (s *Sink) Path() string { return s.path }

func (s *Sink) begin(ctx context.Context) error {
	if s.inTx {
		return nil
	}
	// IMMEDIATE takes the write lock now, so a reader upgrading to writer
	// cannot deadlock us halfway through a page.
	if _, err := s.conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	s.inTx = true
	return nil
}

func (s *Sink) commit(ctx context.Context) error {
	if !s.inTx {
		return nil
	}
	if _, err := s.conn.ExecContext(ctx, "COMMIT"); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	s.inTx, s.pending = false, 0
	return nil
}

// recordError is a problem with one record (no primary key, not JSON): it
// fails its stream only.
type recordError struct{ err error }

func (e recordError) Error() string { return e.err.Error() }
func (e recordError) Unwrap() error { return e.err }

// Emit implements engine.Sink. Records are written in the open transaction;
// a Checkpoint commits it (fsynced) before returning, so the runner saves a
// stream's state only once its records are in the file. A full refresh is
// written into a stage table and replaces the table's content in the
// transaction of its StreamComplete.
func (s *Sink) Emit(ctx context.Context, ev engine.Event) error {
	switch ev.Kind {
	case engine.StreamQueued, engine.StreamStarted, engine.Records, engine.Checkpoint, engine.StreamComplete, engine.StreamIncomplete:
	default:
		return nil
	}
	// A cancelled run still commits what its last checkpoint covers.
	ctx = context.WithoutCancel(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return fmt.Errorf("%s output: the database is closed", ev.Stream)
	}
	if _, ok := fieldTables[ev.Stream]; !ok {
		s.track(ev) // the custom-field tables are not a stream of the run
	}
	if ev.Kind == engine.StreamQueued {
		return nil
	}
	if s.broken != nil {
		return s.broken
	}
	if err := s.failed[ev.Stream]; err != nil {
		return err
	}
	err := s.handle(ctx, ev)
	if err == nil {
		return nil
	}
	var re recordError
	if errors.As(err, &re) {
		err = fmt.Errorf("%s output: %w", ev.Stream, err)
		s.failed[ev.Stream] = err
		return err
	}
	// A database error may have rolled the transaction back, and with it
	// other streams' records: stop every stream (their states stay at the
	// last commit) rather than let one advance past lost rows.
	if s.inTx {
		s.conn.ExecContext(ctx, "ROLLBACK")
		s.inTx = false
	}
	s.broken = fmt.Errorf("%s output: %w", ev.Stream, err)
	return s.broken
}

func (s *Sink) handle(ctx context.Context, ev engine.Event) error {
	t, err := s.table(ctx, ev.Stream)
	if err != nil {
		return err
	}
	if t.done {
		return recordError{fmt.Errorf("event %s after the stream finished", ev.Kind)}
	}
	switch ev.Kind {
	case engine.Records:
		if err := s.begin(ctx); err != nil {
			return err
		}
		for _, rec := range ev.Records {
			if err := s.write(ctx, t, rec); err != nil {
				for i := range t.rows { // the stream fails: drop what its page queued
					t.rows[i].Value = nil
				}
				clear(t.present)
				t.n = 0
				return err
			}
			if s.pending++; s.pending >= commitEvery {
				if err := s.flush(ctx, t); err != nil {
					return err
				}
				if err := s.commit(ctx); err != nil {
					return err
				}
				if err := s.begin(ctx); err != nil {
					return err
				}
			}
		}
		// Nothing of a page waits past its Emit.
		return s.flush(ctx, t)
	case engine.Checkpoint:
		return s.commit(ctx)
	case engine.StreamComplete:
		t.done = true
		// A finished stream writes no more: its statements are freed now,
		// not at Finish, so only the running streams hold theirs.
		defer t.closeStmts()
		if t.staging {
			if err := s.begin(ctx); err != nil {
				return err
			}
			if err := s.swap(ctx, t); err != nil {
				return err
			}
		}
		return s.commit(ctx)
	case engine.StreamIncomplete:
		// An incremental stream keeps what it wrote; a full refresh leaves
		// the table as the previous run left it.
		t.done = true
		defer t.closeStmts()
		if t.staging {
			if err := s.begin(ctx); err != nil {
				return err
			}
			if err := s.dropStage(ctx, t); err != nil {
				return err
			}
		}
		return s.commit(ctx)
	}
	return nil
}

// table returns the stream's table, opening it on the stream's first event.
func (s *Sink) table(ctx context.Context, stream string) (*table, error) {
	if t := s.tables[stream]; t != nil {
		return t, nil
	}
	st, layout, dec, err := s.layout(stream)
	if err != nil {
		return nil, err
	}
	if err := s.begin(ctx); err != nil {
		return nil, err
	}
	t, err := s.openTable(ctx, st, layout, dec)
	if err != nil {
		return nil, err
	}
	// Tables are created in their own commit: a stream's DDL never waits for
	// another stream's checkpoint.
	if err := s.commit(ctx); err != nil {
		return nil, err
	}
	s.tables[stream] = t
	return t, nil
}

// layout gives a stream's table: the stream, its columns and its decoder.
func (s *Sink) layout(stream string) (streams.Stream, []Column, *readable.Decoder, error) {
	if ft, ok := fieldTables[stream]; ok {
		// The custom-field tables: their own columns, nothing to decode.
		return ft.stream, ft.cols, nil, nil
	}
	st, ok := streams.Lookup(stream)
	if !ok {
		return st, nil, nil, recordError{fmt.Errorf("unknown stream %q", stream)}
	}
	cols := s.opt.Columns
	if cols == nil {
		cols = func(stream string) ([]Column, error) { return Layout(stream, nil) }
	}
	layout, err := cols(stream)
	if err != nil {
		return st, nil, nil, recordError{fmt.Errorf("lay out the table: %w", err)}
	}
	var dec *readable.Decoder
	if s.opt.Decoder != nil {
		if dec, err = s.opt.Decoder(stream); err != nil {
			return st, nil, nil, recordError{fmt.Errorf("custom fields: %w", err)}
		}
	}
	return st, layout, dec, nil
}

// Finish ends the run: full refreshes that did not complete are dropped
// (their tables keep the previous content), the run's row in _pdx_runs is
// completed (runErr is the run's own error, if any), and the database is
// checkpointed into one self-contained file and closed. Call it once, after
// engine.Run returns.
func (s *Sink) Finish(runErr error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	ctx := context.Background()
	err := s.finish(ctx, runErr)
	if cerr := s.conn.Close(); err == nil {
		err = cerr
	}
	if cerr := s.db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("close %s: %w", s.path, err)
	}
	return nil
}

func (s *Sink) finish(ctx context.Context, runErr error) error {
	if err := s.begin(ctx); err != nil {
		return err
	}
	for _, t := range s.tables {
		if t.staging {
			if err := s.dropStage(ctx, t); err != nil {
				return err
			}
		}
		t.closeStmts()
	}
	if err := s.finishRun(ctx, runErr); err != nil {
		return err
	}
	if err := s.commit(ctx); err != nil {
		return err
	}
	// Back to a rollback journal: the file at rest is one file that opens
	// anywhere, read-only media included (WAL needs its -shm beside it). A
	// reader still holding the database open keeps WAL; that is harmless.
	if _, err := s.conn.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		s.opt.Notice("", fmt.Sprintf("%s: WAL checkpoint: %v", s.path, err))
	}
	if _, err := s.conn.ExecContext(ctx, "PRAGMA journal_mode = DELETE"); err != nil {
		s.opt.Notice("", fmt.Sprintf("%s stays in WAL mode: %v", s.path, err))
	}
	return nil
}
