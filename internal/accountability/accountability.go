// Package accountability keeps what follows a verified finding: decisions
// about the people a case names (situation, sanctions, the rule set in force),
// the cadre's appeals (申诉) against them, the eligibility questions of the
// organisation department (promotion, excellence) and the "complained about
// twice within one year" rule, which opens a case of its own.
//
// The arithmetic lives in the pure package rules and the rule sets in
// package catalog; this package stores, validates and reads.
package accountability

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"mashang/internal/access"
	"mashang/internal/calendar"
	"mashang/internal/catalog"
	"mashang/internal/civil"
	"mashang/internal/clock"
	"mashang/internal/docket"
	"mashang/internal/office"
	"mashang/internal/problem"
	"mashang/internal/store"
)

// Options are what a Service needs; every field but Log is required.
type Options struct {
	DB       *store.DB
	Record   *docket.Store
	Policy   *access.Policy
	Clock    clock.Clock
	Loc      *time.Location
	Catalog  *catalog.Catalog
	RuleSets map[string]*catalog.RuleSet
	// RuleSet is the jurisdiction's rule set, used when a decision names none.
	RuleSet string
	Limits  calendar.Limits
	// Calendar returns the working-day calendar in force (app.Calendars.Get).
	Calendar func() *calendar.Calendar
	// OfficeCalendar is an office's calendar (app.Calendars.Office: the
	// national one with its own days); nil: Calendar for every office.
	OfficeCalendar func(ctx context.Context, officeID int64) (*calendar.Calendar, error)
	// CatalogOf is the catalogue a case is judged under: its version when
	// it has one, else its office's (app.Catalogs.ForCase); nil: Catalog.
	CatalogOf func(ctx context.Context, version string, officeID int64) (*catalog.Catalog, error)
	// Offices say which office a rule case belongs to (nil: the case that
	// completes the pair's).
	Offices *office.Service
	Log     *slog.Logger
}

// Service records decisions and appeals and answers eligibility questions.
type Service struct {
	db        *store.DB
	record    *docket.Store
	pol       *access.Policy
	clock     clock.Clock
	loc       *time.Location
	catalog   *catalog.Catalog
	sets      map[string]*catalog.RuleSet
	ruleSet   string
	limits    calendar.Limits
	calendar  func() *calendar.Calendar
	officeCal func(ctx context.Context, officeID int64) (*calendar.Calendar, error)
	catalogOf func(ctx context.Context, version string, officeID int64) (*catalog.Catalog, error)
	offices   *office.Service
	log       *slog.Logger
}

// New returns a Service.
func New(o Options) *Service {
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Loc == nil {
		o.Loc = time.UTC
	}
	if o.RuleSet == "" {
		o.RuleSet = catalog.DefaultRuleSet
	}
	return &Service{
		db: o.DB, record: o.Record, pol: o.Policy, clock: o.Clock, loc: o.Loc, catalog: o.Catalog, sets: o.RuleSets,
		ruleSet: o.RuleSet, limits: o.Limits, calendar: o.Calendar, officeCal: o.OfficeCalendar, catalogOf: o.CatalogOf, offices: o.Offices, log: o.Log,
	}
}

// officeCalendar is office officeID's calendar (the national one without
// OfficeCalendar).
func (s *Service) officeCalendar(ctx context.Context, officeID int64) (*calendar.Calendar, error) {
	if s.officeCal == nil {
		return s.calendar(), nil
	}
	return s.officeCal(ctx, officeID)
}

// Today is the current date in the office's zone.
func (s *Service) Today() civil.Date { return civil.In(s.clock.Now(), s.loc) }

// Decision statuses.
const (
	StatusPending = "pending"  // awaits a leader's approval (approval step switched on)
	StatusInForce = "in_force" // counts
	StatusRevoked = "revoked"  // revoked on appeal: counts nowhere
	StatusVaried  = "varied"   // replaced on appeal by a new decision (ReplacedBy)
)

// Responsibilities of a person for a unit situation (U1–U3).
const (
	ResponsibleLeader   = "leader" // 责任领导
	DirectlyResponsible = "direct" // 直接责任人
)

// Appeal outcomes.
const (
	OutcomeUpheld  = "upheld"
	OutcomeVaried  = "varied"
	OutcomeRevoked = "revoked"
)

// querier is what both *sql.DB and *sql.Tx offer.
type querier interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
	ExecContext(context.Context, string, ...any) (sql.Result, error)
}

// placeholders returns "$from,$from+1,…" for n values.
func placeholders(from, n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('$')
		b.WriteString(strconv.Itoa(from + i))
	}
	return b.String()
}

func encodeCodes(codes []string) string {
	b, _ := json.Marshal(codes)
	return string(b)
}

func decodeCodes(s string) ([]string, error) {
	var out []string
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		return nil, fmt.Errorf("accountability: stored sanctions %q: %w", s, err)
	}
	return out, nil
}

// Errors shared by several operations.
var (
	errDecisionNotFound = problem.NotFound("decision_not_found", "未找到该问责决定", "no such decision")
	errAppealNotFound   = problem.NotFound("appeal_not_found", "未找到该申诉", "no such appeal")
	errPersonNotFound   = problem.NotFound("person_not_found", "未找到该人员", "no such person")
	errCaseNotFound     = problem.NotFound("case_not_found", "未找到该案件", "no such case")
)

// pastDate checks the date of something that has happened: within the
// dates mashang takes (from 2000) and not later than today.
func pastDate(field string, d, today civil.Date) error {
	if err := civil.CheckInput(field, d, today); err != nil {
		return err
	}
	return civil.NotAfterToday(field, d, today)
}

func encodeJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return "{}"
	}
	return string(b)
}
