package cases

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"mashang/internal/access"
	"mashang/internal/audit"
	"mashang/internal/auth"
	"mashang/internal/calendar"
	"mashang/internal/civil"
	"mashang/internal/docket"
	"mashang/internal/problem"
)

// ActionInput is the body of POST /api/v1/cases/{id}/actions. Only the fields
// the action uses are read; Version, when given, must equal the case's
// current version (else 409), for clients that show a case and act on it.
type ActionInput struct {
	Action    docket.Action  `json:"action"`
	Reason    string         `json:"reason,omitempty"`
	Unit      string         `json:"unit,omitempty"`
	Office    string         `json:"office,omitempty"` // transfer: to another office (instead of a unit)
	User      string         `json:"user,omitempty"`
	Days      *int           `json:"days,omitempty"`
	Finding   docket.Finding `json:"finding,omitempty"`
	PersonIDs []int64        `json:"person_ids,omitempty"`
	Body      string         `json:"body,omitempty"`
	Into      int64          `json:"into,omitempty"`
	// Deadline and Instructions: supervise (the office above's 督办).
	Deadline     *civil.Date `json:"deadline,omitempty"`
	Instructions string      `json:"instructions,omitempty"`
	Version      int64       `json:"version,omitempty"`
}

// MaxTextLen bounds reasons, notes and replies (characters).
const MaxTextLen = 20000

func (in *ActionInput) has(field string) bool {
	switch field {
	case "reason":
		return strings.TrimSpace(in.Reason) != ""
	case "unit":
		return strings.TrimSpace(in.Unit) != ""
	case "office":
		return strings.TrimSpace(in.Office) != ""
	case "user":
		return strings.TrimSpace(in.User) != ""
	case "days":
		return in.Days != nil
	case "finding":
		return in.Finding != ""
	case "body":
		return strings.TrimSpace(in.Body) != ""
	case "into":
		return in.Into != 0
	case "deadline":
		return in.Deadline != nil && !in.Deadline.IsZero()
	case "instructions":
		return strings.TrimSpace(in.Instructions) != ""
	}
	return true
}

func actionList(sep string) string {
	names := make([]string, len(docket.StaffActions))
	for i, a := range docket.StaffActions {
		names[i] = string(a)
	}
	return strings.Join(names, sep)
}

func errUnknownAction(a docket.Action) error {
	return problem.Invalid("action", "unknown_action", fmt.Sprintf("未知的操作 %q，可用操作：%s", a, actionList("、")),
		fmt.Sprintf("unknown action %q; one of %s", a, actionList(", ")))
}

func errState(action docket.Action, state docket.State) error {
	r := Machine()[action]
	var from []string
	for st := range r.From {
		from = append(from, string(st))
	}
	sort.Strings(from)
	return problem.Conflict("action_not_allowed",
		fmt.Sprintf("案件当前状态为“%s”（%s），不能执行“%s”（%s）操作", state.Label(docket.LangZhCN), state, action.Label(docket.LangZhCN), action),
		fmt.Sprintf("a case in state %s does not allow the action %s (allowed in: %s)", state, action, strings.Join(from, ", ")))
}

var errVersion = docket.ErrVersion

func errNoCase(id int64) error { return docket.ErrNoCase(id) }

// caseRow is what an action needs of the case it acts on.
type caseRow struct {
	id             int64
	state          docket.State
	version        int64
	transferUnitID sql.NullInt64
	returnBy       civil.Date
	extensionDays  int
	replied        bool
	reviewCount    int
	finishBy       civil.Date
	limits         string // cases.time_limits (see Service.caseLimits)
	officeFromID   sql.NullInt64
	officeObjectBy civil.Date
	supervised     bool // an office above supervises it
	supAnswered    bool
	facts          access.Facts // what the access policy needs to know of it
}

