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
				errs[i] = db.Batch(ctx, func(_ context.Context, tx *sql.Tx) error {
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
		insert := func(i int) func(context.Context, *sql.Tx) error {
			return func(_ context.Context, tx *sql.Tx) error {
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
		for db.QueueLen() != n-1 {
			if time.Now().After(deadline) {
				t.Fatalf("%d queued", db.QueueLen())
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

// A client that goes away while its request runs in a shared batch — in
// the middle of a statement — fails neither the batch nor the other
// requests in it, and one that goes away while queued is skipped alone.
// The cancellations are forced at those points, not hoped for: the first
// request holds the committer while the others queue behind it, and the
// cancelled request's statement waits for the test (an advisory lock on
// PostgreSQL, a half-read result on SQLite) until its client is gone.
func TestBatchCancelledRequestIsItsOwn(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := store.FormatInstant(time.Now())
		insert := func(ctx context.Context, tx *sql.Tx, code string) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO units (code, name, kind, path, created_at, updated_at) VALUES ($1, 'x', 'department', '', $2, $2)`, code, now)
			return err
		}
		hold, started := make(chan struct{}), make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			db.Batch(ctx, func(ctx context.Context, tx *sql.Tx) error { close(started); <-hold; return insert(ctx, tx, "HOLD") })
		}()
		<-started

		// On PostgreSQL the test holds an advisory lock that B's statement waits for.
		var lockConn *sql.Conn
		if db.Engine == store.Postgres {
			c, err := db.Read.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if _, err := c.ExecContext(ctx, `SELECT pg_advisory_lock(4242)`); err != nil {
				t.Fatal(err)
			}
			lockConn = c
		}
		bCtx, cancelB := context.WithCancel(ctx)
		dCtx, cancelD := context.WithCancel(ctx)
		defer cancelB()
		defer cancelD()
		inStatement, goOn := make(chan struct{}), make(chan struct{})
		fnB := func(ctx context.Context, tx *sql.Tx) error {
			if err := insert(ctx, tx, "B1"); err != nil {
				return err
			}
			if db.Engine == store.Postgres {
				close(inStatement)
				if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(4242)`); err != nil {
					return err
				}
			} else {
				rows, err := tx.QueryContext(ctx, `WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 500) SELECT x FROM n`)
				if err != nil {
					return err
				}
				read := 0
				for rows.Next() {
					if read++; read == 1 {
						close(inStatement)
						<-goOn
					}
				}
				rows.Close()
				if err := rows.Err(); err != nil {
					return err
				}
				if read != 500 {
					return fmt.Errorf("read %d rows of 500", read)
				}
			}
			return insert(ctx, tx, "B2")
		}
		reqs := []struct {
			name string
			ctx  context.Context
			fn   func(context.Context, *sql.Tx) error
		}{
			{"A", ctx, func(ctx context.Context, tx *sql.Tx) error { return insert(ctx, tx, "A") }},
			{"B", bCtx, fnB},
			{"D", dCtx, func(ctx context.Context, tx *sql.Tx) error { return insert(ctx, tx, "D") }},
			{"C", ctx, func(ctx context.Context, tx *sql.Tx) error { return insert(ctx, tx, "C") }},
		}
		errs := make([]error, len(reqs))
		for i, r := range reqs {
			wg.Add(1)
			go func() { defer wg.Done(); errs[i] = db.Batch(r.ctx, r.fn) }()
			waitFor(t, func() bool { return db.QueueLen() == i+1 })
		}
		cancelD() // gone while queued
		close(hold)
		<-inStatement
		if db.Engine == store.Postgres {
			// B's statement is waiting for the lock when its client goes away.
			waitFor(t, func() bool {
				var n int
				db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%pg_advisory_xact_lock(4242)%'`).Scan(&n)
				return n == 1
			})
			cancelB()
			time.Sleep(50 * time.Millisecond) // let a cancellation, were it passed on, reach the server
			if _, err := lockConn.ExecContext(ctx, `SELECT pg_advisory_unlock(4242)`); err != nil {
				t.Fatal(err)
			}
		} else {
			cancelB()
			time.Sleep(50 * time.Millisecond) // let an interrupt, were it passed on, reach SQLite
			close(goOn)
		}
		wg.Wait()
		for i, r := range reqs {
			switch {
			case r.name == "D" && !errors.Is(errs[i], context.Canceled):
				t.Errorf("D, cancelled while queued: %v, want context.Canceled", errs[i])
			case r.name != "D" && errs[i] != nil:
				t.Errorf("%s: %v", r.name, errs[i])
			}
		}
		var got []string
		rows, err := db.Read.QueryContext(ctx, `SELECT code FROM units ORDER BY code`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var c string
			rows.Scan(&c)
			got = append(got, c)
		}
		rows.Close()
		if want := "A B1 B2 C HOLD"; fmt.Sprint(got) != "["+want+"]" {
			t.Fatalf("stored %v, want [%s]", got, want)
		}
	})
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 10s")
		}
		time.Sleep(time.Millisecond)
	}
}

