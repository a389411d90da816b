package web_test

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"mashang/internal/auth"
	"mashang/internal/docket"
	"mashang/internal/intake"
	"mashang/internal/reports"
	"mashang/internal/web/webtest"
)

func TestSummaryReportJSONXLSXPDF(t *testing.T) {
	webtest.Engines(t, func(t *testing.T, h *webtest.Harness) {
		personID := inspOrg(t, h)
		ctx := context.Background()
		// Three more cases on other channels; two concluded, one with a decision.
		for _, ch := range []docket.Channel{docket.Web, docket.Letter, docket.Web} {
			if _, err := h.App.Intake.Submit(ctx, intake.Submission{Channel: ch, Content: "办事窗口推诿", Situation: "P1.2", Unit: "ZX", Anonymous: true, Actor: "reporter"}); err != nil {
				t.Fatal(err)
			}
		}
		concludedCase(t, h, personID, true)
		concludedCase(t, h, personID, false)
		if _, err := h.App.DB.Write.ExecContext(ctx, `UPDATE cases SET due_status = 'overdue' WHERE channel = 'letter'`); err != nil {
			t.Fatal(err)
		}
		lead := h.Token(auth.Leader)
		const q = "/api/v1/reports/summary?from=2026-03-01&to=2026-03-31"
		js := h.Must(200, "GET", q, lead, nil)
		num := func(path string) int {
			n, err := strconv.Atoi(webtest.Str(js.JSON, path))
			if err != nil {
				t.Fatalf("%s: %v in %s", path, err, js.Raw)
			}
			return n
		}
		if num("received") != 5 || num("concluded") != 2 || num("decisions") != 1 || num("overdue") != 1 {
			t.Fatalf("summary: %s", js.Raw)
		}
		if ou := js.JSON["overdue_by_unit"].([]any); len(ou) != 1 || ou[0].(map[string]any)["unit"] != "ZX" {
			t.Fatalf("overdue by unit: %s", js.Raw)
		}

		// The workbook holds the same counts.
		x := h.Do("GET", q+"&format=xlsx", lead, nil)
		if x.Status != 200 || !strings.HasPrefix(x.Header.Get("Content-Type"), "application/vnd.openxmlformats") {
			t.Fatalf("xlsx: %d %s", x.Status, x.Header)
		}
		f, err := excelize.OpenReader(bytes.NewReader(x.Raw))
		if err != nil {
			t.Fatalf("excelize cannot open the workbook: %v", err)
		}
		defer f.Close()
		rows, err := f.GetRows(reports.SheetOverview)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, r := range rows {
			if len(r) == 2 {
				got[r[0]] = r[1]
			}
		}
		for label, path := range map[string]string{"收到举报（件）": "received", "办结（件）": "concluded", "问责决定（件）": "decisions", "超期未办结（件）": "overdue"} {
			if got[label] != strconv.Itoa(num(path)) {
				t.Errorf("sheet %s: %s = %q, JSON %s = %d", reports.SheetOverview, label, got[label], path, num(path))
			}
		}
		chRows, _ := f.GetRows(reports.SheetChannel)
		byCh := map[string]string{}
		for _, r := range chRows[1:] {
			byCh[r[0]] = r[2]
		}
		for _, c := range js.JSON["by_channel"].([]any) {
			m := c.(map[string]any)
			if byCh[m["key"].(string)] != fmt.Sprint(m["n"]) {
				t.Errorf("channel %v: sheet %q, JSON %v", m["key"], byCh[m["key"].(string)], m["n"])
			}
		}
		if byCh["web"] != "2" || byCh["hotline"] != "2" || byCh["letter"] != "1" {
			t.Errorf("channel sheet: %v", byCh)
		}
		// The published statistics count the same cases.
		ps := h.Must(200, "GET", "/api/v1/public/stats", "", nil)
		if webtest.Str(ps.JSON, "received") != "5" || webtest.Str(ps.JSON, "decisions") != "1" {
			t.Errorf("public stats disagree: %s", ps.Raw)
		}

		// HTML and PDF, Chinese headings intact.
		html := h.Must(200, "GET", q+"&format=html", lead, nil)
		if !strings.Contains(string(html.Raw), "整肃“为官不为”工作报告") {
			t.Fatal("HTML report lacks its heading")
		}
		if txt, ok := pdfText(t, h, q+"&format=pdf", lead); ok {
			for _, want := range []string{"整肃“为官不为”工作报告", "问责决定", "明察暗访", "超期单位", "群众满意度"} {
				if !strings.Contains(txt, want) {
					t.Errorf("PDF text lacks %q:\n%s", want, txt)
				}
			}
		}
		// A month, and bad periods.
		m := h.Must(200, "GET", "/api/v1/reports/summary?month=2026-03", lead, nil)
		if webtest.Str(m.JSON, "received") != "5" || webtest.Str(m.JSON, "to") != "2026-03-31" {
			t.Fatalf("month: %s", m.Raw)
		}
		for path, want := range map[string]int{
			"/api/v1/reports/summary?from=2026-03-31&to=2026-03-01": 422,
			"/api/v1/reports/summary?from=2026-03-01":               422,
			"/api/v1/reports/summary":                               422,
			"/api/v1/reports/summary?from=2026-02-30&to=2026-03-01": 422,
			"/api/v1/reports/summary?month=2026-13":                 400,
			q + "&format=docx":                                      422,
		} {
			if r := h.Do("GET", path, lead, nil); r.Status != want {
				t.Errorf("%s: %d, want %d", path, r.Status, want)
			}
		}
		if r := h.Do("GET", q, h.Token(auth.Clerk), nil); r.Status != 403 {
			t.Errorf("clerk reads the report: %d", r.Status)
		}
	})
}

