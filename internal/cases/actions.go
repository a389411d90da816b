package cases

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"mashang/internal/audit"
	"mashang/internal/auth"
	"mashang/internal/civil"
	"mashang/internal/problem"
	"mashang/internal/store"
)

// ActionInput is the body of POST /api/v1/cases/{id}/actions. Only the fields
// the action uses are read; Version, when given, must equal the case's
// current version (else 409), for clients that show a case and act on it.
type ActionInput struct {
	Action    string  `json:"action"`
	Reason    string  `json:"reason,omitempty"`
	Unit      string  `json:"unit,omitempty"`
	User      string  `json:"user,omitempty"`
	Days      *int    `json:"days,omitempty"`
	Finding   string  `json:"finding,omitempty"`
	PersonIDs []int64 `json:"person_ids,omitempty"`
	Body      string  `json:"body,omitempty"`
	Into      int64   `json:"into,omitempty"`
	Version   int64   `json:"version,omitempty"`
}

// MaxTextLen bounds reasons, notes and replies (characters).
const MaxTextLen = 20000

func (in *ActionInput) has(field string) bool {
	switch field {
	case "reason":
		return strings.TrimSpace(in.Reason) != ""
	case "unit":
		return strings.TrimSpace(in.Unit) != ""
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
	}
	return true
}

func errUnknownAction(a string) error {
	return problem.Invalid("action", "unknown_action", fmt.Sprintf("未知的操作 %q，可用操作：%s", a, strings.Join(Actions(), "、")),
		fmt.Sprintf("unknown action %q; one of %s", a, strings.Join(Actions(), ", ")))
}

var stateZH = map[string]string{
	Registered: "已登记", Accepted: "已受理", Refused: "不予受理", Transferred: "已转交", Investigating: "调查中",
	Concluded: "已办结调查", Closed: "已结案", Review: "复查/复核中", Merged: "已合并",
}

var actionZH = map[string]string{
	ActAccept: "受理", ActRefuse: "不予受理", ActTransfer: "转交", ActReturn: "退回", ActAssign: "分派", ActExtend: "延期",
	ActConclude: "作出调查结论", ActReply: "书面答复", ActClose: "结案", ActMerge: "合并", ActNote: "备注",
}

func errState(action, state string) error {
	r := Machine()[action]
	var from []string
	for st := range r.From {
		from = append(from, st)
	}
	sort.Strings(from)
	return problem.Conflict("action_not_allowed",
		fmt.Sprintf("案件当前状态为“%s”（%s），不能执行“%s”（%s）操作", stateZH[state], state, actionZH[action], action),
		fmt.Sprintf("a case in state %s does not allow the action %s (allowed in: %s)", state, action, strings.Join(from, ", ")))
}

var errVersion = problem.Conflict("case_changed", "案件已被他人同时修改，请刷新后重试", "the case was changed by someone else at the same time; reload it and try again")

func errNoCase(id int64) error {
	return problem.NotFound("case_not_found", fmt.Sprintf("案件 %d 不存在", id), fmt.Sprintf("no case %d", id))
}

// caseRow is what an action needs of the case it acts on.
type caseRow struct {
	id             int64
	state          string
	version        int64
	transferUnitID sql.NullInt64
	returnBy       civil.Date
	extensionDays  int
	replied        bool
	reviewCount    int
	finishBy       civil.Date
}

func loadRow(ctx context.Context, q execer, id int64) (caseRow, error) {
	r := caseRow{id: id}
	err := q.QueryRowContext(ctx, `SELECT state, version, transfer_unit_id, return_by, extension_days, replied, review_count, finish_by
		FROM cases WHERE id = $1`, id).Scan(&r.state, &r.version, &r.transferUnitID, &r.returnBy, &r.extensionDays, &r.replied, &r.reviewCount, &r.finishBy)
	if errors.Is(err, sql.ErrNoRows) {
		return r, errNoCase(id)
	}
	if err != nil {
		return r, fmt.Errorf("cases: load case %d: %w", id, err)
	}
	return r, nil
}

