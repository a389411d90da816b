package web_test

import (
	"context"
	"html"
	"regexp"
	"strings"
	"testing"
	"time"

	"mashang/internal/auth"
	"mashang/internal/intake"
	"mashang/internal/web/webtest"
)

var downloadRe = regexp.MustCompile(`href="(/api/v1/(?:reports/summary|cases/export)[^"]*)"`)

// The overview offers the leading group's report of the period to the roles
// that may read it, and the queue exports its own filtered list; both links
// work with the page session.
func TestPagesReportAndExportLinks(t *testing.T) {
	h := webtest.New(t, "")
	ctx := context.Background()
	for _, c := range []string{"梅城镇窗口推诿扯皮", "白樟镇便民服务中心吃拿卡要"} {
		if _, err := h.App.Intake.Submit(ctx, intake.Submission{Channel: "hotline", ReceivedAt: webtest.Start.Add(-time.Hour), Content: c, Anonymous: true, Actor: "test"}); err != nil {
			t.Fatal(err)
		}
	}
	dir := newBrowser(t, h)
	dir.signIn("dir", auth.Director)
	links := downloadRe.FindAllStringSubmatch(dir.get("/staff/overview?from=2026-01-01&to=2026-03-02").Body, -1)
	if len(links) != 3 {
		t.Fatalf("overview report links: %v", links)
	}
	for _, l := range links {
		if strings.Contains(l[1], "format=pdf") {
			continue // needs Chromium; the reports tests cover it
		}
		p := dir.get(html.UnescapeString(l[1]))
		if p.Status != 200 {
			t.Errorf("%s: %d %.200s", l[1], p.Status, p.Body)
		}
	}
	clerk := newBrowser(t, h)
	clerk.signIn("clk", auth.Clerk)
	if strings.Contains(clerk.get("/staff/overview").Body, "/api/v1/reports/summary") {
		t.Fatal("a clerk is offered the leading group's report")
	}
	q := dir.get("/staff/cases?q=" + "推诿")
	links = downloadRe.FindAllStringSubmatch(q.Body, -1)
	if len(links) != 2 {
		t.Fatalf("queue export links: %v", links)
	}
	csv := dir.get(html.UnescapeString(links[0][1]))
	if csv.Status != 200 || !strings.HasPrefix(csv.Body, "\ufeff") || !strings.Contains(csv.Body, "梅城镇窗口推诿扯皮") || strings.Contains(csv.Body, "白樟镇") {
		t.Fatalf("CSV export of the filtered list: %d %.300q", csv.Status, csv.Body)
	}
}
