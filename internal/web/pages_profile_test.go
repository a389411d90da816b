package web_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"mashang/internal/auth"
	"mashang/internal/web/webtest"
)

// The admin's office page: a fresh admin is sent to the checklist; the form
// saves the office's words with the anti-forgery token; a refused value
// shows the form again with what was typed and the field marked; the
// notice-template page refuses a bad text, previews and resets.
func TestPagesOfficeProfileAndTemplates(t *testing.T) {
	webtest.Engines(t, func(t *testing.T, h *webtest.Harness) {
		b := newBrowser(t, h)
		b.signIn("pf-admin", auth.Admin)
		if p := b.get("/staff/"); p.Status != 303 || p.Header.Get("Location") != "/staff/admin/start" {
			t.Fatalf("a fresh admin lands on %d %s", p.Status, p.Header.Get("Location"))
		}
		p := b.get("/staff/admin/start")
		for _, want := range []string{`id="step-office_name" data-done="false"`, `id="step-contacts" data-done="false"`, `id="step-staff" data-done="false"`,
			`id="step-units" data-done="false"`, `href="/staff/admin/office"`, `href="/staff/admin/users"`, `href="/staff/admin/units"`} {
			if !strings.Contains(p.Body, want) {
				t.Errorf("the checklist lacks %s", want)
			}
		}
		tok := b.csrf("/staff/admin/office")
		form := url.Values{"csrf": {tok}, "office": {"main"}, "name": {"闽清县整肃办"}, "short": {"闽整肃"}, "hotlines": {"县效能办 0591-22371885\n县纪委信访室 0591-22371732"},
			"email": {"zsb@mq"}, "boxes": {"县委大院\n县行政服务中心"}, "hours": {"工作日 8:00–17:30"}}
		form.Set("email", "not an address")
		bad := b.post("/staff/admin/office", form)
		if bad.Status != 422 || !strings.Contains(bad.Body, "0591-22371732") || !strings.Contains(bad.Body, `aria-invalid="true"`) || !strings.Contains(bad.Body, "not an address") {
			t.Fatalf("a bad address: %d", bad.Status)
		}
		if pr := h.Must(200, "GET", "/api/v1/offices/main/profile", h.Token(auth.Admin), nil); webtest.Str(pr.JSON, "office.name") != "整肃办" {
			t.Fatalf("a refused form changed the office: %s", pr.Raw)
		}
		form.Set("email", "zsb@mq.example.gov.cn")
		ok := b.post("/staff/admin/office", form)
		if ok.Status != 200 || !strings.Contains(ok.Body, `class="alert ok"`) || !strings.Contains(ok.Body, "zsb@mq.example.gov.cn") {
			t.Fatalf("saving: %d", ok.Status)
		}
		pr := h.Must(200, "GET", "/api/v1/offices/main/profile", h.Token(auth.Admin), nil)
		if webtest.Str(pr.JSON, "office.name") != "闽清县整肃办" || webtest.Str(pr.JSON, "letterhead.short") != "闽整肃" || len(pr.JSON["channels"].(map[string]any)["hotlines"].([]any)) != 2 {
			t.Fatalf("saved: %s", pr.Raw)
		}
		if p = b.get("/staff/admin/start"); !strings.Contains(p.Body, `id="step-office_name" data-done="true"`) || !strings.Contains(p.Body, `id="step-contacts" data-done="true"`) {
			t.Fatal("the checklist does not follow the saved profile")
		}
		for _, l := range []string{"zh-TW", "en"} {
			if p := b.get("/staff/admin/office?lang=" + l); p.Status != 200 || missingKey.MatchString(p.Body) {
				t.Errorf("the office page in %s: %d", l, p.Status)
			}
		}

		// Notice templates.
		tok = b.csrf("/staff/admin/notices")
		p = b.post("/staff/admin/notices", url.Values{"csrf": {tok}, "kind": {"acceptance"}, "op": {"save"}, "template": {"<p>{{.Missing}}</p>"}})
		if p.Status != 422 || !strings.Contains(p.Body, "Missing") || !strings.Contains(p.Body, "in force is unchanged") {
			t.Fatalf("a bad template from the page: %d %s", p.Status, p.Body[strings.Index(p.Body, "<main"):])
		}
		p = b.post("/staff/admin/notices", url.Values{"csrf": {tok}, "kind": {"acceptance"}, "op": {"preview"}, "template": {"<p>预览：{{.Receipt}}</p>"}})
		if p.Status != 200 || !strings.Contains(p.Body, "预览：K48C-MMT-2RY") || !strings.Contains(p.Body, "闽整肃受〔2026〕1号") {
			t.Fatalf("preview from the page: %d %.300s", p.Status, p.Body)
		}
		p = b.post("/staff/admin/notices", url.Values{"csrf": {tok}, "kind": {"acceptance"}, "op": {"save"}, "template": {"<p>本办已受理：{{.Receipt}}</p>"}})
		if p.Status != 200 || !strings.Contains(p.Body, "本办已受理") || !strings.Contains(p.Body, `value="reset"`) {
			t.Fatalf("saving a template: %d", p.Status)
		}
		p = b.post("/staff/admin/notices", url.Values{"csrf": {tok}, "kind": {"acceptance"}, "op": {"reset"}})
		if p.Status != 200 || strings.Contains(p.Body, "本办已受理") || !strings.Contains(p.Body, "符合受理条件") {
			t.Fatalf("reset from the page: %d", p.Status)
		}
		if p = b.post("/staff/admin/notices", url.Values{"kind": {"acceptance"}, "op": {"reset"}}); p.Status != 403 {
			t.Fatalf("without the form token: %d", p.Status)
		}
	})
}

