package web_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"mashang/internal/auth"
	"mashang/internal/web/webtest"
)

// at is a Shanghai instant on date d at 10:00.
func at(d string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", d+" 10:00", time.FixedZone("CST", 8*3600))
	if err != nil {
		panic(err)
	}
	return t
}

// tok signs in again as role's test user (tokens expire when the clock jumps).
func tok(t *testing.T, h *webtest.Harness, role auth.Role) string {
	t.Helper()
	h.Token(role)
	return login(t, h, string(role))
}

func login(t *testing.T, h *webtest.Harness, username string) string {
	t.Helper()
	tk, _, err := h.App.Auth.Login(context.Background(), username, "test password 123", "", "test-"+username)
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

// caseFix is a case made through intake, with its receipt and key.
type caseFix struct {
	id           int64
	receipt, key string
}

// newCase registers a case through the intake API as a clerk, received now.
func newCase(t *testing.T, h *webtest.Harness) caseFix {
	t.Helper()
	r := h.Must(201, "POST", "/api/v1/intake", tok(t, h, auth.Clerk), map[string]any{
		"channel": "hotline", "received_at": h.Clock.Now().Format(time.RFC3339), "content": "窗口工作人员推诿，不予办理",
	})
	return caseFix{id: int64(r.JSON["case_id"].(float64)), receipt: webtest.Str(r.JSON, "receipt"), key: webtest.Str(r.JSON, "key")}
}

// setupOrg makes units U1 and U2, a person in U1 and the handler user.
func setupOrg(t *testing.T, h *webtest.Harness) (personID int64) {
	t.Helper()
	admin := h.Token(auth.Admin)
	h.Must(201, "POST", "/api/v1/units", admin, map[string]any{"code": "U1", "name": "县市场监管局"})
	h.Must(201, "POST", "/api/v1/units", admin, map[string]any{"code": "U2", "name": "县住建局"})
	r := h.Must(201, "POST", "/api/v1/people", admin, map[string]any{"name": "张三", "unit": "U1"})
	h.Token(auth.Handler)
	return int64(r.JSON["id"].(float64))
}

func act(h *webtest.Harness, tok string, id int64, body map[string]any) webtest.Response {
	h.T.Helper()
	return h.Do("POST", fmt.Sprintf("/api/v1/cases/%d/actions", id), tok, body)
}

func mustAct(t *testing.T, h *webtest.Harness, tok string, id int64, body map[string]any) webtest.Response {
	t.Helper()
	r := act(h, tok, id, body)
	if r.Status != 200 {
		t.Fatalf("%v on case %d: %d %s", body, id, r.Status, r.Raw)
	}
	return r
}

func getCase(t *testing.T, h *webtest.Harness, tk string, id int64) webtest.Response {
	t.Helper()
	if tk == "" {
		tk = tok(t, h, auth.Admin)
	}
	return h.Must(200, "GET", fmt.Sprintf("/api/v1/cases/%d", id), tk, nil)
}

// bodies are valid requests for every action.
func bodies(personID, into int64) map[string]map[string]any {
	return map[string]map[string]any{
		"accept":   {"action": "accept"},
		"refuse":   {"action": "refuse", "reason": "不属于本办受理范围"},
		"transfer": {"action": "transfer", "unit": "U1", "reason": "属市场监管职责"},
		"return":   {"action": "return", "reason": "不属本单位职责"},
		"assign":   {"action": "assign", "user": "handler"},
		"extend":   {"action": "extend", "days": 10, "reason": "情况复杂"},
		"conclude": {"action": "conclude", "finding": "verified", "person_ids": []int64{personID}},
		"reply":    {"action": "reply", "body": "经调查，反映问题属实，已作处理。"},
		"close":    {"action": "close"},
		"merge":    {"action": "merge", "into": into},
		"note":     {"action": "note", "body": "已电话联系"},
		"fly":      {"action": "fly"},
	}
}

// caseIn makes a case in state.
func caseIn(t *testing.T, h *webtest.Harness, state string, personID, other int64) caseFix {
	t.Helper()
	admin := h.Token(auth.Admin)
	b := bodies(personID, other)
	c := newCase(t, h)
	steps := map[string][]string{
		"registered":    {},
		"accepted":      {"accept"},
		"refused":       {"refuse"},
		"transferred":   {"transfer"},
		"investigating": {"accept", "assign"},
		"concluded":     {"accept", "assign", "conclude"},
		"closed":        {"accept", "assign", "conclude", "reply", "close"},
		"review":        {"accept", "assign", "conclude", "reply", "close"},
		"merged":        {"merge"},
	}[state]
	for _, s := range steps {
		mustAct(t, h, admin, c.id, b[s])
	}
	if state == "review" {
		h.Must(201, "POST", "/api/v1/track/review", "", map[string]any{"receipt": c.receipt, "key": c.key, "reason": "答复未解决问题"})
	}
	if got := webtest.Str(getCase(t, h, admin, c.id).JSON, "state"); got != state {
		t.Fatalf("setup: case in %s, want %s", got, state)
	}
	return c
}

// Every action, legal and illegal, from every state, on both engines.
func TestCaseEveryActionFromEveryState(t *testing.T) {
	type want struct {
		status int
		state  string // after; "" = unchanged
	}
	ok := func(s string) want { return want{200, s} }
	no := want{409, ""}
	unknown := want{422, ""}
	all := func(m map[string]want) map[string]want {
		for _, a := range []string{"accept", "refuse", "transfer", "return", "assign", "extend", "conclude", "reply", "close", "merge", "note"} {
			if _, ok := m[a]; !ok {
				m[a] = no
			}
		}
		m["fly"] = unknown
		return m
	}
	table := map[string]map[string]want{
		"registered": all(map[string]want{"accept": ok("accepted"), "refuse": ok("refused"), "transfer": ok("transferred"),
			"merge": ok("merged"), "note": ok("registered")}),
		"accepted": all(map[string]want{"assign": ok("investigating"), "extend": ok("accepted"), "merge": ok("merged"), "note": ok("accepted")}),
		"refused":  all(map[string]want{"note": ok("refused")}),
		// close needs a reply first: 409 in a transferred case not yet answered.
		"transferred": all(map[string]want{"return": ok("registered"), "extend": ok("transferred"), "reply": ok("transferred"),
			"merge": ok("merged"), "note": ok("transferred")}),
		"investigating": all(map[string]want{"assign": ok("investigating"), "extend": ok("investigating"), "conclude": ok("concluded"),
			"merge": ok("merged"), "note": ok("investigating")}),
		"concluded": all(map[string]want{"conclude": ok("concluded"), "reply": ok("concluded"), "note": ok("concluded")}),
		"closed":    all(map[string]want{"note": ok("closed")}),
		"review":    all(map[string]want{"assign": ok("review"), "conclude": ok("review"), "reply": ok("review"), "note": ok("review")}),
		"merged":    all(map[string]want{"note": ok("merged")}),
	}
	webtest.Engines(t, func(t *testing.T, h *webtest.Harness) {
		pid := setupOrg(t, h)
		admin := h.Token(auth.Admin)
		target := newCase(t, h)
		for _, state := range []string{"registered", "accepted", "refused", "transferred", "investigating", "concluded", "closed", "review", "merged"} {
			for action, w := range table[state] {
				c := caseIn(t, h, state, pid, target.id)
				r := act(h, admin, c.id, bodies(pid, target.id)[action])
				if r.Status != w.status {
					t.Errorf("%s from %s: status %d, want %d: %s", action, state, r.Status, w.status, r.Raw)
					continue
				}
				after := webtest.Str(getCase(t, h, admin, c.id).JSON, "state")
				wantState := w.state
				if wantState == "" {
					wantState = state
				}
				if after != wantState {
					t.Errorf("%s from %s: state %s, want %s", action, state, after, wantState)
				}
				if w.status == 200 && webtest.Str(r.JSON, "state") != wantState {
					t.Errorf("%s from %s: answer shows state %s", action, state, webtest.Str(r.JSON, "state"))
				}
				if w.status == 409 {
					if r.ErrorCode() != "action_not_allowed" && r.ErrorCode() != "reply_first" {
						t.Errorf("%s from %s: code %s", action, state, r.ErrorCode())
					}
					if !strings.Contains(r.ErrorMessage(), state) {
						t.Errorf("%s from %s: message %q does not name the state", action, state, r.ErrorMessage())
					}
				}
			}
		}
		// After a reply, close closes; history names actor and action; every action was audited.
		c := caseIn(t, h, "concluded", pid, target.id)
		mustAct(t, h, admin, c.id, bodies(pid, 0)["reply"])
		r := mustAct(t, h, admin, c.id, map[string]any{"action": "close"})
		if webtest.Str(r.JSON, "state") != "closed" {
			t.Fatalf("close after reply: %s", r.Raw)
		}
		hist := r.JSON["history"].([]any)
		var actions []string
		for _, e := range hist {
			m := e.(map[string]any)
			if m["public"] == false {
				actions = append(actions, m["action"].(string)+"/"+m["actor"].(string))
			}
		}
		if got := strings.Join(actions, ","); !strings.Contains(got, "accept/user:admin,assign/user:admin,conclude/user:admin,reply/user:admin,close/user:admin") {
			t.Errorf("history: %s", got)
		}
		if ids := r.JSON["person_ids"].([]any); len(ids) != 1 || int64(ids[0].(float64)) != pid {
			t.Errorf("person_ids: %v", ids)
		}
		au := h.Must(200, "GET", "/api/v1/audit?subject="+fmt.Sprintf("case:%d", c.id), admin, nil)
		if !strings.Contains(string(au.Raw), "case.close") {
			t.Errorf("audit lacks case.close: %.300s", au.Raw)
		}
	})
}

// Roles, fields and visibility.
func TestCaseActionRolesAndFields(t *testing.T) {
	webtest.Engines(t, func(t *testing.T, h *webtest.Harness) {
		setupOrg(t, h)
		c := newCase(t, h)
		u1 := h.TokenFor("liaison1", auth.Liaison, "U1")
		u2 := h.TokenFor("liaison2", auth.Liaison, "U2")
		dir := h.Token(auth.Director)
		for _, tc := range []struct {
			name   string
			tok    string
			body   map[string]any
			status int
			field  string
		}{
			{"clerk may not accept", h.Token(auth.Clerk), map[string]any{"action": "accept"}, 403, ""},
			{"handler may not accept", h.Token(auth.Handler), map[string]any{"action": "accept"}, 403, ""},
			{"auditor acts never", h.Token(auth.Auditor), map[string]any{"action": "note", "body": "x"}, 403, ""},
			{"liaison: not its case", u1, map[string]any{"action": "note", "body": "x"}, 404, ""},
			{"unknown action", dir, map[string]any{"action": "fly"}, 422, "action"},
			{"no action", dir, map[string]any{}, 422, "action"},
			{"refuse needs a reason", dir, map[string]any{"action": "refuse"}, 422, "reason"},
			{"transfer needs a unit", dir, map[string]any{"action": "transfer", "reason": "x"}, 422, "unit"},
			{"transfer to an unknown unit", dir, map[string]any{"action": "transfer", "unit": "NOPE", "reason": "x"}, 422, "unit"},
			{"unknown field", dir, map[string]any{"action": "accept", "colour": "red"}, 422, "colour"},
			{"days of the wrong type", dir, map[string]any{"action": "extend", "days": "ten", "reason": "x"}, 422, "days"},
			{"stale version", dir, map[string]any{"action": "accept", "version": 99}, 409, ""},
		} {
			r := act(h, tc.tok, c.id, tc.body)
			if r.Status != tc.status {
				t.Errorf("%s: %d, want %d: %s", tc.name, r.Status, tc.status, r.Raw)
			}
			if tc.field != "" && webtest.Str(r.JSON, "error.field") != tc.field {
				t.Errorf("%s: field %q, want %q", tc.name, webtest.Str(r.JSON, "error.field"), tc.field)
			}
		}
		h.Must(404, "GET", fmt.Sprintf("/api/v1/cases/%d", c.id), u1, nil)
		mustAct(t, h, dir, c.id, map[string]any{"action": "transfer", "unit": "U1", "reason": "属市场监管职责"})
		// The receiving unit's liaison sees it; another unit's does not.
		r := getCase(t, h, u1, c.id)
		if webtest.Str(r.JSON, "transfer_unit.code") != "U1" {
			t.Errorf("transfer_unit: %s", r.Raw)
		}
		h.Must(404, "GET", fmt.Sprintf("/api/v1/cases/%d", c.id), u2, nil)
		if r := act(h, u2, c.id, map[string]any{"action": "return", "reason": "x"}); r.Status != 404 {
			t.Errorf("other unit's liaison returns: %d", r.Status)
		}
		if r := act(h, dir, c.id, map[string]any{"action": "return", "reason": "x"}); r.Status != 403 {
			t.Errorf("director returns: %d", r.Status)
		}
	})
}

// Two actions at once on one case: one wins, the other gets 409.
func TestCaseConcurrentActions(t *testing.T) {
	webtest.Engines(t, func(t *testing.T, h *webtest.Harness) {
		setupOrg(t, h)
		dir := h.Token(auth.Director)
		for round := 0; round < 5; round++ {
			c := newCase(t, h)
			bodies := []map[string]any{{"action": "accept"}, {"action": "refuse", "reason": "重复"}}
			if round%2 == 1 {
				bodies[1] = map[string]any{"action": "accept"}
			}
			var wg sync.WaitGroup
			codes := make([]int, 2)
			for i := range 2 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					codes[i] = act(h, dir, c.id, bodies[i]).Status
				}()
			}
			wg.Wait()
			if !(codes[0] == 200 && codes[1] == 409 || codes[0] == 409 && codes[1] == 200) {
				t.Fatalf("round %d: statuses %v, want one 200 and one 409", round, codes)
			}
			r := getCase(t, h, dir, c.id)
			if v := webtest.Str(r.JSON, "version"); v != "2" {
				t.Errorf("round %d: version %s after one action", round, v)
			}
		}
	})
}

