// Package callback keeps the clerks' callback list (回访): after each written
// reply to a named reporter who gave a phone number, a call to make by a due
// date (by default 5 working days after the reply). The clerk records what
// the reporter said — satisfied, basically satisfied, dissatisfied — or that
// they could not be reached (the call stays on the list until the third
// try), with a note; a dissatisfied reporter may have the review (复查) opened
// on their behalf, within its window. The result is kept on the case, where
// the statistics count it beside the reporters' own ratings.
package callback

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"mashang/internal/access"
	"mashang/internal/audit"
	"mashang/internal/auth"
	"mashang/internal/calendar"
	"mashang/internal/cases"
	"mashang/internal/civil"
	"mashang/internal/clock"
	"mashang/internal/docket"
	"mashang/internal/identity"
	"mashang/internal/problem"
	"mashang/internal/store"
)

// DefaultDays is the time to call back, in working days after the reply.
const DefaultDays = 5

// MaxTries is how many calls that reach nobody end the callback as unreachable.
const MaxTries = 3

// MaxNote is the longest note, in characters.
const MaxNote = 2000

// Deps are what the service needs; app.New fills them.
type Deps struct {
	DB       *store.DB
	Record   *docket.Store
	Policy   *access.Policy
	Clock    clock.Clock
	Loc      *time.Location
	Calendar func() *calendar.Calendar
	// OfficeCalendar is an office's calendar (app.Calendars.Office); nil:
	// Calendar for every office.
	OfficeCalendar func(ctx context.Context, officeID int64) (*calendar.Calendar, error)
	Cases          *cases.Service
	Vault          *identity.Vault
	// IdentityAAD is the additional data of a case's sealed identity.
	IdentityAAD func(receipt string) string
	// Days is the time to call back in working days (0: DefaultDays).
	Days int
}

// Service keeps the callback list.
type Service struct{ d Deps }

// New returns the service.
func New(d Deps) *Service {
	if d.Days <= 0 {
		d.Days = DefaultDays
	}
	if d.Loc == nil {
		d.Loc = time.UTC
	}
	return &Service{d: d}
}

// OnEvent is the hook on the case record's history (docket.Store.OnAppend):
// the office's written reply to a named reporter with a phone puts the call
// on the list, once per reply round.
func (s *Service) OnEvent(ctx context.Context, tx *sql.Tx, e docket.Event) error {
	if e.Action != docket.Reply || e.Public {
		return nil
	}
	var anonymous, hasPhone bool
	var round int
	var facts access.Facts
	err := tx.QueryRowContext(ctx, `SELECT c.anonymous, c.phone_hash IS NOT NULL, c.review_count, `+access.FactsSQL("c")+` FROM cases c WHERE c.id = $1`, e.Case).
		Scan(append([]any{&anonymous, &hasPhone, &round}, facts.Dest()...)...)
	if err != nil {
		return fmt.Errorf("callback: read case %d: %w", e.Case, err)
	}
	if anonymous || !hasPhone || facts.Covert {
		return nil
	}
	replied := civil.In(e.At, s.d.Loc)
	cal := s.d.Calendar()
	if s.d.OfficeCalendar != nil {
		if cal, err = s.d.OfficeCalendar(ctx, facts.OfficeID); err != nil {
			return err
		}
	}
	due, _ := cal.DueWorkdays(replied, s.d.Days)
	_, err = tx.ExecContext(ctx, `INSERT INTO callbacks (case_id, round, replied_on, due, created_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (case_id, round) DO NOTHING`, e.Case, round, replied.String(), due.String(), store.FormatInstant(e.At))
	if err != nil {
		return fmt.Errorf("callback: put case %d on the list: %w", e.Case, err)
	}
	return nil
}

// Callback is one call to make (or made).
type Callback struct {
	ID        int64      `json:"id"`
	CaseID    int64      `json:"case_id"`
	Receipt   string     `json:"receipt"`
	Round     int        `json:"round"` // 0 the first reply, 1 the answer to 复查, 2 to 复核
	RepliedOn civil.Date `json:"replied_on"`
	Due       civil.Date `json:"due"`
	Overdue   bool       `json:"overdue"`
	Tries     int        `json:"tries"`
	Result    string     `json:"result,omitempty"`
	Note      string     `json:"note,omitempty"`
	// Name and Phone are the reporter's, for the call (the clerk's list only).
	Name  string `json:"name"`
	Phone string `json:"phone"`
	// ReviewOpen: the reporter may still ask for a review (the case is
	// closed after the reply and the window has not passed).
	ReviewOpen bool `json:"review_open"`
}

