package web_test

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"mashang/internal/auth"
	"mashang/internal/web/webtest"
)

// cityFix is a city (FZ, the top office "main" renamed 福州市整肃办) with two
// counties, Minqing (MQ) and Yongtai (YT), each with its office and a
// service centre (MQ-ZX, YT-ZX).
type cityFix struct {
	h     *webtest.Harness
	admin string
}

func newCity(t *testing.T, h *webtest.Harness) cityFix {
	t.Helper()
	admin := h.Token(auth.Admin)
	for _, u := range []map[string]any{
		{"code": "FZ", "name": "福州市", "kind": "city"},
		{"code": "FZ-XZ", "name": "福州市行政服务中心", "kind": "service_centre", "parent": "FZ"},
		{"code": "MQ", "name": "闽清县", "kind": "county", "parent": "FZ"},
		{"code": "MQ-ZX", "name": "闽清县行政服务中心", "kind": "service_centre", "parent": "MQ"},
		{"code": "YT", "name": "永泰县", "kind": "county", "parent": "FZ"},
		{"code": "YT-ZX", "name": "永泰县行政服务中心", "kind": "service_centre", "parent": "YT"},
	} {
		h.Must(201, "POST", "/api/v1/units", admin, u)
	}
	r := h.Must(200, "PATCH", "/api/v1/offices/main", admin, map[string]any{"name": "福州市整肃办", "jurisdiction": "FZ"})
	if webtest.Str(r.JSON, "level") != "city" || webtest.Str(r.JSON, "jurisdiction") != "FZ" {
		t.Fatalf("the city office: %s", r.Raw)
	}
	r = h.Must(201, "POST", "/api/v1/offices", admin, map[string]any{"code": "MQ", "name": "闽清县整肃办", "jurisdiction": "MQ"})
	if webtest.Str(r.JSON, "parent") != "main" || webtest.Str(r.JSON, "level") != "county" || r.Header.Get("Location") != "/api/v1/offices/MQ" {
		t.Fatalf("Minqing's office: %s", r.Raw)
	}
	h.Must(201, "POST", "/api/v1/offices", admin, map[string]any{"code": "YT", "name": "永泰县整肃办", "jurisdiction": "YT"})
	return cityFix{h: h, admin: admin}
}

// report files a public report naming unit, received now; it returns the case id.
func (f cityFix) report(unit string) int64 {
	return f.reportSaying(unit, "窗口工作人员推诿，不予办理")
}

// caseOf reads case id as the admin of the top office.
func (f cityFix) caseOf(id int64) map[string]any {
	f.h.T.Helper()
	return f.h.Must(200, "GET", fmt.Sprintf("/api/v1/cases/%d", id), f.admin, nil).JSON
}

// With 5 working days configured for Minqing's office, its new cases are
// due for acceptance 5 working days after receipt while Yongtai's keep the
// received date + 15 days; each case keeps the limits it was registered
// under when the office's limits change later, through its later actions.
func TestOfficeLimitsSetEachCasesDeadlines(t *testing.T) {
	webtest.Engines(t, func(t *testing.T, h *webtest.Harness) {
		f := newCity(t, h)
		r := h.Must(200, "PATCH", "/api/v1/offices/MQ", f.admin, map[string]any{"limits": map[string]any{
			"accept": map[string]any{"days": 5, "unit": "workday"}, "finish": map[string]any{"days": 30, "unit": "calendar"}}})
		if webtest.Str(r.JSON, "limits.accept.unit") != "workday" || webtest.Str(r.JSON, "own_limits.finish.unit") != "calendar" {
			t.Fatalf("Minqing's limits: %s", r.Raw)
		}
		// Received Monday 2026-03-02 (the harness's clock).
		mq, yt, city := f.report("MQ-ZX"), f.report("YT-ZX"), f.report("FZ-XZ")
		for _, tc := range []struct {
			id             int64
			office, accept string
		}{
			{mq, "MQ", "2026-03-09"},     // Tue 3 … Fri 6, Mon 9: 5 working days
			{yt, "YT", "2026-03-17"},     // 2 March + 15 days
			{city, "main", "2026-03-17"}, // the city keeps the default too
		} {
			c := f.caseOf(tc.id)
			if webtest.Str(c, "office") != tc.office || webtest.Str(c, "deadlines.accept_by") != tc.accept {
				t.Errorf("case %d: office %s accept_by %s, want %s %s", tc.id, webtest.Str(c, "office"), webtest.Str(c, "deadlines.accept_by"), tc.office, tc.accept)
			}
		}
		// The list carries each case's office.
		l := h.Must(200, "GET", "/api/v1/cases?limit=10", f.admin, nil)
		got := map[string]string{}
		for _, c := range l.JSON["cases"].([]any) {
			m := c.(map[string]any)
			got[webtest.Str(m, "id")] = webtest.Str(m, "office")
		}
		if got[fmt.Sprint(mq)] != "MQ" || got[fmt.Sprint(yt)] != "YT" || got[fmt.Sprint(city)] != "main" {
			t.Fatalf("offices in the list: %v", got)
		}
		// Minqing goes back to the inherited limits; its case keeps its own.
		r = h.Must(200, "PATCH", "/api/v1/offices/MQ", f.admin, map[string]any{"limits": map[string]any{}})
		if webtest.Str(r.JSON, "limits.accept.days") != "15" || len(r.JSON["own_limits"].(map[string]any)) != 0 {
			t.Fatalf("Minqing inherits again: %s", r.Raw)
		}
		h.Must(200, "POST", fmt.Sprintf("/api/v1/cases/%d/actions", mq), h.TokenIn("mqdir", auth.Director, "MQ"), map[string]any{"action": "accept"})
		c := f.caseOf(mq)
		if webtest.Str(c, "deadlines.accept_by") != "2026-03-09" || webtest.Str(c, "deadlines.finish_by") != "2026-04-01" {
			t.Fatalf("the Minqing case keeps its limits: %v", c["deadlines"])
		}
		if c := f.caseOf(f.report("MQ-ZX")); webtest.Str(c, "deadlines.accept_by") != "2026-03-17" {
			t.Fatalf("a new Minqing case after the change: %v", c["deadlines"])
		}
		// A clerk of Yongtai's office registers a call naming no unit: the case is Yongtai's.
		clerk := h.TokenIn("ytclerk", auth.Clerk, "YT")
		r = h.Must(201, "POST", "/api/v1/intake", clerk, map[string]any{"channel": "hotline", "received_at": h.Clock.Now().Format(time.RFC3339), "content": "来电反映办事难"})
		if c := f.caseOf(int64(r.JSON["case_id"].(float64))); webtest.Str(c, "office") != "YT" {
			t.Fatalf("a Yongtai clerk's call: office %s", webtest.Str(c, "office"))
		}
	})
}

