package web_test

import (
	"bytes"
	"context"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"mashang/internal/auth"
	"mashang/internal/org"
	"mashang/internal/web/webtest"
)

var (
	receiptRe = regexp.MustCompile(`id="receipt-code">([^<]+)<`)
	keyRe     = regexp.MustCompile(`id="receipt-key">((?:<span>[0-9A-Z]+</span>-<wbr>)*<span>[0-9A-Z]+</span>)</dd>`)
)

// postMultipart sends a form with files (name → content) to path.
func (b *browser) postMultipart(path string, fields map[string]string, files map[string][]byte) page {
	b.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	for name, data := range files {
		fw, _ := mw.CreateFormFile("attachment", name)
		fw.Write(data)
	}
	mw.Close()
	req, _ := http.NewRequest("POST", b.h.URL+path, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return b.do(req)
}

func seedUnits(t *testing.T, h *webtest.Harness) {
	t.Helper()
	for _, u := range []org.UnitInput{{Code: "MQ", Name: "闽清县", Kind: "county"}, {Code: "MQ-XZFW", Name: "县行政服务中心", Kind: "service_centre"}} {
		if u.Code != "MQ" {
			parent := "MQ"
			u.Parent = &parent
		}
		if _, err := h.App.Org.CreateUnit(context.Background(), auth.System("test"), u); err != nil {
			t.Fatal(err)
		}
	}
}

func TestPagesReportAndTrack(t *testing.T) {
	h := webtest.New(t, "")
	seedUnits(t, h)
	b := newBrowser(t, h)
	form := b.get("/report")
	if form.Status != 200 || !strings.Contains(form.Body, `enctype="multipart/form-data"`) || !strings.Contains(form.Body, "P1.2") {
		t.Fatalf("report form: %d", form.Status)
	}
	tok := csrfRe.FindStringSubmatch(form.Body)[1]
	// An empty report comes back with the message, field marked.
	p := b.postMultipart("/report", map[string]string{"csrf": tok, "content": "  ", "anonymous": "yes"}, nil)
	if p.Status != http.StatusUnprocessableEntity || !strings.Contains(p.Body, `aria-invalid="true"`) {
		t.Fatalf("empty report: %d", p.Status)
	}
	// Without the token: refused.
	if p := b.postMultipart("/report", map[string]string{"content": "x"}, nil); p.Status != http.StatusForbidden {
		t.Fatalf("report without csrf: %d", p.Status)
	}
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")
	p = b.postMultipart("/report", map[string]string{"csrf": tok, "content": "县行政服务中心不动产登记窗口要求第三次补交材料。", "situation": "P1.2",
		"unit": "MQ-XZFW", "person": "窗口工作人员", "anonymous": "no", "name": "王某", "phone": "13800000000"}, map[string][]byte{"单据.png": png})
	p = b.receiptAfter(p)
	rm, km := receiptRe.FindStringSubmatch(p.Body), keyRe.FindStringSubmatch(p.Body)
	if rm == nil || km == nil || !strings.Contains(p.Body, "查询密码只显示这一次") {
		t.Fatalf("receipt page: %s", p.Body)
	}
	if strings.Contains(p.Body, "13800000000") {
		t.Error("the receipt page repeats the phone number")
	}
	receipt, key := rm[1], shownKey(km[1])
	// Track: a wrong key answers as an unknown receipt.
	tok = b.csrf("/track")
	if p := b.post("/track", url.Values{"csrf": {tok}, "receipt": {receipt}, "key": {key + "x"}}); p.Status != http.StatusNotFound || strings.Contains(p.Body, "track-state") {
		t.Fatalf("wrong key: %d", p.Status)
	}
	p = b.post("/track", url.Values{"csrf": {tok}, "receipt": {receipt}, "key": {key}})
	if p.Status != 200 || !strings.Contains(p.Body, `data-state="registered"`) || !strings.Contains(p.Body, "message-form") {
		t.Fatalf("track: %d %s", p.Status, p.Body)
	}
	p = b.post("/track", url.Values{"csrf": {tok}, "receipt": {receipt}, "key": {key}, "op": {"message"}, "body": {"补充：窗口编号 12。"}})
	if p.Status != 200 || !strings.Contains(p.Body, "补充：窗口编号 12。") || !strings.Contains(p.Body, "留言已发送") {
		t.Fatalf("message: %d", p.Status)
	}
	// Rating before a reply: the message says why.
	p = b.post("/track", url.Values{"csrf": {tok}, "receipt": {receipt}, "key": {key}, "op": {"rate"}, "rating": {"satisfied"}})
	if p.Status != http.StatusConflict || !strings.Contains(p.Body, "尚未作出书面答复") {
		t.Fatalf("early rating: %d", p.Status)
	}
	// The case has the attachment and the named reporter, masked.
	c, err := h.App.Cases.Get(context.Background(), auth.Principal{UserID: 1, Username: "x", Role: auth.Director}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Attachments) != 1 || c.Attachments[0].Filename != "单据.png" || c.Unit == nil || c.Unit.Code != "MQ-XZFW" || c.Situation != "P1.2" || c.Anonymous == nil || *c.Anonymous {
		t.Fatalf("case: %+v", c)
	}
}

func TestPagesDesk(t *testing.T) {
	h := webtest.New(t, "")
	seedUnits(t, h)
	b := newBrowser(t, h)
	b.signIn("clerk", auth.Clerk)
	d := b.get("/staff/desk")
	if d.Status != 200 || !strings.Contains(d.Body, `data-shortcut="1"`) || !strings.Contains(d.Body, `value="2026-03-02T09:00"`) {
		t.Fatalf("desk: %d %s", d.Status, d.Body)
	}
	tok := csrfRe.FindStringSubmatch(d.Body)[1]
	for _, tc := range []struct {
		sit, want string
		status    int
	}{
		{"P1.2", "P1.2", 201},
		{"xjyfqz", "P1.2", 201},
		{"xjyf qz", "P1.2", 201},
		{"P1.2 消极应付 · 群众", "P1.2", 201},
		{"乱收费", "P3.5", 201},
		{"xjyf", "", 422}, // five situations
		{"nothing", "", 422},
	} {
		p := b.postMultipart("/staff/desk", map[string]string{"csrf": tok, "channel": "hotline", "received_at": "2026-03-02T08:40",
			"content": "来电反映窗口推诿。", "situation": tc.sit, "unit": "MQ-XZFW 县行政服务中心", "anonymous": "yes"}, nil)
		if p.Status != tc.status {
			t.Errorf("situation %q: %d", tc.sit, p.Status)
			continue
		}
		if tc.status == 201 {
			if !receiptRe.MatchString(p.Body) || !keyRe.MatchString(p.Body) {
				t.Errorf("no receipt and key for %q", tc.sit)
			}
		}
	}
	// A time in the future is refused with the field named.
	p := b.postMultipart("/staff/desk", map[string]string{"csrf": tok, "channel": "letter", "received_at": "2026-03-03T10:00", "content": "来信", "anonymous": "yes"}, nil)
	if p.Status != 422 || !strings.Contains(p.Body, `id="received_at" name="received_at" type="datetime-local" value="2026-03-03T10:00" required aria-invalid="true"`) {
		t.Errorf("future: %d", p.Status)
	}
	// Another role may not use the desk.
	b2 := newBrowser(t, h)
	b2.signIn("lead", auth.Leader)
	if p := b2.get("/staff/desk"); p.Status != http.StatusForbidden {
		t.Errorf("leader at desk: %d", p.Status)
	}
}

var formTokenRe = regexp.MustCompile(`name="form_token" value="([^"]+)"`)

// shownKey is the key as the receipt page's text reads (its groups joined).
func shownKey(html string) string {
	return strings.NewReplacer("<span>", "", "</span>", "", "<wbr>", "").Replace(html)
}

// receiptAfter follows a report form's answer: a redirect (303) to the
// receipt page, fetched with GET.
func (b *browser) receiptAfter(p page) page {
	b.t.Helper()
	if p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/report/receipt" {
		b.t.Fatalf("the report form answers %d (Location %q), want 303 to /report/receipt: %s", p.Status, p.Header.Get("Location"), p.Body)
	}
	r := b.get("/report/receipt")
	if r.Status != 200 {
		b.t.Fatalf("receipt page: %d %s", r.Status, r.Body)
	}
	return r
}

