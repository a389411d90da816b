package cases

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"mashang/internal/audit"
	"mashang/internal/auth"
	"mashang/internal/calendar"
	"mashang/internal/civil"
	"mashang/internal/docket"
	"mashang/internal/problem"
	"mashang/internal/store"
)

// Starts are the dates a case's deadlines are counted from (zero: not yet).
type Starts struct {
	ReceivedOn        civil.Date
	AcceptedOn        civil.Date
	TransferredOn     civil.Date
	RepliedOn         civil.Date
	ReviewRequestedOn civil.Date
	ExtensionDays     int
}

// Deadlines are a case's computed deadlines (zero: not running).
type Deadlines = docket.Deadlines

// Compute counts every deadline of a case from its start dates:
//
//	accept_by          = Due(received_on, Accept)
//	base_finish_by     = Due(accepted_on, Finish), or Due(transferred_on, Finish) for a case transferred unaccepted
//	finish_by          = base_finish_by, or Due(base_finish_by, extension_days in Extension's unit) once extended
//	return_by          = Due(transferred_on, TransferObjection) (5 working days)
//	review_request_by  = Due(replied_on, ReviewRequest)
//	review_by          = Due(review_requested_on, ReviewAnswer)
//
// Provisional is true when any of them is.
func Compute(cal *calendar.Calendar, l calendar.Limits, st Starts) Deadlines {
	var d Deadlines
	due := func(start civil.Date, lim calendar.Limit) civil.Date {
		if start.IsZero() {
			return civil.Date{}
		}
		r, p := cal.Due(start, lim)
		d.Provisional = d.Provisional || p
		return r
	}
	d.AcceptBy = due(st.ReceivedOn, l.Accept)
	switch {
	case !st.AcceptedOn.IsZero():
		d.BaseFinishBy = due(st.AcceptedOn, l.Finish)
	case !st.TransferredOn.IsZero():
		d.BaseFinishBy = due(st.TransferredOn, l.Finish)
	}
	d.FinishBy = d.BaseFinishBy
	if st.ExtensionDays > 0 && !d.BaseFinishBy.IsZero() {
		d.FinishBy = due(d.BaseFinishBy, calendar.Limit{Days: st.ExtensionDays, Unit: l.Extension.Unit})
	}
	d.ReturnBy = due(st.TransferredOn, l.TransferObjection)
	d.ReviewRequestBy = due(st.RepliedOn, l.ReviewRequest)
	d.ReviewBy = due(st.ReviewRequestedOn, l.ReviewAnswer)
	return d
}

// DueStatus classifies a deadline seen from today: overdue when it has
// passed, due_soon when DueSoonWorkdays or fewer working days are left,
// otherwise on_time (also when there is no deadline).
func DueStatus(cal *calendar.Calendar, today, deadline civil.Date) docket.Due {
	if deadline.IsZero() {
		return docket.OnTime
	}
	left := cal.WorkdaysLeft(today, deadline)
	switch {
	case left < 0:
		return docket.Overdue
	case left <= docket.DueSoonWorkdays:
		return docket.DueSoon
	}
	return docket.OnTime
}

const startsColumns = `received_on, accepted_on, transferred_on, replied_on, review_requested_on, extension_days`

func scanStarts(sc interface{ Scan(...any) error }, extra ...any) (Starts, error) {
	var st Starts
	dest := append([]any{&st.ReceivedOn, &st.AcceptedOn, &st.TransferredOn, &st.RepliedOn, &st.ReviewRequestedOn, &st.ExtensionDays}, extra...)
	err := sc.Scan(dest...)
	return st, err
}

// recompute recounts and stores case id's deadlines with cal (the national
// calendar; the days fixed on the case are laid over it).
func (s *Service) recompute(ctx context.Context, q docket.Execer, cal *calendar.Calendar, id int64) (Deadlines, error) {
	var limits string
	st, err := scanStarts(q.QueryRowContext(ctx, `SELECT `+startsColumns+`, time_limits FROM cases WHERE id = $1`, id), &limits)
	if err != nil {
		return Deadlines{}, fmt.Errorf("cases: read start dates of case %d: %w", id, err)
	}
	d := Compute(caseCalendar(cal, limits), s.caseLimits(limits), st)
	return d, s.record.SetDeadlines(ctx, q, id, d)
}

