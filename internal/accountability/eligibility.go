package accountability

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"mashang/internal/access"
	"mashang/internal/auth"
	"slices"
	"strconv"
	"strings"

	"mashang/internal/accountability/rules"
	"mashang/internal/civil"
	"mashang/internal/problem"
)

// MaxBatch is the most people one batch eligibility check takes.
const MaxBatch = 1000

// loadRulesDecisions reads the in-force decisions of the given people in one
// query, grouped by person.
func (s *Service) loadRulesDecisions(ctx context.Context, q querier, personIDs []int64) (map[int64][]rules.Decision, error) {
	out := make(map[int64][]rules.Decision, len(personIDs))
	if len(personIDs) == 0 {
		return out, nil
	}
	args := make([]any, 0, len(personIDs)+1)
	args = append(args, StatusInForce)
	for _, id := range personIDs {
		args = append(args, id)
	}
	sqlText := `SELECT id, person_id, sanctions, decided_on, effective_on, probation_years, rule_set
		FROM decisions WHERE status = $1 AND person_id `
	if len(personIDs) == 1 {
		sqlText += `= $2`
	} else {
		sqlText += `IN (` + placeholders(2, len(personIDs)) + `)`
	}
	rows, err := q.QueryContext(ctx, sqlText, args...)
	if err != nil {
		return nil, fmt.Errorf("accountability: read decisions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var d rules.Decision
		var sanctions string
		if err := rows.Scan(&d.ID, &d.PersonID, &sanctions, &d.DecidedOn, &d.EffectiveOn, &d.ProbationYears, &d.RuleSet); err != nil {
			return nil, fmt.Errorf("accountability: scan decision: %w", err)
		}
		if d.Sanctions, err = decodeCodes(sanctions); err != nil {
			return nil, err
		}
		out[d.PersonID] = append(out[d.PersonID], d)
	}
	return out, rows.Err()
}

// Eligibility answers whether person personID may be promoted on date on and
// rated excellent in on's year (GET /api/v1/people/{id}/eligibility). Only
// decisions in force count (not pending, revoked or varied ones; the
// decision replacing a varied one counts from its own date). An unknown
// person is 404; a zero on means today.
func (s *Service) Eligibility(ctx context.Context, personID int64, on civil.Date) (rules.Result, error) {
	if on.IsZero() {
		on = s.Today()
	}
	var one int
	err := s.db.Read.QueryRowContext(ctx, `SELECT 1 FROM people WHERE id = $1`, personID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return rules.Result{}, errPersonNotFound
	}
	if err != nil {
		return rules.Result{}, fmt.Errorf("accountability: read person: %w", err)
	}
	ds, err := s.loadRulesDecisions(ctx, s.db.Read, []int64{personID})
	if err != nil {
		return rules.Result{}, err
	}
	res, err := rules.Eligibility(on, ds[personID], s.sets)
	if err != nil {
		return res, fmt.Errorf("accountability: eligibility of person %d: %w", personID, err)
	}
	return res, nil
}

// BatchResult is one person's answer in a batch check.
type BatchResult struct {
	PersonID int64  `json:"person_id"`
	Name     string `json:"name"`
	Unit     string `json:"unit"`
	rules.Result
}

// BatchEligibility answers Eligibility for up to MaxBatch people at once
// (the organisation department's pre-promotion check), in the order given,
// repeats removed, reading all their decisions in one query. More than
// MaxBatch ids, none, or ids of unknown people are 422.
func (s *Service) BatchEligibility(ctx context.Context, on civil.Date, personIDs []int64) ([]BatchResult, error) {
	if on.IsZero() {
		on = s.Today()
	}
	if len(personIDs) == 0 {
		return nil, problem.Required("person_ids")
	}
	if len(personIDs) > MaxBatch {
		return nil, problem.Invalid("person_ids", "too_many_people", fmt.Sprintf("一次最多查询 %d 人", MaxBatch), fmt.Sprintf("at most %d people per check", MaxBatch))
	}
	ids := make([]int64, 0, len(personIDs))
	seen := make(map[int64]bool, len(personIDs))
	for _, id := range personIDs {
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := s.db.Read.QueryContext(ctx, `SELECT p.id, p.name, u.code FROM people p JOIN units u ON u.id = p.unit_id WHERE p.id IN (`+placeholders(1, len(ids))+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("accountability: read people: %w", err)
	}
	type person struct{ name, unit string }
	people := make(map[int64]person, len(ids))
	for rows.Next() {
		var id int64
		var p person
		if err := rows.Scan(&id, &p.name, &p.unit); err != nil {
			rows.Close()
			return nil, fmt.Errorf("accountability: scan person: %w", err)
		}
		people[id] = p
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var unknown []string
	for _, id := range ids {
		if _, ok := people[id]; !ok {
			unknown = append(unknown, strconv.FormatInt(id, 10))
		}
	}
	if len(unknown) > 0 {
		list := strings.Join(unknown[:min(len(unknown), 20)], ", ")
		return nil, problem.Invalid("person_ids", "unknown_person", "未找到这些人员："+list, "no such people: "+list)
	}
	ds, err := s.loadRulesDecisions(ctx, s.db.Read, ids)
	if err != nil {
		return nil, err
	}
	out := make([]BatchResult, 0, len(ids))
	for _, id := range ids {
		res, err := rules.Eligibility(on, ds[id], s.sets)
		if err != nil {
			return nil, fmt.Errorf("accountability: eligibility of person %d: %w", id, err)
		}
		p := people[id]
		out = append(out, BatchResult{PersonID: id, Name: p.name, Unit: p.unit, Result: res})
	}
	return out, nil
}

// RecordCase is one case naming a person, in the person's record.
type RecordCase struct {
	ID         int64      `json:"id"`
	State      string     `json:"state"`
	Channel    string     `json:"channel"`
	ReceivedOn civil.Date `json:"received_on"`
	Situation  string     `json:"situation"`
	Category   string     `json:"category"`
	Finding    string     `json:"finding"`
	// Named: the case names the person at registration (cases.person_id);
	// Concluded: its conclusion names the person (case_people).
	Named     bool `json:"named"`
	Concluded bool `json:"concluded"`
}

// RuleLink is a case the two-complaints rule opened, and its pair.
type RuleLink struct {
	RuleCaseID   int64 `json:"rule_case_id"`
	FirstCaseID  int64 `json:"first_case_id"`
	SecondCaseID int64 `json:"second_case_id"`
}

// PersonRecord is GET /api/v1/people/{id}/record.
type PersonRecord struct {
	Person struct {
		ID       int64  `json:"id"`
		Name     string `json:"name"`
		Unit     string `json:"unit"`
		UnitName string `json:"unit_name"`
		Position string `json:"position"`
	} `json:"person"`
	Cases     []RecordCase `json:"cases"`
	Decisions []Decision   `json:"decisions"`
	Appeals   []Appeal     `json:"appeals"`
	RuleCases []RuleLink   `json:"rule_cases"`
	// Bars is the eligibility today: the bars in force.
	Bars rules.Result `json:"bars"`
}

// Record gathers everything about a person for the organisation
// department: every case naming them, with its finding, their decisions
// with appeals, the rule cases opened against them and the bars in force
// today. An unknown person is 404. The cases are those p may read
// (access.CaseRead: never a covert plan's case for those who may not see it).
func (s *Service) Record(ctx context.Context, p auth.Principal, personID int64) (PersonRecord, error) {
	var r PersonRecord
	err := s.db.Read.QueryRowContext(ctx, `SELECT p.id, p.name, u.code, u.name, p.position FROM people p JOIN units u ON u.id = p.unit_id WHERE p.id = $1`, personID).
		Scan(&r.Person.ID, &r.Person.Name, &r.Person.Unit, &r.Person.UnitName, &r.Person.Position)
	if errors.Is(err, sql.ErrNoRows) {
		return r, errPersonNotFound
	}
	if err != nil {
		return r, fmt.Errorf("accountability: read person: %w", err)
	}
	args := []any{personID}
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	rows, err := s.db.Read.QueryContext(ctx, `SELECT c.id, c.state, c.channel, c.received_on, c.situation, c.category, c.finding,
			c.person_id IS NOT NULL AND c.person_id = $1,
			EXISTS (SELECT 1 FROM case_people cp WHERE cp.case_id = c.id AND cp.person_id = $1)
		FROM cases c
		WHERE (c.person_id = $1 OR c.id IN (SELECT case_id FROM case_people WHERE person_id = $1)) AND `+s.pol.Cases(p, access.CaseRead).SQL("c", arg)+`
		ORDER BY c.received_on, c.id`, args...)
	if err != nil {
		return r, fmt.Errorf("accountability: person's cases: %w", err)
	}
	r.Cases = []RecordCase{}
	for rows.Next() {
		var c RecordCase
		if err := rows.Scan(&c.ID, &c.State, &c.Channel, &c.ReceivedOn, &c.Situation, &c.Category, &c.Finding, &c.Named, &c.Concluded); err != nil {
			rows.Close()
			return r, fmt.Errorf("accountability: scan case: %w", err)
		}
		r.Cases = append(r.Cases, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return r, err
	}
	if r.Decisions, err = s.DecisionsForPerson(ctx, personID); err != nil {
		return r, err
	}
	r.Appeals = []Appeal{}
	for _, d := range r.Decisions {
		r.Appeals = append(r.Appeals, d.Appeals...)
	}
	slices.SortFunc(r.Appeals, func(a, b Appeal) int { return int(a.ID - b.ID) })
	if r.RuleCases, err = s.RuleCasesFor(ctx, personID); err != nil {
		return r, err
	}
	if r.Bars, err = s.Eligibility(ctx, personID, s.Today()); err != nil {
		return r, err
	}
	return r, nil
}

// RuleCasesFor lists the cases the two-complaints rule opened against a person.
func (s *Service) RuleCasesFor(ctx context.Context, personID int64) ([]RuleLink, error) {
	rows, err := s.db.Read.QueryContext(ctx, `SELECT rule_case_id, first_case_id, second_case_id FROM rule_case_links WHERE person_id = $1 ORDER BY rule_case_id`, personID)
	if err != nil {
		return nil, fmt.Errorf("accountability: rule cases: %w", err)
	}
	defer rows.Close()
	out := []RuleLink{}
	for rows.Next() {
		var l RuleLink
		if err := rows.Scan(&l.RuleCaseID, &l.FirstCaseID, &l.SecondCaseID); err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, rows.Err()
}