// The same report form posted twice (a double click, a browser's "resend")
// files one case; the receipt page is a GET after a redirect, so reloading
// it files nothing; and a second post whose first answer was lost still
// shows the key. A new form (new token) is a new report.
func TestPagesReportFormTwiceOneCase(t *testing.T) {
	webtest.Engines(t, func(t *testing.T, h *webtest.Harness) {
		seedUnits(t, h)
		b := newBrowser(t, h)
		form := b.get("/report")
		ft := formTokenRe.FindStringSubmatch(form.Body)
		if ft == nil {
			t.Fatal("the report form has no form token")
		}
		fields := map[string]string{"csrf": csrfRe.FindStringSubmatch(form.Body)[1], "form_token": ft[1],
			"content": "不动产登记窗口要求第三次补交同一份材料。", "anonymous": "yes"}
		first := b.postMultipart("/report", fields, nil)
		if strings.Contains(first.Body, "receipt-key") {
			t.Fatal("the POST's answer shows the receipt itself")
		}
		if c := first.Header.Get("Set-Cookie"); !strings.Contains(c, "HttpOnly") || !strings.Contains(c, "Path=/report/receipt") {
			t.Errorf("receipt cookie: %q", c)
		}
		shown := b.receiptAfter(first)
		rm, km := receiptRe.FindStringSubmatch(shown.Body), keyRe.FindStringSubmatch(shown.Body)
		if rm == nil || km == nil {
			t.Fatalf("receipt page: %s", shown.Body)
		}
		receipt, key := rm[1], shownKey(km[1])
		today := h.Clock.Now().In(h.App.Loc).Format("2006-01-02")
		if !strings.Contains(shown.Body, `id="receipt-date">`+today+"<") || !strings.Contains(shown.Body, `id="receipt-how"`) {
			t.Errorf("the receipt page has no date (%s) or instructions", today)
		}
		// Reloading the receipt page: the same receipt, still one case.
		if again := b.get("/report/receipt"); receiptRe.FindStringSubmatch(again.Body)[1] != receipt || shownKey(keyRe.FindStringSubmatch(again.Body)[1]) != key {
			t.Error("reloading the receipt page shows another receipt")
		}
		// The same form again, from a browser that never saw the first answer.
		b2 := newBrowser(t, h)
		fields["csrf"] = b2.csrf("/report")
		second := b2.receiptAfter(b2.postMultipart("/report", fields, nil))
		if receiptRe.FindStringSubmatch(second.Body)[1] != receipt || keyRe.FindStringSubmatch(second.Body) == nil || shownKey(keyRe.FindStringSubmatch(second.Body)[1]) != key {
			t.Errorf("the second post shows another receipt: %s", second.Body)
		}
		if n := countCases(t, h); n != 1 {
			t.Fatalf("%d cases after posting one form twice", n)
		}
		// The key shown works.
		tok := b.csrf("/track")
		if p := b.post("/track", url.Values{"csrf": {tok}, "receipt": {receipt}, "key": {key}}); p.Status != 200 {
			t.Fatalf("track with the shown key: %d", p.Status)
		}
		// A new form is a new report.
		form = b.get("/report")
		fields["form_token"], fields["csrf"] = formTokenRe.FindStringSubmatch(form.Body)[1], csrfRe.FindStringSubmatch(form.Body)[1]
		if fields["form_token"] == ft[1] {
			t.Fatal("two forms share a token")
		}
		b.receiptAfter(b.postMultipart("/report", fields, nil))
		if n := countCases(t, h); n != 2 {
			t.Fatalf("%d cases after a second form", n)
		}
		// No receipt to show: a page in the visitor's language, not a blank one.
		b3 := newBrowser(t, h)
		if p := b3.get("/report/receipt"); p.Status != 404 || !strings.Contains(p.Body, "查询进度") || strings.Contains(p.Body, "receipt-key") {
			t.Errorf("receipt page without a receipt: %d", p.Status)
		}
		// A receipt older than an hour is not shown again.
		h.Clock.Advance(61 * time.Minute)
		if p := b.get("/report/receipt"); p.Status != 404 {
			t.Errorf("an old receipt is shown: %d", p.Status)
		}
	})
}

