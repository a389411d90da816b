package cli_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"mashang/internal/app"
	"mashang/internal/store/storetest"
	"mashang/internal/web"
	"mashang/internal/web/webtest"
)

// besideServer runs a server on a fresh database of engine and returns the
// environment that points commands at the same data, and the server.
func besideServer(t *testing.T, engine string) (map[string]string, *httptest.Server) {
	t.Helper()
	dbURL := ""
	if engine == "postgres" {
		dbURL = storetest.PostgresURL(t)
	}
	cfg := webtest.Config(t, dbURL)
	a, err := app.New(context.Background(), cfg, app.Options{Logger: storetest.Quiet()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	srv := httptest.NewServer(web.New(a).Handler())
	t.Cleanup(srv.Close)
	return map[string]string{"MASHANG_DATA": cfg.DataDir, "MASHANG_DATABASE_URL": dbURL}, srv
}

// TestUserPasswd: the console sets a password from standard input beside a
// running server, on both engines: the user's tokens end, the new password
// signs in, bad input exits non-zero and changes nothing.
func TestUserPasswd(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			env, srv := besideServer(t, engine)
			if code, _, stderr := run(t, env, "the first passphrase\n", "user", "add", "--username", "admin", "--role", "admin"); code != 0 {
				t.Fatalf("user add: %s", stderr)
			}
			signIn := func(pw string) (int, string) {
				res, err := http.Post(srv.URL+"/api/v1/auth/token", "application/json", strings.NewReader(`{"username":"admin","password":"`+pw+`"}`))
				if err != nil {
					t.Fatal(err)
				}
				defer res.Body.Close()
				b, _ := io.ReadAll(res.Body)
				return res.StatusCode, string(b)
			}
			st, body := signIn("the first passphrase")
			if st != 201 {
				t.Fatalf("sign in: %d %s", st, body)
			}
			tok := body[strings.Index(body, `"token":"`)+9:]
			tok = tok[:strings.IndexByte(tok, '"')]
			for _, tc := range []struct {
				stdin string
				args  []string
				code  int
				msg   string
			}{
				{"1234567890\n", []string{"user", "passwd", "--username", "admin"}, 1, "too common"},
				{"short\n", []string{"user", "passwd", "--username", "admin"}, 1, "at least 10"},
				{"a new long passphrase\n", []string{"user", "passwd", "--username", "nobody"}, 1, "no user nobody"},
				{"", []string{"user", "passwd", "--username", "admin"}, 2, "standard input"},
				{"a new long passphrase\n", []string{"user", "passwd"}, 2, "required"},
			} {
				code, _, stderr := run(t, env, tc.stdin, tc.args...)
				if code != tc.code || !strings.Contains(stderr, tc.msg) {
					t.Errorf("%v: exit %d %q, want %d containing %q", tc.args, code, stderr, tc.code, tc.msg)
				}
			}
			if st, _ := signIn("the first passphrase"); st != 201 {
				t.Fatalf("a refused passwd changed the password: %d", st)
			}
			code, out, stderr := run(t, env, "a new long passphrase\n", "user", "passwd", "--username", "admin")
			if code != 0 || !strings.Contains(out, "password of admin changed") {
				t.Fatalf("passwd: %d %q %q", code, out, stderr)
			}
			req, _ := http.NewRequest("GET", srv.URL+"/api/v1/me", nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != 401 {
				t.Fatalf("a token outlived passwd: %d", res.StatusCode)
			}
			if st, _ := signIn("a new long passphrase"); st != 201 {
				t.Fatalf("the new password: %d", st)
			}
		})
	}
}
