package accountability_test

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"mashang/internal/access"
	"mashang/internal/accountability"
	"mashang/internal/auth"
	"mashang/internal/calendar"
	"mashang/internal/catalog"
	"mashang/internal/civil"
	"mashang/internal/clock"
	"mashang/internal/docket"
	"mashang/internal/problem"
	"mashang/internal/store"
	"mashang/internal/store/storetest"
)

// now is the test clock: Monday 2026-03-02 09:00 in Shanghai.
var now = time.Date(2026, 3, 2, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))

type fixture struct {
	t    testing.TB
	db   *store.DB
	svc  *accountability.Service
	unit int64
	n    int
}

func newService(t testing.TB, db *store.DB) *accountability.Service {
	t.Helper()
	cat, err := catalog.Load()
	if err != nil {
		t.Fatal(err)
	}
	sets, err := catalog.RuleSets()
	if err != nil {
		t.Fatal(err)
	}
	years, err := calendar.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	cal := calendar.New(years...)
	loc, _ := time.LoadLocation("Asia/Shanghai")
	return accountability.New(accountability.Options{DB: db, Record: docket.New(context.Background(), db), Policy: access.Default(), Clock: clock.NewFixed(now), Loc: loc, Catalog: cat, RuleSets: sets,
		Limits: calendar.DefaultLimits(), Calendar: func() *calendar.Calendar { return cal }, Log: storetest.Quiet()})
}

func newFixture(t testing.TB, db *store.DB) *fixture {
	t.Helper()
	f := &fixture{t: t, db: db, svc: newService(t, db)}
	f.exec(`INSERT INTO units (code, name, path, created_at, updated_at) VALUES ('county', '闽清县', '/1/', 'x', 'x')`)
	f.unit = f.id(`SELECT id FROM units WHERE code = 'county'`)
	return f
}

func (f *fixture) exec(q string, args ...any) {
	f.t.Helper()
	if _, err := f.db.Write.ExecContext(context.Background(), q, args...); err != nil {
		f.t.Fatalf("%s: %v", q, err)
	}
}

func (f *fixture) id(q string, args ...any) int64 {
	f.t.Helper()
	var id int64
	if err := f.db.Write.QueryRowContext(context.Background(), q, args...).Scan(&id); err != nil {
		f.t.Fatalf("%s: %v", q, err)
	}
	return id
}

func (f *fixture) person(name string) int64 {
	f.t.Helper()
	return f.id(`INSERT INTO people (name, unit_id, created_at, updated_at) VALUES ($1, $2, 'x', 'x') RETURNING id`, name, f.unit)
}

// caseFor inserts a case in state with finding, naming people in case_people.
func (f *fixture) caseFor(state, finding, situation string, received civil.Date, people ...int64) int64 {
	f.t.Helper()
	f.n++
	cat := ""
	if len(situation) >= 2 {
		cat = situation[:2]
	}
	id := f.id(`INSERT INTO cases (receipt, key_hash, channel, state, received_at, received_on, content, situation, category, catalog_version, finding, updated_at)
		VALUES ($1, $2, 'web', $3, $4, $5, 'test', $6, $7, 'fuzhou-2015', $8, 'x') RETURNING id`,
		fmt.Sprintf("T%06d", f.n), []byte{1}, state, received.String()+"T01:00:00.000000Z", received.String(), situation, cat, finding)
	for _, p := range people {
		f.exec(`INSERT INTO case_people (case_id, person_id) VALUES ($1, $2)`, id, p)
	}
	return id
}

func wantKind(t *testing.T, err error, k problem.Kind, code string) {
	t.Helper()
	pe, ok := problem.As(err)
	if !ok || pe.Kind != k || (code != "" && pe.Code != code) {
		t.Fatalf("error %v, want kind %v code %q", err, k, code)
	}
}

var d = civil.MustParse