// zh-TW speaks of an office: a service counter is 窗口 (never a program
// window, 視窗), a unit's code 代碼 (never program code, 程式碼), and the
// same channel has one name on a page. Every page a reporter and a clerk
// see first, with a case whose text names a counter and a code.
func TestPagesTraditionalWording(t *testing.T) {
	h := webtest.New(t, "")
	seedUnits(t, h)
	// The office's words are typed in Simplified characters; the zh-TW
	// pages convert them.
	h.Must(200, "PUT", "/api/v1/offices/main/profile", h.TokenFor("profile-admin", auth.Admin, ""), map[string]any{"channels": map[string]any{
		"hotlines": []any{map[string]any{"name": "县纪委信访室", "number": "0591-22371732"}, map[string]any{"name": "县效能办", "number": "0591-22371885"}},
		"boxes":    []any{"县委大院"}}})
	b := newBrowser(t, h)
	b.lang = "zh-TW"
	b.signIn("admin", auth.Admin)
	r := h.Must(201, "POST", "/api/v1/intake", h.Token(auth.Clerk), map[string]any{"channel": "hotline",
		"received_at": "2026-03-01T10:00:00+08:00", "content": "不动产登记窗口要求补交材料，并说系统代码出错。", "unit": "MQ-XZFW"})
	id := int64(r.JSON["case_id"].(float64))
	for _, path := range []string{"/", "/report", "/track", "/public/stats", "/public/exposures", "/staff/desk", "/staff/cases", fmt.Sprintf("/staff/cases/%d", id),
		"/staff/admin/units", "/staff/admin/users", "/staff/inspections/new"} {
		p := b.get(path)
		if p.Status != 200 {
			t.Errorf("%s: %d", path, p.Status)
			continue
		}
		if !strings.Contains(p.Body, `lang="zh-TW"`) {
			t.Errorf("%s is not in zh-TW", path)
		}
		for _, bad := range []string{"視窗", "程式碼", "線上舉報", "釋出"} {
			if strings.Contains(p.Body, bad) {
				t.Errorf("%s says %s", path, bad)
			}
		}
	}
	// The staff read the report as it was written (evidence is not converted).
	if p := b.get(fmt.Sprintf("/staff/cases/%d", id)); !strings.Contains(p.Body, "不动产登记窗口要求补交材料，并说系统代码出错。") {
		t.Error("the case's text is not shown as written")
	}
	home := b.get("/")
	for _, want := range []string{"縣紀委信訪室", "縣效能辦", "縣委大院", "網上舉報"} {
		if !strings.Contains(home.Body, want) {
			t.Errorf("the zh-TW home lacks %s", want)
		}
	}
	for _, bad := range []string{"县纪委信访室", "县委大院"} {
		if strings.Contains(home.Body, bad) {
			t.Errorf("the zh-TW home shows %s in Simplified characters", bad)
		}
	}
}

