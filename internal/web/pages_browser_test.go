package web_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"mashang/internal/audit"
	"mashang/internal/auth"
	"mashang/internal/docket"
	"mashang/internal/intake"
	"mashang/internal/org"
	"mashang/internal/web/webtest"
)

// chrome is one headless Chromium driven by chromedp, with the console
// errors of its pages collected.
type chrome struct {
	t     *testing.T
	ctx   context.Context
	base  string
	shots string
	mu    sync.Mutex
	errs  []string
}

const chromiumPath = "/usr/bin/chromium"

// newChrome starts Chromium, or fails the test when it is missing (set
// MASHANG_SKIP_BROWSER=1 to skip instead).
func newChrome(t *testing.T, base string) *chrome {
	t.Helper()
	path := chromiumPath
	if _, err := os.Stat(path); err != nil {
		if p, lerr := exec.LookPath("chromium"); lerr == nil {
			path = p
		} else if os.Getenv("MASHANG_SKIP_BROWSER") == "1" {
			t.Skip("Chromium is missing and MASHANG_SKIP_BROWSER=1")
		} else {
			t.Fatalf("Chromium is missing at %s: install the chromium package (scripts/test.sh does), or set MASHANG_SKIP_BROWSER=1", chromiumPath)
		}
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.Flag("disable-sync", true),
		chromedp.Flag("lang", "zh-CN"), chromedp.Flag("accept-lang", "zh-CN,zh"),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 900))
	ctx, cancelC := chromedp.NewContext(actx)
	ctx, cancelT := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() { cancelT(); cancelC(); cancelA() })
	c := &chrome{t: t, ctx: ctx, base: base}
	c.shots = os.Getenv("MASHANG_SCREENSHOTS")
	if c.shots == "" {
		c.shots = t.TempDir()
	}
	if err := os.MkdirAll(c.shots, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900)); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	go func() {
		for m, err := range chromedp.Console(ctx) {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.Type == chromedp.ConsoleException || m.IsException() {
				c.mu.Lock()
				c.errs = append(c.errs, m.String()+" at "+m.URL)
				c.mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() {
		time.Sleep(100 * time.Millisecond)
		c.mu.Lock()
		defer c.mu.Unlock()
		for _, e := range c.errs {
			t.Errorf("console: %s", e)
		}
	})
	return c
}

func (c *chrome) do(steps ...chromedp.Action[chromedp.Void]) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(c.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		// Leave the page as it was for the one who reads the failure.
		if png, serr := chromedp.Run(c.ctx, chromedp.FullScreenshot(100)); serr == nil {
			os.WriteFile(filepath.Join(c.shots, "failure-"+strings.ReplaceAll(c.t.Name(), "/", "_")+".png"), png, 0o644)
		}
		body, _ := chromedp.Run(c.ctx, chromedp.Text(chromedp.CSS("main")))
		c.t.Fatalf("%v; the page says: %.1500s", err, body)
	}
}

