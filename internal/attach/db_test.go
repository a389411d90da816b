package attach_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"sync"
	"testing"
	"time"

	"mashang/internal/attach"
	"mashang/internal/clock"
	"mashang/internal/store"
	"mashang/internal/store/storetest"
)

// Content kept in the database: stored through one instance's store, read
// whole and from any offset through another's; the same content stored
// twice (also at once) is one blob; pruning spares what is referenced or
// young; removal. On both engines, though only PostgreSQL deployments use it.
func TestDBBackend(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		clk := clock.NewFixed(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
		one, err := attach.New(attach.NewDB(db, clk.Now), t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		other, _ := attach.New(attach.NewDB(db, clk.Now), t.TempDir())
		// Two and a half chunks of a PDF.
		content := append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte("0123456789abcdef"), (5*attach.ChunkSize/2)/16)...)
		sum := sha256.Sum256(content)
		b, err := one.Put(ctx, bytes.NewReader(content), 10<<20)
		if err != nil {
			t.Fatal(err)
		}
		if b.SHA256 != hex.EncodeToString(sum[:]) || b.Size != int64(len(content)) || b.ContentType != "application/pdf" {
			t.Fatalf("blob %+v", b)
		}
		var chunks int
		db.Read.QueryRow(`SELECT COUNT(*) FROM attachment_chunks WHERE sha256 = $1`, b.SHA256).Scan(&chunks)
		if chunks != 3 {
			t.Fatalf("%d chunks, want 3", chunks)
		}
		f, err := other.Open(ctx, b.SHA256)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(f)
		if err != nil || !bytes.Equal(got, content) {
			t.Fatalf("read back %d bytes of %d: %v", len(got), len(content), err)
		}
		// A read across the first chunk boundary, as a Range request makes.
		if _, err := f.Seek(attach.ChunkSize-5, io.SeekStart); err != nil {
			t.Fatal(err)
		}
		part := make([]byte, 10)
		if _, err := io.ReadFull(f, part); err != nil || !bytes.Equal(part, content[attach.ChunkSize-5:attach.ChunkSize+5]) {
			t.Fatalf("across the boundary: %q %v", part, err)
		}
		if end, _ := f.Seek(0, io.SeekEnd); end != int64(len(content)) {
			t.Fatalf("size by seeking %d", end)
		}
		f.Close()
		if _, err := other.Open(ctx, hex.EncodeToString(make([]byte, 32))); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("absent content: %v", err)
		}
		if _, err := other.Open(ctx, "../../etc/passwd"); !errors.Is(err, attach.ErrInvalidSHA) {
			t.Fatalf("bad name: %v", err)
		}

		// The same content from two instances at once: one blob.
		small := []byte("photo of the closed window, sent twice")
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, s := range []*attach.Store{one, other} {
			wg.Add(1)
			go func() { defer wg.Done(); _, errs[i] = s.Put(ctx, bytes.NewReader(small), 1<<20) }()
		}
		wg.Wait()
		if errs[0] != nil || errs[1] != nil {
			t.Fatal(errs)
		}
		var blobs int
		db.Read.QueryRow(`SELECT COUNT(*) FROM attachment_blobs`).Scan(&blobs)
		if blobs != 2 {
			t.Fatalf("%d blobs, want 2", blobs)
		}

		// Pruning: a day later the big blob is referenced, the small one is
		// not; then the small one is stored again (renewed) before a prune.
		smallSum := sha256.Sum256(small)
		smallSHA := hex.EncodeToString(smallSum[:])
		clk.Advance(48 * time.Hour)
		if _, err := one.Put(ctx, bytes.NewReader(small), 1<<20); err != nil {
			t.Fatal(err)
		}
		keep := func(sha string) bool { return sha == b.SHA256 }
		res, err := one.Prune(ctx, keep, clk.Now().Add(-24*time.Hour))
		if err != nil || res.Blobs != 0 || res.Kept != 1 {
			t.Fatalf("prune with the small blob renewed: %+v %v", res, err)
		}
		clk.Advance(48 * time.Hour)
		res, err = one.Prune(ctx, keep, clk.Now().Add(-24*time.Hour))
		if err != nil || res.Blobs != 1 || res.Kept != 1 || res.Bytes != int64(len(small)) {
			t.Fatalf("prune: %+v %v", res, err)
		}
		if _, err := other.Open(ctx, smallSHA); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("pruned content still there: %v", err)
		}
		if removed, err := other.Remove(ctx, b.SHA256); err != nil || !removed {
			t.Fatalf("remove: %v %v", removed, err)
		}
		db.Read.QueryRow(`SELECT COUNT(*) FROM attachment_chunks`).Scan(&chunks)
		if removed, err := other.Remove(ctx, b.SHA256); err != nil || removed || chunks != 0 {
			t.Fatalf("remove again: %v %v, %d chunks left", removed, err, chunks)
		}
	})
}
