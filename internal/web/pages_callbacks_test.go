package web_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"mashang/internal/auth"
	"mashang/internal/web/webtest"
)

// The clerk's callback page: the calls oldest first, a form per call that
// works without a mouse (the first result has the focus); a wrong form
// shows the page again with the message; saving takes the call off the
// list. Other roles that read it see no form.
func TestCallbackPage(t *testing.T) {
	h := webtest.New(t, "")
	h.Token(auth.Handler)
	clerk, dir := h.Token(auth.Clerk), h.Token(auth.Director)
	var ids []int64
	for _, phone := range []string{"13800000001", "13800000002"} {
		r := h.Must(201, "POST", "/api/v1/intake", clerk, map[string]any{"channel": "hotline", "content": "窗口推诿", "received_at": "2026-03-02",
			"reporter": map[string]any{"name": "张三", "phone": phone}}).JSON
		id := int64(r["case_id"].(float64))
		for _, s := range []map[string]any{{"action": "accept"}, {"action": "assign", "user": "handler"}, {"action": "conclude", "finding": "unfounded"},
			{"action": "reply", "body": "经调查，反映问题不属实。"}, {"action": "close"}} {
			h.Must(200, "POST", fmt.Sprintf("/api/v1/cases/%d/actions", id), dir, s)
		}
		ids = append(ids, id)
	}
	var cb int64
	for _, x := range h.Must(200, "GET", "/api/v1/callbacks", clerk, nil).JSON["callbacks"].([]any) {
		if m := x.(map[string]any); int64(m["case_id"].(float64)) == ids[0] {
			cb = int64(m["id"].(float64))
		}
	}
	b := newBrowser(t, h)
	b.signIn("callback-clerk", auth.Clerk)
	p := b.get("/staff/callbacks")
	if p.Status != 200 || len(p.Body) > 100<<10 {
		t.Fatalf("page: %d, %d bytes", p.Status, len(p.Body))
	}
	for _, want := range []string{"13800000001", "13800000002", "2026-03-09", fmt.Sprintf(`action="/staff/callbacks/%d"`, cb), `name="result"`, "autofocus", `name="open_review"`, `href="/staff/callbacks"`} {
		if !strings.Contains(p.Body, want) {
			t.Fatalf("the page lacks %q", want)
		}
	}
	if strings.Index(p.Body, "13800000001") > strings.Index(p.Body, "13800000002") {
		t.Fatal("the calls are not in order")
	}
	tok := b.csrf("/staff/callbacks")
	bad := b.post(fmt.Sprintf("/staff/callbacks/%d", cb), url.Values{"csrf": {tok}, "result": {"angry"}, "note": {"无人接听"}})
	if bad.Status != 422 || !strings.Contains(bad.Body, "无人接听") {
		t.Fatalf("a wrong result: %d", bad.Status)
	}
	ok := b.post(fmt.Sprintf("/staff/callbacks/%d", cb), url.Values{"csrf": {tok}, "result": {"dissatisfied"}, "note": {"认为答复敷衍"}, "open_review": {"yes"}})
	if ok.Status != 303 || ok.Header.Get("Location") != "/staff/callbacks?ok=review" {
		t.Fatalf("saving: %d %s", ok.Status, ok.Header.Get("Location"))
	}
	if after := b.get("/staff/callbacks?ok=review"); strings.Contains(after.Body, "13800000001") || !strings.Contains(after.Body, "13800000002") {
		t.Fatal("the saved call is still listed, or the other is gone")
	}
	if got := webtest.Str(h.Must(200, "GET", fmt.Sprintf("/api/v1/cases/%d", ids[0]), dir, nil).JSON, "state"); got != "review" {
		t.Fatalf("the case is %s after the review was opened from the page", got)
	}
	d := newBrowser(t, h)
	d.signIn("callback-director", auth.Director)
	if p := d.get("/staff/callbacks"); p.Status != 200 || strings.Contains(p.Body, `name="result"`) {
		t.Fatalf("the director's page: %d, with a form: %v", p.Status, strings.Contains(p.Body, `name="result"`))
	}
}
