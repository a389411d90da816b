// Package attach stores attachments (photos, documents, recordings, raw
// mail) by the SHA-256 of their content, in a Backend: a directory
// (<dir>/<first two hex digits>/<64 hex digits>, SQLite's and the default),
// or the database in chunks (a deployment of several instances on one
// PostgreSQL, where each must read what another stored). The same content
// is stored once. A Put returns only after the content is durable (fsync of
// the file and its directory entry, or the database's commit), so a report
// may be acknowledged right after.
//
// The content type is sniffed from the bytes, never from a file name. JPEG
// photos lose their location metadata on the way in (see Put); inspectors'
// evidence can keep it with PutKeepMetadata.
package attach

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// ErrTooLarge is returned (wrapped, with the limit) when the content is
// longer than the limit given to Put. Nothing is stored then.
var ErrTooLarge = errors.New("attach: content exceeds the size limit")

// ErrInvalidSHA is returned (wrapped) for a name that is not 64 lower-case
// hexadecimal digits.
var ErrInvalidSHA = errors.New("attach: not a SHA-256 hex digest")

// Blob describes stored content.
type Blob struct {
	SHA256      string `json:"sha256"`       // 64 lower-case hex digits of the stored bytes
	Size        int64  `json:"size"`         // stored size in bytes
	ContentType string `json:"content_type"` // sniffed from the content
}

// Backend keeps stored content by its digest. Dir keeps it in a directory
// (the default, and SQLite's); DB keeps it in the database in chunks, where
// every instance of a deployment sharing one PostgreSQL reads it.
type Backend interface {
	// Save stores the size bytes of spooled (from offset 0; its digest is
	// sha, already computed) so that they are durable when it returns. A
	// second Save of sha keeps the first content and renews when it was
	// stored (see Prune). The backend may take the file over (rename it);
	// the caller closes and removes whatever is left of it.
	Save(ctx context.Context, sha string, size int64, spooled *os.File) error
	// Open opens stored content; absent content gives an error matching
	// fs.ErrNotExist.
	Open(ctx context.Context, sha string) (io.ReadSeekCloser, error)
	// Remove deletes stored content; absent content is no error.
	Remove(ctx context.Context, sha string) (removed bool, err error)
	// Prune removes content that keep does not want, last stored before
	// cutoff, and the leftovers of interrupted uploads.
	Prune(ctx context.Context, keep func(sha string) bool, cutoff time.Time) (PruneResult, error)
	// String says where the content lives, for people.
	String() string
}

// Store is a content-addressed attachment store over a Backend: it sniffs
// the type, strips JPEG metadata, bounds the size and computes the digest
// while spooling the content to a temporary file, then hands it to the
// backend. It is safe for concurrent use, also by several processes
// sharing the backend.
type Store struct {
	b     Backend
	spool string
}

// NewStore opens (creating with mode 0700 if needed) a store keeping its
// content in the directory dir.
func NewStore(dir string) (*Store, error) {
	d, err := NewDir(dir)
	if err != nil {
		return nil, err
	}
	return &Store{b: d, spool: dir}, nil
}

// New returns a store over b that spools uploads in spoolDir (created 0700).
func New(b Backend, spoolDir string) (*Store, error) {
	if err := os.MkdirAll(spoolDir, 0o700); err != nil {
		return nil, fmt.Errorf("attach: creating spool directory: %w", err)
	}
	return &Store{b: b, spool: spoolDir}, nil
}

// Backend returns where the store keeps its content.
func (s *Store) Backend() Backend { return s.b }