var (
	errForbidden = problem.Forbidden("forbidden", "您的角色无权执行此操作", "your role may not do this")
	errNotFound  = problem.NotFound("callback_not_found", "没有这条回访", "no such callback")
	errDone      = problem.Conflict("callback_done", "这条回访已经记录了结果", "this callback has its result already")
	errResult    = problem.Invalid("result", "invalid_result", "结果应为 satisfied、basically_satisfied、dissatisfied 或 unreachable",
		"result must be satisfied, basically_satisfied, dissatisfied or unreachable")
	errNoteLong     = problem.Invalid("note", "too_long", fmt.Sprintf("备注不能超过 %d 字", MaxNote), fmt.Sprintf("the note is longer than %d characters", MaxNote))
	errReviewResult = problem.Invalid("open_review", "review_needs_dissatisfied", "只有不满意时才能代为申请复查", "a review is opened only for a dissatisfied reporter")
)

// List returns the open callbacks the principal may see, oldest due first,
// with the reporter's name and phone for the call. Reading the list is
// recorded in the audit log (it shows phone numbers in clear).
func (s *Service) List(ctx context.Context, p auth.Principal) ([]Callback, error) {
	if !s.d.Policy.Allows(p, access.CallbackRead) {
		return nil, errForbidden
	}
	f := s.d.Policy.Cases(p, access.CaseRead)
	args := []any{}
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	q := `SELECT cb.id, cb.case_id, c.receipt, cb.round, cb.replied_on, cb.due, cb.tries, cb.note, c.identity,
		c.state, c.review_count, c.review_request_by
		FROM callbacks cb JOIN cases c ON c.id = cb.case_id WHERE cb.result = '' AND ` + f.SQL("c", arg) + ` ORDER BY cb.due, cb.id LIMIT 500`
	rows, err := s.d.DB.Read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("callback: list: %w", err)
	}
	defer rows.Close()
	today := civil.In(s.d.Clock.Now(), s.d.Loc)
	out := []Callback{}
	for rows.Next() {
		var c Callback
		var sealed []byte
		var state docket.State
		var count int
		var requestBy civil.Date
		if err := rows.Scan(&c.ID, &c.CaseID, &c.Receipt, &c.Round, &c.RepliedOn, &c.Due, &c.Tries, &c.Note, &sealed, &state, &count, &requestBy); err != nil {
			return nil, err
		}
		if len(sealed) > 0 {
			id, err := s.d.Vault.OpenIdentity(sealed, s.d.IdentityAAD(c.Receipt))
			if err != nil {
				return nil, fmt.Errorf("callback: open the identity of case %d: %w", c.CaseID, err)
			}
			c.Name, c.Phone = id.Name, id.Phone
		}
		c.Overdue = today.After(c.Due)
		c.ReviewOpen = state == docket.Closed && count < 2 && !requestBy.IsZero() && !today.After(requestBy)
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) > 0 {
		ids := make([]int64, len(out))
		for i, c := range out {
			ids[i] = c.CaseID
		}
		err := s.d.DB.Tx(ctx, func(tx *sql.Tx) error {
			return audit.Append(ctx, tx, s.d.Clock.Now(), audit.Record{Actor: p.Actor(), Action: "callback.list", Subject: "callbacks",
				Data: map[string]any{"cases": ids}})
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Input is what the clerk records.
type Input struct {
	Result     docket.CallbackResult `json:"result"`
	Note       string                `json:"note"`
	OpenReview bool                  `json:"open_review"`
}

// Outcome is what recording did.
type Outcome struct {
	ID     int64  `json:"id"`
	CaseID int64  `json:"case_id"`
	Tries  int    `json:"tries"`
	Result string `json:"result"` // "" while an unreachable reporter is to be tried again
	// Review is the review opened on the reporter's behalf (nil: none).
	Review *cases.ReviewResult `json:"review,omitempty"`
	// State is the case's state afterwards.
	State docket.State `json:"state"`
}

// Record records a call: its result and note; unreachable counts a try,
// and ends the callback at the third; dissatisfied with OpenReview opens
// the review on the reporter's behalf (409 when its window is closed, and
// then nothing is recorded).
func (s *Service) Record(ctx context.Context, p auth.Principal, id int64, in Input) (Outcome, error) {
	if !s.d.Policy.Allows(p, access.CallbackRecord) {
		return Outcome{}, errForbidden
	}
	if !in.Result.Valid() {
		return Outcome{}, errResult
	}
	in.Note = strings.TrimSpace(in.Note)
	if utf8.RuneCountInString(in.Note) > MaxNote {
		return Outcome{}, errNoteLong
	}
	if in.OpenReview && in.Result != docket.CallbackDissatisfied {
		return Outcome{}, errReviewResult
	}
	now := s.d.Clock.Now()
	out := Outcome{ID: id}
	err := s.d.DB.Tx(ctx, func(tx *sql.Tx) error {
		var result, note string
		var facts access.Facts
		var version int64
		err := tx.QueryRowContext(ctx, `SELECT cb.case_id, cb.tries, cb.result, cb.note, c.version, `+access.FactsSQL("c")+`
			FROM callbacks cb JOIN cases c ON c.id = cb.case_id WHERE cb.id = $1`, id).
			Scan(append([]any{&out.CaseID, &out.Tries, &result, &note, &version}, facts.Dest()...)...)
		if errors.Is(err, sql.ErrNoRows) || err == nil && !s.d.Policy.On(p, access.CaseRead, facts) {
			return errNotFound
		}
		if err != nil {
			return fmt.Errorf("callback: read %d: %w", id, err)
		}
		if result != "" {
			return errDone
		}
		out.Tries++
		final := string(in.Result)
		if in.Result == docket.Unreachable && out.Tries < MaxTries {
			final = ""
		}
		out.Result = final
		line := fmt.Sprintf("%s %s", civil.In(now, s.d.Loc), in.Result)
		if in.Note != "" {
			line += "：" + in.Note
		}
		if note != "" {
			note += "\n"
		}
		note += line
		doneAt := sql.NullString{}
		doneBy := ""
		if final != "" {
			doneAt, doneBy = sql.NullString{String: store.FormatInstant(now), Valid: true}, p.Actor()
		}
		if _, err := tx.ExecContext(ctx, `UPDATE callbacks SET tries = $1, result = $2, note = $3, done_by = $4, done_at = $5 WHERE id = $6`,
			out.Tries, final, note, doneBy, doneAt, id); err != nil {
			return fmt.Errorf("callback: record %d: %w", id, err)
		}
		if final != "" {
			if err := s.d.Record.Update(ctx, tx, out.CaseID, version, new(docket.Change).Callback(final, now), now); err != nil {
				return err
			}
		}
		if err := s.d.Record.Append(ctx, tx, docket.Event{Case: out.CaseID, At: now, Actor: p.Actor(), Action: docket.CallbackMade,
			Data: map[string]any{"callback_id": id, "result": in.Result, "try": out.Tries, "note": in.Note}}); err != nil {
			return err
		}
		if in.OpenReview {
			reason := in.Note
			if reason == "" {
				reason = "回访时举报人表示不满意，申请复查"
			}
			r, err := s.d.Cases.ReviewInTx(ctx, tx, out.CaseID, reason, p.Actor())
			if err != nil {
				return err
			}
			out.Review = &r
		}
		if err := tx.QueryRowContext(ctx, `SELECT state FROM cases WHERE id = $1`, out.CaseID).Scan(&out.State); err != nil {
			return err
		}
		return audit.Append(ctx, tx, now, audit.Record{Actor: p.Actor(), Action: "callback.record", Subject: fmt.Sprintf("case:%d", out.CaseID),
			Data: map[string]any{"callback_id": id, "result": in.Result, "try": out.Tries, "open_review": in.OpenReview}})
	})
	if err != nil {
		return Outcome{}, err
	}
	return out, nil
}
