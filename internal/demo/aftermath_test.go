package demo_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"mashang/internal/accountability"
	"mashang/internal/audit"
	"mashang/internal/auth"
	"mashang/internal/civil"
	"mashang/internal/demo"
	"mashang/internal/intake"
	"mashang/internal/web/webtest"
)

// TestAftermath checks what the demo records through the services after the
// cases, on both engines: decisions, an appeal of each outcome and an
// overdue one, a two-complaints rule case, the two inspections with a case
// opened by a finding, and the published exposures and exemplars on the
// portal; a sanctioned person is barred.
func TestAftermath(t *testing.T) {
	webtest.Engines(t, func(t *testing.T, h *webtest.Harness) {
		ctx := context.Background()
		db := h.App.DB.Read
		res, err := demo.Run(ctx, h.App, demo.Options{Cases: 800, Seed: 7, Until: civil.MustParse("2026-03-01"), NoIndex: true})
		if err != nil {
			t.Fatal(err)
		}
		// The demo's bulk rows are named by its one audit entry; everything
		// after went through the services: the whole database checks out.
		if rep, err := audit.Check(ctx, db, audit.CheckOptions{}); err != nil || rep.CrossChecked < 800 {
			t.Fatalf("audit check of the demo county: %+v %v", rep, err)
		}
		count := func(q string, args ...any) int {
			t.Helper()
			var n int
			if err := db.QueryRow(q, args...).Scan(&n); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
			return n
		}

		// Decisions: a share of the verified conclusions' people, after the conclusion, not in the future.
		if res.Decisions < 20 || res.Decisions != count(`SELECT COUNT(*) FROM decisions`) {
			t.Errorf("decisions: result %d, table %d", res.Decisions, count(`SELECT COUNT(*) FROM decisions`))
		}
		if n := count(`SELECT COUNT(*) FROM decisions d JOIN cases c ON c.id = d.case_id
			WHERE d.decided_on <= c.concluded_on OR d.decided_on > '2026-03-01' OR c.finding NOT IN ('verified', 'partly_verified')
			   OR NOT EXISTS (SELECT 1 FROM case_people cp WHERE cp.case_id = c.id AND cp.person_id = d.person_id)`); n != 0 {
			t.Errorf("%d decisions out of order or on cases they may not be on", n)
		}
		if n := count(`SELECT COUNT(*) FROM decisions WHERE rule_set <> 'fuzhou-2015'`); n != 0 {
			t.Errorf("%d decisions not under the default rule set", n)
		}
		// P1 mostly efficiency sanctions.
		var p1, p1eff int
		rows, err := db.Query(`SELECT d.sanctions FROM decisions d WHERE d.situation LIKE 'P1.%' AND d.replaces_id IS NULL`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			p1++
			for _, e := range []string{"admonishing_talk", "circulated_criticism", "efficiency_admonition", "written_review"} {
				if s == `["`+e+`"]` {
					p1eff++
				}
			}
		}
		rows.Close()
		if p1 == 0 || p1eff*100 < p1*60 {
			t.Errorf("P1 decisions: %d, of which %d efficiency sanctions only", p1, p1eff)
		}
		if n := count(`SELECT COUNT(*) FROM decisions WHERE (sanctions LIKE '%party_probation%') <> (probation_years > 0)`); n != 0 {
			t.Errorf("%d decisions with probation years wrong", n)
		}

		// Appeals: each outcome, and one open past its decide-by date.
		for outcome, want := range map[string]int{"upheld": 3, "varied": 1, "revoked": 1} {
			if n := count(`SELECT COUNT(*) FROM appeals WHERE outcome = $1`, outcome); n != want {
				t.Errorf("%d appeals %s, want %d", n, outcome, want)
			}
		}
		if n := count(`SELECT COUNT(*) FROM decisions WHERE status = 'varied'`); n != 1 {
			t.Errorf("%d varied decisions", n)
		}
		if n := count(`SELECT COUNT(*) FROM decisions WHERE replaces_id IS NOT NULL AND status = 'in_force'`); n != 1 {
			t.Errorf("%d replacement decisions", n)
		}
		overdue, err := h.App.Accountability.OverdueAppeals(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(overdue) != 1 || !overdue[0].Overdue || overdue[0].Outcome != "" {
			t.Errorf("overdue appeals %+v", overdue)
		}
		if res.Appeals != count(`SELECT COUNT(*) FROM appeals`) {
			t.Errorf("appeals: result %d, table %d", res.Appeals, count(`SELECT COUNT(*) FROM appeals`))
		}

		// The two-complaints rule opened a case, linked to two verified P1 cases on one person.
		if res.RuleCases < 1 || count(`SELECT COUNT(*) FROM rule_case_links l JOIN cases r ON r.id = l.rule_case_id
			JOIN cases a ON a.id = l.first_case_id JOIN cases b ON b.id = l.second_case_id
			WHERE r.channel = 'rule' AND r.created_by = $1 AND r.person_id = l.person_id
			  AND a.category = 'P1' AND b.category = 'P1' AND a.finding <> 'unfounded' AND b.finding <> 'unfounded'`, accountability.RuleActor) != res.RuleCases {
			t.Errorf("rule cases: result %d", res.RuleCases)
		}

		// Inspections: one announced and done, one covert in progress; a finding opened a case.
		if res.Inspections != 2 || res.Visits != 5 {
			t.Errorf("inspections %d, visits %d", res.Inspections, res.Visits)
		}
		if count(`SELECT COUNT(*) FROM inspections WHERE covert = FALSE AND state = 'done'`) != 1 ||
			count(`SELECT COUNT(*) FROM inspections WHERE covert = TRUE AND state = 'planned'`) != 1 {
			t.Error("want one announced done inspection and one covert planned one")
		}
		if n := count(`SELECT COUNT(*) FROM inspection_visits WHERE answers LIKE '%staff_at_post%'`); n != 5 {
			t.Errorf("%d visits with checklist answers", n)
		}
		if n := count(`SELECT COUNT(*) FROM inspection_findings f JOIN cases c ON c.id = f.case_id WHERE c.channel = 'inspection'`); n != 1 {
			t.Errorf("%d findings opened an inspection case", n)
		}
		inspector := h.TokenFor("test-inspector", auth.Inspector, "")
		list := h.Must(200, "GET", "/api/v1/inspections", inspector, nil)
		if items, _ := list.JSON["inspections"].([]any); len(items) != 2 {
			t.Errorf("inspections listed: %s", list.Raw)
		}

		// Publications: two exposures and two exemplars on the portal.
		if res.Exposures != 2 || res.Exemplars != 2 {
			t.Errorf("exposures %d, exemplars %d", res.Exposures, res.Exemplars)
		}
		exp := h.Must(200, "GET", "/api/v1/public/exposures", "", nil)
		items, _ := exp.JSON["items"].([]any)
		if len(items) != 2 {
			t.Fatalf("public exposures: %s", exp.Raw)
		}
		for _, it := range items {
			body := webtest.Str(it.(map[string]any), "body")
			if !strings.Contains(body, "给予") || !strings.Contains(body, "工作人员") {
				t.Errorf("exposure body %q", body)
			}
		}
		ex := h.Must(200, "GET", "/api/v1/public/exemplars", "", nil)
		if items, _ := ex.JSON["items"].([]any); len(items) != 2 || !strings.Contains(string(ex.Raw), "梅溪镇便民服务中心") {
			t.Errorf("public exemplars: %s", ex.Raw)
		}
		// No exposure names its case's reporter.
		prow, err := db.Query(`SELECT p.body, c.receipt, c.identity FROM publications p JOIN cases c ON c.id = p.case_id WHERE p.kind = 'exposure'`)
		if err != nil {
			t.Fatal(err)
		}
		for prow.Next() {
			var body, receipt string
			var sealed []byte
			if err := prow.Scan(&body, &receipt, &sealed); err != nil {
				t.Fatal(err)
			}
			if len(sealed) == 0 {
				continue
			}
			id, err := h.App.Vault.OpenIdentity(sealed, intake.IdentityAAD(receipt))
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(body, id.Name) || strings.Contains(body, id.Phone) {
				t.Errorf("exposure names the reporter: %q", body)
			}
		}
		prow.Close()

		// A person with a heavier sanction in force is barred from promotion,
		// and every sanctioned person from excellence in the decision's year.
		var person int64
		var decided civil.Date
		err = db.QueryRow(`SELECT person_id, decided_on FROM decisions WHERE status = 'in_force'
			AND sanctions NOT IN ('["admonishing_talk"]', '["circulated_criticism"]', '["efficiency_admonition"]', '["written_review"]')
			ORDER BY decided_on DESC, id LIMIT 1`).Scan(&person, &decided)
		if err != nil {
			t.Fatal(err)
		}
		org := h.TokenFor("test-orgdept", auth.OrgDept, "")
		el := h.Must(200, "GET", fmt.Sprintf("/api/v1/people/%d/eligibility?on=%s", person, decided.AddDays(1)), org, nil)
		if webtest.Str(el.JSON, "promotion.eligible") != "false" || webtest.Str(el.JSON, "excellence.eligible") != "false" {
			t.Errorf("eligibility of person %d sanctioned on %s: %s", person, decided, el.Raw)
		}
	})
}