func (c *chrome) text(sel string) string {
	c.t.Helper()
	s, err := chromedp.Run(c.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		c.t.Fatalf("text of %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}

func (c *chrome) open(path string) {
	c.t.Helper()
	c.do(chromedp.Navigate(c.base + path))
}

var missingKey = regexp.MustCompile(`\[[a-z_]+\.[a-z_.]+\]`)

// check fails on a locale key shown instead of its text.
func (c *chrome) check(where string) {
	c.t.Helper()
	body := c.text("body")
	if m := missingKey.FindString(body); m != "" {
		c.t.Errorf("%s shows a missing string %s", where, m)
	}
	if html, err := chromedp.Run(c.ctx, chromedp.Evaluate[int](`document.documentElement.outerHTML.length`)); err == nil && html > 100<<10 {
		c.t.Errorf("%s is %d characters (over 100 KB)", where, html)
	}
	problems, err := chromedp.Run(c.ctx, chromedp.Evaluate[[]string](a11yCheck))
	if err != nil {
		c.t.Fatalf("%s: accessibility check: %v", where, err)
	}
	for _, p := range problems {
		c.t.Errorf("%s: %s", where, p)
	}
}

// a11yCheck finds, in the page shown, form controls without a label and
// text whose contrast with its background is below WCAG AA (4.5:1, or 3:1
// for large text).
const a11yCheck = `(() => {
  const out = [];
  const visible = el => !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length);
  for (const el of document.querySelectorAll('input, select, textarea')) {
    const type = (el.getAttribute('type') || '').toLowerCase();
    if (['hidden', 'submit', 'button', 'reset', 'image'].includes(type) || !visible(el)) continue;
    const named = (el.labels && el.labels.length) || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby') || el.getAttribute('title');
    if (!named) out.push('unlabelled ' + el.tagName.toLowerCase() + (el.name ? ' name=' + el.name : ''));
  }
  const rgb = s => { const m = s.match(/rgba?\(([^)]+)\)/); if (!m) return null; const p = m[1].split(',').map(Number); return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1}; };
  const lum = c => { const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }; return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b); };
  const bgOf = el => { for (let e = el; e; e = e.parentElement) { const c = rgb(getComputedStyle(e).backgroundColor); if (c && c.a > 0.5) return c; } return {r: 255, g: 255, b: 255, a: 1}; };
  const seen = new Set();
  for (const el of document.querySelectorAll('body *')) {
    if (!visible(el) || ['SCRIPT', 'STYLE', 'svg', 'SVG'].includes(el.tagName) || el.closest('svg')) continue;
    const own = Array.from(el.childNodes).some(n => n.nodeType === 3 && n.textContent.trim());
    if (!own) continue;
    const cs = getComputedStyle(el);
    const fg = rgb(cs.color); if (!fg) continue;
    const bg = bgOf(el);
    const a = lum(fg), b = lum(bg);
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    const size = parseFloat(cs.fontSize), bold = parseInt(cs.fontWeight) >= 700;
    const need = (size >= 24 || (bold && size >= 18.66)) ? 3 : 4.5;
    if (ratio < need) {
      const key = el.tagName + '.' + el.className;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push('low contrast ' + ratio.toFixed(2) + ':1 (needs ' + need + ') on <' + el.tagName.toLowerCase() + (el.className ? ' class="' + el.className + '"' : '') + '> "' + el.textContent.trim().slice(0, 30) + '"');
    }
  }
  return out;
})()`

// shoot writes full-page screenshots of the current page at desktop and
// phone width.
func (c *chrome) shoot(name string) {
	c.t.Helper()
	for _, w := range []struct {
		suffix string
		w, h   int64
	}{{"desktop", 1280, 900}, {"phone", 360, 740}} {
		if w.suffix == "phone" {
			c.do(chromedp.EmulateViewport(w.w, w.h, chromedp.EmulateMobile, chromedp.EmulateTouch))
		} else {
			c.do(chromedp.EmulateViewport(w.w, w.h))
		}
		png, err := chromedp.Run(c.ctx, chromedp.FullScreenshot(100))
		if err != nil {
			c.t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(c.shots, fmt.Sprintf("%s-%s.png", name, w.suffix)), png, 0o644); err != nil {
			c.t.Fatal(err)
		}
		if w.suffix == "phone" {
			// Nothing may stick out sideways on a phone.
			wide, err := chromedp.Run(c.ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > document.documentElement.clientWidth`))
			if err == nil && wide {
				c.t.Errorf("%s is wider than a 360-px phone", name)
			}
		}
	}
	c.do(chromedp.EmulateViewport(1280, 900))
}

func (c *chrome) signIn(user string) {
	c.t.Helper()
	c.open("/staff/login")
	c.do(chromedp.SendKeys(chromedp.CSS("#username"), user), chromedp.SendKeys(chromedp.CSS("#password"), "test password 123"),
		chromedp.Submit(chromedp.CSS("#login-form")), chromedp.WaitVisible(chromedp.CSS(".who")))
}

func browserHarness(t *testing.T) *webtest.Harness {
	h := webtest.New(t, "")
	seedUnits(t, h)
	for _, r := range []auth.Role{auth.Clerk, auth.Director, auth.Admin, auth.OrgDept} {
		if _, err := h.App.Auth.AddUser(context.Background(), auth.System("test"), string(r), "test password 123", r, ""); err != nil {
			t.Fatal(err)
		}
	}
	return h
}

func TestBrowserReporterFilesAndTracks(t *testing.T) {
	h := browserHarness(t)
	c := newChrome(t, h.URL)
	c.open("/")
	c.check("home")
	c.shoot("home")
	img := filepath.Join(t.TempDir(), "photo.png")
	os.WriteFile(img, []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"), 0o644)
	c.open("/report")
	c.check("report")
	c.shoot("report")
	c.do(
		chromedp.SendKeys(chromedp.CSS("#content"), "县行政服务中心不动产登记窗口要求第三次补交材料。"),
		chromedp.SetValue(chromedp.CSS("#situation"), "P1.2"),
		chromedp.SendKeys(chromedp.CSS("#unit"), "MQ-XZFW"),
		chromedp.SetUploadFiles(chromedp.CSS("#attachment"), []string{img}),
		chromedp.Click(chromedp.CSS("#report-submit")),
		chromedp.WaitVisible(chromedp.CSS("#receipt-code")),
	)
	receipt, key := c.text("#receipt-code"), c.text("#receipt-key")
	if len(receipt) < 6 || len(key) < 10 {
		t.Fatalf("receipt %q key %q", receipt, key)
	}
	c.shoot("receipt")
	c.open("/track")
	c.check("track")
	c.shoot("track-form")
	c.do(chromedp.SendKeys(chromedp.CSS("#receipt"), receipt), chromedp.SendKeys(chromedp.CSS("#key"), key),
		chromedp.Submit(chromedp.CSS("#track-form")), chromedp.WaitVisible(chromedp.CSS("#track-state")))
	if st := c.text("#track-state"); st == "" {
		t.Fatal("no state")
	}
	c.do(chromedp.SendKeys(chromedp.CSS("#body"), "补充：窗口编号 12。"), chromedp.Submit(chromedp.CSS("#message-form")),
		chromedp.WaitVisible(chromedp.CSS(".alert.ok")))
	if !strings.Contains(c.text(".msgs"), "窗口编号 12") {
		t.Error("the message is not shown")
	}
	c.check("track result")
	c.shoot("track")
	ctx := context.Background()
	cs, err := h.App.Intake.Attachments(ctx, auth.System("test"), 1)
	if err != nil || len(cs) != 1 || cs[0].Filename != "photo.png" {
		t.Fatalf("attachments: %v %+v", err, cs)
	}
}

func TestBrowserClerkKeyboardOnly(t *testing.T) {
	h := browserHarness(t)
	c := newChrome(t, h.URL)
	c.signIn("clerk")
	c.open("/staff/desk")
	c.check("desk")
	c.shoot("desk")
	start := time.Now()
	// The content has the focus; everything else by Tab and shortcuts.
	c.do(
		chromedp.KeyEvent("来电反映县行政服务中心窗口工作人员推诿，要求第三次补交材料。"),
		chromedp.KeyEvent("\t"), chromedp.KeyEvent("xjyfqz"),
		chromedp.KeyEvent("\t"), chromedp.KeyEvent("MQ-XZFW"),
		chromedp.KeyEvent("2", chromedp.KeyModifiers(chromedp.ModifierAlt)), // letter
		chromedp.KeyEvent("1", chromedp.KeyModifiers(chromedp.ModifierAlt)), // back to hotline
		chromedp.KeyEvent("s", chromedp.KeyModifiers(chromedp.ModifierAlt)),
		chromedp.WaitVisible(chromedp.CSS("#receipt-code")),
	)
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("registering a call took %v", d)
	}
	if c.text("#receipt-key") == "" {
		t.Fatal("no key to read out")
	}
	c.shoot("desk-saved")
	cs, err := h.App.Cases.Get(context.Background(), auth.Principal{UserID: 1, Username: "x", Role: auth.Director}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if cs.Channel != docket.Hotline || cs.Situation != "P1.2" || cs.Unit == nil || cs.Unit.Code != "MQ-XZFW" || !strings.Contains(cs.Content, "推诿") {
		t.Fatalf("case: channel %s situation %s unit %+v content %q", cs.Channel, cs.Situation, cs.Unit, cs.Content)
	}
	// Tab order: from the content, Tab reaches the situation, then the unit.
	c.open("/staff/desk")
	c.do(chromedp.KeyEvent("\t"))
	if id, _ := chromedp.Run(c.ctx, chromedp.Evaluate[string](`document.activeElement.id`)); id != "situation" {
		t.Errorf("Tab from the content goes to %q", id)
	}
	// Enter in the unit with no suggestion leaves the form as it is: no case
	// filed, the page and what was typed kept.
	c.open("/staff/desk")
	c.do(chromedp.KeyEvent("又一个来电，反映窗口推诿。"), chromedp.KeyEvent("\t"), chromedp.KeyEvent("\t"), chromedp.KeyEvent("zzzz"), chromedp.KeyEvent("\r"))
	path, _ := chromedp.Run(c.ctx, chromedp.Evaluate[string](`location.pathname`))
	unit, _ := chromedp.Run(c.ctx, chromedp.Evaluate[string](`document.getElementById("unit").value`))
	if path != "/staff/desk" || unit != "zzzz" {
		t.Errorf("after Enter in the unit: page %q, unit %q", path, unit)
	}
	if _, err := h.App.Cases.Get(context.Background(), auth.Principal{UserID: 1, Username: "x", Role: auth.Director}, 2); err == nil {
		t.Error("Enter in the unit filed a second case")
	}
}

func TestBrowserDirectorAcceptsAssignsConcludesDecides(t *testing.T) {
	h := browserHarness(t)
	ctx := context.Background()
	person, err := h.App.Org.CreatePerson(ctx, auth.System("test"), org.PersonInput{Name: "张三", Unit: "MQ-XZFW"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.App.Intake.Submit(ctx, intake.Submission{Channel: docket.Letter, Content: "来信反映张三推诿扯皮，三次让群众补交材料。",
		Situation: "P1.2", Unit: "MQ-XZFW", PersonID: person.ID, Anonymous: true, Actor: "user:clerk"}); err != nil {
		t.Fatal(err)
	}
	h.App.Search.Index.CatchUp(ctx)
	c := newChrome(t, h.URL)
	c.signIn("director")
	c.open("/staff/cases")
	c.check("queue")
	c.shoot("queue")
	// j selects the first row, Enter opens it.
	c.do(chromedp.KeyEvent("j"), chromedp.KeyEvent("\r"), chromedp.WaitVisible(chromedp.CSS("#case-state")))
	c.check("case")
	c.shoot("case")
	step := func(button, state string) {
		t.Helper()
		c.do(chromedp.Click(chromedp.CSS(button)), chromedp.WaitReady(chromedp.CSS(`#done[data-done="`+strings.TrimPrefix(button, "#do-")+`"]`)),
			chromedp.WaitVisible(chromedp.CSS(`#case-state[data-state="`+state+`"]`)))
	}
	step("#do-accept", "accepted")
	step("#do-assign", "investigating")
	c.do(chromedp.SetValue(chromedp.CSS("#conclude-finding"), "verified"))
	step("#do-conclude", "concluded")
	c.do(chromedp.Click(chromedp.CSS(`#decide input[value="admonishing_talk"]`)), chromedp.Click(chromedp.CSS("#do-decide")),
		chromedp.WaitReady(chromedp.CSS(`#done[data-done="decision"]`)), chromedp.WaitVisible(chromedp.CSS("#decisions table")))
	if !strings.Contains(c.text("#decisions"), "张三") {
		t.Error("the decision is not listed")
	}
	c.do(chromedp.SendKeys(chromedp.CSS("#reply-body"), "经查属实，已对张三诫勉谈话。"))
	step("#do-reply", "concluded")
	step("#do-close", "closed")
	c.check("closed case")
	c.shoot("case-closed")
	c.open("/staff/overview")
	c.check("overview")
	c.shoot("overview")
	c.open("/staff/people/" + strconv.FormatInt(person.ID, 10))
	c.check("person")
	c.shoot("person")
}

func TestBrowserLanguages(t *testing.T) {
	h := browserHarness(t)
	if _, err := h.App.Org.CreatePerson(context.Background(), auth.System("test"), org.PersonInput{Name: "张三", Unit: "MQ-XZFW"}); err != nil {
		t.Fatal(err)
	}
	// A signed checkpoint, so that the log page shows its long lines.
	if _, _, err := (&audit.Signer{DB: h.App.DB, KeyFile: h.App.Config.LogKeyFile, Clock: h.Clock}).SignIfDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	c := newChrome(t, h.URL)
	for _, l := range []string{"zh-TW", "en", "zh-CN"} {
		for _, p := range []string{"/", "/report", "/track", "/staff/login", "/public/log"} {
			c.open(p + "?lang=" + l)
			lang, _ := chromedp.Run(c.ctx, chromedp.Evaluate[string](`document.documentElement.lang`))
			if lang != l {
				t.Errorf("%s?lang=%s has lang %q", p, l, lang)
			}
			c.check(p + " in " + l)
		}
		if l == "en" {
			c.open("/")
			c.shoot("home-en")
		}
	}
	c.signIn("admin")
	for _, l := range []string{"zh-TW", "en", "zh-CN"} {
		for _, p := range []string{"/staff/desk", "/staff/cases", "/staff/overview", "/staff/eligibility?people=%E5%BC%A0%E4%B8%89", "/staff/people/1",
			"/staff/admin/units", "/staff/admin/people", "/staff/admin/users", "/staff/admin/calendar"} {
			c.open(p + "?lang=" + l)
			c.check(p + " in " + l)
		}
	}
	c.open("/staff/admin/units")
	c.shoot("admin-units")
	c.open("/staff/eligibility?people=%E5%BC%A0%E4%B8%89")
	c.shoot("eligibility")
}

// The accessibility check itself finds what it is meant to find.
func TestBrowserA11yCheckCatchesProblems(t *testing.T) {
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, `<!doctype html><html lang="en"><body style="background:#fff">
<p style="color:#bbb">pale grey text</p>
<label for="a">Named</label><input id="a" name="a"><input name="nameless">
<p style="color:#222">fine text</p></body></html>`)
	}))
	t.Cleanup(bad.Close)
	c := newChrome(t, bad.URL)
	c.open("/")
	problems, err := chromedp.Run(c.ctx, chromedp.Evaluate[[]string](a11yCheck))
	if err != nil {
		t.Fatal(err)
	}
	joined := strings.Join(problems, "\n")
	if len(problems) != 2 || !strings.Contains(joined, "unlabelled input name=nameless") || !strings.Contains(joined, "pale grey text") {
		t.Fatalf("check found:\n%s", joined)
	}
}