func TestDecisions(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		wang, li := f.person("王某"), f.person("李某")
		done := f.caseFor("concluded", "verified", "P1.2", d("2025-05-06"), wang)
		open := f.caseFor("investigating", "", "P1.2", d("2025-05-06"), wang)
		unfounded := f.caseFor("closed", "unfounded", "P1.2", d("2025-05-06"), wang)
		ok := accountability.DecisionInput{PersonID: wang, Situation: "P1.2", Sanctions: []string{"demotion"}, DecidedOn: d("2025-06-02")}

		bad := []struct {
			name   string
			caseID int64
			mut    func(*accountability.DecisionInput)
			kind   problem.Kind
			code   string
		}{
			{"not concluded", open, nil, problem.KindConflict, "case_not_concluded"},
			{"unfounded", unfounded, nil, problem.KindConflict, "case_not_concluded"},
			{"person not named", done, func(in *accountability.DecisionInput) { in.PersonID = li }, problem.KindConflict, "person_not_named"},
			{"unknown person", done, func(in *accountability.DecisionInput) { in.PersonID = 9999 }, problem.KindInvalid, "unknown_person"},
			{"unknown case", 9999, nil, problem.KindNotFound, ""},
			{"unknown sanction", done, func(in *accountability.DecisionInput) { in.Sanctions = []string{"flogging"} }, problem.KindInvalid, "unknown_sanction"},
			{"no sanction", done, func(in *accountability.DecisionInput) { in.Sanctions = nil }, problem.KindInvalid, "required"},
			{"repeated sanction", done, func(in *accountability.DecisionInput) { in.Sanctions = []string{"demotion", "demotion"} }, problem.KindInvalid, "duplicate_sanction"},
			{"unknown situation", done, func(in *accountability.DecisionInput) { in.Situation = "P9.9" }, problem.KindInvalid, "unknown_situation"},
			{"future", done, func(in *accountability.DecisionInput) { in.DecidedOn = d("2026-03-03") }, problem.KindInvalid, "invalid_date"},
			{"effective before decided", done, func(in *accountability.DecisionInput) { in.EffectiveOn = d("2025-06-01") }, problem.KindInvalid, "invalid_date"},
			{"probation without years", done, func(in *accountability.DecisionInput) { in.Sanctions = []string{"party_probation"} }, problem.KindInvalid, "probation_years_required"},
			{"probation of 3 years", done, func(in *accountability.DecisionInput) {
				in.Sanctions, in.ProbationYears = []string{"party_probation"}, 3
			}, problem.KindInvalid, "probation_years_required"},
			{"unknown rule set", done, func(in *accountability.DecisionInput) { in.RuleSet = "mars-2099" }, problem.KindInvalid, "unknown_rule_set"},
			{"unit situation without responsibility", done, func(in *accountability.DecisionInput) { in.Situation = "U2.1" }, problem.KindInvalid, "responsibility_required"},
			{"responsibility on a person situation", done, func(in *accountability.DecisionInput) { in.Responsibility = "leader" }, problem.KindInvalid, "responsibility_unexpected"},
		}
		for _, b := range bad {
			in := ok
			in.Sanctions = append([]string(nil), ok.Sanctions...)
			if b.mut != nil {
				b.mut(&in)
			}
			_, err := f.svc.CreateDecision(ctx, auth.System("user:dir"), b.caseID, in)
			if err == nil {
				t.Fatalf("%s: no error", b.name)
			}
			wantKind(t, err, b.kind, b.code)
		}

		dec, err := f.svc.CreateDecision(ctx, auth.System("user:dir"), done, ok)
		if err != nil {
			t.Fatal(err)
		}
		if dec.Status != accountability.StatusInForce || !dec.Counts || dec.RuleSet != "fuzhou-2015" || dec.CatalogVersion != "fuzhou-2015" || dec.Category != "P1" {
			t.Fatalf("decision %+v", dec)
		}
		unitDec, err := f.svc.CreateDecision(ctx, auth.System("user:dir"), done, accountability.DecisionInput{PersonID: wang, Situation: "U2.1", Sanctions: []string{"party_probation"},
			ProbationYears: 2, DecidedOn: d("2025-06-02"), RuleSet: "national-2019", Responsibility: accountability.ResponsibleLeader})
		if err != nil {
			t.Fatal(err)
		}
		if unitDec.Unit != "county" || unitDec.Responsibility != "leader" || unitDec.RuleSet != "national-2019" || unitDec.ProbationYears != 2 {
			t.Fatalf("unit decision %+v", unitDec)
		}
		list, err := f.svc.DecisionsForCase(ctx, done)
		if err != nil || len(list) != 2 || list[0].ID != dec.ID {
			t.Fatalf("decisions for case: %v %+v", err, list)
		}
		// demotion from 2025-06-02 bars until 2027-06-02; probation 2+2 years until 2029-06-02.
		res, err := f.svc.Eligibility(ctx, wang, d("2026-03-02"))
		if err != nil {
			t.Fatal(err)
		}
		if res.Promotion.Eligible || res.Promotion.Until == nil || *res.Promotion.Until != d("2029-06-02") || len(res.Promotion.Reasons) != 2 {
			t.Fatalf("eligibility %+v", res)
		}
		if _, err := f.svc.Eligibility(ctx, 9999, d("2026-03-02")); err == nil {
			t.Fatal("unknown person answered")
		} else {
			wantKind(t, err, problem.KindNotFound, "")
		}
	})
}

