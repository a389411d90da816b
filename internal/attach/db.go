package attach

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"

	"mashang/internal/store"
)

// ChunkSize is the size of the chunks DB splits content into: small enough
// that reading one is a short statement, large enough that a 20 MiB photo
// is forty of them.
const ChunkSize = 512 << 10

// DBTables are the tables DB keeps content in. A backup carries their
// content as attachment files, like a directory's, not as rows.
func DBTables() []string { return []string{"attachment_blobs", "attachment_chunks"} }

// DB is a Backend keeping content in the database (attachment_blobs and
// attachment_chunks), so that every instance sharing a PostgreSQL reads what
// any of them stored. A Save is one transaction: content is there whole or
// not at all.
type DB struct {
	db  *store.DB
	now func() time.Time
}

// NewDB returns the database backend, reading the time from now.
func NewDB(db *store.DB, now func() time.Time) *DB { return &DB{db: db, now: now} }

func (b *DB) String() string { return "the database (" + string(b.db.Engine) + ")" }

// Save implements Backend.
func (b *DB) Save(ctx context.Context, sha string, size int64, spooled *os.File) error {
	stored := store.FormatInstant(b.now())
	buf := make([]byte, min(size, ChunkSize))
	err := b.db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE attachment_blobs SET stored_at = $2 WHERE sha256 = $1`, sha, stored)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 1 {
			return err // already stored: renewed
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO attachment_blobs (sha256, size, chunk_size, stored_at) VALUES ($1, $2, $3, $4)`,
			sha, size, ChunkSize, stored); err != nil {
			return err
		}
		if _, err := spooled.Seek(0, io.SeekStart); err != nil {
			return err
		}
		var total int64
		for n := 0; total < size; n++ {
			k, err := io.ReadFull(spooled, buf[:min(int64(len(buf)), size-total)])
			if err != nil {
				return fmt.Errorf("reading the spooled content: %w", err)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO attachment_chunks (sha256, n, data) VALUES ($1, $2, $3)`, sha, n, buf[:k]); err != nil {
				return err
			}
			total += int64(k)
		}
		return nil
	})
	if store.IsUniqueViolation(err) {
		return nil // stored meanwhile by another request, committed
	}
	if err != nil {
		return fmt.Errorf("attach: storing %s in the database: %w", sha, err)
	}
	return nil
}

// Open implements Backend. The content is read a chunk at a time, as the
// reader is read; ctx bounds every read.
func (b *DB) Open(ctx context.Context, sha string) (io.ReadSeekCloser, error) {
	r := &dbReader{ctx: ctx, db: b.db.Read, sha: sha, cur: -1}
	err := b.db.Read.QueryRowContext(ctx, `SELECT size, chunk_size FROM attachment_blobs WHERE sha256 = $1`, sha).Scan(&r.size, &r.chunk)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("attach: opening %s: %w", sha, fs.ErrNotExist)
	}
	if err != nil {
		return nil, fmt.Errorf("attach: opening %s: %w", sha, err)
	}
	if r.chunk <= 0 {
		return nil, fmt.Errorf("attach: %s: chunk size %d", sha, r.chunk)
	}
	return r, nil
}

// Remove implements Backend.
func (b *DB) Remove(ctx context.Context, sha string) (bool, error) {
	var removed bool
	err := b.db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM attachment_blobs WHERE sha256 = $1`, sha)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		removed = n == 1
		_, err = tx.ExecContext(ctx, `DELETE FROM attachment_chunks WHERE sha256 = $1`, sha)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("attach: removing %s: %w", sha, err)
	}
	return removed, nil
}

// Prune implements Backend: each unwanted blob stored before cutoff is
// deleted in a transaction of its own, on the condition that it was not
// stored again meanwhile.
func (b *DB) Prune(ctx context.Context, keep func(sha string) bool, cutoff time.Time) (PruneResult, error) {
	var res PruneResult
	type blob struct {
		sha    string
		size   int64
		stored string
	}
	var old []blob
	rows, err := b.db.Read.QueryContext(ctx, `SELECT sha256, size, stored_at FROM attachment_blobs ORDER BY sha256`)
	if err != nil {
		return res, fmt.Errorf("attach: list stored content: %w", err)
	}
	c := store.FormatInstant(cutoff)
	for rows.Next() {
		var x blob
		if err := rows.Scan(&x.sha, &x.size, &x.stored); err != nil {
			rows.Close()
			return res, err
		}
		switch {
		case keep(x.sha):
			res.Kept++
		case x.stored < c:
			old = append(old, x)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return res, err
	}
	for _, x := range old {
		err := b.db.Tx(ctx, func(tx *sql.Tx) error {
			r, err := tx.ExecContext(ctx, `DELETE FROM attachment_blobs WHERE sha256 = $1 AND stored_at < $2`, x.sha, c)
			if err != nil {
				return err
			}
			if n, err := r.RowsAffected(); err != nil || n == 0 {
				return err // stored again meanwhile
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM attachment_chunks WHERE sha256 = $1`, x.sha); err != nil {
				return err
			}
			res.Blobs++
			res.Bytes += x.size
			return nil
		})
		if err != nil {
			return res, fmt.Errorf("attach: prune %s: %w", x.sha, err)
		}
	}
	return res, nil
}

// dbReader reads a blob a chunk at a time.
type dbReader struct {
	ctx         context.Context
	db          *sql.DB
	sha         string
	size, chunk int64
	pos         int64
	cur         int64 // the chunk in buf; -1: none
	buf         []byte
}

func (r *dbReader) Read(p []byte) (int, error) {
	if r.pos >= r.size {
		return 0, io.EOF
	}
	idx := r.pos / r.chunk
	if idx != r.cur {
		r.buf = r.buf[:0]
		err := r.db.QueryRowContext(r.ctx, `SELECT data FROM attachment_chunks WHERE sha256 = $1 AND n = $2`, r.sha, idx).Scan(&r.buf)
		if errors.Is(err, sql.ErrNoRows) {
			return 0, fmt.Errorf("attach: %s: chunk %d is missing", r.sha, idx)
		}
		if err != nil {
			return 0, fmt.Errorf("attach: reading %s: %w", r.sha, err)
		}
		r.cur = idx
	}
	off := r.pos - idx*r.chunk
	if off >= int64(len(r.buf)) {
		return 0, fmt.Errorf("attach: %s: chunk %d is shorter than its size says", r.sha, idx)
	}
	n := copy(p, r.buf[off:])
	r.pos += int64(n)
	return n, nil
}

func (r *dbReader) Seek(offset int64, whence int) (int64, error) {
	var abs int64
	switch whence {
	case io.SeekStart:
		abs = offset
	case io.SeekCurrent:
		abs = r.pos + offset
	case io.SeekEnd:
		abs = r.size + offset
	default:
		return 0, errors.New("attach: bad whence")
	}
	if abs < 0 {
		return 0, errors.New("attach: negative position")
	}
	r.pos = abs
	return abs, nil
}

func (r *dbReader) Close() error { return nil }
