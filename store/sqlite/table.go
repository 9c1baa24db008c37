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

	// inserts[n-1] writes n records into the table (upsert) or, while
	// staging, its stage (prepared when first needed); tomb writes a
	// tombstone.
	inserts []*rawStmt
	insert  func(rows int) string
	tomb    *sql.Stmt
	vals    []any               // the record being scanned
	dec     *readable.Decoder   // the stream's custom-field decoder (nil: none)
	rd      []int               // per decoder column: its column in cols, -1 none
	rows    []driver.NamedValue // batchRows records waiting for an insert
	n       int                 // records in rows
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
		history: historyStreams[st.Name], full: s.opt.full(st.Name)}
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

// createSQL creates the current-state table (or its stage) or, with
// history, the table of replaced versions.
func (t *table) createSQL(name string, history bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "CREATE TABLE %s (", quote(name))
	if history {
		fmt.Fprintf(&b, "%s INTEGER PRIMARY KEY, ", quote(colVersion))
	}
	rowid := !history && len(t.pk) == 1 && t.cols[t.pk[0]].Type == Integer
	for i, c := range t.cols {
		fmt.Fprintf(&b, "%s %s", quote(c.Name), c.Type.declared())
		if rowid && i == t.pk[0] {
			b.WriteString(" PRIMARY KEY") // an alias of the rowid: the fastest key SQLite has
		}
		b.WriteString(", ")
	}
	fmt.Fprintf(&b, "%s TEXT", quote(colDeletedAt))
	switch {
	case history:
		fmt.Fprintf(&b, ", %s TEXT NOT NULL, %s TEXT NOT NULL", quote(colValidFrom), quote(colValidTo))
	case t.history:
		fmt.Fprintf(&b, ", %s TEXT NOT NULL", quote(colValidFrom))
	}
	if !history && !rowid {
		fmt.Fprintf(&b, ", PRIMARY KEY (%s)", t.pkList(""))
	}
	b.WriteString(")")
	return b.String()
}

// pkList is the primary key columns, each prefixed (new., old., "") .
func (t *table) pkList(prefix string) string {
	parts := make([]string, len(t.pk))
	for i, p := range t.pk {
		parts[i] = prefix + quote(t.cols[p].Name)
	}
	return strings.Join(parts, ", ")
}

// pkMatch is "a.k = b.k AND ..." for the primary key.
func (t *table) pkMatch(a, b string) string {
	parts := make([]string, len(t.pk))
	for i, p := range t.pk {
		n := quote(t.cols[p].Name)
		parts[i] = a + n + " = " + b + n
	}
	return strings.Join(parts, " AND ")
}

// syncColumns adds the columns the tables lack (a new custom field, a key
// seen for the first time): ALTER TABLE in place, the data stays.
func (s *Sink) syncColumns(ctx context.Context, t *table) error {
	targets := []string{t.name}
	if t.history {
		exists, err := s.tableExists(ctx, t.historyName())
		if err != nil {
			return err
		}
		if !exists {
			if _, err := s.conn.ExecContext(ctx, t.createSQL(t.historyName(), true)); err != nil {
				return fmt.Errorf("create table %s: %w", t.historyName(), err)
			}
			idx := fmt.Sprintf("CREATE INDEX %s ON %s (%s)", quote("_pdx_history_"+t.name+"_key"), quote(t.historyName()), t.pkList(""))
			if _, err := s.conn.ExecContext(ctx, idx); err != nil {
				return fmt.Errorf("index %s: %w", t.historyName(), err)
			}
		}
		targets = append(targets, t.historyName())
	}
	if t.staging {
		targets = append(targets, t.stageName())
	}
	for _, name := range targets {
		have := map[string]bool{}
		rows, err := s.conn.QueryContext(ctx, `SELECT lower(name) FROM pragma_table_info(?)`, name)
		if err != nil {
			return fmt.Errorf("columns of %s: %w", name, err)
		}
		for rows.Next() {
			var n string
			if err := rows.Scan(&n); err != nil {
				rows.Close()
				return fmt.Errorf("columns of %s: %w", name, err)
			}
			have[n] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("columns of %s: %w", name, err)
		}
		for _, c := range t.cols {
			if have[strings.ToLower(c.Name)] {
				continue
			}
			q := fmt.Sprintf("ALTER TABLE %s ADD COLUMN %s %s", quote(name), quote(c.Name), c.Type.declared())
			if _, err := s.conn.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("add column %s to %s: %w", c.Name, name, err)
			}
		}
	}
	return nil
}

// addColumn adds a column for a top-level key no column holds, in the middle
// of a page: the tables are altered and the statements prepared again.
func (s *Sink) addColumn(ctx context.Context, t *table, key string, typ Type) (int, error) {
	if err := s.flush(ctx, t); err != nil { // queued with the old columns
		return 0, err
	}
	name := key
	if m := hashKey.FindStringSubmatch(key); m != nil {
		name = CustomName("", m[1], m[2])
	}
	c := Column{Name: t.uniqueName(name), Key: key, Type: typ}
	t.cols = append(t.cols, c)
	i := len(t.cols) - 1
	t.index(i)
	if err := s.saveColumn(ctx, t.name, c, i); err != nil {
		return 0, err
	}
	if err := s.syncColumns(ctx, t); err != nil {
		return 0, err
	}
	s.opt.Notice(t.name, fmt.Sprintf("%s: new field %q stored in the new column %s", t.name, key, c.Name))
	return i, s.prepare(ctx, t)
}

