package accountability

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"mashang/internal/access"
	"strings"
	"time"
	"unicode/utf8"

	"mashang/internal/accountability/rules"
	"mashang/internal/audit"
	"mashang/internal/auth"
	"mashang/internal/catalog"
	"mashang/internal/civil"
	"mashang/internal/docket"
	"mashang/internal/office"
	"mashang/internal/problem"
	"mashang/internal/store"
)

// DecisionInput is the body of POST /api/v1/cases/{id}/decisions.
type DecisionInput struct {
	PersonID  int64      `json:"person_id"`
	Situation string     `json:"situation"`
	Sanctions []string   `json:"sanctions"`
	DecidedOn civil.Date `json:"decided_on"`
	// EffectiveOn is when the decision takes effect, if not DecidedOn.
	EffectiveOn    civil.Date `json:"effective_on"`
	ProbationYears int        `json:"probation_years"`
	// RuleSet defaults to the jurisdiction's.
	RuleSet string `json:"rule_set"`
	Note    string `json:"note"`
	// Unit (a unit code) and Responsibility ("leader" 责任领导 or "direct"
	// 直接责任人) are for unit situations (U1–U3): the unit held accountable,
	// by default the person's own, and the person's part in it.
	Unit           string `json:"unit"`
	Responsibility string `json:"responsibility"`
}

// Decision is one stored accountability decision.
type Decision struct {
	ID             int64      `json:"id"`
	CaseID         int64      `json:"case_id"`
	PersonID       int64      `json:"person_id"`
	PersonName     string     `json:"person_name"`
	Situation      string     `json:"situation"`
	Category       string     `json:"category"`
	CatalogVersion string     `json:"catalog_version"`
	Unit           string     `json:"unit,omitempty"`
	Responsibility string     `json:"responsibility,omitempty"`
	Sanctions      []string   `json:"sanctions"`
	DecidedOn      civil.Date `json:"decided_on"`
	EffectiveOn    civil.Date `json:"effective_on"`
	ProbationYears int        `json:"probation_years,omitempty"`
	RuleSet        string     `json:"rule_set"`
	Note           string     `json:"note"`
	// Status is pending, in_force, revoked or varied; only in_force counts.
	Status     string     `json:"status"`
	Counts     bool       `json:"counts"`
	Replaces   *int64     `json:"replaces,omitempty"`
	ReplacedBy *int64     `json:"replaced_by,omitempty"`
	ApprovedBy string     `json:"approved_by,omitempty"`
	ApprovedAt *time.Time `json:"approved_at,omitempty"`
	CreatedBy  string     `json:"created_by"`
	CreatedAt  time.Time  `json:"created_at"`
	Appeals    []Appeal   `json:"appeals"`
}

// rulesDecision is the decision as the rules package sees it.
func (d Decision) rulesDecision() rules.Decision {
	return rules.Decision{
		ID: d.ID, PersonID: d.PersonID, Sanctions: d.Sanctions, DecidedOn: d.DecidedOn,
		EffectiveOn: d.EffectiveOn, ProbationYears: d.ProbationYears, RuleSet: d.RuleSet,
		Revoked: d.Status != StatusInForce,
	}
}

// MaxNoteRunes bounds free texts (notes, appeal reasons).
const MaxNoteRunes = 4000