func trackTimeline(t *testing.T, h *webtest.Harness, c caseFix) string {
	t.Helper()
	r := h.Must(200, "POST", "/api/v1/track", "", map[string]any{"receipt": c.receipt, "key": c.key})
	return string(r.Raw)
}

// Extension: once, at most 30 days, with the reporter told.
func TestCaseExtension(t *testing.T) {
	webtest.Engines(t, func(t *testing.T, h *webtest.Harness) {
		setupOrg(t, h)
		dir := h.Token(auth.Director)
		c := newCase(t, h) // received Mon 2026-03-02
		r := mustAct(t, h, dir, c.id, map[string]any{"action": "accept"})
		// 60 days from 03-02 is Fri 05-01, in the Labour Day break (05-01..05): Wed 05-06.
		if got := webtest.Str(r.JSON, "deadlines.finish_by"); got != "2026-05-06" {
			t.Fatalf("finish_by %s, want 2026-05-06", got)
		}
		if r := act(h, dir, c.id, map[string]any{"action": "extend", "days": 31, "reason": "复杂"}); r.Status != 422 || webtest.Str(r.JSON, "error.field") != "days" {
			t.Fatalf("31 days: %d %s", r.Status, r.Raw)
		}
		if r := act(h, dir, c.id, map[string]any{"action": "extend", "days": 0, "reason": "复杂"}); r.Status != 422 {
			t.Fatalf("0 days: %d", r.Status)
		}
		if r := act(h, dir, c.id, map[string]any{"action": "extend", "days": 30}); r.Status != 422 || webtest.Str(r.JSON, "error.field") != "reason" {
			t.Fatalf("no reason: %d %s", r.Status, r.Raw)
		}
		r = mustAct(t, h, dir, c.id, map[string]any{"action": "extend", "days": 30, "reason": "涉及多个部门"})
		// 30 days from 05-06 is Fri 06-05, a working day.
		if got := webtest.Str(r.JSON, "deadlines.finish_by"); got != "2026-06-05" {
			t.Fatalf("extended finish_by %s, want 2026-06-05", got)
		}
		if webtest.Str(r.JSON, "deadlines.extension_days") != "30" {
			t.Errorf("extension_days: %s", r.Raw)
		}
		if r := act(h, dir, c.id, map[string]any{"action": "extend", "days": 5, "reason": "再延"}); r.Status != 409 || r.ErrorCode() != "already_extended" {
			t.Fatalf("second extension: %d %s", r.Status, r.Raw)
		}
		tl := trackTimeline(t, h, c)
		if !strings.Contains(tl, "2026-06-05") || !strings.Contains(tl, "涉及多个部门") {
			t.Errorf("the reporter is not told of the extension: %s", tl)
		}
	})
}