// The offices API: listing, the accounts' office, and its refusals, each
// changing nothing.
func TestOfficesAPI(t *testing.T) {
	webtest.Engines(t, func(t *testing.T, h *webtest.Harness) {
		f := newCity(t, h)
		r := h.Must(200, "GET", "/api/v1/offices", h.Token(auth.Clerk), nil)
		var codes []string
		for _, o := range r.JSON["offices"].([]any) {
			codes = append(codes, webtest.Str(o.(map[string]any), "code")+"<"+webtest.Str(o.(map[string]any), "parent"))
		}
		if fmt.Sprint(codes) != "[main< MQ<main YT<main]" {
			t.Fatalf("offices: %v", codes)
		}
		// Accounts: with an office, without one (the top office), an unknown one.
		r = h.Must(201, "POST", "/api/v1/users", f.admin, map[string]any{"username": "mqdir", "password": "a long passphrase 1", "role": "director", "office": "MQ"})
		if webtest.Str(r.JSON, "office") != "MQ" {
			t.Fatalf("an account of Minqing: %s", r.Raw)
		}
		r = h.Must(201, "POST", "/api/v1/users", f.admin, map[string]any{"username": "fzdir", "password": "a long passphrase 1", "role": "director"})
		if webtest.Str(r.JSON, "office") != "main" {
			t.Fatalf("an account without an office: %s", r.Raw)
		}
		if r := h.Do("POST", "/api/v1/users", f.admin, map[string]any{"username": "x1", "password": "a long passphrase 1", "role": "clerk", "office": "NOPE"}); r.Status != 422 || r.ErrorCode() != "unknown_office" {
			t.Fatalf("unknown office: %d %s", r.Status, r.Raw)
		}
		id := webtest.Str(r.JSON, "id")
		h.Must(204, "PATCH", "/api/v1/users/"+id, f.admin, map[string]any{"office": "YT"})
		users := h.Must(200, "GET", "/api/v1/users", f.admin, nil)
		for _, u := range users.JSON["users"].([]any) {
			if m := u.(map[string]any); webtest.Str(m, "username") == "fzdir" && webtest.Str(m, "office") != "YT" {
				t.Fatalf("moved account: %v", m)
			}
		}
		// Refusals.
		mqAdmin := h.TokenIn("mqadmin", auth.Admin, "MQ")
		for _, tc := range []struct {
			method, path, tok string
			body              any
			status            int
			code              string
		}{
			{"POST", "/api/v1/offices", f.admin, map[string]any{"code": "MQ", "name": "又一个", "jurisdiction": "YT"}, 409, "duplicate_office"},
			{"POST", "/api/v1/offices", f.admin, map[string]any{"code": "MQ2", "name": "又一个", "jurisdiction": "MQ"}, 409, "jurisdiction_taken"},
			{"POST", "/api/v1/offices", f.admin, map[string]any{"code": "ZX", "name": "中心", "jurisdiction": "MQ-ZX"}, 422, "not_a_jurisdiction"},
			{"POST", "/api/v1/offices", f.admin, map[string]any{"code": "X", "name": "某县", "jurisdiction": "NOPE"}, 422, "unknown_unit"},
			{"POST", "/api/v1/offices", f.admin, map[string]any{"code": "a b", "name": "某县", "jurisdiction": "YT"}, 422, "invalid_office_code"},
			{"POST", "/api/v1/offices", f.admin, map[string]any{"code": "X", "name": "", "jurisdiction": "YT"}, 422, "invalid_office_name"},
			{"POST", "/api/v1/offices", f.admin, `{"code":"X","name":"某县","jurisdiction":"YT","extra":1}`, 422, ""},
			{"PATCH", "/api/v1/offices/NOPE", f.admin, map[string]any{"limits": map[string]any{}}, 404, "office_not_found"},
			{"PATCH", "/api/v1/offices/MQ", f.admin, `{"limits":{"acept":{"days":5,"unit":"workday"}}}`, 422, ""},
			{"PATCH", "/api/v1/offices/MQ", f.admin, `{"limits":{"accept":{"days":0,"unit":"workday"}}}`, 422, "invalid_limit"},
			{"PATCH", "/api/v1/offices/MQ", f.admin, `{"limits":{"accept":{"days":5,"unit":"week"}}}`, 422, "invalid_limit"},
			{"PATCH", "/api/v1/offices/MQ", f.admin, `{"limits":`, 400, ""},
			// A county's admin runs its own office, not the city's nor its neighbour's.
			{"PATCH", "/api/v1/offices/main", mqAdmin, map[string]any{"limits": map[string]any{"accept": map[string]any{"days": 5, "unit": "workday"}}}, 403, "office_not_yours"},
			{"PATCH", "/api/v1/offices/YT", mqAdmin, map[string]any{"name": "改名"}, 403, "office_not_yours"},
			{"POST", "/api/v1/offices", mqAdmin, map[string]any{"code": "FZX", "name": "市中心", "jurisdiction": "FZ-XZ"}, 403, "office_not_yours"},
		} {
			r := h.Do(tc.method, tc.path, tc.tok, tc.body)
			if r.Status != tc.status || tc.code != "" && r.ErrorCode() != tc.code {
				t.Errorf("%s %s %v: %d %s, want %d %s", tc.method, tc.path, tc.body, r.Status, r.Raw, tc.status, tc.code)
			}
		}
		// The county's admin sets its own limits.
		h.Must(200, "PATCH", "/api/v1/offices/MQ", mqAdmin, map[string]any{"limits": map[string]any{"accept": map[string]any{"days": 10, "unit": "workday"}}})
		r = h.Must(200, "GET", "/api/v1/offices/YT", f.admin, nil)
		if webtest.Str(r.JSON, "limits.accept.days") != "15" || webtest.Str(r.JSON, "name") != "永泰县整肃办" {
			t.Fatalf("the refusals changed Yongtai: %s", r.Raw)
		}
		if r := h.Must(200, "GET", "/api/v1/offices", f.admin, nil); len(r.JSON["offices"].([]any)) != 3 {
			t.Fatalf("the refusals made offices: %s", r.Raw)
		}
	})
}

// reportSaying files a public report naming unit with content; it returns the case id.
func (f cityFix) reportSaying(unit, content string) int64 {
	f.h.T.Helper()
	r := f.h.Must(201, "POST", "/api/v1/reports", "", map[string]any{"content": content, "unit": unit, "anonymous": true})
	var id int64
	if err := f.h.App.DB.Read.QueryRow(`SELECT id FROM cases WHERE receipt = $1`, webtest.Str(r.JSON, "receipt")).Scan(&id); err != nil {
		f.h.T.Fatal(err)
	}
	return id
}

// ids lists the case ids of GET /api/v1/cases?query for tok, with the total.
func (f cityFix) ids(tok, query string) ([]int64, int) {
	f.h.T.Helper()
	r := f.h.Must(200, "GET", "/api/v1/cases?count=true&limit=50&"+query, tok, nil)
	var out []int64
	for _, c := range r.JSON["cases"].([]any) {
		out = append(out, int64(c.(map[string]any)["id"].(float64)))
	}
	slices.Sort(out)
	return out, int(r.JSON["total"].(float64))
}

