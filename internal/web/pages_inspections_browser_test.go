package web_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"mashang/internal/auth"
	"mashang/internal/web/webtest"
)

// TestBrowserInspectionOnPhone runs an inspection in Chromium at phone width
// (360 px): plan, visit with checklist answers and a photo, a finding that
// opens a case, the case page and the inspection report. Screenshots go to
// MASHANG_SCREENSHOTS (or a temporary folder); console errors fail the test.
func TestBrowserInspectionOnPhone(t *testing.T) {
	h := webtest.New(t, "")
	inspOrg(t, h)
	if _, err := h.App.Auth.AddUser(context.Background(), auth.System("test"), "inspector1", "test password 123", auth.Inspector, ""); err != nil {
		t.Fatal(err)
	}
	photo := filepath.Join(t.TempDir(), "IMG_0001.jpg")
	if err := os.WriteFile(photo, jpegWithGPS(t), 0o644); err != nil {
		t.Fatal(err)
	}
	c := newChrome(t, h.URL)
	phone := chromedp.EmulateViewport(360, 740, chromedp.EmulateMobile)
	// shot takes the page at both widths, then returns to the phone.
	shot := func(name string) {
		t.Helper()
		c.check(name)
		c.shoot(name)
		c.do(phone)
	}
	c.do(phone)
	c.signIn("inspector1")
	c.open("/staff/inspections")
	shot("insp-list")
	c.do(
		chromedp.Click(chromedp.CSS("#insp-new")),
		chromedp.WaitVisible(chromedp.CSS("#plan-form")),
		chromedp.SendKeys(chromedp.CSS("#title"), "县行政服务中心窗口暗访"),
		chromedp.Click(chromedp.CSS("#covert")),
		chromedp.SetValue(chromedp.CSS("#units"), "ZX"),
	)
	shot("insp-plan")
	c.do(chromedp.Click(chromedp.CSS("#plan-save")), chromedp.WaitVisible(chromedp.CSS(`#insp-state[data-state="planned"]`)))
	shot("insp-page")
	c.do(
		chromedp.Click(chromedp.CSS("#visit-new")),
		chromedp.WaitVisible(chromedp.CSS("#visit-form")),
		chromedp.SendKeys(chromedp.CSS("#place"), "县行政服务中心二楼不动产登记窗口"),
		chromedp.Click(chromedp.CSS("#a-staff_at_post-1")),
		chromedp.Click(chromedp.CSS("#a-attitude-2")),
		chromedp.Click(chromedp.CSS("#a-one_time_notice-1")),
		chromedp.SendKeys(chromedp.CSS("#notes"), "上午窗口无人，群众等候二十分钟。"),
		chromedp.SendKeys(chromedp.CSS("#f1-text"), "窗口工作人员离岗二十分钟，群众排队无人办理"),
		chromedp.SetValue(chromedp.CSS("#f1-sit"), "P1.2"),
		chromedp.SetUploadFiles(chromedp.CSS("#attachment"), []string{photo}),
	)
	shot("insp-visit-form")
	c.do(chromedp.Click(chromedp.CSS("#visit-save")), chromedp.WaitVisible(chromedp.CSS("#insp-created")))
	created := c.text("#insp-created")
	receipt := regexp.MustCompile(`[A-Z0-9]{2,}(?:-[A-Z0-9]+)+`).FindString(created)
	if receipt == "" || !strings.Contains(created, "窗口工作人员离岗二十分钟") {
		t.Fatalf("cases created: %q", created)
	}
	if v := c.text(".visit"); !strings.Contains(v, "否") || !strings.Contains(v, "差") || !strings.Contains(v, "上午窗口无人") || !strings.Contains(v, receipt) {
		t.Errorf("visit shown: %q", v)
	}
	shot("insp-visit-saved")
	planURL, err := chromedp.Run(c.ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	c.do(chromedp.Click(chromedp.CSS("#insp-created a")), chromedp.WaitVisible(chromedp.CSS("main h1")))
	if tx := c.text("main"); !strings.Contains(tx, receipt) || !strings.Contains(tx, "窗口工作人员离岗二十分钟") {
		t.Errorf("case page: %.600s", tx)
	}
	shot("insp-case")
	c.do(chromedp.Navigate(planURL), chromedp.WaitVisible(chromedp.CSS("#report-html")),
		chromedp.Click(chromedp.CSS("#report-html")), chromedp.WaitNotPresent(chromedp.CSS("#report-html")))
	if tx := c.text("body"); !strings.Contains(tx, receipt) || !strings.Contains(tx, "县行政服务中心二楼不动产登记窗口") {
		t.Errorf("inspection report: %.600s", tx)
	}
	c.shoot("insp-report")
	c.do(phone, chromedp.Navigate(planURL), chromedp.WaitVisible(chromedp.CSS("#mark-done")),
		chromedp.Click(chromedp.CSS("#mark-done")), chromedp.WaitVisible(chromedp.CSS(`#insp-state[data-state="done"]`)))
	shot("insp-done")
}

// TestBrowserPublicationSteps proposes an exposure from a decided case in
// Chromium, then a leader approves and publishes it, and the portal shows
// it. (The 422 of a text naming the reporter is in the handler tests: the
// browser logs every 4xx answer as a console error.)
func TestBrowserPublicationSteps(t *testing.T) {
	h := webtest.New(t, "")
	personID := inspOrg(t, h)
	caseID := concludedCase(t, h, personID, true)
	for _, r := range []auth.Role{auth.Director, auth.Leader} {
		if _, err := h.App.Auth.AddUser(context.Background(), auth.System("test"), string(r)+"1", "test password 123", r, ""); err != nil {
			t.Fatal(err)
		}
	}
	c := newChrome(t, h.URL)
	phone := chromedp.EmulateViewport(360, 740, chromedp.EmulateMobile)
	c.do(phone)
	c.signIn("director1")
	c.open("/staff/publications")
	c.check("publications")
	c.shoot("pub-list-empty")
	c.do(phone, chromedp.SendKeys(chromedp.CSS("#pub-case"), strconv.FormatInt(caseID, 10)),
		chromedp.Submit(chromedp.CSS("#pub-case-form")), chromedp.WaitVisible(chromedp.CSS("#pub-form")),
		chromedp.SendKeys(chromedp.CSS("#title"), "县行政服务中心窗口推诿群众被通报批评"),
		chromedp.SendKeys(chromedp.CSS("#body"), "经查，该中心窗口工作人员王某某对群众办事推诿扯皮，给予通报批评。"))
	if tx := c.text("#pub-case"); !strings.Contains(tx, "王某某") {
		t.Errorf("the case shown on the form: %q", tx)
	}
	c.shoot("pub-new")
	c.do(phone, chromedp.Click(chromedp.CSS("#pub-save")), chromedp.WaitVisible(chromedp.CSS(`.pub[data-state="proposed"]`)))
	c.shoot("pub-list-proposed")
	// The leader, in a browser of their own.
	c2 := newChrome(t, h.URL)
	c2.do(phone)
	c2.open("/staff/login?next=/staff/publications")
	c2.do(chromedp.SendKeys(chromedp.CSS("#username"), "leader1"), chromedp.SendKeys(chromedp.CSS("#password"), "test password 123"),
		chromedp.Submit(chromedp.CSS("#login-form")), chromedp.WaitVisible(chromedp.CSS(`button[id^="approve-"]`)))
	c2.do(chromedp.Click(chromedp.CSS(`button[id^="approve-"]`)), chromedp.WaitVisible(chromedp.CSS(`button[id^="publish-"]`)))
	c2.shoot("pub-list-approved")
	c2.do(phone, chromedp.Click(chromedp.CSS(`button[id^="publish-"]`)), chromedp.WaitVisible(chromedp.CSS(`.pub[data-published="true"]`)),
		chromedp.Click(chromedp.CSS(`.pub a[href^="/public/exposures/"]`)), chromedp.WaitNotPresent(chromedp.CSS(".pub")))
	if tx := c2.text("main"); !strings.Contains(tx, "县行政服务中心窗口推诿群众被通报批评") || strings.Contains(tx, "李建国") {
		t.Errorf("portal page: %.400s", tx)
	}
	c2.shoot("pub-portal-item")
}
