package store

import (
	"context"
	"fmt"
	"io/fs"
)

// MigrateFS migrates with the migrations in fsys instead of the embedded
// ones (a test adds a broken one).
func (d *DB) MigrateFS(ctx context.Context, fsys fs.FS) error {
	p, err := d.providerFS(fsys)
	if err != nil {
		return err
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	return nil
}

// EngineMigrations returns the embedded migrations of the engine.
func (d *DB) EngineMigrations() (fs.FS, error) { return d.migrationsFS() }