// prepare (re)builds the table's statements and history triggers.
func (s *Sink) prepare(ctx context.Context, t *table) error {
	if t.n > 0 {
		return fmt.Errorf("%s: statements rebuilt with %d records pending", t.name, t.n)
	}
	t.closeStmts()
	names := t.names()
	list := strings.Join(names, ", ")
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(names)), ", ") + ")"
	t.vals = make([]any, len(names))
	t.rows = make([]driver.NamedValue, batchRows*len(names))
	for i := range t.rows {
		t.rows[i].Ordinal = i + 1
	}
	t.inserts = make([]*rawStmt, batchRows)
	t.insert = func(rows int) string {
		values := strings.TrimSuffix(strings.Repeat(row+", ", rows), ", ")
		if t.staging {
			// Within one full refresh the last copy of a record wins.
			return fmt.Sprintf("INSERT OR REPLACE INTO %s (%s) VALUES %s", quote(t.stageName()), list, values)
		}
		return fmt.Sprintf("INSERT INTO %s (%s) VALUES %s %s", quote(t.name), list, values, t.onConflict())
	}
	var err error
	tomb := fmt.Sprintf("INSERT INTO %[1]s (%[2]s, %[3]s) VALUES (%[4]s?) ON CONFLICT (%[2]s) DO UPDATE SET %[3]s = excluded.%[3]s WHERE %[1]s.%[3]s IS NULL",
		quote(t.name), t.pkList(""), quote(colDeletedAt), strings.Repeat("?, ", len(t.pk)))
	if t.history {
		// The deletion is a version of its own, valid from the deletion time.
		vf := quote(colValidFrom)
		tomb = fmt.Sprintf("INSERT INTO %[1]s (%[2]s, %[3]s, %[5]s) VALUES (%[4]s?, ?) ON CONFLICT (%[2]s) DO UPDATE SET %[3]s = excluded.%[3]s, %[5]s = excluded.%[5]s WHERE %[1]s.%[3]s IS NULL",
			quote(t.name), t.pkList(""), quote(colDeletedAt), strings.Repeat("?, ", len(t.pk)), vf)
	}
	if t.tomb, err = s.conn.PrepareContext(ctx, tomb); err != nil {
		return fmt.Errorf("prepare %s tombstone: %w", t.name, err)
	}
	if t.history {
		return s.historyTriggers(ctx, t)
	}
	return nil
}

// batchRows records go in one INSERT: most of the cost of a record is the
// statement around it, not the row (36 columns x 32 rows stays far below
// SQLite's 32766 parameters).
const batchRows = 32

func (t *table) closeStmts() {
	for i, st := range t.inserts {
		st.close()
		t.inserts[i] = nil
	}
	if t.tomb != nil {
		t.tomb.Close()
	}
	t.tomb = nil
}

// queue adds the scanned record (t.vals) to the batch.
func (s *Sink) queue(ctx context.Context, t *table) error {
	w := len(t.vals)
	row := t.rows[t.n*w : (t.n+1)*w]
	for i, v := range t.vals {
		row[i].Value = v
	}
	if t.n++; t.n == batchRows {
		return s.flush(ctx, t)
	}
	return nil
}

// flush writes the queued records, in their order, in one statement.
func (s *Sink) flush(ctx context.Context, t *table) error {
	if t.n == 0 {
		return nil
	}
	n, w := t.n, len(t.vals)
	defer func() {
		for i := range t.rows[:n*w] {
			t.rows[i].Value = nil // no reference into the page outlives it
		}
		t.n = 0
	}()
	st := t.inserts[n-1]
	if st == nil {
		var err error
		if st, err = s.prepareRaw(ctx, t.insert(n)); err != nil {
			return fmt.Errorf("prepare %s insert: %w", t.name, err)
		}
		t.inserts[n-1] = st
	}
	if err := st.exec(ctx, t.rows[:n*w]); err != nil {
		return fmt.Errorf("write records: %w", err)
	}
	return nil
}

// onConflict updates an existing row only when a value differs, so the
// inclusive-boundary repeat of an incremental run writes nothing (and adds
// no history version).
func (t *table) onConflict() string {
	var set, diff []string
	for i, c := range t.cols {
		if t.isPK(i) {
			continue
		}
		n := quote(c.Name)
		set = append(set, n+" = excluded."+n)
		diff = append(diff, quote(t.name)+"."+n+" IS NOT excluded."+n)
	}
	n := quote(colDeletedAt)
	set = append(set, n+" = excluded."+n)
	diff = append(diff, quote(t.name)+"."+n+" IS NOT excluded."+n)
	if t.history {
		// Moves with a change only: a repeat keeps its version's start.
		n := quote(colValidFrom)
		set = append(set, n+" = excluded."+n)
	}
	return fmt.Sprintf("ON CONFLICT (%s) DO UPDATE SET %s WHERE %s", t.pkList(""), strings.Join(set, ", "), strings.Join(diff, " OR "))
}

func (t *table) isPK(i int) bool {
	for _, p := range t.pk {
		if p == i {
			return true
		}
	}
	return false
}