// A job lease kept from run to run: the holder renews it, others are
// refused until it is released or lapses.
func TestLeaseKeptAndTakenOver(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
		clk := func() time.Time { return now }
		a := &store.Lease{DB: db, Job: "search-index", Holder: "a", For: 15 * time.Second, Now: clk}
		b := &store.Lease{DB: db, Job: "search-index", Holder: "b", For: 15 * time.Second, Now: clk}
		for i, c := range []struct {
			who  *store.Lease
			step func()
			want bool
		}{
			{a, nil, true},
			{b, nil, false},
			{a, func() { now = now.Add(10 * time.Second) }, true},  // renewed to 09:00:25
			{b, func() { now = now.Add(10 * time.Second) }, false}, // 09:00:20: still a's
			{b, func() { now = now.Add(10 * time.Second) }, true},  // 09:00:30: lapsed, b takes it
			{a, nil, false},
			{a, func() { b.Release(ctx) }, true}, // released: a at once
		} {
			if c.step != nil {
				c.step()
			}
			if got, err := c.who.Hold(ctx); err != nil || got != c.want {
				t.Fatalf("step %d (%s): %v %v, want %v", i, c.who.Holder, got, err, c.want)
			}
		}
	})
}

// A scheduled job's runs claimed by several instances: once per interval
// across them, whoever asks first.
func TestClaimRunOncePerInterval(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
		for i, c := range []struct {
			after time.Duration
			want  bool
		}{
			{0, true},                              // instance A's tick
			{time.Minute, false},                   // B's, a minute later
			{8 * time.Minute, false},               // C's
			{9*time.Minute + 30*time.Second, true}, // B's next: the slot (9 minutes) has passed
			{10 * time.Minute, false},              // A's next: B has it
			{19 * time.Minute, true},
		} {
			if got, err := db.ClaimRun(ctx, "sweep", t0.Add(c.after), 10*time.Minute); err != nil || got != c.want {
				t.Fatalf("claim %d at +%s: %v %v, want %v", i, c.after, got, err, c.want)
			}
		}
		// The job's run lease is apart: a run by hand is not refused.
		if ok, err := db.AcquireLease(ctx, "sweep", "by-hand", t0.Add(time.Minute), time.Minute); err != nil || !ok {
			t.Fatalf("run lease: %v %v", ok, err)
		}
	})
}

// unitWriter writes queued units in one multi-row statement.
type unitWriter struct {
	db    *store.DB
	mu    sync.Mutex
	calls []int // the size of each group written together
}

func (w *unitWriter) WriteAll(ctx context.Context, tx *sql.Tx, items []any) error {
	w.mu.Lock()
	w.calls = append(w.calls, len(items))
	w.mu.Unlock()
	b := store.NewBulk(w.db.Engine, "units", []string{"code", "name", "kind", "path", "created_at", "updated_at"}, len(items))
	for _, it := range items {
		if err := b.Add(ctx, tx, it.(string), "x", "department", "", "2026-03-02T00:00:00.000000Z", "2026-03-02T00:00:00.000000Z"); err != nil {
			return err
		}
	}
	return nil
}

// Requests of a group writer waiting together are written in one go; when
// that fails (one of them a duplicate), each is written alone and only the
// one at fault fails; a request cancelled while queued is left out.
func TestBatchGroupWritesTogetherOrAlone(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := &unitWriter{db: db}
		alone := func(code string) func(context.Context, *sql.Tx) error {
			return func(ctx context.Context, tx *sql.Tx) error {
				_, err := tx.ExecContext(ctx, `INSERT INTO units (code, name, kind, path, created_at, updated_at) VALUES ($1, 'x', 'department', '', '2026-03-02T00:00:00.000000Z', '2026-03-02T00:00:00.000000Z')`, code)
				return err
			}
		}
		run := func(codes []string, cancelled string) []error {
			release := storetest.HoldCommitter(t, db)
			var wg sync.WaitGroup
			errs := make([]error, len(codes))
			cctx, cancel := context.WithCancel(ctx)
			for i, c := range codes {
				rctx := ctx
				if c == cancelled {
					rctx = cctx
				}
				wg.Add(1)
				go func() { defer wg.Done(); errs[i] = db.BatchGroup(rctx, w, c, alone(c)) }()
				storetest.WaitQueued(t, db, i+1)
			}
			cancel()
			release()
			wg.Wait()
			return errs
		}
		errs := run([]string{"G1", "G2", "G3", "GX", "G4"}, "GX")
		for i, err := range errs {
			if (i == 3) != errors.Is(err, context.Canceled) || i != 3 && err != nil {
				t.Fatalf("group %d: %v", i, err)
			}
		}
		if fmt.Sprint(w.calls) != "[4]" || db.Grouped() != 4 {
			t.Fatalf("written together in groups of %v (%d counted), want [4]", w.calls, db.Grouped())
		}
		errs = run([]string{"G5", "G1", "G6"}, "")
		if errs[0] != nil || !store.IsUniqueViolation(errs[1]) || errs[2] != nil {
			t.Fatalf("with a duplicate: %v", errs)
		}
		var n int
		db.Read.QueryRow(`SELECT COUNT(*) FROM units`).Scan(&n)
		if n != 6 || fmt.Sprint(w.calls) != "[4 3]" || db.Grouped() != 4 {
			t.Fatalf("%d units, groups %v, %d counted as grouped", n, w.calls, db.Grouped())
		}
	})
}
