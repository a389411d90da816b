package web_test

import (
	"fmt"
	"testing"

	"mashang/internal/auth"
	"mashang/internal/web/webtest"
)

// accFixture drives cases through the real intake and conclude path.
type accFixture struct {
	h                                     *webtest.Harness
	admin, clerk, dir, handler, org, lead string
}

func newAccFixture(t *testing.T, h *webtest.Harness) *accFixture {
	f := &accFixture{h: h, admin: h.Token(auth.Admin), clerk: h.Token(auth.Clerk), dir: h.Token(auth.Director),
		handler: h.Token(auth.Handler), org: h.Token(auth.OrgDept), lead: h.Token(auth.Leader)}
	h.Must(201, "POST", "/api/v1/units", f.admin, map[string]any{"code": "mq", "name": "闽清县"})
	return f
}

func (f *accFixture) person(name string) int64 {
	r := f.h.Must(201, "POST", "/api/v1/people", f.admin, map[string]any{"name": name, "unit": "mq"})
	return int64(r.JSON["id"].(float64))
}

// register opens a case received on date (09:00 Shanghai) naming person.
func (f *accFixture) register(received, situation string, person int64) int64 {
	r := f.h.Must(201, "POST", "/api/v1/intake", f.clerk, map[string]any{"channel": "hotline", "received_at": received + "T09:00:00+08:00",
		"content": "办事窗口推诿，要求跑了三趟", "situation": situation, "unit": "mq", "person_id": person})
	return int64(r.JSON["case_id"].(float64))
}

func (f *accFixture) act(id int64, token string, body map[string]any) {
	f.h.Must(200, "POST", fmt.Sprintf("/api/v1/cases/%d/actions", id), token, body)
}

// concluded registers a case and takes it to concluded with finding, naming people.
func (f *accFixture) concluded(received, situation, finding string, people ...int64) int64 {
	id := f.register(received, situation, people[0])
	f.act(id, f.dir, map[string]any{"action": "accept"})
	f.act(id, f.dir, map[string]any{"action": "assign", "user": "handler"})
	f.act(id, f.handler, map[string]any{"action": "conclude", "finding": finding, "person_ids": people})
	return id
}

func (f *accFixture) ruleCases(person int64) []any {
	r := f.h.Must(200, "GET", fmt.Sprintf("/api/v1/people/%d/record", person), f.org, nil)
	return r.JSON["rule_cases"].([]any)
}

