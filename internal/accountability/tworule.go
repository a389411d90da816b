package accountability

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"mashang/internal/accountability/rules"
	"mashang/internal/audit"
	"mashang/internal/civil"
	"mashang/internal/docket"
	"mashang/internal/problem"
	"mashang/internal/receipt"
	"mashang/internal/store"
)

// RuleActor is the audit actor of the two-complaints rule.
const RuleActor = "system:rule"

type complaintCase struct {
	id                           int64
	state                        docket.State
	finding                      docket.Finding
	channel                      docket.Channel
	situation, category, version string
	received                     civil.Date
}

func (c complaintCase) category1() string {
	if c.category != "" {
		return c.category
	}
	if i := strings.IndexByte(c.situation, '.'); i > 0 {
		return c.situation[:i]
	}
	return c.situation
}

// counts reports whether the case counts towards the rule: concluded
// verified or partly verified (查实, in whole or in part), situation in P1,
// not itself a rule case.
func (c complaintCase) counts() bool {
	return c.state.HasConclusion() && c.finding.Substantiated() && c.channel != docket.Rule &&
		c.category1() == rules.TwoComplaintsCategory
}

// OnConcluded applies the two-complaints rule to case caseID inside the
// transaction of its conclude action (cases.Service.OnConcluded hook). For
// every person the conclusion names (case_people), when this case and
// another case naming them both count (P1, verified or partly verified, not
// a rule case) and their received dates are less than one year apart
// (rules.WithinOneYear), it opens a case on channel "rule" against the
// person linking both — once per pair and person, ever (rule_case_links).
// A revised conclusion re-evaluates: a pair it no longer supports is marked
// withdrawn (with a note on the rule case), and restored if a later revision
// supports it again; no second rule case is opened.
func (s *Service) OnConcluded(ctx context.Context, tx *sql.Tx, caseID int64) error {
	var c complaintCase
	c.id = caseID
	err := tx.QueryRowContext(ctx, `SELECT state, finding, channel, situation, category, catalog_version, received_on FROM cases WHERE id = $1`, caseID).
		Scan(&c.state, &c.finding, &c.channel, &c.situation, &c.category, &c.version, &c.received)
	if err != nil {
		return fmt.Errorf("accountability: two-complaints rule: read case %d: %w", caseID, err)
	}
	valid := map[linkKey]bool{}
	if c.counts() {
		people, err := casePeople(ctx, tx, caseID)
		if err != nil {
			return err
		}
		for _, pid := range people {
			others, err := s.otherComplaints(ctx, tx, pid, c)
			if err != nil {
				return err
			}
			vcs := []rules.VerifiedComplaint{{CaseID: c.id, PersonID: pid, Category: c.category1(), Received: c.received}}
			for _, o := range others {
				vcs = append(vcs, rules.VerifiedComplaint{CaseID: o.id, PersonID: pid, Category: o.category1(), Received: o.received})
			}
			for _, p := range rules.FindPairs(vcs) {
				if p.First != caseID && p.Second != caseID {
					continue
				}
				valid[linkKey{p.PersonID, p.First, p.Second}] = true
				if err := s.ensureRuleCase(ctx, tx, p, c); err != nil {
					return err
				}
			}
		}
	}
	return s.reconcileLinks(ctx, tx, caseID, valid)
}

type linkKey struct{ person, first, second int64 }

