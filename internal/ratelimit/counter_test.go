package ratelimit_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"mashang/internal/clock"
	"mashang/internal/ratelimit"
	"mashang/internal/store"
	"mashang/internal/store/storetest"
)

// testCounter checks a Counter by value: windows are fixed (aligned to the
// period), keys and periods independent, concurrent adds all counted.
func testCounter(t *testing.T, c ratelimit.Counter, clk *clock.Fixed) {
	ctx := context.Background()
	// 09:00:10 in a one-minute window: 50 s left.
	for i := 1; i <= 3; i++ {
		n, left, err := c.Add(ctx, "a", time.Minute, 1)
		if err != nil || n != int64(i) || left != 50*time.Second {
			t.Fatalf("add %d: %d %s %v", i, n, left, err)
		}
	}
	if n, _, _ := c.Add(ctx, "a", time.Hour, 2); n != 2 {
		t.Fatalf("another period is another count: %d", n)
	}
	if n, _, _ := c.Count(ctx, "b", time.Minute); n != 0 {
		t.Fatalf("an unknown key: %d", n)
	}
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() { defer wg.Done(); c.Add(ctx, "b", time.Minute, 1) }()
	}
	wg.Wait()
	if n, left, _ := c.Count(ctx, "b", time.Minute); n != 20 || left != 50*time.Second {
		t.Fatalf("concurrent adds: %d %s", n, left)
	}
	clk.Advance(50 * time.Second) // the next window
	if n, left, _ := c.Count(ctx, "a", time.Minute); n != 0 || left != time.Minute {
		t.Fatalf("the next window: %d %s", n, left)
	}
	if n, _, _ := c.Count(ctx, "a", time.Hour); n != 2 {
		t.Fatalf("the hour's window goes on: %d", n)
	}
}

func TestMemoryCounter(t *testing.T) {
	clk := clock.NewFixed(time.Date(2026, 3, 2, 9, 0, 10, 0, time.UTC))
	testCounter(t, ratelimit.NewMemory(clk.Now), clk)
}

func TestSQLCounter(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		clk := clock.NewFixed(time.Date(2026, 3, 2, 9, 0, 10, 0, time.UTC))
		testCounter(t, ratelimit.NewSQL(db, clk.Now), clk)
	})
}

func TestParseRate(t *testing.T) {
	for in, want := range map[string]ratelimit.Rate{"10/1h": {10, time.Hour}, "300/1m": {300, time.Minute}, "0": {}, " 5 / 30s ": {5, 30 * time.Second}} {
		if got, err := ratelimit.ParseRate(in); err != nil || got != want {
			t.Errorf("%q: %v %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "10", "ten/1h", "10/soon", "-1/1h", "10/1ms"} {
		if _, err := ratelimit.ParseRate(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
