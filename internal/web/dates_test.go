package web_test

import (
	"fmt"
	"strings"
	"testing"

	"mashang/internal/auth"
	"mashang/internal/web/webtest"
)

// TestBadDatesAnswerOneWay: every date that is not one, lies outside 2000 to
// the end of next year, or comes before what it follows (a decision before
// the case was received, an appeal before the decision, an outcome before
// the appeal) is refused with 422 invalid_date naming the field, in the
// caller's language and without internal text; nothing is stored.
func TestBadDatesAnswerOneWay(t *testing.T) {
	webtest.Engines(t, func(t *testing.T, h *webtest.Harness) {
		f := newAccFixture(t, h)
		wang, li := f.person("王某"), f.person("李某")
		done := f.concluded("2025-05-06", "P1.2", "verified", wang)
		other := f.concluded("2025-05-06", "P1.2", "verified", li)
		dec2 := h.Must(201, "POST", fmt.Sprintf("/api/v1/cases/%d/decisions", other), f.dir, map[string]any{"person_id": li, "situation": "P1.2", "sanctions": []string{"demotion"}, "decided_on": "2025-06-03"})
		unappealed := fmt.Sprintf("/api/v1/decisions/%d/appeals", int64(dec2.JSON["id"].(float64)))
		decisions := fmt.Sprintf("/api/v1/cases/%d/decisions", done)
		dec := h.Must(201, "POST", decisions, f.dir, map[string]any{"person_id": wang, "situation": "P1.2", "sanctions": []string{"demotion"}, "decided_on": "2025-06-03"})
		decID := int64(dec.JSON["id"].(float64))
		appeals := fmt.Sprintf("/api/v1/decisions/%d/appeals", decID)
		ap := h.Must(201, "POST", appeals, f.org, map[string]any{"filed_on": "2025-06-10", "reason": "事实不清"})
		outcome := fmt.Sprintf("/api/v1/appeals/%d/outcome", int64(ap.JSON["id"].(float64)))
		insp := h.Token(auth.Inspector)
		decision := func(k string, v any) map[string]any {
			m := map[string]any{"person_id": wang, "situation": "P1.2", "sanctions": []string{"demotion"}, "decided_on": "2025-06-03"}
			m[k] = v
			return m
		}
		intakeAt := func(v string) map[string]any {
			return map[string]any{"channel": "hotline", "content": "来电反映", "received_at": v}
		}
		for _, c := range []struct {
			name, method, path, token string
			body                      any
			field                     string
		}{
			{"decision year zero", "POST", decisions, f.dir, decision("decided_on", "0000-01-01"), "decided_on"},
			{"decision before 2000", "POST", decisions, f.dir, decision("decided_on", "1999-12-31"), "decided_on"},
			{"decision before the case was received", "POST", decisions, f.dir, decision("decided_on", "2025-05-05"), "decided_on"},
			{"decision on a day that does not exist", "POST", decisions, f.dir, decision("decided_on", "2025-02-30"), "decided_on"},
			{"decision date as a number", "POST", decisions, f.dir, decision("decided_on", 20250603), "decided_on"},
			{"decision in the future", "POST", decisions, f.dir, decision("decided_on", "2026-03-03"), "decided_on"},
			{"decision after next year", "POST", decisions, f.dir, decision("decided_on", "2031-01-01"), "decided_on"},
			{"effective before decided", "POST", decisions, f.dir, decision("effective_on", "2025-06-01"), "effective_on"},
			{"appeal year zero", "POST", unappealed, f.org, map[string]any{"filed_on": "0000-01-10", "reason": "不服"}, "filed_on"},
			{"appeal before the decision", "POST", unappealed, f.org, map[string]any{"filed_on": "2025-06-02", "reason": "不服"}, "filed_on"},
			{"outcome before the appeal", "POST", outcome, f.org, map[string]any{"outcome": "upheld", "decided_on": "2025-06-09"}, "decided_on"},
			{"outcome year zero", "POST", outcome, f.org, map[string]any{"outcome": "upheld", "decided_on": "0000-01-01"}, "decided_on"},
			{"intake at the zero instant", "POST", "/api/v1/intake", f.clerk, intakeAt("0001-01-01T00:00:00Z"), "received_at"},
			{"intake before 2000", "POST", "/api/v1/intake", f.clerk, intakeAt("1999-12-31"), "received_at"},
			{"intake on a day that does not exist", "POST", "/api/v1/intake", f.clerk, intakeAt("2026-02-30"), "received_at"},
			{"intake in the future", "POST", "/api/v1/intake", f.clerk, intakeAt("2026-03-05T09:00:00+08:00"), "received_at"},
			{"eligibility query", "GET", fmt.Sprintf("/api/v1/people/%d/eligibility?on=2026-02-30", wang), f.org, nil, "on"},
			{"eligibility batch", "POST", "/api/v1/eligibility", f.org, map[string]any{"on": "someday", "person_ids": []int64{wang}}, "on"},
			{"inspection years ahead", "POST", "/api/v1/inspections", insp, map[string]any{"title": "明察", "from": "2030-01-01", "to": "2030-02-01"}, "from"},
			{"inspection ending before it starts", "POST", "/api/v1/inspections", insp, map[string]any{"title": "明察", "from": "2026-03-10", "to": "2026-03-01"}, "to"},
			{"stats query", "GET", "/api/v1/stats?from=2026-13-01", f.dir, nil, "from"},
			{"list query", "GET", "/api/v1/cases?received_from=yesterday", f.dir, nil, "received_from"},
		} {
			r := h.Do(c.method, c.path, c.token, c.body)
			if r.Status != 422 || r.ErrorCode() != "invalid_date" || webtest.Str(r.JSON, "error.field") != c.field {
				t.Errorf("%s: %d %s, want 422 invalid_date on %s", c.name, r.Status, r.Raw, c.field)
			}
			if m := r.ErrorMessage(); m == "" || strings.Contains(m, "civil") || strings.Contains(m, "json") {
				t.Errorf("%s: message %q", c.name, m)
			}
		}
		// Nothing of the refused requests was stored.
		cv := h.Must(200, "GET", fmt.Sprintf("/api/v1/cases/%d", done), f.dir, nil)
		if ds, _ := cv.JSON["decisions"].([]any); len(ds) != 1 {
			t.Errorf("decisions after refusals: %d", len(ds))
		}
		if l := h.Must(200, "GET", "/api/v1/cases", f.dir, nil); len(l.JSON["cases"].([]any)) != 2 {
			t.Errorf("cases after refused intake: %s", l.Raw)
		}
		// The message speaks the caller's language.
		body := decision("decided_on", "0000-01-01")
		en := h.Do("POST", decisions+"?lang=en", f.dir, body)
		zh := h.Do("POST", decisions, f.dir, body)
		tw := h.Do("POST", decisions+"?lang=zh-TW", f.dir, body)
		if want := "decided_on 0000-01-01 is out of range: it must be between 2000-01-01 and 2027-12-31"; en.ErrorMessage() != want {
			t.Errorf("en: %q", en.ErrorMessage())
		}
		if !strings.Contains(zh.ErrorMessage(), "超出范围") || !strings.Contains(tw.ErrorMessage(), "超出範圍") {
			t.Errorf("zh %q, zh-TW %q", zh.ErrorMessage(), tw.ErrorMessage())
		}
	})
}
