package web_test

import (
	"fmt"
	"strings"
	"testing"

	"mashang/internal/auth"
	"mashang/internal/web/webtest"
)

// The leading group's report counts satisfaction from the reporters' own
// ratings and, for replies they did not rate, from the clerks' callbacks
// (回访), and says how many came from each; an unreachable reporter rates
// nothing, and a case rated both ways counts once, by its reporter.
func TestSummaryCountsCallbacksAndRatings(t *testing.T) {
	webtest.Engines(t, func(t *testing.T, h *webtest.Harness) {
		h.Token(auth.Handler)
		clerk, dir, lead := h.Token(auth.Clerk), h.Token(auth.Director), h.Token(auth.Leader)
		type fix struct {
			id            int64
			receipt, key  string
			rating, phone string
			callback      string
		}
		cases := []*fix{
			{phone: "13800000001", rating: "satisfied"},                           // the reporter's own
			{phone: "13800000002", callback: "basically_satisfied"},               // by callback
			{phone: "13800000003", callback: "unreachable"},                       // nothing
			{phone: "13800000004", rating: "dissatisfied", callback: "satisfied"}, // once, by the reporter
			{phone: "13800000005", callback: "dissatisfied"},                      // by callback
		}
		for _, c := range cases {
			r := h.Must(201, "POST", "/api/v1/intake", clerk, map[string]any{"channel": "hotline", "content": "窗口推诿", "received_at": "2026-03-02",
				"reporter": map[string]any{"name": "张三", "phone": c.phone}}).JSON
			c.id, c.receipt, c.key = int64(r["case_id"].(float64)), r["receipt"].(string), r["key"].(string)
			for _, s := range []map[string]any{{"action": "accept"}, {"action": "assign", "user": "handler"}, {"action": "conclude", "finding": "unfounded"},
				{"action": "reply", "body": "经调查，反映问题不属实。"}} {
				h.Must(200, "POST", fmt.Sprintf("/api/v1/cases/%d/actions", c.id), dir, s)
			}
			if c.rating != "" {
				h.Must(200, "POST", "/api/v1/track/rating", "", map[string]any{"receipt": c.receipt, "key": c.key, "rating": c.rating})
			}
		}
		for _, x := range h.Must(200, "GET", "/api/v1/callbacks", clerk, nil).JSON["callbacks"].([]any) {
			m := x.(map[string]any)
			for _, c := range cases {
				if int64(m["case_id"].(float64)) == c.id && c.callback != "" {
					tries := 1
					if c.callback == "unreachable" {
						tries = 3 // unreachable after three tries
					}
					for range tries {
						h.Must(200, "POST", fmt.Sprintf("/api/v1/callbacks/%d", int64(m["id"].(float64))), clerk, map[string]any{"result": c.callback, "note": "回访"})
					}
				}
			}
		}
		s := h.Must(200, "GET", "/api/v1/reports/summary?from=2026-03-01&to=2026-03-31", lead, nil).JSON
		got := fmt.Sprintf("rated %v satisfied %v by reporter %v by callback %v", s["rated"], s["satisfied"], s["rated_by_reporter"], s["rated_by_callback"])
		if want := "rated 4 satisfied 2 by reporter 2 by callback 2"; got != want {
			t.Errorf("summary: %s, want %s", got, want)
		}
		// The statistics agree.
		st := h.Must(200, "GET", "/api/v1/stats?from=2026-03-01&to=2026-03-31", lead, nil)
		if b := webtest.Str(st.JSON, "rates.satisfaction_basis.callbacks"); b != "" && b != "2" {
			t.Errorf("the statistics' callback basis: %s", st.Raw)
		}
		// The HTML report says it in words.
		r := h.Must(200, "GET", "/api/v1/reports/summary?from=2026-03-01&to=2026-03-31&format=html", lead, nil)
		for _, want := range []string{"其中举报人自评</td><td class=\"n\">2", "其中回访所得</td><td class=\"n\">2"} {
			if !strings.Contains(string(r.Raw), want) {
				t.Errorf("the HTML report lacks %q", want)
			}
		}
	})
}