func TestAccountabilityDecisions(t *testing.T) {
	webtest.Engines(t, func(t *testing.T, h *webtest.Harness) {
		f := newAccFixture(t, h)
		wang, li := f.person("王某"), f.person("李某")
		done := f.concluded("2025-05-06", "P1.2", "verified", wang)
		open := f.register("2025-05-06", "P1.2", wang)
		path := fmt.Sprintf("/api/v1/cases/%d/decisions", done)
		ok := map[string]any{"person_id": wang, "situation": "P1.2", "sanctions": []string{"demotion"}, "decided_on": "2025-06-03"}
		with := func(k string, v any) map[string]any {
			m := map[string]any{}
			for a, b := range ok {
				m[a] = b
			}
			m[k] = v
			return m
		}
		for _, c := range []struct {
			path   string
			body   any
			status int
			code   string
		}{
			{fmt.Sprintf("/api/v1/cases/%d/decisions", open), ok, 409, "case_not_concluded"},
			{path, with("person_id", li), 409, "person_not_named"},
			{path, with("sanctions", []string{"flogging"}), 422, "unknown_sanction"},
			{path, with("situation", "X9"), 422, "unknown_situation"},
			{path, with("decided_on", "2026-03-03"), 422, "invalid_date"},
			{path, with("decided_on", "2025-02-30"), 422, "invalid_date"},
			{path, with("sanctions", []string{"party_probation"}), 422, "probation_years_required"},
			{path, with("colour", "red"), 422, "unknown_field"},
			{path, `{"person_id":`, 400, "malformed_json"},
			{"/api/v1/cases/99999/decisions", ok, 404, "case_not_found"},
		} {
			r := h.Do("POST", c.path, f.dir, c.body)
			if r.Status != c.status || r.ErrorCode() != c.code {
				t.Fatalf("%s %v: %d %s", c.path, c.body, r.Status, r.Raw)
			}
		}
		if r := h.Do("POST", path, f.handler, ok); r.Status != 403 {
			t.Fatalf("handler decided: %d", r.Status)
		}
		r := h.Must(201, "POST", path, f.dir, ok)
		id := int64(r.JSON["id"].(float64))
		got := h.Must(200, "GET", fmt.Sprintf("/api/v1/decisions/%d", id), h.Token(auth.Auditor), nil)
		if webtest.Str(got.JSON, "status") != "in_force" || webtest.Str(got.JSON, "rule_set") != "fuzhou-2015" || webtest.Str(got.JSON, "catalog_version") == "" {
			t.Fatalf("decision %s", got.Raw)
		}
		// The case view lists it.
		cv := h.Must(200, "GET", fmt.Sprintf("/api/v1/cases/%d", done), f.dir, nil)
		if ds, _ := cv.JSON["decisions"].([]any); len(ds) != 1 {
			t.Fatalf("case view decisions: %s", cv.Raw)
		}
		// Unit situation: the unit and the person's responsibility.
		r = h.Must(201, "POST", path, f.dir, map[string]any{"person_id": wang, "situation": "U1.3", "sanctions": []string{"circulated_criticism"},
			"decided_on": "2025-06-03", "responsibility": "direct"})
		if webtest.Str(r.JSON, "unit") != "mq" || webtest.Str(r.JSON, "responsibility") != "direct" {
			t.Fatalf("unit decision %s", r.Raw)
		}

		// Eligibility: exactly CONTRACT.md's shape.
		e := h.Must(200, "GET", fmt.Sprintf("/api/v1/people/%d/eligibility?on=2026-03-02", wang), f.org, nil)
		pr := e.JSON["promotion"].(map[string]any)
		ex := e.JSON["excellence"].(map[string]any)
		if e.JSON["on"] != "2026-03-02" || pr["eligible"] != false || pr["until"] != "2027-06-03" || pr["permanent"] != false ||
			len(pr["reasons"].([]any)) != 1 || ex["year"] != float64(2026) || ex["eligible"] != true {
			t.Fatalf("eligibility %s", e.Raw)
		}
		reason := pr["reasons"].([]any)[0].(map[string]any)
		if reason["decision_id"] != float64(id) || reason["sanction"] != "demotion" || reason["rule"] == "" {
			t.Fatalf("reason %v", reason)
		}
		e = h.Must(200, "GET", fmt.Sprintf("/api/v1/people/%d/eligibility?on=2025-12-31", wang), h.Token(auth.Auditor), nil)
		if ex := e.JSON["excellence"].(map[string]any); ex["eligible"] != false || ex["year"] != float64(2025) {
			t.Fatalf("excellence 2025 %s", e.Raw)
		}
		if r := h.Do("GET", fmt.Sprintf("/api/v1/people/%d/eligibility", li), f.lead, nil); r.Status != 200 || r.JSON["on"] != "2026-03-02" {
			t.Fatalf("default on: %d %s", r.Status, r.Raw)
		}
		for _, c := range []struct {
			path   string
			status int
		}{
			{"/api/v1/people/99999/eligibility", 404},
			{fmt.Sprintf("/api/v1/people/%d/eligibility?on=2026-02-30", wang), 422},
			{fmt.Sprintf("/api/v1/people/%d/eligibility?on=tomorrow", wang), 422},
			{"/api/v1/people/99999/record", 404},
		} {
			if r := h.Do("GET", c.path, f.org, nil); r.Status != c.status {
				t.Fatalf("%s: %d %s", c.path, r.Status, r.Raw)
			}
		}
		if r := h.Do("GET", fmt.Sprintf("/api/v1/people/%d/eligibility", wang), f.clerk, nil); r.Status != 403 {
			t.Fatalf("clerk asked eligibility: %d", r.Status)
		}
		rec := h.Must(200, "GET", fmt.Sprintf("/api/v1/people/%d/record", wang), f.org, nil)
		if len(rec.JSON["cases"].([]any)) != 2 || len(rec.JSON["decisions"].([]any)) != 2 {
			t.Fatalf("record %s", rec.Raw)
		}

		// Batch.
		b := h.Must(200, "POST", "/api/v1/eligibility", f.org, map[string]any{"on": "2026-03-02", "person_ids": []int64{li, wang}})
		rs := b.JSON["results"].([]any)
		if b.JSON["on"] != "2026-03-02" || len(rs) != 2 {
			t.Fatalf("batch %s", b.Raw)
		}
		r0, r1 := rs[0].(map[string]any), rs[1].(map[string]any)
		if r0["person_id"] != float64(li) || r0["name"] != "李某" || r0["promotion"].(map[string]any)["eligible"] != true ||
			r1["person_id"] != float64(wang) || r1["promotion"].(map[string]any)["until"] != "2027-06-03" {
			t.Fatalf("batch results %s", b.Raw)
		}
		many := make([]int64, 1001)
		for i := range many {
			many[i] = wang
		}
		for _, c := range []struct {
			body   any
			status int
		}{
			{map[string]any{"on": "2026-03-02", "person_ids": many}, 422},
			{map[string]any{"on": "2026-03-02", "person_ids": []int64{}}, 422},
			{map[string]any{"on": "2026-03-02", "person_ids": []int64{wang, 99999}}, 422},
			{map[string]any{"on": "03/02/2026", "person_ids": []int64{wang}}, 422},
		} {
			if r := h.Do("POST", "/api/v1/eligibility", f.org, c.body); r.Status != c.status {
				t.Fatalf("batch %v: %d %s", c.body, r.Status, r.Raw)
			}
		}
	})
}

