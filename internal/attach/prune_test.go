package attach

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestPrune(t *testing.T) {
	s, err := NewStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	kept, _ := s.Put(context.Background(), strings.NewReader("referenced evidence"), 1<<20)
	orphan, _ := s.Put(context.Background(), strings.NewReader("upload of a refused request"), 1<<20)
	young, _ := s.Put(context.Background(), strings.NewReader("upload whose case is being committed"), 1<<20)
	tmp := filepath.Join(s.b.(*Dir).Root(), ".tmp-12345")
	os.WriteFile(tmp, []byte("half an upload"), 0o600)
	old := time.Now().Add(-2 * time.Hour)
	for _, sha := range []string{kept.SHA256, orphan.SHA256} {
		p, _ := s.b.(*Dir).Path(sha)
		os.Chtimes(p, old, old)
	}
	os.Chtimes(tmp, old, old)
	res, err := s.Prune(context.Background(), func(sha string) bool { return sha == kept.SHA256 }, time.Now().Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if res.Blobs != 1 || res.Temporary != 1 || res.Kept != 1 || res.Bytes == 0 {
		t.Fatalf("%+v", res)
	}
	for sha, want := range map[string]bool{kept.SHA256: true, orphan.SHA256: false, young.SHA256: true} {
		p, _ := s.b.(*Dir).Path(sha)
		if _, err := os.Stat(p); (err == nil) != want {
			t.Errorf("%s present=%v, want %v", sha[:8], err == nil, want)
		}
	}
	if _, err := os.Stat(tmp); err == nil {
		t.Error("stale temporary file kept")
	}
}
