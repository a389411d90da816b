package web_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"mashang/internal/auth"
	"mashang/internal/docket"
	"mashang/internal/intake"
	"mashang/internal/org"
	"mashang/internal/web/webtest"
)

var chartRowRe = regexp.MustCompile(`<tr><th scope="row">([^<]*)</th><td>(\d+)</td></tr>`)

// chartRows reads a chart of the overview (its table for screen readers) as
// "label n" lines, in order.
func chartRows(t *testing.T, body, id string) []string {
	t.Helper()
	i := strings.Index(body, `id="`+id+`-h"`)
	if i < 0 {
		t.Fatalf("no chart %s", id)
	}
	sec := body[i:]
	sec = sec[:strings.Index(sec, "</section>")]
	var out []string
	for _, m := range chartRowRe.FindAllStringSubmatch(sec, -1) {
		out = append(out, m[1]+" "+m[2])
	}
	return out
}

// The director's unit chart ranks the units by their number of cases, most
// first, whatever order the units were made in; the units past the chart's
// fifteen bars make one bar, so that the chart adds up to the total; a case
// with no unit is named so, never "none".
func TestPagesOverviewRanksUnits(t *testing.T) {
	webtest.Engines(t, func(t *testing.T, h *webtest.Harness) {
		ctx := context.Background()
		counts := []int{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 3, 4, 6} // 甲01 … 甲16, in the order made
		var subs []intake.Submission
		for i, n := range counts {
			code := fmt.Sprintf("T-%02d", i+1)
			if _, err := h.App.Org.CreateUnit(ctx, auth.System("test"), org.UnitInput{Code: code, Name: fmt.Sprintf("甲%02d", i+1), Kind: "town"}); err != nil {
				t.Fatal(err)
			}
			for range n {
				subs = append(subs, intake.Submission{Unit: code})
			}
		}
		for range 5 {
			subs = append(subs, intake.Submission{})
		}
		for i, s := range subs {
			s.Channel, s.Actor, s.Anonymous = docket.Hotline, "user:clerk", true
			s.Content = fmt.Sprintf("来电反映第 %d 件。", i+1)
			s.ReceivedAt = h.Clock.Now().Add(-time.Duration(i) * time.Hour)
			if _, err := h.App.Intake.Submit(ctx, s); err != nil {
				t.Fatal(err)
			}
		}
		b := newBrowser(t, h)
		b.signIn("director", auth.Director)
		p := b.get("/staff/overview")
		if p.Status != 200 {
			t.Fatalf("overview: %d", p.Status)
		}
		want := []string{"甲16 6", "未定单位 5", "甲15 4", "甲14 3", "甲11 2", "甲12 2", "甲13 2",
			"甲01 1", "甲02 1", "甲03 1", "甲04 1", "甲05 1", "甲06 1", "甲07 1", "其他 3 个单位 3"}
		if got := chartRows(t, p.Body, "by-unit"); strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("unit chart:\n got %v\nwant %v", got, want)
		}
		// The category chart names the cases without a situation as the
		// public page does.
		cats := strings.Join(chartRows(t, p.Body, "by-category"), "|")
		if !strings.Contains(cats, "未分类 34") || strings.Contains(cats, "none") {
			t.Errorf("category chart: %s", cats)
		}
	})
}