// validateSanctions checks sanction codes against cat (the catalogue version
// the case is judged under) and the rule set, and the probation years: each
// failure is a 422 naming the field.
func (s *Service) validateSanctions(field string, codes []string, cat *catalog.Catalog, probation int, ruleSet string, decided, effective civil.Date) error {
	if len(codes) == 0 {
		return problem.Required(field)
	}
	rs, ok := s.sets[ruleSet]
	if !ok {
		return problem.Invalid("rule_set", "unknown_rule_set", "未知的规则集 "+ruleSet, "unknown rule set "+ruleSet)
	}
	hasProbation := false
	for _, c := range codes {
		if _, ok := cat.Sanction(c); !ok {
			return problem.Invalid(field, "unknown_sanction", "目录（"+cat.Version+"）中没有处理方式 "+c, "the catalogue ("+cat.Version+") has no sanction "+c)
		}
		if _, ok := rs.Rule(c); !ok {
			return problem.Invalid(field, "sanction_not_in_rule_set", fmt.Sprintf("规则集 %s 没有处理方式 %s 的规则", rs.Code, c), fmt.Sprintf("rule set %s has no rule for sanction %s", rs.Code, c))
		}
		if c == rules.SanctionPartyProbation {
			hasProbation = true
		}
	}
	if hasProbation && probation != 1 && probation != 2 {
		return problem.Invalid("probation_years", "probation_years_required", "留党察看须注明察看期 1 年或 2 年", "party_probation needs probation_years of 1 or 2")
	}
	if !hasProbation && probation != 0 {
		return problem.Invalid("probation_years", "probation_years_unexpected", "只有留党察看才有察看期", "probation_years applies only to party_probation")
	}
	d := rules.Decision{Sanctions: codes, DecidedOn: decided, EffectiveOn: effective, ProbationYears: probation, RuleSet: ruleSet}
	if err := rules.ValidateDecision(d, s.sets); err != nil {
		return problem.Invalid(field, "invalid_decision", "问责决定无效："+err.Error(), "invalid decision: "+err.Error())
	}
	return nil
}

func (s *Service) validateInput(in *DecisionInput, cat *catalog.Catalog) (catalog.Situation, error) {
	in.Situation = strings.TrimSpace(in.Situation)
	in.Note = strings.TrimSpace(in.Note)
	in.Unit = strings.TrimSpace(in.Unit)
	in.Responsibility = strings.TrimSpace(in.Responsibility)
	if in.RuleSet == "" {
		in.RuleSet = s.ruleSet
	}
	if in.PersonID <= 0 {
		return catalog.Situation{}, problem.Required("person_id")
	}
	if in.Situation == "" {
		return catalog.Situation{}, problem.Required("situation")
	}
	sit, ok := cat.Situation(in.Situation)
	if !ok {
		return sit, problem.Invalid("situation", "unknown_situation", "目录（"+cat.Version+"）中没有情形 "+in.Situation,
			"the catalogue ("+cat.Version+") has no situation "+in.Situation)
	}
	if in.DecidedOn.IsZero() {
		return sit, problem.Required("decided_on")
	}
	today := s.Today()
	if err := pastDate("decided_on", in.DecidedOn, today); err != nil {
		return sit, err
	}
	if err := civil.CheckInput("effective_on", in.EffectiveOn, today); err != nil {
		return sit, err
	}
	if !in.EffectiveOn.IsZero() {
		if err := civil.NotBefore("effective_on", in.EffectiveOn, in.DecidedOn, "决定日期", "the decision date"); err != nil {
			return sit, err
		}
	}
	if in.EffectiveOn == in.DecidedOn {
		in.EffectiveOn = civil.Date{}
	}
	seen := map[string]bool{}
	for _, c := range in.Sanctions {
		if seen[c] {
			return sit, problem.Invalid("sanctions", "duplicate_sanction", "处理方式 "+c+" 重复", "sanction "+c+" is listed twice")
		}
		seen[c] = true
	}
	if err := s.validateSanctions("sanctions", in.Sanctions, cat, in.ProbationYears, in.RuleSet, in.DecidedOn, in.EffectiveOn); err != nil {
		return sit, err
	}
	if sit.Subject == catalog.SubjectUnit {
		if in.Responsibility != ResponsibleLeader && in.Responsibility != DirectlyResponsible {
			return sit, problem.Invalid("responsibility", "responsibility_required", "单位情形须注明责任：leader（责任领导）或 direct（直接责任人）", "a unit situation needs responsibility: leader or direct")
		}
	} else if in.Responsibility != "" || in.Unit != "" {
		return sit, problem.Invalid("responsibility", "responsibility_unexpected", "个人情形不需注明单位和责任", "unit and responsibility apply only to unit situations (U1–U3)")
	}
	if utf8.RuneCountInString(in.Note) > MaxNoteRunes {
		return sit, problem.Invalid("note", "too_long", "备注过长", "the note is too long")
	}
	return sit, nil
}

