package web_test

import (
	"testing"

	"mashang/internal/web/webtest"
)

// TestUnknownAPIPathsAnswerJSON: an unknown API path is a JSON 404 and a
// known path asked with the wrong method a JSON 405 naming the methods it
// takes, both in the error shape (in the caller's language).
func TestUnknownAPIPathsAnswerJSON(t *testing.T) {
	webtest.Engines(t, func(t *testing.T, h *webtest.Harness) {
		cases := []struct {
			method, path string
			status       int
			code, allow  string
		}{
			{"GET", "/api/v1/nothing-here", 404, "not_found", ""},
			{"POST", "/api/v2/reports", 404, "not_found", ""},
			{"GET", "/api/", 404, "not_found", ""},
			{"DELETE", "/api/v1/reports", 405, "method_not_allowed", "POST"},
			{"PUT", "/api/v1/units", 405, "method_not_allowed", "GET, HEAD, POST"},
			{"POST", "/api/v1/cases/12", 405, "method_not_allowed", "GET, HEAD"},
			{"GET", "/api/v1/track", 405, "method_not_allowed", "POST"},
			{"DELETE", "/api/v1/accountability/settings", 405, "method_not_allowed", "GET, HEAD, PUT"},
		}
		for _, c := range cases {
			r := h.Do(c.method, c.path, "", nil)
			if r.Status != c.status || r.ErrorCode() != c.code || r.ErrorMessage() == "" {
				t.Errorf("%s %s: %d %s, want %d %s", c.method, c.path, r.Status, r.Raw, c.status, c.code)
			}
			if got := r.Header.Get("Allow"); got != c.allow {
				t.Errorf("%s %s: Allow %q, want %q", c.method, c.path, got, c.allow)
			}
			if ct := r.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
				t.Errorf("%s %s: Content-Type %q", c.method, c.path, ct)
			}
		}
		en := h.Do("GET", "/api/v1/nothing-here?lang=en", "", nil)
		zh := h.Do("GET", "/api/v1/nothing-here", "", nil)
		if en.ErrorMessage() != "not found" || zh.ErrorMessage() != "未找到" {
			t.Errorf("messages: en %q, zh %q", en.ErrorMessage(), zh.ErrorMessage())
		}
		// Known routes still work and pages keep their own answers.
		h.Must(200, "GET", "/api/v1/catalog", "", nil)
		if r := h.Do("GET", "/no-such-page", "", nil); r.Status != 404 {
			t.Errorf("unknown page: %d", r.Status)
		}
	})
}
