package cases

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"mashang/internal/access"
	"mashang/internal/audit"
	"mashang/internal/auth"
	"mashang/internal/civil"
	"mashang/internal/docket"
	"mashang/internal/problem"
	"mashang/internal/store"
)

// SweepJob is the name of the supervision job (`mashang jobs run sweep`).
const SweepJob = "sweep"

// SweepLease is how long a sweep may hold its lease before another instance
// may take it over (a crashed holder does not block the job for longer).
const SweepLease = 5 * time.Minute

// SweepResult says what one run of the sweep did.
type SweepResult struct {
	Ran      bool           `json:"ran"`    // false: another instance holds the lease
	Today    string         `json:"today"`  // the date the sweep judged by
	Marked   int64          `json:"marked"` // cases whose due_status changed
	Notices  map[string]int `json:"notices"`
	Duration time.Duration  `json:"-"`
}

// Sweep is the supervision (督办) job. Under a lease (jobs_leases, so that
// several instances on one PostgreSQL never run it at once) it
//
//  1. sets cases.due_status of every open case from its current deadline
//     (accept_by while registered, review_by in review, finish_by otherwise):
//     overdue when the deadline has passed, due_soon when ≤ 3 working days
//     are left, else on_time — with set-based SQL: the two threshold dates are
//     computed once in Go from the calendar;
//  2. raises one notice per case, kind and deadline for the cases it
//     re-marked (tagged with cases.due_run): due_soon to the director,
//     overdue to the leader; notices' unique (case_id, kind, deadline) makes
//     each one once (the actions mark and notify the case they change at
//     once, see markDue);
//  3. appends one audit entry for the run when it changed anything.
//
// It reloads the calendar first, so a year imported on another instance
// counts here too.
func (s *Service) Sweep(ctx context.Context) (SweepResult, error) {
	return s.sweep(ctx, s.holder)
}

func (s *Service) sweep(ctx context.Context, holder string) (SweepResult, error) {
	start := time.Now()
	now := s.now()
	res := SweepResult{Notices: map[string]int{}}
	ok, err := s.db.AcquireLease(ctx, SweepJob, holder, now, SweepLease)
	if err != nil || !ok {
		return res, err
	}
	defer s.db.ReleaseLease(context.WithoutCancel(ctx), SweepJob, holder)
	res.Ran = true
	if s.cal != nil {
		if err := s.cal.Reload(ctx, s.db); err != nil {
			return res, fmt.Errorf("cases: sweep: reload calendar: %w", err)
		}
	}
	today := s.today()
	// A deadline d is due soon when WorkdaysLeft(today, d) ≤ 3, that is when
	// today ≤ d < the 4th working day after today, on the calendar of the
	// case's office (offices whose own days give the same date are marked
	// in one statement).
	groups, err := s.soonGroups(ctx, today)
	if err != nil {
		return res, fmt.Errorf("cases: sweep: %w", err)
	}
	res.Today = today.String()
	run := holder + ":" + store.FormatInstant(now)
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		res.Notices = map[string]int{}
		// One scan: only the rows whose status changes are written, and
		// they are tagged with this run for the notices below.
		res.Marked = 0
		for _, g := range groups {
			n, err := s.record.MarkDue(ctx, tx, today, g.soon, run, g.offices)
			if err != nil {
				return fmt.Errorf("cases: sweep: %w", err)
			}
			res.Marked += n
		}
		at := store.FormatInstant(now)
		var raised []RaisedNotice
		for _, k := range noticeKinds {
			// The unique (case_id, kind, deadline) keeps it to once per deadline.
			got, err := s.raise(ctx, tx, k.kind, k.role, at, `due_run = $4`, run)
			if err != nil {
				return fmt.Errorf("cases: sweep: raise %s notices: %w", k.kind, err)
			}
			res.Notices[string(k.kind)] = len(got)
			raised = append(raised, got...)
		}
		if err := s.noticesRaised(ctx, tx, raised); err != nil {
			return err
		}
		if res.Marked == 0 {
			return nil
		}
		return audit.Append(ctx, tx, now, audit.Record{Actor: "system:sweep", Action: "cases.sweep", Subject: "job:sweep",
			Data: map[string]any{"today": res.Today, "marked": res.Marked, "notices": res.Notices}})
	})
	res.Duration = time.Since(start)
	return res, err
}

// soonGroup is the offices whose calendars end "due soon" on one date (nil
// offices: every case).
type soonGroup struct {
	soon    civil.Date
	offices []int64
}