var (
	errCaseNotConcluded = problem.Conflict("case_not_concluded", "案件未经查实办结，不能作出问责决定", "the case is not concluded verified or partly verified")
	errPersonNotNamed   = problem.Conflict("person_not_named", "该人员不在案件查实的人员之中", "the case's conclusion does not name this person")
)

// CreateDecision records a decision on case caseID. The case must be
// concluded (concluded, closed or review) with finding verified or
// partly_verified and name the person among its concluded person_ids
// (case_people), otherwise 409. With the jurisdiction's approval step on,
// the decision is pending until ApproveDecision.
func (s *Service) CreateDecision(ctx context.Context, p auth.Principal, caseID int64, in DecisionInput) (Decision, error) {
	actor := p.Actor()
	// The case's office's rules: its rule set (unless the decision names
	// one) and its approval step, each inherited from the office above.
	rules, err := s.officeRules(ctx, caseID)
	if err != nil {
		return Decision{}, err
	}
	if strings.TrimSpace(in.RuleSet) == "" && rules.RuleSet != "" {
		in.RuleSet = rules.RuleSet
	}
	sit, err := s.validateInput(&in, rules.catalog)
	if err != nil {
		return Decision{}, err
	}
	now := s.clock.Now()
	var id int64
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		var state docket.State
		var finding docket.Finding
		var version string
		var received civil.Date
		var facts access.Facts
		err := tx.QueryRowContext(ctx, `SELECT c.state, c.finding, c.catalog_version, c.received_on, `+access.FactsSQL("c")+` FROM cases c WHERE c.id = $1`, caseID).
			Scan(append([]any{&state, &finding, &version, &received}, facts.Dest()...)...)
		if errors.Is(err, sql.ErrNoRows) || err == nil && !s.pol.On(p, access.CaseRead, facts) {
			return errCaseNotFound
		}
		if err != nil {
			return fmt.Errorf("accountability: read case %d: %w", caseID, err)
		}
		var personUnit int64
		err = tx.QueryRowContext(ctx, `SELECT unit_id FROM people WHERE id = $1`, in.PersonID).Scan(&personUnit)
		if errors.Is(err, sql.ErrNoRows) {
			return problem.Invalid("person_id", "unknown_person", "未找到该人员", "no such person")
		}
		if err != nil {
			return fmt.Errorf("accountability: read person: %w", err)
		}
		if !state.HasConclusion() || !finding.Substantiated() {
			return errCaseNotConcluded
		}
		var named int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM case_people WHERE case_id = $1 AND person_id = $2`, caseID, in.PersonID).Scan(&named); err != nil {
			return fmt.Errorf("accountability: case people: %w", err)
		}
		if named == 0 {
			return errPersonNotNamed
		}
		if err := civil.NotBefore("decided_on", in.DecidedOn, received, "案件收到日期", "the date the case was received"); err != nil {
			return err
		}
		var unitID sql.NullInt64
		if sit.Subject == catalog.SubjectUnit {
			unitID = sql.NullInt64{Int64: personUnit, Valid: true}
			if in.Unit != "" {
				err := tx.QueryRowContext(ctx, `SELECT id FROM units WHERE code = $1`, in.Unit).Scan(&unitID.Int64)
				if errors.Is(err, sql.ErrNoRows) {
					return problem.Invalid("unit", "unknown_unit", "未知单位 "+in.Unit, "unknown unit "+in.Unit)
				}
				if err != nil {
					return fmt.Errorf("accountability: unit: %w", err)
				}
			}
		}
		if version == "" {
			version = rules.catalog.Version
		}
		approval, err := approvalOn(ctx, tx)
		if err != nil {
			return err
		}
		if rules.approvalSet {
			approval = rules.approval
		}
		status := StatusInForce
		if approval {
			status = StatusPending
		}
		ts := store.FormatInstant(now)
		err = tx.QueryRowContext(ctx, `INSERT INTO decisions
			(case_id, person_id, situation, catalog_version, unit_id, responsibility, sanctions, decided_on, effective_on,
			 probation_years, rule_set, note, status, created_by, created_at, updated_at)
			VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$15) RETURNING id`,
			caseID, in.PersonID, in.Situation, version, unitID, in.Responsibility, encodeCodes(in.Sanctions), in.DecidedOn, in.EffectiveOn,
			in.ProbationYears, in.RuleSet, in.Note, status, actor, ts).Scan(&id)
		if err != nil {
			return fmt.Errorf("accountability: insert decision: %w", err)
		}
		data := map[string]any{"decision_id": id, "person_id": in.PersonID, "situation": in.Situation, "sanctions": in.Sanctions,
			"decided_on": in.DecidedOn, "rule_set": in.RuleSet, "status": status}
		if err := s.caseEvent(ctx, tx, caseID, now, actor, docket.Decide, data); err != nil {
			return err
		}
		return audit.Append(ctx, tx, now, audit.Record{Actor: actor, Action: "decision.create", Subject: fmt.Sprintf("decision:%d", id), Data: data})
	})
	if err != nil {
		return Decision{}, err
	}
	return s.Decision(ctx, id)
}

// caseCatalog is the catalogue a case (or decision) is judged under: version,
// the one it keeps, or ("") its office's (officeID 0: none known, the
// default); Catalog without CatalogOf.
func (s *Service) caseCatalog(ctx context.Context, version string, officeID int64) (*catalog.Catalog, error) {
	if s.catalogOf == nil || version == "" && officeID == 0 {
		return s.catalog, nil
	}
	return s.catalogOf(ctx, version, officeID)
}

// caseRules are the rules of a case's office that bear on a decision.
type caseRules struct {
	// catalog is the catalogue the case is judged under: its version, or
	// its office's when it has none.
	catalog     *catalog.Catalog
	RuleSet     string // the office's rule set ("": the server's)
	approval    bool
	approvalSet bool // the office (or one above it) sets the approval step; else the deployment's setting applies
}

// officeRules resolves the rules of case caseID's office (nothing for a
// missing case: the transaction answers 404).
func (s *Service) officeRules(ctx context.Context, caseID int64) (caseRules, error) {
	r := caseRules{catalog: s.catalog}
	var officeID int64
	var version string
	err := s.db.Read.QueryRowContext(ctx, `SELECT office_id, catalog_version FROM cases WHERE id = $1`, caseID).Scan(&officeID, &version)
	if errors.Is(err, sql.ErrNoRows) {
		return r, nil
	}
	if err != nil {
		return r, fmt.Errorf("accountability: office of case %d: %w", caseID, err)
	}
	if r.catalog, err = s.caseCatalog(ctx, version, officeID); err != nil {
		return r, err
	}
	if s.offices == nil {
		return r, nil
	}
	st, err := s.offices.Settings(ctx, officeID)
	if problem.Is(err, problem.KindNotFound) {
		return r, nil
	}
	if err != nil {
		return r, err
	}
	if _, set := st.From[office.RuleSetKey.Name]; set {
		r.RuleSet = st.RuleSet
	}
	_, r.approvalSet = st.From[office.ApprovalKey.Name]
	r.approval = st.DecisionApproval
	return r, nil
}

// caseEvent adds a (staff-only) line to a case's history.
func (s *Service) caseEvent(ctx context.Context, tx *sql.Tx, caseID int64, at time.Time, actor string, action docket.Action, data any) error {
	return s.record.Append(ctx, tx, docket.Event{Case: caseID, At: at, Actor: actor, Action: action, Data: data})
}

func approvalOn(ctx context.Context, q querier) (bool, error) {
	var on bool
	err := q.QueryRowContext(ctx, `SELECT decision_approval FROM accountability_settings WHERE id = 1`).Scan(&on)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("accountability: settings: %w", err)
	}
	return on, nil
}

// Settings are the jurisdiction's accountability settings.
type Settings struct {
	// DecisionApproval: a leader approves each decision before it counts.
	DecisionApproval bool `json:"decision_approval"`
}

// Settings reads the jurisdiction's settings.
func (s *Service) Settings(ctx context.Context) (Settings, error) {
	on, err := approvalOn(ctx, s.db.Read)
	return Settings{DecisionApproval: on}, err
}

// SetSettings changes the settings. Switching approval on or off affects
// decisions recorded afterwards; pending ones still need approving.
func (s *Service) SetSettings(ctx context.Context, p auth.Principal, st Settings) (Settings, error) {
	actor := p.Actor()
	now := s.clock.Now()
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE accountability_settings SET decision_approval = $1, updated_by = $2, updated_at = $3 WHERE id = 1`,
			st.DecisionApproval, actor, store.FormatInstant(now)); err != nil {
			return fmt.Errorf("accountability: settings: %w", err)
		}
		return audit.Append(ctx, tx, now, audit.Record{Actor: actor, Action: "accountability.settings", Subject: "settings:accountability", Data: st})
	})
	return st, err
}

