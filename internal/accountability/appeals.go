package accountability

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"mashang/internal/accountability/rules"
	"mashang/internal/audit"
	"mashang/internal/auth"
	"mashang/internal/civil"
	"mashang/internal/docket"
	"mashang/internal/problem"
	"mashang/internal/store"
)

// AppealInput is the body of POST /api/v1/decisions/{id}/appeals.
type AppealInput struct {
	FiledOn civil.Date `json:"filed_on"`
	Reason  string     `json:"reason"`
}

// OutcomeInput is the body of POST /api/v1/appeals/{id}/outcome.
type OutcomeInput struct {
	Outcome   string     `json:"outcome"`
	DecidedOn civil.Date `json:"decided_on"`
	// Sanctions (and ProbationYears for party_probation) of a varied outcome.
	Sanctions      []string `json:"sanctions"`
	ProbationYears int      `json:"probation_years"`
	Note           string   `json:"note"`
}

// Appeal is a cadre's appeal (申诉) against a decision.
type Appeal struct {
	ID          int64      `json:"id"`
	DecisionID  int64      `json:"decision_id"`
	PersonID    int64      `json:"person_id"`
	CaseID      int64      `json:"case_id"`
	FiledOn     civil.Date `json:"filed_on"`
	Reason      string     `json:"reason"`
	DecideBy    civil.Date `json:"decide_by"`
	Provisional bool       `json:"provisional"`
	// Outcome is "" while pending, then upheld, varied or revoked.
	Outcome       string     `json:"outcome"`
	OutcomeOn     civil.Date `json:"outcome_on"`
	NewDecisionID *int64     `json:"new_decision_id,omitempty"`
	Overdue       bool       `json:"overdue"`
	FiledBy       string     `json:"filed_by"`
	DecidedBy     string     `json:"decided_by,omitempty"`
	CreatedAt     time.Time  `json:"created_at"`
}

