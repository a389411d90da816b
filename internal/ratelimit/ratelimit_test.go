package ratelimit

import (
	"testing"
	"time"
)

func TestSlowThenBlockThenRecover(t *testing.T) {
	now := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	l := New(DefaultPolicy, func() time.Time { return now })
	want := []Verdict{{}, {}, {}, {Delay: 250 * time.Millisecond}, {Delay: 500 * time.Millisecond}, {Delay: time.Second},
		{Delay: 2 * time.Second}, {Delay: 4 * time.Second}, {Delay: 4 * time.Second}, {Delay: 4 * time.Second}}
	for i, w := range want {
		if v := l.Check("u"); v != w {
			t.Fatalf("before failure %d: %+v, want %+v", i+1, v, w)
		}
		l.Fail("u")
		now = now.Add(time.Second)
	}
	v := l.Check("u")
	if !v.Blocked || v.Retry <= 0 {
		t.Fatalf("after 10 failures: %+v", v)
	}
	if l.Check("other").Blocked {
		t.Fatal("keys are independent")
	}
	now = now.Add(15 * time.Minute)
	if v := l.Check("u"); v.Blocked || v.Delay != 0 {
		t.Fatalf("after the window: %+v", v)
	}
	l.Fail("u")
	l.Reset("u")
	if v := l.Check("u"); v != (Verdict{}) {
		t.Fatal("reset")
	}
}