// ApproveDecision makes a pending decision count (the approval step).
// A decision that is not pending is 409.
func (s *Service) ApproveDecision(ctx context.Context, p auth.Principal, id int64) (Decision, error) {
	actor := p.Actor()
	now := s.clock.Now()
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var status string
		var caseID int64
		err := tx.QueryRowContext(ctx, `SELECT status, case_id FROM decisions WHERE id = $1`, id).Scan(&status, &caseID)
		if errors.Is(err, sql.ErrNoRows) {
			return errDecisionNotFound
		}
		if err != nil {
			return fmt.Errorf("accountability: read decision: %w", err)
		}
		if status != StatusPending {
			return problem.Conflict("decision_not_pending", "该决定无需审批或已审批", "the decision is not awaiting approval")
		}
		ts := store.FormatInstant(now)
		if _, err := tx.ExecContext(ctx, `UPDATE decisions SET status = $1, approved_by = $2, approved_at = $3, updated_at = $3 WHERE id = $4`,
			StatusInForce, actor, ts, id); err != nil {
			return fmt.Errorf("accountability: approve: %w", err)
		}
		if err := s.caseEvent(ctx, tx, caseID, now, actor, docket.DecisionApproved, map[string]any{"decision_id": id}); err != nil {
			return err
		}
		return audit.Append(ctx, tx, now, audit.Record{Actor: actor, Action: "decision.approve", Subject: fmt.Sprintf("decision:%d", id)})
	})
	if err != nil {
		return Decision{}, err
	}
	return s.Decision(ctx, id)
}

