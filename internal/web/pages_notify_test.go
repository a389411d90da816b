package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"mashang/internal/auth"
	"mashang/internal/store"
	"mashang/internal/web/webtest"
)

// Each staff member picks, on a page, how each kind of notification
// reaches them (the same choices as /api/v1/me/notifications); a wrong
// channel is refused in the page's language and changes nothing.
func TestPagesMyNotificationChoices(t *testing.T) {
	webtest.Engines(t, func(t *testing.T, h *webtest.Harness) {
		b := newBrowser(t, h)
		b.signIn("liaison1", auth.Handler)
		p := b.get("/staff/notifications")
		if p.Status != 200 || !strings.Contains(p.Body, "交给我办理的案件") || !strings.Contains(p.Body, `name="k_assigned" value="email" aria-labelledby="kl-assigned ch-email" checked`) {
			t.Fatalf("choices page: %d %s", p.Status, errorText(p.Body))
		}
		if !strings.Contains(p.Body, `id="no-relay"`) {
			t.Error("the page does not say that no mail relay is configured")
		}
		tok := csrfRe.FindStringSubmatch(p.Body)[1]
		p = b.post("/staff/notifications", url.Values{"csrf": {tok}, "k_assigned": {"sms"}, "k_overdue": {"none"}, "k_due_soon": {"email"}, "digest": {"yes"}})
		if p.Status != 200 || !strings.Contains(p.Body, `value="sms" aria-labelledby="kl-assigned ch-sms" checked`) || !strings.Contains(p.Body, `id="digest" checked`) {
			t.Fatalf("save: %d %s", p.Status, errorText(p.Body))
		}
		var c struct {
			Digest  bool              `json:"digest"`
			Choices map[string]string `json:"choices"`
		}
		tok2, _, err := h.App.Auth.Login(context.Background(), "liaison1", "test password 123", "", "test-api")
		if err != nil {
			t.Fatal(err)
		}
		r := h.Do("GET", "/api/v1/me/notifications", tok2, nil)
		if err := json.Unmarshal(r.Raw, &c); err != nil || !c.Digest || c.Choices["assigned"] != "sms" || c.Choices["overdue"] != "none" || c.Choices["due_soon"] != "email" {
			t.Errorf("the API sees %+v (%v)", c, err)
		}
		// A channel that is not one: 422 on the page, nothing changed.
		b.lang = "en"
		p = b.post("/staff/notifications", url.Values{"csrf": {tok}, "k_assigned": {"fax"}})
		if p.Status != http.StatusUnprocessableEntity || !strings.Contains(p.Body, "the channel must be email, sms or none") {
			t.Errorf("bad channel: %d %s", p.Status, errorText(p.Body))
		}
		if r := h.Do("GET", "/api/v1/me/notifications", tok2, nil); !strings.Contains(string(r.Raw), `"assigned":"sms"`) {
			t.Errorf("a refused form changed the choices: %s", r.Raw)
		}
		// The account page leads to it.
		if p := b.get("/staff/password"); !strings.Contains(p.Body, `href="/staff/notifications"`) {
			t.Error("no link from the account page")
		}
	})
}

// The administrator's outbox page lists failed notifications with their
// last error; the retry button puts one back to be sent; other roles get
// no page.
func TestPagesOutboxFailures(t *testing.T) {
	webtest.Engines(t, func(t *testing.T, h *webtest.Harness) {
		ctx := context.Background()
		now := store.FormatInstant(h.Clock.Now())
		for _, row := range []struct{ status, err string }{{"failed", "dial tcp 127.0.0.1:2526: connect: connection refused"}, {"sent", ""}} {
			if _, err := h.App.DB.Write.ExecContext(ctx, `INSERT INTO outbox (kind, channel, token, status, attempts, next_at, last_error, created_at) VALUES ('assigned', 'email', $1, $2, 5, $3, $4, $3)`,
				"tok-"+row.status, row.status, now, row.err); err != nil {
				t.Fatal(err)
			}
		}
		b := newBrowser(t, h)
		b.signIn("root", auth.Admin)
		p := b.get("/staff/admin/outbox")
		if p.Status != 200 || !strings.Contains(p.Body, "connection refused") || !strings.Contains(p.Body, "重新发送") || strings.Count(p.Body, `<tr id="n-`) != 1 {
			t.Fatalf("outbox: %d %s", p.Status, errorText(p.Body))
		}
		var id string
		h.App.DB.Read.QueryRow(`SELECT CAST(id AS TEXT) FROM outbox WHERE status = 'failed'`).Scan(&id)
		p = b.post("/staff/admin/outbox/"+id+"/retry", url.Values{"csrf": {csrfRe.FindStringSubmatch(p.Body)[1]}})
		if p.Status != http.StatusSeeOther {
			t.Fatalf("retry: %d %s", p.Status, errorText(p.Body))
		}
		var st string
		h.App.DB.Read.QueryRow(`SELECT status FROM outbox WHERE CAST(id AS TEXT) = $1`, id).Scan(&st)
		if st != "pending" {
			t.Errorf("after retry the row is %s", st)
		}
		if p := b.get("/staff/admin/outbox"); !strings.Contains(p.Body, `id="outbox-empty"`) {
			t.Error("the retried row is still listed as failed")
		}
		// Retrying one that did not fail: the message, not a 500.
		p = b.post("/staff/admin/outbox/"+id+"/retry", url.Values{"csrf": {b.csrf("/staff/admin/outbox")}})
		if p.Status != http.StatusConflict || !strings.Contains(p.Body, "只能重发发送失败的通知") {
			t.Errorf("retry of a pending row: %d %s", p.Status, errorText(p.Body))
		}
		// An auditor reads the page but has no button; a director has no page.
		a := newBrowser(t, h)
		a.signIn("aud", auth.Auditor)
		if p := a.get("/staff/admin/outbox?status=all"); p.Status != 200 || strings.Contains(p.Body, "/retry") {
			t.Errorf("auditor: %d", p.Status)
		}
		d := newBrowser(t, h)
		d.signIn("dir", auth.Director)
		if p := d.get("/staff/admin/outbox"); p.Status != http.StatusForbidden {
			t.Errorf("director: %d", p.Status)
		}
	})
}