func loadRow(ctx context.Context, q docket.Execer, id int64) (caseRow, error) {
	r := caseRow{id: id}
	dest := append([]any{&r.state, &r.version, &r.transferUnitID, &r.returnBy, &r.extensionDays, &r.replied, &r.reviewCount, &r.finishBy, &r.limits,
		&r.officeFromID, &r.officeObjectBy, &r.supervised, &r.supAnswered}, r.facts.Dest()...)
	err := q.QueryRowContext(ctx, `SELECT c.state, c.version, c.transfer_unit_id, c.return_by, c.extension_days, c.replied, c.review_count, c.finish_by, c.time_limits,
		c.office_from_id, c.office_object_by, c.supervision_deadline IS NOT NULL, c.supervision_answered_at IS NOT NULL,
		`+access.FactsSQL("c")+` FROM cases c WHERE c.id = $1`, id).Scan(dest...)
	if errors.Is(err, sql.ErrNoRows) {
		return r, errNoCase(id)
	}
	if err != nil {
		return r, fmt.Errorf("cases: load case %d: %w", id, err)
	}
	return r, nil
}

func errForbiddenAction(a docket.Action) error {
	return problem.Forbidden("forbidden_action", fmt.Sprintf("您无权执行“%s”操作", a.Label(docket.LangZhCN)),
		fmt.Sprintf("you may not take the action %s", a))
}

func errNotYours(a docket.Action) error {
	return problem.Forbidden("not_your_case", fmt.Sprintf("本案不在您的办理范围内（未分派给您或不属您的单位），不能执行“%s”操作", a.Label(docket.LangZhCN)),
		fmt.Sprintf("this case is not yours to act on (not assigned to you, or not your unit's): the action %s is refused", a))
}

// Act takes an action on case id for p and returns the case as it now is.
// Checks, in order: unknown action → 422; the policy gives p the action on
// no case at all → 403; the case does not exist or p may not see it → 404;
// p may not take the action on this case (a handler on another's case) →
// 403; missing or invalid fields → 422 naming the field; state → 409;
// version → 409; then the action's own rules.
func (s *Service) Act(ctx context.Context, p auth.Principal, id int64, in ActionInput) (*Case, error) {
	rule, ok := Machine()[in.Action]
	if !ok {
		return nil, errUnknownAction(in.Action)
	}
	toOffice := in.Action == docket.Transfer && strings.TrimSpace(in.Office) != ""
	if toOffice {
		rule = officeTransfer
	}
	if !s.pol.Allows(p, rule.Perm) {
		return nil, errForbiddenAction(in.Action)
	}
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		row, err := loadRow(ctx, tx, id)
		if err != nil {
			return err
		}
		if !s.pol.On(p, access.CaseRead, row.facts) {
			return errNoCase(id)
		}
		// The office above may take a lower office's case over: a transfer
		// to its own office of a case it supervises.
		takeOver := toOffice && p.OfficeCode != "" && strings.TrimSpace(in.Office) == p.OfficeCode && s.pol.On(p, access.CaseSupervise, row.facts)
		if !s.pol.On(p, rule.Perm, row.facts) && !takeOver {
			return errNotYours(in.Action)
		}
		for _, f := range rule.Required {
			if !in.has(f) {
				return problem.Required(f)
			}
		}
		if err := s.validate(&in); err != nil {
			return err
		}
		to, ok := rule.From[row.state]
		if !ok {
			return errState(in.Action, row.state)
		}
		if in.Version != 0 && in.Version != row.version {
			return errVersion
		}
		a := &act{ctx: ctx, tx: tx, p: p, row: row, to: to, in: &in, now: s.now(), today: s.today(), cal: s.calendar(), data: map[string]any{}}
		return s.take(a, rule)
	})
	if err != nil {
		return nil, err
	}
	return s.get(ctx, p, id, false)
}

func (s *Service) validate(in *ActionInput) error {
	for _, f := range []struct{ name, v string }{{"reason", in.Reason}, {"body", in.Body}, {"instructions", in.Instructions}} {
		if utf8.RuneCountInString(f.v) > MaxTextLen {
			return problem.Invalid(f.name, "too_long", fmt.Sprintf("%s 过长（最多 %d 字）", f.name, MaxTextLen), fmt.Sprintf("%s is longer than %d characters", f.name, MaxTextLen))
		}
	}
	switch in.Action {
	case docket.Extend:
		max := s.limits.Extension.Days
		if *in.Days < 1 || *in.Days > max {
			return problem.Invalid("days", "extension_too_long", fmt.Sprintf("延期天数应在 1 到 %d 之间", max), fmt.Sprintf("days must be between 1 and %d", max))
		}
	case docket.Conclude:
		switch {
		case in.Finding.Substantiated():
			if in.PersonIDs == nil {
				return problem.Invalid("person_ids", "required", "结论为属实或部分属实时，须写明涉及人员", "a verified or partly verified finding must name the people concerned")
			}
		case in.Finding == docket.Unfounded:
		default:
			return problem.Invalid("finding", "invalid_finding", "调查结论应为属实（verified）、部分属实（partly_verified）或不属实（unfounded）", "the finding must be verified, partly_verified or unfounded")
		}
	case docket.Merge:
		if in.Into < 0 {
			return problem.Invalid("into", "unknown_case", "合并目标案件不存在", "the case to merge into does not exist")
		}
	}
	return nil
}

