package sqlite

import (
	"context"
	"fmt"
	"strings"
)

// historyTriggers copy a version into the history table when it is
// replaced (a changed record, a tombstone) or removed (a row a full refresh
// no longer sees, gone since this run), and keep the <stream>_history view
// in step with the columns. The triggers are TEMP: they live in this
// connection only, so the file holds no triggers and a user editing the
// database by hand writes no history.
func (s *Sink) historyTriggers(ctx context.Context, t *table) error {
	h := quote(t.historyName())
	var cols, oldVals []string
	for _, c := range t.cols {
		cols = append(cols, quote(c.Name))
		oldVals = append(oldVals, "old."+quote(c.Name))
	}
	list := strings.Join(cols, ", ")
	sys := fmt.Sprintf("%s, %s", quote(colDeletedAt), quote(colValidFrom))
	insert := func(to string) string {
		return fmt.Sprintf("INSERT INTO %s (%s, %s, %s) VALUES (%s, old.%s, old.%s, %s);", h, list, sys, quote(colValidTo),
			strings.Join(oldVals, ", "), quote(colDeletedAt), quote(colValidFrom), to)
	}
	trig := func(kind string) string { return quote("_pdx_history_" + t.name + "_" + kind) }
	view := quote(t.viewName())
	stmts := []string{
		"DROP TRIGGER IF EXISTS temp." + trig("update"),
		"DROP TRIGGER IF EXISTS temp." + trig("delete"),
		fmt.Sprintf("CREATE TEMP TRIGGER %s AFTER UPDATE ON main.%s BEGIN %s END", trig("update"), quote(t.name), insert("new."+quote(colValidFrom))),
		fmt.Sprintf("CREATE TEMP TRIGGER %s AFTER DELETE ON main.%s BEGIN %s END", trig("delete"), quote(t.name), insert("(SELECT t FROM temp._pdx_now)")),
		"DROP VIEW IF EXISTS " + view,
		fmt.Sprintf("CREATE VIEW %s AS SELECT %s, %s, %s FROM %s UNION ALL SELECT %s, %s, NULL AS %s FROM %s", view,
			list, sys, quote(colValidTo), h, list, sys, quote(colValidTo), quote(t.name)),
	}
	for _, q := range stmts {
		if _, err := s.conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("history of %s: %w", t.name, err)
		}
	}
	return nil
}

// swap replaces the table's content with the finished full refresh in the
// current transaction: changed and new rows upserted (history sees each
// change), rows the refresh did not see deleted, the stage dropped.
func (s *Sink) swap(ctx context.Context, t *table) error {
	list := strings.Join(t.names(), ", ")
	stage, main := quote(t.stageName()), quote(t.name)
	stmts := []string{
		// WHERE true: SQLite's parser needs it between SELECT and ON CONFLICT.
		fmt.Sprintf("INSERT INTO %s (%s) SELECT %s FROM %s WHERE true %s", main, list, list, stage, t.onConflict()),
		fmt.Sprintf("DELETE FROM %s WHERE NOT EXISTS (SELECT 1 FROM %s WHERE %s)", main, stage, t.pkMatch(stage+".", main+".")),
	}
	for _, q := range stmts {
		if _, err := s.conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("replace %s: %w", t.name, err)
		}
	}
	return s.dropStage(ctx, t)
}

func (s *Sink) dropStage(ctx context.Context, t *table) error {
	t.closeStmts()
	t.staging = false
	if _, err := s.conn.ExecContext(ctx, "DROP TABLE IF EXISTS "+quote(t.stageName())); err != nil {
		return fmt.Errorf("drop stage of %s: %w", t.name, err)
	}
	return nil
}
