// Package sqlite writes a sync into one SQLite database,
// <dir>/pipedrive.sqlite, as an engine.Sink: the embedded default for an
// analyst (DuckDB, pandas, R, Datasette, DBeaver, Metabase and Excel through
// ODBC open it).
//
// # Tables
//
//   - <stream>: one table per stream, the current state. Columns come from
//     the stream's JSON schema (Layout): integer -> INTEGER, number -> REAL,
//     boolean -> INTEGER 0/1, string and date-time -> TEXT (ISO 8601 as the
//     API sent it), objects and arrays -> TEXT holding JSON (json_extract and
//     friends read it). v2 custom fields stay in custom_fields (JSON); v1
//     custom fields (leads, notes) are columns named "<name>_<8 hex>" when
//     names are known. With a decoder (Options.Decoder, source/readable)
//     every custom field also gets its readable columns, named and valued
//     as in the CSV output ("Priority" = the enum's label, "Budget" and
//     "Budget currency", an address's parts). Rows are upserted by primary key, so incremental runs
//     never duplicate a row; an update that changes nothing (the
//     inclusive-boundary repeat) writes nothing. is_deleted is kept as
//     Pipedrive says; _pdx_deleted_at is set by a tombstone (a record holding
//     only the primary key and _pdx_deleted_at), which keeps the row's other
//     columns. A full refresh is written into a stage table and replaces the
//     table's content in the one transaction of its StreamComplete; a failed
//     or stopped one leaves the previous content.
//   - <stream>_history for deals, persons, organizations, leads, products and
//     activities: a view of every distinct version seen (slowly changing
//     dimension type 2) with _pdx_valid_from (the record's update_time as
//     RFC 3339 UTC; the run's start when it has none; the deletion time for
//     a tombstone) and _pdx_valid_to (NULL for the current version; the next
//     version's _pdx_valid_from when a changed version arrived; the run's
//     start when a full refresh no longer saw the row). The view unions
//     _pdx_history_<stream> (the versions replaced so far) and the current
//     table (which carries its rows' _pdx_valid_from): a first sync writes
//     every row once, and a version is copied into the history table only
//     when it is replaced. Replacing is done by TEMP triggers of the writer's
//     connection: the file holds no triggers, and editing it by hand writes
//     no history.
//   - _pdx_runs: one row per run (started_at, finished_at, outcome: running,
//     complete, incomplete, interrupted, failed, or killed when a run never
//     finished; records and tokens; streams as JSON with each stream's mode,
//     outcome, records, tokens and error). Finish completes it.
//   - custom_fields and custom_field_options: the custom-field definitions
//     (entity, field_key, name, column, field_type) and the options of enum
//     and set fields (entity, field_key, option_id, label), as the CSV
//     output's files of the same names, upserted by key and never deleted
//     (fields.go).
//   - _pdx_columns: every column of every stream table and the record value it
//     holds (key, sub, part), its logical and declared type, when it was
//     added.
//
// # Schema changes
//
// A new column (a custom field created in Pipedrive, a key never seen
// before) is added with ALTER TABLE ADD COLUMN, in place, to the table and
// its history, even in the middle of a page. A column keeps the name it was
// created with (matched by the value it holds, not by name), so a renamed
// custom field does not move a column. A column whose type changes keeps its
// declared type and its data: SQLite stores every value with its own type,
// so the new values are stored as they are, and _pdx_columns records the new
// type (type, previous_type, type_changed_at). Rebuilding the table to change
// a declared type would rewrite every row for no gain in SQLite.
//
// # Crash safety
//
// Records are written in the open transaction; Emit(Checkpoint) returns only
// after COMMIT, and the runner saves the stream's state after that. The
// database runs in WAL mode with synchronous=FULL: each COMMIT is one fsync
// of the WAL, so a committed checkpoint survives a power cut and the state
// saved after it never covers rows that are not in the file (NORMAL would
// survive kill -9 but not a power cut, and the state file is fsynced).
// Streams share one connection and so one transaction: a checkpoint commits
// other streams' records early, which is harmless because every write is
// idempotent (an upsert, a history version only on change). A database error
// rolls the transaction back and stops every stream, so none saves a state
// past rows that were lost. Finish checkpoints the WAL and switches the file
// back to a rollback journal, so at rest it is one file. kill -9 at any
// moment loses nothing that was committed (kill_test.go).
//
// # Why modernc.org/sqlite
//
// The release is one static binary for six targets built with
// CGO_ENABLED=0 (.goreleaser.yaml). modernc.org/sqlite is SQLite's C source
// translated to Go: no cgo, no C cross-compiler, the full SQLite (JSON
// functions, UPSERT, WAL) on every GOOS/GOARCH the release builds. The
// alternatives:
//   - mattn/go-sqlite3: the C library through cgo. The fastest, but it needs
//     CGO_ENABLED=1 and a C cross-toolchain for each of the six targets
//     (macOS and Windows arm64 from a Linux runner): the release would no
//     longer be a plain `go build`.
//   - ncruces/go-sqlite3: pure Go too, SQLite compiled to WebAssembly and run
//     by the wazero runtime. A sound choice, but it carries a WebAssembly
//     runtime in the binary and its speed depends on wazero's compiler for
//     the platform; modernc is the more used of the two.
//   - glebarez/go-sqlite: a database/sql driver around modernc's
//     translation; nothing over using modernc directly but a later release.
//
// The cost: go build ./cmd/pdx (-trimpath -ldflags "-s -w") grows from
// 13.4 MB to 17.4 MB, and modernc runs SQLite slower than the C library:
// about 160k new deals per CPU second (bench_test.go; 0.8 KB of table per
// deal), a fifth of a core at the API's fastest rate (30,000 records/s),
// and 0.28x to 0.42x of the JSONL writer's records/s on a loaded 2-core
// machine. Every bound value is a call into SQLite under its connection
// mutex (modernc opens connections SQLITE_OPEN_FULLMUTEX, with no option to
// open them otherwise), which is why a batch's insert leaves out the
// columns none of its records has (flush). Measured against this writer in
// the same runs and not kept: a rollback journal instead of WAL (+2-3% per
// CPU second, while a reader such as DuckDB or pandas would block every
// commit, and a long query would fail the sync at busy_timeout);
// cache_size 64 MiB and mmap_size 256 MiB, 16 to 128 rows per insert,
// wal_autocheckpoint=4000, checkpoints on a second connection (no gain);
// binding through SQLite's C API (modernc.org/sqlite/lib) on the driver's
// own connection: 1.29x per CPU second, but it reaches the statement and
// connection handles through the driver's unexported fields (reflection
// and unsafe), which no upgrade of the driver promises to keep: not worth
// a risk to the data for a writer that already keeps up with the API.
package sqlite
