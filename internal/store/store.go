// Package store opens mashang's database, embedded SQLite by default or
// PostgreSQL when given a postgres:// URL, applies the embedded migrations and
// runs write transactions with the retry and batching both engines need.
//
// SQL is written once for both engines: positional parameters $1, $2 … work
// in SQLite too, instants are stored as fixed-width UTC text
// (2026-01-02T03:04:05.000000Z, see Instant) and dates as YYYY-MM-DD text, so
// comparisons, ordering and substr() behave the same on both. Where the
// dialects differ (identity columns, BLOB/BYTEA), the migrations are kept side
// by side under migrations/sqlite and migrations/postgres.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Engine names a database engine.
type Engine string

// The two engines.
const (
	SQLite   Engine = "sqlite"
	Postgres Engine = "postgres"
)

// Options say where the data lives.
type Options struct {
	// URL is empty for embedded SQLite, or postgres://… / postgresql://….
	URL string
	// DataDir holds the SQLite file (and everything else on disk); created 0700.
	DataDir string
	// Logger receives warnings; nil means slog.Default().
	Logger *slog.Logger
	// ReadConns caps the SQLite reader pool (0: 4 × CPUs).
	ReadConns int
}

// DB is the handle every domain package's SQL runs through.
//
// On SQLite, Write is a single connection (SQLite has one writer at a time;
// queuing in Go is cheaper than spinning on SQLITE_BUSY) and Read a pool of
// read-only connections that WAL lets run beside it. On PostgreSQL both are
// the same pool.
type DB struct {
	Engine Engine
	Write  *sql.DB
	Read   *sql.DB
	log    *slog.Logger
	batch  *batcher
	// checkpoints copies SQLite's log into the file beside the writer (nil
	// on PostgreSQL).
	checkpoints *checkpointer
}

// Open connects, creating the data directory and SQLite file when needed.
// It does not migrate; call Migrate.
func Open(ctx context.Context, o Options) (*DB, error) {
	log := o.Logger
	if log == nil {
		log = slog.Default()
	}
	if IsPostgresURL(o.URL) {
		return openPostgres(ctx, o.URL, log)
	}
	if o.URL != "" {
		return nil, fmt.Errorf("store: database URL must be empty (embedded SQLite) or start with postgres://")
	}
	return openSQLite(ctx, o, log)
}

// IsPostgresURL reports whether u names a PostgreSQL database.
func IsPostgresURL(u string) bool {
	return strings.HasPrefix(u, "postgres://") || strings.HasPrefix(u, "postgresql://")
}

// SQLiteFile is the database file's name inside the data directory.
const SQLiteFile = "mashang.db"

func openSQLite(ctx context.Context, o Options, log *slog.Logger) (*DB, error) {
	if o.DataDir == "" {
		return nil, errors.New("store: data directory not set")
	}
	if err := os.MkdirAll(o.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("store: create data directory: %w", err)
	}
	path := filepath.Join(o.DataDir, SQLiteFile)
	// synchronous=FULL: a committed transaction is on disk before we answer.
	pragmas := "_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)"
	// The writer keeps its temporary files in memory: the group commit
	// writes each group in a savepoint, whose journal of the pages it
	// changes (a sub-journal) would otherwise spill to a file on disk past
	// 64 KiB, a write system call per page, undone at the commit anyway.
	// It checkpoints only a long log (see checkpoint.go).
	w, err := sql.Open("sqlite", "file:"+path+"?"+pragmas+"&_pragma=temp_store(MEMORY)"+
		fmt.Sprintf("&_pragma=wal_autocheckpoint(%d)", writerCheckpointPages)+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("store: open sqlite writer: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		log.Warn("could not restrict database file mode", "err", err)
	}
	r, err := sql.Open("sqlite", "file:"+path+"?"+pragmas+"&_pragma=query_only(1)")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("store: open sqlite readers: %w", err)
	}
	n := o.ReadConns
	if n <= 0 {
		n = 4 * runtime.NumCPU()
	}
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	d := &DB{Engine: SQLite, Write: w, Read: r, log: log}
	ck, err := sql.Open("sqlite", "file:"+path+"?"+pragmas)
	if err != nil {
		w.Close()
		r.Close()
		return nil, fmt.Errorf("store: open sqlite checkpointer: %w", err)
	}
	ck.SetMaxOpenConns(1)
	d.checkpoints = startCheckpointer(ck, d)
	d.batch = newBatcher(d)
	return d, nil
}

