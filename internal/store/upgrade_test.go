package store_test

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"mashang/internal/audit"
	"mashang/internal/auth"
	"mashang/internal/backup/backuptest"
	"mashang/internal/clock"
	"mashang/internal/store"
	"mashang/internal/store/storetest"
)

// The testdata database of the first schema (migration 00001 only) is made
// by this file's generator and committed:
//
//	go test ./internal/store -run TestUpgradeFromFirstSchema -update
//
// writes testdata/schema1.db (SQLite, as the first release left it) and
// testdata/schema1.sql (the same rows as INSERTs, loaded into PostgreSQL
// after migration 00001 alone).
var update = flag.Bool("update", false, "regenerate testdata/schema1.db and testdata/schema1.sql")

const firstPassword = "the first schema's passphrase"

var firstAt = time.Date(2026, 1, 5, 9, 30, 0, 0, time.UTC)

// generateFirstSchema fills a database at schema 1 with rows in every
// table: units in a tree, people, users, a token and a chained audit log.
func generateFirstSchema(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := store.Open(ctx, store.Options{DataDir: dir, Logger: storetest.Quiet()})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.MigrateTo(ctx, 1); err != nil {
		t.Fatal(err)
	}
	hash, err := auth.HashPassword(firstPassword)
	if err != nil {
		t.Fatal(err)
	}
	at := store.FormatInstant(firstAt)
	err = db.Tx(ctx, func(tx *sql.Tx) error {
		for _, q := range []string{
			`INSERT INTO units (id, code, name, parent_id, kind, path, created_at, updated_at) VALUES (1, 'MQ', '闽清县', NULL, 'county', '/1/', $1, $1)`,
			`INSERT INTO units (id, code, name, parent_id, kind, path, created_at, updated_at) VALUES (2, 'MQ-MX', '梅溪镇', 1, 'town', '/1/2/', $1, $1)`,
			`INSERT INTO units (id, code, name, parent_id, kind, path, created_at, updated_at) VALUES (3, 'MQ-ZX', '县行政服务中心', 1, 'service_centre', '/1/3/', $1, $1)`,
			`INSERT INTO people (id, name, unit_id, position, cadre_rank, active, created_at, updated_at) VALUES (1, '王某某', 2, '窗口负责人', '科员', TRUE, $1, $1)`,
			`INSERT INTO people (id, name, unit_id, position, cadre_rank, active, created_at, updated_at) VALUES (2, '李某', 3, '副主任', '副科', FALSE, $1, $1)`,
			`INSERT INTO users (id, username, password_hash, role, unit_id, totp_secret, totp_enabled, disabled, created_at, updated_at) VALUES (1, 'admin', $2, 'admin', NULL, '', FALSE, FALSE, $1, $1)`,
			`INSERT INTO users (id, username, password_hash, role, unit_id, totp_secret, totp_enabled, disabled, created_at, updated_at) VALUES (2, 'mx-liaison', $2, 'liaison', 2, '', FALSE, TRUE, $1, $1)`,
			`INSERT INTO auth_tokens (token_hash, user_id, kind, created_at, expires_at) VALUES ('0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0', 1, 'api', $1, '2099-01-01T00:00:00.000000Z')`,
		} {
			args := []any{at}
			if strings.Contains(q, "$2") {
				args = append(args, hash)
			}
			if _, err := tx.ExecContext(ctx, q, args...); err != nil {
				return fmt.Errorf("%s: %w", q, err)
			}
		}
		for i, r := range []audit.Record{
			{Actor: "cli", Action: "unit.import", Subject: "unit:MQ", Data: map[string]any{"created": 3}},
			{Actor: "cli", Action: "user.add", Subject: "user:1", Data: map[string]any{"role": "admin"}},
			{Actor: "cli", Action: "user.add", Subject: "user:2", Data: map[string]any{"role": "liaison", "unit": "MQ-MX"}},
			{Actor: "user:admin", Action: "person.add", Subject: "person:1", Data: map[string]any{"name": "王某某"}},
		} {
			if err := audit.Append(ctx, tx, firstAt.Add(time.Duration(i)*time.Minute), r); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	all, err := db.Tables(ctx, db.Read)
	if err != nil {
		t.Fatal(err)
	}
	// Schema 1 is frozen: its tables in the order their references need.
	order := []string{"units", "people", "users", "auth_tokens", "audit_log", "audit_head"}
	var tables []store.Table
	for _, name := range order {
		for _, tb := range all {
			if tb.Name == name {
				tables = append(tables, tb)
			}
		}
	}
	if len(tables) != len(all) {
		t.Fatalf("schema 1 has tables %v", all)
	}
	var b strings.Builder
	b.WriteString("-- The rows of testdata/schema1.db (schema 00001), written by upgrade_test.go's generator.\n")
	b.WriteString("DELETE FROM audit_head;\n")
	for _, tb := range tables {
		for _, r := range rowsOf(t, db, tb) {
			b.WriteString(r + ";\n")
		}
	}
	if err := os.WriteFile("testdata/schema1.sql", []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Remove("testdata/schema1.db")
	if _, err := db.Write.ExecContext(ctx, `VACUUM INTO 'testdata/schema1.db'`); err != nil {
		t.Fatal(err)
	}
}

// rowsOf renders tb's rows as INSERT statements both engines read.
func rowsOf(t *testing.T, db *store.DB, tb store.Table) []string {
	cols := make([]string, len(tb.Columns))
	for i, c := range tb.Columns {
		cols[i] = c.Name
	}
	rows, err := db.Read.Query(`SELECT ` + strings.Join(cols, ", ") + ` FROM ` + tb.Name + ` ORDER BY ` + strings.Join(tb.Key, ", "))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		lits := make([]string, len(vals))
		for i, v := range vals {
			switch x := v.(type) {
			case nil:
				lits[i] = "NULL"
			case int64:
				lits[i] = fmt.Sprint(x)
				if tb.Columns[i].Kind == store.KindBool {
					lits[i] = map[bool]string{true: "TRUE", false: "FALSE"}[x != 0]
				}
			case bool:
				lits[i] = map[bool]string{true: "TRUE", false: "FALSE"}[x]
			case string:
				lits[i] = "'" + strings.ReplaceAll(x, "'", "''") + "'"
			default:
				t.Fatalf("%s: a %T value", tb.Name, v)
			}
		}
		out = append(out, "INSERT INTO "+tb.Name+" ("+strings.Join(cols, ", ")+") VALUES ("+strings.Join(lits, ", ")+")")
	}
	return out
}

// A database made by the first schema, with rows in every table, migrates
// to the current schema with every row intact, on both engines: each
// table's first-schema columns hold the same values, the audit chain
// verifies, and the first admin still signs in.
func TestUpgradeFromFirstSchema(t *testing.T) {
	if *update {
		generateFirstSchema(t)
	}
	dump, err := os.ReadFile("testdata/schema1.sql")
	if err != nil {
		t.Fatal(err)
	}
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			o := store.Options{DataDir: t.TempDir(), Logger: storetest.Quiet()}
			if engine == "postgres" {
				o.URL = storetest.EmptyPostgresURL(t)
			} else {
				data, err := os.ReadFile("testdata/schema1.db")
				if err != nil {
					t.Fatal(err)
				}
				os.WriteFile(filepath.Join(o.DataDir, store.SQLiteFile), data, 0o600)
			}
			db, err := store.Open(ctx, o)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if engine == "postgres" {
				if err := db.MigrateTo(ctx, 1); err != nil {
					t.Fatal(err)
				}
				if _, err := db.Write.ExecContext(ctx, string(dump)); err != nil {
					t.Fatal(err)
				}
			}
			if cur, _, err := db.SchemaVersions(ctx); err != nil || cur != 1 {
				t.Fatalf("testdata is at schema %d (%v), want 1", cur, err)
			}
			first, err := db.Tables(ctx, db.Read)
			if err != nil {
				t.Fatal(err)
			}
			before := map[string][]string{}
			for _, tb := range first {
				before[tb.Name] = backuptest.Rows(t, db, tb)
				if len(before[tb.Name]) == 0 {
					t.Fatalf("table %s of the first schema has no rows in testdata", tb.Name)
				}
			}
			v, err := db.Migrate(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if _, target, _ := db.SchemaVersions(ctx); v != target {
				t.Fatalf("migrated to %d, want %d", v, target)
			}
			for _, tb := range first {
				if got := backuptest.Rows(t, db, tb); !reflect.DeepEqual(got, before[tb.Name]) {
					t.Errorf("table %s changed in the upgrade:\n got %v\nwant %v", tb.Name, got, before[tb.Name])
				}
			}
			// As every start does after migrating: the log gets its Merkle tree.
			if n, err := audit.EnsureTree(ctx, db); err != nil || n != 4 {
				t.Fatalf("audit tree after the upgrade: %d %v", n, err)
			}
			if n, err := audit.Verify(ctx, db.Read); err != nil || n != 4 {
				t.Fatalf("audit verify after the upgrade: %d %v", n, err)
			}
			a := auth.NewService(db, clock.NewFixed(firstAt.Add(time.Hour)), auth.Options{TokenTTL: time.Hour})
			if _, _, err := a.Login(ctx, "admin", firstPassword, "", "127.0.0.1"); err != nil {
				t.Fatalf("the first admin cannot sign in after the upgrade: %v", err)
			}
		})
	}
}

// A migration that fails leaves the database as it was: the same tables,
// the same rows, the same version, on both engines.
func TestFailedMigrationLeavesDatabaseAsItWas(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, err := db.Write.ExecContext(ctx, `INSERT INTO units (code, name, kind, path, created_at, updated_at) VALUES ('A', '甲', 'county', '/1/', 'x', 'x')`); err != nil {
			t.Fatal(err)
		}
		real, err := db.EngineMigrations()
		if err != nil {
			t.Fatal(err)
		}
		broken := fstest.MapFS{"99990_broken.sql": {Data: []byte(`-- +goose Up
CREATE TABLE upgrade_probe (id INTEGER PRIMARY KEY);
ALTER TABLE units ADD COLUMN probe TEXT NOT NULL DEFAULT 'x';
UPDATE units SET name = '改了';
INSERT INTO no_such_table VALUES (1);
-- +goose Down
DROP TABLE upgrade_probe;
`)}}
		fs.WalkDir(real, ".", func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				data, _ := fs.ReadFile(real, p)
				broken[p] = &fstest.MapFile{Data: data}
			}
			return nil
		})
		v0, _, _ := db.SchemaVersions(ctx)
		tables0, _ := db.Tables(ctx, db.Read)
		rows0 := map[string][]string{}
		for _, tb := range tables0 {
			rows0[tb.Name] = backuptest.Rows(t, db, tb)
		}
		if err := db.MigrateFS(ctx, broken); err == nil || !strings.Contains(err.Error(), "no_such_table") {
			t.Fatalf("the broken migration did not fail: %v", err)
		}
		v1, _, _ := db.SchemaVersions(ctx)
		tables1, _ := db.Tables(ctx, db.Read)
		if v1 != v0 || !reflect.DeepEqual(tables0, tables1) {
			t.Fatalf("after the failed migration: version %d (was %d), tables %v", v1, v0, tables1)
		}
		for _, tb := range tables1 {
			if got := backuptest.Rows(t, db, tb); !reflect.DeepEqual(got, rows0[tb.Name]) {
				t.Errorf("table %s changed", tb.Name)
			}
		}
	})
}

