package web_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"mashang/internal/auth"
	"mashang/internal/web"
	"mashang/internal/web/webtest"
)

var csrfJSON = regexp.MustCompile(`"csrf":"([^"]+)"`)

// from returns a client whose requests come from the loopback address ip
// (127.0.0.0/8 is all loopback), so the server sees distinct addresses.
func from(ip string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	return &http.Client{Transport: &http.Transport{DialContext: d.DialContext}}
}

func signIn(t *testing.T, h *webtest.Harness, c *http.Client, user, pw string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", h.URL+"/api/v1/auth/token", strings.NewReader(fmt.Sprintf(`{"username":%q,"password":%q}`, user, pw)))
	req.Header.Set("Content-Type", "application/json")
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	return res.StatusCode, res.Header.Get("Retry-After")
}

// TestStrangerCannotLockOwnerOut, over HTTP from two addresses: ten wrong
// passwords from a stranger's address get that address refused (429 with
// Retry-After), and the owner signs in from another at once; the owner sees
// the failures, and so does an admin.
func TestStrangerCannotLockOwnerOut(t *testing.T) {
	webtest.Engines(t, func(t *testing.T, h *webtest.Harness) {
		var mu sync.Mutex
		var waits []time.Duration
		h.App.Auth.SetSleep(func(_ context.Context, d time.Duration) error {
			mu.Lock()
			waits = append(waits, d)
			mu.Unlock()
			return nil
		})
		admin := h.Token(auth.Admin)
		owner := h.TokenFor("owner", auth.Director, "")
		stranger, home := from("127.0.0.66"), from("127.0.0.7")
		for i := range 10 {
			if st, _ := signIn(t, h, stranger, "owner", fmt.Sprintf("guess %d guess", i)); st != 401 {
				t.Fatalf("guess %d: %d", i, st)
			}
		}
		st, retry := signIn(t, h, stranger, "owner", "test password 123")
		if st != 429 || retry == "" || retry == "0" {
			t.Fatalf("the stranger's address after ten guesses: %d, Retry-After %q", st, retry)
		}
		mu.Lock()
		waits = nil
		mu.Unlock()
		if st, _ := signIn(t, h, home, "owner", "test password 123"); st != 201 {
			t.Fatalf("the owner from home: %d", st)
		}
		if len(waits) != 0 {
			t.Fatalf("the owner was slowed: %v", waits)
		}
		r := h.Must(200, "GET", "/api/v1/me", owner, nil)
		fs, _ := r.JSON["sign_in_failures"].([]any)
		if len(fs) != 10 || webtest.Str(fs[0].(map[string]any), "addr") != "127.0.0.66" {
			t.Fatalf("the owner's view: %s", r.Raw)
		}
		users := h.Must(200, "GET", "/api/v1/users", admin, nil)
		var id float64
		for _, u := range users.JSON["users"].([]any) {
			if m := u.(map[string]any); m["username"] == "owner" {
				id = m["id"].(float64)
				if m["failed_sign_ins_24h"] != float64(10) {
					t.Fatalf("the admin's list: %v", m)
				}
			}
		}
		af := h.Must(200, "GET", fmt.Sprintf("/api/v1/users/%d/sign-in-failures", int64(id)), admin, nil)
		if fs, _ := af.JSON["failures"].([]any); len(fs) != 10 {
			t.Fatalf("the admin's view: %s", af.Raw)
		}
		if r := h.Do("GET", fmt.Sprintf("/api/v1/users/%d/sign-in-failures", int64(id)), owner, nil); r.Status != 403 {
			t.Fatalf("a director reads others' failures: %d", r.Status)
		}
	})
}

