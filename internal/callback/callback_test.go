package callback_test

import (
	"fmt"
	"strings"
	"testing"

	"mashang/internal/auth"
	"mashang/internal/web/webtest"
)

// intake registers a hotline call and returns the case id and its receipt and key.
func intake(t *testing.T, h *webtest.Harness, reporter map[string]any) (int64, string, string) {
	t.Helper()
	body := map[string]any{"channel": "hotline", "content": "窗口推诿扯皮", "received_at": "2026-03-02"}
	if reporter != nil {
		body["reporter"] = reporter
	}
	r := h.Must(201, "POST", "/api/v1/intake", h.Token(auth.Clerk), body).JSON
	return int64(r["case_id"].(float64)), r["receipt"].(string), r["key"].(string)
}

// replied takes a case to the written reply (and closes it when close).
func replied(t *testing.T, h *webtest.Harness, id int64, close bool) {
	t.Helper()
	steps := []map[string]any{{"action": "accept"}, {"action": "assign", "user": "handler"},
		{"action": "conclude", "finding": "unfounded"}, {"action": "reply", "body": "经调查，反映问题不属实。"}}
	if close {
		steps = append(steps, map[string]any{"action": "close"})
	}
	for _, s := range steps {
		h.Must(200, "POST", fmt.Sprintf("/api/v1/cases/%d/actions", id), h.Token(auth.Director), s)
	}
}

type cb struct {
	id, caseID int64
	due, phone string
	tries      int
}

func list(t *testing.T, h *webtest.Harness) map[int64]cb {
	t.Helper()
	out := map[int64]cb{}
	for _, x := range h.Must(200, "GET", "/api/v1/callbacks", h.Token(auth.Clerk), nil).JSON["callbacks"].([]any) {
		m := x.(map[string]any)
		c := cb{id: int64(m["id"].(float64)), caseID: int64(m["case_id"].(float64)), due: m["due"].(string), phone: m["phone"].(string), tries: int(m["tries"].(float64))}
		out[c.caseID] = c
	}
	return out
}