// visible reports whether p may see a case: everyone but a liaison sees all;
// a liaison sees only cases transferred to its unit.
func visible(p auth.Principal, state string, transferUnit sql.NullInt64) bool {
	if p.SeesAllUnits() {
		return true
	}
	return state == Transferred && transferUnit.Valid && p.UnitID != 0 && transferUnit.Int64 == p.UnitID
}

// Act takes an action on case id for p and returns the case as it now is.
// Checks, in order: unknown action → 422; role → 403; missing or invalid
// fields → 422 naming the field; unknown (or, for a liaison, not visible)
// case → 404; state → 409; version → 409; then the action's own rules.
func (s *Service) Act(ctx context.Context, p auth.Principal, id int64, in ActionInput) (*Case, error) {
	rule, ok := Machine()[in.Action]
	if !ok {
		return nil, errUnknownAction(in.Action)
	}
	if p.Role == auth.Auditor || !p.May(rule.Roles...) {
		return nil, problem.Forbidden("forbidden_action", fmt.Sprintf("您的角色（%s）不能执行“%s”操作", p.Role, actionZH[in.Action]),
			fmt.Sprintf("the role %s may not take the action %s", p.Role, in.Action))
	}
	for _, f := range rule.Required {
		if !in.has(f) {
			return nil, problem.Required(f)
		}
	}
	if err := s.validate(&in); err != nil {
		return nil, err
	}
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		row, err := loadRow(ctx, tx, id)
		if err != nil {
			return err
		}
		if !visible(p, row.state, row.transferUnitID) {
			return errNoCase(id)
		}
		to, ok := rule.From[row.state]
		if !ok {
			return errState(in.Action, row.state)
		}
		if in.Version != 0 && in.Version != row.version {
			return errVersion
		}
		return s.apply(ctx, tx, p, row, to, &in)
	})
	if err != nil {
		return nil, err
	}
	return s.get(ctx, p, id, false)
}

func (s *Service) validate(in *ActionInput) error {
	for _, f := range []struct{ name, v string }{{"reason", in.Reason}, {"body", in.Body}} {
		if utf8.RuneCountInString(f.v) > MaxTextLen {
			return problem.Invalid(f.name, "too_long", fmt.Sprintf("%s 过长（最多 %d 字）", f.name, MaxTextLen), fmt.Sprintf("%s is longer than %d characters", f.name, MaxTextLen))
		}
	}
	switch in.Action {
	case ActExtend:
		max := s.limits.Extension.Days
		if *in.Days < 1 || *in.Days > max {
			return problem.Invalid("days", "extension_too_long", fmt.Sprintf("延期天数应在 1 到 %d 之间", max), fmt.Sprintf("days must be between 1 and %d", max))
		}
	case ActConclude:
		switch in.Finding {
		case Verified, PartlyVerified:
			if in.PersonIDs == nil {
				return problem.Required("person_ids")
			}
		case Unfounded:
		default:
			return problem.Invalid("finding", "invalid_finding", "调查结论应为 verified、partly_verified 或 unfounded", "finding must be verified, partly_verified or unfounded")
		}
	case ActMerge:
		if in.Into < 0 {
			return problem.Invalid("into", "unknown_case", "合并目标案件不存在", "the case to merge into does not exist")
		}
	}
	return nil
}

// upd accumulates the columns an action changes.
type upd struct {
	cols []string
	args []any
}

func (u *upd) set(col string, v any) {
	u.args = append(u.args, v)
	u.cols = append(u.cols, fmt.Sprintf("%s = $%d", col, len(u.args)+2))
}

