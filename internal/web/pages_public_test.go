package web_test

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"mashang/internal/auth"
	"mashang/internal/org"
	"mashang/internal/web/webtest"
)

var (
	receiptRe = regexp.MustCompile(`id="receipt-code">([^<]+)<`)
	keyRe     = regexp.MustCompile(`id="receipt-key">([^<]+)<`)
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
	if p.Status != 200 {
		t.Fatalf("report: %d %s", p.Status, p.Body)
	}
	rm, km := receiptRe.FindStringSubmatch(p.Body), keyRe.FindStringSubmatch(p.Body)
	if rm == nil || km == nil || !strings.Contains(p.Body, "查询密码只显示这一次") {
		t.Fatalf("receipt page: %s", p.Body)
	}
	if strings.Contains(p.Body, "13800000000") {
		t.Error("the receipt page repeats the phone number")
	}
	receipt, key := rm[1], km[1]
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
