package letters_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"mashang/internal/auth"
	"mashang/internal/config"
	"mashang/internal/store/storetest"
	"mashang/internal/web/webtest"
)

func engines(t *testing.T, fn func(t *testing.T, h *webtest.Harness)) {
	prefix := func(c *config.Config) {
		c.NoticePrefix, c.OfficeName = "闽整肃", "闽清县整治“为官不为”问题办公室"
	}
	t.Run("sqlite", func(t *testing.T) { fn(t, webtest.New(t, "", prefix)) })
	t.Run("postgres", func(t *testing.T) { fn(t, webtest.New(t, storetest.PostgresURL(t), prefix)) })
}

func report(t *testing.T, h *webtest.Harness, name string) int64 {
	t.Helper()
	r := h.Must(201, "POST", "/api/v1/intake", h.Token(auth.Clerk), map[string]any{"channel": "letter", "content": "窗口推诿扯皮", "received_at": "2026-03-02",
		"reporter": map[string]any{"name": name, "phone": "13800000001"}}).JSON
	return int64(r["case_id"].(float64))
}

func act(t *testing.T, h *webtest.Harness, id int64, body map[string]any) {
	t.Helper()
	h.Must(200, "POST", fmt.Sprintf("/api/v1/cases/%d/actions", id), h.Token(auth.Director), body)
}

type notice struct{ id, kind, number, pdf, html string }

func notices(t *testing.T, h *webtest.Harness, id int64) []notice {
	t.Helper()
	var out []notice
	for _, x := range h.Must(200, "GET", fmt.Sprintf("/api/v1/cases/%d/notices", id), h.Token(auth.Clerk), nil).JSON["notices"].([]any) {
		m := x.(map[string]any)
		out = append(out, notice{fmt.Sprint(m["id"]), m["kind"].(string), m["number"].(string), m["pdf"].(string), m["html"].(string)})
	}
	return out
}

// Each action that the rules require a written notice for gets one,
// numbered per kind and year in the order the actions were taken; the
// office's copy has no name, the reporter's copy has the reporter's name
// and is recorded; the refusal notice states the reason and the review
// rights with their time limit.
func TestNoticesNumberedPerKindAndYear(t *testing.T) {
	engines(t, func(t *testing.T, h *webtest.Harness) {
		h.Token(auth.Handler)
		a, b, c := report(t, h, "张三"), report(t, h, "李四"), report(t, h, "王五")
		act(t, h, a, map[string]any{"action": "accept"})
		act(t, h, b, map[string]any{"action": "refuse", "reason": "所反映问题已通过诉讼途径解决，不属于本办受理范围"})
		act(t, h, c, map[string]any{"action": "accept"})
		for _, s := range []map[string]any{{"action": "assign", "user": "handler"}, {"action": "conclude", "finding": "unfounded"},
			{"action": "reply", "body": "经调查，反映问题不属实，已向您说明情况。"}} {
			act(t, h, a, s)
		}
		na, nb, nc := notices(t, h, a), notices(t, h, b), notices(t, h, c)
		if len(na) != 2 || na[0].kind != "acceptance" || na[0].number != "闽整肃受〔2026〕1号" || na[1].kind != "reply" || na[1].number != "闽整肃复〔2026〕1号" {
			t.Fatalf("case a: %+v", na)
		}
		if len(nb) != 1 || nb[0].kind != "refusal" || nb[0].number != "闽整肃不受〔2026〕1号" {
			t.Fatalf("case b: %+v", nb)
		}
		if len(nc) != 1 || nc[0].number != "闽整肃受〔2026〕2号" {
			t.Fatalf("case c: %+v", nc)
		}
		office := string(h.Must(200, "GET", nb[0].html, h.Token(auth.Clerk), nil).Raw)
		for _, want := range []string{"不予受理告知书", "闽整肃不受〔2026〕1号", "所反映问题已通过诉讼途径解决", "复查", "30 日", "2026年3月2日", "闽清县整治“为官不为”问题办公室"} {
			if !strings.Contains(office, want) {
				t.Fatalf("the refusal notice lacks %q:\n%s", want, office)
			}
		}
		if strings.Contains(office, "李四") {
			t.Fatal("the office's copy bears the reporter's name")
		}
		mine := string(h.Must(200, "GET", nb[0].html+"?copy=reporter", h.Token(auth.Clerk), nil).Raw)
		if !strings.Contains(mine, "李四：") {
			t.Fatal("the reporter's copy lacks the reporter's name")
		}
		if r := h.Do("GET", nb[0].html+"?copy=reporter", h.Token(auth.Inspector), nil); r.Status != 403 {
			t.Fatalf("an inspector prints the reporter's copy: %d", r.Status)
		}
		var printed int
		h.App.DB.Read.QueryRow(`SELECT COUNT(*) FROM audit_log WHERE action = 'notice.print_reporter_copy'`).Scan(&printed)
		if printed != 1 {
			t.Fatalf("%d prints of the reporter's copy recorded", printed)
		}
		reply := string(h.Must(200, "GET", na[1].html, h.Token(auth.Clerk), nil).Raw)
		for _, want := range []string{"处理意见书", "经调查，反映问题不属实", "复查", "复核"} {
			if !strings.Contains(reply, want) {
				t.Fatalf("the reply lacks %q", want)
			}
		}
		if r := h.Do("GET", fmt.Sprintf("/api/v1/cases/%d/notices/%s/html", a, nb[0].id), h.Token(auth.Clerk), nil); r.Status != 404 {
			t.Fatalf("another case's notice: %d", r.Status)
		}
		if r := h.Do("GET", fmt.Sprintf("/api/v1/cases/%d/notices/%s/doc", b, nb[0].id), h.Token(auth.Clerk), nil); r.Status != 404 {
			t.Fatalf("an unknown format: %d", r.Status)
		}
	})
}

