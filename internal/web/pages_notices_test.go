package web_test

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"mashang/internal/auth"
	"mashang/internal/store"
	"mashang/internal/web/webtest"
)

// navHrefs lists the staff navigation's links on a page.
var navRe = regexp.MustCompile(`(?s)<nav class="menu"[^>]*>(.*?)</nav>`)
var hrefRe = regexp.MustCompile(`<a href="(/staff/[^"]*)"`)

func navHrefs(t *testing.T, body string) []string {
	t.Helper()
	m := navRe.FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no navigation on the page")
	}
	var out []string
	for _, h := range hrefRe.FindAllStringSubmatch(m[1], -1) {
		out = append(out, h[1])
	}
	return out
}

func TestPagesNavByRole(t *testing.T) {
	h := webtest.New(t, "")
	for _, tc := range []struct {
		role       auth.Role
		home       string
		has, hasnt []string
	}{
		{auth.Inspector, "/staff/inspections", []string{"/staff/inspections", "/staff/cases"}, []string{"/staff/publications", "/staff/notices", "/staff/desk"}},
		{auth.Director, "/staff/cases", []string{"/staff/inspections", "/staff/publications", "/staff/notices"}, []string{"/staff/eligibility", "/staff/admin"}},
		{auth.Leader, "/staff/overview", []string{"/staff/inspections", "/staff/publications", "/staff/notices", "/staff/eligibility"}, []string{"/staff/desk"}},
		{auth.Auditor, "/staff/cases", []string{"/staff/inspections", "/staff/publications", "/staff/notices", "/staff/admin"}, []string{"/staff/desk"}},
		{auth.Clerk, "/staff/desk", []string{"/staff/desk", "/staff/inspections"}, []string{"/staff/publications", "/staff/notices"}},
		{auth.Handler, "/staff/cases", []string{"/staff/inspections"}, []string{"/staff/publications", "/staff/notices"}},
	} {
		b := newBrowser(t, h)
		b.signIn("nav-"+string(tc.role), tc.role)
		home := b.get("/staff/")
		if home.Status != 303 || home.Header.Get("Location") != tc.home {
			t.Errorf("%s lands on %d %q, want %q", tc.role, home.Status, home.Header.Get("Location"), tc.home)
		}
		got := strings.Join(navHrefs(t, b.get("/staff/cases").Body), " ")
		for _, w := range tc.has {
			if !strings.Contains(got, w) {
				t.Errorf("%s: navigation %q lacks %s", tc.role, got, w)
			}
		}
		for _, w := range tc.hasnt {
			if strings.Contains(got, w) {
				t.Errorf("%s: navigation %q offers %s", tc.role, got, w)
			}
		}
	}
}

