package ratelimit_test

import (
	"context"
	"testing"
	"time"

	"mashang/internal/clock"
	"mashang/internal/ratelimit"
	"mashang/internal/store"
	"mashang/internal/store/storetest"
)

// testFailures checks the default policy by value on a counter: three free
// failures, then delays doubling from 250 ms to 4 s, refused from the tenth
// with the rest of the window as Retry, keys apart, free again in the next
// window.
func testFailures(t *testing.T, c ratelimit.Counter, clk *clock.Fixed) {
	ctx := context.Background()
	f := ratelimit.Failures{Policy: ratelimit.DefaultPolicy, Counter: c, Now: clk.Now}
	want := []ratelimit.Verdict{{}, {}, {}, {Delay: 250 * time.Millisecond}, {Delay: 500 * time.Millisecond}, {Delay: time.Second},
		{Delay: 2 * time.Second}, {Delay: 4 * time.Second}, {Delay: 4 * time.Second}, {Delay: 4 * time.Second}}
	for i, w := range want {
		if v, err := f.Check(ctx, "u"); err != nil || v != w {
			t.Fatalf("before failure %d: %+v %v, want %+v", i+1, v, err, w)
		}
		if err := f.Fail(ctx, "u"); err != nil {
			t.Fatal(err)
		}
		clk.Advance(time.Second)
	}
	// 09:00:00 + 10 s into a 15-minute window: 14 min 50 s left.
	if v, _ := f.Check(ctx, "u"); !v.Blocked || v.Retry != 14*time.Minute+50*time.Second || v.Delay != 0 {
		t.Fatalf("after 10 failures: %+v", v)
	}
	if v, _ := f.Check(ctx, "other"); v != (ratelimit.Verdict{}) {
		t.Fatalf("keys are independent: %+v", v)
	}
	clk.Advance(15 * time.Minute)
	if v, _ := f.Check(ctx, "u"); v != (ratelimit.Verdict{}) {
		t.Fatalf("in the next window: %+v", v)
	}
}

func TestFailuresInMemory(t *testing.T) {
	clk := clock.NewFixed(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	testFailures(t, ratelimit.NewMemory(clk.Now), clk)
}

// Two instances on one database, each with its own counter object, count
// one guesser's failures together.
func TestFailuresShared(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		clk := clock.NewFixed(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
		testFailures(t, ratelimit.NewSQL(db, clk.Now), clk)
		ctx := context.Background()
		p := ratelimit.Policy{Window: time.Hour, BlockAfter: 4}
		a := ratelimit.Failures{Policy: p, Counter: ratelimit.NewSQL(db, clk.Now), Now: clk.Now}
		b := ratelimit.Failures{Policy: p, Counter: ratelimit.NewSQL(db, clk.Now), Now: clk.Now}
		for i := range 4 {
			x := a
			if i%2 == 1 {
				x = b
			}
			x.Fail(ctx, "addr")
		}
		for _, x := range []ratelimit.Failures{a, b} {
			if v, _ := x.Check(ctx, "addr"); !v.Blocked {
				t.Fatalf("four failures spread over two instances: %+v", v)
			}
		}
	})
}