// A county director cannot see, find or count a case of the neighbouring
// county: 404 as for a missing case, absent from lists, search, counts,
// exports and statistics. The city director sees both, read-only: it acts
// on the city's own cases only.
func TestOfficesScopeCases(t *testing.T) {
	webtest.Engines(t, func(t *testing.T, h *webtest.Harness) {
		f := newCity(t, h)
		mq := f.reportSaying("MQ-ZX", "梅溪镇窗口推诿，办证拖延")
		yt := f.reportSaying("YT-ZX", "樟城镇窗口推诿，吃拿卡要")
		city := f.reportSaying("FZ-XZ", "市行政服务中心窗口推诿")
		if _, err := h.App.Search.Index.CatchUp(context.Background()); err != nil {
			t.Fatal(err)
		}
		mqDir, ytDir := h.TokenIn("mqdir", auth.Director, "MQ"), h.TokenIn("ytdir", auth.Director, "YT")
		cityDir, cityLeader := h.TokenIn("fzdir", auth.Director, "main"), h.TokenIn("fzleader", auth.Leader, "main")
		mqLeader := h.TokenIn("mqleader", auth.Leader, "MQ")
		get := func(tok string, id int64) int {
			return h.Do("GET", fmt.Sprintf("/api/v1/cases/%d", id), tok, nil).Status
		}
		// The case page: 404 for the neighbour's case, as for a missing one.
		for _, tc := range []struct {
			who     string
			tok     string
			id      int64
			status  int
			errCode string
		}{
			{"MQ director, MQ case", mqDir, mq, 200, ""},
			{"MQ director, YT case", mqDir, yt, 404, "case_not_found"},
			{"MQ director, city case", mqDir, city, 404, "case_not_found"},
			{"YT director, MQ case", ytDir, mq, 404, "case_not_found"},
			{"YT director, YT case", ytDir, yt, 200, ""},
			{"city director, MQ case", cityDir, mq, 200, ""},
			{"city director, YT case", cityDir, yt, 200, ""},
			{"city director, city case", cityDir, city, 200, ""},
		} {
			r := h.Do("GET", fmt.Sprintf("/api/v1/cases/%d", tc.id), tc.tok, nil)
			if r.Status != tc.status || r.ErrorCode() != tc.errCode {
				t.Errorf("%s: %d %s, want %d %s", tc.who, r.Status, r.ErrorCode(), tc.status, tc.errCode)
			}
		}
		missing := h.Do("GET", "/api/v1/cases/999999", mqDir, nil)
		neighbour := h.Do("GET", fmt.Sprintf("/api/v1/cases/%d", yt), mqDir, nil)
		if strings.ReplaceAll(string(missing.Raw), "999999", "X") != strings.ReplaceAll(string(neighbour.Raw), fmt.Sprint(yt), "X") {
			t.Errorf("the neighbour's case answers unlike a missing one:\n%s\n%s", missing.Raw, neighbour.Raw)
		}
		// Lists, search and counts.
		for _, tc := range []struct {
			who, tok, query string
			want            []int64
		}{
			{"MQ director's list", mqDir, "", []int64{mq}},
			{"YT director's list", ytDir, "", []int64{yt}},
			{"city director's list", cityDir, "", []int64{mq, yt, city}},
			{"MQ director searches the neighbour's words", mqDir, "q=" + url.QueryEscape("樟城镇"), nil},
			{"MQ director searches common words", mqDir, "q=" + url.QueryEscape("窗口推诿"), []int64{mq}},
			{"city director searches the county's words", cityDir, "q=" + url.QueryEscape("樟城镇"), []int64{yt}},
			{"MQ director filters by the neighbour's unit", mqDir, "unit=YT", nil},
		} {
			ids, total := f.ids(tc.tok, tc.query)
			if fmt.Sprint(ids) != fmt.Sprint(tc.want) || total != len(tc.want) {
				t.Errorf("%s: %v (total %d), want %v", tc.who, ids, total, tc.want)
			}
		}
		// The export.
		r := h.Must(200, "GET", "/api/v1/cases/export?format=csv", mqDir, nil)
		if n := strings.Count(strings.TrimSpace(string(r.Raw)), "\n"); n != 1 || strings.Contains(string(r.Raw), "樟城镇") {
			t.Errorf("MQ director's export: %d rows: %s", n, r.Raw)
		}
		// Statistics: each county counts its own; the city counts all three.
		stats := func(tok string) float64 {
			return h.Must(200, "GET", "/api/v1/stats?from=2026-03-01&to=2026-03-31", tok, nil).JSON["total"].(float64)
		}
		for _, tc := range []struct {
			who  string
			tok  string
			want float64
		}{{"MQ director", mqDir, 1}, {"MQ leader", mqLeader, 1}, {"YT director", ytDir, 1}, {"city leader", cityLeader, 3}, {"city director", cityDir, 3}} {
			if got := stats(tc.tok); got != tc.want {
				t.Errorf("%s's statistics: total %v, want %v", tc.who, got, tc.want)
			}
		}
		// Read-only above: the city director may not accept a county's case,
		// and the case page offers it no action; the county's director may.
		if r := h.Do("POST", fmt.Sprintf("/api/v1/cases/%d/actions", mq), cityDir, map[string]any{"action": "accept"}); r.Status != 403 {
			t.Errorf("the city director accepts a county's case: %d %s", r.Status, r.Raw)
		}
		c := h.Must(200, "GET", fmt.Sprintf("/api/v1/cases/%d", mq), cityDir, nil)
		if acts := c.JSON["allowed_actions"].([]any); slices.Contains(acts, any("accept")) {
			t.Errorf("the city director is offered %v on a county's case", acts)
		}
		h.Must(200, "POST", fmt.Sprintf("/api/v1/cases/%d/actions", city), cityDir, map[string]any{"action": "accept"})
		h.Must(200, "POST", fmt.Sprintf("/api/v1/cases/%d/actions", mq), mqDir, map[string]any{"action": "accept"})
		// The neighbour's action answers as for a missing case.
		if r := h.Do("POST", fmt.Sprintf("/api/v1/cases/%d/actions", yt), mqDir, map[string]any{"action": "accept"}); r.Status != 404 {
			t.Errorf("MQ director acts on YT's case: %d %s", r.Status, r.Raw)
		}
		if get(ytDir, yt) != 200 || webtest.Str(h.Must(200, "GET", fmt.Sprintf("/api/v1/cases/%d", yt), ytDir, nil).JSON, "state") != "registered" {
			t.Error("the refused action changed Yongtai's case")
		}
	})
}

// A case transferred from the county to the city is handled there, and its
// reporter's receipt still tracks it; the history shows both offices. The
// office above may take a lower office's case over; the refusals change
// nothing.
func TestTransferBetweenOffices(t *testing.T) {
	webtest.Engines(t, func(t *testing.T, h *webtest.Harness) {
		f := newCity(t, h)
		r := h.Must(201, "POST", "/api/v1/reports", "", map[string]any{"content": "县领导干部推诿扯皮", "unit": "MQ-ZX", "anonymous": true})
		receipt, key := webtest.Str(r.JSON, "receipt"), webtest.Str(r.JSON, "key")
		var id int64
		if err := h.App.DB.Read.QueryRow(`SELECT id FROM cases WHERE receipt = $1`, receipt).Scan(&id); err != nil {
			t.Fatal(err)
		}
		other := f.reportSaying("MQ-ZX", "樟城镇的事项误报到闽清")
		mqDir, ytDir, cityDir := h.TokenIn("mqdir", auth.Director, "MQ"), h.TokenIn("ytdir", auth.Director, "YT"), h.TokenIn("fzdir", auth.Director, "main")
		path := fmt.Sprintf("/api/v1/cases/%d", id)
		actions := path + "/actions"
		// Refusals, each changing nothing.
		for _, tc := range []struct {
			who    string
			tok    string
			body   map[string]any
			status int
			code   string
		}{
			{"no reason", mqDir, map[string]any{"action": "transfer", "office": "main"}, 422, "required"},
			{"unknown office", mqDir, map[string]any{"action": "transfer", "office": "NOPE", "reason": "x"}, 422, "unknown_office"},
			{"its own office", mqDir, map[string]any{"action": "transfer", "office": "MQ", "reason": "x"}, 422, "same_office"},
			{"the neighbour", ytDir, map[string]any{"action": "transfer", "office": "YT", "reason": "x"}, 404, "case_not_found"},
			{"the city sends a county's case across", cityDir, map[string]any{"action": "transfer", "office": "YT", "reason": "x"}, 403, "not_your_case"},
		} {
			r := h.Do("POST", actions, tc.tok, tc.body)
			if r.Status != tc.status || r.ErrorCode() != tc.code {
				t.Errorf("%s: %d %s, want %d %s", tc.who, r.Status, r.Raw, tc.status, tc.code)
			}
		}
		if c := f.caseOf(id); webtest.Str(c, "office") != "MQ" || len(c["history"].([]any)) != 1 {
			t.Fatalf("the refusals changed the case: %s %v", webtest.Str(c, "office"), c["history"])
		}
		// Up: Minqing sends it to the city (it concerns the county's leaders).
		r = h.Must(200, "POST", actions, mqDir, map[string]any{"action": "transfer", "office": "main", "reason": "涉及县领导，超出县级权限"})
		if webtest.Str(r.JSON, "office") != "main" || webtest.Str(r.JSON, "state") != "registered" {
			t.Fatalf("after the transfer: %s", r.Raw)
		}
		if h.Do("GET", path, mqDir, nil).Status != 404 {
			t.Error("Minqing still sees the case it sent up")
		}
		// The city handles it.
		c := h.Must(200, "POST", actions, cityDir, map[string]any{"action": "accept"}).JSON
		var moved map[string]any
		for _, e := range c["history"].([]any) {
			if m := e.(map[string]any); webtest.Str(m, "action") == "transfer" && !m["public"].(bool) {
				moved = m["data"].(map[string]any)
			}
		}
		if moved == nil || webtest.Str(moved, "from_office") != "MQ" || webtest.Str(moved, "office") != "main" || webtest.Str(moved, "direction") != "up" ||
			webtest.Str(moved, "office_name") != "福州市整肃办" || webtest.Str(moved, "from_office_name") != "闽清县整肃办" {
			t.Fatalf("the history's transfer: %v", moved)
		}
		// The reporter's receipt still tracks it, and says where it went.
		tr := h.Must(200, "POST", "/api/v1/track", "", map[string]any{"receipt": receipt, "key": key})
		if webtest.Str(tr.JSON, "state") != "accepted" || !strings.Contains(string(tr.Raw), "福州市整肃办") {
			t.Fatalf("tracking: %s", tr.Raw)
		}
		// Down again: the city sends it back to Minqing, which sees it again.
		h.Must(200, "POST", actions, cityDir, map[string]any{"action": "transfer", "office": "MQ", "reason": "一般事项，由县办理"})
		if webtest.Str(h.Must(200, "GET", path, mqDir, nil).JSON, "state") != "accepted" {
			t.Error("Minqing does not see the case sent down")
		}
		// The city takes the other case over; then sends it across to Yongtai.
		r = h.Must(200, "POST", fmt.Sprintf("/api/v1/cases/%d/actions", other), cityDir, map[string]any{"action": "transfer", "office": "main", "reason": "市办提级办理"})
		if webtest.Str(r.JSON, "office") != "main" {
			t.Fatalf("take over: %s", r.Raw)
		}
		h.Must(200, "POST", fmt.Sprintf("/api/v1/cases/%d/actions", other), cityDir, map[string]any{"action": "transfer", "office": "YT", "reason": "属永泰县管辖"})
		if webtest.Str(h.Must(200, "GET", fmt.Sprintf("/api/v1/cases/%d", other), ytDir, nil).JSON, "office") != "YT" {
			t.Error("Yongtai does not see the case sent to it")
		}
		// It is assigned within its office only.
		if r := h.Do("POST", actions, mqDir, map[string]any{"action": "assign", "user": "ytdir"}); r.Status != 422 || r.ErrorCode() != "other_office" {
			t.Errorf("assigned to another office's director: %d %s", r.Status, r.Raw)
		}
		// A case under investigation stays where it is.
		h.Must(200, "POST", actions, mqDir, map[string]any{"action": "assign", "user": "mqdir"})
		if r := h.Do("POST", actions, mqDir, map[string]any{"action": "transfer", "office": "main", "reason": "x"}); r.Status != 409 {
			t.Errorf("transfer under investigation: %d %s", r.Status, r.Raw)
		}
	})
}