// addNotice raises a supervision notice as the sweep would.
func addNotice(t *testing.T, h *webtest.Harness, caseID int64, kind, role, deadline string, at time.Time) int64 {
	t.Helper()
	ctx := context.Background()
	if _, err := h.App.DB.Write.ExecContext(ctx, `INSERT INTO notices (case_id, kind, to_role, deadline, at) VALUES ($1, $2, $3, $4, $5)`,
		caseID, kind, role, deadline, store.FormatInstant(at)); err != nil {
		t.Fatal(err)
	}
	var id int64
	if err := h.App.DB.Read.QueryRowContext(ctx, `SELECT id FROM notices WHERE case_id = $1 AND kind = $2 AND deadline = $3`, caseID, kind, deadline).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

func TestPagesNotices(t *testing.T) {
	h := webtest.New(t, "")
	personID := inspOrg(t, h)
	c1 := concludedCase(t, h, personID, false)
	c2 := concludedCase(t, h, personID, false)
	now := h.Clock.Now()
	soonOld := addNotice(t, h, c1, "due_soon", "director", "2026-03-04", now.Add(-2*time.Hour))
	soonNew := addNotice(t, h, c2, "due_soon", "director", "2026-03-05", now.Add(-time.Hour))
	overdue := addNotice(t, h, c1, "overdue", "leader", "2026-02-27", now.Add(-3*time.Hour))
	id := func(n int64) string { return strconv.FormatInt(n, 10) }

	dir := newBrowser(t, h)
	dir.signIn("director1", auth.Director)
	lead := newBrowser(t, h)
	lead.signIn("leader1", auth.Leader)
	aud := newBrowser(t, h)
	aud.signIn("auditor1", auth.Auditor)
	clerk := newBrowser(t, h)
	clerk.signIn("clerk1", auth.Clerk)

	// The director sees the due-soon notices, the earliest deadline first, with the case,
	// deadline and a mark-read form; the badge counts the unread ones.
	dl := dir.get("/staff/notices")
	inspWant(t, dl, "director's notices", 200, "督办通知", `id="nav-badge">2</span>`,
		`id="notice-`+id(soonNew)+`" data-kind="due_soon" data-read="false"`, "即将到期", `href="/staff/cases/`+id(c2)+`"`, "2026-03-05",
		`action="/staff/notices/`+id(soonNew)+`/read"`, `id="read-`+id(soonOld)+`"`)
	if strings.Index(dl.Body, `id="notice-`+id(soonOld)+`"`) > strings.Index(dl.Body, `id="notice-`+id(soonNew)+`"`) {
		t.Error("the notice due 03-05 is listed before the one due 03-04")
	}
	if strings.Contains(dl.Body, `id="notice-`+id(overdue)+`"`) {
		t.Error("the director sees the leader's notice")
	}
	tok := csrfRe.FindStringSubmatch(dl.Body)[1]
	inspWant(t, dir.post("/staff/notices/"+id(soonOld)+"/read", url.Values{}), "mark read without csrf", 403)
	inspWant(t, dir.post("/staff/notices/"+id(soonOld)+"/read", url.Values{"csrf": {"forged"}}), "mark read, forged token", 403)
	// Another role's notice is not the director's to read: 404, the list again.
	inspWant(t, dir.post("/staff/notices/"+id(overdue)+"/read", url.Values{"csrf": {tok}}), "the leader's notice", 404, "通知不存在", `id="notice-`+id(soonNew)+`"`)
	res := dir.post("/staff/notices/"+id(soonOld)+"/read", url.Values{"csrf": {tok}, "unread": {"1"}})
	inspWant(t, res, "mark read", 303)
	if loc := res.Header.Get("Location"); loc != "/staff/notices?ok=read&unread=1" {
		t.Fatalf("mark read goes to %q", loc)
	}
	after := dir.get(res.Header.Get("Location"))
	inspWant(t, after, "unread after marking", 200, "已标为已读", `id="nav-badge">1</span>`, `id="notice-`+id(soonNew)+`"`)
	if strings.Contains(after.Body, `id="notice-`+id(soonOld)+`"`) {
		t.Error("the unread list shows a read notice")
	}
	inspWant(t, dir.get("/staff/notices"), "all after marking", 200, `id="notice-`+id(soonOld)+`" data-kind="due_soon" data-read="true"`, "已读 · ")
	inspWant(t, dir.post("/staff/notices/"+id(soonNew)+"/read", url.Values{"csrf": {tok}}), "mark the last", 303)
	inspWant(t, dir.get("/staff/notices?unread=1"), "none unread", 200, `id="notices-none"`, "没有未读的督办通知")
	if b := dir.get("/staff/cases").Body; strings.Contains(b, `id="nav-badge"`) {
		t.Error("a badge with nothing unread")
	}

	// The leader sees the overdue one, in each language.
	for lang, want := range map[string]string{"zh-CN": "已逾期", "zh-TW": "已逾期", "en": "Overdue"} {
		lead.lang = lang
		inspWant(t, lead.get("/staff/notices"), "leader "+lang, 200, `id="notice-`+id(overdue)+`" data-kind="overdue"`, want, `id="nav-badge">1</span>`)
	}
	lead.lang = "en"
	inspWant(t, dir.get("/staff/notices?lang=en"), "english kinds", 200, "Due soon", "Read · ", "Supervision notices")
	inspWant(t, dir.get("/staff/notices?lang=zh-TW"), "traditional kinds", 200, "即將到期", "督辦通知")

	// The auditor reads all, overdue first, without forms or a badge.
	al := aud.get("/staff/notices")
	inspWant(t, al, "auditor", 200, `id="notice-`+id(overdue)+`"`, `id="notice-`+id(soonNew)+`"`)
	if strings.Index(al.Body, `id="notice-`+id(overdue)+`"`) > strings.Index(al.Body, `id="notice-`+id(soonNew)+`"`) {
		t.Error("due soon listed before overdue")
	}
	if strings.Contains(al.Body, `action="/staff/notices/`) || strings.Contains(al.Body, `id="nav-badge"`) {
		t.Error("the auditor is offered mark-read or a badge")
	}
	inspWant(t, aud.post("/staff/notices/"+id(overdue)+"/read", url.Values{"csrf": {csrfRe.FindStringSubmatch(al.Body)[1]}}), "auditor marks read", 403)
	inspWant(t, clerk.get("/staff/notices"), "clerk", 403)
}

// Notices are listed most urgent first: overdue, then unread before read,
// then by deadline (a case due today above one due later, whatever its
// number); "mark all read" marks the unread ones the page listed, not a
// notice raised after the page was shown.
func TestPagesNoticesMostUrgentFirstAndReadAll(t *testing.T) {
	h := webtest.New(t, "")
	personID := inspOrg(t, h)
	c1 := concludedCase(t, h, personID, false)
	c2 := concludedCase(t, h, personID, false)
	c3 := concludedCase(t, h, personID, false)
	now := h.Clock.Now()
	// Raised in this order; the highest case number is due first.
	later := addNotice(t, h, c1, "due_soon", "director", "2026-03-06", now.Add(-3*time.Hour))
	mid := addNotice(t, h, c2, "due_soon", "director", "2026-03-04", now.Add(-2*time.Hour))
	today := addNotice(t, h, c3, "due_soon", "director", "2026-03-02", now.Add(-4*time.Hour))
	id := func(n int64) string { return strconv.FormatInt(n, 10) }
	dir := newBrowser(t, h)
	dir.signIn("director1", auth.Director)
	order := func(body string, ids ...int64) bool {
		last := -1
		for _, n := range ids {
			i := strings.Index(body, `id="notice-`+id(n)+`"`)
			if i < last {
				return false
			}
			last = i
		}
		return true
	}
	dl := dir.get("/staff/notices")
	if !order(dl.Body, today, mid, later) {
		t.Error("not listed by deadline: today, 03-04, 03-06")
	}
	inspWant(t, dl, "read-all form", 200, `id="read-all"`, "全部标为已读（3 条）")
	tok := csrfRe.FindStringSubmatch(dl.Body)[1]
	// A read notice goes below the unread ones of its kind.
	inspWant(t, dir.post("/staff/notices/"+id(today)+"/read", url.Values{"csrf": {tok}}), "mark one", 303)
	if !order(dir.get("/staff/notices").Body, mid, later, today) {
		t.Error("a read notice is listed above unread ones")
	}
	// Mark all read: those the page listed; one raised since stays unread.
	form := url.Values{"csrf": {tok}, "id": {id(mid), id(later)}}
	newer := addNotice(t, h, c1, "due_soon", "director", "2026-03-03", now)
	res := dir.post("/staff/notices/read", form)
	inspWant(t, res, "mark all read", 303)
	after := dir.get("/staff/notices")
	inspWant(t, after, "after mark all", 200, `id="notice-`+id(mid)+`" data-kind="due_soon" data-read="true"`,
		`id="notice-`+id(later)+`" data-kind="due_soon" data-read="true"`, `id="notice-`+id(newer)+`" data-kind="due_soon" data-read="false"`, `id="nav-badge">1</span>`)
	// Nothing to mark: the message, in the list.
	inspWant(t, dir.post("/staff/notices/read", url.Values{"csrf": {tok}}), "nothing to mark", 422, "没有要标记的通知")
	// Another role's notice among them: refused, nothing marked.
	overdue := addNotice(t, h, c2, "overdue", "leader", "2026-02-27", now)
	inspWant(t, dir.post("/staff/notices/read", url.Values{"csrf": {tok}, "id": {id(overdue)}}), "the leader's notice", 404)
}

func TestPagesCaseProposePublication(t *testing.T) {
	h := webtest.New(t, "")
	personID := inspOrg(t, h)
	open := concludedCase(t, h, personID, false)
	decided := concludedCase(t, h, personID, true)
	dir := newBrowser(t, h)
	dir.signIn("director1", auth.Director)
	lead := newBrowser(t, h)
	lead.signIn("leader1", auth.Leader)

	link := fmt.Sprintf(`href="/staff/publications/new?case=%d" id="propose-pub"`, decided)
	inspWant(t, dir.get(fmt.Sprintf("/staff/cases/%d", decided)), "decided case", 200, link, "拟曝光此案")
	inspWant(t, dir.get(fmt.Sprintf("/staff/publications/new?case=%d", decided)), "the link's form", 200, `id="pub-case"`)
	if b := dir.get(fmt.Sprintf("/staff/cases/%d", open)).Body; strings.Contains(b, `id="propose-pub"`) {
		t.Error("a case without a decision in force offers a publication")
	}
	if b := lead.get(fmt.Sprintf("/staff/cases/%d", decided)).Body; strings.Contains(b, `id="propose-pub"`) {
		t.Error("a leader is offered to propose")
	}
	// A revoked decision is no longer in force.
	if _, err := h.App.DB.Write.ExecContext(context.Background(), `UPDATE decisions SET status = 'revoked' WHERE case_id = $1`, decided); err != nil {
		t.Fatal(err)
	}
	if b := dir.get(fmt.Sprintf("/staff/cases/%d", decided)).Body; strings.Contains(b, `id="propose-pub"`) {
		t.Error("a revoked decision still offers a publication")
	}
}

func TestPagesAppealOutcomeSanctions(t *testing.T) {
	h := webtest.New(t, "")
	personID := inspOrg(t, h)
	decided := concludedCase(t, h, personID, true)
	var decisionID int64
	if err := h.App.DB.Read.QueryRowContext(context.Background(), `SELECT id FROM decisions WHERE case_id = $1`, decided).Scan(&decisionID); err != nil {
		t.Fatal(err)
	}
	dir := newBrowser(t, h)
	dir.signIn("director1", auth.Director)
	org := newBrowser(t, h)
	org.signIn("org1", auth.OrgDept)
	page := fmt.Sprintf("/staff/people/%d", personID)

	dp := dir.get(page)
	inspWant(t, dp, "director's record", 200, `name="op" value="appeal"`)
	if strings.Contains(dp.Body, `name="sanctions"`) {
		t.Error("the director is offered the outcome form")
	}
	inspWant(t, dir.post(page, url.Values{"csrf": {csrfRe.FindStringSubmatch(dp.Body)[1]}, "op": {"appeal"}, "target": {strconv.FormatInt(decisionID, 10)},
		"filed_on": {"2026-03-02"}, "reason": {"处分过重"}}), "file appeal", 200)

	// The outcome form lists the catalogue's sanctions as checkboxes, named in the page's language.
	for lang, wants := range map[string][]string{
		"zh-CN": {"通报批评", "诫勉谈话", "变更后的处分", "只在结果为“变更”时勾选新的处分"},
		"zh-TW": {"通報批評", "誡勉談話", "變更後的處分"},
		"en":    {"Circulated criticism", "Admonishing talk", "New sanctions"},
	} {
		org.lang = lang
		pg := org.get(page)
		inspWant(t, pg, "outcome form "+lang, 200, append(wants, `<input type="checkbox" name="sanctions" value="circulated_criticism">`,
			`<input type="checkbox" name="sanctions" value="admonishing_talk">`, `name="probation_years"`)...)
		if strings.Contains(pg.Body, `placeholder="demotion"`) {
			t.Error("the sanctions are still typed as codes")
		}
	}
	org.lang = ""
	pg := org.get(page)
	tok := csrfRe.FindStringSubmatch(pg.Body)[1]
	m := regexp.MustCompile(`name="op" value="outcome"><input type="hidden" name="target" value="(\d+)"`).FindStringSubmatch(pg.Body)
	if m == nil {
		t.Fatal("no outcome form")
	}
	form := func(outcome string, sanctions ...string) url.Values {
		return url.Values{"csrf": {tok}, "op": {"outcome"}, "target": {m[1]}, "outcome": {outcome}, "decided_on": {"2026-03-02"}, "sanctions": sanctions}
	}
	// Varied without a sanction ticked: the message, on the page again.
	inspWant(t, org.post(page, form("varied")), "varied without sanctions", 422, "变更处理须提交新的处理方式")
	inspWant(t, org.post(page, form("upheld", "demotion")), "upheld with sanctions", 422, "只有变更处理才需提交新的处理方式")
	res := org.post(page, form("varied", "written_review", "admonishing_talk"))
	inspWant(t, res, "varied with two sanctions", 200, "已保存", "责令书面检查、诫勉谈话")
	var n int
	if err := h.App.DB.Read.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM decisions WHERE person_id = $1`, personID).Scan(&n); err != nil || n != 2 {
		t.Fatalf("decisions after a varied outcome: %d %v", n, err)
	}
}

// Eligibility: a person barred only from this year's excellent rating has
// the reason beside it; units by name; a print button and a printed title.
func TestPagesEligibilityReasonsAndUnitNames(t *testing.T) {
	h := webtest.New(t, "")
	personID := inspOrg(t, h)
	concludedCase(t, h, personID, true) // 通报批评, decided 2026-03-02
	b := newBrowser(t, h)
	b.signIn("org1", auth.OrgDept)
	p := b.get("/staff/eligibility?people=" + strconv.FormatInt(personID, 10))
	i := strings.Index(p.Body, `id="elig-results"`)
	if p.Status != 200 || i < 0 {
		t.Fatalf("eligibility: %d", p.Status)
	}
	table := p.Body[i:]
	table = table[:strings.Index(table, "</table>")]
	if !strings.Contains(table, "<td>县行政服务中心</td>") {
		t.Errorf("the unit is not named: %s", table)
	}
	if strings.Contains(table, "bad-mark") && !strings.Contains(table, "#") {
		t.Errorf("a bar without its reason: %s", table)
	}
	if strings.Contains(table, "2026 年度不得") && !strings.Contains(table, "2026年度不得评优评先") {
		t.Errorf("the excellence bar has no reason: %s", table)
	}
	inspWant(t, p, "print", 200, `data-print hidden>打印结果</button>`, `class="print-only">`)
}
