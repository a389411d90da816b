package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"mashang/internal/auth"
	"mashang/internal/web/webtest"
)

var oneTimeRe = regexp.MustCompile(`id="one-time-password">([^<]+)<`)

// TestAccountPages, on both engines: the password page in the three
// languages; a change through it keeps this browser signed in and ends the
// other sessions; an admin's reset on the users page shows a one-time
// password once, and the user signing in with it is sent to the password
// page until it is changed.
func TestAccountPages(t *testing.T) {
	webtest.Engines(t, func(t *testing.T, h *webtest.Harness) {
		b := newBrowser(t, h)
		b.signIn("zhang", auth.Director)
		other, _, err := h.App.Auth.Login(context.Background(), "zhang", "test password 123", "", "10.9.9.9")
		if err != nil {
			t.Fatal(err)
		}
		for lang, want := range map[string]string{"zh-CN": "修改密码", "zh-TW": "修改密碼", "en": "Change password"} {
			p := b.get("/staff/password?lang=" + lang)
			if p.Status != 200 || !strings.Contains(p.Body, want) || !strings.Contains(p.Body, `id="password-form"`) {
				t.Fatalf("%s: %d", lang, p.Status)
			}
		}
		b.get("/staff/password?lang=zh-CN")
		tok := b.csrf("/staff/password")
		p := b.post("/staff/password", url.Values{"csrf": {tok}, "old": {"test password 123"}, "new": {"a fresh passphrase"}, "confirm": {"another one"}})
		if p.Status != 422 || !strings.Contains(p.Body, "两次输入的新密码不一致") {
			t.Fatalf("mismatch: %d", p.Status)
		}
		p = b.post("/staff/password", url.Values{"csrf": {tok}, "old": {"wrong one here"}, "new": {"a fresh passphrase"}, "confirm": {"a fresh passphrase"}})
		if p.Status != 422 || !strings.Contains(p.Body, "原密码不正确") {
			t.Fatalf("wrong old: %d", p.Status)
		}
		p = b.post("/staff/password", url.Values{"csrf": {tok}, "old": {"test password 123"}, "new": {"a fresh passphrase"}, "confirm": {"a fresh passphrase"}})
		if p.Status != 200 || !strings.Contains(p.Body, "密码已修改") {
			t.Fatalf("change: %d %s", p.Status, p.Body)
		}
		// The failed attempt is listed for the owner.
		if !strings.Contains(p.Body, `id="failures"`) {
			t.Error("the wrong current password is not listed among the failures")
		}
		if _, err := h.App.Auth.Authenticate(context.Background(), other); err == nil {
			t.Fatal("another session outlived the change")
		}
		if p := b.get("/staff/cases"); p.Status != 200 {
			t.Fatalf("this browser after the change: %d", p.Status)
		}

		// The admin resets a clerk's password on the users page.
		admin := newBrowser(t, h)
		admin.signIn("root", auth.Admin)
		h.TokenFor("qianli", auth.Clerk, "")
		var id string
		for _, u := range h.Must(200, "GET", "/api/v1/users", h.Token(auth.Admin), nil).JSON["users"].([]any) {
			if m := u.(map[string]any); m["username"] == "qianli" {
				id = webtest.Str(m, "id")
			}
		}
		p = admin.post("/staff/admin/users", url.Values{"csrf": {admin.csrf("/staff/admin/users")}, "id": {id}, "username": {"qianli"}, "reset": {"yes"}})
		m := oneTimeRe.FindStringSubmatch(p.Body)
		if p.Status != 200 || m == nil {
			t.Fatalf("reset page: %d", p.Status)
		}
		if again := admin.get("/staff/admin/users"); strings.Contains(again.Body, m[1]) || !strings.Contains(again.Body, "待改密码") {
			t.Fatal("the one-time password is shown twice, or the user is not marked")
		}
		clerk := newBrowser(t, h)
		p = clerk.post("/staff/login", url.Values{"csrf": {clerk.csrf("/staff/login")}, "username": {"qianli"}, "password": {m[1]}})
		if p.Status != http.StatusSeeOther {
			t.Fatalf("sign in with the one-time password: %d", p.Status)
		}
		if p := clerk.get("/staff/desk"); p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/staff/password" {
			t.Fatalf("before the change: %d %s", p.Status, p.Header.Get("Location"))
		}
		p = clerk.get("/staff/password")
		if !strings.Contains(p.Body, "管理员已重置您的密码") {
			t.Fatal("the password page does not say why")
		}
		p = clerk.post("/staff/password", url.Values{"csrf": {clerk.csrf("/staff/password")}, "old": {m[1]}, "new": {"my own passphrase"}, "confirm": {"my own passphrase"}})
		if p.Status != 200 {
			t.Fatalf("change after reset: %d", p.Status)
		}
		if p := clerk.get("/staff/desk"); p.Status != 200 {
			t.Fatalf("after the change: %d", p.Status)
		}
	})
}

// A new account has no role until the admin chooses one: the form does not
// offer admin (or anything) by default, and a form sent without a role is
// refused, nothing made.
func TestPagesNewAccountChoosesRole(t *testing.T) {
	h := webtest.New(t, "")
	admin := newBrowser(t, h)
	admin.signIn("admin1", auth.Admin)
	p := admin.get("/staff/admin/users")
	if !strings.Contains(p.Body, `<select id="n-role" name="role" required><option value="" selected>— 请选择角色 —</option>`) {
		t.Error("the new account's role is not left to choose")
	}
	r := admin.post("/staff/admin/users", url.Values{"csrf": {csrfRe.FindStringSubmatch(p.Body)[1]}, "username": {"newclerk"}, "password": {"a long passphrase 9"}, "role": {""}})
	if r.Status != 422 {
		t.Errorf("an account without a role: %d", r.Status)
	}
	us, err := h.App.Auth.ListUsers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range us {
		if u.Username == "newclerk" {
			t.Errorf("an account was made without a role: %+v", u)
		}
	}
}