// CalendarImport is the outcome of importing a year.
type CalendarImport struct {
	Year       int  `json:"year"`
	Days       int  `json:"days"`
	Replaced   bool `json:"replaced"`   // the year was imported before (or embedded) and is now replaced
	Recomputed int  `json:"recomputed"` // cases whose deadlines changed
	// Workdays is the year's number of working days by the file.
	Workdays int `json:"workdays"`
	// Changed are the days of a year already in force whose status the file changes.
	Changed []DayChange `json:"changed_days,omitempty"`
	// DryRun: nothing was stored; Moves say what would have changed.
	DryRun bool           `json:"dry_run,omitempty"`
	Moves  []DeadlineMove `json:"moves,omitempty"`
	// Refusal is why the import itself would be refused without force (a
	// dry run only).
	Refusal *problem.Error `json:"-"`
	// RefusalCode is Refusal's code, for the JSON answer.
	RefusalCode string `json:"refusal,omitempty"`
}

// DayChange is a day whose status an import changes.
type DayChange struct {
	Date civil.Date `json:"date"`
	Work bool       `json:"work"` // the new status: a working day
}

// DeadlineMove is one deadline of a case that an import moves.
type DeadlineMove struct {
	CaseID   int64      `json:"case_id"`
	Deadline string     `json:"deadline"` // accept_by, finish_by, return_by, review_request_by, review_by
	From     civil.Date `json:"from"`
	To       civil.Date `json:"to"`
}

// A year's working days are about 250; a file that makes a year far from
// that (a file of the wrong year, every day a holiday) is refused unless
// forced.
const (
	MinWorkdays = 230
	MaxWorkdays = 260
)

// CalendarOptions adjust ImportCalendarWith.
type CalendarOptions struct {
	// Force imports a year that fails the checks: a working-day count
	// outside MinWorkdays–MaxWorkdays, or days of a year already in force
	// changed.
	Force bool
	// DryRun checks and computes everything, stores nothing, and lists the
	// deadlines that would move.
	DryRun bool
}

// ImportCalendar parses a year file (calendar.ParseYear: our format or the
// holiday-cn one), stores it in calendar_years (replacing the year if it was
// imported before), recomputes in the same transaction the deadlines of every
// case that the year can affect (any deadline on or after 1 January of that
// year, or provisional; refused and merged cases aside), and then reloads the
// calendar in force. A bad file is a 422 naming the line; nothing is stored.
func (s *Service) ImportCalendar(ctx context.Context, p auth.Principal, data []byte) (CalendarImport, error) {
	return s.ImportCalendarWith(ctx, p, data, CalendarOptions{})
}

