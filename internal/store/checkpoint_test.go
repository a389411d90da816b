package store_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"mashang/internal/store"
	"mashang/internal/store/storetest"
)

// The writer checkpoints only a long log; a shorter one is copied into the
// database file beside it. The test writes about 2 MB (500 pages, under the
// writer's 4,000) and sees them reach the file without checkpointing itself.
func TestSQLiteLogCheckpointedBesideTheWriter(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := store.Open(ctx, store.Options{DataDir: dir, Logger: storetest.Quiet()})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var pages int
	if err := db.Write.QueryRowContext(ctx, `PRAGMA wal_autocheckpoint`).Scan(&pages); err != nil || pages != 4000 {
		t.Fatalf("the writer checkpoints at %d pages (%v), want 4000", pages, err)
	}
	file := filepath.Join(dir, store.SQLiteFile)
	size := func() int64 {
		st, err := os.Stat(file)
		if err != nil {
			t.Fatal(err)
		}
		return st.Size()
	}
	before := size()
	row := strings.Repeat("某镇政府办事窗口无人值守", 40)
	err = db.Batch(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `CREATE TABLE filler (body TEXT)`); err != nil {
			return err
		}
		for range 1500 {
			if _, err := tx.ExecContext(ctx, `INSERT INTO filler (body) VALUES ($1)`, row); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for size() < before+1<<20 {
		if time.Now().After(deadline) {
			t.Fatalf("the database file is %d bytes 20 s after the commit (%d before): the log was not checkpointed", size(), before)
		}
		time.Sleep(10 * time.Millisecond)
	}
	var n int
	if err := db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM filler`).Scan(&n); err != nil || n != 1500 {
		t.Fatalf("%d rows (%v)", n, err)
	}
}