func TestAccountabilityAppeals(t *testing.T) {
	webtest.Engines(t, func(t *testing.T, h *webtest.Harness) {
		f := newAccFixture(t, h)
		p := f.person("张某")
		c := f.concluded("2025-05-06", "P2.2", "verified", p)
		decide := func(on string, sanctions ...string) int64 {
			r := h.Must(201, "POST", fmt.Sprintf("/api/v1/cases/%d/decisions", c), f.dir,
				map[string]any{"person_id": p, "situation": "P2.2", "sanctions": sanctions, "decided_on": on})
			return int64(r.JSON["id"].(float64))
		}
		appeal := func(dec int64, filed string) webtest.Response {
			return h.Do("POST", fmt.Sprintf("/api/v1/decisions/%d/appeals", dec), f.org, map[string]any{"filed_on": filed, "reason": "事实不清"})
		}
		// Day 15 (2025-06-18, a Wednesday) is in time, day 16 is not.
		d1 := decide("2025-06-03", "demotion")
		if r := appeal(d1, "2025-06-19"); r.Status != 422 || r.ErrorCode() != "appeal_late" {
			t.Fatalf("day 16: %d %s", r.Status, r.Raw)
		}
		r := appeal(d1, "2025-06-18")
		if r.Status != 201 || r.JSON["decide_by"] != "2025-07-18" {
			t.Fatalf("day 15: %d %s", r.Status, r.Raw)
		}
		a1 := int64(r.JSON["id"].(float64))
		// The decision stays in force; the appeal is overdue (decide_by passed) until decided.
		e := h.Must(200, "GET", fmt.Sprintf("/api/v1/people/%d/eligibility?on=2025-07-01", p), f.org, nil)
		if e.JSON["promotion"].(map[string]any)["eligible"] != false {
			t.Fatalf("under appeal: %s", e.Raw)
		}
		ov := h.Must(200, "GET", "/api/v1/appeals?overdue=true", f.lead, nil)
		if as := ov.JSON["appeals"].([]any); len(as) != 1 || as[0].(map[string]any)["id"] != float64(a1) {
			t.Fatalf("overdue %s", ov.Raw)
		}
		if r := h.Do("GET", "/api/v1/appeals?overdue=maybe", f.lead, nil); r.Status != 400 {
			t.Fatalf("overdue=maybe: %d", r.Status)
		}
		out := fmt.Sprintf("/api/v1/appeals/%d/outcome", a1)
		if r := h.Do("POST", out, f.dir, map[string]any{"outcome": "revoked", "decided_on": "2025-07-10"}); r.Status != 403 {
			t.Fatalf("director decided an appeal: %d", r.Status)
		}
		if r := h.Do("POST", out, f.lead, map[string]any{"outcome": "quashed", "decided_on": "2025-07-10"}); r.Status != 422 {
			t.Fatalf("bad outcome: %d", r.Status)
		}
		h.Must(200, "POST", out, f.lead, map[string]any{"outcome": "revoked", "decided_on": "2025-07-10"})
		if r := h.Do("POST", out, f.org, map[string]any{"outcome": "upheld", "decided_on": "2025-07-10"}); r.Status != 409 || r.ErrorCode() != "appeal_decided" {
			t.Fatalf("outcome twice: %d %s", r.Status, r.Raw)
		}
		// Revoked: eligibility restored, excellence too.
		e = h.Must(200, "GET", fmt.Sprintf("/api/v1/people/%d/eligibility?on=2025-07-11", p), f.org, nil)
		if e.JSON["promotion"].(map[string]any)["eligible"] != true || e.JSON["excellence"].(map[string]any)["eligible"] != true {
			t.Fatalf("after revocation: %s", e.Raw)
		}

		// Roll-over: decided 2025-09-16, day 15 is 2025-10-01 (National Day): the last day is 2025-10-09.
		d2 := decide("2025-09-16", "removal")
		if r := appeal(d2, "2025-10-10"); r.Status != 422 {
			t.Fatalf("after roll-over: %d %s", r.Status, r.Raw)
		}
		r = appeal(d2, "2025-10-09")
		if r.Status != 201 {
			t.Fatalf("rolled-over last day: %d %s", r.Status, r.Raw)
		}
		if r := appeal(d2, "2025-10-09"); r.Status != 409 {
			t.Fatalf("second appeal: %d", r.Status)
		}
		a2 := int64(r.JSON["id"].(float64))
		// Varied: the new sanction counts from the outcome's date.
		if r := h.Do("POST", fmt.Sprintf("/api/v1/appeals/%d/outcome", a2), f.org, map[string]any{"outcome": "varied", "decided_on": "2025-11-03"}); r.Status != 422 {
			t.Fatalf("varied without sanctions: %d", r.Status)
		}
		r = h.Must(200, "POST", fmt.Sprintf("/api/v1/appeals/%d/outcome", a2), f.org,
			map[string]any{"outcome": "varied", "decided_on": "2025-11-03", "sanctions": []string{"suspension"}})
		if r.JSON["outcome"] != "varied" || r.JSON["new_decision_id"] == nil {
			t.Fatalf("varied %s", r.Raw)
		}
		for on, until := range map[string]any{"2025-10-15": nil, "2025-11-03": "2026-11-03", "2026-11-02": "2026-11-03", "2026-11-03": nil, "2027-06-01": nil} {
			e := h.Must(200, "GET", fmt.Sprintf("/api/v1/people/%d/eligibility?on=%s", p, on), f.org, nil)
			pr := e.JSON["promotion"].(map[string]any)
			if pr["until"] != until || pr["eligible"] != (until == nil) {
				t.Fatalf("varied, on %s: %s", on, e.Raw)
			}
		}
		if ov := h.Must(200, "GET", "/api/v1/appeals?overdue=true", f.lead, nil); len(ov.JSON["appeals"].([]any)) != 0 {
			t.Fatalf("overdue after outcomes: %s", ov.Raw)
		}
	})
}

