package cli_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"mashang/internal/app"
	"mashang/internal/attach"
	"mashang/internal/intake"
	"mashang/internal/store/storetest"
	"mashang/internal/web/webtest"
)

// jobs run attachments removes the files of refused requests and keeps
// every file a case references.
func TestJobsRunAttachments(t *testing.T) {
	cfg := webtest.Config(t, "")
	a, err := app.New(context.Background(), cfg, app.Options{Logger: storetest.Quiet()})
	if err != nil {
		t.Fatal(err)
	}
	used, _ := a.Files.Put(context.Background(), strings.NewReader("photo of the fee notice"), 1<<20)
	orphan, _ := a.Files.Put(context.Background(), strings.NewReader("file of a refused report"), 1<<20)
	if _, err := a.Intake.Submit(context.Background(), intake.Submission{Channel: "web", Content: "乱收费", Anonymous: true,
		Files: []intake.File{{Blob: used, Filename: "fee.txt", Source: "reporter"}}}); err != nil {
		t.Fatal(err)
	}
	a.Close()
	old := time.Now().Add(-48 * time.Hour)
	paths := map[string]bool{}
	for sha, keep := range map[string]bool{used.SHA256: true, orphan.SHA256: false} {
		p, _ := a.Files.Backend().(*attach.Dir).Path(sha)
		os.Chtimes(p, old, old)
		paths[p] = keep
	}
	env := map[string]string{"MASHANG_DATA": cfg.DataDir}
	code, out, stderr := run(t, env, "", "jobs", "run", "attachments")
	if code != 0 || !strings.Contains(out, "1 unreferenced") || !strings.Contains(out, "1 kept") {
		t.Fatalf("%d %q %q", code, out, stderr)
	}
	for p, keep := range paths {
		if _, err := os.Stat(p); (err == nil) != keep {
			t.Errorf("%s present=%v, want %v", p, err == nil, keep)
		}
	}
	// While another instance prunes (holds the job's lease): exit 3, nothing done.
	b, err := app.New(context.Background(), cfg, app.Options{Logger: storetest.Quiet()})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if ok, err := b.DB.AcquireLease(context.Background(), app.AttachmentsJob, "other-instance", time.Now(), time.Hour); err != nil || !ok {
		t.Fatal(ok, err)
	}
	if code, out, _ := run(t, env, "", "jobs", "run", "attachments"); code != 3 || out != "" {
		t.Fatalf("under another's lease: %d %q", code, out)
	}
}
