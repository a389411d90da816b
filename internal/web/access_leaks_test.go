package web_test

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"mashang/internal/docket"
	"mashang/internal/inspection"
	"mashang/internal/web/webtest"
)

// decode reads a JSON object answer.
func decode(t *testing.T, a answer) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(a.body), &m); err != nil {
		t.Fatalf("not JSON (%d): %.200s", a.status, a.body)
	}
	return m
}

// The leaks an insider found, each as it was reproduced, now closed; and
// what DOMAIN.md's need-to-know section must show.
func TestLeaks(t *testing.T) {
	enginesWith(t, noLimits, func(t *testing.T, h *webtest.Harness) {
		f := newAccessFix(t, h)

		// Leak 1: a liaison (and an inspector, and orgdept) read the
		// reporter's masked name and phone and the whole thread in the case
		// API, the list items carried the reporter, the case page showed the
		// message bodies. Now those fields are absent — not blank — for them,
		// while the clerk, the assigned handler and the director still have them.
		t.Run("reporter fields absent for liaison inspector orgdept", func(t *testing.T) {
			for _, tc := range []struct {
				name, c string
				sees    bool
			}{
				{"liaison", "c2", false}, {"inspector", "c1", false}, {"orgdept", "c1", false}, {"handler2", "c1", false},
				{"clerk", "c1", true}, {"handler", "c1", true}, {"director", "c1", true}, {"director", "c2", true},
			} {
				a := f.call(tc.name, "GET", "/api/v1/cases/{"+tc.c+"}", "")
				if a.status != 200 {
					t.Fatalf("%s reads %s: %d", tc.name, tc.c, a.status)
				}
				m := decode(t, a)
				for _, k := range []string{"reporter", "anonymous", "messages"} {
					if _, ok := m[k]; ok != tc.sees {
						t.Errorf("%s on %s: field %q present %v, want %v", tc.name, tc.c, k, ok, tc.sees)
					}
				}
				if tc.sees {
					if m["anonymous"] != false || len(m["messages"].([]any)) == 0 || m["reporter"] == nil {
						t.Errorf("%s on %s: %v %v %v", tc.name, tc.c, m["anonymous"], m["messages"], m["reporter"])
					}
				}
				// No message body in the history either (the reply and review lines).
				if strings.Contains(a.body, accThread) != (tc.sees && tc.c == "c1") {
					t.Errorf("%s on %s: thread word shown %v", tc.name, tc.c, !tc.sees)
				}
				page := f.call(tc.name, "GET", "/staff/cases/{"+tc.c+"}", "")
				if page.status != 200 || strings.Contains(page.body, `id="reporter"`) != tc.sees || strings.Contains(page.body, `id="thread"`) != tc.sees {
					t.Errorf("%s: case page %d shows the reporter or the thread wrongly", tc.name, page.status)
				}
				if !tc.sees && (strings.Contains(page.body, "收费单据已拍照") || strings.Contains(page.body, accThread) || strings.Contains(page.body, "请补充办事日期")) {
					t.Errorf("%s: a message body on the case page", tc.name)
				}
				// The dedicated endpoints agree with the case (they always refused).
				want := 403
				if tc.sees {
					want = 200
				}
				for _, p := range []string{"/messages", "/reporter"} {
					if got := f.call(tc.name, "GET", "/api/v1/cases/{"+tc.c+"}"+p, "").status; got != want {
						t.Errorf("%s: %s %d, want %d", tc.name, p, got, want)
					}
				}
				// List items: no "reporter" key for them, the mask for the others.
				list := decode(t, f.call(tc.name, "GET", "/api/v1/cases?limit=200", ""))
				for _, it := range list["cases"].([]any) {
					row := it.(map[string]any)
					if row["id"].(float64) != mustFloat(f.ids[tc.c]) {
						continue
					}
					if _, ok := row["reporter"]; ok != tc.sees {
						t.Errorf("%s: list item of %s has reporter %v", tc.name, tc.c, ok)
					}
				}
			}
		})

		// Leak 2: a liaison's statistics and overview showed the whole
		// office's figures. Now they count the cases transferred to its unit
		// subtree only (c2, to A1 under A); a liaison of B counts none.
		t.Run("liaison statistics and overview count its subtree", func(t *testing.T) {
			total := func(name string) float64 {
				return decode(t, f.call(name, "GET", "/api/v1/stats?from=2026-01-01&to=2026-12-31", ""))["total"].(float64)
			}
			if got := total("liaison"); got != 1 {
				t.Errorf("liaison's total %v, want 1", got)
			}
			if got := total("liaison2"); got != 0 {
				t.Errorf("liaison2's total %v, want 0", got)
			}
			// The office: c1, c2, c3, c5; the covert plan's c4 counts nowhere.
			for _, name := range []string{"director", "leader", "clerk"} {
				if got := total(name); got != 4 {
					t.Errorf("%s's total %v, want 4", name, got)
				}
			}
			byUnit := decode(t, f.call("liaison", "GET", "/api/v1/stats?from=2026-01-01&to=2026-12-31", ""))["by_unit"].([]any)
			if len(byUnit) != 1 || byUnit[0].(map[string]any)["unit"] != "A1" {
				t.Errorf("liaison's units: %v", byUnit)
			}
			for name, want := range map[string]string{"liaison": ">1<", "liaison2": ">0<", "director": ">4<"} {
				p := f.call(name, "GET", "/staff/overview?from=2026-01-01&to=2026-12-31", "")
				if p.status != 200 || !strings.Contains(p.body, `id="kpi-total">`+want[1:]) {
					t.Errorf("%s's overview (%d) does not show the total %s", name, p.status, want)
				}
			}
			if p := f.call("liaison", "GET", "/staff/overview?from=2026-01-01&to=2026-12-31", ""); strings.Contains(p.body, "梅溪镇<") && !strings.Contains(p.body, "梅溪镇便民服务中心") {
				t.Errorf("the liaison's overview names another unit")
			}
		})

		// Leak 3: a handler concluded a case assigned to another handler.
		// Now every action on another's case is 403 and changes nothing;
		// the assigned handler, the director, the leader and admin still act.
		t.Run("second handler gets 403 on every action", func(t *testing.T) {
			before := decode(t, f.call("director", "GET", "/api/v1/cases/{c1}", ""))["version"]
			for _, body := range []string{`{"action":"conclude","finding":"unfounded"}`, `{"action":"note","body":"x"}`,
				`{"action":"reply","body":"x"}`, `{"action":"extend","days":5,"reason":"x"}`} {
				a := f.call("handler2", "POST", "/api/v1/cases/{c1}/actions", body)
				if a.status != 403 {
					t.Errorf("handler2 %s: %d %s", body, a.status, a.body)
				}
			}
			if a := f.call("handler2", "POST", "/api/v1/cases/{c1}/messages", `{"body":"x"}`); a.status != 403 {
				t.Errorf("handler2 writes to the reporter: %d", a.status)
			}
			if a := f.call("handler2", "POST", "/staff/cases/{c1}/act", "action=conclude&finding=unfounded"); a.status != 403 {
				t.Errorf("handler2 concludes from the case page: %d", a.status)
			}
			if after := decode(t, f.call("director", "GET", "/api/v1/cases/{c1}", ""))["version"]; after != before {
				t.Fatalf("the case changed: version %v → %v", before, after)
			}
			if a := f.call("handler2", "POST", "/api/v1/cases/{c1}/actions", `{"action":"conclude","finding":"unfounded"}`); decode(t, a)["error"].(map[string]any)["code"] != "not_your_case" {
				t.Errorf("handler2's refusal: %s", a.body)
			}
			for _, name := range []string{"director", "leader", "admin"} {
				if a := f.call(name, "POST", "/api/v1/cases/{c1}/actions", `{"action":"note","body":"督办"}`); a.status != 200 {
					t.Errorf("%s notes on c1: %d %s", name, a.status, a.body)
				}
			}
			if a := f.call("handler", "POST", "/api/v1/cases/{c1}/actions", `{"action":"conclude","finding":"unfounded"}`); a.status != 200 {
				t.Errorf("the assigned handler concludes: %d %s", a.status, a.body)
			}
		})

		// Leak 5: the API stored the identity of a report that asked for
		// anonymity, and the repeat-reporter view linked it to the person's
		// named reports. Now it is 422 in the caller's language and nothing is
		// stored; a clerk's anonymous call keeps no identity and links to nothing.
		t.Run("anonymous report with an identity is refused", func(t *testing.T) {
			var n0 int
			h.App.DB.Read.QueryRow(`SELECT COUNT(*) FROM cases`).Scan(&n0)
			for _, extra := range []string{`"phone":"13912345678"`, `"name":"张三"`, `"email":"a@example.cn"`, `"id_number":"350122199001011234"`} {
				for lang, word := range map[string]string{"zh-CN": "匿名", "en": "anonymous"} {
					r := h.Do("POST", "/api/v1/reports", "", `{"content":"窗口推诿","anonymous":true,`+extra+`}`, "Accept-Language: "+lang)
					if r.Status != 422 || r.ErrorCode() != "anonymous_with_identity" || !strings.Contains(r.ErrorMessage(), word) {
						t.Errorf("%s (%s): %d %s %q", extra, lang, r.Status, r.ErrorCode(), r.ErrorMessage())
					}
				}
			}
			r := h.Do("POST", "/api/v1/intake", f.token["clerk"], `{"channel":"hotline","content":"来电反映","reporter":{"anonymous":true,"phone":"13912345678"}}`)
			if r.Status != 422 || r.ErrorCode() != "anonymous_with_identity" {
				t.Errorf("clerk API: %d %s", r.Status, r.ErrorCode())
			}
			// A postal address names the reporter too, and the refusal says so.
			for lang, word := range map[string]string{"zh-CN": "通信地址", "en": "postal address"} {
				r := h.Do("POST", "/api/v1/intake", f.token["clerk"], `{"channel":"letter","content":"来信反映","reporter":{"anonymous":true,"address":"福建省福州市闽清县梅城镇"}}`, "Accept-Language: "+lang)
				if r.Status != 422 || r.ErrorCode() != "anonymous_with_identity" || !strings.Contains(r.ErrorMessage(), word) {
					t.Errorf("clerk API, anonymous with an address (%s): %d %s %q", lang, r.Status, r.ErrorCode(), r.ErrorMessage())
				}
			}
			var n1 int
			h.App.DB.Read.QueryRow(`SELECT COUNT(*) FROM cases`).Scan(&n1)
			if n1 != n0 {
				t.Fatalf("%d cases stored by refused reports", n1-n0)
			}
			// The desk page: the clerk marks the call anonymous; the phone
			// typed in stays out.
			p := f.call("clerk", "POST", "/staff/desk", "channel=hotline&content="+url.QueryEscape("匿名来电反映窗口推诿")+"&anonymous=yes&phone="+accPhone+"&name="+url.QueryEscape(accName))
			if p.status != 201 {
				t.Fatalf("desk: %d", p.status)
			}
			var id int64
			var anonymous bool
			var sealed []byte
			var mask string
			var phoneHash *string
			if err := h.App.DB.Read.QueryRow(`SELECT id, anonymous, identity, identity_mask, phone_hash FROM cases ORDER BY id DESC LIMIT 1`).
				Scan(&id, &anonymous, &sealed, &mask, &phoneHash); err != nil {
				t.Fatal(err)
			}
			if !anonymous || sealed != nil || mask != "" || phoneHash != nil {
				t.Errorf("anonymous call stored: %v %v %q %v", anonymous, sealed != nil, mask, phoneHash)
			}
			// c1's reporter has one other case (c3), not the anonymous call.
			rep := decode(t, f.call("clerk", "GET", "/api/v1/cases/{c1}/repeat-reporter", ""))
			if cs := rep["cases"].([]any); len(cs) != 1 || cs[0].(float64) != mustFloat(f.ids["c3"]) {
				t.Errorf("repeat reporter of c1: %v", rep)
			}
			other := decode(t, f.call("clerk", "GET", "/api/v1/cases/"+itoa(id)+"/repeat-reporter", ""))
			if len(other["cases"].([]any)) != 0 {
				t.Errorf("the anonymous call is linked: %v", other)
			}
		})
	})
}