// TestCookieOnlyUnsafeAPIRequests: a request signed in by the session cookie
// alone may change nothing without the anti-forgery token and an origin of
// this site (403); with both it works; a bearer token is unaffected.
func TestCookieOnlyUnsafeAPIRequests(t *testing.T) {
	webtest.Engines(t, func(t *testing.T, h *webtest.Harness) {
		b := newBrowser(t, h)
		b.signIn("boss", auth.Admin)
		me := b.get("/api/v1/me")
		token := csrfJSON.FindStringSubmatch(me.Body)
		if me.Status != 200 || token == nil {
			t.Fatalf("me by cookie: %d %s", me.Status, me.Body)
		}
		unit := func(code string, headers map[string]string, form bool) page {
			body, ct := fmt.Sprintf(`{"code":%q,"name":"单位"}`, code), "application/json"
			if form {
				body, ct = url.Values{"code": {code}, "name": {"单位"}}.Encode(), "application/x-www-form-urlencoded"
			}
			req, _ := http.NewRequest("POST", h.URL+"/api/v1/units", strings.NewReader(body))
			req.Header.Set("Content-Type", ct)
			for k, v := range headers {
				req.Header.Set(k, v)
			}
			return b.do(req)
		}
		for _, c := range []struct {
			name    string
			headers map[string]string
			form    bool
			code    string
		}{
			{"form from another site", map[string]string{"Origin": "http://evil.example"}, true, "cross_origin"},
			{"JSON from another site with the token", map[string]string{"Origin": "http://evil.example", web.CSRFHeader: token[1]}, false, "cross_origin"},
			{"no origin at all", map[string]string{"Origin": "null"}, false, "cross_origin"},
			{"referer of another site", map[string]string{"Origin": "", "Referer": "http://evil.example/page"}, false, "cross_origin"},
			{"this site without the token", nil, false, "csrf"},
			{"this site with a wrong token", map[string]string{web.CSRFHeader: "x" + token[1]}, false, "csrf"},
		} {
			p := unit("BAD", c.headers, c.form)
			if p.Status != 403 || !strings.Contains(p.Body, `"code":"`+c.code+`"`) {
				t.Errorf("%s: %d %s", c.name, p.Status, p.Body)
			}
		}
		if r := h.Do("GET", "/api/v1/units/BAD", h.Token(auth.Admin), nil); r.Status != 404 {
			t.Fatalf("a refused request created the unit: %d", r.Status)
		}
		if p := unit("OK1", map[string]string{web.CSRFHeader: token[1]}, false); p.Status != 201 {
			t.Fatalf("token and origin: %d %s", p.Status, p.Body)
		}
		if p := unit("OK2", map[string]string{"Origin": "", "Referer": h.URL + "/staff/admin", web.CSRFHeader: token[1]}, false); p.Status != 201 {
			t.Fatalf("token and referer: %d %s", p.Status, p.Body)
		}
		// Bearer tokens: no origin or anti-forgery token needed.
		if r := h.Do("POST", "/api/v1/units", h.Token(auth.Admin), map[string]any{"code": "OK3", "name": "单位"}, "Origin: http://evil.example"); r.Status != 201 {
			t.Fatalf("bearer: %d %s", r.Status, r.Raw)
		}
		// A page's form from another site is refused even with its token.
		tok := b.csrf("/staff/admin/units")
		req, _ := http.NewRequest("POST", h.URL+"/staff/admin/units", strings.NewReader(url.Values{"csrf": {tok}, "code": {"EVIL"}, "name": {"x"}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", "http://evil.example")
		if p := b.do(req); p.Status != 403 {
			t.Fatalf("cross-site page form: %d", p.Status)
		}
		if r := h.Do("GET", "/api/v1/units/EVIL", h.Token(auth.Admin), nil); r.Status != 404 {
			t.Fatalf("the cross-site form created the unit: %d", r.Status)
		}
	})
}

// TestPasswordChangeRevokesTokens, over the API: the change needs the
// current password, refuses weak ones, and ends every token of the user.
func TestPasswordChangeRevokesTokens(t *testing.T) {
	webtest.Engines(t, func(t *testing.T, h *webtest.Harness) {
		tok := h.TokenFor("wuyi", auth.Handler, "")
		other, _, err := h.App.Auth.Login(context.Background(), "wuyi", "test password 123", "", "10.0.0.2")
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			body        map[string]any
			code, field string
		}{
			{map[string]any{"old": "wrong password", "new": "a fresh passphrase"}, "wrong_password", "old"},
			{map[string]any{"old": "test password 123", "new": "qwertyuiop"}, "common_password", "new"},
			{map[string]any{"old": "test password 123", "new": "short"}, "weak_password", "new"},
			{map[string]any{"old": "test password 123", "new": "wuyi wuyi wuyi"}, "password_contains_username", "new"},
			{map[string]any{"old": "test password 123"}, "required", "new"},
		} {
			r := h.Do("POST", "/api/v1/me/password", tok, c.body)
			if r.Status != 422 || r.ErrorCode() != c.code || webtest.Str(r.JSON, "error.field") != c.field {
				t.Errorf("%v: %d %s", c.body, r.Status, r.Raw)
			}
		}
		h.Must(204, "POST", "/api/v1/me/password", tok, map[string]any{"old": "test password 123", "new": "a fresh passphrase"})
		for _, tk := range []string{tok, other} {
			if r := h.Do("GET", "/api/v1/me", tk, nil); r.Status != 401 {
				t.Fatalf("a token outlived the change: %d", r.Status)
			}
		}
		if r := h.Do("POST", "/api/v1/auth/token", "", map[string]any{"username": "wuyi", "password": "a fresh passphrase"}); r.Status != 201 {
			t.Fatalf("the new password: %d %s", r.Status, r.Raw)
		}
	})
}

// TestAdminResetForcesChange: the admin's reset answers a one-time
// password; signed in with it, the user may only change it.
func TestAdminResetForcesChange(t *testing.T) {
	webtest.Engines(t, func(t *testing.T, h *webtest.Harness) {
		admin := h.Token(auth.Admin)
		old := h.TokenFor("sun", auth.Clerk, "")
		h.Must(200, "GET", "/api/v1/me", old, nil)
		var id int64
		for _, u := range h.Must(200, "GET", "/api/v1/users", admin, nil).JSON["users"].([]any) {
			if m := u.(map[string]any); m["username"] == "sun" {
				id = int64(m["id"].(float64))
			}
		}
		if r := h.Do("POST", fmt.Sprintf("/api/v1/users/%d/password-reset", id), old, nil); r.Status != 403 {
			t.Fatalf("a clerk reset a password: %d", r.Status)
		}
		r := h.Must(200, "POST", fmt.Sprintf("/api/v1/users/%d/password-reset", id), admin, nil)
		otp := webtest.Str(r.JSON, "password")
		if len(otp) < 16 || webtest.Str(r.JSON, "must_change_password") != "true" {
			t.Fatalf("reset: %s", r.Raw)
		}
		if r := h.Do("GET", "/api/v1/me", old, nil); r.Status != 401 {
			t.Fatalf("the old token outlived the reset: %d", r.Status)
		}
		tok := h.Must(201, "POST", "/api/v1/auth/token", "", map[string]any{"username": "sun", "password": otp}).JSON["token"].(string)
		if r := h.Do("GET", "/api/v1/cases", tok, nil); r.Status != 403 || r.ErrorCode() != "password_change_required" {
			t.Fatalf("before the change: %d %s", r.Status, r.Raw)
		}
		if r := h.Must(200, "GET", "/api/v1/me", tok, nil); webtest.Str(r.JSON, "must_change_password") != "true" {
			t.Fatalf("me: %s", r.Raw)
		}
		h.Must(204, "POST", "/api/v1/me/password", tok, map[string]any{"old": otp, "new": "my own passphrase"})
		tok = h.Must(201, "POST", "/api/v1/auth/token", "", map[string]any{"username": "sun", "password": "my own passphrase"}).JSON["token"].(string)
		h.Must(200, "GET", "/api/v1/cases", tok, nil)
		if r := h.Do("POST", "/api/v1/users/99999/password-reset", admin, nil); r.Status != 404 {
			t.Fatalf("unknown user: %d", r.Status)
		}
	})
}

// TestTOTPCodeReusedIsRefused: a one-time code signs in once.
func TestTOTPCodeReusedIsRefused(t *testing.T) {
	webtest.Engines(t, func(t *testing.T, h *webtest.Harness) {
		h.TokenFor("zheng", auth.Leader, "")
		uri, err := h.App.Auth.EnrolTOTP(context.Background(), auth.System("test"), "zheng")
		if err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse(uri)
		code, _ := totp.GenerateCode(u.Query().Get("secret"), h.Clock.Now())
		body := map[string]any{"username": "zheng", "password": "test password 123", "otp": code}
		h.Must(201, "POST", "/api/v1/auth/token", "", body)
		if r := h.Do("POST", "/api/v1/auth/token", "", body); r.Status != 401 || r.ErrorCode() != "bad_credentials" {
			t.Fatalf("the reused code: %d %s", r.Status, r.Raw)
		}
	})
}

// TestLastAdminOverHTTP: the only active admin can be neither demoted nor
// disabled (409 last_admin); nothing changes.
func TestLastAdminOverHTTP(t *testing.T) {
	webtest.Engines(t, func(t *testing.T, h *webtest.Harness) {
		admin := h.Token(auth.Admin)
		var id int64
		for _, u := range h.Must(200, "GET", "/api/v1/users", admin, nil).JSON["users"].([]any) {
			if m := u.(map[string]any); m["username"] == "admin" {
				id = int64(m["id"].(float64))
			}
		}
		for _, patch := range []map[string]any{{"role": "clerk"}, {"disabled": true}} {
			if r := h.Do("PATCH", fmt.Sprintf("/api/v1/users/%d", id), admin, patch); r.Status != 409 || r.ErrorCode() != "last_admin" {
				t.Fatalf("%v: %d %s", patch, r.Status, r.Raw)
			}
		}
		h.Must(200, "GET", "/api/v1/users", admin, nil)
	})
}