// ImportCalendarWith is ImportCalendar with checks that keep a wrong file
// from wrecking deadlines: unless opts.Force, a year whose working days
// number outside MinWorkdays–MaxWorkdays is refused (422
// calendar_implausible), and so is one that changes the status of days of a
// year already in force (409 calendar_changes_published), each saying the
// numbers. With opts.DryRun nothing is stored and the deadlines that would
// move are listed.
func (s *Service) ImportCalendarWith(ctx context.Context, p auth.Principal, data []byte, opts CalendarOptions) (CalendarImport, error) {
	actor := p.Actor()
	y, err := calendar.ParseYear(data)
	if err != nil {
		var ie *calendar.ImportError
		if errors.As(err, &ie) {
			zh := "日历文件有误"
			if ie.Line > 0 {
				zh += fmt.Sprintf("（第 %d 行", ie.Line)
				if ie.Date != "" {
					zh += "，" + ie.Date
				}
				zh += "）"
			}
			return CalendarImport{}, problem.Invalid("file", ie.Code, zh+"："+ie.Msg, ie.Error())
		}
		return CalendarImport{}, problem.Invalid("file", "calendar_invalid", "日历文件有误："+err.Error(), err.Error())
	}
	old := s.calendar()
	res := CalendarImport{Year: y.Year, Days: len(y.Days), Replaced: old.Loaded(y.Year), DryRun: opts.DryRun}
	cal := old.With(y)
	for d := civil.New(y.Year, 1, 1); d.Year == y.Year; d = d.AddDays(1) {
		work, _ := cal.IsWorkday(d)
		if work {
			res.Workdays++
		}
		if was, _ := old.IsWorkday(d); res.Replaced && was != work {
			res.Changed = append(res.Changed, DayChange{Date: d, Work: work})
		}
	}
	if err := checkCalendar(res); err != nil && !opts.Force {
		if !opts.DryRun {
			return res, err
		}
		res.Refusal, _ = problem.As(err)
		res.RefusalCode = res.Refusal.Code
	}
	from := civil.New(y.Year, 1, 1)
	if opts.DryRun {
		changes, err := s.affected(ctx, s.db.Read, cal, from)
		if err != nil {
			return res, err
		}
		res.Recomputed = len(changes)
		for _, c := range changes {
			res.Moves = append(res.Moves, c.moves()...)
		}
		return res, nil
	}
	canon, err := jsonMarshal(y)
	if err != nil {
		return CalendarImport{}, err
	}
	now := s.now()
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		res.Recomputed = 0
		if _, err := tx.ExecContext(ctx, `INSERT INTO calendar_years (year, data, imported_at, imported_by) VALUES ($1, $2, $3, $4)
			ON CONFLICT (year) DO UPDATE SET data = excluded.data, imported_at = excluded.imported_at, imported_by = excluded.imported_by`,
			y.Year, string(canon), store.FormatInstant(now), actor); err != nil {
			return fmt.Errorf("cases: store calendar year: %w", err)
		}
		n, err := s.recomputeAffected(ctx, tx, cal, from)
		if err != nil {
			return err
		}
		res.Recomputed = n
		return audit.Append(ctx, tx, now, audit.Record{Actor: actor, Action: "calendar.import", Subject: fmt.Sprintf("calendar:%d", y.Year),
			Data: map[string]any{"year": y.Year, "days": len(y.Days), "replaced": res.Replaced, "recomputed": n, "workdays": res.Workdays,
				"changed_days": len(res.Changed), "forced": opts.Force}})
	})
	if err != nil {
		return CalendarImport{}, err
	}
	if s.cal != nil {
		if err := s.cal.Reload(ctx, s.db); err != nil {
			return res, fmt.Errorf("cases: reload calendar: %w", err)
		}
	}
	return res, nil
}

// checkCalendar refuses an import whose year is implausible or that changes
// a year already in force.
func checkCalendar(res CalendarImport) error {
	if res.Workdays < MinWorkdays || res.Workdays > MaxWorkdays {
		return problem.Invalid("file", "calendar_implausible",
			fmt.Sprintf("按此文件 %d 年将有 %d 个工作日，正常年份约 %d–%d 个，未导入；确认无误请强制导入（--force）", res.Year, res.Workdays, MinWorkdays, MaxWorkdays),
			fmt.Sprintf("by this file %d would have %d working days, and a normal year has about %d–%d; nothing imported (if it is right, import it with force: --force)", res.Year, res.Workdays, MinWorkdays, MaxWorkdays))
	}
	if n := len(res.Changed); n > 0 {
		var days []string
		for i, c := range res.Changed {
			if i == 10 {
				days = append(days, "…")
				break
			}
			kind := "off"
			if c.Work {
				kind = "work"
			}
			days = append(days, c.Date.String()+" → "+kind)
		}
		list := strings.Join(days, ", ")
		return problem.Conflict("calendar_changes_published",
			fmt.Sprintf("此文件改变了已在使用的 %d 年中 %d 天的安排（%s），未导入；确认无误请强制导入（--force），可先试运行（--dry-run）查看哪些期限会变", res.Year, n, list),
			fmt.Sprintf("this file changes %d days of %d, a year already in force (%s); nothing imported (if it is right, import it with force: --force; --dry-run shows which deadlines would move)", n, res.Year, list))
	}
	return nil
}

// moves lists the deadlines that differ between old and new.
func (c change) moves() []DeadlineMove {
	var out []DeadlineMove
	for _, f := range []struct {
		name     string
		from, to civil.Date
	}{{"accept_by", c.old.AcceptBy, c.d.AcceptBy}, {"finish_by", c.old.FinishBy, c.d.FinishBy}, {"return_by", c.old.ReturnBy, c.d.ReturnBy},
		{"review_request_by", c.old.ReviewRequestBy, c.d.ReviewRequestBy}, {"review_by", c.old.ReviewBy, c.d.ReviewBy}} {
		if f.from != f.to {
			out = append(out, DeadlineMove{CaseID: c.id, Deadline: f.name, From: f.from, To: f.to})
		}
	}
	return out
}

