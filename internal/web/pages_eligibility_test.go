package web_test

import (
	"bytes"
	"encoding/csv"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"mashang/internal/auth"
	"mashang/internal/web/webtest"
)

// The eligibility check exports as CSV and XLSX, a row a person with the
// bar, the date it ends and its reasons, in the page's language; only those
// who may check eligibility get it; an empty list answers the page.
func TestPagesEligibilityExport(t *testing.T) {
	webtest.Engines(t, func(t *testing.T, h *webtest.Harness) {
		personID := inspOrg(t, h)
		concludedCase(t, h, personID, true) // 通报批评, decided 2026-03-02
		b := newBrowser(t, h)
		b.signIn("org1", auth.OrgDept)
		id := strconv.FormatInt(personID, 10)
		page := b.get("/staff/eligibility?people=" + id + "&on=2026-03-10")
		if !strings.Contains(page.Body, `id="elig-csv" href="/staff/eligibility/export?format=csv&amp;on=2026-03-10&amp;people=`+id+`"`) {
			t.Errorf("no export link: %s", page.Body[strings.Index(page.Body, "actions"):][:600])
		}
		p := b.get("/staff/eligibility/export?format=csv&on=2026-03-10&people=" + id + "%0A%E6%97%A0%E6%AD%A4%E4%BA%BA")
		if p.Status != 200 || !strings.HasPrefix(p.Header.Get("Content-Type"), "text/csv") || !strings.Contains(p.Header.Get("Content-Disposition"), "eligibility-2026-03-10.csv") {
			t.Fatalf("csv: %d %v", p.Status, p.Header)
		}
		rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(p.Body, "\ufeff"))).ReadAll()
		if err != nil || len(rows) != 2 {
			t.Fatalf("csv rows %v %v", rows, err)
		}
		want := []string{id, "王某某", "县行政服务中心"}
		for i, w := range want {
			if rows[1][i] != w {
				t.Errorf("column %s = %q, want %q", rows[0][i], rows[1][i], w)
			}
		}
		if rows[0][1] != "姓名" || rows[1][5] != "2026 年度不得" || !strings.Contains(rows[1][6], "通报批评") || !strings.Contains(rows[1][6], "2026-03-02") {
			t.Errorf("csv: %q", rows)
		}
		// XLSX, in English.
		b.lang = "en"
		p = b.get("/staff/eligibility/export?format=xlsx&on=2026-03-10&people=" + id)
		if p.Status != 200 || !strings.Contains(p.Header.Get("Content-Type"), "spreadsheetml") {
			t.Fatalf("xlsx: %d %v", p.Status, p.Header)
		}
		f, err := excelize.OpenReader(bytes.NewReader([]byte(p.Body)))
		if err != nil {
			t.Fatal(err)
		}
		xr, _ := f.GetRows(f.GetSheetName(0))
		if len(xr) != 2 || xr[1][1] != "王某某" || !strings.Contains(strings.Join(xr[0], "|"), "Promotion") || !strings.Contains(xr[1][5], "2026") {
			t.Errorf("xlsx rows %q", xr)
		}
		// Nothing to export: the page with its message, no file.
		b.lang = ""
		p = b.get("/staff/eligibility/export?format=csv&people=")
		if p.Status != http.StatusUnprocessableEntity || !strings.Contains(p.Body, "请先填写要查询的人员") {
			t.Errorf("empty export: %d %s", p.Status, errorText(p.Body))
		}
		p = b.get("/staff/eligibility/export?format=csv&on=2026-13-40&people=" + id)
		if p.Status != http.StatusUnprocessableEntity || strings.HasPrefix(p.Header.Get("Content-Type"), "text/csv") {
			t.Errorf("bad date: %d", p.Status)
		}
		// A clerk may not.
		c := newBrowser(t, h)
		c.signIn("clerk1", auth.Clerk)
		if p := c.get("/staff/eligibility/export?format=csv&people=" + id); p.Status != http.StatusForbidden || strings.Contains(p.Body, "王某某") {
			t.Errorf("clerk export: %d", p.Status)
		}
	})
}
