package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"mashang/internal/auth"
	"mashang/internal/web/webtest"
)

// Staff have display names: an admin gives them on the users page (and the
// API), and histories, the assignee column and filter, the case's assignee
// and the assign picker show them instead of the username.
func TestPagesStaffDisplayNames(t *testing.T) {
	webtest.Engines(t, func(t *testing.T, h *webtest.Harness) {
		seedUnits(t, h)
		ctx := context.Background()
		admin := newBrowser(t, h)
		admin.signIn("root", auth.Admin)
		// A new account with a display name, from the page.
		p := admin.post("/staff/admin/users", url.Values{"csrf": {admin.csrf("/staff/admin/users")}, "username": {"zhangli"}, "display_name": {"  张丽 "},
			"password": {"test password 123"}, "role": {"handler"}})
		if p.Status != 200 || !strings.Contains(p.Body, "张丽") {
			t.Fatalf("add with display name: %d %s", p.Status, errorText(p.Body))
		}
		// Too long: refused in the page's language, nothing changed.
		us, _ := h.App.Auth.ListUsers(ctx)
		var zl, root auth.User
		for _, u := range us {
			switch u.Username {
			case "zhangli":
				zl = u
			case "root":
				root = u
			}
		}
		if zl.DisplayName != "张丽" {
			t.Fatalf("display name stored as %q", zl.DisplayName)
		}
		p = admin.post("/staff/admin/users", url.Values{"csrf": {admin.csrf("/staff/admin/users")}, "id": {itoa(zl.ID)}, "role": {"director"}, "display_name": {strings.Repeat("长", 41)}})
		if p.Status != http.StatusUnprocessableEntity || !strings.Contains(p.Body, "显示名称过长") {
			t.Errorf("a 41-character name: %d %s", p.Status, errorText(p.Body))
		}
		us, _ = h.App.Auth.ListUsers(ctx)
		for _, u := range us {
			if u.Username == "zhangli" && (u.Role != auth.Handler || u.DisplayName != "张丽") {
				t.Errorf("a refused form changed the account: %s %q", u.Role, u.DisplayName)
			}
		}
		// The API sets one too (and the root admin gets 王海峰).
		h.Must(204, "PATCH", "/api/v1/users/"+itoa(root.ID), h.Token(auth.Admin), map[string]any{"display_name": "王海峰"})
		if r := h.Do("PATCH", "/api/v1/users/"+itoa(root.ID), h.Token(auth.Admin), map[string]any{"display_name": "a\x07b"}); r.Status != 422 || r.ErrorCode() != "invalid_display_name" {
			t.Errorf("a control character: %d %s", r.Status, r.ErrorCode())
		}
		// The header names the signed-in staff member by display name (the
		// session resolves it: the next page shows the new name), the username
		// only in the link's title; one without a display name by username.
		if p := admin.get("/staff/cases"); !strings.Contains(p.Body, `title="我的账号 (root)" id="who-name">王海峰</a>`) {
			t.Errorf("the header does not name root 王海峰: %s", headerWho(p.Body))
		}
		li := newBrowser(t, h)
		li.signIn("lisi", auth.Clerk)
		if p := li.get("/staff/cases?lang=en"); !strings.Contains(p.Body, `id="who-name">lisi</a>`) || strings.Contains(headerWho(p.Body), "(lisi)") {
			t.Errorf("an account without a display name is not named by its username: %s", headerWho(p.Body))
		}
		if pr, err := h.App.Auth.Authenticate(ctx, h.Token(auth.Admin)); err != nil || pr.DisplayName != "" || pr.Name() != pr.Username {
			t.Errorf("a token's principal without a display name: %+v %v", pr, err)
		}
		// A case accepted and assigned through the pages by root to zhangli.
		id := h.Must(201, "POST", "/api/v1/intake", h.Token(auth.Clerk), map[string]any{"channel": "hotline", "content": "来电反映推诿", "unit": "MQ-XZFW"}).JSON["case_id"]
		cp := "/staff/cases/" + itoa(int64(id.(float64)))
		for _, f := range []url.Values{{"action": {"accept"}}, {"action": {"assign"}, "user": {"zhangli"}}} {
			f.Set("csrf", admin.csrf(cp))
			if p := admin.post(cp+"/act", f); p.Status != http.StatusSeeOther {
				t.Fatalf("%s: %d %s", f.Get("action"), p.Status, errorText(p.Body))
			}
		}
		page := admin.get(cp).Body
		tl := page[strings.Index(page, `id="case-timeline"`):]
		tl = tl[:strings.Index(tl, "</ol>")]
		for _, want := range []string{"王海峰（管理员）", "交张丽（"} {
			if !strings.Contains(tl, want) {
				t.Errorf("history lacks %q: %s", want, tl)
			}
		}
		if strings.Contains(tl, "root") || strings.Contains(tl, "zhangli") || strings.Contains(tl, "user:") {
			t.Errorf("history shows usernames: %s", tl)
		}
		if !strings.Contains(page, `<option value="zhangli">张丽 (zhangli)`) {
			t.Error("the assign picker does not show the display name")
		}
		if !strings.Contains(page, "<dd>张丽</dd>") {
			t.Error("the case's assignee is not shown by name")
		}
		q := admin.get("/staff/cases").Body
		if !strings.Contains(q, `<td class="nw">张丽</td>`) || !strings.Contains(q, `>张丽 (zhangli)</option>`) {
			t.Error("the queue's assignee column or filter shows no display name")
		}
	})
}

// headerWho is the header's "signed in as" part of a page.
func headerWho(body string) string {
	i := strings.Index(body, `<span class="who">`)
	if i < 0 {
		return "(no header name)"
	}
	body = body[i:]
	if j := strings.Index(body, "</span>"); j >= 0 {
		body = body[:j]
	}
	return body
}