func TestApproval(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		wang := f.person("王某")
		c := f.caseFor("closed", "partly_verified", "P2.1", d("2025-05-06"), wang)
		if _, err := f.svc.SetSettings(ctx, auth.System("user:admin"), accountability.Settings{DecisionApproval: true}); err != nil {
			t.Fatal(err)
		}
		dec, err := f.svc.CreateDecision(ctx, auth.System("user:dir"), c, accountability.DecisionInput{PersonID: wang, Situation: "P2.1", Sanctions: []string{"removal"}, DecidedOn: d("2026-01-05")})
		if err != nil {
			t.Fatal(err)
		}
		if dec.Status != accountability.StatusPending || dec.Counts {
			t.Fatalf("pending decision %+v", dec)
		}
		if res, _ := f.svc.Eligibility(ctx, wang, d("2026-03-02")); !res.Promotion.Eligible {
			t.Fatal("a pending decision counted")
		}
		if _, err := f.svc.FileAppeal(ctx, auth.System("user:org"), dec.ID, accountability.AppealInput{FiledOn: d("2026-01-06"), Reason: "x"}); err == nil {
			t.Fatal("appeal against a pending decision")
		}
		if dec, err = f.svc.ApproveDecision(ctx, auth.System("user:leader"), dec.ID); err != nil || !dec.Counts || dec.ApprovedBy != "user:leader" {
			t.Fatalf("approve: %v %+v", err, dec)
		}
		_, err = f.svc.ApproveDecision(ctx, auth.System("user:leader"), dec.ID)
		wantKind(t, err, problem.KindConflict, "decision_not_pending")
		if res, _ := f.svc.Eligibility(ctx, wang, d("2026-03-02")); res.Promotion.Eligible || *res.Promotion.Until != d("2028-01-05") {
			t.Fatalf("approved decision: %+v", res.Promotion)
		}
	})
}