// change is a case whose deadlines a new calendar changes: old and new.
type change struct {
	id     int64
	old, d Deadlines
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// recomputeAffected recounts the deadlines of every case a change of the
// calendar from `from` on can affect, and returns how many changed.
func (s *Service) recomputeAffected(ctx context.Context, tx *sql.Tx, cal *calendar.Calendar, from civil.Date) (int, error) {
	changes, err := s.affected(ctx, tx, cal, from)
	if err != nil {
		return 0, err
	}
	now := s.now()
	for _, c := range changes {
		if err := s.record.SetDeadlines(ctx, tx, c.id, c.d); err != nil {
			return 0, err
		}
		if err := s.markDue(ctx, tx, c.id, now); err != nil {
			return 0, err
		}
	}
	return len(changes), nil
}

// affected lists the cases whose deadlines cal changes from `from` on.
func (s *Service) affected(ctx context.Context, q querier, cal *calendar.Calendar, from civil.Date) ([]change, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, `+startsColumns+`, accept_by, base_finish_by, finish_by, return_by, review_request_by, review_by, provisional, time_limits
		FROM cases WHERE state NOT IN `+docket.SQLList(docket.Refused, docket.Merged)+` AND (provisional OR accept_by >= $1 OR finish_by >= $1 OR return_by >= $1
		OR review_request_by >= $1 OR review_by >= $1)`, from)
	if err != nil {
		return nil, fmt.Errorf("cases: select cases to recompute: %w", err)
	}
	defer rows.Close()
	var changes []change
	for rows.Next() {
		var id int64
		var old Deadlines
		var st Starts
		var limits string
		if err := rows.Scan(&id, &st.ReceivedOn, &st.AcceptedOn, &st.TransferredOn, &st.RepliedOn, &st.ReviewRequestedOn, &st.ExtensionDays,
			&old.AcceptBy, &old.BaseFinishBy, &old.FinishBy, &old.ReturnBy, &old.ReviewRequestBy, &old.ReviewBy, &old.Provisional, &limits); err != nil {
			return nil, fmt.Errorf("cases: scan case to recompute: %w", err)
		}
		if d := Compute(caseCalendar(cal, limits), s.caseLimits(limits), st); d != old {
			changes = append(changes, change{id: id, old: old, d: d})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return changes, rows.Close()
}

// YearInfo describes one loaded calendar year.
type YearInfo struct {
	Year       int    `json:"year"`
	Source     string `json:"source"` // embedded | imported
	Days       int    `json:"days"`
	ImportedAt string `json:"imported_at,omitempty"`
	ImportedBy string `json:"imported_by,omitempty"`
}

// CalendarYears lists the years in force: the embedded ones, and those an
// admin imported (which replace an embedded year of the same number).
func (s *Service) CalendarYears(ctx context.Context) ([]YearInfo, error) {
	emb, err := calendar.Embedded()
	if err != nil {
		return nil, err
	}
	byYear := map[int]YearInfo{}
	for _, y := range emb {
		byYear[y.Year] = YearInfo{Year: y.Year, Source: "embedded", Days: len(y.Days)}
	}
	rows, err := s.db.Read.QueryContext(ctx, `SELECT year, data, imported_at, imported_by FROM calendar_years ORDER BY year`)
	if err != nil {
		return nil, fmt.Errorf("cases: read calendar years: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var yi YearInfo
		var data string
		var at store.Instant
		if err := rows.Scan(&yi.Year, &data, &at, &yi.ImportedBy); err != nil {
			return nil, err
		}
		yi.Source, yi.ImportedAt = "imported", at.Time.Format("2006-01-02T15:04:05Z07:00")
		if y, err := calendar.ParseYear([]byte(data)); err == nil {
			yi.Days = len(y.Days)
		}
		byYear[yi.Year] = yi
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]YearInfo, 0, len(byYear))
	for _, yi := range byYear {
		out = append(out, yi)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Year < out[j].Year })
	return out, nil
}

func jsonMarshal(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("cases: marshal: %w", err)
	}
	return b, nil
}

func formatInstant(t time.Time) string { return store.FormatInstant(t) }
