package app

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"mashang/internal/attach"
	"mashang/internal/config"
	"mashang/internal/store"
)

// AttachmentsJob names the job that prunes unreferenced attachment files.
const AttachmentsJob = "attachments"

// PruneAttachments removes attachment files that no case or inspection
// references (uploads of requests refused after their files were stored,
// and temporary files of interrupted uploads), if older than a day. It runs
// under the job's lease: ran is false, and nothing done, while another
// instance prunes.
func (a *App) PruneAttachments(ctx context.Context) (res attach.PruneResult, ran bool, err error) {
	holder := store.NewHolder()
	ok, err := a.DB.AcquireLease(ctx, AttachmentsJob, holder, a.Clock.Now(), time.Hour)
	if err != nil || !ok {
		return res, false, err
	}
	defer a.DB.ReleaseLease(context.WithoutCancel(ctx), AttachmentsJob, holder)
	keep := map[string]bool{}
	rows, err := a.DB.Read.QueryContext(ctx, `SELECT sha256 FROM attachments UNION SELECT sha256 FROM inspection_attachments`)
	if err != nil {
		return res, true, fmt.Errorf("app: referenced attachments: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var sha string
		if err := rows.Scan(&sha); err != nil {
			return res, true, err
		}
		keep[sha] = true
	}
	if err := rows.Err(); err != nil {
		return res, true, err
	}
	res, err = a.Files.Prune(ctx, func(sha string) bool { return keep[sha] }, a.Clock.Now().Add(-24*time.Hour))
	return res, true, err
}

// OpenFiles opens the attachment store the configuration says: the
// database (the attachments option, the default on PostgreSQL), spooling
// uploads under DATA/spool, or the directory DATA/attachments.
func OpenFiles(cfg *config.Config, db *store.DB, now func() time.Time) (*attach.Store, error) {
	if cfg.AttachmentsInDatabase() {
		return attach.New(attach.NewDB(db, now), filepath.Join(cfg.DataDir, "spool"))
	}
	return attach.NewStore(filepath.Join(cfg.DataDir, "attachments"))
}

// importFiles moves the files of DATA/attachments into the database when
// attachments are kept there and the directory still holds some (an
// installation that kept them on disk before, or each instance's own
// uploads from before): each is stored in the database, then the directory
// is renamed attachments.imported, left for the operator to remove.
func (a *App) importFiles(ctx context.Context) error {
	dir := filepath.Join(a.Config.DataDir, "attachments")
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	from, err := attach.NewDir(dir)
	if err != nil {
		return err
	}
	n, err := attach.Import(ctx, from, a.Files)
	if err != nil {
		return fmt.Errorf("app: import the attachment files of %s into the database: %w", dir, err)
	}
	moved := dir + ".imported"
	if _, err := os.Stat(moved); err == nil {
		moved = fmt.Sprintf("%s.imported-%d", dir, a.Clock.Now().Unix())
	}
	if err := os.Rename(dir, moved); err != nil {
		return fmt.Errorf("app: set the imported attachment directory aside: %w", err)
	}
	if n > 0 {
		a.Log.Info("attachment files moved into the database; the directory is kept aside and may be removed", "files", n, "directory", moved)
	}
	return nil
}
