package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"time"
)

// NewHolder names a process (or service) in job leases; unique per call.
func NewHolder() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// AcquireLease takes job's lease (jobs_leases) for holder until now+d, if it
// is free, expired or already held by holder, so that several instances on
// one database never run a job at once and a crashed holder blocks it for
// at most d. It commits on its own, so that other instances see it at once.
func (d *DB) AcquireLease(ctx context.Context, job, holder string, now time.Time, dur time.Duration) (bool, error) {
	var ok bool
	err := d.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO jobs_leases (name, holder, until) VALUES ($1, $2, $3)
			ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until
			WHERE jobs_leases.until < $4 OR jobs_leases.holder = excluded.holder`,
			job, holder, FormatInstant(now.Add(dur)), FormatInstant(now))
		if err != nil {
			return fmt.Errorf("store: take %s lease: %w", job, err)
		}
		n, err := res.RowsAffected()
		ok = n == 1
		return err
	})
	return ok, err
}

// ReleaseLease gives job's lease back, if holder holds it.
func (d *DB) ReleaseLease(ctx context.Context, job, holder string) error {
	_, err := d.Write.ExecContext(ctx, `UPDATE jobs_leases SET until = $3 WHERE name = $1 AND holder = $2`, job, holder, FormatInstant(time.Time{}))
	return err
}

// Lease is a job's lease kept by one holder from run to run: the instance
// that holds it does the job on every tick, renewing it, and the others
// skip theirs; when the holder stops (or dies), another takes the job over
// once For has passed.
type Lease struct {
	DB     *DB
	Job    string
	Holder string // NewHolder()
	For    time.Duration
	Now    func() time.Time
	// renewed is when this holder last took or renewed the lease.
	renewed time.Time
}

// Hold takes or renews the lease and reports whether this holder has it.
// A lease taken less than a third of For ago is not written again (a job
// ticking every half second would otherwise commit twice a second).
func (l *Lease) Hold(ctx context.Context) (bool, error) {
	now := l.Now()
	if !l.renewed.IsZero() && now.Sub(l.renewed) < l.For/3 && !now.Before(l.renewed) {
		return true, nil
	}
	ok, err := l.DB.AcquireLease(ctx, l.Job, l.Holder, now, l.For)
	if ok && err == nil {
		l.renewed = now
	} else {
		l.renewed = time.Time{}
	}
	return ok, err
}

// Release gives the lease back (when the holder stops).
func (l *Lease) Release(ctx context.Context) error {
	l.renewed = time.Time{}
	return l.DB.ReleaseLease(ctx, l.Job, l.Holder)
}

// ClaimRun claims the run of a job scheduled every interval, for the
// instances sharing the database: true for the first instance to ask once
// the previous run's slot has passed, false for every other instance until
// then (the slot lasts nine tenths of every, so that each instance's own
// ticker, a little late or early, still finds the next one free). Each
// instance's loop ticks at the interval; the job runs once per interval
// across all of them instead of once per instance. It does not stop a run
// by hand (that is the job's run lease, AcquireLease).
func (d *DB) ClaimRun(ctx context.Context, job string, now time.Time, every time.Duration) (bool, error) {
	return d.AcquireLease(ctx, job+"/schedule", NewHolder(), now, every-every/10)
}