func TestAccountabilityApprovalStep(t *testing.T) {
	webtest.Engines(t, func(t *testing.T, h *webtest.Harness) {
		f := newAccFixture(t, h)
		p := f.person("赵某")
		c := f.concluded("2025-05-06", "P3.4", "partly_verified", p)
		h.Must(200, "PUT", "/api/v1/accountability/settings", f.admin, map[string]any{"decision_approval": true})
		if r := h.Do("PUT", "/api/v1/accountability/settings", f.lead, map[string]any{"decision_approval": false}); r.Status != 403 {
			t.Fatalf("leader changed settings: %d", r.Status)
		}
		r := h.Must(201, "POST", fmt.Sprintf("/api/v1/cases/%d/decisions", c), f.dir,
			map[string]any{"person_id": p, "situation": "P3.4", "sanctions": []string{"gov_warning"}, "decided_on": "2026-02-02"})
		id := int64(r.JSON["id"].(float64))
		if r.JSON["status"] != "pending" || r.JSON["counts"] != false {
			t.Fatalf("pending %s", r.Raw)
		}
		el := fmt.Sprintf("/api/v1/people/%d/eligibility?on=2026-03-02", p)
		if e := h.Must(200, "GET", el, f.org, nil); e.JSON["promotion"].(map[string]any)["eligible"] != true {
			t.Fatalf("pending counted: %s", e.Raw)
		}
		if r := h.Do("POST", fmt.Sprintf("/api/v1/decisions/%d/approve", id), f.dir, nil); r.Status != 403 {
			t.Fatalf("director approved: %d", r.Status)
		}
		h.Must(200, "POST", fmt.Sprintf("/api/v1/decisions/%d/approve", id), f.lead, nil)
		if r := h.Do("POST", fmt.Sprintf("/api/v1/decisions/%d/approve", id), f.lead, nil); r.Status != 409 {
			t.Fatalf("approved twice: %d", r.Status)
		}
		if e := h.Must(200, "GET", el, f.org, nil); e.JSON["promotion"].(map[string]any)["until"] != "2026-08-02" {
			t.Fatalf("approved: %s", e.Raw)
		}
	})
}