// FileAppeal records the cadre's appeal against decision decisionID. It is
// filed on or after the decision date and no later than the AppealFile limit
// counted from it (the last day moving past rest days and holidays), else
// 422; decide_by is the AppealDecide limit from the filing. The decision
// stays in force meanwhile. A decision is appealed once: a second appeal, or
// an appeal against a decision that does not count (pending, revoked,
// varied), is 409.
func (s *Service) FileAppeal(ctx context.Context, p auth.Principal, decisionID int64, in AppealInput) (Appeal, error) {
	actor := p.Actor()
	in.Reason = strings.TrimSpace(in.Reason)
	if in.FiledOn.IsZero() {
		return Appeal{}, problem.Required("filed_on")
	}
	if in.Reason == "" {
		return Appeal{}, problem.Required("reason")
	}
	if utf8.RuneCountInString(in.Reason) > MaxNoteRunes {
		return Appeal{}, problem.Invalid("reason", "too_long", "申诉理由过长", "the reason is too long")
	}
	if err := pastDate("filed_on", in.FiledOn, s.Today()); err != nil {
		return Appeal{}, err
	}
	now := s.clock.Now()
	cal := s.calendar()
	var id int64
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var status, caseRules string
		var decided civil.Date
		var caseID int64
		err := tx.QueryRowContext(ctx, `SELECT d.status, d.decided_on, d.case_id, COALESCE(c.time_limits, '') FROM decisions d LEFT JOIN cases c ON c.id = d.case_id
			WHERE d.id = $1`, decisionID).Scan(&status, &decided, &caseID, &caseRules)
		if errors.Is(err, sql.ErrNoRows) {
			return errDecisionNotFound
		}
		if err != nil {
			return fmt.Errorf("accountability: read decision: %w", err)
		}
		if status != StatusInForce {
			return problem.Conflict("decision_not_in_force", "该决定未生效或已撤销，不能申诉", "the decision is not in force and cannot be appealed")
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM appeals WHERE decision_id = $1`, decisionID).Scan(&n); err != nil {
			return fmt.Errorf("accountability: appeals: %w", err)
		}
		if n > 0 {
			return problem.Conflict("already_appealed", "该决定已有申诉", "the decision has already been appealed")
		}
		// Counted by the case's own limits and calendar days, fixed when it
		// was registered.
		cal, limits := cal.Overlay(docket.CaseDays(caseRules)), docket.CaseLimits(caseRules, s.limits)
		last, _ := cal.Due(decided, limits.AppealFile)
		if err := civil.NotBefore("filed_on", in.FiledOn, decided, "决定日期", "the decision date"); err != nil {
			return err
		}
		if !rules.FiledBy(decided, in.FiledOn, last) {
			return problem.Invalid("filed_on", "appeal_late",
				fmt.Sprintf("申诉期限已过：应在 %s 前（含）提出", last), fmt.Sprintf("too late to appeal: the last day was %s", last))
		}
		decideBy, prov := cal.Due(in.FiledOn, limits.AppealDecide)
		ts := store.FormatInstant(now)
		if err := tx.QueryRowContext(ctx, `INSERT INTO appeals (decision_id, filed_on, reason, decide_by, provisional, filed_by, created_at, updated_at)
			VALUES ($1,$2,$3,$4,$5,$6,$7,$7) RETURNING id`, decisionID, in.FiledOn, in.Reason, decideBy, prov, actor, ts).Scan(&id); err != nil {
			return fmt.Errorf("accountability: insert appeal: %w", err)
		}
		data := map[string]any{"appeal_id": id, "decision_id": decisionID, "filed_on": in.FiledOn, "decide_by": decideBy}
		if err := s.caseEvent(ctx, tx, caseID, now, actor, docket.Appeal, data); err != nil {
			return err
		}
		return audit.Append(ctx, tx, now, audit.Record{Actor: actor, Action: "appeal.file", Subject: fmt.Sprintf("appeal:%d", id), Data: data})
	})
	if err != nil {
		return Appeal{}, err
	}
	return s.Appeal(ctx, id)
}

// DecideAppeal records an appeal's outcome. upheld changes nothing;
// revoked makes the decision count nowhere; varied replaces it with a new
// decision carrying the given sanctions, decided (and counting from) the
// outcome's date. An appeal already decided is 409.
func (s *Service) DecideAppeal(ctx context.Context, p auth.Principal, appealID int64, in OutcomeInput) (Appeal, error) {
	actor := p.Actor()
	in.Note = strings.TrimSpace(in.Note)
	switch in.Outcome {
	case OutcomeUpheld, OutcomeRevoked:
		if len(in.Sanctions) > 0 || in.ProbationYears != 0 {
			return Appeal{}, problem.Invalid("sanctions", "sanctions_unexpected", "只有变更处理才需提交新的处理方式", "sanctions are given only with the outcome varied")
		}
	case OutcomeVaried:
		if len(in.Sanctions) == 0 {
			return Appeal{}, problem.Invalid("sanctions", "sanctions_required", "变更处理须提交新的处理方式", "the outcome varied needs the new sanctions")
		}
	case "":
		return Appeal{}, problem.Required("outcome")
	default:
		return Appeal{}, problem.Invalid("outcome", "invalid_outcome", "结果应为 upheld、varied 或 revoked", "outcome must be upheld, varied or revoked")
	}
	if in.DecidedOn.IsZero() {
		return Appeal{}, problem.Required("decided_on")
	}
	if err := pastDate("decided_on", in.DecidedOn, s.Today()); err != nil {
		return Appeal{}, err
	}
	if utf8.RuneCountInString(in.Note) > MaxNoteRunes {
		return Appeal{}, problem.Invalid("note", "too_long", "备注过长", "the note is too long")
	}
	now := s.clock.Now()
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var outcome string
		var decisionID int64
		var filed civil.Date
		err := tx.QueryRowContext(ctx, `SELECT outcome, decision_id, filed_on FROM appeals WHERE id = $1`, appealID).Scan(&outcome, &decisionID, &filed)
		if errors.Is(err, sql.ErrNoRows) {
			return errAppealNotFound
		}
		if err != nil {
			return fmt.Errorf("accountability: read appeal: %w", err)
		}
		if outcome != "" {
			return problem.Conflict("appeal_decided", "该申诉已有结果", "the appeal has already been decided")
		}
		if err := civil.NotBefore("decided_on", in.DecidedOn, filed, "申诉日期", "the date the appeal was filed"); err != nil {
			return err
		}
		var old struct {
			caseID, personID                          int64
			situation, version, resp, ruleSet, status string
			unitID                                    sql.NullInt64
		}
		if err := tx.QueryRowContext(ctx, `SELECT case_id, person_id, situation, catalog_version, unit_id, responsibility, rule_set, status FROM decisions WHERE id = $1`, decisionID).
			Scan(&old.caseID, &old.personID, &old.situation, &old.version, &old.unitID, &old.resp, &old.ruleSet, &old.status); err != nil {
			return fmt.Errorf("accountability: read decision: %w", err)
		}
		ts := store.FormatInstant(now)
		var newID sql.NullInt64
		switch in.Outcome {
		case OutcomeRevoked:
			if _, err := tx.ExecContext(ctx, `UPDATE decisions SET status = $1, updated_at = $2 WHERE id = $3`, StatusRevoked, ts, decisionID); err != nil {
				return fmt.Errorf("accountability: revoke: %w", err)
			}
		case OutcomeVaried:
			// The new sanctions are judged under the catalogue version the
			// decision was made under.
			cat, err := s.caseCatalog(ctx, old.version, 0)
			if err != nil {
				return err
			}
			if err := s.validateSanctions("sanctions", in.Sanctions, cat, in.ProbationYears, old.ruleSet, in.DecidedOn, civil.Date{}); err != nil {
				return err
			}
			if err := tx.QueryRowContext(ctx, `INSERT INTO decisions
				(case_id, person_id, situation, catalog_version, unit_id, responsibility, sanctions, decided_on, probation_years,
				 rule_set, note, status, replaces_id, approved_by, created_by, created_at, updated_at)
				VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$14,$15,$15) RETURNING id`,
				old.caseID, old.personID, old.situation, old.version, old.unitID, old.resp, encodeCodes(in.Sanctions), in.DecidedOn,
				in.ProbationYears, old.ruleSet, in.Note, StatusInForce, decisionID, actor, ts).Scan(&newID); err != nil {
				return fmt.Errorf("accountability: varied decision: %w", err)
			}
			if _, err := tx.ExecContext(ctx, `UPDATE decisions SET status = $1, updated_at = $2 WHERE id = $3`, StatusVaried, ts, decisionID); err != nil {
				return fmt.Errorf("accountability: vary: %w", err)
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE appeals SET outcome = $1, outcome_on = $2, new_decision_id = $3, decided_by = $4, updated_at = $5 WHERE id = $6`,
			in.Outcome, in.DecidedOn, newID, actor, ts, appealID); err != nil {
			return fmt.Errorf("accountability: appeal outcome: %w", err)
		}
		data := map[string]any{"appeal_id": appealID, "decision_id": decisionID, "outcome": in.Outcome, "decided_on": in.DecidedOn}
		if newID.Valid {
			data["new_decision_id"] = newID.Int64
			data["sanctions"] = in.Sanctions
		}
		if err := s.caseEvent(ctx, tx, old.caseID, now, actor, docket.AppealOutcome, data); err != nil {
			return err
		}
		return audit.Append(ctx, tx, now, audit.Record{Actor: actor, Action: "appeal.outcome", Subject: fmt.Sprintf("appeal:%d", appealID), Data: data})
	})
	if err != nil {
		return Appeal{}, err
	}
	return s.Appeal(ctx, appealID)
}