func TestAppeals(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		cal := calendar.New(mustYears(t)...)
		lim := calendar.DefaultLimits()
		decide := func(person int64, decided string, sanctions ...string) accountability.Decision {
			t.Helper()
			c := f.caseFor("concluded", "verified", "P1.1", d("2025-01-06"), person)
			dec, err := f.svc.CreateDecision(ctx, auth.System("user:dir"), c, accountability.DecisionInput{PersonID: person, Situation: "P1.1", Sanctions: sanctions, DecidedOn: d(decided)})
			if err != nil {
				t.Fatal(err)
			}
			return dec
		}
		// No roll-over: 2025-06-03 + 15 days = Wednesday 2025-06-18.
		if due, _ := cal.Due(d("2025-06-03"), lim.AppealFile); due != d("2025-06-18") {
			t.Fatalf("due %s", due)
		}
		a := f.person("甲")
		dA := decide(a, "2025-06-03", "demotion")
		_, err := f.svc.FileAppeal(ctx, auth.System("user:org"), dA.ID, accountability.AppealInput{FiledOn: d("2025-06-19"), Reason: "不服"})
		wantKind(t, err, problem.KindInvalid, "appeal_late")
		_, err = f.svc.FileAppeal(ctx, auth.System("user:org"), dA.ID, accountability.AppealInput{FiledOn: d("2025-06-02"), Reason: "不服"})
		wantKind(t, err, problem.KindInvalid, "invalid_date")
		_, err = f.svc.FileAppeal(ctx, auth.System("user:org"), dA.ID, accountability.AppealInput{FiledOn: d("2025-06-18")})
		wantKind(t, err, problem.KindInvalid, "required")
		apA, err := f.svc.FileAppeal(ctx, auth.System("user:org"), dA.ID, accountability.AppealInput{FiledOn: d("2025-06-18"), Reason: "不服"})
		if err != nil {
			t.Fatal(err)
		}
		if want, _ := cal.Due(d("2025-06-18"), lim.AppealDecide); apA.DecideBy != want || apA.Outcome != "" || !apA.Overdue {
			t.Fatalf("appeal %+v (decide_by want %s; overdue since 2025)", apA, want)
		}
		_, err = f.svc.FileAppeal(ctx, auth.System("user:org"), dA.ID, accountability.AppealInput{FiledOn: d("2025-06-18"), Reason: "again"})
		wantKind(t, err, problem.KindConflict, "already_appealed")
		// The decision stays in force meanwhile.
		if res, _ := f.svc.Eligibility(ctx, a, d("2025-07-01")); res.Promotion.Eligible {
			t.Fatal("decision under appeal did not count")
		}
		overdue, err := f.svc.OverdueAppeals(ctx)
		if err != nil || len(overdue) != 1 || overdue[0].ID != apA.ID {
			t.Fatalf("overdue: %v %+v", err, overdue)
		}
		// Revoked: eligibility restored, everywhere.
		_, err = f.svc.DecideAppeal(ctx, auth.System("user:org"), apA.ID, accountability.OutcomeInput{Outcome: "revoked", DecidedOn: d("2025-07-10"), Sanctions: []string{"removal"}})
		wantKind(t, err, problem.KindInvalid, "sanctions_unexpected")
		_, err = f.svc.DecideAppeal(ctx, auth.System("user:org"), apA.ID, accountability.OutcomeInput{Outcome: "revoked", DecidedOn: d("2025-06-17")})
		wantKind(t, err, problem.KindInvalid, "invalid_date")
		if _, err := f.svc.DecideAppeal(ctx, auth.System("user:org"), apA.ID, accountability.OutcomeInput{Outcome: "revoked", DecidedOn: d("2025-07-10")}); err != nil {
			t.Fatal(err)
		}
		_, err = f.svc.DecideAppeal(ctx, auth.System("user:org"), apA.ID, accountability.OutcomeInput{Outcome: "upheld", DecidedOn: d("2025-07-10")})
		wantKind(t, err, problem.KindConflict, "appeal_decided")
		for _, on := range []string{"2025-06-03", "2025-07-01", "2026-03-02"} {
			res, err := f.svc.Eligibility(ctx, a, d(on))
			if err != nil || !res.Promotion.Eligible || !res.Excellence.Eligible {
				t.Fatalf("revoked still counts on %s: %v %+v", on, err, res)
			}
		}
		if overdue, _ := f.svc.OverdueAppeals(ctx); len(overdue) != 0 {
			t.Fatalf("decided appeal overdue: %+v", overdue)
		}

		// Roll-over: 2025-09-16 + 15 = 2025-10-01, National Day; the last day moves to Thursday 2025-10-09.
		if due, _ := cal.Due(d("2025-09-16"), lim.AppealFile); due != d("2025-10-09") {
			t.Fatalf("due %s", due)
		}
		b := f.person("乙")
		dB := decide(b, "2025-09-16", "removal")
		_, err = f.svc.FileAppeal(ctx, auth.System("user:org"), dB.ID, accountability.AppealInput{FiledOn: d("2025-10-10"), Reason: "不服"})
		wantKind(t, err, problem.KindInvalid, "appeal_late")
		apB, err := f.svc.FileAppeal(ctx, auth.System("user:org"), dB.ID, accountability.AppealInput{FiledOn: d("2025-10-09"), Reason: "不服"})
		if err != nil {
			t.Fatal(err)
		}
		// Varied: removal (2 years from 2025-09-16) becomes a warning-level
		// 1-year bar counting from the outcome's date 2025-11-03.
		_, err = f.svc.DecideAppeal(ctx, auth.System("user:org"), apB.ID, accountability.OutcomeInput{Outcome: "varied", DecidedOn: d("2025-11-03")})
		wantKind(t, err, problem.KindInvalid, "sanctions_required")
		_, err = f.svc.DecideAppeal(ctx, auth.System("user:org"), apB.ID, accountability.OutcomeInput{Outcome: "varied", DecidedOn: d("2025-11-03"), Sanctions: []string{"nope"}})
		wantKind(t, err, problem.KindInvalid, "unknown_sanction")
		apB, err = f.svc.DecideAppeal(ctx, auth.System("user:org"), apB.ID, accountability.OutcomeInput{Outcome: "varied", DecidedOn: d("2025-11-03"), Sanctions: []string{"reassignment"}})
		if err != nil {
			t.Fatal(err)
		}
		if apB.Outcome != "varied" || apB.NewDecisionID == nil {
			t.Fatalf("varied appeal %+v", apB)
		}
		old, _ := f.svc.Decision(ctx, dB.ID)
		nw, _ := f.svc.Decision(ctx, *apB.NewDecisionID)
		if old.Status != accountability.StatusVaried || old.Counts || old.ReplacedBy == nil || *old.ReplacedBy != nw.ID ||
			nw.Status != accountability.StatusInForce || nw.Replaces == nil || nw.DecidedOn != d("2025-11-03") {
			t.Fatalf("old %+v new %+v", old, nw)
		}
		for _, c := range []struct {
			on    string
			until string // "" eligible
		}{
			{"2025-10-01", ""}, // the old decision no longer counts, the new one not yet
			{"2025-11-03", "2026-11-03"},
			{"2026-11-02", "2026-11-03"},
			{"2026-11-03", ""},
			{"2027-09-15", ""}, // the old 2-year bar would have held here
		} {
			res, err := f.svc.Eligibility(ctx, b, d(c.on))
			if err != nil {
				t.Fatal(err)
			}
			if c.until == "" != res.Promotion.Eligible || (c.until != "" && *res.Promotion.Until != d(c.until)) {
				t.Fatalf("on %s: %+v", c.on, res.Promotion)
			}
			if c.until != "" && res.Promotion.Reasons[0].DecisionID != nw.ID {
				t.Fatalf("on %s: reason %+v", c.on, res.Promotion.Reasons[0])
			}
		}
		// The person's record has both decisions and the appeal.
		rec, err := f.svc.Record(ctx, auth.System("test"), b)
		if err != nil || len(rec.Decisions) != 2 || len(rec.Appeals) != 1 || len(rec.Cases) != 1 || !rec.Cases[0].Concluded || rec.Bars.Promotion.Eligible {
			t.Fatalf("record: %v %+v", err, rec)
		}
	})
}