// A city supervision notice on a county case appears for the county
// director (not for the neighbour's), and the city's list shows the case
// overdue once its deadline passes; only the office above supervises.
func TestSupervisionFromAbove(t *testing.T) {
	webtest.Engines(t, func(t *testing.T, h *webtest.Harness) {
		f := newCity(t, h)
		mq, city := f.report("MQ-ZX"), f.report("FZ-XZ")
		mqDir, ytDir, cityDir := h.TokenIn("mqdir", auth.Director, "MQ"), h.TokenIn("ytdir", auth.Director, "YT"), h.TokenIn("fzdir", auth.Director, "main")
		cityClerk := h.TokenIn("fzclerk", auth.Clerk, "main")
		sup := map[string]any{"action": "supervise", "deadline": "2026-03-06", "instructions": "请于3月6日前报告办理情况"}
		on := func(id int64) string { return fmt.Sprintf("/api/v1/cases/%d/actions", id) }
		// Refusals, each changing nothing.
		for _, tc := range []struct {
			who    string
			tok    string
			id     int64
			body   map[string]any
			status int
			code   string
		}{
			{"the county supervises its own", mqDir, mq, sup, 403, "not_your_case"},
			{"the neighbour", ytDir, mq, sup, 404, "case_not_found"},
			{"the city its own", cityDir, city, sup, 403, "not_your_case"},
			{"a clerk", cityClerk, mq, sup, 403, "forbidden_action"},
			{"no instructions", cityDir, mq, map[string]any{"action": "supervise", "deadline": "2026-03-06"}, 422, "required"},
			{"no deadline", cityDir, mq, map[string]any{"action": "supervise", "instructions": "x"}, 422, "required"},
			{"a past deadline", cityDir, mq, map[string]any{"action": "supervise", "deadline": "2026-03-01", "instructions": "x"}, 422, "deadline_past"},
		} {
			r := h.Do("POST", on(tc.id), tc.tok, tc.body)
			if r.Status != tc.status || r.ErrorCode() != tc.code {
				t.Errorf("%s: %d %s, want %d %s", tc.who, r.Status, r.Raw, tc.status, tc.code)
			}
		}
		if c := f.caseOf(mq); c["supervision"] != nil {
			t.Fatalf("a refusal supervised the case: %v", c["supervision"])
		}
		r := h.Must(200, "POST", on(mq), cityDir, sup)
		if webtest.Str(r.JSON, "supervision.deadline") != "2026-03-06" || webtest.Str(r.JSON, "supervision.office") != "main" ||
			webtest.Str(r.JSON, "supervision.overdue") != "false" || webtest.Str(r.JSON, "state") != "registered" {
			t.Fatalf("supervised: %s", r.Raw)
		}
		// The notice: Minqing's director has it, Yongtai's does not.
		notices := func(tok string) []string {
			var out []string
			for _, n := range h.Must(200, "GET", "/api/v1/notices", tok, nil).JSON["notices"].([]any) {
				m := n.(map[string]any)
				out = append(out, fmt.Sprintf("%s %s %s", webtest.Str(m, "case_id"), webtest.Str(m, "kind"), webtest.Str(m, "deadline")))
			}
			return out
		}
		if got := notices(mqDir); fmt.Sprint(got) != fmt.Sprintf("[%d supervision 2026-03-06]", mq) {
			t.Errorf("Minqing's director's notices: %v", got)
		}
		if got := notices(ytDir); len(got) != 0 {
			t.Errorf("Yongtai's director's notices: %v", got)
		}
		// Overdue once the deadline passes (Monday 9 March), in the city's list first of all.
		overdue := func(tok string) ([]int64, []any) {
			r := h.Must(200, "GET", "/api/v1/cases?supervised=overdue", tok, nil)
			var ids []int64
			for _, c := range r.JSON["cases"].([]any) {
				ids = append(ids, int64(c.(map[string]any)["id"].(float64)))
			}
			return ids, r.JSON["cases"].([]any)
		}
		if ids, _ := overdue(cityDir); len(ids) != 0 {
			t.Fatalf("overdue before the deadline: %v", ids)
		}
		h.Clock.Set(time.Date(2026, 3, 9, 9, 0, 0, 0, webtest.Start.Location()))
		// (Signed in again: a week's wait outlives the tokens.)
		login := func(name string) string {
			tok, _, err := h.App.Auth.Login(context.Background(), name, "test password 123", "", "test-"+name)
			if err != nil {
				t.Fatal(err)
			}
			return tok
		}
		cityDir, ytDir, f.admin = login("fzdir"), login("ytdir"), login("admin")
		ids, rows := overdue(cityDir)
		if fmt.Sprint(ids) != fmt.Sprintf("[%d]", mq) || webtest.Str(rows[0].(map[string]any), "supervision.overdue") != "true" {
			t.Fatalf("the city's overdue supervised cases: %v %v", ids, rows)
		}
		if ids, _ := overdue(ytDir); len(ids) != 0 {
			t.Errorf("Yongtai sees Minqing's supervised case: %v", ids)
		}
		if c := f.caseOf(mq); webtest.Str(c, "supervision.overdue") != "true" {
			t.Errorf("the case page: %v", c["supervision"])
		}
		if r := h.Do("GET", "/api/v1/cases?supervised=maybe", cityDir, nil); r.Status != 422 {
			t.Errorf("supervised=maybe: %d", r.Status)
		}
	})
}

