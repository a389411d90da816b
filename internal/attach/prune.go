package attach

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// PruneResult says what Prune removed.
type PruneResult struct {
	Blobs     int   `json:"blobs"`     // unreferenced stored files
	Temporary int   `json:"temporary"` // temporary files left by an interrupted upload
	Bytes     int64 `json:"bytes"`     // space given back
	Kept      int   `json:"kept"`      // referenced files left alone
}

// Prune removes stored files that no record references (keep says which
// are referenced) and temporary files of interrupted uploads, but only those
// last written before cutoff: an upload is stored before its case is
// committed, so a young unreferenced file may belong to a request still
// under way.
func (s *Store) Prune(keep func(sha string) bool, cutoff time.Time) (PruneResult, error) {
	var res PruneResult
	err := filepath.WalkDir(s.dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if d.IsDir() {
			return nil
		}
		name := d.Name()
		tmp := strings.HasPrefix(name, ".tmp-")
		if !tmp && !ValidSHA(name) {
			return nil // not ours
		}
		if !tmp && keep(name) {
			res.Kept++
			return nil
		}
		info, err := d.Info()
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