func casePeople(ctx context.Context, tx *sql.Tx, caseID int64) ([]int64, error) {
	rows, err := tx.QueryContext(ctx, `SELECT person_id FROM case_people WHERE case_id = $1 ORDER BY person_id`, caseID)
	if err != nil {
		return nil, fmt.Errorf("accountability: case people: %w", err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// otherComplaints reads the other counting cases naming the person whose
// received dates lie within a year either side of c's.
func (s *Service) otherComplaints(ctx context.Context, tx *sql.Tx, personID int64, c complaintCase) ([]complaintCase, error) {
	rows, err := tx.QueryContext(ctx, `SELECT c.id, c.state, c.finding, c.channel, c.situation, c.category, c.received_on
		FROM cases c JOIN case_people cp ON cp.case_id = c.id
		WHERE cp.person_id = $1 AND c.id <> $2 AND c.finding IN ($3, $4) AND c.state IN ($5, $6, $7) AND c.channel <> $8
		  AND c.received_on >= $9 AND c.received_on <= $10
		ORDER BY c.id`,
		personID, c.id, docket.Verified, docket.PartlyVerified, docket.Concluded, docket.Closed, docket.Review, docket.Rule,
		c.received.AddYears(-1).String(), c.received.AddYears(1).String())
	if err != nil {
		return nil, fmt.Errorf("accountability: person's complaints: %w", err)
	}
	defer rows.Close()
	var out []complaintCase
	for rows.Next() {
		var o complaintCase
		if err := rows.Scan(&o.id, &o.state, &o.finding, &o.channel, &o.situation, &o.category, &o.received); err != nil {
			return nil, err
		}
		if o.counts() {
			out = append(out, o)
		}
	}
	return out, rows.Err()
}

// ensureRuleCase opens the rule case for pair p unless one exists.
func (s *Service) ensureRuleCase(ctx context.Context, tx *sql.Tx, p rules.Pair, c complaintCase) error {
	var ruleCase int64
	var withdrawn sql.NullString
	err := tx.QueryRowContext(ctx, `SELECT rule_case_id, withdrawn_at FROM rule_case_links WHERE first_case_id = $1 AND second_case_id = $2 AND person_id = $3`,
		p.First, p.Second, p.PersonID).Scan(&ruleCase, &withdrawn)
	now := s.clock.Now()
	ts := store.FormatInstant(now)
	switch {
	case err == nil:
		if withdrawn.Valid {
			if _, err := tx.ExecContext(ctx, `UPDATE rule_case_links SET withdrawn_at = NULL WHERE first_case_id = $1 AND second_case_id = $2 AND person_id = $3`,
				p.First, p.Second, p.PersonID); err != nil {
				return fmt.Errorf("accountability: restore rule link: %w", err)
			}
			data := map[string]any{"first_case_id": p.First, "second_case_id": p.Second, "person_id": p.PersonID}
			if err := s.caseEvent(ctx, tx, ruleCase, now, RuleActor, docket.RuleBasisRestored, data); err != nil {
				return err
			}
			return audit.Append(ctx, tx, now, audit.Record{Actor: RuleActor, Action: "rule_case.restore", Subject: fmt.Sprintf("case:%d", ruleCase), Data: data})
		}
		return nil
	case !errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("accountability: rule link: %w", err)
	}
	var unitID sql.NullInt64
	var unitPath string
	if err := tx.QueryRowContext(ctx, `SELECT pe.unit_id, COALESCE(u.path, '') FROM people pe LEFT JOIN units u ON u.id = pe.unit_id WHERE pe.id = $1`,
		p.PersonID).Scan(&unitID, &unitPath); err != nil {
		return fmt.Errorf("accountability: rule case person: %w", err)
	}
	// The rule case belongs to the office of the person's unit, else to
	// the office of the case that completes the pair.
	var officeID int64
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(office_id, 0) FROM cases WHERE id = $1`, p.Second).Scan(&officeID); err != nil {
		return fmt.Errorf("accountability: rule case office: %w", err)
	}
	limits := s.limits
	cal := s.calendar()
	if s.offices != nil {
		t, err := s.offices.Tree(ctx)
		if err != nil {
			return err
		}
		officeID = t.Of(unitPath, officeID).ID
		st, err := s.offices.Settings(ctx, officeID)
		if err != nil {
			return err
		}
		limits = st.Limits
		if cal, err = s.officeCalendar(ctx, officeID); err != nil {
			return err
		}
	}
	code, err := receipt.NewCode(rand.Reader)
	if err != nil {
		return fmt.Errorf("accountability: draw receipt: %w", err)
	}
	key, err := receipt.NewKey(rand.Reader)
	if err != nil {
		return fmt.Errorf("accountability: draw key: %w", err)
	}
	today := s.Today()
	acceptBy, prov := cal.Due(today, limits.Accept)
	content := fmt.Sprintf("根据“一年内被服务对象投诉两次并经组织查实”规则（%s）自动立案：案件 #%d 与 #%d 均经查实，涉及同一人员，受理日期相距不足一年。",
		rules.TwoComplaintsCategory+" 消极应付", p.First, p.Second)
	situation := c.situation
	if !strings.HasPrefix(situation, rules.TwoComplaintsCategory+".") {
		situation = ""
	}
	version := c.version
	if version == "" {
		cat, err := s.caseCatalog(ctx, "", officeID)
		if err != nil {
			return err
		}
		version = cat.Version
	}
	ruleCase, err = s.record.Insert(ctx, tx, docket.NewCase{Receipt: code, KeyHash: receipt.HashKey(code, key), Channel: docket.Rule,
		ReceivedAt: now, ReceivedOn: today, Content: content, Situation: situation, Category: rules.TwoComplaintsCategory,
		CatalogVersion: version, UnitID: unitID.Int64, PersonID: p.PersonID, Anonymous: true, AcceptBy: acceptBy, Provisional: prov,
		CreatedBy: RuleActor, OfficeID: officeID, Limits: limits, CalendarDays: cal.Local(), Now: now})
	if err != nil {
		return fmt.Errorf("accountability: rule case: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO rule_case_links (rule_case_id, first_case_id, second_case_id, person_id, created_at) VALUES ($1,$2,$3,$4,$5)`,
		ruleCase, p.First, p.Second, p.PersonID, ts); err != nil {
		if store.IsUniqueViolation(err) { // a concurrent conclusion of the other case opened it first
			return problem.Conflict("rule_case_race", "另一案件同时办结，请重试", "another case was concluded at the same moment; please retry").Wrap(err)
		}
		return fmt.Errorf("accountability: rule link: %w", err)
	}
	data := map[string]any{"rule_case_id": ruleCase, "first_case_id": p.First, "second_case_id": p.Second, "person_id": p.PersonID}
	for _, id := range []int64{p.First, p.Second} {
		if err := s.caseEvent(ctx, tx, id, now, RuleActor, docket.RuleCaseOpened, data); err != nil {
			return err
		}
	}
	return audit.Append(ctx, tx, now, audit.Record{Actor: RuleActor, Action: "case.register", Subject: fmt.Sprintf("case:%d", ruleCase),
		Data: map[string]any{"receipt": code, "channel": docket.Rule, "rule": "two_complaints", "first_case_id": p.First, "second_case_id": p.Second, "person_id": p.PersonID}})
}

// reconcileLinks marks withdrawn the links of caseID that its current
// conclusion no longer supports.
func (s *Service) reconcileLinks(ctx context.Context, tx *sql.Tx, caseID int64, valid map[linkKey]bool) error {
	rows, err := tx.QueryContext(ctx, `SELECT rule_case_id, first_case_id, second_case_id, person_id FROM rule_case_links
		WHERE (first_case_id = $1 OR second_case_id = $1) AND withdrawn_at IS NULL`, caseID)
	if err != nil {
		return fmt.Errorf("accountability: rule links: %w", err)
	}
	type link struct {
		rule int64
		key  linkKey
	}
	var stale []link
	for rows.Next() {
		var l link
		if err := rows.Scan(&l.rule, &l.key.first, &l.key.second, &l.key.person); err != nil {
			rows.Close()
			return err
		}
		if !valid[l.key] {
			stale = append(stale, l)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	now := s.clock.Now()
	for _, l := range stale {
		if _, err := tx.ExecContext(ctx, `UPDATE rule_case_links SET withdrawn_at = $1 WHERE first_case_id = $2 AND second_case_id = $3 AND person_id = $4`,
			store.FormatInstant(now), l.key.first, l.key.second, l.key.person); err != nil {
			return fmt.Errorf("accountability: withdraw rule link: %w", err)
		}
		data := map[string]any{"first_case_id": l.key.first, "second_case_id": l.key.second, "person_id": l.key.person, "revised_case_id": caseID,
			"zh": fmt.Sprintf("案件 #%d 的办理结论已变更，本案的立案依据不再成立", caseID),
			"en": fmt.Sprintf("the conclusion of case #%d was revised; this case's basis no longer holds", caseID)}
		if err := s.caseEvent(ctx, tx, l.rule, now, RuleActor, docket.RuleBasisWithdrawn, data); err != nil {
			return err
		}
		if err := audit.Append(ctx, tx, now, audit.Record{Actor: RuleActor, Action: "rule_case.withdraw", Subject: fmt.Sprintf("case:%d", l.rule), Data: data}); err != nil {
			return err
		}
	}
	return nil
}