// A reply to a named hotline reporter with a phone puts the case on the
// clerks' callback list, due 5 working days after the reply; anonymous
// reporters and those without a phone are not called. Unreachable counts a
// try, the third ends it; dissatisfied with a review opened on the
// reporter's behalf moves the closed case into review; the statistics count
// the callbacks beside the reporters' own ratings, and say how many of each.
func TestCallbacks(t *testing.T) {
	webtest.Engines(t, func(t *testing.T, h *webtest.Harness) {
		h.Token(auth.Handler) // the user "handler" exists to be assigned
		unhappy, _, _ := intake(t, h, map[string]any{"name": "张三", "phone": "13800000001"})
		happy, _, _ := intake(t, h, map[string]any{"name": "李四", "phone": "13800000002"})
		rated, rReceipt, rKey := intake(t, h, map[string]any{"name": "王五", "phone": "13800000003"})
		away, _, _ := intake(t, h, map[string]any{"name": "赵六", "phone": "13800000004"})
		anon, _, _ := intake(t, h, map[string]any{"anonymous": true})
		mailOnly, _, _ := intake(t, h, map[string]any{"name": "钱七", "email": "qian@example.cn"})
		for _, id := range []int64{unhappy, happy, rated, away, anon, mailOnly} {
			replied(t, h, id, id != unhappy)
		}
		l := list(t, h)
		if len(l) != 4 {
			t.Fatalf("the list holds %d cases, want the 4 named ones with a phone: %v", len(l), l)
		}
		if _, ok := l[anon]; ok {
			t.Fatal("an anonymous reporter is on the callback list")
		}
		if _, ok := l[mailOnly]; ok {
			t.Fatal("a reporter without a phone is on the callback list")
		}
		// Replied on Monday 2026-03-02: five working days later is Monday 2026-03-09.
		if c := l[unhappy]; c.due != "2026-03-09" || c.phone != "13800000001" {
			t.Fatalf("callback: %+v", c)
		}
		clerk := h.Token(auth.Clerk)
		post := func(id int64, body map[string]any) webtest.Response {
			return h.Do("POST", fmt.Sprintf("/api/v1/callbacks/%d", id), clerk, body)
		}
		// Wrong input changes nothing.
		for _, c := range []struct {
			body map[string]any
			code string
		}{
			{map[string]any{"result": "angry"}, "invalid_result"},
			{map[string]any{"result": "satisfied", "open_review": true}, "review_needs_dissatisfied"},
			{map[string]any{"result": "satisfied", "note": strings.Repeat("长", 2001)}, "too_long"},
		} {
			if r := post(l[happy].id, c.body); r.Status != 422 || r.ErrorCode() != c.code {
				t.Fatalf("%v: %d %s", c.body, r.Status, r.Raw)
			}
		}
		if r := post(999999, map[string]any{"result": "satisfied"}); r.Status != 404 {
			t.Fatalf("unknown callback: %d", r.Status)
		}
		if r := h.Do("POST", fmt.Sprintf("/api/v1/callbacks/%d", l[happy].id), h.Token(auth.Handler), map[string]any{"result": "satisfied"}); r.Status != 403 {
			t.Fatalf("a handler records a callback: %d", r.Status)
		}
		// The review needs the case closed: 409, and nothing recorded.
		if r := post(l[unhappy].id, map[string]any{"result": "dissatisfied", "note": "认为调查不深入", "open_review": true}); r.Status != 409 || r.ErrorCode() != "review_not_open" {
			t.Fatalf("review before closing: %d %s", r.Status, r.Raw)
		}
		if c := list(t, h)[unhappy]; c.tries != 0 {
			t.Fatalf("a refused record counted a try: %+v", c)
		}
		h.Must(200, "POST", fmt.Sprintf("/api/v1/cases/%d/actions", unhappy), h.Token(auth.Director), map[string]any{"action": "close"})
		r := h.Must(200, "POST", fmt.Sprintf("/api/v1/callbacks/%d", l[unhappy].id), clerk, map[string]any{"result": "dissatisfied", "note": "认为调查不深入", "open_review": true}).JSON
		if r["state"] != "review" || r["result"] != "dissatisfied" {
			t.Fatalf("dissatisfied with a review: %v", r)
		}
		if got := webtest.Str(h.Must(200, "GET", fmt.Sprintf("/api/v1/cases/%d", unhappy), h.Token(auth.Director), nil).JSON, "state"); got != "review" {
			t.Fatalf("the case is %s, want review", got)
		}
		if r := post(l[unhappy].id, map[string]any{"result": "satisfied"}); r.Status != 409 || r.ErrorCode() != "callback_done" {
			t.Fatalf("recording twice: %d %s", r.Status, r.Raw)
		}
		h.Must(200, "POST", fmt.Sprintf("/api/v1/callbacks/%d", l[happy].id), clerk, map[string]any{"result": "satisfied"})
		// The reporter rated the reply themselves: their rating counts, not the callback's.
		h.Must(200, "POST", "/api/v1/track/rating", "", map[string]any{"receipt": rReceipt, "key": rKey, "rating": "basically_satisfied"})
		h.Must(200, "POST", fmt.Sprintf("/api/v1/callbacks/%d", l[rated].id), clerk, map[string]any{"result": "dissatisfied"})
		// Unreachable: on the list until the third try.
		for try := 1; try <= 3; try++ {
			r := h.Must(200, "POST", fmt.Sprintf("/api/v1/callbacks/%d", l[away].id), clerk, map[string]any{"result": "unreachable", "note": fmt.Sprintf("第 %d 次无人接听", try)}).JSON
			_, still := list(t, h)[away]
			if r["tries"] != float64(try) || still != (try < 3) {
				t.Fatalf("try %d: %v, still on the list: %v", try, r, still)
			}
		}
		if n := len(list(t, h)); n != 0 {
			t.Fatalf("%d callbacks left", n)
		}
		// Rated: unhappy (callback, dissatisfied), happy (callback, satisfied),
		// rated (own rating, basically satisfied); away is unreachable and
		// anon, mailOnly have nothing. 2 content of 3.
		st := h.Must(200, "GET", "/api/v1/stats?from=2026-03-01&to=2026-03-31", h.Token(auth.Director), nil).JSON
		rates := st["rates"].(map[string]any)
		sat := rates["satisfaction"].(map[string]any)
		basis := rates["satisfaction_basis"].(map[string]any)
		if sat["n"] != 2.0 || sat["of"] != 3.0 || basis["ratings"] != 1.0 || basis["callbacks"] != 2.0 {
			t.Fatalf("satisfaction %v, basis %v; want 2 of 3, 1 rating and 2 callbacks", sat, basis)
		}
		// Reading the list, with its phone numbers, is in the audit log.
		var n int
		h.App.DB.Read.QueryRow(`SELECT COUNT(*) FROM audit_log WHERE action = 'callback.list'`).Scan(&n)
		if n == 0 {
			t.Fatal("reading the callback list is not recorded")
		}
	})
}
