package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
)

// The record inserts run on the driver's statements directly (sql.Conn.Raw):
// database/sql would check and convert every argument and allocate a fresh
// argument slice for each execution, about a tenth of a new record's cost.
// The values are what the driver takes already (scan.go's value), and the
// arguments are one reused []driver.NamedValue. A driver statement is used
// only inside Raw, on the connection the Sink holds for its whole life.

type rawStmt struct {
	conn *sql.Conn
	st   driver.Stmt
}

func (s *Sink) prepareRaw(ctx context.Context, q string) (*rawStmt, error) {
	r := &rawStmt{conn: s.conn}
	err := s.conn.Raw(func(dc any) error {
		var err error
		if p, ok := dc.(driver.ConnPrepareContext); ok {
			r.st, err = p.PrepareContext(ctx, q)
		} else {
			r.st, err = dc.(driver.Conn).Prepare(q)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

func (r *rawStmt) exec(ctx context.Context, args []driver.NamedValue) error {
	return r.conn.Raw(func(any) error {
		ex, ok := r.st.(driver.StmtExecContext)
		if !ok {
			return fmt.Errorf("the sqlite driver's statements lack ExecContext")
		}
		_, err := ex.ExecContext(ctx, args)
		return err
	})
}

func (r *rawStmt) close() {
	if r != nil && r.st != nil {
		r.conn.Raw(func(any) error { return r.st.Close() })
		r.st = nil
	}
}

// driverValue makes a decoded value one the driver takes as it is.
func driverValue(x any) (any, error) {
	switch x.(type) {
	case nil, int64, float64, string, []byte:
		return x, nil
	}
	return driver.DefaultParameterConverter.ConvertValue(x)
}