// act is one action being taken, inside its transaction: what the action's
// function reads, and what it leaves for the history and the audit.
type act struct {
	ctx   context.Context
	tx    *sql.Tx
	p     auth.Principal
	row   caseRow
	to    docket.State
	in    *ActionInput
	now   time.Time
	today civil.Date
	cal   *calendar.Calendar

	change docket.Change
	saved  bool
	data   map[string]any // the history line's data
	public *docket.Words  // what the reporter is told, if anything
}

// save writes the row's changes (once): the state, the action's columns,
// the version. Actions that recount deadlines save first.
func (s *Service) save(a *act) error {
	if a.saved {
		return nil
	}
	a.saved = true
	if a.to != a.row.state {
		a.change.State(a.to)
	}
	return s.record.Update(a.ctx, a.tx, a.row.id, a.row.version, &a.change, a.now)
}

// recount recomputes and stores the case's deadlines after save.
func (s *Service) recount(a *act) (docket.Deadlines, error) {
	if err := s.save(a); err != nil {
		return docket.Deadlines{}, err
	}
	return s.recompute(a.ctx, a.tx, a.cal, a.row.id)
}

// take runs the action's function, then records it: the due status, the
// history (and the reporter's line), the audit.
func (s *Service) take(a *act, rule Rule) error {
	if err := rule.do(s, a); err != nil {
		return err
	}
	if err := s.save(a); err != nil {
		return err
	}
	if err := s.markDue(a.ctx, a.tx, a.row.id, a.now); err != nil {
		return err
	}
	if a.to != a.row.state {
		a.data["from"], a.data["to"] = a.row.state, a.to
	}
	if err := s.record.Append(a.ctx, a.tx, docket.Event{Case: a.row.id, At: a.now, Actor: a.p.Actor(), Action: a.in.Action, Data: a.data}); err != nil {
		return err
	}
	if a.public != nil {
		if err := s.record.Append(a.ctx, a.tx, docket.Event{Case: a.row.id, At: a.now, Actor: "office", Action: a.in.Action, Data: a.public, Public: true}); err != nil {
			return err
		}
	}
	ad := map[string]any{}
	for k, v := range a.data {
		if k != "body" { // replies and notes stay in the case; the audit keeps their length
			ad[k] = v
		}
	}
	if a.in.Body != "" {
		ad["body_chars"] = utf8.RuneCountInString(a.in.Body)
	}
	return audit.Append(a.ctx, a.tx, a.now, audit.Record{Actor: a.p.Actor(), Action: "case." + string(a.in.Action), Subject: fmt.Sprintf("case:%d", a.row.id), Data: ad})
}

// tell sets what the reporter reads of the action.
func (a *act) tell(zh, en string) { a.public = &docket.Words{ZH: zh, EN: en} }

func (s *Service) accept(a *act) error {
	a.change.AcceptedOn(a.today)
	d, err := s.recount(a)
	if err != nil {
		return err
	}
	a.data["finish_by"] = d.FinishBy
	a.tell(fmt.Sprintf("您的举报已受理，办理期限至 %s。", d.FinishBy), fmt.Sprintf("Your report has been accepted; it is to be settled by %s.", d.FinishBy))
	return nil
}

func (s *Service) refuse(a *act) error {
	a.data["reason"] = a.in.Reason
	a.change.ClosedAt(a.now)
	a.tell("您的举报不予受理。理由："+a.in.Reason, "Your report was not accepted. Reason: "+a.in.Reason)
	return nil
}