func mustYears(t *testing.T) []calendar.Year {
	y, err := calendar.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	return y
}

func TestBatchEligibility(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		a, b, c := f.person("甲"), f.person("乙"), f.person("丙")
		k := f.caseFor("closed", "verified", "P3.3", d("2025-01-06"), a, b)
		for _, in := range []accountability.DecisionInput{
			{PersonID: a, Situation: "P3.3", Sanctions: []string{"gov_expulsion"}, DecidedOn: d("2025-02-03")},
			{PersonID: b, Situation: "P3.3", Sanctions: []string{"gov_warning"}, DecidedOn: d("2025-02-03")},
		} {
			if _, err := f.svc.CreateDecision(ctx, auth.System("user:dir"), k, in); err != nil {
				t.Fatal(err)
			}
		}
		res, err := f.svc.BatchEligibility(ctx, d("2025-06-01"), []int64{c, a, b, a})
		if err != nil {
			t.Fatal(err)
		}
		if len(res) != 3 || res[0].PersonID != c || res[1].PersonID != a || res[2].PersonID != b {
			t.Fatalf("order %+v", res)
		}
		if !res[0].Promotion.Eligible || res[1].Promotion.Eligible || !res[1].Promotion.Permanent || res[1].Promotion.Until != nil ||
			res[2].Promotion.Eligible || *res[2].Promotion.Until != d("2025-08-03") || res[1].Name != "甲" {
			t.Fatalf("batch %+v", res)
		}
		// Each answer equals the single-person one.
		for _, r := range res {
			one, err := f.svc.Eligibility(ctx, r.PersonID, d("2025-06-01"))
			if err != nil || fmt.Sprint(one) != fmt.Sprint(r.Result) {
				t.Fatalf("person %d: batch %+v single %+v", r.PersonID, r.Result, one)
			}
		}
		_, err = f.svc.BatchEligibility(ctx, d("2025-06-01"), []int64{a, 424242})
		wantKind(t, err, problem.KindInvalid, "unknown_person")
		_, err = f.svc.BatchEligibility(ctx, d("2025-06-01"), nil)
		wantKind(t, err, problem.KindInvalid, "required")
		many := make([]int64, accountability.MaxBatch+1)
		_, err = f.svc.BatchEligibility(ctx, d("2025-06-01"), many)
		wantKind(t, err, problem.KindInvalid, "too_many_people")
	})
}

