package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"strings"

	"github.com/pdxhq/pdx/source/readable"
	"github.com/pdxhq/pdx/source/streams"
)

// Reserved column names (never taken by a record key's column).
const (
	colDeletedAt = "_pdx_deleted_at"
	colValidFrom = "_pdx_valid_from"
	colValidTo   = "_pdx_valid_to"
	colVersion   = "_pdx_version"
)

// historyStreams get a <stream>_history table (the core entities).
var historyStreams = map[string]bool{"deals": true, "persons": true, "organizations": true, "leads": true, "products": true, "activities": true}

func isFieldTable(name string) bool { _, ok := fieldTables[name]; return ok }

func quote(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` }

// table is one stream's table and the statements that write it. Only the
// Sink's goroutine holding its mutex touches it.
type table struct {
	name    string
	pkKeys  map[string]bool
	keys    map[string]*keyCols // top-level key -> everything the write path needs, in one lookup
	cols    []Column
	pk      []int            // indexes of the primary key columns in cols
	byKey   map[string][]int // top-level key -> columns holding its whole value
	bySub   map[string]map[string][]int
	taken   map[string]bool // lower-cased column names in use
	history bool
	cursor  string // the column history versions are dated by ("" none)
	full    bool   // full refresh: written into the stage table, swapped in at the end
	staging bool   // a stage table is being filled
	done    bool

	// inserts writes a batch into the table (upsert) or, while staging,
	// its stage, by key: which columns the batch has values for and its
	// number of rows (prepared when first needed; see flush). tomb writes
	// a tombstone.
	inserts map[string]*rawStmt
	insert  func(present []bool, rows int) string
	tomb    *sql.Stmt
	vals    []any               // the record being scanned
	dec     *readable.Decoder   // the stream's custom-field decoder (nil: none)
	rd      []int               // per decoder column: its column in cols, -1 none
	rows    []driver.NamedValue // batchRows records waiting for an insert
	n       int                 // records in rows
	present []bool              // per column: some queued record has a value
	args    []driver.NamedValue // the values of the present columns, for flush
	key     []byte              // flush's statement key, reused
}

// The history of a stream is the view <stream>_history: the versions
// replaced so far (_pdx_history_<stream>, each with its _pdx_valid_to) and
// the current rows (valid from their _pdx_valid_from, to NULL). Keeping the
// current version only in the current table halves what a first sync
// writes; a version is copied into the history table when it is replaced.
func (t *table) historyName() string { return "_pdx_history_" + t.name }
func (t *table) viewName() string    { return t.name + "_history" }

// names is the quoted columns of the current table, in parameter order:
// the record's columns, _pdx_deleted_at, and _pdx_valid_from with history.
func (t *table) names() []string {
	out := make([]string, 0, len(t.cols)+2)
	for _, c := range t.cols {
		out = append(out, quote(c.Name))
	}
	out = append(out, quote(colDeletedAt))
	if t.history {
		out = append(out, quote(colValidFrom))
	}
	return out
}
func (t *table) stageName() string { return "_pdx_stage_" + t.name }

// index registers column i in the lookup maps.
func (t *table) index(i int) {
	c := t.cols[i]
	t.taken[strings.ToLower(c.Name)] = true
	if c.isReadable() {
		return // filled by the decoder, not by its key's value
	}
	kc := t.keyCols(c.Key)
	if c.Sub == "" {
		t.byKey[c.Key] = append(t.byKey[c.Key], i)
		kc.whole = t.byKey[c.Key]
		return
	}
	m := t.bySub[c.Key]
	if m == nil {
		m = map[string][]int{}
		t.bySub[c.Key] = m
		kc.subs = m
	}
	m[c.Sub] = append(m[c.Sub], i)
}

// keyCols is what a top-level record key maps to.
type keyCols struct {
	whole []int            // columns holding its whole value
	subs  map[string][]int // columns holding one member of its object
	pk    bool             // a primary key
}

func (t *table) keyCols(key string) *keyCols {
	kc := t.keys[key]
	if kc == nil {
		kc = &keyCols{pk: t.pkKeys[key]}
		t.keys[key] = kc
	}
	return kc
}

// uniqueName returns name, or name_2, name_3... when a column has it.
func (t *table) uniqueName(name string) string {
	if name == "" {
		name = "column"
	}
	n := name
	for i := 2; t.taken[strings.ToLower(n)]; i++ {
		n = fmt.Sprintf("%s_%d", name, i)
	}
	return n
}

// openTable brings the stream's tables up to date with layout inside the
// current transaction: creates them, adds new columns, records type changes,
// and prepares the statements.
func (s *Sink) openTable(ctx context.Context, st streams.Stream, layout []Column, dec *readable.Decoder) (*table, error) {
	t := &table{name: st.Name, pkKeys: map[string]bool{}, keys: map[string]*keyCols{}, byKey: map[string][]int{}, bySub: map[string]map[string][]int{},
		taken:   map[string]bool{colDeletedAt: true, colValidFrom: true, colValidTo: true, colVersion: true},
		history: historyStreams[st.Name], full: s.opt.full(st.Name) && !isFieldTable(st.Name)}
	for _, k := range st.PrimaryKey {
		t.pkKeys[k] = true
	}
	if t.history {
		t.cursor = st.Cursor
	}
	known, err := s.loadColumns(ctx, st.Name)
	if err != nil {
		return nil, err
	}
	exists, err := s.tableExists(ctx, st.Name)
	if err != nil {
		return nil, err
	}
	if !exists && len(known) > 0 {
		// The table was dropped by hand: start its columns over.
		if _, err := s.conn.ExecContext(ctx, `DELETE FROM _pdx_columns WHERE stream = ?`, st.Name); err != nil {
			return nil, fmt.Errorf("reset columns of %s: %w", st.Name, err)
		}
		known = nil
	}
	byID := map[string]int{}
	for i, c := range known {
		t.cols = append(t.cols, c)
		byID[c.id()] = i
		t.index(i)
	}
	// Every primary key column exists even if the layout forgot one.
	for _, k := range st.PrimaryKey {
		if !containsID(layout, k) {
			layout = append([]Column{{Name: k, Key: k, Type: Text}}, layout...)
		}
	}
	if dec != nil {
		if exists && !hasReadable(t.cols) && len(dec.Columns()) > 0 {
			// A database written before readable columns existed: its rows
			// get them when they are written again.
			s.opt.Notice(st.Name, fmt.Sprintf("%s: readable custom-field columns added; rows written before stay NULL in them until they change ('pdx state reset --stream %s' rewrites them all)", st.Name, st.Name))
		}
		layout = append(layout, readableColumns(dec)...)
	}
	for _, c := range layout {
		if i, ok := byID[c.id()]; ok {
			old := t.cols[i]
			t.cols[i].Decode = c.Decode
			if old.Type != c.Type {
				t.cols[i].Type = c.Type
				if err := s.retypeColumn(ctx, st.Name, old, c.Type); err != nil {
					return nil, err
				}
			}
			continue
		}
		c.Name = t.uniqueName(c.Name)
		t.cols = append(t.cols, c)
		t.index(len(t.cols) - 1)
		if err := s.saveColumn(ctx, st.Name, c, len(t.cols)-1); err != nil {
			return nil, err
		}
	}
	for _, k := range st.PrimaryKey {
		for i, c := range t.cols {
			if c.Key == k && c.Sub == "" && c.Part == "" {
				t.pk = append(t.pk, i)
				break
			}
		}
	}
	t.bindReadable(dec)
	if !exists {
		if _, err := s.conn.ExecContext(ctx, t.createSQL(t.name, false)); err != nil {
			return nil, fmt.Errorf("create table %s: %w", t.name, err)
		}
	}
	if err := s.syncColumns(ctx, t); err != nil {
		return nil, err
	}
	if t.full {
		t.staging = true
		if _, err := s.conn.ExecContext(ctx, `DROP TABLE IF EXISTS `+quote(t.stageName())); err != nil {
			return nil, fmt.Errorf("drop stage of %s: %w", t.name, err)
		}
		if _, err := s.conn.ExecContext(ctx, t.createSQL(t.stageName(), false)); err != nil {
			return nil, fmt.Errorf("create stage of %s: %w", t.name, err)
		}
	}
	return t, s.prepare(ctx, t)
}

func containsID(cols []Column, key string) bool {
	for _, c := range cols {
		if c.Key == key && c.Sub == "" && c.Part == "" {
			return true
		}
	}
	return false
}