func (s *Service) transfer(a *act) error {
	var unitID int64
	var name string
	code := strings.TrimSpace(a.in.Unit)
	err := a.tx.QueryRowContext(a.ctx, `SELECT id, name FROM units WHERE code = $1`, code).Scan(&unitID, &name)
	if errors.Is(err, sql.ErrNoRows) {
		return problem.Invalid("unit", "unknown_unit", "单位代码 "+a.in.Unit+" 不存在", "no unit has the code "+a.in.Unit)
	}
	if err != nil {
		return fmt.Errorf("cases: look up unit: %w", err)
	}
	a.data["unit"], a.data["unit_name"], a.data["reason"] = a.in.Unit, name, a.in.Reason
	a.change.TransferredTo(unitID, a.today)
	// The unit name is public: the reporter should know where the matter went.
	a.tell("您的举报已转交"+name+"办理。", "Your report has been transferred to "+name+" for handling.")
	d, err := s.recount(a)
	if err != nil {
		return err
	}
	a.data["return_by"], a.data["finish_by"] = d.ReturnBy, d.FinishBy
	return nil
}

// officeTransfer is the action transfer with an office instead of a unit:
// the case moves to another office — up (beyond the county's competence,
// or about the county's own leaders), down (an ordinary matter) or across
// (the wrong county) — in the state it is in, keeping its receipt, its
// deadlines and the limits they are counted by. The office above may also
// take a lower office's case over (Act).
var officeTransfer = Rule{Perm: access.CaseTransfer, From: same(docket.Registered, docket.Accepted), Required: []string{"office", "reason"},
	do: (*Service).transferOffice}

func (s *Service) transferOffice(a *act) error {
	code := strings.TrimSpace(a.in.Office)
	var id int64
	var name, path string
	err := a.tx.QueryRowContext(a.ctx, `SELECT id, name, path FROM offices WHERE code = $1`, code).Scan(&id, &name, &path)
	if errors.Is(err, sql.ErrNoRows) {
		return problem.Invalid("office", "unknown_office", "整肃办 "+code+" 不存在", "no office has the code "+code)
	}
	if err != nil {
		return fmt.Errorf("cases: look up office: %w", err)
	}
	var fromCode, fromName, fromPath string
	err = a.tx.QueryRowContext(a.ctx, `SELECT code, name, path FROM offices WHERE id = $1`, a.row.facts.OfficeID).Scan(&fromCode, &fromName, &fromPath)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("cases: look up the case's office: %w", err)
	}
	if id == a.row.facts.OfficeID {
		return problem.Invalid("office", "same_office", "本案已属 "+name, "the case already belongs to "+name)
	}
	direction := "across"
	switch {
	case strings.HasPrefix(fromPath, path):
		direction = "up"
	case strings.HasPrefix(path, fromPath):
		direction = "down"
	}
	a.data["from_office"], a.data["from_office_name"], a.data["office"], a.data["office_name"] = fromCode, fromName, code, name
	a.data["direction"], a.data["reason"] = direction, a.in.Reason
	a.change.Office(id)
	// Whoever handled it in the office it leaves does not handle it there.
	a.change.Assignee(0)
	// The receiving office may object within the objection limit (信访工作条例
	// art. 23: 5 working days), counted from today on the receiving office's
	// calendar (its own days off are not its working days); not when it takes
	// the case itself (the office above taking it over). The case keeps its
	// own time limits and calendar days, fixed when it was registered.
	if id == a.p.OfficeID {
		a.change.OfficeObjection(0, civil.Date{})
	} else {
		cal, err := s.officeCalendar(a.ctx, id)
		if err != nil {
			return err
		}
		by, _ := cal.Due(a.today, s.caseLimits(a.row.limits).TransferObjection)
		a.change.OfficeObjection(a.row.facts.OfficeID, by)
		a.data["object_by"] = by
	}
	a.tell("您的举报已转交"+name+"办理。", "Your report has been transferred to "+name+" for handling.")
	return nil
}

