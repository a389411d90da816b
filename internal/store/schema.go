package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// Kind is the portable type of a column: what its values are, whichever
// engine holds them.
type Kind string

// The kinds of column the migrations use.
const (
	KindInteger Kind = "integer"
	KindReal    Kind = "real"
	KindText    Kind = "text"
	KindBlob    Kind = "blob"
	KindBool    Kind = "boolean"
)

// Column is one column of a table.
type Column struct {
	Name string `json:"name"`
	Kind Kind   `json:"kind"`
}

// Table is one table of the schema, with its stored (not generated)
// columns in order and its primary key.
type Table struct {
	Name    string   `json:"name"`
	Columns []Column `json:"columns"`
	Key     []string `json:"key,omitempty"`
}

// Querier runs queries: a *sql.DB, *sql.Tx or *sql.Conn.
type Querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// VersionTable is the migration tool's own table, which Tables leaves out.
const VersionTable = "goose_db_version"

// Tables lists the tables of the schema as q sees it (in a snapshot
// transaction, as of that snapshot), by name, from the engine's own
// catalogue: a table added by a migration appears without anyone listing
// it. Generated columns are left out (they are computed, not stored), and
// so is the migration tool's version table.
func (d *DB) Tables(ctx context.Context, q Querier) ([]Table, error) {
	var names []string
	query := `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`
	if d.Engine == Postgres {
		query = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`
	}
	if err := collect(ctx, q, &names, query); err != nil {
		return nil, fmt.Errorf("store: list tables: %w", err)
	}
	var out []Table
	for _, n := range names {
		if n == VersionTable {
			continue
		}
		t, err := d.Table(ctx, q, n)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// Table is table name of the schema as q sees it: its stored (not
// generated) columns in order and its primary key (Tables, for one table).
func (d *DB) Table(ctx context.Context, q Querier, name string) (Table, error) {
	t := Table{Name: name}
	var query string
	if d.Engine == Postgres {
		query = `SELECT c.column_name, c.data_type, c.is_generated = 'ALWAYS',
			COALESCE((SELECT k.ordinal_position FROM information_schema.table_constraints tc
				JOIN information_schema.key_column_usage k ON k.constraint_name = tc.constraint_name AND k.table_schema = tc.table_schema
				WHERE tc.table_schema = c.table_schema AND tc.table_name = c.table_name AND tc.constraint_type = 'PRIMARY KEY' AND k.column_name = c.column_name), 0)
			FROM information_schema.columns c WHERE c.table_schema = current_schema() AND c.table_name = $1 ORDER BY c.ordinal_position`
	} else {
		// hidden: 2 and 3 are generated columns (virtual, stored).
		query = `SELECT x.name, x.type, x.hidden IN (2, 3), COALESCE(i.pk, 0) FROM pragma_table_xinfo($1) x
			LEFT JOIN pragma_table_info($1) i ON i.name = x.name ORDER BY x.cid`
	}
	rows, err := q.QueryContext(ctx, query, name)
	if err != nil {
		return t, fmt.Errorf("store: columns of %s: %w", name, err)
	}
	defer rows.Close()
	keys := map[int]string{}
	for rows.Next() {
		var col, typ string
		var generated bool
		var pk int
		if err := rows.Scan(&col, &typ, &generated, &pk); err != nil {
			return t, fmt.Errorf("store: columns of %s: %w", name, err)
		}
		if generated {
			continue
		}
		if pk > 0 {
			keys[pk] = col
		}
		t.Columns = append(t.Columns, Column{Name: col, Kind: kindOf(typ)})
	}
	if err := rows.Err(); err != nil {
		return t, err
	}
	for i := 1; i <= len(keys); i++ {
		t.Key = append(t.Key, keys[i])
	}
	return t, nil
}

// kindOf maps a declared (SQLite) or data (PostgreSQL) type to its kind.
func kindOf(typ string) Kind {
	t := strings.ToLower(typ)
	switch {
	case strings.Contains(t, "bool"):
		return KindBool
	case strings.Contains(t, "int"):
		return KindInteger
	case strings.Contains(t, "blob"), strings.Contains(t, "bytea"):
		return KindBlob
	case strings.Contains(t, "real"), strings.Contains(t, "double"), strings.Contains(t, "float"), strings.Contains(t, "numeric"):
		return KindReal
	}
	return KindText
}

func collect(ctx context.Context, q Querier, into *[]string, query string, args ...any) error {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return err
		}
		*into = append(*into, s)
	}
	return rows.Err()
}
