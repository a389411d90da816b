// Package ratelimit slows and then refuses repeated failures (wrong
// passwords, wrong receipt keys) per key, a user name or a client address,
// and counts the events the flood limits bound. Counts live in the database
// on PostgreSQL, so that every instance sharing it counts the same, and in
// memory on SQLite, which one process owns.
package ratelimit

import (
	"context"
	"fmt"
	"time"
)

// Policy says how failures are treated within Window: from the SlowAfter-th
// failure each further try waits Base × 2^(n−SlowAfter), capped at MaxDelay;
// from the BlockAfter-th failure tries are refused until the window passes.
type Policy struct {
	Window     time.Duration
	SlowAfter  int
	BlockAfter int
	Base       time.Duration
	MaxDelay   time.Duration
}

// DefaultPolicy: 3 free failures, then slower, refused after 10 in 15 minutes.
var DefaultPolicy = Policy{Window: 15 * time.Minute, SlowAfter: 3, BlockAfter: 10, Base: 250 * time.Millisecond, MaxDelay: 4 * time.Second}

// Verdict is what a caller must do before trying.
type Verdict struct {
	Delay   time.Duration // wait this long first
	Blocked bool          // refuse (429)
	Retry   time.Duration // when blocked: until the oldest failure leaves the window
}

// For is the verdict after n failures within the window, the oldest at
// oldest. BlockAfter 0 never refuses (slowing only).
func (p Policy) For(n int, oldest, now time.Time) Verdict {
	switch {
	case p.BlockAfter > 0 && n >= p.BlockAfter:
		return Verdict{Blocked: true, Retry: oldest.Add(p.Window).Sub(now)}
	case p.SlowAfter > 0 && n >= p.SlowAfter:
		d := p.Base << uint(min(n-p.SlowAfter, 30))
		if d > p.MaxDelay || d <= 0 {
			d = p.MaxDelay
		}
		return Verdict{Delay: d}
	}
	return Verdict{}
}

// Failures slows and then refuses repeated failures per key by Policy,
// counting them on Counter: on the database's counter every instance
// sharing it counts a guesser's tries together, wherever the proxy sends
// them. Failures are counted in fixed windows of Policy.Window; a refusal's
// Retry is the time left in the window.
type Failures struct {
	Policy  Policy
	Counter Counter
	Now     func() time.Time
}

// Check returns the verdict for key without recording anything.
func (f Failures) Check(ctx context.Context, key string) (Verdict, error) {
	n, left, err := f.Counter.Count(ctx, "fail:"+key, f.Policy.Window)
	if err != nil {
		return Verdict{}, fmt.Errorf("ratelimit: %w", err)
	}
	if n == 0 {
		return Verdict{}, nil
	}
	now := f.Now()
	return f.Policy.For(int(n), now.Add(left-f.Policy.Window), now), nil
}

// Fail records a failure for key.
func (f Failures) Fail(ctx context.Context, key string) error {
	_, _, err := f.Counter.Add(ctx, "fail:"+key, f.Policy.Window, 1)
	return err
}
