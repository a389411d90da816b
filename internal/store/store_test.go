package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"mashang/internal/store"
	"mashang/internal/store/storetest"
)

func TestMigrateAndVersion(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		cur, target, err := db.SchemaVersions(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if cur != target || cur < 1 {
			t.Fatalf("schema %d, binary %d", cur, target)
		}
		// Migrating again is a no-op.
		v, err := db.Migrate(context.Background())
		if err != nil || v != cur {
			t.Fatalf("second migrate: %d %v", v, err)
		}
	})
}

func TestBatchIsolatesFailuresAndCommitsTogether(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := store.FormatInstant(time.Now())
		var wg sync.WaitGroup
		errs := make([]error, 40)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = db.Batch(ctx, func(tx *sql.Tx) error {
					code := "U" + string(rune('A'+i%26)) + string(rune('a'+i/26))
					if i%5 == 0 {
						// a duplicate of the code inserted just before: must fail alone
						if _, err := tx.Exec(`INSERT INTO units (code, name, kind, path, created_at, updated_at) VALUES ($1,$2,'department','',$3,$3)`, code, "x", now); err != nil {
							return err
						}
						_, err := tx.Exec(`INSERT INTO units (code, name, kind, path, created_at, updated_at) VALUES ($1,$2,'department','',$3,$3)`, code, "x", now)
						return err
					}
					_, err := tx.Exec(`INSERT INTO units (code, name, kind, path, created_at, updated_at) VALUES ($1,$2,'department','',$3,$3)`, code, "单位", now)
					return err
				})
			}()
		}
		wg.Wait()
		failed := 0
		for i, err := range errs {
			if i%5 == 0 {
				if !store.IsUniqueViolation(err) {
					t.Errorf("item %d: want unique violation, got %v", i, err)
				}
				failed++
			} else if err != nil {
				t.Errorf("item %d: %v", i, err)
			}
		}
		var n int
		if err := db.Read.QueryRow(`SELECT COUNT(*) FROM units`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != len(errs)-failed {
			t.Fatalf("units stored %d, want %d (failed items must leave nothing)", n, len(errs)-failed)
		}
	})
}

func TestTxRollsBackOnError(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		boom := errors.New("boom")
		now := store.FormatInstant(time.Now())
		err := db.Tx(context.Background(), func(tx *sql.Tx) error {
			if _, err := tx.Exec(`INSERT INTO units (code, name, kind, path, created_at, updated_at) VALUES ('A','a','department','',$1,$1)`, now); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("got %v", err)
		}
		var n int
		db.Read.QueryRow(`SELECT COUNT(*) FROM units`).Scan(&n)
		if n != 0 {
			t.Fatal("half-written transaction kept")
		}
	})
}

func TestInstantRoundTrip(t *testing.T) {
	in := time.Date(2026, 2, 14, 9, 30, 0, 123456000, time.FixedZone("CST", 8*3600))
	var i store.Instant
	v, _ := store.Instant{Time: in}.Value()
	if err := i.Scan(v); err != nil || !i.Equal(in) {
		t.Fatalf("round trip %v %v", i, err)
	}
	if v.(string) != "2026-02-14T01:30:00.123456Z" {
		t.Fatalf("stored form %q", v)
	}
}

// Closing the database (as serve does after draining its requests on
// SIGTERM) commits every Batch request already queued and answers it with
// its real outcome; one that comes after the close gets ErrClosed.
func TestCloseCommitsQueuedBatches(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := store.FormatInstant(time.Now())
		hold, started := make(chan struct{}), make(chan struct{})
		var startOnce sync.Once
		defer func() {
			select {
			case <-hold:
			default:
				close(hold)
			}
		}()
		const n = 20
		errs := make([]error, n)
		var wg sync.WaitGroup
		insert := func(i int) func(tx *sql.Tx) error {
			return func(tx *sql.Tx) error {
				if i == 0 {
					startOnce.Do(func() { close(started) })
					<-hold // the committer is busy with this one while the others queue
				}
				_, err := tx.Exec(`INSERT INTO units (code, name, kind, path, created_at, updated_at) VALUES ($1, 'x', 'department', '', $2, $2)`, fmt.Sprintf("Q%02d", i), now)
				return err
			}
		}
		wg.Add(1)
		go func() { defer wg.Done(); errs[0] = db.Batch(ctx, insert(0)) }()
		<-started
		for i := 1; i < n; i++ {
			wg.Add(1)
			go func() { defer wg.Done(); errs[i] = db.Batch(ctx, insert(i)) }()
		}
		deadline := time.Now().Add(10 * time.Second)
		for db.Queued() != n-1 {
			if time.Now().After(deadline) {
				t.Fatalf("%d queued", db.Queued())
			}
			time.Sleep(time.Millisecond)
		}
		closed := make(chan error, 1)
		go func() { closed <- db.Close() }()
		time.Sleep(20 * time.Millisecond) // Close is now waiting for the committer
		close(hold)
		wg.Wait()
		<-closed
		for i, err := range errs {
			if err != nil {
				t.Errorf("request %d queued before the close: %v", i, err)
			}
		}
		if err := db.Batch(ctx, insert(99)); !errors.Is(err, store.ErrClosed) {
			t.Fatalf("after close: %v", err)
		}
	})
}
