package backup_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"mashang/internal/backup"
	"mashang/internal/web/webtest"
)

// The scheduler writes a named archive each time, keeps the newest Keep,
// reports its status, and does nothing while another instance holds the
// job's lease.
func TestSchedulerKeepsNewestAndReports(t *testing.T) {
	webtest.Engines(t, func(t *testing.T, h *webtest.Harness) {
		ctx := context.Background()
		dir := filepath.Join(t.TempDir(), "backups")
		s := backup.NewScheduler(source(h, false), dir, time.Hour, 2, h.App.Loc, nil)
		if st := s.Status(); !st.Enabled || !st.LastSuccess.IsZero() {
			t.Fatalf("before: %+v", st)
		}
		var names []string
		for range 3 {
			if err := s.Once(ctx); err != nil {
				t.Fatal(err)
			}
			st := s.Status()
			if !st.LastOK || st.Size == 0 || !st.LastSuccess.Equal(h.Clock.Now()) {
				t.Fatalf("status: %+v", st)
			}
			names = append(names, st.File)
			h.Clock.Advance(time.Hour)
		}
		ents, _ := os.ReadDir(dir)
		var left []string
		for _, e := range ents {
			left = append(left, e.Name())
		}
		if len(left) != 2 || left[0] != names[1] || left[1] != names[2] || names[0] != "mashang-20260302-090000.tar" {
			t.Fatalf("kept %v of %v", left, names)
		}
		// Another instance holding the lease: nothing written.
		if ok, err := h.App.DB.AcquireLease(ctx, backup.Job, "other-instance", h.Clock.Now(), time.Hour); err != nil || !ok {
			t.Fatal(ok, err)
		}
		if err := s.Once(ctx); err != nil {
			t.Fatal(err)
		}
		if ents, _ := os.ReadDir(dir); len(ents) != 2 || s.Status().File != names[2] {
			t.Fatalf("wrote while another instance held the lease: %v", ents)
		}
		// A directory it cannot write to: a failure, counted.
		bad := backup.NewScheduler(source(h, false), "/proc/no-such-dir", time.Hour, 2, h.App.Loc, nil)
		h.App.DB.ReleaseLease(ctx, backup.Job, "other-instance")
		if err := bad.Once(ctx); err == nil || bad.Status().Failures != 1 || bad.Status().LastOK {
			t.Fatalf("failure not reported: %v %+v", err, bad.Status())
		}
	})
}
