package sqlite

import (
	"context"
	"database/sql/driver"
	"fmt"
	"strings"
)

// The SQL that creates a stream's tables and keeps their columns up to
// date (new custom fields and keys added in place).

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
	t.vals = make([]any, len(names))
	t.rows = make([]driver.NamedValue, batchRows*len(names))
	for i := range t.rows {
		t.rows[i].Ordinal = i + 1
	}
	t.args = make([]driver.NamedValue, 0, len(t.rows))
	t.present = make([]bool, len(names))
	t.key = make([]byte, 0, len(names)+1)
	t.inserts = map[string]*rawStmt{}
	t.insert = func(present []bool, rows int) string {
		var cols, row []string
		for i, n := range names {
			if present[i] {
				cols = append(cols, n)
				row = append(row, "?")
			}
		}
		list := strings.Join(cols, ", ")
		values := strings.TrimSuffix(strings.Repeat("("+strings.Join(row, ", ")+"), ", rows), ", ")
		if t.staging {
			// Within one full refresh the last copy of a record wins.
			return fmt.Sprintf("INSERT OR REPLACE INTO %s (%s) VALUES %s", quote(t.stageName()), list, values)
		}
		// The update sets every column, the ones left out of the insert
		// too: excluded.<column> is their default, NULL, as if bound.
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
	for k, st := range t.inserts {
		st.close()
		delete(t.inserts, k)
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
		if v != nil {
			t.present[i] = true
		}
	}
	if t.n++; t.n == batchRows {
		return s.flush(ctx, t)
	}
	return nil
}

// maxInserts bounds the insert statements a table keeps prepared (one per
// set of columns and number of rows met; a stream of the demo meets 1 to
// 16), and so the memory their programs hold in SQLite.
const maxInserts = 32

// flush writes the queued records, in their order, in one statement. The
// statement lists only the columns some record of the batch has a value
// for: a deal sets a third of its ~50 columns, and binding a NULL costs as
// much as binding a value (each is a call into SQLite under its mutex),
// so leaving the others to their default NULL halves the cost of binding.
func (s *Sink) flush(ctx context.Context, t *table) error {
	if t.n == 0 {
		return nil
	}
	n, w := t.n, len(t.vals)
	defer func() {
		for i := range t.rows[:n*w] {
			t.rows[i].Value = nil // no reference into the page outlives it
		}
		for i := range t.args {
			t.args[i].Value = nil
		}
		clear(t.present)
		t.n = 0
	}()
	for _, p := range t.pk {
		t.present[p] = true // never an insert without its key, even a broken one
	}
	key := t.key[:0]
	all := true
	for _, p := range t.present {
		if p {
			key = append(key, 1)
		} else {
			key, all = append(key, 0), false
		}
	}
	key = append(key, byte(n))
	t.key = key
	args := t.rows[:n*w]
	if !all {
		args = t.args[:0]
		for r := 0; r < n; r++ {
			for i, v := range t.rows[r*w : (r+1)*w] {
				if t.present[i] {
					args = append(args, driver.NamedValue{Ordinal: len(args) + 1, Value: v.Value})
				}
			}
		}
		t.args = args
	}
	st := t.inserts[string(key)]
	if st == nil {
		if len(t.inserts) >= maxInserts {
			// Records too varied for the cache: start it over.
			for k, old := range t.inserts {
				old.close()
				delete(t.inserts, k)
			}
		}
		var err error
		if st, err = s.prepareRaw(ctx, t.insert(t.present, n)); err != nil {
			return fmt.Errorf("prepare %s insert: %w", t.name, err)
		}
		t.inserts[string(key)] = st
	}
	if err := st.exec(ctx, args); err != nil {
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
