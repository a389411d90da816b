package web_test

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"mashang/internal/auth"
	"mashang/internal/web/webtest"
)

// The desk by keyboard alone: pinyin initials find a unit in the picker
// (also with a character skipped), a phone typed shows the caller's earlier
// reports, and the key to read out is four groups of four.
func TestBrowserDeskInitialsEarlierReportsAndKey(t *testing.T) {
	h := webtest.New(t, "")
	deskUnits(t, h)
	if _, err := h.App.Auth.AddUser(context.Background(), auth.System("test"), "deskclerk", "test password 123", auth.Clerk, ""); err != nil {
		t.Fatal(err)
	}
	// An earlier named report from the same phone, written otherwise.
	h.Must(201, "POST", "/api/v1/intake", h.Token(auth.Clerk), map[string]any{"channel": "hotline", "content": "上月来电反映梅溪镇窗口推诿",
		"unit": "MQ-MX", "reporter": map[string]any{"name": "王五", "phone": "139 0000 1111"}})
	c := newChrome(t, h.URL)
	c.signIn("deskclerk")
	c.open("/staff/desk")
	c.do(chromedp.KeyEvent("来电反映梅溪镇便民服务中心要求第三次补交材料。"), chromedp.KeyEvent("\t"), chromedp.KeyEvent("\t"),
		chromedp.KeyEvent("mxbm"))
	c.waitText("#unit-matches", "梅溪镇便民服务中心")
	if first := c.text("#unit-matches li:first-child"); !strings.Contains(first, "梅溪镇便民服务中心") {
		t.Errorf("mxbm suggests first %q", first)
	}
	c.do(chromedp.KeyEvent("\r"))
	if v, _ := chromedp.Run(c.ctx, chromedp.Evaluate[string](`document.getElementById("unit").value`)); v != "MQ-MX-BM" {
		t.Errorf("Enter on mxbm took %q", v)
	}
	// mxz puts 梅溪镇 among the matches.
	if _, err := chromedp.Run(c.ctx, chromedp.Evaluate[bool](`(document.getElementById("unit").value = "", true)`)); err != nil {
		t.Fatal(err)
	}
	c.do(chromedp.Focus(chromedp.CSS("#unit")), chromedp.KeyEvent("mxz"))
	c.waitText("#unit-matches", "梅溪镇")
	c.do(chromedp.KeyEvent("\r"))
	// The phone: the earlier report shows without leaving the page.
	c.do(chromedp.Click(chromedp.CSS("#anonymous")), chromedp.Focus(chromedp.CSS("#phone")), chromedp.KeyEvent("13900001111"), chromedp.KeyEvent("\t"))
	c.waitText("#earlier", "1")
	if got := c.text("#earlier"); !strings.Contains(got, "上月") && !strings.Contains(got, "梅溪镇") {
		t.Errorf("earlier reports: %q", got)
	}
	if u, _ := chromedp.Run(c.ctx, chromedp.Evaluate[string](`location.href`)); strings.Contains(u, "1390000") {
		t.Errorf("the phone is in the URL %s", u)
	}
	c.check("desk with earlier reports")
	c.do(chromedp.KeyEvent("s", chromedp.KeyModifiers(chromedp.ModifierAlt)), chromedp.WaitVisible(chromedp.CSS("#receipt-code")))
	key := c.text("#receipt-key")
	if !regexp.MustCompile(`^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$`).MatchString(key) {
		t.Errorf("the key to read out is %q, want four groups of four", key)
	}
	var unit string
	h.App.DB.Read.QueryRow(`SELECT u.code FROM cases c JOIN units u ON u.id = c.unit_id ORDER BY c.id DESC LIMIT 1`).Scan(&unit)
	if unit != "MQ-MX" {
		t.Errorf("filed under %q, want MQ-MX", unit)
	}
}
