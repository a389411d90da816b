package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"
	"path"
	"time"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed migrations
var migrationFiles embed.FS

func (d *DB) provider() (*goose.Provider, error) {
	fsys, err := d.migrationsFS()
	if err != nil {
		return nil, err
	}
	return d.providerFS(fsys)
}

// providerFS runs the migrations in fsys. Each runs in its own transaction
// (both engines have transactional DDL): one that fails is rolled back
// whole, and the database stays at the last version that applied.
func (d *DB) providerFS(fsys fs.FS) (*goose.Provider, error) {
	dialect := goose.DialectSQLite3
	var opts []goose.ProviderOption
	opts = append(opts, goose.WithSlog(slog.New(slog.DiscardHandler)))
	if d.Engine == Postgres {
		dialect = goose.DialectPostgres
		// Several instances starting together: only one migrates.
		locker, err := lock.NewPostgresSessionLocker()
		if err != nil {
			return nil, err
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	return goose.NewProvider(dialect, d.Write, fsys, opts...)
}

// Migrate brings the schema up to date and returns its version.
func (d *DB) Migrate(ctx context.Context) (int64, error) {
	p, err := d.provider()
	if err != nil {
		return 0, fmt.Errorf("store: migrations: %w", err)
	}
	res, err := p.Up(ctx)
	if err != nil {
		return 0, fmt.Errorf("store: migrate: %w", err)
	}
	for _, r := range res {
		d.log.Info("migration applied", "version", r.Source.Version, "file", r.Source.Path, "took", r.Duration)
	}
	if len(res) > 0 {
		if err := d.analyzeNewIndexes(ctx); err != nil {
			return 0, err
		}
	}
	return p.GetDBVersion(ctx)
}

// analyzeNewIndexes gives SQLite's planner statistics for indexes a
// migration made on a database analysed before (as `mashang demo` leaves
// it): without them it takes a new index for a very selective one and may
// sort a state's hundred thousand cases by the wrong index. A table with
// such an index is analysed again, on a sample (analysis_limit) so that a
// migration of a large database stays quick. A database never analysed is
// left so: there every index is guessed at alike. PostgreSQL plans from
// its column statistics, which a new index does not need.
func (d *DB) analyzeNewIndexes(ctx context.Context) error {
	if d.Engine != SQLite {
		return nil
	}
	var stat int
	if err := d.Write.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'`).Scan(&stat); err != nil {
		return fmt.Errorf("store: statistics: %w", err)
	}
	if stat == 0 {
		return nil
	}
	rows, err := d.Write.QueryContext(ctx, `SELECT DISTINCT tbl_name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL
		AND name NOT IN (SELECT idx FROM sqlite_stat1 WHERE idx IS NOT NULL) ORDER BY tbl_name`)
	if err != nil {
		return fmt.Errorf("store: statistics: %w", err)
	}
	var tables []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			rows.Close()
			return fmt.Errorf("store: statistics: %w", err)
		}
		tables = append(tables, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: statistics: %w", err)
	}
	if len(tables) == 0 {
		return nil
	}
	start := time.Now()
	if _, err := d.Write.ExecContext(ctx, `PRAGMA analysis_limit = 20000`); err != nil {
		return fmt.Errorf("store: statistics: %w", err)
	}
	defer d.Write.ExecContext(context.WithoutCancel(ctx), `PRAGMA analysis_limit = 0`) //nolint:errcheck // back to full analyses
	for _, t := range tables {
		if _, err := d.Write.ExecContext(ctx, `ANALYZE "`+t+`"`); err != nil {
			return fmt.Errorf("store: analyse %s: %w", t, err)
		}
	}
	d.log.Info("statistics for new indexes", "tables", tables, "took", time.Since(start))
	return nil
}

// SchemaVersions returns the database's schema version and the newest version
// this binary carries.
func (d *DB) SchemaVersions(ctx context.Context) (current, target int64, err error) {
	p, err := d.provider()
	if err != nil {
		return 0, 0, err
	}
	return p.GetVersions(ctx)
}

// MigrationState is one migration as `mashang migrate --status` lists it.
type MigrationState struct {
	Version   int64
	File      string
	Applied   bool
	AppliedAt time.Time // zero when pending
}

// MigrationStatus lists every migration this binary carries (and any the
// database records beyond them), oldest first, applied or pending.
func (d *DB) MigrationStatus(ctx context.Context) ([]MigrationState, error) {
	p, err := d.provider()
	if err != nil {
		return nil, fmt.Errorf("store: migrations: %w", err)
	}
	st, err := p.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: migration status: %w", err)
	}
	out := make([]MigrationState, 0, len(st))
	for _, m := range st {
		out = append(out, MigrationState{Version: m.Source.Version, File: path.Base(m.Source.Path),
			Applied: m.State == goose.StateApplied, AppliedAt: m.AppliedAt})
	}
	return out, nil
}

// MigrateTo applies the migrations up to and including version, no further
// (restore brings a database to the schema of its backup before loading it).
func (d *DB) MigrateTo(ctx context.Context, version int64) error {
	p, err := d.provider()
	if err != nil {
		return fmt.Errorf("store: migrations: %w", err)
	}
	if _, err := p.UpTo(ctx, version); err != nil {
		return fmt.Errorf("store: migrate to %d: %w", version, err)
	}
	return nil
}