// soonGroups are the sweep's thresholds: one for all cases when every
// office's calendar gives the same date (no office lays its own days over
// the next few), else one per date with its offices.
func (s *Service) soonGroups(ctx context.Context, today civil.Date) ([]soonGroup, error) {
	nat, _ := s.calendar().DueWorkdays(today, docket.DueSoonWorkdays+1)
	if s.cal == nil {
		return []soonGroup{{soon: nat}}, nil
	}
	cals, err := s.cal.Offices(ctx)
	if err != nil {
		return nil, err
	}
	byDate := map[civil.Date][]int64{}
	for id, cal := range cals {
		soon, _ := cal.DueWorkdays(today, docket.DueSoonWorkdays+1)
		byDate[soon] = append(byDate[soon], id)
	}
	if len(byDate) <= 1 {
		for soon := range byDate {
			nat = soon
		}
		return []soonGroup{{soon: nat}}, nil
	}
	var out []soonGroup
	for soon, ids := range byDate {
		slices.Sort(ids)
		out = append(out, soonGroup{soon: soon, offices: ids})
	}
	slices.SortFunc(out, func(a, b soonGroup) int { return a.soon.Compare(b.soon) })
	return out, nil
}

// noticeKinds: due soon goes to the director, overdue to the leader.
var noticeKinds = []struct {
	kind docket.Due
	role auth.Role
}{{docket.DueSoon, auth.Director}, {docket.Overdue, auth.Leader}}

// markDue sets case id's due_status from its current deadline as of today,
// raising the notice (once per deadline) when it is due soon or overdue. The
// actions call it, so that a deadline an action moves is judged at once and
// a new deadline gets its own notice.
func (s *Service) markDue(ctx context.Context, tx *sql.Tx, id int64, now time.Time) error {
	today := s.today()
	var officeID int64
	if err := tx.QueryRowContext(ctx, `SELECT office_id FROM cases WHERE id = $1`, id).Scan(&officeID); err != nil {
		return fmt.Errorf("cases: office of case %d: %w", id, err)
	}
	cal, err := s.officeCalendar(ctx, officeID)
	if err != nil {
		return err
	}
	soon, _ := cal.DueWorkdays(today, docket.DueSoonWorkdays+1)
	if err := s.record.MarkDueOne(ctx, tx, id, today, soon); err != nil {
		return err
	}
	var raised []RaisedNotice
	for _, k := range noticeKinds {
		got, err := s.raise(ctx, tx, k.kind, k.role, store.FormatInstant(now), `id = $4 AND `+docket.OpenSQL, id)
		if err != nil {
			return fmt.Errorf("cases: raise notice: %w", err)
		}
		raised = append(raised, got...)
	}
	return s.noticesRaised(ctx, tx, raised)
}

// RaisedNotice is a supervision notice just raised.
type RaisedNotice struct {
	ID       int64
	CaseID   int64
	Kind     docket.Due // due_soon or overdue
	Deadline civil.Date
}

// NoticesHook runs inside the transaction that raised notices (the sweep,
// or an action that moved a deadline), with the notices raised; an error
// aborts it.
type NoticesHook func(ctx context.Context, tx *sql.Tx, raised []RaisedNotice) error

