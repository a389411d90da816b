package backup

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"mashang/internal/store"
)

// Job names the scheduled backup in job leases: one instance at a time
// writes it.
const Job = "backup"

// Status is what the scheduler last did, for /healthz and /metrics.
type Status struct {
	Enabled     bool          `json:"enabled"`
	Interval    time.Duration `json:"-"`
	Keep        int           `json:"keep"`
	LastAt      time.Time     `json:"last_at,omitzero"`      // the last attempt
	LastOK      bool          `json:"last_ok"`               // whether it succeeded
	LastSuccess time.Time     `json:"last_success,omitzero"` // the newest good archive
	File        string        `json:"file,omitempty"`        // its name (no directory)
	Size        int64         `json:"size"`
	Duration    time.Duration `json:"-"`
	Failures    int           `json:"failures"` // failed attempts since the process started
}

// Scheduler writes a backup every Interval into Dir and keeps the newest
// Keep of them.
type Scheduler struct {
	Source   Source
	Dir      string
	Interval time.Duration
	Keep     int
	Loc      *time.Location
	Log      *slog.Logger
	holder   string
	mu       sync.Mutex
	st       Status
}

// NewScheduler returns a scheduler; it writes nothing until Run.
func NewScheduler(src Source, dir string, interval time.Duration, keep int, loc *time.Location, log *slog.Logger) *Scheduler {
	if log == nil {
		log = slog.Default()
	}
	s := &Scheduler{Source: src, Dir: dir, Interval: interval, Keep: keep, Loc: loc, Log: log, holder: store.NewHolder()}
	s.st = Status{Enabled: interval > 0, Interval: interval, Keep: keep}
	return s
}

// Status returns what the scheduler last did.
func (s *Scheduler) Status() Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st
}

const namePrefix, nameSuffix = "mashang-", ".tar"

// archives lists the scheduled archives in Dir, oldest first.
func (s *Scheduler) archives() []string {
	ents, err := os.ReadDir(s.Dir)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range ents {
		if n := e.Name(); e.Type().IsRegular() && strings.HasPrefix(n, namePrefix) && strings.HasSuffix(n, nameSuffix) {
			out = append(out, n)
		}
	}
	sort.Strings(out) // the names sort by time
	return out
}

func (s *Scheduler) now() time.Time {
	if s.Source.Now != nil {
		return s.Source.Now()
	}
	return time.Now()
}

// Run writes a backup when one is due (at once when the newest archive in
// Dir is older than Interval) and then every Interval, until ctx ends.
func (s *Scheduler) Run(ctx context.Context) {
	if s.Interval <= 0 {
		return
	}
	if err := os.MkdirAll(s.Dir, 0o700); err != nil {
		s.Log.Error("backup directory", "dir", s.Dir, "err", err)
	}
	if as := s.archives(); len(as) > 0 {
		if st, err := os.Stat(filepath.Join(s.Dir, as[len(as)-1])); err == nil {
			s.mu.Lock()
			s.st.LastSuccess, s.st.LastOK, s.st.File, s.st.Size = st.ModTime(), true, as[len(as)-1], st.Size()
			s.mu.Unlock()
		}
	}
	next := time.Now()
	if last := s.Status().LastSuccess; !last.IsZero() {
		next = last.Add(s.Interval)
	}
	for {
		if wait := time.Until(next); wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
		}
		next = time.Now().Add(s.Interval)
		// Once per interval across the instances sharing the database: the
		// first to come claims the run.
		claimed, err := s.Source.DB.ClaimRun(ctx, Job, s.now(), s.Interval)
		if err == nil && claimed {
			err = s.Once(ctx)
		}
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			s.Log.Error("scheduled backup failed", "err", err)
			// Try again after a tenth of the interval (at least a minute).
			next = time.Now().Add(max(time.Minute, s.Interval/10))
		}
	}
}

// Once writes one backup now (under the job's lease: when another instance
// holds it, it does nothing) and deletes the archives beyond Keep.
func (s *Scheduler) Once(ctx context.Context) error {
	start := s.now()
	ok, err := s.Source.DB.AcquireLease(ctx, Job, s.holder, start, 6*time.Hour)
	if err != nil {
		return err
	}
	if !ok {
		return nil // another instance is writing it
	}
	defer s.Source.DB.ReleaseLease(context.WithoutCancel(ctx), Job, s.holder)
	loc := s.Loc
	if loc == nil {
		loc = time.UTC
	}
	name := namePrefix + start.In(loc).Format("20060102-150405") + nameSuffix
	if err := os.MkdirAll(s.Dir, 0o700); err != nil {
		return s.failed(start, fmt.Errorf("backup: directory %s: %w", s.Dir, err))
	}
	path := filepath.Join(s.Dir, name)
	m, err := Create(ctx, s.Source, path)
	if err != nil {
		return s.failed(start, err)
	}
	st, err := os.Stat(path)
	if err != nil {
		return s.failed(start, err)
	}
	d := time.Since(start)
	s.mu.Lock()
	s.st.LastAt, s.st.LastOK, s.st.LastSuccess, s.st.File, s.st.Size, s.st.Duration = start, true, start, name, st.Size(), d
	s.mu.Unlock()
	s.Log.Info("backup written", "file", path, "bytes", st.Size(), "cases", m.Rows["cases"], "took", d.Round(time.Millisecond))
	as := s.archives()
	for len(as) > s.Keep {
		if err := os.Remove(filepath.Join(s.Dir, as[0])); err != nil {
			s.Log.Warn("could not delete an old backup", "file", as[0], "err", err)
		}
		as = as[1:]
	}
	return nil
}

func (s *Scheduler) failed(at time.Time, err error) error {
	s.mu.Lock()
	s.st.LastAt, s.st.LastOK = at, false
	s.st.Failures++
	s.mu.Unlock()
	return err
}