func mustFloat(s string) float64 {
	var f float64
	json.Unmarshal([]byte(s), &f)
	return f
}

// Leak 4: while a covert inspection was planned, the case its finding
// opened carried the plan's title, a clerk found it with q=, the monthly
// summary counted "其中暗访" and the public statistics counted it. Now,
// until the plan is done, the case is known only to those who may see
// covert plans and no figure counts it; once done it joins the queue.
func TestCovertCaseStaysCovertUntilDone(t *testing.T) {
	enginesWith(t, noLimits, func(t *testing.T, h *webtest.Harness) {
		ctx := context.Background()
		f := newAccessFix(t, h)
		cc := f.ids["c4"]
		stats := func(name string) float64 {
			return decode(t, f.call(name, "GET", "/api/v1/stats?from=2026-01-01&to=2026-12-31", ""))["total"].(float64)
		}
		summary := func() map[string]any {
			return decode(t, f.call("director", "GET", "/api/v1/reports/summary?from=2026-01-01&to=2026-12-31", ""))
		}
		public := func() float64 {
			return decode(t, answer{200, string(h.Must(200, "GET", "/api/v1/public/stats", "", nil).Raw)})["received"].(float64)
		}
		found := func(name, q string) bool {
			list := decode(t, f.call(name, "GET", "/api/v1/cases?limit=200&q="+url.QueryEscape(q), ""))
			for _, it := range list["cases"].([]any) {
				if it.(map[string]any)["id"].(float64) == mustFloat(cc) {
					return true
				}
			}
			return false
		}
		check := func(stage string, visible bool) {
			t.Helper()
			want := 404
			if visible {
				want = 200
			}
			for _, name := range []string{"clerk", "director", "handler", "orgdept"} {
				if got := f.call(name, "GET", "/api/v1/cases/"+cc, "").status; got != want {
					t.Errorf("%s: %s reads the covert case: %d, want %d", stage, name, got, want)
				}
				if got := f.call(name, "GET", "/staff/cases/"+cc, "").status; got != want {
					t.Errorf("%s: %s opens the covert case page: %d, want %d", stage, name, got, want)
				}
				if found(name, accCovert) != visible || found(name, "玩手机") != visible {
					t.Errorf("%s: %s finds the covert case with q=: %v", stage, name, !visible)
				}
			}
			// Those who may see covert plans see the case all along.
			for _, name := range []string{"leader", "inspector", "auditor"} {
				if got := f.call(name, "GET", "/api/v1/cases/"+cc, "").status; got != 200 {
					t.Errorf("%s: %s reads the covert case: %d", stage, name, got)
				}
			}
		}
		check("planned", false)
		// No count reveals it: statistics (for everyone, the leader too),
		// the summary (cases and inspections), the public statistics.
		for _, name := range []string{"clerk", "director", "leader", "inspector"} {
			if got := stats(name); got != 4 {
				t.Errorf("planned: %s's statistics count %v cases, want 4", name, got)
			}
		}
		sum := summary()
		insp := sum["inspections"].(map[string]any)
		if sum["received"].(float64) != 4 || insp["covert"].(float64) != 0 || insp["plans"].(float64) != 1 || insp["visits"].(float64) != 1 || insp["cases_opened"].(float64) != 0 {
			t.Errorf("planned: summary %v, inspections %v", sum["received"], insp)
		}
		html := f.call("director", "GET", "/api/v1/reports/summary?from=2026-01-01&to=2026-12-31&format=html", "")
		if !strings.Contains(html.body, "1（其中暗访 0）") || strings.Contains(html.body, accCovert) {
			t.Errorf("planned: the summary page counts or names the covert plan")
		}
		if got := public(); got != 4 {
			t.Errorf("planned: the public statistics count %v, want 4", got)
		}
		if feed := h.Must(200, "GET", "/public/feed.atom", "", nil); strings.Contains(string(feed.Raw), accCovert) {
			t.Errorf("planned: the feed names the plan")
		}
		// Done: the case joins the queue and the figures.
		insp2, err := h.App.Inspections.Done(ctx, f.principal("inspector"), mustInt(f.ids["inspc"]))
		if err != nil || insp2.State != inspection.StateDone {
			t.Fatal(err)
		}
		check("done", true)
		if got := stats("clerk"); got != 5 {
			t.Errorf("done: statistics count %v, want 5", got)
		}
		if got := public(); got != 5 {
			t.Errorf("done: the public statistics count %v, want 5", got)
		}
		if html := f.call("director", "GET", "/api/v1/reports/summary?from=2026-01-01&to=2026-12-31&format=html", ""); !strings.Contains(html.body, "2（其中暗访 1）") {
			t.Errorf("done: the summary page does not count the plan")
		}
		sum = summary()
		insp = sum["inspections"].(map[string]any)
		if sum["received"].(float64) != 5 || insp["covert"].(float64) != 1 || insp["cases_opened"].(float64) != 1 {
			t.Errorf("done: summary %v, inspections %v", sum["received"], insp)
		}
		hist := decode(t, f.call("clerk", "GET", "/api/v1/cases/"+cc, ""))["history"].([]any)
		last := hist[len(hist)-1].(map[string]any)
		if last["action"] != string(docket.CovertLifted) {
			t.Errorf("done: last history line %v", last)
		}
	})
}

func mustInt(s string) int64 {
	var n int64
	json.Unmarshal([]byte(s), &n)
	return n
}
