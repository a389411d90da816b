package auth

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"mashang/internal/ratelimit"
	"mashang/internal/store"
)

// FailureLog keeps failed sign-ins. It is what the sign-in throttle counts
// and what the owner and the admins read; kept in the database, so every
// instance sharing it counts the same failures.
type FailureLog interface {
	// Record keeps one failed sign-in of username from addr.
	Record(ctx context.Context, username, addr string, at time.Time) error
	// Counts counts the failures since since that still slow someone down.
	Counts(ctx context.Context, username, addr string, since time.Time) (FailureCounts, error)
	// Clear stops the pair's failures slowing it down (after a success);
	// they are still listed.
	Clear(ctx context.Context, username, addr string) error
	// Recent lists the account's failures since since, newest first.
	Recent(ctx context.Context, username string, since time.Time, limit int) ([]Failure, error)
}

// FailureCounts are the failures within the throttle's window: of the
// (account, address) pair, of the account from every address, and of the
// address against every account, each with its oldest.
type FailureCounts struct {
	Pair, Account, Address                   int
	PairOldest, AccountOldest, AddressOldest time.Time
}

// Failure is one failed sign-in as shown to the owner and the admins.
type Failure struct {
	At   time.Time `json:"at"`
	Addr string    `json:"addr"`
}

// The throttle's policies, over ThrottleWindow. The pair that fails is
// slowed and then refused; the address is refused after failing against
// many accounts; the account as a whole is only ever slowed a little, so
// that nobody else's failures can lock its owner out.
const ThrottleWindow = 15 * time.Minute

var (
	pairPolicy    = ratelimit.Policy{Window: ThrottleWindow, SlowAfter: 3, BlockAfter: 10, Base: 250 * time.Millisecond, MaxDelay: 4 * time.Second}
	addrPolicy    = ratelimit.Policy{Window: ThrottleWindow, SlowAfter: 5, BlockAfter: 30, Base: 250 * time.Millisecond, MaxDelay: 4 * time.Second}
	accountPolicy = ratelimit.Policy{Window: ThrottleWindow, SlowAfter: 20, Base: 500 * time.Millisecond, MaxDelay: 2 * time.Second}
)

// verdict combines the policies: the longest delay, refused if any refuses.
func (s *Service) verdict(c FailureCounts, now time.Time) ratelimit.Verdict {
	vs := []ratelimit.Verdict{pairPolicy.For(c.Pair, c.PairOldest, now), accountPolicy.For(c.Account, c.AccountOldest, now)}
	if s.addrLimit {
		vs = append(vs, addrPolicy.For(c.Address, c.AddressOldest, now))
	}
	var out ratelimit.Verdict
	for _, v := range vs {
		if v.Blocked && (!out.Blocked || v.Retry > out.Retry) {
			out.Blocked, out.Retry = true, v.Retry
		}
		out.Delay = max(out.Delay, v.Delay)
	}
	if out.Blocked {
		out.Delay = 0
	}
	return out
}

// sqlFailures is the FailureLog in the sign_in_failures table.
type sqlFailures struct{ db *store.DB }

// maxLoggedName bounds what is kept of a user name that does not exist.
const maxLoggedName = 64

func (f sqlFailures) Record(ctx context.Context, username, addr string, at time.Time) error {
	if r := []rune(username); len(r) > maxLoggedName {
		username = string(r[:maxLoggedName])
	}
	return f.db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO sign_in_failures (username, addr, at) VALUES ($1, $2, $3)`, username, addr, store.FormatInstant(at))
		if err != nil {
			return fmt.Errorf("auth: record failed sign-in: %w", err)
		}
		// Failures older than a month are of no more use to anyone.
		_, err = tx.ExecContext(ctx, `DELETE FROM sign_in_failures WHERE username = $1 AND at < $2`, username, store.FormatInstant(at.AddDate(0, -1, 0)))
		return err
	})
}

func (f sqlFailures) Counts(ctx context.Context, username, addr string, since time.Time) (FailureCounts, error) {
	var c FailureCounts
	ts := store.FormatInstant(since)
	for _, q := range []struct {
		sql    string
		arg    []any
		n      *int
		oldest *time.Time
	}{
		{`WHERE username = $1 AND addr = $2 AND NOT cleared AND at >= $3`, []any{username, addr, ts}, &c.Pair, &c.PairOldest},
		{`WHERE username = $1 AND NOT cleared AND at >= $2`, []any{username, ts}, &c.Account, &c.AccountOldest},
		{`WHERE addr = $1 AND NOT cleared AND at >= $2`, []any{addr, ts}, &c.Address, &c.AddressOldest},
	} {
		var oldest sql.NullString
		if err := f.db.Read.QueryRowContext(ctx, `SELECT COUNT(*), MIN(at) FROM sign_in_failures `+q.sql, q.arg...).Scan(q.n, &oldest); err != nil {
			return c, fmt.Errorf("auth: count failed sign-ins: %w", err)
		}
		if oldest.Valid {
			t, err := time.Parse(store.InstantLayout, oldest.String)
			if err != nil {
				return c, fmt.Errorf("auth: failed sign-in time: %w", err)
			}
			*q.oldest = t
		}
	}
	return c, nil
}

func (f sqlFailures) Clear(ctx context.Context, username, addr string) error {
	return f.db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE sign_in_failures SET cleared = TRUE WHERE username = $1 AND addr = $2 AND NOT cleared`, username, addr)
		return err
	})
}

func (f sqlFailures) Recent(ctx context.Context, username string, since time.Time, limit int) ([]Failure, error) {
	rows, err := f.db.Read.QueryContext(ctx, `SELECT at, addr FROM sign_in_failures WHERE username = $1 AND at >= $2 ORDER BY at DESC LIMIT $3`,
		username, store.FormatInstant(since), limit)
	if err != nil {
		return nil, fmt.Errorf("auth: list failed sign-ins: %w", err)
	}
	defer rows.Close()
	out := []Failure{}
	for rows.Next() {
		var at store.Instant
		var fl Failure
		if err := rows.Scan(&at, &fl.Addr); err != nil {
			return nil, err
		}
		fl.At = at.Time
		out = append(out, fl)
	}
	return out, rows.Err()
}

// RecentFailures lists the failed sign-ins of the account id over the last
// week, newest first (at most 50): what its owner and the admins see.
func (s *Service) RecentFailures(ctx context.Context, id int64) ([]Failure, error) {
	var name string
	if err := s.db.Read.QueryRowContext(ctx, `SELECT username FROM users WHERE id = $1`, id).Scan(&name); err != nil {
		if err == sql.ErrNoRows {
			return nil, errUnknownUser
		}
		return nil, err
	}
	return s.failures.Recent(ctx, name, s.clock.Now().Add(-7*24*time.Hour), 50)
}