// conclude runs the rule as the cases service's conclude hook would.
func (f *fixture) conclude(id int64, finding string) {
	f.t.Helper()
	err := f.db.Tx(context.Background(), func(tx *sql.Tx) error {
		if _, err := tx.Exec(`UPDATE cases SET state = 'concluded', finding = $1 WHERE id = $2`, finding, id); err != nil {
			return err
		}
		return f.svc.OnConcluded(context.Background(), tx, id)
	})
	if err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) ruleCases(person int64) []accountability.RuleLink {
	f.t.Helper()
	l, err := f.svc.RuleCasesFor(context.Background(), person)
	if err != nil {
		f.t.Fatal(err)
	}
	return l
}

func TestTwoComplaintsRule(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		cases := []struct {
			name   string
			first  string
			second string
			sit2   string
			want   bool
		}{
			{"364 days", "2024-03-01", "2025-02-28", "P1.5", true},
			{"366 days", "2024-03-01", "2025-03-02", "P1.5", false},
			{"365 days but a year", "2024-03-01", "2025-03-01", "P1.5", false},
			{"365 days across 29 February", "2023-03-01", "2024-02-29", "P1.1", true},
			{"from 29 February", "2024-02-29", "2025-02-27", "P1.1", true},
			{"from 29 February, a year", "2024-02-29", "2025-02-28", "P1.1", false},
			{"second earlier than first", "2025-02-28", "2024-03-01", "P1.2", true},
			{"not P1", "2024-03-01", "2024-05-01", "P2.1", false},
		}
		for _, c := range cases {
			p := f.person(c.name)
			first := f.caseFor("closed", "verified", "P1.2", d(c.first), p)
			second := f.caseFor("investigating", "", c.sit2, d(c.second), p)
			f.conclude(second, "verified")
			links := f.ruleCases(p)
			if (len(links) == 1) != c.want || len(links) > 1 {
				t.Fatalf("%s: links %+v", c.name, links)
			}
			if !c.want {
				continue
			}
			l := links[0]
			if l.FirstCaseID != min(first, second) || l.SecondCaseID != max(first, second) {
				t.Fatalf("%s: link %+v", c.name, l)
			}
			var channel, state, content, cat string
			var person int64
			var acceptBy civil.Date
			if err := db.Read.QueryRow(`SELECT channel, state, content, category, person_id, accept_by FROM cases WHERE id = $1`, l.RuleCaseID).
				Scan(&channel, &state, &content, &cat, &person, &acceptBy); err != nil {
				t.Fatal(err)
			}
			// Received 2026-03-02: + 15 days = Tuesday 2026-03-17.
			if channel != "rule" || state != "registered" || cat != "P1" || person != p || acceptBy != d("2026-03-17") ||
				!contains(content, fmt.Sprintf("#%d", first)) || !contains(content, fmt.Sprintf("#%d", second)) {
				t.Fatalf("%s: rule case %s %s %s %d %s %q", c.name, channel, state, cat, person, acceptBy, content)
			}
			// Concluding again, or concluding the other case, never opens a second one.
			f.conclude(second, "verified")
			f.conclude(first, "verified")
			if n := len(f.ruleCases(p)); n != 1 {
				t.Fatalf("%s: %d rule cases after re-concluding", c.name, n)
			}
		}

		// A revision to unfounded withdraws the basis; verified again restores it; still one rule case.
		p := f.person("改判")
		a := f.caseFor("closed", "verified", "P1.3", d("2025-04-01"), p)
		b := f.caseFor("investigating", "", "P1.3", d("2025-09-01"), p)
		f.conclude(b, "verified")
		links := f.ruleCases(p)
		if len(links) != 1 {
			t.Fatalf("links %+v", links)
		}
		withdrawn := func() bool {
			var w sql.NullString
			if err := db.Read.QueryRow(`SELECT withdrawn_at FROM rule_case_links WHERE rule_case_id = $1`, links[0].RuleCaseID).Scan(&w); err != nil {
				t.Fatal(err)
			}
			return w.Valid
		}
		f.conclude(b, "unfounded")
		if !withdrawn() {
			t.Fatal("basis not withdrawn after revision to unfounded")
		}
		var n int
		db.Read.QueryRow(`SELECT COUNT(*) FROM case_events WHERE case_id = $1 AND action = 'rule_basis_withdrawn'`, links[0].RuleCaseID).Scan(&n)
		if n != 1 {
			t.Fatalf("%d withdrawn events", n)
		}
		f.conclude(b, "partly_verified")
		if withdrawn() || len(f.ruleCases(p)) != 1 {
			t.Fatal("basis not restored, or a second rule case")
		}
		_ = a

		// Three complaints within a year: three pairs, three rule cases, each once.
		q := f.person("三次")
		c1 := f.caseFor("closed", "verified", "P1.1", d("2025-01-10"), q)
		c2 := f.caseFor("closed", "verified", "P1.1", d("2025-03-10"), q)
		f.conclude(c2, "verified")
		c3 := f.caseFor("investigating", "", "P1.4", d("2025-06-10"), q)
		f.conclude(c3, "verified")
		f.conclude(c1, "verified")
		if n := len(f.ruleCases(q)); n != 3 {
			t.Fatalf("%d rule cases for three complaints", n)
		}
		// A rule case itself never counts.
		for _, l := range f.ruleCases(q) {
			f.exec(`INSERT INTO case_people (case_id, person_id) VALUES ($1, $2)`, l.RuleCaseID, q)
			f.conclude(l.RuleCaseID, "verified")
		}
		if n := len(f.ruleCases(q)); n != 3 {
			t.Fatalf("%d rule cases after concluding rule cases", n)
		}
	})
}

func contains(s, sub string) bool {
	return len(sub) == 0 || (len(s) >= len(sub) && (s[:len(sub)] == sub || contains(s[1:], sub)))
}