// object is the receiving office's objection to a case another office
// transferred to it (异议退回): within the objection window the case goes
// back, in the state it is in, to the office that sent it; after it, no
// objection. The history names both offices.
func (s *Service) object(a *act) error {
	lim := s.caseLimits(a.row.limits).TransferObjection
	if !a.row.officeFromID.Valid || a.row.officeObjectBy.IsZero() {
		return problem.Conflict("no_objection_open", "本案不是从其他整肃办转来的（或已提出过异议），不能提出异议",
			"this case was not transferred here from another office (or was objected to already): there is nothing to object to")
	}
	if a.today.After(a.row.officeObjectBy) {
		return problem.Conflict("objection_window_passed",
			fmt.Sprintf("提出异议的期限（%s，转来后 %s）已过，不能再退回", a.row.officeObjectBy, lim),
			fmt.Sprintf("the time to object ended on %s (%s after the transfer); the case can no longer be sent back", a.row.officeObjectBy, lim))
	}
	back := a.row.officeFromID.Int64
	var code, name, fromCode, fromName string
	if err := a.tx.QueryRowContext(a.ctx, `SELECT code, name FROM offices WHERE id = $1`, back).Scan(&code, &name); err != nil {
		return fmt.Errorf("cases: look up the sending office: %w", err)
	}
	if err := a.tx.QueryRowContext(a.ctx, `SELECT code, name FROM offices WHERE id = $1`, a.row.facts.OfficeID).Scan(&fromCode, &fromName); err != nil {
		return fmt.Errorf("cases: look up the case's office: %w", err)
	}
	a.data["from_office"], a.data["from_office_name"], a.data["office"], a.data["office_name"] = fromCode, fromName, code, name
	a.data["reason"] = a.in.Reason
	a.change.Office(back).Assignee(0).OfficeObjection(0, civil.Date{})
	a.tell("您的举报已转回"+name+"办理。", "Your report has been sent back to "+name+" for handling.")
	return nil
}

// answer is the lower office's answer to the office above's supervision
// (答复督办): the upper office reads it on the case, and the supervision
// notices of the case are cleared. Answering again replaces the answer.
func (s *Service) answer(a *act) error {
	if !a.row.supervised {
		return problem.Conflict("not_supervised", "本案未被督办，无需答复", "this case is not under supervision: there is nothing to answer")
	}
	a.change.SupervisionAnswered(a.now, a.in.Body)
	a.data["body"] = a.in.Body
	if _, err := a.tx.ExecContext(a.ctx, `UPDATE notices SET read_at = $1 WHERE case_id = $2 AND kind = $3 AND read_at IS NULL`,
		formatInstant(a.now), a.row.id, SupervisionNotice); err != nil {
		return fmt.Errorf("cases: clear the supervision notices: %w", err)
	}
	return nil
}

// supervise is the office above's supervision (督办) of a lower office's
// case: a deadline for the case's office to answer by, and instructions.
// The case's office's director gets a notice; the deadline shows on the
// case and in the lists (overdue once it passes while the case is open).
// Supervising again replaces the deadline.
func (s *Service) supervise(a *act) error {
	d := *a.in.Deadline
	if d.Before(a.today) {
		return problem.Invalid("deadline", "deadline_past", fmt.Sprintf("督办期限 %s 早于今天（%s）", d, a.today),
			fmt.Sprintf("the deadline %s is before today (%s)", d, a.today))
	}
	a.change.Supervision(a.p.OfficeID, d).SupervisionAnswered(time.Time{}, "")
	a.data["deadline"], a.data["instructions"], a.data["office"] = d, a.in.Instructions, a.p.OfficeCode
	if _, err := a.tx.ExecContext(a.ctx, `INSERT INTO notices (case_id, kind, to_role, deadline, at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (case_id, kind, deadline) DO UPDATE SET read_at = NULL`, a.row.id, SupervisionNotice, string(auth.Director), d, formatInstant(a.now)); err != nil {
		return fmt.Errorf("cases: supervision notice: %w", err)
	}
	return nil
}

