package backup_test

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"mashang/internal/app"
	"mashang/internal/backup"
	"mashang/internal/backup/backuptest"
	"mashang/internal/config"
	"mashang/internal/store"
	"mashang/internal/store/storetest"
	"mashang/internal/web/webtest"
)

func source(h *webtest.Harness, withKeys bool) backup.Source {
	return backup.Source{DB: h.App.DB, Files: h.App.Files, Keys: backup.KeysOf(h.App.Config), WithKeys: withKeys, Version: "test", Now: h.Clock.Now}
}

// target returns a restore target of the engine ("sqlite" or "postgres"):
// a new directory, and for PostgreSQL a new database without tables.
func target(t *testing.T, engine string, keyFile string) backup.Target {
	dir := filepath.Join(t.TempDir(), "restored")
	tg := backup.Target{DataDir: dir, Logger: storetest.Quiet(), Keys: []backup.Key{{Name: "identity.key", Path: keyFile}},
		Say: func(f string, a ...any) { t.Logf(f, a...) }}
	if engine == "postgres" {
		tg.URL, tg.FilesInDatabase = storetest.EmptyPostgresURL(t), true
	}
	return tg
}

func openTarget(t *testing.T, tg backup.Target) *store.DB {
	db, err := store.Open(context.Background(), store.Options{URL: tg.URL, DataDir: tg.DataDir, Logger: storetest.Quiet()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// Every table of the schema (found in the engine's catalogue, not a list)
// is in the archive with its count, and a restore gives back every row of
// every table, on both engines; the audit chain verifies and ends where the
// manifest says.
func TestBackupRestoresEveryTable(t *testing.T) {
	webtest.Engines(t, func(t *testing.T, h *webtest.Harness) {
		backuptest.Fill(t, h.App, webtest.Start)
		ctx := context.Background()
		file := filepath.Join(t.TempDir(), "b.tar")
		m, err := backup.Create(ctx, source(h, false), file)
		if err != nil {
			t.Fatal(err)
		}
		live, err := backup.Tables(ctx, h.App.DB, h.App.DB.Read)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(m.Tables, live) {
			t.Fatalf("manifest tables differ from the schema's:\n%v\n%v", m.Tables, live)
		}
		before := backuptest.Snapshot(t, h.App.DB)
		for name, rows := range before {
			if m.Rows[name] != int64(len(rows)) {
				t.Errorf("manifest counts %d rows of %s, the database has %d", m.Rows[name], name, len(rows))
			}
		}
		if m.Files.Count != 2 || len(m.Missing) != 0 || m.WithKeys || m.Keys["identity.key"] == "" || m.Keys["log.key"] == "" || !strings.HasPrefix(m.Checkpoint, "mashang") || m.Schema < 9 || m.AuditHead.Seq == 0 {
			t.Fatalf("manifest: %+v", m)
		}
		if names := memberNames(t, file); names[len(names)-1] != backup.ManifestName || contains(names, "keys/identity.key") {
			t.Fatalf("members: %v", names)
		}
		tg := target(t, string(h.App.DB.Engine), h.App.Config.IdentityKeyFile)
		rep, err := backup.Restore(ctx, file, tg)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Files != 2 || rep.AuditEntries != m.AuditHead.Seq || len(rep.KeyWarnings) != 0 {
			t.Fatalf("report: %+v", rep)
		}
		after := backuptest.Snapshot(t, openTarget(t, tg))
		for name := range before {
			if !reflect.DeepEqual(before[name], after[name]) {
				t.Errorf("table %s: %d rows before, %d after the restore, or they differ", name, len(before[name]), len(after[name]))
			}
		}
		// The files are there, byte for byte, where the copy keeps them
		// (the database on PostgreSQL, the directory on SQLite).
		want := backuptest.Files(t, h.App.DB, h.App.Files)
		tdb := openTarget(t, tg)
		tfiles, err := app.OpenFiles(&config.Config{DataDir: tg.DataDir, DatabaseURL: tg.URL, Attachments: config.AttachAuto}, tdb, time.Now)
		if err != nil {
			t.Fatal(err)
		}
		if got := backuptest.Files(t, tdb, tfiles); len(want) != 2 || !reflect.DeepEqual(got, want) {
			t.Errorf("attachments: %d restored, want %d, or their content differs", len(got), len(want))
		}
		for sha, content := range want {
			if content == "" {
				t.Errorf("attachment %s missing from the source", sha)
			}
		}
	})
}

// A SQLite backup restores into PostgreSQL: the same rows in every table,
// and the API answers the same lists, searches, case pages and statistics.
func TestSQLiteBackupRestoresIntoPostgres(t *testing.T) {
	src := webtest.New(t, "")
	backuptest.Fill(t, src.App, webtest.Start)
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "county.tar")
	if _, err := backup.Create(ctx, source(src, false), file); err != nil {
		t.Fatal(err)
	}
	tg := target(t, "postgres", src.App.Config.IdentityKeyFile)
	if _, err := backup.Restore(ctx, file, tg); err != nil {
		t.Fatal(err)
	}
	pg := webtest.New(t, tg.URL, func(c *config.Config) {
		c.DataDir, c.IdentityKeyFile = tg.DataDir, src.App.Config.IdentityKeyFile
	})
	pg.Clock.Set(src.Clock.Now())
	if !reflect.DeepEqual(backuptest.Snapshot(t, src.App.DB), backuptest.Snapshot(t, pg.App.DB)) {
		t.Fatal("the tables differ between the SQLite source and the PostgreSQL copy")
	}
	st, pt := backuptest.Token(t, src.App), backuptest.Token(t, pg.App)
	var ids []string
	for _, path := range []string{
		"/api/v1/stats?from=2025-01-01&to=2026-12-31",
		"/api/v1/stats?from=2026-02-01&to=2026-02-28",
		"/api/v1/cases?limit=200&count=true",
		"/api/v1/cases?state=closed&limit=50",
		"/api/v1/cases?sort=deadline&limit=50",
		"/api/v1/cases?q=" + url.QueryEscape("窗口") + "&limit=50",
		"/api/v1/cases?unit=MQ-MX&limit=50",
	} {
		a := src.Must(200, "GET", path, st, nil)
		b := pg.Must(200, "GET", path, pt, nil)
		if !bytes.Equal(a.Raw, b.Raw) {
			t.Errorf("%s differs:\nsqlite   %.400s\npostgres %.400s", path, a.Raw, b.Raw)
		}
		if cs, ok := a.JSON["cases"].([]any); ok && len(ids) == 0 {
			for _, c := range cs[:min(5, len(cs))] {
				ids = append(ids, webtest.Str(c.(map[string]any), "id"))
			}
		}
	}
	if len(ids) == 0 {
		t.Fatal("no cases listed")
	}
	for _, id := range ids {
		a := src.Must(200, "GET", "/api/v1/cases/"+id, st, nil)
		b := pg.Must(200, "GET", "/api/v1/cases/"+id, pt, nil)
		if !bytes.Equal(a.Raw, b.Raw) {
			t.Errorf("case %s differs:\n%.300s\n%.300s", id, a.Raw, b.Raw)
		}
	}
	// New cases get new ids on the copy (the sequences moved past the rows).
	r := pg.Must(201, "POST", "/api/v1/reports", "", map[string]any{"content": "恢复后新举报：窗口无人", "anonymous": true})
	if r.JSON["receipt"] == nil {
		t.Fatalf("%s", r.Raw)
	}
}

// Restore refuses a target that holds anything, and an archive whose
// member does not match its checksum; neither changes the target.
func TestRestoreRefusals(t *testing.T) {
	h := webtest.New(t, "")
	ctx := context.Background()
	backuptest.Fill(t, h.App, webtest.Start)
	file := filepath.Join(t.TempDir(), "b.tar")
	if _, err := backup.Create(ctx, source(h, false), file); err != nil {
		t.Fatal(err)
	}
	if _, err := backup.Create(ctx, source(h, false), file); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Fatalf("overwrote an archive: %v", err)
	}
	key := h.App.Config.IdentityKeyFile

	// A data directory with something in it.
	tg := target(t, "sqlite", key)
	os.MkdirAll(tg.DataDir, 0o700)
	os.WriteFile(filepath.Join(tg.DataDir, "notes.txt"), []byte("x"), 0o600)
	if _, err := backup.Restore(ctx, file, tg); !errors.Is(err, backup.ErrNotEmpty) {
		t.Fatalf("non-empty directory: %v", err)
	}
	if ents, _ := os.ReadDir(tg.DataDir); len(ents) != 1 {
		t.Fatalf("the refused target changed: %v", ents)
	}
	// A PostgreSQL database with tables.
	pgt := target(t, "postgres", key)
	pgt.URL = storetest.PostgresURL(t) // migrated: not empty
	if _, err := backup.Restore(ctx, file, pgt); !errors.Is(err, backup.ErrNotEmpty) {
		t.Fatalf("non-empty database: %v", err)
	}
	// One byte changed inside a member.
	data, _ := os.ReadFile(file)
	i := bytes.Index(data, []byte("%PDF-1.4"))
	if i < 0 {
		t.Fatal("attachment not found in the archive")
	}
	data[i+2] ^= 1
	bad := filepath.Join(t.TempDir(), "bad.tar")
	os.WriteFile(bad, data, 0o600)
	tg = target(t, "sqlite", key)
	if _, err := backup.Restore(ctx, bad, tg); !errors.Is(err, backup.ErrDamaged) || !strings.Contains(err.Error(), "files/") {
		t.Fatalf("damaged archive: %v", err)
	}
	if _, err := os.Stat(tg.DataDir); !os.IsNotExist(err) {
		t.Fatal("a damaged archive created the target")
	}
	// Cut short: no manifest.
	os.WriteFile(bad, data[:len(data)/2], 0o600)
	if _, err := backup.Restore(ctx, bad, tg); !errors.Is(err, backup.ErrDamaged) {
		t.Fatalf("truncated archive: %v", err)
	}
	// A key that is not the backup's.
	other := filepath.Join(t.TempDir(), "other.key")
	os.WriteFile(other, []byte(strings.Repeat("ab", 32)+"\n"), 0o600)
	tg = target(t, "sqlite", other)
	if _, err := backup.Restore(ctx, file, tg); err == nil || !strings.Contains(err.Error(), "not the one this backup was made with") {
		t.Fatalf("wrong key: %v", err)
	}
	if _, err := os.Stat(tg.DataDir); !os.IsNotExist(err) {
		t.Fatal("a refused restore created the target")
	}
}

// Keys go into the archive only with WithKeys; restore writes them where
// none is, and says when the backup has none.
func TestBackupKeys(t *testing.T) {
	h := webtest.New(t, "")
	ctx := context.Background()
	backuptest.Fill(t, h.App, webtest.Start)
	dir := t.TempDir()
	with, without := filepath.Join(dir, "with.tar"), filepath.Join(dir, "without.tar")
	if _, err := backup.Create(ctx, source(h, true), with); err != nil {
		t.Fatal(err)
	}
	if _, err := backup.Create(ctx, source(h, false), without); err != nil {
		t.Fatal(err)
	}
	if !contains(memberNames(t, with), "keys/identity.key") || !contains(memberNames(t, with), "keys/log.key") || contains(memberNames(t, without), "keys/identity.key") {
		t.Fatal("keys in the wrong archive")
	}
	newKey := filepath.Join(t.TempDir(), "keys", "identity.key")
	rep, err := backup.Restore(ctx, with, target(t, "sqlite", newKey))
	if err != nil {
		t.Fatal(err)
	}
	want, _ := os.ReadFile(h.App.Config.IdentityKeyFile)
	got, err := os.ReadFile(newKey)
	if err != nil || !bytes.Equal(got, want) || len(rep.KeysWritten) != 1 {
		t.Fatalf("key not restored: %v %v", err, rep.KeysWritten)
	}
	if st, _ := os.Stat(newKey); st.Mode().Perm() != 0o600 {
		t.Fatalf("key mode %v", st.Mode())
	}
	missing := filepath.Join(t.TempDir(), "none.key")
	rep, err = backup.Restore(ctx, without, target(t, "sqlite", missing))
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.KeyWarnings) != 1 || !strings.Contains(rep.KeyWarnings[0], "--with-keys") {
		t.Fatalf("warnings: %v", rep.KeyWarnings)
	}
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Fatal("restore made up a key")
	}
}

func memberNames(t *testing.T, file string) []string {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr := tar.NewReader(f)
	var out []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, h.Name)
		if h.Name == backup.ManifestName {
			var m backup.Manifest
			if err := json.NewDecoder(tr).Decode(&m); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func contains(s []string, v string) bool { return slices.Contains(s, v) }