// The city's statistics equal the sum of its offices' statistics, by value:
// two cases in Minqing, one in Yongtai, one of the city's own.
func TestCityStatisticsAreTheSumOfItsOffices(t *testing.T) {
	webtest.Engines(t, func(t *testing.T, h *webtest.Harness) {
		f := newCity(t, h)
		f.report("MQ-ZX")
		f.report("MQ-ZX")
		f.report("YT-ZX")
		f.report("FZ-XZ")
		stats := func(tok string) map[string]any {
			return h.Must(200, "GET", "/api/v1/stats?from=2026-03-01&to=2026-03-31", tok, nil).JSON
		}
		city, mq, yt := stats(h.TokenIn("fzleader", auth.Leader, "main")), stats(h.TokenIn("mqleader", auth.Leader, "MQ")), stats(h.TokenIn("ytleader", auth.Leader, "YT"))
		for _, tc := range []struct {
			name      string
			got, want float64
		}{
			{"city total", city["total"].(float64), 4},
			{"Minqing total", mq["total"].(float64), 2},
			{"Yongtai total", yt["total"].(float64), 1},
			{"city registered", city["by_state"].(map[string]any)["registered"].(float64), 4},
			{"city web reports", city["by_channel"].(map[string]any)["web"].(float64), 4},
			{"Minqing web reports", mq["by_channel"].(map[string]any)["web"].(float64), 2},
		} {
			if tc.got != tc.want {
				t.Errorf("%s: %v, want %v", tc.name, tc.got, tc.want)
			}
		}
		byOffice := func(m map[string]any) string {
			var out []string
			for _, g := range m["by_office"].([]any) {
				out = append(out, fmt.Sprintf("%s=%s", webtest.Str(g.(map[string]any), "office"), webtest.Str(g.(map[string]any), "total")))
			}
			return strings.Join(out, " ")
		}
		if got := byOffice(city); got != "MQ=2 YT=1 main=1" {
			t.Errorf("the city's breakdown: %s", got)
		}
		if got := byOffice(mq); got != "MQ=2" {
			t.Errorf("Minqing's breakdown: %s", got)
		}
		// The city asks for one county's figures: the county's own.
		cityOnMQ := h.Must(200, "GET", "/api/v1/stats?from=2026-03-01&to=2026-03-31&office=MQ", h.TokenIn("fzdir", auth.Director, "main"), nil).JSON
		if cityOnMQ["total"].(float64) != 2 || byOffice(cityOnMQ) != "MQ=2" {
			t.Errorf("the city's figures of Minqing: %v %s", cityOnMQ["total"], byOffice(cityOnMQ))
		}
		if r := h.Do("GET", "/api/v1/stats?office=YT", h.TokenIn("mqdir", auth.Director, "MQ"), nil); r.Status != 404 {
			t.Errorf("Minqing asks for Yongtai's figures: %d", r.Status)
		}
		// The city's own figure is the rest: 4 = 2 + 1 + 1.
		if city["total"].(float64) != mq["total"].(float64)+yt["total"].(float64)+1 {
			t.Error("the city's total is not the sum of its offices'")
		}
	})
}

// The receiving office may object to a case another office transferred to
// it within 5 working days, counted on the official calendar: a case sent
// up on Wednesday 30 September 2026 may be objected to until Tuesday 13
// October (1–7 October are the National Day holiday, Saturday 10 October a
// make-up working day). The objection sends it back, the history shows both
// offices; after the window the objection is refused (409) in the caller's
// language, changing nothing. An office taking a case over opens no window.
func TestObjectionToATransferBetweenOffices(t *testing.T) {
	webtest.Engines(t, func(t *testing.T, h *webtest.Harness) {
		h.Clock.Set(time.Date(2026, 9, 30, 10, 0, 0, 0, webtest.Start.Location()))
		f := newCity(t, h)
		r := h.Must(201, "POST", "/api/v1/reports", "", map[string]any{"content": "县领导干部推诿扯皮", "unit": "MQ-ZX", "anonymous": true})
		receipt, key := webtest.Str(r.JSON, "receipt"), webtest.Str(r.JSON, "key")
		var early int64
		if err := h.App.DB.Read.QueryRow(`SELECT id FROM cases WHERE receipt = $1`, receipt).Scan(&early); err != nil {
			t.Fatal(err)
		}
		late, taken := f.report("MQ-ZX"), f.report("MQ-ZX")
		mqDir, cityDir, cityClerk := h.TokenIn("mqdir", auth.Director, "MQ"), h.TokenIn("fzdir", auth.Director, "main"), h.TokenIn("fzclerk", auth.Clerk, "main")
		on := func(id int64) string { return fmt.Sprintf("/api/v1/cases/%d/actions", id) }
		up := map[string]any{"action": "transfer", "office": "main", "reason": "涉及县领导，超出县级权限"}
		for _, id := range []int64{early, late} {
			r := h.Must(200, "POST", on(id), mqDir, up)
			if webtest.Str(r.JSON, "office") != "main" {
				t.Fatalf("sent up: %s", r.Raw)
			}
		}
		c := h.Must(200, "GET", fmt.Sprintf("/api/v1/cases/%d", early), cityDir, nil).JSON
		if webtest.Str(c, "office_transfer.object_by") != "2026-10-13" || webtest.Str(c, "office_transfer.from") != "MQ" {
			t.Fatalf("the objection window: %v", c["office_transfer"])
		}
		if !slices.Contains(c["allowed_actions"].([]any), any("object")) {
			t.Errorf("the city director is not offered the objection: %v", c["allowed_actions"])
		}
		// The city takes a case over: no objection to its own choice.
		h.Must(200, "POST", on(taken), cityDir, map[string]any{"action": "transfer", "office": "main", "reason": "市办提级办理"})
		if c := f.caseOf(taken); c["office_transfer"] != nil {
			t.Errorf("a case taken over has an objection window: %v", c["office_transfer"])
		}
		if r := h.Do("POST", on(taken), cityDir, map[string]any{"action": "object", "reason": "x"}); r.Status != 409 || r.ErrorCode() != "no_objection_open" {
			t.Errorf("objecting to a take-over: %d %s", r.Status, r.Raw)
		}
		// Refusals, each changing nothing.
		for _, tc := range []struct {
			who    string
			tok    string
			body   map[string]any
			status int
			code   string
		}{
			{"no reason", cityDir, map[string]any{"action": "object"}, 422, "required"},
			{"a clerk", cityClerk, map[string]any{"action": "object", "reason": "x"}, 403, "forbidden_action"},
			{"the sending office", mqDir, map[string]any{"action": "object", "reason": "x"}, 404, "case_not_found"},
		} {
			if r := h.Do("POST", on(early), tc.tok, tc.body); r.Status != tc.status || r.ErrorCode() != tc.code {
				t.Errorf("%s: %d %s, want %d %s", tc.who, r.Status, r.Raw, tc.status, tc.code)
			}
		}
		// The last day of the window (a week's wait outlives the tokens).
		h.Clock.Set(time.Date(2026, 10, 13, 16, 0, 0, 0, webtest.Start.Location()))
		login := func(name string) string {
			tok, _, err := h.App.Auth.Login(context.Background(), name, "test password 123", "", "test-"+name)
			if err != nil {
				t.Fatal(err)
			}
			return tok
		}
		cityDir, mqDir, f.admin = login("fzdir"), login("mqdir"), login("admin")
		r = h.Must(200, "POST", on(early), cityDir, map[string]any{"action": "object", "reason": "属县级管辖的一般事项，非误转"})
		if webtest.Str(r.JSON, "office") != "MQ" || r.JSON["office_transfer"] != nil {
			t.Fatalf("after the objection: %s", r.Raw)
		}
		c = h.Must(200, "GET", fmt.Sprintf("/api/v1/cases/%d", early), mqDir, nil).JSON
		var moves []string
		for _, e := range c["history"].([]any) {
			m := e.(map[string]any)
			if a := webtest.Str(m, "action"); (a == "transfer" || a == "object") && !m["public"].(bool) {
				d := m["data"].(map[string]any)
				moves = append(moves, a+" "+webtest.Str(d, "from_office")+"→"+webtest.Str(d, "office"))
			}
		}
		if fmt.Sprint(moves) != "[transfer MQ→main object main→MQ]" {
			t.Errorf("the history's moves: %v", moves)
		}
		if r := h.Do("POST", on(early), cityDir, map[string]any{"action": "object", "reason": "x"}); r.Status != 403 {
			t.Errorf("the city objects to a case it sent back: %d %s", r.Status, r.Raw)
		}
		tr := h.Must(200, "POST", "/api/v1/track", "", map[string]any{"receipt": receipt, "key": key})
		if !strings.Contains(string(tr.Raw), "闽清县整肃办") {
			t.Errorf("the reporter is not told where it went back: %s", tr.Raw)
		}
		// The day after the window: refused, in the caller's language.
		h.Clock.Set(time.Date(2026, 10, 14, 9, 0, 0, 0, webtest.Start.Location()))
		cityDir, f.admin = login("fzdir"), login("admin")
		for _, tc := range []struct{ lang, want string }{{"zh-CN", "提出异议的期限（2026-10-13"}, {"en", "the time to object ended on 2026-10-13"}} {
			r := h.Do("POST", on(late), cityDir, map[string]any{"action": "object", "reason": "误转"}, "Accept-Language: "+tc.lang)
			if r.Status != 409 || r.ErrorCode() != "objection_window_passed" || !strings.Contains(r.ErrorMessage(), tc.want) {
				t.Errorf("%s, after the window: %d %s", tc.lang, r.Status, r.Raw)
			}
		}
		c = f.caseOf(late)
		if webtest.Str(c, "office") != "main" || slices.Contains(c["allowed_actions"].([]any), any("object")) {
			t.Errorf("after the window: office %s, actions %v", webtest.Str(c, "office"), c["allowed_actions"])
		}
	})
}