// A refused case has its refusal notice as a PDF (A4) with the reason, the
// review rights and the document number.
func TestRefusalNoticePDF(t *testing.T) {
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Skip("pdftotext is not installed (scripts/test.sh installs poppler-utils)")
	}
	h := webtest.New(t, "", func(c *config.Config) { c.NoticePrefix = "闽整肃" })
	b := report(t, h, "李四")
	act(t, h, b, map[string]any{"action": "refuse", "reason": "不属于本办受理范围"})
	n := notices(t, h, b)
	if len(n) != 1 || !strings.HasSuffix(n[0].pdf, "/pdf") {
		t.Fatalf("notices: %+v", n)
	}
	r := h.Do("GET", n[0].pdf, h.Token(auth.Clerk), nil)
	if r.Status == 409 {
		t.Skip("Chromium is not installed (scripts/test.sh installs it)")
	}
	if r.Status != 200 || r.Header.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(string(r.Raw), "%PDF-") {
		t.Fatalf("PDF: %d %s %.20q", r.Status, r.Header.Get("Content-Type"), r.Raw)
	}
	f := filepath.Join(t.TempDir(), "n.pdf")
	if err := os.WriteFile(f, r.Raw, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-enc", "UTF-8", f, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	info, _ := exec.Command("pdfinfo", f).Output()
	txt := strings.Join(strings.Fields(string(out)), "")
	for _, want := range []string{"不予受理告知书", "闽整肃不受〔2026〕1号", "不属于本办受理范围", "复查"} {
		if !strings.Contains(txt, want) {
			t.Fatalf("the PDF lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(string(info), "(A4)") {
		t.Fatalf("not A4:\n%s", info)
	}
}

// A notice states the review window of the case's own limits (its office's
// when it was registered), not the server's.
func TestNoticeStatesTheCasesReviewWindow(t *testing.T) {
	engines(t, func(t *testing.T, h *webtest.Harness) {
		h.Must(200, "PATCH", "/api/v1/offices/main", h.Token(auth.Admin), map[string]any{"limits": map[string]any{"review_request": map[string]any{"days": 10, "unit": "workday"}}})
		id := report(t, h, "张三")
		h.Must(200, "PATCH", "/api/v1/offices/main", h.Token(auth.Admin), map[string]any{"limits": map[string]any{}})
		act(t, h, id, map[string]any{"action": "refuse", "reason": "不属于本办受理范围"})
		n := notices(t, h, id)
		if len(n) != 1 {
			t.Fatalf("notices: %+v", n)
		}
		if text := string(h.Must(200, "GET", n[0].html, h.Token(auth.Clerk), nil).Raw); !strings.Contains(text, "10 个工作日") || strings.Contains(text, "30 日") {
			t.Fatalf("the refusal notice's review window:\n%s", text)
		}
	})
}
