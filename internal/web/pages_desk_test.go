package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"mashang/internal/auth"
	"mashang/internal/org"
	"mashang/internal/web/webtest"
)

// deskUnits are a few of the demo county's units: two share the initials'
// start (梅溪镇, 梅溪镇便民服务中心), one has a level-2 hanzi (坂).
func deskUnits(t *testing.T, h *webtest.Harness) {
	t.Helper()
	parent := func(s string) *string { return &s }
	for _, u := range []org.UnitInput{
		{Code: "MQ", Name: "闽清县", Kind: "county"},
		{Code: "MQ-MX", Name: "梅溪镇", Kind: "town", Parent: parent("MQ")},
		{Code: "MQ-MX-BM", Name: "梅溪镇便民服务中心", Kind: "service_centre", Parent: parent("MQ-MX")},
		{Code: "MQ-MC", Name: "梅城镇", Kind: "town", Parent: parent("MQ")},
		{Code: "MQ-BD", Name: "坂东镇", Kind: "town", Parent: parent("MQ")},
		{Code: "MQ-XZFW", Name: "闽清县行政服务中心", Kind: "service_centre", Parent: parent("MQ")},
	} {
		if _, err := h.App.Org.CreateUnit(context.Background(), auth.System("test"), u); err != nil {
			t.Fatal(err)
		}
	}
}

// The desk's unit field takes pinyin initials, as its hint says, also when
// the page is used without its script: the initials that are exactly one
// unit's pick it, those that fit several are answered with their names.
func TestPagesDeskUnitByInitials(t *testing.T) {
	webtest.Engines(t, func(t *testing.T, h *webtest.Harness) {
		deskUnits(t, h)
		b := newBrowser(t, h)
		b.signIn("clerk", auth.Clerk)
		desk := b.get("/staff/desk")
		if !strings.Contains(desk.Body, `data-s="mxzbmfwzx mxzpmfwzx mqmxbm"`) {
			t.Errorf("the unit list does not carry the initials: %.400s", desk.Body[strings.Index(desk.Body, "unit-list"):])
		}
		for _, tc := range []struct{ typed, want string }{
			{"mxz", "MQ-MX"},     // exactly 梅溪镇's initials, though 梅溪镇便民… starts with them too
			{"MXBM", "MQ-MX-BM"}, // 镇 skipped
			{"mxzbmfwzx", "MQ-MX-BM"},
			{"bdz", "MQ-BD"},    // 坂 is a level-2 hanzi
			{"xzfw", "MQ-XZFW"}, // initials inside the name
			{"梅城", "MQ-MC"},     // words of the name
			{"mq-mx", "MQ-MX"},  // a code in lower case
		} {
			p := b.post("/staff/desk", formOf("csrf", b.csrf("/staff/desk"), "channel", "hotline", "content", "来电反映窗口推诿 "+tc.typed, "anonymous", "yes", "unit", tc.typed))
			if p.Status != http.StatusCreated {
				t.Errorf("unit %q: %d %.300s", tc.typed, p.Status, errorText(p.Body))
				continue
			}
			var got string
			h.App.DB.Read.QueryRow(`SELECT u.code FROM cases c JOIN units u ON u.id = c.unit_id WHERE c.content = $1`, "来电反映窗口推诿 "+tc.typed).Scan(&got)
			if got != tc.want {
				t.Errorf("unit %q filed under %q, want %q", tc.typed, got, tc.want)
			}
		}
		// Several fit: the answer names them and files nothing.
		var before int
		h.App.DB.Read.QueryRow(`SELECT count(*) FROM cases`).Scan(&before)
		p := b.post("/staff/desk", formOf("csrf", b.csrf("/staff/desk"), "channel", "hotline", "content", "来电", "anonymous", "yes", "unit", "mzz"))
		if p.Status != http.StatusUnprocessableEntity || !strings.Contains(p.Body, "梅溪镇") || !strings.Contains(p.Body, "梅城镇") || !strings.Contains(p.Body, `id="unit" name="unit" list="unit-list" data-picker="unit-list" value="mzz"`) {
			t.Errorf("ambiguous initials: %d %.300s", p.Status, errorText(p.Body))
		}
		var after int
		h.App.DB.Read.QueryRow(`SELECT count(*) FROM cases`).Scan(&after)
		if after != before {
			t.Errorf("an ambiguous unit filed a case")
		}
	})
}

// formOf makes form values from name, value pairs.
func formOf(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return v
}

// errorText is the page's alert, or its start when it has none.
func errorText(body string) string {
	if i := strings.Index(body, `role="alert"`); i >= 0 {
		return body[i:min(len(body), i+400)]
	}
	return body[:min(len(body), 400)]
}

// The desk's earlier reports: those named with the same phone however it is
// written, newest first, never the anonymous ones; the phone goes in the
// POST body only, and the list shows neither phone nor name.
func TestPagesDeskEarlierReports(t *testing.T) {
	webtest.Engines(t, func(t *testing.T, h *webtest.Harness) {
		deskUnits(t, h)
		clerk := h.Token(auth.Clerk)
		for _, c := range []struct{ content, phone string }{
			{"第一次来电反映梅溪镇窗口推诿", "13900001111"},
			{"第二次来电反映梅溪镇窗口推诿", "139-0000-1111"},
			{"另一个人来电", "13800002222"},
		} {
			h.Must(201, "POST", "/api/v1/intake", clerk, map[string]any{"channel": "hotline", "content": c.content, "unit": "MQ-MX",
				"reporter": map[string]any{"name": "王五", "phone": c.phone}})
		}
		b := newBrowser(t, h)
		b.signIn("deskclerk", auth.Clerk)
		p := b.post("/staff/desk/earlier", formOf("csrf", b.csrf("/staff/desk"), "phone", "+86 139 0000 1111", "content", "正在登记的来电"))
		if p.Status != 200 {
			t.Fatalf("earlier: %d %s", p.Status, errorText(p.Body))
		}
		box := p.Body[strings.Index(p.Body, `id="earlier"`):]
		box = box[:strings.Index(box, "</div>")]
		if !strings.Contains(box, "以往举报 2 件") || strings.Count(box, "<li>") != 2 || strings.Contains(box, "/staff/cases/3") {
			t.Errorf("earlier reports: %s", box)
		}
		if !strings.Contains(p.Body, "正在登记的来电") {
			t.Error("what the clerk had typed is lost")
		}
		if strings.Contains(box, "1390000") || strings.Contains(box, "王五") {
			t.Errorf("the list shows the phone or name: %s", box)
		}
		p = b.post("/staff/desk/earlier", formOf("csrf", b.csrf("/staff/desk"), "phone", "13700000000"))
		if !strings.Contains(p.Body, "没有以往的实名举报") {
			t.Errorf("an unknown phone: %s", errorText(p.Body))
		}
	})
}
