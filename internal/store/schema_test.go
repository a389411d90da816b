package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"mashang/internal/store"
	"mashang/internal/store/storetest"
)

// schema is an engine's schema, normalised so that the two engines compare:
// one line per table, column, index, constraint and trigger.
type schema map[string]bool

func (s schema) add(format string, args ...any) { s[fmt.Sprintf(format, args...)] = true }

func (s schema) lines() []string {
	out := make([]string, 0, len(s))
	for l := range s {
		out = append(out, l)
	}
	sort.Strings(out)
	return out
}

// typeClass maps a declared type to what the code relies on.
func typeClass(t string) string {
	t = strings.ToLower(strings.TrimSpace(t))
	switch {
	case strings.Contains(t, "int"):
		return "integer"
	case t == "text" || strings.HasPrefix(t, "varchar") || strings.HasPrefix(t, "character"):
		return "text"
	case t == "blob" || t == "bytea":
		return "bytes"
	case strings.HasPrefix(t, "bool"):
		return "boolean"
	case t == "real" || strings.HasPrefix(t, "double") || strings.HasPrefix(t, "numeric") || strings.HasPrefix(t, "float"):
		return "real"
	}
	return "?" + t
}

var castRe = regexp.MustCompile(`::[a-z ]+(\[\])?`)

// normDefault makes '...'::text and 'x', TRUE and true, (1) and 1 agree.
func normDefault(d sql.NullString) string {
	if !d.Valid {
		return ""
	}
	v := strings.ToLower(strings.TrimSpace(d.String))
	v = castRe.ReplaceAllString(v, "")
	return strings.Trim(v, "()")
}

func normCheck(c string) string {
	c = strings.ToLower(c)
	c = strings.TrimPrefix(strings.TrimSpace(c), "check")
	return strings.NewReplacer(" ", "", "(", "", ")", "").Replace(c)
}

var skipTables = []string{"goose_db_version", "sqlite_sequence"}

