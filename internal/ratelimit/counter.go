package ratelimit

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"mashang/internal/store"
)

// Rate is a limit of N events per Per; N 0 means no limit.
type Rate struct {
	N   int
	Per time.Duration
}

// ParseRate reads "N/DURATION" ("10/1h", "300/1m"), or "0" for no limit.
func ParseRate(s string) (Rate, error) {
	s = strings.TrimSpace(s)
	if s == "0" || s == "off" {
		return Rate{}, nil
	}
	n, per, ok := strings.Cut(s, "/")
	count, err := strconv.Atoi(strings.TrimSpace(n))
	if !ok || err != nil || count <= 0 {
		return Rate{}, fmt.Errorf("%q is not a rate such as 10/1h (or 0 for none)", s)
	}
	d, err := time.ParseDuration(strings.TrimSpace(per))
	if err != nil || d < time.Second {
		return Rate{}, fmt.Errorf("%q is not a rate such as 10/1h: the period must be at least 1s", s)
	}
	return Rate{N: count, Per: d}, nil
}

// String writes the rate as ParseRate reads it.
func (r Rate) String() string {
	if r.N == 0 {
		return "0"
	}
	return strconv.Itoa(r.N) + "/" + r.Per.String()
}

// Counter counts events per key in fixed windows of a given length: the
// flood limits' state. Memory keeps it in this process (one instance, as on
// SQLite); SQL keeps it in the database, shared by every instance on it.
type Counter interface {
	// Add adds n events to the window of length w that holds now and
	// returns the window's count after adding and the time left in it.
	Add(ctx context.Context, key string, w time.Duration, n int) (count int64, left time.Duration, err error)
	// Count returns the window's count and time left without adding.
	Count(ctx context.Context, key string, w time.Duration) (count int64, left time.Duration, err error)
}

// slot is the stored key of key's windows of length w: periods count apart.
func slot(key string, w time.Duration) string { return key + "/" + w.String() }

// window is the start (Unix seconds) of the window of length w holding now,
// and the time left in it.
func window(now time.Time, w time.Duration) (int64, time.Duration) {
	secs := int64(w / time.Second)
	if secs <= 0 {
		secs = 1
	}
	start := now.Unix() - now.Unix()%secs
	return start, time.Unix(start+secs, 0).Sub(now)
}

// Memory is a Counter in memory. Safe for concurrent use; windows that have
// ended are dropped as new ones are counted.
type Memory struct {
	now func() time.Time
	mu  sync.Mutex
	m   map[memKey]memCount
	ops int
}

type memKey struct {
	key   string
	start int64
}

type memCount struct {
	n   int64
	end time.Time
}

// NewMemory returns a memory counter reading the time from now.
func NewMemory(now func() time.Time) *Memory {
	return &Memory{now: now, m: map[memKey]memCount{}}
}

// Add implements Counter.
func (c *Memory) Add(_ context.Context, key string, w time.Duration, n int) (int64, time.Duration, error) {
	now := c.now()
	start, left := window(now, w)
	c.mu.Lock()
	defer c.mu.Unlock()
	k := memKey{slot(key, w), start}
	v := c.m[k]
	v.n += int64(n)
	v.end = now.Add(left)
	c.m[k] = v
	if c.ops++; c.ops%1024 == 0 {
		for k, v := range c.m {
			if !now.Before(v.end) {
				delete(c.m, k)
			}
		}
	}
	return v.n, left, nil
}

// Count implements Counter.
func (c *Memory) Count(_ context.Context, key string, w time.Duration) (int64, time.Duration, error) {
	start, left := window(c.now(), w)
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[memKey{slot(key, w), start}].n, left, nil
}

// SQL is a Counter in the rate_counters table: every instance sharing the
// database counts the same events. Windows older than two days are deleted
// now and then as new ones are counted.
type SQL struct {
	db  *store.DB
	now func() time.Time
	mu  sync.Mutex
	ops int
}

// NewSQL returns a database counter reading the time from now.
func NewSQL(db *store.DB, now func() time.Time) *SQL { return &SQL{db: db, now: now} }

// Add implements Counter.
func (c *SQL) Add(ctx context.Context, key string, w time.Duration, n int) (int64, time.Duration, error) {
	now := c.now()
	start, left := window(now, w)
	c.mu.Lock()
	c.ops++
	prune := c.ops%256 == 1
	c.mu.Unlock()
	var count int64
	err := c.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO rate_counters (key, window_start, count) VALUES ($1, $2, $3)
			ON CONFLICT (key, window_start) DO UPDATE SET count = rate_counters.count + excluded.count RETURNING count`,
			slot(key, w), start, n).Scan(&count); err != nil {
			return err
		}
		if prune {
			_, err := tx.ExecContext(ctx, `DELETE FROM rate_counters WHERE window_start < $1`, now.Add(-48*time.Hour).Unix())
			return err
		}
		return nil
	})
	if err != nil {
		return 0, 0, fmt.Errorf("ratelimit: count %s: %w", key, err)
	}
	return count, left, nil
}

// Count implements Counter.
func (c *SQL) Count(ctx context.Context, key string, w time.Duration) (int64, time.Duration, error) {
	start, left := window(c.now(), w)
	var count int64
	err := c.db.Read.QueryRowContext(ctx, `SELECT count FROM rate_counters WHERE key = $1 AND window_start = $2`, slot(key, w), start).Scan(&count)
	if err == sql.ErrNoRows {
		return 0, left, nil
	}
	if err != nil {
		return 0, 0, fmt.Errorf("ratelimit: read count %s: %w", key, err)
	}
	return count, left, nil
}