const decisionColumns = `d.id, d.case_id, d.person_id, p.name, d.situation, d.catalog_version, COALESCE(u.code, ''),
	d.responsibility, d.sanctions, d.decided_on, d.effective_on, d.probation_years, d.rule_set, d.note, d.status,
	d.replaces_id, (SELECT MIN(r.id) FROM decisions r WHERE r.replaces_id = d.id), d.approved_by, d.approved_at, d.created_by, d.created_at
	FROM decisions d JOIN people p ON p.id = d.person_id LEFT JOIN units u ON u.id = d.unit_id`

func (s *Service) scanDecision(sc interface{ Scan(...any) error }) (Decision, error) {
	var d Decision
	var sanctions string
	var replaces, replacedBy sql.NullInt64
	var approvedAt, createdAt store.Instant
	if err := sc.Scan(&d.ID, &d.CaseID, &d.PersonID, &d.PersonName, &d.Situation, &d.CatalogVersion, &d.Unit,
		&d.Responsibility, &sanctions, &d.DecidedOn, &d.EffectiveOn, &d.ProbationYears, &d.RuleSet, &d.Note, &d.Status,
		&replaces, &replacedBy, &d.ApprovedBy, &approvedAt, &d.CreatedBy, &createdAt); err != nil {
		return d, err
	}
	var err error
	if d.Sanctions, err = decodeCodes(sanctions); err != nil {
		return d, err
	}
	if d.EffectiveOn.IsZero() {
		d.EffectiveOn = d.DecidedOn
	}
	if replaces.Valid {
		d.Replaces = &replaces.Int64
	}
	if replacedBy.Valid {
		d.ReplacedBy = &replacedBy.Int64
	}
	if !approvedAt.IsZero() {
		t := approvedAt.Time
		d.ApprovedAt = &t
	}
	d.CreatedAt = createdAt.Time
	d.Counts = d.Status == StatusInForce
	d.Appeals = []Appeal{}
	return d, nil
}

