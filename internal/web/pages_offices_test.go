package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"mashang/internal/auth"
	"mashang/internal/web/webtest"
)

// login signs an existing account in through the login page.
func (b *browser) login(username string) {
	b.t.Helper()
	p := b.post("/staff/login", url.Values{"csrf": {b.csrf("/staff/login")}, "username": {username}, "password": {"test password 123"}})
	if p.Status != http.StatusSeeOther {
		b.t.Fatalf("sign in %s: %d %s", username, p.Status, p.Body)
	}
}

// act posts one of the case page's forms and expects the redirect back.
func (b *browser) act(id int64, form url.Values) {
	b.t.Helper()
	form.Set("csrf", b.csrf(fmt.Sprintf("/staff/cases/%d", id)))
	if p := b.post(fmt.Sprintf("/staff/cases/%d/act", id), form); p.Status != http.StatusSeeOther {
		b.t.Fatalf("%s on case %d: %d %s", form.Get("action"), id, p.Status, p.Body)
	}
}

// The pages of several offices, without JavaScript: the county director
// sends a case up to the city; the city objects within the window (the
// form says until when) and it goes back; the city supervises a county case
// (deadline, instructions), the county answers it, the city reads the
// answer, takes the case over and sends it back down; each form shows only
// where the access policy allows it. The city's queue lists its overdue
// supervised cases first.
func TestOfficePages(t *testing.T) {
	webtest.Engines(t, func(t *testing.T, h *webtest.Harness) {
		f := newCity(t, h)
		a, b, c := f.report("MQ-ZX"), f.report("MQ-ZX"), f.report("MQ-ZX")
		h.TokenIn("mqdir", auth.Director, "MQ")
		h.TokenIn("fzdir", auth.Director, "main")
		mq, city := newBrowser(t, h), newBrowser(t, h)
		mq.login("mqdir")
		city.login("fzdir")
		office := func(id int64) string { return webtest.Str(f.caseOf(id), "office") }
		has := func(br *browser, id int64, want, not []string) string {
			t.Helper()
			p := br.get(fmt.Sprintf("/staff/cases/%d", id))
			if p.Status != 200 || len(p.Body) > 100<<10 {
				t.Fatalf("case %d: %d, %d bytes", id, p.Status, len(p.Body))
			}
			for _, w := range want {
				if !strings.Contains(p.Body, w) {
					t.Errorf("case %d lacks %q", id, w)
				}
			}
			for _, n := range not {
				if strings.Contains(p.Body, n) {
					t.Errorf("case %d shows %q", id, n)
				}
			}
			return p.Body
		}
		// The county's own director: a transfer to another office, up or across; no supervision.
		has(mq, a, []string{`id="act-transfer_office"`, `<option value="main">福州市整肃办（上交）`, `<option value="YT">永泰县整肃办（平转）`},
			[]string{`id="act-supervise"`, `id="act-take_over"`, `id="act-object"`})
		mq.act(a, url.Values{"action": {"transfer_office"}, "office": {"main"}, "reason": {"涉及县领导"}})
		if office(a) != "main" {
			t.Fatalf("sent up: office %s", office(a))
		}
		// The city may object until Monday 9 March (5 working days).
		has(city, a, []string{`id="act-object"`, "2026-03-09", `id="case-office-from"`}, nil)
		city.act(a, url.Values{"action": {"object"}, "reason": {"一般事项，属县办理"}})
		if office(a) != "MQ" {
			t.Fatalf("objected: office %s", office(a))
		}
		// The city, above Minqing: supervise and take over; no acceptance, no transfer across.
		has(city, b, []string{`id="act-supervise"`, `id="act-take_over"`, `name="deadline" type="date"`},
			[]string{`id="act-accept"`, `id="act-transfer_office"`, `id="act-answer"`})
		for _, id := range []int64{b, c} {
			city.act(id, url.Values{"action": {"supervise"}, "deadline": {"2026-03-06"}, "instructions": {"请于3月6日前报告办理情况"}})
		}
		has(mq, b, []string{`id="supervision"`, `id="act-answer"`, "2026-03-06"}, []string{`id="act-supervise"`})
		mq.act(b, url.Values{"action": {"answer"}, "body": {"已约谈窗口负责人，3月5日前办结"}})
		has(city, b, []string{"已约谈窗口负责人，3月5日前办结"}, nil)
		// A bad deadline is said in words, and changes nothing.
		form := url.Values{"action": {"supervise"}, "deadline": {"下周"}, "instructions": {"x"}, "csrf": {city.csrf(fmt.Sprintf("/staff/cases/%d", c))}}
		if p := city.post(fmt.Sprintf("/staff/cases/%d/act", c), form); p.Status != 422 || !strings.Contains(p.Body, "督办期限应为日期") {
			t.Errorf("a bad deadline: %d", p.Status)
		}
		// Take over, then send it back down.
		city.act(b, url.Values{"action": {"take_over"}, "reason": {"市办提级办理"}})
		if office(b) != "main" {
			t.Fatalf("taken over: office %s", office(b))
		}
		has(city, b, []string{`<option value="MQ">闽清县整肃办（下转）`}, []string{`id="act-object"`})
		city.act(b, url.Values{"action": {"transfer_office"}, "office": {"MQ"}, "reason": {"一般事项，发回县办理"}})
		if office(b) != "MQ" {
			t.Fatalf("sent back: office %s", office(b))
		}
		// In English and Traditional Chinese.
		city.lang = "en"
		has(city, c, []string{"Take over (our office handles it)", "Supervision from above", "not answered yet"}, nil)
		city.lang = "zh-TW"
		has(city, c, []string{"提級辦理", "上級督辦"}, nil)
		city.lang = ""
		// The city's queue: the overdue supervised case first, the answered one not.
		h.Clock.Set(time.Date(2026, 3, 9, 9, 0, 0, 0, webtest.Start.Location()))
		f.admin = h.TokenIn("admin2", auth.Admin, "main")
		city = newBrowser(t, h)
		city.login("fzdir")
		p := city.get("/staff/cases")
		i := strings.Index(p.Body, `id="supervised-overdue"`)
		if p.Status != 200 || i < 0 || i > strings.Index(p.Body, `id="queue"`) {
			t.Fatalf("the city's queue has no overdue supervised cases first (%d)", p.Status)
		}
		sec := p.Body[i:strings.Index(p.Body, `id="queue"`)]
		if !strings.Contains(sec, fmt.Sprintf(`href="/staff/cases/%d"`, c)) || strings.Contains(sec, fmt.Sprintf(`href="/staff/cases/%d"`, b)) {
			t.Errorf("the overdue supervised cases: %s", sec)
		}
		mq = newBrowser(t, h)
		mq.login("mqdir")
		if p := mq.get("/staff/cases"); strings.Contains(p.Body, `id="supervised-overdue"`) {
			t.Error("the county, with no office below, has a supervised list")
		}
	})
}
