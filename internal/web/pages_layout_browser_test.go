package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"mashang/internal/auth"
	"mashang/internal/org"
	"mashang/internal/web/webtest"
)

// layoutProblems finds, on the page shown, what a clerk in a hurry trips
// over: the page wider than the window, a unit cell wrapping a character or
// two a line, a placeholder cut off in its box, text under minPx (SVG text
// as drawn, after the chart's scaling).
const layoutProblems = `((minPx) => {
  const out = [];
  const de = document.documentElement;
  if (de.scrollWidth > de.clientWidth + 1) out.push('page ' + de.scrollWidth + 'px wide in a ' + de.clientWidth + 'px window');
  for (const td of document.querySelectorAll('td.unit')) {
    const text = td.textContent.trim();
    if (!text) continue;
    const tops = new Set();
    const walk = document.createTreeWalker(td, NodeFilter.SHOW_TEXT);
    for (let n = walk.nextNode(); n; n = walk.nextNode()) {
      const r = document.createRange(); r.selectNodeContents(n);
      for (const x of r.getClientRects()) if (x.width > 0) tops.add(Math.round(x.top));
    }
    const chars = Array.from(text).length;
    if (tops.size > 1 && chars / tops.size < 4) out.push('unit "' + text + '" in ' + tops.size + ' lines');
  }
  const ctx = document.createElement('canvas').getContext('2d');
  for (const el of document.querySelectorAll('input[placeholder]')) {
    if (!el.offsetWidth) continue;
    const cs = getComputedStyle(el);
    ctx.font = cs.fontStyle + ' ' + cs.fontWeight + ' ' + cs.fontSize + ' ' + cs.fontFamily;
    const room = el.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
    const need = ctx.measureText(el.placeholder).width;
    if (need > room + 1) out.push('placeholder "' + el.placeholder + '" needs ' + Math.round(need) + 'px, has ' + Math.round(room));
  }
  const visible = el => !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length);
  for (const el of document.querySelectorAll('body *')) {
    if (['SCRIPT', 'STYLE', 'svg', 'OPTION', 'TITLE'].includes(el.tagName) || el.closest('title')) continue;
    const own = Array.from(el.childNodes).some(n => n.nodeType === 3 && n.textContent.trim());
    if (!own) continue;
    let px = parseFloat(getComputedStyle(el).fontSize);
    const svg = el.closest('svg');
    if (svg) {
      const vb = svg.viewBox.baseVal;
      if (!vb || !vb.width) continue;
      px = parseFloat(el.getAttribute('font-size') || px) * svg.getBoundingClientRect().width / vb.width;
    } else if (!visible(el)) continue;
    if (px < minPx - 0.3) { out.push('text ' + px.toFixed(1) + 'px: "' + el.textContent.trim().slice(0, 20) + '"'); if (out.length > 12) break; }
  }
  return out;
})`

func (c *chrome) layout(where string, w, h int64, minPx int) {
	c.t.Helper()
	if w < 600 {
		c.do(chromedp.EmulateViewport(w, h, chromedp.EmulateMobile, chromedp.EmulateTouch))
	} else {
		c.do(chromedp.EmulateViewport(w, h))
	}
	c.do(chromedp.Reload())
	problems, err := chromedp.Run(c.ctx, chromedp.Evaluate[[]string](fmt.Sprintf("%s(%d)", layoutProblems, minPx)))
	if err != nil {
		c.t.Fatalf("%s: layout check: %v", where, err)
	}
	for _, p := range problems {
		c.t.Errorf("%s at %d px: %s", where, w, p)
	}
}

// The queue at 1024 px (and 1280 px in English) and on a phone: no page
// wider than the window, unit names not wrapped a character a line,
// placeholders whole, no text under 12 px; the public statistics on a
// phone: chart text at 12 px or more; an empty install's statistics say
// why they are empty instead of showing noughts.
func TestBrowserQueueAndPortalLayout(t *testing.T) {
	h := browserHarness(t)
	c := newChrome(t, h.URL)
	// An empty install first.
	c.open("/public/stats")
	if s := c.text("#stats-empty"); !strings.Contains(s, "还没有") {
		t.Errorf("empty statistics say %q", s)
	}
	if body := c.text("main"); strings.Contains(body, "0.0%") {
		t.Error("the empty statistics show 0.0%")
	}
	c.layout("empty statistics", 390, 844, 12)

	ctx := context.Background()
	parent := "MQ"
	names := []string{"闽清县人力资源和社会保障局", "梅溪镇便民服务中心", "闽清县住房和城乡建设局", "三溪乡", "闽清县机关效能建设领导小组办公室"}
	for i, n := range names {
		if _, err := h.App.Org.CreateUnit(ctx, auth.System("test"), org.UnitInput{Code: fmt.Sprintf("MQ-%d", i), Name: n, Kind: "department", Parent: &parent}); err != nil {
			t.Fatal(err)
		}
	}
	clerk := h.TokenFor("layoutclerk", auth.Clerk, "")
	for i := range 12 {
		h.Must(201, "POST", "/api/v1/intake", clerk, map[string]any{"channel": []string{"hotline", "letter", "walkin"}[i%3], "situation": []string{"P1.2", "U1.1", "P2.2"}[i%3],
			"content": fmt.Sprintf("来电反映窗口工作人员推诿，要求第%d次补交材料，办事群众来回跑了多趟仍未办结。", i+2), "unit": fmt.Sprintf("MQ-%d", i%len(names))})
	}
	c.signIn("director")
	for _, tc := range []struct {
		lang string
		w    int64
	}{{"zh-CN", 1024}, {"en", 1024}, {"en", 1280}, {"zh-TW", 1024}, {"zh-CN", 390}, {"en", 390}} {
		c.open("/staff/cases?lang=" + tc.lang)
		c.layout("queue "+tc.lang, tc.w, 800, 12)
	}
	for _, lang := range []string{"zh-CN", "en"} {
		c.open("/public/stats?lang=" + lang)
		c.layout("statistics "+lang, 390, 844, 12)
		c.layout("statistics "+lang, 1024, 800, 12)
	}
	// The notification choices fit a phone.
	c.open("/staff/notifications?lang=en")
	c.layout("notification choices", 390, 844, 12)
	// The assignee filter speaks the page's language.
	c.open("/staff/cases?lang=zh-CN")
	if s := c.text("#f-assignee"); strings.Contains(s, "me") && !strings.Contains(s, "我") {
		t.Errorf("the assignee filter in Chinese says %q", s)
	}
	c.do(chromedp.EmulateViewport(1280, 900))
	_ = webtest.Start
}
