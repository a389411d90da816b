// Package storetest runs a test against both engines: embedded SQLite in a
// temporary directory and PostgreSQL from MASHANG_TEST_DATABASE_URL.
//
// Without that variable the PostgreSQL half is skipped with a message, unless
// MASHANG_REQUIRE_POSTGRES=1 (set by the project's test command), in which
// case it fails: the PostgreSQL tests must never be skipped silently in CI.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"mashang/internal/store"
)

// EnvURL names the variable holding an administrative PostgreSQL URL for tests.
const EnvURL = "MASHANG_TEST_DATABASE_URL"

// Engines runs fn once per engine as subtests named "sqlite" and "postgres",
// each on a fresh, migrated database.
func Engines(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, Postgres(t)) })
}

// Quiet is a logger for tests.
func Quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

// SQLite opens a fresh migrated SQLite database in t.TempDir().
func SQLite(t testing.TB) *store.DB {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, store.Options{DataDir: t.TempDir(), Logger: Quiet()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return db
}

// PostgresURL returns a URL of a fresh, migrated PostgreSQL database, created
// from a per-process template; it is dropped when the test ends.
func PostgresURL(t testing.TB) string {
	t.Helper()
	return newDatabase(t, true)
}

// EmptyPostgresURL returns a URL of a new PostgreSQL database with no
// tables at all (a restore target); it is dropped when the test ends.
func EmptyPostgresURL(t testing.TB) string {
	t.Helper()
	return newDatabase(t, false)
}

func newDatabase(t testing.TB, migrated bool) string {
	t.Helper()
	admin := os.Getenv(EnvURL)
	if admin == "" {
		if os.Getenv("MASHANG_REQUIRE_POSTGRES") == "1" {
			t.Fatalf("%s is not set but MASHANG_REQUIRE_POSTGRES=1", EnvURL)
		}
		t.Skipf("PostgreSQL tests skipped: %s not set (the README's test command sets it)", EnvURL)
	}
	name := "t_" + randHex(8)
	create := "CREATE DATABASE " + name
	if migrated {
		tpl, err := template(admin)
		if err != nil {
			t.Fatalf("postgres template: %v", err)
		}
		create += " TEMPLATE " + tpl
	}
	adb, err := sql.Open("pgx", admin)
	if err != nil {
		t.Fatal(err)
	}
	defer adb.Close()
	if _, err := adb.Exec(create); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		adb, err := sql.Open("pgx", admin)
		if err != nil {
			return
		}
		defer adb.Close()
		adb.Exec(fmt.Sprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", name))
	})
	return withDB(admin, name)
}

// Postgres opens a fresh migrated PostgreSQL database (see PostgresURL).
func Postgres(t testing.TB) *store.DB {
	t.Helper()
	u := PostgresURL(t)
	ctx := context.Background()
	db, err := store.Open(ctx, store.Options{URL: u, Logger: Quiet()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

var (
	tplOnce sync.Once
	tplName string
	tplErr  error
)

// template migrates one database per test process and returns its name.
func template(admin string) (string, error) {
	tplOnce.Do(func() {
		tplName = fmt.Sprintf("tpl_%d_%s", os.Getpid(), randHex(4))
		adb, err := sql.Open("pgx", admin)
		if err != nil {
			tplErr = err
			return
		}
		defer adb.Close()
		if _, err := adb.Exec("CREATE DATABASE " + tplName); err != nil {
			tplErr = err
			return
		}
		ctx := context.Background()
		db, err := store.Open(ctx, store.Options{URL: withDB(admin, tplName), Logger: Quiet()})
		if err != nil {
			tplErr = err
			return
		}
		_, tplErr = db.Migrate(ctx)
		db.Close()
	})
	return tplName, tplErr
}

func withDB(admin, name string) string {
	u, err := url.Parse(admin)
	if err != nil {
		return admin
	}
	u.Path = "/" + name
	return u.String()
}

func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// HoldCommitter keeps db's group committer busy until the returned release
// is called, so that the Batch requests made meanwhile queue up and are
// written together as one group, in the order they queued (see QueueLen and
// WaitQueued). release waits for the holding request to finish.
func HoldCommitter(t testing.TB, db *store.DB) (release func()) {
	t.Helper()
	hold, started, done := make(chan struct{}), make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		db.Batch(context.Background(), func(context.Context, *sql.Tx) error { close(started); <-hold; return nil })
	}()
	<-started
	return func() { close(hold); <-done }
}

// WaitQueued waits (up to 20 s) until n requests wait for db's committer.
func WaitQueued(t testing.TB, db *store.DB, n int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for db.QueueLen() != n {
		if time.Now().After(deadline) {
			t.Fatalf("%d requests queued after 20 s, want %d", db.QueueLen(), n)
		}
		time.Sleep(time.Millisecond)
	}
}
