package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
)

// Bulk buffers rows for one multi-row INSERT statement at a time: for load
// data (the demo county) and the group commit's groups of reports, where
// one statement per row is too slow.
type Bulk struct {
	// qmark: SQLite binds ? placeholders; its lookup of $N names is linear
	// per parameter, which makes a statement of thousands of them slow.
	qmark bool
	table string
	cols  []string
	per   int
	rows  [][]any
	// N counts the rows added since Reset.
	N int
}

// NewBulk returns a buffer for table's cols on engine, flushed every per rows.
func NewBulk(engine Engine, table string, cols []string, per int) *Bulk {
	return &Bulk{qmark: engine == SQLite, table: table, cols: cols, per: per}
}

// Reset forgets buffered rows and the count (a retried transaction starts again).
func (b *Bulk) Reset() { b.rows, b.N = nil, 0 }

// Add buffers a row (one value per column), writing the buffer when full.
func (b *Bulk) Add(ctx context.Context, tx *sql.Tx, row ...any) error {
	if len(row) != len(b.cols) {
		return fmt.Errorf("store: bulk insert into %s: %d values for %d columns", b.table, len(row), len(b.cols))
	}
	b.rows = append(b.rows, row)
	b.N++
	if len(b.rows) >= b.per {
		return b.Flush(ctx, tx)
	}
	return nil
}

// Flush writes the buffered rows.
func (b *Bulk) Flush(ctx context.Context, tx *sql.Tx) error {
	if len(b.rows) == 0 {
		return nil
	}
	q, args := b.statement()
	if _, err := tx.ExecContext(ctx, q, args...); err != nil {
		return fmt.Errorf("store: bulk insert into %s: %w", b.table, err)
	}
	b.rows = b.rows[:0]
	return nil
}

// FlushReturning writes the buffered rows with RETURNING returning (column
// names) and calls scan for each row it returns: in no promised order, so
// return a unique column to match them by.
func (b *Bulk) FlushReturning(ctx context.Context, tx *sql.Tx, returning string, scan func(*sql.Rows) error) error {
	if len(b.rows) == 0 {
		return nil
	}
	q, args := b.statement()
	rows, err := tx.QueryContext(ctx, q+" RETURNING "+returning, args...)
	if err != nil {
		return fmt.Errorf("store: bulk insert into %s: %w", b.table, err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: bulk insert into %s: %w", b.table, err)
	}
	b.rows = b.rows[:0]
	return nil
}

// Statement returns the INSERT of the buffered rows and its arguments, and
// forgets the rows: for a caller that sends it inside a statement of its
// own (on PostgreSQL, a WITH clause of an UPDATE; placeholders after the
// rows' are $len(args)+1, …).
func (b *Bulk) Statement() (string, []any) {
	q, args := b.statement()
	b.rows = b.rows[:0]
	return q, args
}

// statement is the INSERT of the buffered rows and its arguments.
func (b *Bulk) statement() (string, []any) {
	var sb strings.Builder
	sb.WriteString("INSERT INTO " + b.table + " (" + strings.Join(b.cols, ", ") + ") VALUES ")
	args := make([]any, 0, len(b.rows)*len(b.cols))
	for i, r := range b.rows {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteByte('(')
		for j := range r {
			if j > 0 {
				sb.WriteByte(',')
			}
			if b.qmark {
				sb.WriteByte('?')
			} else {
				sb.WriteByte('$')
				sb.WriteString(strconv.Itoa(len(args) + j + 1))
			}
		}
		sb.WriteByte(')')
		args = append(args, r...)
	}
	return sb.String(), args
}
