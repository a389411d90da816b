// Package webtest runs mashang's HTTP server in tests, against embedded
// SQLite or PostgreSQL, with a settable clock, and speaks JSON to it.
package webtest

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"mashang/internal/app"
	"mashang/internal/auth"
	"mashang/internal/clock"
	"mashang/internal/config"
	"mashang/internal/ratelimit"
	"mashang/internal/store/storetest"
	"mashang/internal/web"
)

// Harness is one running server.
type Harness struct {
	T      testing.TB
	App    *app.App
	Server *web.Server
	HTTP   *httptest.Server
	Clock  *clock.Fixed
	URL    string
	tokens map[auth.Role]string
}

// Start is the instant the test clock starts at: a Monday, 2026-03-02 09:00 in Shanghai.
var Start = time.Date(2026, 3, 2, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))

// Engines runs fn against a fresh server on SQLite and on PostgreSQL.
func Engines(t *testing.T, fn func(t *testing.T, h *Harness)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, New(t, "")) })
	t.Run("postgres", func(t *testing.T) { fn(t, New(t, storetest.PostgresURL(t))) })
}

// Config returns the test configuration for a data dir and database URL;
// mutate is applied before the app starts.
func Config(t testing.TB, dbURL string, mutate ...func(*config.Config)) *config.Config {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	f := config.Register(fs)
	cfg, err := f.Load(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	cfg.DataDir = t.TempDir()
	cfg.IdentityKeyFile = cfg.DataDir + "/identity.key"
	cfg.LogKeyFile = cfg.DataDir + "/log.key"
	cfg.DatabaseURL = dbURL
	// Tests file many reports from loopback: the flood limits are off
	// unless a test sets them.
	cfg.IntakeRateAddress, cfg.IntakeRateGlobal, cfg.TrackRateAddress, cfg.HumanCheckAfter = ratelimit.Rate{}, ratelimit.Rate{}, ratelimit.Rate{}, 0
	for _, m := range mutate {
		m(cfg)
	}
	return cfg
}

// New starts a server on dbURL ("" for SQLite in a temporary directory).
func New(t testing.TB, dbURL string, mutate ...func(*config.Config)) *Harness {
	t.Helper()
	return NewLogged(t, dbURL, storetest.Quiet(), mutate...)
}

// NewLogged is New with the server's log going to logger (a test that
// reads what is logged).
func NewLogged(t testing.TB, dbURL string, logger *slog.Logger, mutate ...func(*config.Config)) *Harness {
	t.Helper()
	cfg := Config(t, dbURL, mutate...)
	c := clock.NewFixed(Start)
	a, err := app.New(context.Background(), cfg, app.Options{Clock: c, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	s := web.New(a)
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(func() {
		hs.Close()
		a.Close()
	})
	return &Harness{T: t, App: a, Server: s, HTTP: hs, Clock: c, URL: hs.URL, tokens: map[auth.Role]string{}}
}

// Response is a decoded answer.
type Response struct {
	Status int
	Header http.Header
	Raw    []byte
	JSON   map[string]any
}

// ErrorCode returns error.code of an error answer, or "".
func (r Response) ErrorCode() string {
	if e, ok := r.JSON["error"].(map[string]any); ok {
		s, _ := e["code"].(string)
		return s
	}
	return ""
}

// ErrorMessage returns error.message, or "".
func (r Response) ErrorMessage() string {
	if e, ok := r.JSON["error"].(map[string]any); ok {
		s, _ := e["message"].(string)
		return s
	}
	return ""
}

// Do sends a request. body may be nil, a string or []byte (sent as is), or
// any other value (sent as JSON). Headers are "Name: value" strings.
func (h *Harness) Do(method, path, token string, body any, headers ...string) Response {
	h.T.Helper()
	var rd io.Reader
	ct := ""
	switch b := body.(type) {
	case nil:
	case string:
		rd, ct = strings.NewReader(b), "application/json"
	case []byte:
		rd, ct = bytes.NewReader(b), "application/json"
	default:
		j, err := json.Marshal(b)
		if err != nil {
			h.T.Fatal(err)
		}
		rd, ct = bytes.NewReader(j), "application/json"
	}
	req, err := http.NewRequest(method, h.URL+path, rd)
	if err != nil {
		h.T.Fatal(err)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for _, hd := range headers {
		k, v, _ := strings.Cut(hd, ":")
		req.Header.Set(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	return h.Send(req)
}

// Send sends a prepared request and decodes a JSON answer.
func (h *Harness) Send(req *http.Request) Response {
	h.T.Helper()
	res, err := h.HTTP.Client().Do(req)
	if err != nil {
		h.T.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	r := Response{Status: res.StatusCode, Header: res.Header, Raw: raw}
	if strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") && len(raw) > 0 {
		if err := json.Unmarshal(raw, &r.JSON); err != nil {
			// arrays or scalars: leave JSON nil
			r.JSON = nil
		}
	}
	return r
}

// Must is Do that fails the test unless the status is want.
func (h *Harness) Must(want int, method, path, token string, body any) Response {
	h.T.Helper()
	r := h.Do(method, path, token, body)
	if r.Status != want {
		h.T.Fatalf("%s %s: status %d, want %d: %s", method, path, r.Status, want, r.Raw)
	}
	return r
}

// Token returns a token for a user of role, creating the user on first use
// (username = role name, unit optional for liaison via TokenFor).
func (h *Harness) Token(role auth.Role) string {
	h.T.Helper()
	if t, ok := h.tokens[role]; ok {
		return t
	}
	t := h.TokenFor(string(role), role, "")
	h.tokens[role] = t
	return t
}

// TokenFor creates a user and signs in.
func (h *Harness) TokenFor(username string, role auth.Role, unit string) string {
	h.T.Helper()
	const pw = "test password 123"
	if _, err := h.App.Auth.AddUser(context.Background(), auth.System("test"), username, pw, role, unit); err != nil {
		h.T.Fatalf("add user %s: %v", username, err)
	}
	tok, _, err := h.App.Auth.Login(context.Background(), username, pw, "", "test-"+username)
	if err != nil {
		h.T.Fatal(err)
	}
	return tok
}

// TokenIn creates a user of role in the office with code and signs in.
func (h *Harness) TokenIn(username string, role auth.Role, office string) string {
	h.T.Helper()
	const pw = "test password 123"
	if _, err := h.App.Auth.Add(context.Background(), auth.System("test"), auth.NewUser{Username: username, Password: pw, Role: role, Office: office}); err != nil {
		h.T.Fatalf("add user %s: %v", username, err)
	}
	tok, _, err := h.App.Auth.Login(context.Background(), username, pw, "", "test-"+username)
	if err != nil {
		h.T.Fatal(err)
	}
	return tok
}

// Str reads a string at a dotted path of a decoded JSON object ("error.code").
func Str(m map[string]any, path string) string {
	var cur any = m
	for _, k := range strings.Split(path, ".") {
		mm, ok := cur.(map[string]any)
		if !ok {
			return ""
		}
		cur = mm[k]
	}
	switch v := cur.(type) {
	case string:
		return v
	case float64:
		return fmt.Sprint(v)
	case bool:
		return fmt.Sprint(v)
	}
	return ""
}
