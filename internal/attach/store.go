// Package attach stores attachments (photos, documents, recordings, raw
// mail) by the SHA-256 of their content, under one directory:
// <dir>/<first two hex digits>/<64 hex digits>. The same content is stored
// once. A Put returns only after the file and its directory entry are on
// disk (fsync), so a report may be acknowledged right after.
//
// The content type is sniffed from the bytes, never from a file name. JPEG
// photos lose their location metadata on the way in (see Put); inspectors'
// evidence can keep it with PutKeepMetadata.
package attach

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
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

// Store is a content-addressed attachment store. It is safe for concurrent
// use, also by several processes sharing the directory.
type Store struct {
	dir string
}

// NewStore opens (creating with mode 0700 if needed) the store at dir.
func NewStore(dir string) (*Store, error) {
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
	return &Store{dir: dir}, nil
}

// Dir returns the store's directory.
func (s *Store) Dir() string { return s.dir }

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

// Path returns where the content with this digest is (or would be) stored.
// It rejects anything but 64 lower-case hex digits, so no name can reach
// outside the store.
func (s *Store) Path(sha string) (string, error) {
	if !ValidSHA(sha) {
		return "", fmt.Errorf("%w: %q", ErrInvalidSHA, truncate(sha, 80))
	}
	return filepath.Join(s.dir, sha[:2], sha), nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// Open opens stored content for reading. A digest that is not stored gives
// an error matching fs.ErrNotExist.
func (s *Store) Open(sha string) (io.ReadSeekCloser, error) {
	p, err := s.Path(sha)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, fmt.Errorf("attach: opening %s: %w", sha, err)
	}
	return f, nil
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
func (s *Store) Put(r io.Reader, maxBytes int64) (Blob, error) {
	return s.put(r, maxBytes, true)
}

// PutKeepMetadata is Put without any metadata stripping: the stored bytes
// are exactly those read. Use it for inspectors' evidence, where where and
// when a photo was taken matters.
func (s *Store) PutKeepMetadata(r io.Reader, maxBytes int64) (Blob, error) {
	return s.put(r, maxBytes, false)
}

func (s *Store) put(r io.Reader, maxBytes int64, strip bool) (Blob, error) {
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

	tmp, err := os.CreateTemp(s.dir, ".tmp-*")
	if err != nil {
		return Blob{}, fmt.Errorf("attach: creating temporary file: %w", err)
	}
	tmpName := tmp.Name()
	keep := false
	defer func() {
		if !keep {
			tmp.Close()
			os.Remove(tmpName)
		}
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
	if err := tmp.Sync(); err != nil {
		return Blob{}, fmt.Errorf("attach: syncing content: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return Blob{}, fmt.Errorf("attach: closing content: %w", err)
	}

	blob := Blob{SHA256: hex.EncodeToString(h.Sum(nil)), Size: cw.n, ContentType: ctype}
	final, _ := s.Path(blob.SHA256)
	fan := filepath.Dir(final)
	switch err := os.Mkdir(fan, 0o700); {
	case err == nil:
		if err := syncDir(s.dir); err != nil {
			return Blob{}, err
		}
	case !errors.Is(err, fs.ErrExist):
		return Blob{}, fmt.Errorf("attach: creating directory: %w", err)
	}
	if _, err := os.Lstat(final); err == nil {
		// Already stored: keep the existing file. Sync the directory in
		// case the earlier writer crashed before doing so.
		return blob, syncDir(fan)
	}
	if err := os.Rename(tmpName, final); err != nil {
		return Blob{}, fmt.Errorf("attach: storing content: %w", err)
	}
	keep = true
	if err := syncDir(fan); err != nil {
		return Blob{}, err
	}
	return blob, nil
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