// apply runs one allowed action inside tx.
func (s *Service) apply(ctx context.Context, tx *sql.Tx, p auth.Principal, row caseRow, to string, in *ActionInput) error {
	now := s.now()
	today := s.today()
	cal := s.calendar()
	var u upd
	if to != row.state {
		u.set("state", to)
	}
	data := map[string]any{}
	var public *Words
	var after []func() error // run after the case row is updated

	switch in.Action {
	case ActAccept:
		u.set("accepted_on", today)
		after = append(after, func() error {
			d, err := s.recompute(ctx, tx, cal, row.id)
			public = words("您的举报已受理，办理期限至 %s。", "Your report has been accepted; it is to be settled by %s.", d.FinishBy, d.FinishBy)
			data["finish_by"] = d.FinishBy
			return err
		})
	case ActRefuse:
		data["reason"] = in.Reason
		u.set("closed_at", store.FormatInstant(now))
		public = words("您的举报不予受理。理由：%s", "Your report was not accepted. Reason: %s", in.Reason, in.Reason)
	case ActTransfer:
		var unitID int64
		var name string
		err := tx.QueryRowContext(ctx, `SELECT id, name FROM units WHERE code = $1`, strings.TrimSpace(in.Unit)).Scan(&unitID, &name)
		if errors.Is(err, sql.ErrNoRows) {
			return problem.Invalid("unit", "unknown_unit", "单位代码 "+in.Unit+" 不存在", "no unit has the code "+in.Unit)
		}
		if err != nil {
			return fmt.Errorf("cases: look up unit: %w", err)
		}
		data["unit"], data["unit_name"], data["reason"] = in.Unit, name, in.Reason
		u.set("transfer_unit_id", unitID)
		u.set("transferred_on", today)
		// The unit name is public: the reporter should know where the matter went.
		public = words("您的举报已转交%s办理。", "Your report has been transferred to %s for handling.", name, name)
		after = append(after, func() error {
			d, err := s.recompute(ctx, tx, cal, row.id)
			data["return_by"], data["finish_by"] = d.ReturnBy, d.FinishBy
			return err
		})
	case ActReturn:
		if !row.returnBy.IsZero() && today.After(row.returnBy) {
			return problem.Conflict("return_window_passed",
				fmt.Sprintf("退回期限（%s，转交后 %s）已过，不能再退回", row.returnBy, s.limits.TransferObjection),
				fmt.Sprintf("the time to send the case back ended on %s (%s after the transfer)", row.returnBy, s.limits.TransferObjection))
		}
		data["reason"] = in.Reason
		if row.transferUnitID.Valid {
			data["unit_id"] = row.transferUnitID.Int64
		}
		u.set("transfer_unit_id", nil)
		u.set("transferred_on", nil)
		u.set("extension_days", 0)
		u.set("extension_reason", "")
		public = words("接收单位认为该事项不属其职责，已退回本办重新处理。", "The unit it was transferred to sent it back as outside its remit; the office is handling it again.")
		after = append(after, func() error { _, err := s.recompute(ctx, tx, cal, row.id); return err })
	case ActAssign:
		var uid int64
		var role string
		var disabled bool
		err := tx.QueryRowContext(ctx, `SELECT id, role, disabled FROM users WHERE username = $1`, strings.TrimSpace(in.User)).Scan(&uid, &role, &disabled)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && disabled) {
			return problem.Invalid("user", "unknown_user", "用户 "+in.User+" 不存在或已停用", "no active user "+in.User)
		}
		if err != nil {
			return fmt.Errorf("cases: look up user: %w", err)
		}
		if r := auth.Role(role); r != auth.Handler && r != auth.Director && r != auth.Admin {
			return problem.Invalid("user", "not_a_handler", "只能分派给办理人员（handler）或主任", "a case can be assigned only to a handler or director")
		}
		data["user"] = in.User
		u.set("assignee_id", uid)
	case ActExtend:
		if row.extensionDays > 0 {
			return problem.Conflict("already_extended", "本案已延期一次，不能再次延期", "the case was already extended once; it cannot be extended again")
		}
		data["days"], data["reason"] = *in.Days, in.Reason
		u.set("extension_days", *in.Days)
		u.set("extension_reason", in.Reason)
		after = append(after, func() error {
			d, err := s.recompute(ctx, tx, cal, row.id)
			data["finish_by"] = d.FinishBy
			public = words("办理期限延长 %d 日，至 %s。理由：%s", "The time limit was extended by %d days, to %s. Reason: %s", []any{*in.Days, d.FinishBy, in.Reason}, []any{*in.Days, d.FinishBy, in.Reason})
			return err
		})
	case ActConclude:
		ids := uniqueIDs(in.PersonIDs)
		for _, pid := range ids {
			var one int
			err := tx.QueryRowContext(ctx, `SELECT 1 FROM people WHERE id = $1`, pid).Scan(&one)
			if errors.Is(err, sql.ErrNoRows) {
				return problem.Invalid("person_ids", "unknown_person", fmt.Sprintf("人员 %d 不存在", pid), fmt.Sprintf("no person %d", pid))
			}
			if err != nil {
				return fmt.Errorf("cases: look up person: %w", err)
			}
		}
		data["finding"], data["person_ids"] = in.Finding, ids
		if row.state != Investigating {
			data["revision"] = true
		}
		u.set("finding", in.Finding)
		u.set("concluded_on", today)
		if row.state == Investigating {
			public = words("您反映的问题已调查完毕，本办将书面答复您。", "The investigation is finished; the office will reply to you in writing.")
		}
		after = append(after, func() error {
			if _, err := tx.ExecContext(ctx, `DELETE FROM case_people WHERE case_id = $1`, row.id); err != nil {
				return fmt.Errorf("cases: clear case_people: %w", err)
			}
			for _, pid := range ids {
				if _, err := tx.ExecContext(ctx, `INSERT INTO case_people (case_id, person_id) VALUES ($1, $2)`, row.id, pid); err != nil {
					return fmt.Errorf("cases: store case_people: %w", err)
				}
			}
			for _, h := range s.OnConcluded {
				if err := h(ctx, tx, row.id); err != nil {
					return err
				}
			}
			return nil
		})
	case ActReply:
		data["body"] = in.Body
		u.set("replied", true)
		u.set("replied_on", today)
		if _, err := tx.ExecContext(ctx, `INSERT INTO messages (case_id, at, direction, author, body) VALUES ($1, $2, 'reply', $3, $4)`,
			row.id, store.FormatInstant(now), p.Actor(), in.Body); err != nil {
			return fmt.Errorf("cases: store reply: %w", err)
		}
		after = append(after, func() error {
			d, err := s.recompute(ctx, tx, cal, row.id)
			data["review_request_by"] = d.ReviewRequestBy
			switch row.reviewCount {
			case 0:
				public = words("本办已作出书面答复。如不满意，可在 %s 前申请复查。", "The office has replied in writing. If you are not satisfied, you may ask for a review (复查) until %s.", d.ReviewRequestBy, d.ReviewRequestBy)
			case 1:
				public = words("本办已作出复查答复。如不满意，可在 %s 前申请复核。", "The office has answered your review request. If you are not satisfied, you may ask for a re-examination (复核) until %s.", d.ReviewRequestBy, d.ReviewRequestBy)
			default:
				public = words("本办已作出复核答复。同一事项不再受理复查或复核。", "The office has answered your re-examination request; the same matter is not reviewed again.")
			}
			return err
		})
	case ActClose:
		if !row.replied {
			return problem.Conflict("reply_first", fmt.Sprintf("案件处于“%s”（%s），尚未书面答复（reply），不能结案（close）", stateZH[row.state], row.state),
				fmt.Sprintf("a case in state %s needs a written reply (reply) before the action close", row.state))
		}
		u.set("closed_at", store.FormatInstant(now))
		public = words("本件已办结。", "The case is closed.")
	case ActMerge:
		if in.Into == row.id {
			return problem.Invalid("into", "merge_into_self", "不能合并到本案自身", "a case cannot be merged into itself")
		}
		var tstate string
		err := tx.QueryRowContext(ctx, `SELECT state FROM cases WHERE id = $1`, in.Into).Scan(&tstate)
		if errors.Is(err, sql.ErrNoRows) {
			return problem.Invalid("into", "unknown_case", fmt.Sprintf("合并目标案件 %d 不存在", in.Into), fmt.Sprintf("no case %d to merge into", in.Into))
		}
		if err != nil {
			return fmt.Errorf("cases: look up merge target: %w", err)
		}
		if tstate == Merged {
			return problem.Conflict("target_merged", fmt.Sprintf("案件 %d 本身已被合并，请合并到其存续案件", in.Into), fmt.Sprintf("case %d is itself merged; merge into the case that survives it", in.Into))
		}
		data["into"] = in.Into
		u.set("merged_into", in.Into)
		public = words("您的举报与另一件反映同一事项的举报合并办理，进展将在此继续显示。", "Your report was merged with another report of the same matter; its progress continues to show here.")
		after = append(after, func() error {
			// Cases merged into this one follow it into the survivor: no chains.
			if _, err := tx.ExecContext(ctx, `UPDATE cases SET merged_into = $1 WHERE merged_into = $2`, in.Into, row.id); err != nil {
				return fmt.Errorf("cases: repoint merged cases: %w", err)
			}
			return addEvent(ctx, tx, in.Into, now, p.Actor(), "merged_in", map[string]any{"from": row.id}, false)
		})
	case ActNote:
		data["body"] = in.Body
	}

	u.set("updated_at", store.FormatInstant(now))
	args := append([]any{row.id, row.version}, u.args...)
	res, err := tx.ExecContext(ctx, `UPDATE cases SET `+strings.Join(u.cols, ", ")+`, version = version + 1 WHERE id = $1 AND version = $2`, args...)
	if err != nil {
		return fmt.Errorf("cases: update case %d: %w", row.id, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n != 1 {
		return errVersion
	}
	for _, f := range after {
		if err := f(); err != nil {
			return err
		}
	}
	if err := s.markDue(ctx, tx, row.id, now); err != nil {
		return err
	}
	if to != row.state {
		data["from"], data["to"] = row.state, to
	}
	if err := addEvent(ctx, tx, row.id, now, p.Actor(), in.Action, data, false); err != nil {
		return err
	}
	if public != nil {
		if err := addEvent(ctx, tx, row.id, now, "office", in.Action, public, true); err != nil {
			return err
		}
	}
	ad := map[string]any{}
	for k, v := range data {
		if k != "body" { // replies and notes stay in the case; the audit keeps their length
			ad[k] = v
		}
	}
	if in.Body != "" {
		ad["body_chars"] = utf8.RuneCountInString(in.Body)
	}
	return audit.Append(ctx, tx, now, audit.Record{Actor: p.Actor(), Action: "case." + in.Action, Subject: fmt.Sprintf("case:%d", row.id), Data: ad})
}

// Words is a public event's text in plain words, without staff names.
type Words struct {
	ZH string `json:"zh"`
	EN string `json:"en"`
}

// words formats a public text: with no args both texts are used as they are;
// otherwise args are exactly (zhArgs, enArgs), each one value or a []any.
func words(zh, en string, args ...any) *Words {
	var za, ea []any
	switch len(args) {
	case 0:
	case 2:
		za, ea = spread(args[0]), spread(args[1])
	default:
		za, ea = args, args
	}
	return &Words{ZH: fmt.Sprintf(zh, za...), EN: fmt.Sprintf(en, ea...)}
}

func spread(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	return []any{v}
}

// addEvent appends a history row (public rows are the reporter's timeline).
func addEvent(ctx context.Context, tx *sql.Tx, caseID int64, at time.Time, actor, action string, data any, public bool) error {
	b, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("cases: marshal event: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO case_events (case_id, at, actor, action, data, public) VALUES ($1, $2, $3, $4, $5, $6)`,
		caseID, store.FormatInstant(at), actor, action, string(b), public); err != nil {
		return fmt.Errorf("cases: add event: %w", err)
	}
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

func jsonMarshal(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("cases: marshal: %w", err)
	}
	return b, nil
}

func sortYears(ys []YearInfo) {
	sort.Slice(ys, func(i, j int) bool { return ys[i].Year < ys[j].Year })
}
