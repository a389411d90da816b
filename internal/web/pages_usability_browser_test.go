package web_test

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"mashang/internal/auth"
	"mashang/internal/cases"
	"mashang/internal/docket"
	"mashang/internal/intake"
)

// The queue pages from its own links to the last page, and every open case
// is seen once: closed ones never, none twice, none left out.
func TestBrowserQueuePagesToTheEnd(t *testing.T) {
	h := browserHarness(t)
	ctx := context.Background()
	const open = 113 // three pages of 50
	want := map[int64]bool{}
	for i := range open + 7 {
		rc, err := h.App.Intake.Submit(ctx, intake.Submission{Channel: docket.Hotline, Content: fmt.Sprintf("来电反映第 %d 件：窗口推诿。", i),
			Unit: "MQ-XZFW", Anonymous: true, Actor: "user:clerk", ReceivedAt: h.Clock.Now().Add(-time.Duration(i) * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		if i < open {
			want[rc.CaseID] = true
			continue
		}
		if _, err := h.App.Cases.Act(ctx, auth.System("test"), rc.CaseID, cases.ActionInput{Action: docket.Refuse, Reason: "不属于受理范围"}); err != nil {
			t.Fatal(err)
		}
	}
	h.App.Search.Index.CatchUp(ctx)
	c := newChrome(t, h.URL)
	c.signIn("director")
	c.open("/staff/cases")
	c.check("queue")
	seen := map[int64]int{}
	idRe := regexp.MustCompile(`^/staff/cases/(\d+)$`)
	for page := 1; ; page++ {
		if page > 5 {
			t.Fatal("more pages than cases")
		}
		hrefs, err := chromedp.Run(c.ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('#queue tbody tr[data-href]')).map(r => r.getAttribute('data-href'))`))
		if err != nil {
			t.Fatal(err)
		}
		for _, href := range hrefs {
			m := idRe.FindStringSubmatch(href)
			if m == nil {
				t.Fatalf("row link %q", href)
			}
			id, _ := strconv.ParseInt(m[1], 10, 64)
			seen[id]++
		}
		if pos := c.text("#queue-pos"); pos == "" {
			t.Errorf("page %d does not say which cases it shows", page)
		}
		more, err := chromedp.Run(c.ctx, chromedp.Evaluate[bool](`!!document.getElementById('next-page')`))
		if err != nil {
			t.Fatal(err)
		}
		if !more {
			if page != 3 {
				t.Errorf("%d pages, want 3", page)
			}
			break
		}
		c.do(chromedp.Click(chromedp.CSS("#next-page")))
		c.waitText("#queue-pos", fmt.Sprintf("%d / ", page+1))
	}
	for id := range want {
		if seen[id] != 1 {
			t.Errorf("case %d seen %d times", id, seen[id])
		}
	}
	for id, n := range seen {
		if !want[id] {
			t.Errorf("case %d (not open) seen %d times", id, n)
		}
	}
	c.shoot("queue-last-page")
	// The first-page link goes back to the start.
	c.do(chromedp.Click(chromedp.CSS("#first-page")), chromedp.WaitVisible(chromedp.CSS("#next-page")))
}

// waitText waits until the element's text contains want (after a click that
// loads another page).
func (c *chrome) waitText(sel, want string) {
	c.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		s, err := chromedp.Run(c.ctx, chromedp.Text(chromedp.CSS(sel)))
		if err == nil && strings.Contains(s, want) {
			return
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("%s never says %q (last: %q, %v)", sel, want, s, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