func sqliteSchema(t *testing.T, db *sql.DB) schema {
	t.Helper()
	s := schema{}
	rows, err := db.Query(`SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	type table struct{ name, sql string }
	var tables []table
	for rows.Next() {
		var tb table
		if err := rows.Scan(&tb.name, &tb.sql); err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(skipTables, tb.name) {
			tables = append(tables, tb)
		}
	}
	rows.Close()
	checkRe := regexp.MustCompile(`(?i)CHECK\s*\(([^()]*(\([^()]*\))?[^()]*)\)`)
	for _, tb := range tables {
		s.add("table %s", tb.name)
		// table_xinfo includes generated columns (hidden 2 and 3).
		cols, err := db.Query(`SELECT name, type, "notnull", dflt_value, pk, hidden FROM pragma_table_xinfo(?)`, tb.name)
		if err != nil {
			t.Fatal(err)
		}
		var pk []string
		for cols.Next() {
			var name, typ string
			var notnull, pkn, hidden int
			var dflt sql.NullString
			if err := cols.Scan(&name, &typ, &notnull, &dflt, &pkn, &hidden); err != nil {
				t.Fatal(err)
			}
			typ = strings.TrimSpace(strings.Split(strings.ToUpper(typ), " GENERATED")[0])
			gen := hidden == 2 || hidden == 3
			// An INTEGER PRIMARY KEY is NOT NULL in effect.
			nn := notnull == 1 || pkn > 0
			s.add("column %s.%s %s notnull=%v default=%s generated=%v", tb.name, name, typeClass(typ), nn, normDefault(dflt), gen)
			if pkn > 0 {
				pk = append(pk, fmt.Sprintf("%d:%s", pkn, name))
			}
		}
		cols.Close()
		if len(pk) > 0 {
			sort.Strings(pk)
			s.add("primary key %s (%s)", tb.name, strings.Join(pk, ","))
		}
		for _, m := range checkRe.FindAllStringSubmatch(tb.sql, -1) {
			s.add("check %s %s", tb.name, normCheck(m[1]))
		}
		fks, err := db.Query(`SELECT "table", "from", "to" FROM pragma_foreign_key_list(?)`, tb.name)
		if err != nil {
			t.Fatal(err)
		}
		for fks.Next() {
			var to, from string
			var toCol sql.NullString
			if err := fks.Scan(&to, &from, &toCol); err != nil {
				t.Fatal(err)
			}
			col := toCol.String
			if col == "" {
				col = "id"
			}
			s.add("foreign key %s.%s -> %s.%s", tb.name, from, to, col)
		}
		fks.Close()
		idx, err := db.Query(`SELECT name, "unique", origin FROM pragma_index_list(?)`, tb.name)
		if err != nil {
			t.Fatal(err)
		}
		type index struct {
			name   string
			unique bool
			origin string
		}
		var ixs []index
		for idx.Next() {
			var ix index
			if err := idx.Scan(&ix.name, &ix.unique, &ix.origin); err != nil {
				t.Fatal(err)
			}
			ixs = append(ixs, ix)
		}
		idx.Close()
		for _, ix := range ixs {
			if ix.origin == "pk" {
				continue
			}
			cr, err := db.Query(`SELECT name FROM pragma_index_info(?) ORDER BY seqno`, ix.name)
			if err != nil {
				t.Fatal(err)
			}
			var cs []string
			for cr.Next() {
				var c string
				if err := cr.Scan(&c); err != nil {
					t.Fatal(err)
				}
				cs = append(cs, c)
			}
			cr.Close()
			if ix.origin == "u" { // a UNIQUE constraint
				s.add("unique %s (%s)", tb.name, strings.Join(cs, ","))
				continue
			}
			s.add("index %s on %s (%s) unique=%v", ix.name, tb.name, strings.Join(cs, ","), ix.unique)
		}
	}
	trs, err := db.Query(`SELECT name, tbl_name FROM sqlite_master WHERE type = 'trigger'`)
	if err != nil {
		t.Fatal(err)
	}
	for trs.Next() {
		var name, tbl string
		if err := trs.Scan(&name, &tbl); err != nil {
			t.Fatal(err)
		}
		s.add("trigger %s on %s", name, tbl)
	}
	trs.Close()
	return s
}

func postgresSchema(t *testing.T, db *sql.DB) schema {
	t.Helper()
	s := schema{}
	q := func(query string, args ...any) *sql.Rows {
		t.Helper()
		rows, err := db.Query(query, args...)
		if err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		return rows
	}
	rows := q(`SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`)
	var tables []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(skipTables, n) {
			tables = append(tables, n)
		}
	}
	rows.Close()
	for _, tb := range tables {
		s.add("table %s", tb)
		rows := q(`SELECT column_name, data_type, is_nullable, column_default, is_generated FROM information_schema.columns
			WHERE table_schema = current_schema() AND table_name = $1`, tb)
		for rows.Next() {
			var name, typ, nullable, generated string
			var dflt sql.NullString
			if err := rows.Scan(&name, &typ, &nullable, &dflt, &generated); err != nil {
				t.Fatal(err)
			}
			s.add("column %s.%s %s notnull=%v default=%s generated=%v", tb, name, typeClass(typ), nullable == "NO", normDefault(dflt), generated == "ALWAYS")
		}
		rows.Close()
		rows = q(`SELECT c.contype, pg_get_constraintdef(c.oid), COALESCE((SELECT string_agg(a.attname, ',' ORDER BY k.ord)
				FROM unnest(c.conkey) WITH ORDINALITY k(attnum, ord) JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum), ''),
				COALESCE(ft.relname, ''), COALESCE((SELECT string_agg(a.attname, ',') FROM unnest(c.confkey) k(attnum)
				JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.attnum), '')
			FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid LEFT JOIN pg_class ft ON ft.oid = c.confrelid
			WHERE t.relname = $1 AND t.relnamespace = current_schema()::regnamespace`, tb)
		for rows.Next() {
			var typ, def, cols, ftable, fcols string
			if err := rows.Scan(&typ, &def, &cols, &ftable, &fcols); err != nil {
				t.Fatal(err)
			}
			switch typ {
			case "p":
				var pk []string
				for i, c := range strings.Split(cols, ",") {
					pk = append(pk, fmt.Sprintf("%d:%s", i+1, c))
				}
				sort.Strings(pk)
				s.add("primary key %s (%s)", tb, strings.Join(pk, ","))
			case "u":
				s.add("unique %s (%s)", tb, cols)
			case "f":
				s.add("foreign key %s.%s -> %s.%s", tb, cols, ftable, fcols)
			case "c":
				s.add("check %s %s", tb, normCheck(def))
			default:
				s.add("constraint %s %s %s", tb, typ, def)
			}
		}
		rows.Close()
		// Indexes that no constraint owns.
		rows = q(`SELECT i.relname, x.indisunique, (SELECT string_agg(a.attname, ',' ORDER BY k.ord)
				FROM unnest(x.indkey) WITH ORDINALITY k(attnum, ord) JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum)
			FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
			WHERE t.relname = $1 AND t.relnamespace = current_schema()::regnamespace
			  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)`, tb)
		for rows.Next() {
			var name, cols string
			var unique bool
			if err := rows.Scan(&name, &unique, &cols); err != nil {
				t.Fatal(err)
			}
			s.add("index %s on %s (%s) unique=%v", name, tb, cols, unique)
		}
		rows.Close()
	}
	rows = q(`SELECT DISTINCT trigger_name, event_object_table FROM information_schema.triggers WHERE trigger_schema = current_schema()`)
	for rows.Next() {
		var name, tbl string
		if err := rows.Scan(&name, &tbl); err != nil {
			t.Fatal(err)
		}
		s.add("trigger %s on %s", name, tbl)
	}
	rows.Close()
	return s
}

// The two migration folders give the same schema: tables, columns (type
// class, NOT NULL, default, generated), primary keys, unique, foreign-key
// and check constraints, indexes and triggers.
func TestSchemasAgree(t *testing.T) {
	lite := storetest.SQLite(t)
	pg, err := store.Open(context.Background(), store.Options{URL: storetest.PostgresURL(t), Logger: storetest.Quiet()})
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	a, b := sqliteSchema(t, lite.Read), postgresSchema(t, pg.Read)
	if testing.Verbose() {
		for _, l := range a.lines() {
			t.Log(l)
		}
	}
	if len(a) < 100 {
		t.Fatalf("SQLite schema has only %d lines:\n%s", len(a), strings.Join(a.lines(), "\n"))
	}
	for _, l := range a.lines() {
		if !b[l] {
			t.Errorf("only in SQLite:     %s", l)
		}
	}
	for _, l := range b.lines() {
		if !a[l] {
			t.Errorf("only in PostgreSQL: %s", l)
		}
	}
}