// Transfer: the receiving unit may send it back within 5 working days.
func TestCaseTransferReturnWindow(t *testing.T) {
	webtest.Engines(t, func(t *testing.T, h *webtest.Harness) {
		setupOrg(t, h)
		h.TokenFor("liaison1", auth.Liaison, "U1")
		for _, tc := range []struct {
			transferOn, returnBy, returnOn string
			status                         int
		}{
			{"2026-03-02", "2026-03-09", "2026-03-09", 200}, // Mon → next Mon is the 5th working day
			{"2026-03-02", "2026-03-09", "2026-03-10", 409},
			// Across the National Day break: 10-08, 10-09, Sat 10-10 (make-up day), 10-12, 10-13.
			{"2026-09-30", "2026-10-13", "2026-10-13", 200},
			{"2026-09-30", "2026-10-13", "2026-10-14", 409},
		} {
			h.Clock.Set(at(tc.transferOn))
			dir := tok(t, h, auth.Director)
			c := newCase(t, h)
			r := mustAct(t, h, dir, c.id, map[string]any{"action": "transfer", "unit": "U1", "reason": "属其职责"})
			if got := webtest.Str(r.JSON, "deadlines.return_by"); got != tc.returnBy {
				t.Errorf("transfer on %s: return_by %s, want %s", tc.transferOn, got, tc.returnBy)
			}
			if !strings.Contains(trackTimeline(t, h, c), "县市场监管局") {
				t.Errorf("the reporter is not told where the case went")
			}
			h.Clock.Set(at(tc.returnOn))
			u1 := login(t, h, "liaison1")
			r = act(h, u1, c.id, map[string]any{"action": "return", "reason": "不属本单位职责"})
			if r.Status != tc.status {
				t.Errorf("return on %s: %d, want %d: %s", tc.returnOn, r.Status, tc.status, r.Raw)
			}
			if tc.status == 200 {
				if webtest.Str(r.JSON, "state") != "registered" || r.JSON["transfer_unit"] != nil {
					t.Errorf("after return: %s", r.Raw)
				}
				h.Must(404, "GET", fmt.Sprintf("/api/v1/cases/%d", c.id), u1, nil)
			} else if r.ErrorCode() != "return_window_passed" {
				t.Errorf("late return: %s", r.Raw)
			}
		}
	})
}

