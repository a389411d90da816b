package attach

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// tmpPrefix starts the names of uploads being spooled.
const tmpPrefix = ".tmp-"

// Dir is a Backend keeping content in a directory:
// <dir>/<first two hex digits>/<64 hex digits>, each file and directory
// entry synced to disk before Save returns. Several processes may share it.
type Dir struct {
	dir string
}

// NewDir opens (creating with mode 0700 if needed) the directory dir.
func NewDir(dir string) (*Dir, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("attach: creating store directory: %w", err)
	}
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("attach: store directory: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("attach: store path %s is not a directory", dir)
	}
	return &Dir{dir: dir}, nil
}

// Path returns where the content with this digest is (or would be) stored.
// It rejects anything but 64 lower-case hex digits, so no name can reach
// outside the directory.
func (d *Dir) Path(sha string) (string, error) {
	if err := checkSHA(sha); err != nil {
		return "", err
	}
	return filepath.Join(d.dir, sha[:2], sha), nil
}

// Root is the directory.
func (d *Dir) Root() string { return d.dir }

func (d *Dir) String() string { return "directory " + d.dir }

// Save implements Backend: the spooled file (which must be in the
// directory) is synced and renamed into place.
func (d *Dir) Save(_ context.Context, sha string, _ int64, spooled *os.File) error {
	final, err := d.Path(sha)
	if err != nil {
		return err
	}
	if err := spooled.Sync(); err != nil {
		return fmt.Errorf("attach: syncing content: %w", err)
	}
	fan := filepath.Dir(final)
	switch err := os.Mkdir(fan, 0o700); {
	case err == nil:
		if err := syncDir(d.dir); err != nil {
			return err
		}
	case !errors.Is(err, fs.ErrExist):
		return fmt.Errorf("attach: creating directory: %w", err)
	}
	if _, err := os.Lstat(final); err == nil {
		// Already stored: keep the existing file, renew its time (Prune
		// spares it now), and sync the directory in case the earlier
		// writer crashed before doing so.
		now := time.Now()
		os.Chtimes(final, now, now)
		return syncDir(fan)
	}
	if err := os.Rename(spooled.Name(), final); err != nil {
		return fmt.Errorf("attach: storing content: %w", err)
	}
	return syncDir(fan)
}

// Open implements Backend.
func (d *Dir) Open(_ context.Context, sha string) (io.ReadSeekCloser, error) {
	p, err := d.Path(sha)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, fmt.Errorf("attach: opening %s: %w", sha, err)
	}
	return f, nil
}

// Remove implements Backend.
func (d *Dir) Remove(_ context.Context, sha string) (bool, error) {
	p, err := d.Path(sha)
	if err != nil {
		return false, err
	}
	switch err := os.Remove(p); {
	case err == nil:
		return true, nil
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	default:
		return false, fmt.Errorf("attach: removing %s: %w", sha, err)
	}
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("attach: syncing directory: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("attach: syncing directory: %w", err)
	}
	return nil
}

// Prune implements Backend: unreferenced files and temporary files of
// interrupted uploads, last written before cutoff.
func (d *Dir) Prune(ctx context.Context, keep func(sha string) bool, cutoff time.Time) (PruneResult, error) {
	var res PruneResult
	err := filepath.WalkDir(d.dir, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if e.IsDir() {
			return nil
		}
		name := e.Name()
		tmp := strings.HasPrefix(name, tmpPrefix)
		if !tmp && !ValidSHA(name) {
			return nil // not ours
		}
		if !tmp && keep(name) {
			res.Kept++
			return nil
		}
		info, err := e.Info()
		if err != nil || !info.ModTime().Before(cutoff) {
			return nil
		}
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		res.Bytes += info.Size()
		if tmp {
			res.Temporary++
		} else {
			res.Blobs++
		}
		return nil
	})
	return res, err
}

// Import stores every file of the directory from into to (byte for byte,
// checking each against its name) and returns how many it stored.
func Import(ctx context.Context, from *Dir, to *Store) (int, error) {
	n := 0
	err := filepath.WalkDir(from.dir, func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() || !ValidSHA(e.Name()) {
			return err
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		b, err := to.PutKeepMetadata(ctx, f, 1<<40)
		if err != nil {
			return err
		}
		if b.SHA256 != e.Name() {
			return fmt.Errorf("attach: %s holds content with SHA-256 %s", path, b.SHA256)
		}
		n++
		return nil
	})
	return n, err
}