// giveBack is the action "return": the receiving unit sends a misdirected
// case back within the objection period.
func (s *Service) giveBack(a *act) error {
	if !a.row.returnBy.IsZero() && a.today.After(a.row.returnBy) {
		return problem.Conflict("return_window_passed",
			fmt.Sprintf("退回期限（%s，转交后 %s）已过，不能再退回", a.row.returnBy, s.caseLimits(a.row.limits).TransferObjection),
			fmt.Sprintf("the time to send the case back ended on %s (%s after the transfer)", a.row.returnBy, s.caseLimits(a.row.limits).TransferObjection))
	}
	a.data["reason"] = a.in.Reason
	if a.row.transferUnitID.Valid {
		a.data["unit_id"] = a.row.transferUnitID.Int64
	}
	a.change.TransferredTo(0, civil.Date{}).Extension(0, "")
	a.tell("接收单位认为该事项不属其职责，已退回本办重新处理。", "The unit it was transferred to sent it back as outside its remit; the office is handling it again.")
	_, err := s.recount(a)
	return err
}

func (s *Service) assign(a *act) error {
	var uid int64
	var role string
	var disabled bool
	err := a.tx.QueryRowContext(a.ctx, `SELECT id, role, disabled FROM users WHERE username = $1`, strings.TrimSpace(a.in.User)).Scan(&uid, &role, &disabled)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && disabled) {
		return problem.Invalid("user", "unknown_user", "用户 "+a.in.User+" 不存在或已停用", "no active user "+a.in.User)
	}
	if err != nil {
		return fmt.Errorf("cases: look up user: %w", err)
	}
	// A case goes to someone who may conclude it (a handler, a director).
	if !s.pol.RoleHolds(auth.Role(role), access.CaseConclude) {
		return problem.Invalid("user", "not_a_handler", "只能分派给办理人员（handler）或主任", "a case can be assigned only to a handler or director")
	}
	// … of the case's own office.
	var same bool
	if err := a.tx.QueryRowContext(a.ctx, `SELECT u.office_id = c.office_id FROM users u, cases c WHERE u.id = $1 AND c.id = $2`, uid, a.row.id).Scan(&same); err != nil {
		return fmt.Errorf("cases: office of the assignee: %w", err)
	}
	if !same {
		return problem.Invalid("user", "other_office", "用户 "+a.in.User+" 不属本案所在的整肃办", "the user "+a.in.User+" is not of the case's office")
	}
	a.data["user"] = a.in.User
	a.change.Assignee(uid)
	return nil
}

func (s *Service) extend(a *act) error {
	if a.row.extensionDays > 0 {
		return problem.Conflict("already_extended", "本案已延期一次，不能再次延期", "the case was already extended once; it cannot be extended again")
	}
	days := *a.in.Days
	// The case's own limit (its office's when it was registered) may be
	// shorter than the server's, which validate checked.
	if max := s.caseLimits(a.row.limits).Extension.Days; days > max {
		return problem.Invalid("days", "extension_too_long", fmt.Sprintf("延期天数应在 1 到 %d 之间", max), fmt.Sprintf("days must be between 1 and %d", max))
	}
	a.data["days"], a.data["reason"] = days, a.in.Reason
	a.change.Extension(days, a.in.Reason)
	d, err := s.recount(a)
	if err != nil {
		return err
	}
	a.data["finish_by"] = d.FinishBy
	a.tell(fmt.Sprintf("办理期限延长 %d 日，至 %s。理由：%s", days, d.FinishBy, a.in.Reason),
		fmt.Sprintf("The time limit was extended by %d days, to %s. Reason: %s", days, d.FinishBy, a.in.Reason))
	return nil
}