// The lower office answers a supervision: the upper office reads the
// answer on the case, the notice clears for the county director, and an
// answered case is no longer overdue; a new supervision asks again. Only
// the supervised office answers, and only a supervised case.
func TestAnswerToASupervision(t *testing.T) {
	webtest.Engines(t, func(t *testing.T, h *webtest.Harness) {
		f := newCity(t, h)
		mq, other := f.report("MQ-ZX"), f.report("MQ-ZX")
		mqDir, mqClerk, cityDir := h.TokenIn("mqdir", auth.Director, "MQ"), h.TokenIn("mqclerk", auth.Clerk, "MQ"), h.TokenIn("fzdir", auth.Director, "main")
		on := func(id int64) string { return fmt.Sprintf("/api/v1/cases/%d/actions", id) }
		h.Must(200, "POST", on(mq), cityDir, map[string]any{"action": "supervise", "deadline": "2026-03-06", "instructions": "请于3月6日前报告办理情况"})
		unread := func(tok string) int {
			return len(h.Must(200, "GET", "/api/v1/notices?unread=true", tok, nil).JSON["notices"].([]any))
		}
		if unread(mqDir) != 1 {
			t.Fatalf("the county director's notice: %d", unread(mqDir))
		}
		ans := map[string]any{"action": "answer", "body": "已约谈责任人，3月5日前办结"}
		for _, tc := range []struct {
			who    string
			tok    string
			id     int64
			body   map[string]any
			status int
			code   string
		}{
			{"the city answers itself", cityDir, mq, ans, 403, "not_your_case"},
			{"a clerk", mqClerk, mq, ans, 403, "forbidden_action"},
			{"no text", mqDir, mq, map[string]any{"action": "answer"}, 422, "required"},
			{"a case not supervised", mqDir, other, ans, 409, "not_supervised"},
		} {
			if r := h.Do("POST", on(tc.id), tc.tok, tc.body); r.Status != tc.status || r.ErrorCode() != tc.code {
				t.Errorf("%s: %d %s, want %d %s", tc.who, r.Status, r.Raw, tc.status, tc.code)
			}
		}
		if c := h.Must(200, "GET", fmt.Sprintf("/api/v1/cases/%d", mq), mqDir, nil).JSON; !slices.Contains(c["allowed_actions"].([]any), any("answer")) {
			t.Errorf("the county director is not offered the answer: %v", c["allowed_actions"])
		}
		h.Must(200, "POST", on(mq), mqDir, ans)
		c := h.Must(200, "GET", fmt.Sprintf("/api/v1/cases/%d", mq), cityDir, nil).JSON
		if webtest.Str(c, "supervision.answer") != "已约谈责任人，3月5日前办结" || webtest.Str(c, "supervision.answered_at") == "" {
			t.Fatalf("the city reads the answer: %v", c["supervision"])
		}
		if n := unread(mqDir); n != 0 {
			t.Errorf("the notice did not clear: %d unread", n)
		}
		// Past the deadline, the answered case is not overdue.
		h.Clock.Set(time.Date(2026, 3, 9, 9, 0, 0, 0, webtest.Start.Location()))
		tok, _, err := h.App.Auth.Login(context.Background(), "fzdir", "test password 123", "", "x")
		if err != nil {
			t.Fatal(err)
		}
		if ids, _ := f.ids(tok, "supervised=overdue"); len(ids) != 0 {
			t.Errorf("an answered case is overdue: %v", ids)
		}
		if ids, _ := f.ids(tok, "supervised=any"); fmt.Sprint(ids) != fmt.Sprintf("[%d]", mq) {
			t.Errorf("the supervised cases: %v", ids)
		}
		// A new supervision asks again: the notice is back, the answer gone.
		h.Must(200, "POST", on(mq), tok, map[string]any{"action": "supervise", "deadline": "2026-03-13", "instructions": "请报告办结情况"})
		mqTok, _, err := h.App.Auth.Login(context.Background(), "mqdir", "test password 123", "", "x")
		if err != nil {
			t.Fatal(err)
		}
		if n := unread(mqTok); n != 1 {
			t.Errorf("the new supervision's notice: %d unread", n)
		}
		if c := h.Must(200, "GET", fmt.Sprintf("/api/v1/cases/%d", mq), tok, nil).JSON; c["supervision"].(map[string]any)["answered_at"] != nil {
			t.Errorf("the new supervision keeps the old answer: %v", c["supervision"])
		}
	})
}

