package web_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"mashang/internal/auth"
	"mashang/internal/web"
	"mashang/internal/web/webtest"
)

// browser is a cookie-keeping client that does not follow redirects.
type browser struct {
	t    *testing.T
	h    *webtest.Harness
	c    *http.Client
	lang string
}

func newBrowser(t *testing.T, h *webtest.Harness) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, h: h, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type page struct {
	Status int
	Header http.Header
	Body   string
}

func (b *browser) do(req *http.Request) page {
	b.t.Helper()
	if b.lang != "" {
		req.Header.Set("Accept-Language", b.lang)
	}
	if _, set := req.Header["Origin"]; req.Method != http.MethodGet && !set {
		req.Header.Set("Origin", b.h.URL) // as a browser sends with a form of this site
	}
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return page{Status: res.StatusCode, Header: res.Header, Body: string(body)}
}

func (b *browser) get(path string) page {
	req, _ := http.NewRequest("GET", b.h.URL+path, nil)
	return b.do(req)
}

func (b *browser) post(path string, form url.Values) page {
	req, _ := http.NewRequest("POST", b.h.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

var csrfRe = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf fetches path and returns the anti-forgery token of its first form.
func (b *browser) csrf(path string) string {
	b.t.Helper()
	p := b.get(path)
	m := csrfRe.FindStringSubmatch(p.Body)
	if m == nil {
		b.t.Fatalf("no csrf field on %s (%d)", path, p.Status)
	}
	return m[1]
}

// signIn makes a user of role and signs in through the login page.
func (b *browser) signIn(username string, role auth.Role) {
	b.t.Helper()
	if _, err := b.h.App.Auth.AddUser(context.Background(), auth.System("test"), username, "test password 123", role, ""); err != nil {
		b.t.Fatal(err)
	}
	p := b.post("/staff/login", url.Values{"csrf": {b.csrf("/staff/login")}, "username": {username}, "password": {"test password 123"}})
	if p.Status != http.StatusSeeOther {
		b.t.Fatalf("sign in: %d %s", p.Status, p.Body)
	}
}

func TestPagesHome(t *testing.T) {
	h := webtest.New(t, "")
	b := newBrowser(t, h)
	// A fresh install shows no ways to report but the web form: nothing
	// compiled in, until the admin gives the office's own.
	p := b.get("/")
	for _, absent := range []string{"0591-22371732", "example.gov.cn", `id="ch-phone"`, `id="ch-mail"`, `href="mailto:`} {
		if strings.Contains(p.Body, absent) {
			t.Errorf("a fresh home shows %q", absent)
		}
	}
	h.Must(200, "PUT", "/api/v1/offices/main/profile", h.Token(auth.Admin), map[string]any{
		"channels": map[string]any{"hotlines": []any{map[string]any{"name": "县纪委信访室", "number": "0591-22371732"}},
			"email": "zsb@mq.example.gov.cn", "boxes": []any{"县行政服务中心"}}})
	p = b.get("/")
	if p.Status != 200 || !strings.HasPrefix(p.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("home: %d %s", p.Status, p.Header.Get("Content-Type"))
	}
	if csp := p.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
		t.Errorf("CSP %q", csp)
	}
	if len(p.Body) > 100<<10 {
		t.Errorf("home is %d bytes", len(p.Body))
	}
	for _, want := range []string{`lang="zh-CN"`, "P1.2", "群众", "0591-22371732", "县行政服务中心", "匿名"} {
		if !strings.Contains(p.Body, want) {
			t.Errorf("home lacks %q", want)
		}
	}
	if n := strings.Count(p.Body, `<li><span class="code">`); n != 30 {
		t.Errorf("home lists %d situations, want 30", n)
	}
	// ?lang=en answers in English and remembers the choice.
	p = b.get("/?lang=en")
	if !strings.Contains(p.Body, `lang="en"`) || !strings.Contains(p.Body, "How anonymity protects you") {
		t.Fatalf("English home: %.300s", p.Body)
	}
	p = b.get("/")
	if !strings.Contains(p.Body, `lang="en"`) {
		t.Error("the language cookie was not kept")
	}
	// Accept-Language picks Traditional Chinese for a new visitor.
	b2 := newBrowser(t, h)
	b2.lang = "zh-TW,zh;q=0.9"
	p = b2.get("/")
	if !strings.Contains(p.Body, `lang="zh-TW"`) || !strings.Contains(p.Body, "舉報") {
		t.Errorf("zh-TW home: %.300s", p.Body)
	}
	// Assets are embedded and served with the same headers.
	css := b.get("/static/site.css")
	if css.Status != 200 || !strings.Contains(css.Body, "Noto Sans CJK SC") || css.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("css: %d", css.Status)
	}
}