const appealColumns = `a.id, a.decision_id, d.person_id, d.case_id, a.filed_on, a.reason, a.decide_by, a.provisional, a.outcome,
	a.outcome_on, a.new_decision_id, a.filed_by, a.decided_by, a.created_at
	FROM appeals a JOIN decisions d ON d.id = a.decision_id`

func (s *Service) queryAppeals(ctx context.Context, q querier, where string, args ...any) ([]Appeal, error) {
	return s.queryAppealsLimit(ctx, q, where, 0, args...)
}

// queryAppealsLimit reads appeals matching where, oldest first; limit > 0
// bounds the answer.
func (s *Service) queryAppealsLimit(ctx context.Context, q querier, where string, limit int, args ...any) ([]Appeal, error) {
	sqlText := `SELECT ` + appealColumns + ` WHERE ` + where + ` ORDER BY a.id`
	if limit > 0 {
		sqlText += fmt.Sprintf(` LIMIT %d`, limit)
	}
	rows, err := q.QueryContext(ctx, sqlText, args...)
	if err != nil {
		return nil, fmt.Errorf("accountability: appeals: %w", err)
	}
	defer rows.Close()
	today := s.Today()
	out := []Appeal{}
	for rows.Next() {
		var a Appeal
		var newID sql.NullInt64
		var created store.Instant
		if err := rows.Scan(&a.ID, &a.DecisionID, &a.PersonID, &a.CaseID, &a.FiledOn, &a.Reason, &a.DecideBy, &a.Provisional, &a.Outcome,
			&a.OutcomeOn, &newID, &a.FiledBy, &a.DecidedBy, &created); err != nil {
			return nil, fmt.Errorf("accountability: scan appeal: %w", err)
		}
		if newID.Valid {
			a.NewDecisionID = &newID.Int64
		}
		a.CreatedAt = created.Time
		a.Overdue = a.Outcome == "" && a.DecideBy.Before(today)
		out = append(out, a)
	}
	return out, rows.Err()
}

// Appeal reads one appeal.
func (s *Service) Appeal(ctx context.Context, id int64) (Appeal, error) {
	as, err := s.queryAppeals(ctx, s.db.Read, `a.id = $1`, id)
	if err != nil {
		return Appeal{}, err
	}
	if len(as) == 0 {
		return Appeal{}, errAppealNotFound
	}
	return as[0], nil
}

// AppealFilter selects appeals.
type AppealFilter struct {
	// Overdue: only appeals past decide_by without an outcome.
	Overdue bool
	// Open: only appeals without an outcome.
	Open bool
	// Limit bounds the answer (default and maximum 1000).
	Limit int
}

// Appeals lists appeals, oldest first; with Overdue, those whose decide_by
// has passed (before today in the office's zone) without an outcome — for
// supervision.
func (s *Service) Appeals(ctx context.Context, f AppealFilter) ([]Appeal, error) {
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 1000
	}
	where, args := `1 = 1`, []any{}
	switch {
	case f.Overdue:
		where, args = `a.outcome = '' AND a.decide_by < $1`, []any{s.Today()}
	case f.Open:
		where = `a.outcome = ''`
	}
	return s.queryAppealsLimit(ctx, s.db.Read, where, f.Limit, args...)
}

// OverdueAppeals lists the appeals past decide_by without an outcome.
func (s *Service) OverdueAppeals(ctx context.Context) ([]Appeal, error) {
	return s.Appeals(ctx, AppealFilter{Overdue: true})
}