// The city's inspection group plans inspections in its counties, announced
// and covert, and the findings open cases in the county office concerned:
// Minqing's finding is Minqing's (its director sees it, Yongtai's does not),
// Yongtai's is Yongtai's. A covert plan's case stays hidden from both
// directors, the city's too, until the plan is done (the covert rules
// unchanged); then it is the county's like any other.
func TestCityInspectsItsCounties(t *testing.T) {
	webtest.Engines(t, func(t *testing.T, h *webtest.Harness) {
		newCity(t, h)
		insp := h.TokenIn("fzinsp", auth.Inspector, "main")
		mqDir, ytDir, cityDir, cityLeader := h.TokenIn("mqdir", auth.Director, "MQ"), h.TokenIn("ytdir", auth.Director, "YT"),
			h.TokenIn("fzdir", auth.Director, "main"), h.TokenIn("fzleader", auth.Leader, "main")
		plan := func(title string, covert bool, units ...string) int64 {
			r := h.Must(201, "POST", "/api/v1/inspections", insp, map[string]any{"title": title, "covert": covert, "units": units, "from": "2026-03-01", "to": "2026-03-31"})
			return int64(r.JSON["id"].(float64))
		}
		visit := func(plan int64, unit, text string) int64 {
			r := h.Must(201, "POST", fmt.Sprintf("/api/v1/inspections/%d/visits", plan), insp, map[string]any{
				"at": "2026-03-02T08:30:00+08:00", "place": unit + " 窗口", "unit": unit, "answers": map[string]string{},
				"findings": []map[string]any{{"text": text, "situation": "P2.1", "open_case": true}}})
			id, ok := r.JSON["findings"].([]any)[0].(map[string]any)["case_id"].(float64)
			if !ok {
				t.Fatalf("no case: %s", r.Raw)
			}
			return int64(id)
		}
		announced := plan("福州市检查组明察闽清、永泰行政服务中心", false, "MQ-ZX", "YT-ZX")
		mq, yt := visit(announced, "MQ-ZX", "窗口无人在岗"), visit(announced, "YT-ZX", "窗口人员玩手机")
		covertPlan := plan("福州市检查组暗访闽清县行政服务中心", true, "MQ-ZX")
		covert := visit(covertPlan, "MQ-ZX", "暗访发现窗口推诿")
		get := func(tok string, id int64) (int, string) {
			r := h.Do("GET", fmt.Sprintf("/api/v1/cases/%d", id), tok, nil)
			return r.Status, webtest.Str(r.JSON, "office")
		}
		for _, tc := range []struct {
			who    string
			tok    string
			id     int64
			status int
			office string
		}{
			{"Minqing's director, Minqing's finding", mqDir, mq, 200, "MQ"},
			{"Yongtai's director, Minqing's finding", ytDir, mq, 404, ""},
			{"Yongtai's director, Yongtai's finding", ytDir, yt, 200, "YT"},
			{"the city's director, Yongtai's finding", cityDir, yt, 200, "YT"},
			{"Minqing's director, the covert finding", mqDir, covert, 404, ""},
			{"the city's director, the covert finding", cityDir, covert, 404, ""},
			{"the city's leader, the covert finding", cityLeader, covert, 200, "MQ"},
			{"the city's inspector, the covert finding", insp, covert, 200, "MQ"},
		} {
			if st, office := get(tc.tok, tc.id); st != tc.status || office != tc.office {
				t.Errorf("%s: %d %s, want %d %s", tc.who, st, office, tc.status, tc.office)
			}
		}
		if ids, total := (cityFix{h: h}).ids(mqDir, ""); fmt.Sprint(ids) != fmt.Sprintf("[%d]", mq) || total != 1 {
			t.Errorf("Minqing's list before the plan is done: %v", ids)
		}
		h.Must(200, "POST", fmt.Sprintf("/api/v1/inspections/%d/done", covertPlan), insp, nil)
		if st, office := get(mqDir, covert); st != 200 || office != "MQ" {
			t.Errorf("the covert finding once the plan is done: %d %s", st, office)
		}
		if st, _ := get(ytDir, covert); st != 404 {
			t.Errorf("Yongtai sees Minqing's covert finding: %d", st)
		}
	})
}

// Each office's rules apply to its own cases' decisions, inherited from the
// office above unless set: the city switches the approval step on for every
// office, Yongtai switches it off for itself, Minqing judges under the 2019
// national rule set, each through PATCH /api/v1/offices/{code} (an unknown
// rule set refused, changing nothing). A Minqing decision is pending under national-2019; a
// Yongtai one is in force under the default rule set; a decision keeps the
// rule set it was made under when the office's changes later.
func TestOfficeRulesApplyToDecisions(t *testing.T) {
	webtest.Engines(t, func(t *testing.T, h *webtest.Harness) {
		f := newCity(t, h)
		// As an admin sets them: PATCH /api/v1/offices/{code}.
		h.Must(200, "PATCH", "/api/v1/offices/main", f.admin, map[string]any{"decision_approval": true})
		h.Must(200, "PATCH", "/api/v1/offices/YT", f.admin, map[string]any{"decision_approval": false})
		mqView := h.Must(200, "PATCH", "/api/v1/offices/MQ", f.admin, map[string]any{"ruleset": "national-2019"}).JSON
		if webtest.Str(mqView, "ruleset") != "national-2019" || mqView["decision_approval"] != true {
			t.Errorf("Minqing as the API shows it: ruleset %s, approval %v", webtest.Str(mqView, "ruleset"), mqView["decision_approval"])
		}
		if yt := h.Must(200, "GET", "/api/v1/offices/YT", f.admin, nil).JSON; webtest.Str(yt, "ruleset") != "fuzhou-2015" || yt["decision_approval"] != false {
			t.Errorf("Yongtai as the API shows it: ruleset %s, approval %v", webtest.Str(yt, "ruleset"), yt["decision_approval"])
		}
		// An unknown rule set is refused in the caller's language, naming
		// the field and the known ones, and changes nothing.
		for _, lang := range []string{"zh-CN", "en"} {
			r := h.Do("PATCH", "/api/v1/offices/YT", f.admin, map[string]any{"ruleset": "no-such-rules", "decision_approval": true}, "Accept-Language: "+lang)
			if r.Status != 422 || r.ErrorCode() != "unknown_rule_set" || !strings.Contains(string(r.Raw), "national-2019") ||
				!strings.Contains(r.ErrorMessage(), map[string]string{"zh-CN": "未知的规则集", "en": "unknown rule set"}[lang]) {
				t.Errorf("an unknown rule set (%s): %d %s", lang, r.Status, r.Raw)
			}
		}
		if yt := h.Must(200, "GET", "/api/v1/offices/YT", f.admin, nil).JSON; webtest.Str(yt, "ruleset") != "fuzhou-2015" || yt["decision_approval"] != false {
			t.Errorf("Yongtai after the refused change: ruleset %s, approval %v", webtest.Str(yt, "ruleset"), yt["decision_approval"])
		}
		decide := func(county, centre string) map[string]any {
			t.Helper()
			dir := h.TokenIn(strings.ToLower(county)+"dir", auth.Director, county)
			p := h.Must(201, "POST", "/api/v1/people", f.admin, map[string]any{"name": "窗口负责人" + county, "unit": centre})
			person := p.JSON["id"].(float64)
			c := f.report(centre)
			on := fmt.Sprintf("/api/v1/cases/%d/actions", c)
			h.Must(200, "POST", on, dir, map[string]any{"action": "accept"})
			h.Must(200, "POST", on, dir, map[string]any{"action": "assign", "user": strings.ToLower(county) + "dir"})
			h.Must(200, "POST", on, dir, map[string]any{"action": "conclude", "finding": "verified", "person_ids": []float64{person}})
			r := h.Must(201, "POST", fmt.Sprintf("/api/v1/cases/%d/decisions", c), dir, map[string]any{
				"person_id": person, "situation": "P1.2", "sanctions": []string{"removal"}, "decided_on": "2026-03-02"})
			return h.Must(200, "GET", fmt.Sprintf("/api/v1/decisions/%v", r.JSON["id"]), f.admin, nil).JSON
		}
		mq := decide("MQ", "MQ-ZX")
		if webtest.Str(mq, "rule_set") != "national-2019" || webtest.Str(mq, "status") != "pending" {
			t.Errorf("Minqing's decision: %s %s", webtest.Str(mq, "rule_set"), webtest.Str(mq, "status"))
		}
		yt := decide("YT", "YT-ZX")
		if webtest.Str(yt, "rule_set") != "fuzhou-2015" || webtest.Str(yt, "status") != "in_force" {
			t.Errorf("Yongtai's decision: %s %s", webtest.Str(yt, "rule_set"), webtest.Str(yt, "status"))
		}
		if v := h.Must(200, "PATCH", "/api/v1/offices/MQ", f.admin, map[string]any{"ruleset": ""}).JSON; webtest.Str(v, "ruleset") != "fuzhou-2015" {
			t.Errorf("Minqing's rule set cleared: %s, want the deployment's", webtest.Str(v, "ruleset"))
		}
		if d := h.Must(200, "GET", fmt.Sprintf("/api/v1/decisions/%v", mq["id"]), f.admin, nil).JSON; webtest.Str(d, "rule_set") != "national-2019" {
			t.Errorf("the decision's rule set after the office's change: %s", webtest.Str(d, "rule_set"))
		}
	})
}