func TestPagesStaffSignIn(t *testing.T) {
	h := webtest.New(t, "")
	b := newBrowser(t, h)
	// Signed out: sent to the sign-in page, keeping where they were going.
	p := b.get("/staff/admin/users")
	if p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/staff/login?next="+url.QueryEscape("/staff/admin/users") {
		t.Fatalf("signed out: %d %q", p.Status, p.Header.Get("Location"))
	}
	if _, err := h.App.Auth.AddUser(context.Background(), auth.System("test"), "boss", "test password 123", auth.Admin, ""); err != nil {
		t.Fatal(err)
	}
	tok := b.csrf("/staff/login")
	form := url.Values{"username": {"boss"}, "password": {"test password 123"}, "next": {"/staff/admin/users"}}
	// No token, a wrong token: refused, no session.
	if p := b.post("/staff/login", form); p.Status != http.StatusForbidden {
		t.Fatalf("no csrf: %d", p.Status)
	}
	form.Set("csrf", tok+"x")
	if p := b.post("/staff/login", form); p.Status != http.StatusForbidden {
		t.Fatalf("wrong csrf: %d", p.Status)
	}
	// A wrong password shows the form again with the message.
	form.Set("csrf", tok)
	form.Set("password", "wrong password!")
	if p := b.post("/staff/login", form); p.Status != http.StatusUnauthorized || !strings.Contains(p.Body, "用户名、密码或动态码不正确") {
		t.Fatalf("bad password: %d", p.Status)
	}
	form.Set("password", "test password 123")
	p = b.post("/staff/login", form)
	if p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/staff/admin/users" {
		t.Fatalf("login: %d %q", p.Status, p.Header.Get("Location"))
	}
	sc := p.Header.Get("Set-Cookie")
	for _, want := range []string{web.SessionCookie + "=", "HttpOnly", "SameSite=Lax", "Path=/"} {
		if !strings.Contains(sc, want) {
			t.Errorf("session cookie %q lacks %s", sc, want)
		}
	}
	if strings.Contains(sc, "Secure") {
		t.Errorf("plain http got a Secure cookie: %q", sc)
	}
	p = b.get("/staff/admin/users")
	if p.Status != 200 || !strings.Contains(p.Body, "boss") {
		t.Fatalf("users page: %d", p.Status)
	}
	// An open redirect is refused.
	b2 := newBrowser(t, h)
	form.Set("csrf", b2.csrf("/staff/login"))
	form.Set("next", "//evil.example/")
	if p := b2.post("/staff/login", form); p.Header.Get("Location") != "/staff/" {
		t.Errorf("next=//evil: %q", p.Header.Get("Location"))
	}
	// A staff POST without the session's token is refused.
	if p := b.post("/staff/admin/units", url.Values{"code": {"X1"}, "name": {"x"}}); p.Status != http.StatusForbidden {
		t.Fatalf("staff post without csrf: %d", p.Status)
	}
	tok = b.csrf("/staff/admin/units")
	if p := b.post("/staff/admin/units", url.Values{"csrf": {tok}, "code": {"X1"}, "name": {"县测试局"}, "kind": {"department"}, "mode": {"create"}}); p.Status != 200 || !strings.Contains(p.Body, "县测试局") {
		t.Fatalf("create unit: %d %.500s", p.Status, p.Body)
	}
	// A duplicate is shown on the form, not as a crash.
	if p := b.post("/staff/admin/units", url.Values{"csrf": {tok}, "code": {"X1"}, "name": {"again"}, "mode": {"create"}}); p.Status != http.StatusConflict || !strings.Contains(p.Body, `role="alert"`) {
		t.Fatalf("duplicate unit: %d", p.Status)
	}
	// Sign out revokes the session.
	if p := b.post("/staff/logout", url.Values{"csrf": {tok}}); p.Status != http.StatusSeeOther {
		t.Fatalf("logout: %d", p.Status)
	}
	if p := b.get("/staff/admin/users"); p.Status != http.StatusSeeOther {
		t.Fatalf("after logout: %d", p.Status)
	}
}

func TestPagesTOTPAndRoles(t *testing.T) {
	h := webtest.New(t, "")
	ctx := context.Background()
	if _, err := h.App.Auth.AddUser(ctx, auth.System("test"), "li", "test password 123", auth.Clerk, ""); err != nil {
		t.Fatal(err)
	}
	uri, err := h.App.Auth.EnrolTOTP(ctx, auth.System("test"), "li")
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(uri)
	secret := u.Query().Get("secret")
	b := newBrowser(t, h)
	tok := b.csrf("/staff/login")
	form := url.Values{"csrf": {tok}, "username": {"li"}, "password": {"test password 123"}}
	if p := b.post("/staff/login", form); p.Status != http.StatusUnauthorized || !strings.Contains(p.Body, "动态验证码") {
		t.Fatalf("without code: %d", p.Status)
	}
	code, _ := totp.GenerateCode(secret, h.Clock.Now())
	form.Set("otp", code)
	if p := b.post("/staff/login", form); p.Status != http.StatusSeeOther {
		t.Fatalf("with code: %d %s", p.Status, p.Body)
	}
	// A clerk may not open the admin pages.
	if p := b.get("/staff/admin/users"); p.Status != http.StatusForbidden {
		t.Fatalf("clerk on admin: %d", p.Status)
	}
	if p := b.get("/staff/"); p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/staff/desk" {
		t.Fatalf("clerk home: %d %q", p.Status, p.Header.Get("Location"))
	}
	_ = time.Second
}