func (s *Service) conclude(a *act) error {
	ids := uniqueIDs(a.in.PersonIDs)
	for _, pid := range ids {
		var one int
		err := a.tx.QueryRowContext(a.ctx, `SELECT 1 FROM people WHERE id = $1`, pid).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return problem.Invalid("person_ids", "unknown_person", fmt.Sprintf("人员 %d 不存在", pid), fmt.Sprintf("no person %d", pid))
		}
		if err != nil {
			return fmt.Errorf("cases: look up person: %w", err)
		}
	}
	a.data["finding"], a.data["person_ids"] = a.in.Finding, ids
	if a.row.state != docket.Investigating {
		a.data["revision"] = true
	} else {
		a.tell("您反映的问题已调查完毕，本办将书面答复您。", "The investigation is finished; the office will reply to you in writing.")
	}
	a.change.Conclusion(a.in.Finding, a.today)
	if err := s.save(a); err != nil {
		return err
	}
	if err := s.record.SetPeople(a.ctx, a.tx, a.row.id, ids); err != nil {
		return err
	}
	for _, h := range s.OnConcluded {
		if err := h(a.ctx, a.tx, a.row.id); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) reply(a *act) error {
	a.data["body"] = a.in.Body
	a.change.Replied(true, a.today)
	if _, err := a.tx.ExecContext(a.ctx, `INSERT INTO messages (case_id, at, direction, author, body) VALUES ($1, $2, 'reply', $3, $4)`,
		a.row.id, formatInstant(a.now), a.p.Actor(), a.in.Body); err != nil {
		return fmt.Errorf("cases: store reply: %w", err)
	}
	d, err := s.recount(a)
	if err != nil {
		return err
	}
	a.data["review_request_by"] = d.ReviewRequestBy
	switch a.row.reviewCount {
	case 0:
		a.tell(fmt.Sprintf("本办已作出书面答复。如不满意，可在 %s 前申请复查。", d.ReviewRequestBy),
			fmt.Sprintf("The office has replied in writing. If you are not satisfied, you may ask for a review (复查) until %s.", d.ReviewRequestBy))
	case 1:
		a.tell(fmt.Sprintf("本办已作出复查答复。如不满意，可在 %s 前申请复核。", d.ReviewRequestBy),
			fmt.Sprintf("The office has answered your review request. If you are not satisfied, you may ask for a re-examination (复核) until %s.", d.ReviewRequestBy))
	default:
		a.tell("本办已作出复核答复。同一事项不再受理复查或复核。", "The office has answered your re-examination request; the same matter is not reviewed again.")
	}
	return nil
}

func (s *Service) close(a *act) error {
	if !a.row.replied {
		return problem.Conflict("reply_first", fmt.Sprintf("案件处于“%s”（%s），尚未书面答复（reply），不能结案（close）", a.row.state.Label(docket.LangZhCN), a.row.state),
			fmt.Sprintf("a case in state %s needs a written reply (reply) before the action close", a.row.state))
	}
	a.change.ClosedAt(a.now)
	a.tell("本件已办结。", "The case is closed.")
	return nil
}

func (s *Service) merge(a *act) error {
	into := a.in.Into
	if into == a.row.id {
		return problem.Invalid("into", "merge_into_self", "不能合并到本案自身", "a case cannot be merged into itself")
	}
	var tstate docket.State
	var facts access.Facts
	err := a.tx.QueryRowContext(a.ctx, `SELECT c.state, `+access.FactsSQL("c")+` FROM cases c WHERE c.id = $1`, into).Scan(append([]any{&tstate}, facts.Dest()...)...)
	if errors.Is(err, sql.ErrNoRows) || err == nil && !s.pol.On(a.p, access.CaseRead, facts) {
		// A case the actor may not see does not exist for them.
		return problem.Invalid("into", "unknown_case", fmt.Sprintf("合并目标案件 %d 不存在", into), fmt.Sprintf("no case %d to merge into", into))
	}
	if err != nil {
		return fmt.Errorf("cases: look up merge target: %w", err)
	}
	if tstate == docket.Merged {
		return problem.Conflict("target_merged", fmt.Sprintf("案件 %d 本身已被合并，请合并到其存续案件", into), fmt.Sprintf("case %d is itself merged; merge into the case that survives it", into))
	}
	a.data["into"] = into
	a.change.MergedInto(into)
	a.tell("您的举报与另一件反映同一事项的举报合并办理，进展将在此继续显示。", "Your report was merged with another report of the same matter; its progress continues to show here.")
	if err := s.save(a); err != nil {
		return err
	}
	// Cases merged into this one follow it into the survivor: no chains.
	if err := s.record.RepointMerged(a.ctx, a.tx, a.row.id, into); err != nil {
		return err
	}
	return s.record.Append(a.ctx, a.tx, docket.Event{Case: into, At: a.now, Actor: a.p.Actor(), Action: docket.MergedIn, Data: map[string]any{"from": a.row.id}})
}

func (s *Service) note(a *act) error {
	a.data["body"] = a.in.Body
	return nil
}

func uniqueIDs(ids []int64) []int64 {
	out := slices.Clone(ids)
	slices.Sort(out)
	out = slices.Compact(out)
	if out == nil {
		out = []int64{}
	}
	return out
}