func openPostgres(ctx context.Context, url string, log *slog.Logger) (*DB, error) {
	p, err := sql.Open("pgx", url)
	if err != nil {
		return nil, fmt.Errorf("store: open postgres: %w", err)
	}
	p.SetMaxOpenConns(32)
	p.SetMaxIdleConns(32)
	p.SetConnMaxIdleTime(5 * time.Minute)
	if err := p.PingContext(ctx); err != nil {
		p.Close()
		return nil, fmt.Errorf("store: connect to postgres: %w", err)
	}
	d := &DB{Engine: Postgres, Write: p, Read: p, log: log}
	d.batch = newBatcher(d)
	return d, nil
}

// OneShot returns args for a read whose statement text changes from call
// to call (lists of ids) or whose best plan depends on its values (the
// case lists): on PostgreSQL, an unnamed statement planned for its values
// each time, in one round trip, rather than a prepared statement per text
// whose plan PostgreSQL may make generic after five runs (a liaison's
// search by deadline then took a second now and then at a million cases).
// SQLite plans every statement for its values: args as they are.
func (d *DB) OneShot(args ...any) []any {
	if d.Engine != Postgres {
		return args
	}
	return append([]any{pgx.QueryExecModeExec}, args...)
}

// Close stops the batcher and closes the connections.
func (d *DB) Close() error {
	d.batch.stop()
	if d.checkpoints != nil {
		d.checkpoints.stop()
	}
	err := d.Write.Close()
	if d.Read != d.Write {
		if e := d.Read.Close(); err == nil {
			err = e
		}
	}
	return err
}

// Tx runs fn in a write transaction and commits it, retrying the whole
// transaction when SQLite reports the database busy (another process, such as
// `mashang user add` beside a running server, holds the write lock) or
// PostgreSQL reports a serialization failure or deadlock.
// fn must be safe to run more than once.
func (d *DB) Tx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	delay := 5 * time.Millisecond
	for attempt := 0; ; attempt++ {
		err := d.tx(ctx, fn)
		if err == nil || !d.retryable(err) || attempt >= 8 {
			return err
		}
		d.log.Warn("database busy, retrying transaction", "attempt", attempt+1, "err", err)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(delay):
		}
		delay *= 2
	}
}

func (d *DB) tx(ctx context.Context, fn func(tx *sql.Tx) error) (err error) {
	tx, err := d.Write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			tx.Rollback()
			panic(p)
		}
		if err != nil {
			tx.Rollback()
		}
	}()
	if err = fn(tx); err != nil {
		return err
	}
	if err = tx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	return nil
}

func (d *DB) retryable(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		c := se.Code() & 0xff
		return c == sqlite3.SQLITE_BUSY || c == sqlite3.SQLITE_LOCKED
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "40001" || pe.Code == "40P01"
	}
	return false
}

// IsUniqueViolation reports whether err is a unique-constraint failure on
// either engine.
func IsUniqueViolation(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "23505"
	}
	return false
}

// IsForeignKeyViolation reports whether err is a foreign-key failure.
func IsForeignKeyViolation(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "23503"
	}
	return false
}

// Migrations returns the embedded migration files of the engine.
func (d *DB) migrationsFS() (fs.FS, error) {
	return fs.Sub(migrationFiles, "migrations/"+string(d.Engine))
}