// ValidSHA reports whether sha is 64 lower-case hexadecimal digits.
func ValidSHA(sha string) bool {
	if len(sha) != 64 {
		return false
	}
	for i := 0; i < len(sha); i++ {
		c := sha[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

func checkSHA(sha string) error {
	if !ValidSHA(sha) {
		return fmt.Errorf("%w: %q", ErrInvalidSHA, truncate(sha, 80))
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// Open opens stored content for reading. A digest that is not stored gives
// an error matching fs.ErrNotExist; one that is not 64 lower-case hex
// digits, ErrInvalidSHA.
func (s *Store) Open(ctx context.Context, sha string) (io.ReadSeekCloser, error) {
	if err := checkSHA(sha); err != nil {
		return nil, err
	}
	return s.b.Open(ctx, sha)
}

// Remove deletes stored content (absent content is no error) and says
// whether there was any.
func (s *Store) Remove(ctx context.Context, sha string) (bool, error) {
	if err := checkSHA(sha); err != nil {
		return false, err
	}
	return s.b.Remove(ctx, sha)
}

// Prune removes stored content that no record references (keep says which
// are referenced) and the leftovers of interrupted uploads, but only what
// was last stored before cutoff: an upload is stored before its case is
// committed, so young unreferenced content may belong to a request still
// under way.
func (s *Store) Prune(ctx context.Context, keep func(sha string) bool, cutoff time.Time) (PruneResult, error) {
	res, err := s.b.Prune(ctx, keep, cutoff)
	if d, ok := s.b.(*Dir); err != nil || ok && d.dir == s.spool {
		return res, err // the directory's own walk took its temporary files
	}
	ents, err := os.ReadDir(s.spool)
	if err != nil {
		return res, fmt.Errorf("attach: spool directory: %w", err)
	}
	for _, e := range ents {
		info, err := e.Info()
		if err != nil || !strings.HasPrefix(e.Name(), tmpPrefix) || !info.ModTime().Before(cutoff) {
			continue
		}
		if os.Remove(filepath.Join(s.spool, e.Name())) == nil {
			res.Temporary++
			res.Bytes += info.Size()
		}
	}
	return res, nil
}

// Put stores the content read from r, which may be at most maxBytes long
// (maxBytes must be positive). Longer content gives an error wrapping
// ErrTooLarge and leaves nothing behind; r is then not read further.
//
// A JPEG (by content) is stored without its location and identifying
// metadata: Exif and XMP (APP1) segments, IPTC and other APPn segments,
// comments and trailing data are dropped; colour profiles are kept, and a
// non-default Exif orientation is kept in a minimal Exif segment of its own.
// The digest and size are those of the stored, stripped bytes. Other types
// are stored byte for byte. Location metadata inside HEIC, TIFF, PNG or video
// files is not removed.
func (s *Store) Put(ctx context.Context, r io.Reader, maxBytes int64) (Blob, error) {
	return s.put(ctx, r, maxBytes, true)
}

// PutKeepMetadata is Put without any metadata stripping: the stored bytes
// are exactly those read. Use it for inspectors' evidence, where where and
// when a photo was taken matters.
func (s *Store) PutKeepMetadata(ctx context.Context, r io.Reader, maxBytes int64) (Blob, error) {
	return s.put(ctx, r, maxBytes, false)
}

func (s *Store) put(ctx context.Context, r io.Reader, maxBytes int64, strip bool) (Blob, error) {
	if maxBytes <= 0 {
		return Blob{}, fmt.Errorf("attach: size limit must be positive, got %d", maxBytes)
	}
	tooLarge := func() error { return fmt.Errorf("%w (%d bytes)", ErrTooLarge, maxBytes) }
	lr := &limitReader{r: r, max: maxBytes}
	br := bufio.NewReaderSize(lr, 64<<10)
	head, err := br.Peek(sniffLen)
	if err != nil && !errors.Is(err, io.EOF) {
		if errors.Is(err, ErrTooLarge) {
			return Blob{}, tooLarge()
		}
		return Blob{}, fmt.Errorf("attach: reading content: %w", err)
	}
	ctype := sniff(head)

	tmp, err := os.CreateTemp(s.spool, tmpPrefix+"*")
	if err != nil {
		return Blob{}, fmt.Errorf("attach: creating temporary file: %w", err)
	}
	defer func() {
		tmp.Close()
		os.Remove(tmp.Name())
	}()

	h := sha256.New()
	cw := &countWriter{}
	out := io.MultiWriter(tmp, h, cw)
	if strip && ctype == "image/jpeg" {
		err = stripJPEG(out, br)
		if err == nil {
			_, err = io.Copy(io.Discard, br) // count (and bound) what follows EOI
		}
	} else {
		bw := bufio.NewWriterSize(out, 64<<10)
		if _, err = io.Copy(bw, br); err == nil {
			err = bw.Flush()
		}
	}
	if err != nil {
		if errors.Is(err, ErrTooLarge) {
			return Blob{}, tooLarge()
		}
		return Blob{}, fmt.Errorf("attach: writing content: %w", err)
	}
	ctype = refine(ctype, tmp, cw.n)
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return Blob{}, fmt.Errorf("attach: rewinding content: %w", err)
	}
	blob := Blob{SHA256: hex.EncodeToString(h.Sum(nil)), Size: cw.n, ContentType: ctype}
	if err := s.b.Save(ctx, blob.SHA256, blob.Size, tmp); err != nil {
		return Blob{}, err
	}
	return blob, nil
}

// limitReader reads at most max bytes and fails with ErrTooLarge as soon as
// the underlying reader offers one more.
type limitReader struct {
	r      io.Reader
	n, max int64
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.n > l.max {
		return 0, ErrTooLarge
	}
	if rem := l.max - l.n + 1; int64(len(p)) > rem {
		p = p[:rem]
	}
	n, err := l.r.Read(p)
	l.n += int64(n)
	if l.n > l.max {
		return n, ErrTooLarge
	}
	return n, err
}

type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return len(p), nil
}

// Info is a stored file as a case lists it: the attachments row beside the
// blob it names.
type Info struct {
	ID          int64     `json:"id"`
	CaseID      int64     `json:"case_id"`
	SHA256      string    `json:"sha256"`
	Filename    string    `json:"filename"`
	ContentType string    `json:"content_type"`
	Size        int64     `json:"size"`
	Source      string    `json:"source"` // reporter | staff | email | inspection
	CreatedAt   time.Time `json:"created_at"`
}