// raise inserts the notices of kind for the cases matching where ($4 is
// arg), once per case, kind and deadline, and returns those it raised.
func (s *Service) raise(ctx context.Context, tx *sql.Tx, kind docket.Due, role auth.Role, at, where string, arg any) ([]RaisedNotice, error) {
	rows, err := tx.QueryContext(ctx, `INSERT INTO notices (case_id, kind, to_role, deadline, at)
		SELECT id, $1, $2, `+docket.CurrentDeadlineSQL+`, $3 FROM cases WHERE `+where+` AND due_status = $1 AND (`+docket.CurrentDeadlineSQL+`) IS NOT NULL
		ON CONFLICT (case_id, kind, deadline) DO NOTHING RETURNING id, case_id, deadline`, string(kind), string(role), at, arg)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []RaisedNotice
	for rows.Next() {
		n := RaisedNotice{Kind: kind}
		if err := rows.Scan(&n.ID, &n.CaseID, &n.Deadline); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

func (s *Service) noticesRaised(ctx context.Context, tx *sql.Tx, raised []RaisedNotice) error {
	if len(raised) == 0 {
		return nil
	}
	for _, h := range s.OnNotices {
		if err := h(ctx, tx, raised); err != nil {
			return err
		}
	}
	return nil
}

// RunSweeps runs Sweep now and then every interval until ctx ends. Errors
// are logged, never fatal: the next run tries again.
func (s *Service) RunSweeps(ctx context.Context, interval time.Duration, log *slog.Logger) {
	if interval <= 0 {
		return
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		// Once per interval across the instances sharing the database.
		claimed, err := s.db.ClaimRun(ctx, SweepJob, s.clock.Now(), interval)
		var res SweepResult
		if claimed {
			res, err = s.Sweep(ctx)
		}
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			log.Error("sweep failed", "err", err)
		case res.Ran:
			log.Info("sweep", "today", res.Today, "marked", res.Marked, "due_soon_notices", res.Notices[string(docket.DueSoon)], "overdue_notices", res.Notices[string(docket.Overdue)], "took", res.Duration)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Notice is a supervision notice.
type Notice struct {
	ID       int64      `json:"id"`
	CaseID   int64      `json:"case_id"`
	Kind     string     `json:"kind"`
	ToRole   string     `json:"to_role"`
	Deadline string     `json:"deadline"`
	At       time.Time  `json:"at"`
	ReadAt   *time.Time `json:"read_at"`
}

// SupervisionNotice is the kind of the notice the office above's
// supervision sends the case's office's director.
const SupervisionNotice = "supervision"

// addressed returns the notice kinds addressed to role, if notices are
// addressed to it at all (due soon and supervision to directors, overdue to
// leaders); the others who may read notices (admin, auditor) see every kind.
func addressed(role auth.Role) ([]string, bool) {
	var kinds []string
	for _, k := range noticeKinds {
		if k.role == role {
			kinds = append(kinds, string(k.kind))
		}
	}
	if role == auth.Director {
		kinds = append(kinds, SupervisionNotice)
	}
	return kinds, len(kinds) > 0
}

// Notices lists, newest first, the notices addressed to p's role (all of
// them for the roles none is addressed to) about the cases p may read under
// notice.read; unread only when asked.
func (s *Service) Notices(ctx context.Context, p auth.Principal, unread bool, limit int) ([]Notice, error) {
	if limit <= 0 || limit > 1000 {
		limit = 200
	}
	args := []any{limit}
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	where := s.pol.Cases(p, access.NoticeRead).SQL("c", arg)
	if kinds, ok := addressed(p.Role); ok {
		var ph []string
		for _, k := range kinds {
			ph = append(ph, arg(k))
		}
		where += " AND n.kind IN (" + strings.Join(ph, ", ") + ")"
	}
	if unread {
		where += " AND n.read_at IS NULL"
	}
	rows, err := s.db.Read.QueryContext(ctx, `SELECT n.id, n.case_id, n.kind, n.to_role, n.deadline, n.at, n.read_at
		FROM notices n JOIN cases c ON c.id = n.case_id WHERE `+where+` ORDER BY n.id DESC LIMIT $1`, args...)
	if err != nil {
		return nil, fmt.Errorf("cases: read notices: %w", err)
	}
	defer rows.Close()
	out := []Notice{}
	for rows.Next() {
		var n Notice
		var at, readAt store.Instant
		if err := rows.Scan(&n.ID, &n.CaseID, &n.Kind, &n.ToRole, &n.Deadline, &at, &readAt); err != nil {
			return nil, err
		}
		n.At = at.Time
		if !readAt.IsZero() {
			t := readAt.Time
			n.ReadAt = &t
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// MarkNoticesRead marks several notices read, each as MarkNoticeRead does;
// it stops at the first that p may not mark.
func (s *Service) MarkNoticesRead(ctx context.Context, p auth.Principal, ids []int64) error {
	for _, id := range ids {
		if err := s.MarkNoticeRead(ctx, p, id); err != nil {
			return err
		}
	}
	return nil
}

// MarkNoticeRead marks a notice read by p: one p would see in Notices,
// else 404.
func (s *Service) MarkNoticeRead(ctx context.Context, p auth.Principal, id int64) error {
	now := s.now()
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		var kind string
		var facts access.Facts
		err := tx.QueryRowContext(ctx, `SELECT n.kind, `+access.FactsSQL("c")+` FROM notices n JOIN cases c ON c.id = n.case_id WHERE n.id = $1`, id).
			Scan(append([]any{&kind}, facts.Dest()...)...)
		want, addr := addressed(p.Role)
		if errors.Is(err, sql.ErrNoRows) || err == nil && (!s.pol.On(p, access.NoticeMark, facts) || addr && !slices.Contains(want, kind)) {
			return problem.NotFound("notice_not_found", "通知不存在", "no such notice")
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE notices SET read_at = $2 WHERE id = $1 AND read_at IS NULL`, id, store.FormatInstant(now)); err != nil {
			return err
		}
		return audit.Append(ctx, tx, now, audit.Record{Actor: p.Actor(), Action: "notice.read", Subject: fmt.Sprintf("notice:%d", id)})
	})
}
