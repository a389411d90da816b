package search_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"mashang/internal/intake"
	"mashang/internal/search"
	"mashang/internal/store"
	"mashang/internal/store/storetest"
	"mashang/internal/web/webtest"
)

// Two instances on one database run the background catch-up: one holds the
// job's lease and indexes new cases; while another instance holds it, this
// one's loop leaves the work alone; the lease is given back on stop.
func TestIndexRunsOnceAcrossInstances(t *testing.T) {
	webtest.Engines(t, func(t *testing.T, h *webtest.Harness) {
		ctx, stop := context.WithCancel(context.Background())
		defer stop()
		// Another instance holds the lease: this one's loop must not index.
		if ok, err := h.App.DB.AcquireLease(ctx, search.IndexJob, "other-instance", h.Clock.Now(), time.Hour); err != nil || !ok {
			t.Fatal(ok, err)
		}
		second := search.NewIndex(h.App.DB, h.App.Search.Folder(), storetest.Quiet(), h.Clock.Now)
		var wg sync.WaitGroup
		for _, x := range []*search.Index{h.App.Search.Index, second} {
			wg.Add(1)
			go func() { defer wg.Done(); x.Run(ctx, 5*time.Millisecond) }()
		}
		if _, err := h.App.Intake.Submit(ctx, intake.Submission{Channel: "web", Content: "窗口推诿", Anonymous: true}); err != nil {
			t.Fatal(err)
		}
		indexed := func() int {
			var n int
			h.App.DB.Read.QueryRow(`SELECT COUNT(*) FROM search_docs`).Scan(&n)
			return n
		}
		for range 40 { // many ticks of both loops
			time.Sleep(5 * time.Millisecond)
			if indexed() != 0 {
				t.Fatal("indexed while another instance held the lease")
			}
		}
		if err := h.App.DB.ReleaseLease(ctx, search.IndexJob, "other-instance"); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(10 * time.Second)
		for indexed() == 0 {
			if time.Now().After(deadline) {
				t.Fatal("not indexed after the lease was free")
			}
			time.Sleep(5 * time.Millisecond)
		}
		var holder string
		if err := h.App.DB.Read.QueryRow(`SELECT holder FROM jobs_leases WHERE name = $1 AND until > $2`, search.IndexJob,
			store.FormatInstant(h.Clock.Now())).Scan(&holder); err != nil || holder == "other-instance" {
			t.Fatalf("lease after take-over: %q %v", holder, err)
		}
		stop()
		wg.Wait()
		var live int
		h.App.DB.Read.QueryRow(`SELECT COUNT(*) FROM jobs_leases WHERE name = $1 AND until > $2`, search.IndexJob, store.FormatInstant(h.Clock.Now())).Scan(&live)
		if live != 0 {
			t.Fatal("the lease was not given back on stop")
		}
	})
}