// In Chromium: a fresh admin signs in to the first-start checklist (not an
// empty queue), fills in the office's name and contacts by the form, sees
// the steps done and the public home show the hotline; the pages pass the
// label, contrast, size and phone-width checks in every language.
func TestBrowserFirstStartAndOfficePage(t *testing.T) {
	h := webtest.New(t, "")
	if _, err := h.App.Auth.AddUser(context.Background(), auth.System("test"), "admin", "test password 123", auth.Admin, ""); err != nil {
		t.Fatal(err)
	}
	c := newChrome(t, h.URL)
	c.signIn("admin")
	loc, _ := chromedp.Run(c.ctx, chromedp.Location())
	if !strings.HasSuffix(loc, "/staff/admin/start") || !strings.Contains(c.text("#setup"), "填写整肃办名称") {
		t.Fatalf("a fresh admin lands on %s", loc)
	}
	c.check("the checklist")
	c.shoot("first-start")
	c.do(chromedp.Click(chromedp.CSS(`#step-office_name a`)), chromedp.WaitVisible(chromedp.CSS("#profile-form")))
	if _, err := chromedp.Run(c.ctx, chromedp.Evaluate[bool](`(document.getElementById('pf-office-name').value = '', true)`)); err != nil {
		t.Fatal(err)
	}
	c.do(chromedp.SendKeys(chromedp.CSS("#pf-office-name"), "闽清县整肃办"),
		chromedp.SendKeys(chromedp.CSS("#pf-hotlines"), "县效能办 0591-22371885"),
		chromedp.SendKeys(chromedp.CSS("#pf-email"), "zsb@mq.example.gov.cn"),
		chromedp.SendKeys(chromedp.CSS("#pf-hours"), "工作日 8:00–17:30"),
		chromedp.Click(chromedp.CSS("#pf-save")), chromedp.WaitVisible(chromedp.CSS(".alert.ok")))
	c.check("the office page")
	c.shoot("admin-office")
	c.open("/staff/admin/start")
	for _, step := range []string{"office_name", "contacts"} {
		if done, _ := chromedp.Run(c.ctx, chromedp.Evaluate[string](`document.getElementById('step-`+step+`').dataset.done`)); done != "true" {
			t.Errorf("step %s not done after saving", step)
		}
	}
	for _, l := range []string{"zh-TW", "en", "zh-CN"} {
		for _, p := range []string{"/staff/admin/start", "/staff/admin/office", "/staff/admin/notices", "/staff/post"} {
			c.open(p + "?lang=" + l)
			c.check(p + " in " + l)
		}
	}
	c.open("/staff/admin/notices")
	c.shoot("admin-notices")
	c.open("/")
	if s := c.text("body"); !strings.Contains(s, "0591-22371885") || !strings.Contains(s, "zsb@mq.example.gov.cn") || !strings.Contains(s, "工作日 8:00–17:30") {
		t.Fatalf("the public home does not show the new contacts: %.500s", s)
	}
}