func TestAccountabilityTwoComplaintsRule(t *testing.T) {
	webtest.Engines(t, func(t *testing.T, h *webtest.Harness) {
		f := newAccFixture(t, h)
		// 2024-03-01 and 2025-02-28: 364 days, across no 29 February but in a leap year's span: one rule case.
		near := f.person("近")
		a := f.concluded("2024-03-01", "P1.2", "verified", near)
		b := f.concluded("2025-02-28", "P1.5", "verified", near)
		rc := f.ruleCases(near)
		if len(rc) != 1 {
			t.Fatalf("364 days: %v", rc)
		}
		link := rc[0].(map[string]any)
		if link["first_case_id"] != float64(a) || link["second_case_id"] != float64(b) {
			t.Fatalf("link %v", link)
		}
		ruleID := int64(link["rule_case_id"].(float64))
		cv := h.Must(200, "GET", fmt.Sprintf("/api/v1/cases/%d", ruleID), f.dir, nil)
		if cv.JSON["channel"] != "rule" || cv.JSON["state"] != "registered" {
			t.Fatalf("rule case %s", cv.Raw)
		}
		// Revising the conclusion re-evaluates; never a second rule case for the pair.
		f.act(b, f.handler, map[string]any{"action": "conclude", "finding": "unfounded", "person_ids": []int64{near}})
		f.act(b, f.handler, map[string]any{"action": "conclude", "finding": "verified", "person_ids": []int64{near}})
		if rc := f.ruleCases(near); len(rc) != 1 {
			t.Fatalf("after revisions: %v", rc)
		}

		// 2024-03-01 and 2025-03-02: 366 days: none.
		far := f.person("远")
		f.concluded("2024-03-01", "P1.2", "verified", far)
		f.concluded("2025-03-02", "P1.2", "verified", far)
		if rc := f.ruleCases(far); len(rc) != 0 {
			t.Fatalf("366 days: %v", rc)
		}
		// Not P1, or not verified: none.
		other := f.person("他")
		f.concluded("2025-01-06", "P1.2", "verified", other)
		f.concluded("2025-02-03", "P2.1", "verified", other)
		f.concluded("2025-03-03", "P1.2", "unfounded", other)
		if rc := f.ruleCases(other); len(rc) != 0 {
			t.Fatalf("other: %v", rc)
		}
	})
}