func (s *Service) queryDecisions(ctx context.Context, q querier, where string, args ...any) ([]Decision, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+decisionColumns+` WHERE `+where+` ORDER BY d.decided_on, d.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("accountability: decisions: %w", err)
	}
	defer rows.Close()
	out := []Decision{}
	idx := map[int64]int{}
	for rows.Next() {
		d, err := s.scanDecision(rows)
		if err != nil {
			return nil, fmt.Errorf("accountability: scan decision: %w", err)
		}
		idx[d.ID] = len(out)
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	// Each decision's category, in the catalogue version it was made under
	// (the default's where that version is not to be had), each version
	// looked up once.
	cats := map[string]*catalog.Catalog{}
	for i := range out {
		cat, ok := cats[out[i].CatalogVersion]
		if !ok {
			var err error
			if cat, err = s.caseCatalog(ctx, out[i].CatalogVersion, 0); err != nil {
				cat = s.catalog
			}
			cats[out[i].CatalogVersion] = cat
		}
		if sit, ok := cat.Situation(out[i].Situation); ok {
			out[i].Category = sit.Category
		}
	}
	if len(out) == 0 {
		return out, nil
	}
	ids := make([]any, 0, len(out))
	for _, d := range out {
		ids = append(ids, d.ID)
	}
	appeals, err := s.queryAppeals(ctx, q, `a.decision_id IN (`+placeholders(1, len(ids))+`)`, ids...)
	if err != nil {
		return nil, err
	}
	for _, a := range appeals {
		i := idx[a.DecisionID]
		out[i].Appeals = append(out[i].Appeals, a)
	}
	return out, nil
}

// Decision reads one decision with its appeals.
func (s *Service) Decision(ctx context.Context, id int64) (Decision, error) {
	ds, err := s.queryDecisions(ctx, s.db.Read, `d.id = $1`, id)
	if err != nil {
		return Decision{}, err
	}
	if len(ds) == 0 {
		return Decision{}, errDecisionNotFound
	}
	return ds[0], nil
}

// DecisionsForCase lists a case's decisions, every status, oldest first,
// each with its appeals: the "decisions" of GET /api/v1/cases/{id}.
func (s *Service) DecisionsForCase(ctx context.Context, caseID int64) ([]Decision, error) {
	return s.queryDecisions(ctx, s.db.Read, `d.case_id = $1`, caseID)
}

// DecisionsForPerson lists a person's decisions, every status, oldest first.
func (s *Service) DecisionsForPerson(ctx context.Context, personID int64) ([]Decision, error) {
	return s.queryDecisions(ctx, s.db.Read, `d.person_id = $1`, personID)
}
