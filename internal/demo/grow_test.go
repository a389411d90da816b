package demo_test

import (
	"context"
	"strings"
	"testing"

	"mashang/internal/audit"
	"mashang/internal/auth"
	"mashang/internal/civil"
	"mashang/internal/demo"
	"mashang/internal/docket"
	"mashang/internal/search"
	"mashang/internal/web/webtest"
)

// mashang bench grow on a small demo county, both engines: three times the
// cases, messages and search matches; the originals the oldest year, each
// copy 52 weeks newer with ids above the last, only the newest year still
// running; the index caught up, the audit log's cross-checks still whole.
func TestGrow(t *testing.T) {
	webtest.Engines(t, func(t *testing.T, h *webtest.Harness) {
		ctx := context.Background()
		a := h.App
		// A database mashang demo did not fill is refused, untouched.
		if _, err := demo.Grow(ctx, a, demo.GrowOptions{Times: 3}); err == nil || !strings.Contains(err.Error(), "not filled by mashang demo") {
			t.Fatalf("grow before demo: %v, want a refusal naming mashang demo", err)
		}
		if _, err := demo.Run(ctx, a, demo.Options{Cases: 400, Seed: 5, Until: civil.MustParse("2026-03-01")}); err != nil {
			t.Fatal(err)
		}
		db := a.DB.Read
		count := func(q string, args ...any) int64 {
			t.Helper()
			var n int64
			if err := db.QueryRow(q, args...).Scan(&n); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
			return n
		}
		open := docket.SQLList(docket.OpenStates...)
		cases, msgs := count(`SELECT COUNT(*) FROM cases`), count(`SELECT COUNT(*) FROM messages`)
		running := count(`SELECT COUNT(*) FROM cases WHERE state IN ` + open)
		maxID := count(`SELECT MAX(id) FROM cases`)
		if running == 0 || msgs == 0 {
			t.Fatalf("demo: %d running cases, %d messages", running, msgs)
		}
		// A case with messages, and what it was before.
		var probe int64
		var on, content, receipt string
		if err := db.QueryRow(`SELECT c.id, c.received_on, c.content, c.receipt FROM cases c WHERE EXISTS (SELECT 1 FROM messages m WHERE m.case_id = c.id)
			AND c.state IN `+open+` ORDER BY c.id LIMIT 1`).Scan(&probe, &on, &content, &receipt); err != nil {
			t.Fatal(err)
		}
		probeMsgs := count(`SELECT COUNT(*) FROM messages WHERE case_id = $1`, probe)
		admin := auth.System("test")
		word := "推诿"
		before, err := a.Search.List(ctx, admin, search.ListQuery{Q: word, Limit: search.MaxLimit, Sort: "received"})
		if err != nil {
			t.Fatal(err)
		}
		if len(before.Cases) == 0 || before.Next != nil {
			t.Fatalf("search %s before: %d matches, more: %v (the test wants a few, on one page)", word, len(before.Cases), before.Next != nil)
		}

		res, err := demo.Grow(ctx, a, demo.GrowOptions{Times: 3, Chunk: 150})
		if err != nil {
			t.Fatal(err)
		}
		if res.Cases != 2*cases || res.Messages != 2*msgs {
			t.Errorf("added %d cases, %d messages; want %d, %d", res.Cases, res.Messages, 2*cases, 2*msgs)
		}
		if n := count(`SELECT COUNT(*) FROM cases`); n != 3*cases {
			t.Errorf("%d cases, want %d", n, 3*cases)
		}
		if n := count(`SELECT COUNT(*) FROM messages`); n != 3*msgs {
			t.Errorf("%d messages, want %d", n, 3*msgs)
		}
		// Ids above the last one, in blocks of the search index.
		stride := (maxID/search.BlockSize + 1) * search.BlockSize
		day := civil.MustParse(on)
		for k, want := range []civil.Date{day.AddDays(-728), day.AddDays(-364), day} {
			id := probe + int64(k)*stride
			var gotOn, gotContent, gotReceipt, state string
			if err := db.QueryRow(`SELECT received_on, content, receipt, state FROM cases WHERE id = $1`, id).Scan(&gotOn, &gotContent, &gotReceipt, &state); err != nil {
				t.Fatalf("copy %d (case %d): %v", k, id, err)
			}
			wantReceipt, wantRunning := receipt, k == 2
			if k > 0 {
				wantReceipt = receipt + "/" + string(rune('0'+k))
			}
			if gotOn != want.String() || gotContent != content || gotReceipt != wantReceipt || docket.State(state).Open() != wantRunning {
				t.Errorf("copy %d: received %s (want %s), receipt %s (want %s), state %s, same content %v", k, gotOn, want, gotReceipt, wantReceipt, state, gotContent == content)
			}
			if n := count(`SELECT COUNT(*) FROM messages WHERE case_id = $1`, id); n != probeMsgs {
				t.Errorf("copy %d: %d messages, want %d", k, n, probeMsgs)
			}
		}
		// Only the newest year runs; ids grow with time.
		if n := count(`SELECT COUNT(*) FROM cases WHERE state IN ` + open); n != running {
			t.Errorf("%d running cases, want the newest year's %d", n, running)
		}
		var prev string
		for k := int64(0); k < 3; k++ {
			var lo, hi string
			if err := db.QueryRow(`SELECT MIN(received_at), MAX(received_at) FROM cases WHERE id >= $1 AND id < $2`, k*stride, (k+1)*stride).Scan(&lo, &hi); err != nil {
				t.Fatal(err)
			}
			if lo <= prev {
				t.Errorf("copy %d starts at %s, before the last copy's end %s", k, lo, prev)
			}
			prev = hi
		}
		// The index needs nothing more and finds every copy of every match.
		if n, err := a.Search.Index.CatchUp(ctx); err != nil || n != 0 {
			t.Errorf("catch-up after grow: %d indexed, %v", n, err)
		}
		want := map[int64]bool{}
		for _, r := range before.Cases {
			for k := int64(0); k < 3; k++ {
				want[r.ID+k*stride] = true
			}
		}
		got := map[int64]bool{}
		q := search.ListQuery{Q: word, Limit: search.MaxLimit, Sort: "received"}
		for {
			p, err := a.Search.List(ctx, admin, q)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range p.Cases {
				got[r.ID] = true
			}
			if p.Next == nil {
				break
			}
			q.Cursor = *p.Next
		}
		if len(got) != len(want) {
			t.Errorf("search %s after: %d matches, want %d", word, len(got), len(want))
		}
		for id := range want {
			if !got[id] {
				t.Errorf("search %s after: case %d missing", word, id)
			}
		}
		// The newest first page is the newest copy's.
		first, err := a.Search.List(ctx, admin, search.ListQuery{Limit: 5, Sort: "received"})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range first.Cases {
			if r.ID < 2*stride {
				t.Errorf("newest first: case %d of an older copy", r.ID)
			}
		}
		if _, err := audit.Check(ctx, a.DB.Read, audit.CheckOptions{}); err != nil {
			t.Errorf("audit verify after grow: %v", err)
		}
		if _, err := demo.Grow(ctx, a, demo.GrowOptions{Times: 1}); err == nil {
			t.Error("grow 1 times: no error")
		}
	})
}