// The public portal's figures per office and for the whole jurisdiction:
// the deployment (default) counts every office's cases with a breakdown by
// the offices below the city; ?office=MQ counts Minqing's alone; the city
// office with all below it equals the deployment; an unknown office is 404.
// The page offers the offices and links the breakdown.
func TestPublicStatsPerOffice(t *testing.T) {
	webtest.Engines(t, func(t *testing.T, h *webtest.Harness) {
		f := newCity(t, h)
		f.report("MQ-ZX")
		f.report("MQ-ZX")
		f.report("YT-ZX")
		f.report("FZ-XZ")
		stats := func(q string) map[string]any { return h.Must(200, "GET", "/api/v1/public/stats"+q, "", nil).JSON }
		breakdown := func(m map[string]any) string {
			var out []string
			for _, g := range m["by_office"].([]any) {
				g := g.(map[string]any)
				out = append(out, fmt.Sprintf("%s%s=%s", webtest.Str(g, "office"), map[bool]string{true: "(own)"}[g["own"] == true], webtest.Str(g, "received")))
			}
			return strings.Join(out, " ")
		}
		all := stats("")
		if webtest.Str(all, "received") != "4" || breakdown(all) != "main(own)=1 MQ=2 YT=1" {
			t.Errorf("the whole deployment: %s, %s", webtest.Str(all, "received"), breakdown(all))
		}
		if mq := stats("?office=MQ"); webtest.Str(mq, "received") != "2" || webtest.Str(mq, "office_name") != "闽清县整肃办" || mq["by_office"] != nil {
			t.Errorf("Minqing: %v", mq)
		}
		if city := stats("?office=main"); webtest.Str(city, "received") != "4" || breakdown(city) != breakdown(all) {
			t.Errorf("the city with all below it: %s %s", webtest.Str(city, "received"), breakdown(city))
		}
		if r := h.Do("GET", "/api/v1/public/stats?office=NOPE", "", nil); r.Status != 404 || r.ErrorCode() != "office_not_found" {
			t.Errorf("an unknown office: %d %s", r.Status, r.Raw)
		}
		b := newBrowser(t, h)
		p := b.get("/public/stats")
		if p.Status != 200 || !strings.Contains(p.Body, `id="office-pick"`) || !strings.Contains(p.Body, `<a href="/public/stats?office=MQ">闽清县整肃办</a></th><td>2</td>`) {
			t.Errorf("the portal page: %d", p.Status)
		}
		if p := b.get("/public/stats?office=YT"); !strings.Contains(p.Body, `<span id="stats-office">永泰县整肃办</span>`) {
			t.Errorf("Yongtai's portal page: %d", p.Status)
		}
		if p := b.get("/public/stats?office=NOPE"); p.Status != 404 {
			t.Errorf("an unknown office's page: %d", p.Status)
		}
	})
}

// The overview and the leading group's report per office and for an office
// with all its lower offices, with a breakdown by lower office: the city's
// counts everything (its own 1, Minqing 2, Yongtai 1); ?office=MQ narrows
// the city's to Minqing's; a county may not look at its neighbour or the
// city (404, as for a missing office) and sees its own without a choice.
func TestRolledUpFiguresPerOffice(t *testing.T) {
	webtest.Engines(t, func(t *testing.T, h *webtest.Harness) {
		f := newCity(t, h)
		f.report("MQ-ZX")
		f.report("MQ-ZX")
		f.report("YT-ZX")
		f.report("FZ-XZ")
		cityLeader, mqLeader := h.TokenIn("fzleader", auth.Leader, "main"), h.TokenIn("mqleader", auth.Leader, "MQ")
		const period = "/api/v1/reports/summary?from=2026-03-01&to=2026-03-31"
		sum := func(tok, q string) map[string]any { return h.Must(200, "GET", period+q, tok, nil).JSON }
		breakdown := func(m map[string]any) string {
			bo, _ := m["by_office"].([]any)
			var out []string
			for _, g := range bo {
				g := g.(map[string]any)
				out = append(out, fmt.Sprintf("%s%s=%s", webtest.Str(g, "office"), map[bool]string{true: "(own)"}[g["own"] == true], webtest.Str(g, "received")))
			}
			return strings.Join(out, " ")
		}
		for _, tc := range []struct {
			who, tok, q, received, office, by string
		}{
			{"the city", cityLeader, "", "4", "main", "main(own)=1 MQ=2 YT=1"},
			{"the city on Minqing", cityLeader, "&office=MQ", "2", "MQ", ""},
			{"the city on itself", cityLeader, "&office=main", "4", "main", "main(own)=1 MQ=2 YT=1"},
			{"Minqing", mqLeader, "", "2", "MQ", ""},
		} {
			m := sum(tc.tok, tc.q)
			if webtest.Str(m, "received") != tc.received || webtest.Str(m, "office") != tc.office || breakdown(m) != tc.by {
				t.Errorf("%s: received %s office %s by %q", tc.who, webtest.Str(m, "received"), webtest.Str(m, "office"), breakdown(m))
			}
		}
		for _, q := range []string{"&office=YT", "&office=main", "&office=NOPE"} {
			if r := h.Do("GET", period+q, mqLeader, nil); r.Status != 404 || r.ErrorCode() != "office_not_found" {
				t.Errorf("Minqing asks %s: %d %s", q, r.Status, r.Raw)
			}
		}
		if r := h.Must(200, "GET", period+"&office=MQ&format=html", cityLeader, nil); !strings.Contains(string(r.Raw), "闽清县整肃办（含下级整肃办）") {
			t.Error("the HTML report does not name the office")
		}
		if r := h.Must(200, "GET", period+"&format=html", cityLeader, nil); !strings.Contains(string(r.Raw), `<td>永泰县整肃办</td><td class="n">1</td>`) {
			t.Error("the HTML report lacks the breakdown by lower office")
		}
		// The overview (the director's page).
		city := newBrowser(t, h)
		city.login("fzleader")
		p := city.get("/staff/overview?from=2026-03-01&to=2026-03-31")
		if !strings.Contains(p.Body, `id="kpi-total">4<`) || !strings.Contains(p.Body, `id="chart-by-office"`) || !strings.Contains(p.Body, `<option value="YT">永泰县整肃办</option>`) {
			t.Errorf("the city's overview: %d", p.Status)
		}
		p = city.get("/staff/overview?from=2026-03-01&to=2026-03-31&office=YT")
		if !strings.Contains(p.Body, `id="kpi-total">1<`) || !strings.Contains(p.Body, `<span id="overview-office">永泰县整肃办</span>`) || !strings.Contains(p.Body, "office=YT&amp;format=pdf") {
			t.Errorf("the city's overview of Yongtai: %d", p.Status)
		}
		mq := newBrowser(t, h)
		mq.login("mqleader")
		p = mq.get("/staff/overview?from=2026-03-01&to=2026-03-31")
		if !strings.Contains(p.Body, `id="kpi-total">2<`) || strings.Contains(p.Body, `id="office"`) {
			t.Errorf("Minqing's overview: %d", p.Status)
		}
		if p := mq.get("/staff/overview?office=YT"); p.Status != 404 {
			t.Errorf("Minqing's overview of Yongtai: %d", p.Status)
		}
	})
}