// The public portal is linked from the public home (and every public page);
// a path no route takes is a page in the visitor's language and the site's
// frame, 404 (405 with Allow for a known path asked with another method);
// the API keeps its JSON errors.
func TestPagesPortalLinkAndUnknownPath(t *testing.T) {
	h := webtest.New(t, "")
	b := newBrowser(t, h)
	if home := b.get("/"); !strings.Contains(home.Body, `<a href="/public/" id="nav-portal"`) {
		t.Error("the public home does not link the portal")
	}
	for _, c := range []struct{ lang, htmlLang, want string }{
		{"", "zh-CN", "没有这个页面"},
		{"zh-TW", "zh-TW", "沒有這個頁面"},
		{"en", "en", "There is no such page"},
	} {
		b := newBrowser(t, h)
		b.lang = c.lang
		p := b.get("/does-not-exist")
		if p.Status != 404 || !strings.HasPrefix(p.Header.Get("Content-Type"), "text/html") || !strings.Contains(p.Body, `lang="`+c.htmlLang+`"`) ||
			!strings.Contains(p.Body, c.want) || !strings.Contains(p.Body, `href="/report"`) || strings.Contains(p.Body, "404 page not found") {
			t.Errorf("%q: /does-not-exist answers %d %q: %.400s", c.lang, p.Status, p.Header.Get("Content-Type"), p.Body)
		}
	}
	req, _ := http.NewRequest("DELETE", h.URL+"/report", nil)
	if p := b.do(req); p.Status != 405 || p.Header.Get("Allow") != "GET, HEAD, POST" || !strings.Contains(p.Body, "此地址不接受该请求方法") {
		t.Errorf("DELETE /report: %d Allow %q", p.Status, p.Header.Get("Allow"))
	}
	// A form posted to no page: 404, not a refused form.
	if p := b.post("/does-not-exist", url.Values{}); p.Status != 404 || !strings.Contains(p.Body, "没有这个页面") {
		t.Errorf("POST /does-not-exist: %d", p.Status)
	}
	if p := b.get("/staff/nothing-here"); p.Status != 404 || !strings.Contains(p.Body, "没有这个页面") {
		t.Errorf("/staff/nothing-here: %d", p.Status)
	}
	if r := h.Do("GET", "/api/v1/nothing", "", nil); r.Status != 404 || r.JSON["error"] == nil {
		t.Errorf("an unknown API path: %d %s", r.Status, r.Raw)
	}
}