// TestMigrationAnalysesNewIndexes: on an SQLite database analysed before
// (as `mashang demo` leaves one), a migration's new indexes get statistics
// too, so that the planner does not take an index it knows nothing of for
// a very selective one; a database never analysed is left unanalysed.
func TestMigrationAnalysesNewIndexes(t *testing.T) {
	ctx := context.Background()
	for _, analysed := range []bool{true, false} {
		db, err := store.Open(ctx, store.Options{DataDir: t.TempDir(), Logger: storetest.Quiet()})
		if err != nil {
			t.Fatal(err)
		}
		if err := db.MigrateTo(ctx, 17); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Write.ExecContext(ctx, `INSERT INTO cases (receipt, key_hash, channel, state, received_at, received_on, content, created_by, updated_at)
			VALUES ('R1', 'k', 'web', 'registered', '2026-01-05T09:30:00.000000000Z', '2026-01-05', 'x', 'test', '2026-01-05T09:30:00.000000000Z')`); err != nil {
			t.Fatal(err)
		}
		if analysed {
			if _, err := db.Write.ExecContext(ctx, `ANALYZE`); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := db.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		var stats, newStats int
		if err := db.Write.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master WHERE name = 'sqlite_stat1'`).Scan(&stats); err != nil {
			t.Fatal(err)
		}
		if stats == 1 {
			if err := db.Write.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_stat1 WHERE idx = 'cases_state_deadline'`).Scan(&newStats); err != nil {
				t.Fatal(err)
			}
		}
		if analysed && newStats != 1 {
			t.Errorf("analysed before: the new index cases_state_deadline has %d statistics rows, want 1", newStats)
		}
		if !analysed && stats != 0 {
			t.Errorf("never analysed: the migration analysed it")
		}
		db.Close()
	}
}