func dueStatus(t *testing.T, h *webtest.Harness, id int64) string {
	t.Helper()
	var s string
	if err := h.App.DB.Read.QueryRowContext(context.Background(), `SELECT due_status FROM cases WHERE id = $1`, id).Scan(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

// The sweep marks and escalates across the National Day break, once each.
func TestSweepAcrossNationalDay(t *testing.T) {
	webtest.Engines(t, func(t *testing.T, h *webtest.Harness) {
		h.Clock.Set(at("2026-09-18"))
		admin, dir, lead := tok(t, h, auth.Admin), tok(t, h, auth.Director), tok(t, h, auth.Leader)
		c := newCase(t, h)
		// 15 days from 09-18 is 10-03, inside the break: the deadline is Thu 10-08.
		if got := webtest.Str(getCase(t, h, admin, c.id).JSON, "deadlines.accept_by"); got != "2026-10-08" {
			t.Fatalf("accept_by %s, want 2026-10-08", got)
		}
		sweep := func() map[string]any {
			t.Helper()
			return h.Must(200, "POST", "/api/v1/jobs/sweep", admin, nil).JSON
		}
		notices := func(tok string) []any {
			t.Helper()
			return h.Must(200, "GET", "/api/v1/notices", tok, nil).JSON["notices"].([]any)
		}
		for _, step := range []struct {
			day, status     string
			dirN, leadN     int
			workingDaysLeft string
		}{
			// Thu 09-24: 09-28, 09-29, 09-30, 10-08 = 4 working days left (25th is Mid-Autumn).
			{"2026-09-24", "on_time", 0, 0, "4"},
			// Mon 09-28: 3 left (weekday counting alone would say 8).
			{"2026-09-28", "due_soon", 1, 0, "3"},
			{"2026-09-29", "due_soon", 1, 0, "2"},
			{"2026-10-05", "due_soon", 1, 0, "1"}, // inside the break
			{"2026-10-08", "due_soon", 1, 0, "0"},
			{"2026-10-09", "overdue", 1, 1, "-1"},
			{"2026-10-12", "overdue", 1, 1, "-3"}, // Sat 10-10 was a make-up working day
		} {
			h.Clock.Set(at(step.day))
			admin, dir, lead = tok(t, h, auth.Admin), tok(t, h, auth.Director), tok(t, h, auth.Leader)
			res := sweep()
			if res["ran"] != true {
				t.Fatalf("%s: sweep did not run: %v", step.day, res)
			}
			sweep() // a second run changes nothing
			if got := dueStatus(t, h, c.id); got != step.status {
				t.Errorf("%s: due_status %s, want %s", step.day, got, step.status)
			}
			g := getCase(t, h, admin, c.id).JSON
			if webtest.Str(g, "due_status") != step.status || webtest.Str(g, "working_days_left") != step.workingDaysLeft {
				t.Errorf("%s: view says %s with %s working days left, want %s, %s", step.day, webtest.Str(g, "due_status"), webtest.Str(g, "working_days_left"), step.status, step.workingDaysLeft)
			}
			if n := len(notices(dir)); n != step.dirN {
				t.Errorf("%s: director has %d notices, want %d", step.day, n, step.dirN)
			}
			if n := len(notices(lead)); n != step.leadN {
				t.Errorf("%s: leader has %d notices, want %d", step.day, n, step.leadN)
			}
		}
		ns := notices(lead)
		if n := ns[0].(map[string]any); n["kind"] != "overdue" || n["deadline"] != "2026-10-08" || int64(n["case_id"].(float64)) != c.id {
			t.Errorf("leader's notice: %v", n)
		}
		if len(notices(admin)) != 2 {
			t.Errorf("admin sees every notice")
		}
		h.Must(403, "GET", "/api/v1/notices", tok(t, h, auth.Clerk), nil)
		// Accepting moves the watched deadline to finish_by: on time again.
		mustAct(t, h, dir, c.id, map[string]any{"action": "accept"})
		sweep()
		if got := dueStatus(t, h, c.id); got != "on_time" {
			t.Errorf("after accept: %s", got)
		}
		id := int64(ns[0].(map[string]any)["id"].(float64))
		h.Must(204, "POST", fmt.Sprintf("/api/v1/notices/%d/read", id), lead, nil)
		if n := h.Must(200, "GET", "/api/v1/notices?unread=1", lead, nil).JSON["notices"].([]any); len(n) != 0 {
			t.Errorf("unread after reading: %v", n)
		}
	})
}

const year2027 = `{"year": 2027, "days": [
  {"date": "2027-01-01", "kind": "off", "name": "元旦"},
  {"date": "2027-01-04", "kind": "off", "name": "测试假日"}
]}`

// Importing 2027 recomputes a provisional deadline and clears the flag.
func TestCalendarImportRecomputes(t *testing.T) {
	webtest.Engines(t, func(t *testing.T, h *webtest.Harness) {
		h.Clock.Set(at("2026-12-20"))
		admin := tok(t, h, auth.Admin)
		c := newCase(t, h)
		g := getCase(t, h, admin, c.id).JSON
		// 15 days from 12-20 is Mon 2027-01-04: in an unloaded year, so provisional.
		if webtest.Str(g, "deadlines.accept_by") != "2027-01-04" || webtest.Str(g, "deadlines.provisional") != "true" {
			t.Fatalf("before import: %v", g["deadlines"])
		}
		// Bad files: 422 naming the line, nothing imported.
		for _, bad := range []string{
			`{"year": 2027, "days": [{"date": "2027-02-30", "kind": "off", "name": "x"}]}`,
			"{\"year\": 2027, \"days\": [\n{\"date\": \"2027-01-01\", \"kind\": \"off\", \"name\": \"a\"},\n{\"date\": \"2027-01-01\", \"kind\": \"off\", \"name\": \"b\"}]}",
			`{"year": 2027, "days": [{"date": "2028-01-01", "kind": "off", "name": "x"}]}`,
		} {
			r := h.Do("POST", "/api/v1/calendar/years", admin, bad, "Accept-Language: en")
			if r.Status != 422 || !strings.Contains(r.ErrorMessage(), "line") {
				t.Errorf("bad file: %d %s", r.Status, r.Raw)
			}
		}
		if strings.Contains(string(h.Must(200, "GET", "/api/v1/calendar/years", admin, nil).Raw), "2027") {
			t.Fatal("a bad file was imported")
		}
		h.Must(403, "POST", "/api/v1/calendar/years", tok(t, h, auth.Director), year2027)
		r := h.Must(201, "POST", "/api/v1/calendar/years", admin, year2027)
		if webtest.Str(r.JSON, "recomputed") != "1" {
			t.Errorf("import: %s", r.Raw)
		}
		g = getCase(t, h, admin, c.id).JSON
		if webtest.Str(g, "deadlines.accept_by") != "2027-01-05" || webtest.Str(g, "deadlines.provisional") != "false" {
			t.Errorf("after import: %v", g["deadlines"])
		}
		ys := string(h.Must(200, "GET", "/api/v1/calendar/years", tok(t, h, auth.Clerk), nil).Raw)
		if !strings.Contains(ys, `"year":2027,"source":"imported"`) || !strings.Contains(ys, `"year":2026,"source":"embedded"`) {
			t.Errorf("years: %s", ys)
		}
	})
}

// The reporter's review (复查, then 复核) within 30 days of the reply; a third is refused.
func TestReviewWindowAndRating(t *testing.T) {
	webtest.Engines(t, func(t *testing.T, h *webtest.Harness) {
		pid := setupOrg(t, h)
		dir := h.Token(auth.Director)
		c := newCase(t, h)
		review := func(c caseFix) webtest.Response {
			return h.Do("POST", "/api/v1/track/review", "", map[string]any{"receipt": c.receipt, "key": c.key, "reason": "不满意答复"})
		}
		rate := func(c caseFix, v string) webtest.Response {
			return h.Do("POST", "/api/v1/track/rating", "", map[string]any{"receipt": c.receipt, "key": c.key, "rating": v})
		}
		if r := review(c); r.Status != 409 {
			t.Fatalf("review before any reply: %d", r.Status)
		}
		if r := rate(c, "satisfied"); r.Status != 409 {
			t.Fatalf("rating before any reply: %d", r.Status)
		}
		if r := h.Do("POST", "/api/v1/track/review", "", map[string]any{"receipt": c.receipt, "key": "WRONG", "reason": "x"}); r.Status != 404 {
			t.Fatalf("wrong key: %d", r.Status)
		}
		for _, s := range []string{"accept", "assign", "conclude", "reply", "close"} {
			mustAct(t, h, dir, c.id, bodies(pid, 0)[s])
		}
		// Replied Mon 03-02: 30 days is Wed 04-01.
		h.Clock.Set(at("2026-04-01"))
		dir = tok(t, h, auth.Director)
		r := review(c)
		if r.Status != 201 || webtest.Str(r.JSON, "kind_zh") != "复查" || webtest.Str(r.JSON, "answer_by") != "2026-05-06" {
			t.Fatalf("first review: %d %s", r.Status, r.Raw)
		}
		if g := getCase(t, h, dir, c.id).JSON; webtest.Str(g, "state") != "review" || webtest.Str(g, "deadlines.review_by") != "2026-05-06" {
			t.Fatalf("after review request: %s %s", webtest.Str(g, "state"), webtest.Str(g, "deadlines.review_by"))
		}
		if r := review(c); r.Status != 409 {
			t.Errorf("review while in review: %d", r.Status)
		}
		mustAct(t, h, dir, c.id, map[string]any{"action": "reply", "body": "复查答复：维持原结论。"})
		mustAct(t, h, dir, c.id, map[string]any{"action": "close"})
		// Replied 04-01: the window ends Fri 05-01, a holiday → Wed 05-06; 05-07 is too late.
		h.Clock.Set(at("2026-05-07"))
		if r := review(c); r.Status != 409 || r.ErrorCode() != "review_window_passed" {
			t.Errorf("late 复核: %d %s", r.Status, r.Raw)
		}
		h.Clock.Set(at("2026-05-06"))
		dir = tok(t, h, auth.Director)
		r = review(c)
		if r.Status != 201 || webtest.Str(r.JSON, "kind_zh") != "复核" {
			t.Fatalf("复核: %d %s", r.Status, r.Raw)
		}
		mustAct(t, h, dir, c.id, map[string]any{"action": "reply", "body": "复核答复。"})
		mustAct(t, h, dir, c.id, map[string]any{"action": "close"})
		if r := review(c); r.Status != 409 || r.ErrorCode() != "review_exhausted" {
			t.Errorf("third request: %d %s", r.Status, r.Raw)
		}
		if r := rate(c, "great"); r.Status != 422 {
			t.Errorf("bad rating: %d", r.Status)
		}
		if r := rate(c, "basically_satisfied"); r.Status != 200 {
			t.Errorf("rating: %d %s", r.Status, r.Raw)
		}
		if g := getCase(t, h, dir, c.id).JSON; webtest.Str(g, "rating") != "basically_satisfied" || webtest.Str(g, "review_count") != "2" {
			t.Errorf("case after rating: %s %s", webtest.Str(g, "rating"), webtest.Str(g, "review_count"))
		}
	})
}

// Merge: the duplicate's messages and receipt keep working.
func TestMergeKeepsEverything(t *testing.T) {
	webtest.Engines(t, func(t *testing.T, h *webtest.Harness) {
		setupOrg(t, h)
		dir := h.Token(auth.Director)
		keep, dup, other := newCase(t, h), newCase(t, h), newCase(t, h)
		h.Must(201, "POST", "/api/v1/track/messages", "", map[string]any{"receipt": dup.receipt, "key": dup.key, "body": "补充：当天下午三点"})
		mustAct(t, h, dir, other.id, map[string]any{"action": "merge", "into": dup.id})
		if r := act(h, dir, dup.id, map[string]any{"action": "merge", "into": dup.id}); r.Status != 422 {
			t.Errorf("merge into itself: %d", r.Status)
		}
		if r := act(h, dir, dup.id, map[string]any{"action": "merge", "into": 999999}); r.Status != 422 || webtest.Str(r.JSON, "error.field") != "into" {
			t.Errorf("merge into nothing: %d %s", r.Status, r.Raw)
		}
		mustAct(t, h, dir, dup.id, map[string]any{"action": "merge", "into": keep.id})
		g := getCase(t, h, dir, keep.id)
		if !strings.Contains(string(g.Raw), "补充：当天下午三点") {
			t.Errorf("the duplicate's message is not on the surviving case: %s", g.Raw)
		}
		if m := g.JSON["merged_cases"].([]any); len(m) != 2 {
			t.Errorf("merged_cases: %v (the chain was not flattened)", m)
		}
		d := getCase(t, h, dir, dup.id)
		if webtest.Str(d.JSON, "merged_into") != fmt.Sprint(keep.id) {
			t.Errorf("merged_into: %s", d.Raw)
		}
		mustAct(t, h, dir, keep.id, map[string]any{"action": "accept"})
		tr := h.Must(200, "POST", "/api/v1/track", "", map[string]any{"receipt": dup.receipt, "key": dup.key})
		if webtest.Str(tr.JSON, "state") != "accepted" {
			t.Errorf("the duplicate's receipt does not show the survivor's progress: %s", tr.Raw)
		}
		if r := act(h, dir, keep.id, map[string]any{"action": "merge", "into": dup.id}); r.Status != 409 {
			t.Errorf("merge into a merged case: %d", r.Status)
		}
	})
}