func TestPDFWithoutChromium(t *testing.T) {
	h := webtest.New(t, "")
	h.App.Reports.SetPDFPrinter(nil)
	inspOrg(t, h)
	r := h.Do("GET", "/api/v1/reports/summary?from=2026-03-01&to=2026-03-31&format=pdf", h.Token(auth.Leader), nil)
	if r.Status != 503 || r.ErrorCode() != "pdf_unavailable" || !strings.Contains(r.ErrorMessage(), "Chromium") {
		t.Fatalf("%d %s", r.Status, r.Raw)
	}
}

func TestCaseExportCSVAndXLSX(t *testing.T) {
	webtest.Engines(t, func(t *testing.T, h *webtest.Harness) {
		inspOrg(t, h)
		ctx := context.Background()
		for _, ch := range []docket.Channel{docket.Web, docket.Letter, docket.Web} {
			if _, err := h.App.Intake.Submit(ctx, intake.Submission{Channel: ch, Content: "=HYPERLINK(\"x\") 窗口推诿", Unit: "ZX", Anonymous: true, Actor: "reporter"}); err != nil {
				t.Fatal(err)
			}
		}
		tok := h.Token(auth.Director)
		c := h.Must(200, "GET", "/api/v1/cases/export?format=csv", tok, nil)
		if !strings.HasPrefix(c.Header.Get("Content-Type"), "text/csv") || !bytes.HasPrefix(c.Raw, []byte("\xef\xbb\xbf案件编号,")) {
			t.Fatalf("csv: %s %q", c.Header.Get("Content-Type"), c.Raw[:min(40, len(c.Raw))])
		}
		lines := strings.Split(strings.TrimSpace(string(c.Raw)), "\r\n")
		if len(lines) != 4 || !strings.Contains(lines[1], "网上举报") && !strings.Contains(lines[1], "来信") {
			t.Fatalf("csv lines: %q", lines)
		}
		if strings.Contains(string(c.Raw), ",=HYPERLINK") {
			t.Fatal("a formula reached the CSV unquoted")
		}
		web := h.Must(200, "GET", "/api/v1/cases/export?format=csv&channel=web", tok, nil)
		if n := len(strings.Split(strings.TrimSpace(string(web.Raw)), "\r\n")); n != 3 {
			t.Fatalf("channel=web exported %d lines", n)
		}
		x := h.Must(200, "GET", "/api/v1/cases/export?format=xlsx", tok, nil)
		f, err := excelize.OpenReader(bytes.NewReader(x.Raw))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		rows, _ := f.GetRows("案件清单")
		if len(rows) != 4 || rows[0][0] != "案件编号" {
			t.Fatalf("xlsx rows: %v", rows)
		}
		if r := h.Do("GET", "/api/v1/cases/export?format=pdf", tok, nil); r.Status != 422 {
			t.Fatalf("format=pdf: %d", r.Status)
		}
		if r := h.Do("GET", "/api/v1/cases/export?state=nonsense", tok, nil); r.Status != 422 {
			t.Fatalf("bad filter: %d", r.Status)
		}
	})
}
