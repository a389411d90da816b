// Package cases handles a report from registration to reply under the law's
// clock: the state machine (machine.go), the actions staff take (actions.go),
// the deadlines and the working-day calendar they depend on (deadlines.go),
// supervision (督办, sweep.go), the reporter's review requests and rating
// (track.go) and the case as staff see it (view.go).
//
// The case record itself (the row, its history, the vocabulary of states,
// actions and findings) belongs to package docket; this package decides what
// may change and writes through it. Every change runs in one transaction that
// also writes the case history, the audit log and, where the reporter should
// know, a public history line in plain words. Concurrent changes to one case
// are refused by an optimistic version check: the loser gets 409.
package cases

import (
	"context"
	"database/sql"
	"time"

	"mashang/internal/access"
	"mashang/internal/calendar"
	"mashang/internal/civil"
	"mashang/internal/clock"
	"mashang/internal/docket"
	"mashang/internal/store"
)

// CalendarSource is the calendar in force and a way to rebuild it from the
// database (*app.Calendars).
type CalendarSource interface {
	// Get is the national calendar.
	Get() *calendar.Calendar
	Reload(ctx context.Context, db *store.DB) error
	// Office is the calendar office officeID counts working days on today:
	// the national one with the days it (or an office above it) lays over it.
	Office(ctx context.Context, officeID int64) (*calendar.Calendar, error)
	// Offices is Office for every office, by id.
	Offices(ctx context.Context) (map[int64]*calendar.Calendar, error)
}

// ConcludedHook runs inside the transaction of a `conclude` action, after the
// case row and case_people are written. An error aborts the action.
type ConcludedHook func(ctx context.Context, tx *sql.Tx, caseID int64) error

// Service handles cases.
type Service struct {
	db     *store.DB
	record *docket.Store
	pol    *access.Policy
	clock  clock.Clock
	loc    *time.Location
	limits calendar.Limits
	cal    CalendarSource
	holder string // this instance's name in job leases

	// OnConcluded hooks run, in order, inside every conclude action's
	// transaction (the accountability part registers the two-complaints rule
	// here). They also run when a conclusion is revised (conclude again in
	// state concluded or review).
	OnConcluded []ConcludedHook
	// OnNotices hooks run, in order, inside the transaction that raises
	// supervision notices (due soon, overdue), with the notices raised.
	OnNotices []NoticesHook
	// Authenticate, when set, checks a reporter's receipt and key for the
	// review and rating requests (intake's check, with its per-address limit
	// on wrong pairs); nil: VerifyReceipt.
	Authenticate Authenticator
}

// NewService builds the service.
func NewService(db *store.DB, record *docket.Store, pol *access.Policy, c clock.Clock, loc *time.Location, limits calendar.Limits, cal CalendarSource) *Service {
	if loc == nil {
		loc = time.UTC
	}
	return &Service{db: db, record: record, pol: pol, clock: c, loc: loc, limits: limits, cal: cal, holder: store.NewHolder()}
}

// Limits returns the time limits in force.
func (s *Service) Limits() calendar.Limits { return s.limits }

// now is the current instant.
func (s *Service) now() time.Time { return s.clock.Now() }

// today is the current date in the office's zone.
func (s *Service) today() civil.Date { return civil.In(s.clock.Now(), s.loc) }

// calendar is the calendar in force.
func (s *Service) calendar() *calendar.Calendar {
	if s.cal == nil {
		return nil
	}
	return s.cal.Get()
}

// officeCalendar is CalendarSource.Office (the national calendar without a source).
func (s *Service) officeCalendar(ctx context.Context, officeID int64) (*calendar.Calendar, error) {
	if s.cal == nil {
		return nil, nil
	}
	return s.cal.Office(ctx, officeID)
}

// caseCalendar is the calendar a case's deadlines are counted on: nat (the
// national calendar) with the days fixed on the case with its limits
// (stored, cases.time_limits).
func caseCalendar(nat *calendar.Calendar, stored string) *calendar.Calendar {
	return nat.Overlay(docket.CaseDays(stored))
}

// caseLimits are the time limits a case is counted by: those fixed when it
// was registered (cases.time_limits, its office's then), else the server's.
func (s *Service) caseLimits(stored string) calendar.Limits {
	return docket.CaseLimits(stored, s.limits)
}

// AcceptBy is the acceptance deadline of a case received on receivedOn
// (intake sets cases.accept_by and cases.provisional from it).
func (s *Service) AcceptBy(receivedOn civil.Date) (civil.Date, bool) {
	return s.calendar().Due(receivedOn, s.limits.Accept)
}
