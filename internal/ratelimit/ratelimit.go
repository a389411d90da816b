// Package ratelimit slows and then refuses repeated failures (wrong
// passwords, wrong receipt keys) per key: a user name or a client address.
package ratelimit

import (
	"sync"
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

type entry struct {
	failures []time.Time
}

// Limiter counts failures per key. Safe for concurrent use. Memory stays
// bounded: keys whose failures have all expired are dropped.
type Limiter struct {
	p   Policy
	now func() time.Time
	mu  sync.Mutex
	m   map[string]*entry
	ops int
}

// New returns a limiter with policy p and clock now.
func New(p Policy, now func() time.Time) *Limiter {
	return &Limiter{p: p, now: now, m: map[string]*entry{}}
}

// Verdict is what a caller must do before trying.
type Verdict struct {
	Delay   time.Duration // wait this long first
	Blocked bool          // refuse (429)
	Retry   time.Duration // when blocked: until the oldest failure leaves the window
}

// Check returns the verdict for key without recording anything.
func (l *Limiter) Check(key string) Verdict {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	e := l.m[key]
	if e == nil {
		return Verdict{}
	}
	e.prune(now, l.p.Window)
	if len(e.failures) == 0 {
		return Verdict{}
	}
	return l.p.For(len(e.failures), e.failures[0], now)
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

// Fail records a failure for key.
func (l *Limiter) Fail(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	e := l.m[key]
	if e == nil {
		e = &entry{}
		l.m[key] = e
	}
	e.prune(now, l.p.Window)
	e.failures = append(e.failures, now)
	if len(e.failures) > l.p.BlockAfter {
		e.failures = e.failures[len(e.failures)-l.p.BlockAfter:]
	}
	l.ops++
	if l.ops%1024 == 0 {
		for k, v := range l.m {
			v.prune(now, l.p.Window)
			if len(v.failures) == 0 {
				delete(l.m, k)
			}
		}
	}
}

// Reset forgets key's failures (after a success).
func (l *Limiter) Reset(key string) {
	l.mu.Lock()
	delete(l.m, key)
	l.mu.Unlock()
}

func (e *entry) prune(now time.Time, w time.Duration) {
	i := 0
	for i < len(e.failures) && now.Sub(e.failures[i]) >= w {
		i++
	}
	e.failures = e.failures[i:]
}
