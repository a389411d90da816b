package web

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"time"

	"mashang/internal/access"
	"mashang/internal/auth"
	"mashang/internal/catalog"
	"mashang/internal/civil"
	"mashang/internal/docket"
	"mashang/internal/humancheck"
	"mashang/internal/pinyin"
	"mashang/internal/problem"
	"mashang/internal/web/pages"
)

// pageServer renders the HTML pages. Templates are parsed once per language
// when the server is built; a template that does not parse stops New.
type pageServer struct {
	s      *Server
	tmpl   map[string]map[string]*template.Template // lang → page → template
	loc    map[string]map[string]string             // lang → key → text
	static http.Handler
	check  *humancheck.Checker // the public form's human check
	recent recentReceipts      // the receipts of report forms posted lately
	pinyin *pinyin.Table       // initials for the unit pickers
}

// pageFunc renders one page (or redirects); v is filled by the frame.
type pageFunc func(w http.ResponseWriter, r *http.Request, v *view) error

// view is what every template receives.
type view struct {
	Lang  string
	Path  string
	Title string
	User  *auth.Principal
	CSRF  string
	Nav   []navItem
	Error string // a message to show above the form
	Field string // the field the error is about
	Flash string // a note after a successful action
	Data  any
	// Wide asks for the wide staff layout.
	Wide bool
}

// invArg is what the "inv" partial needs: the view and the field it marks.
type invArg struct {
	V *view
	F string
}

type navItem struct {
	Href, Key string
	Current   bool
	Badge     string // a count shown beside the entry (unread notices), "" for none
}

// The cookie of the pages' anti-forgery secret for visitors without a session.
const csrfCookie = "mashang_csrf"

// newPageServer parses the templates and locale files.
func newPageServer(s *Server) (*pageServer, error) {
	p := &pageServer{s: s, tmpl: map[string]map[string]*template.Template{}}
	var err error
	if p.pinyin, err = pinyin.Load(); err != nil {
		return nil, err
	}
	if p.loc, err = pages.Locales(); err != nil {
		return nil, err
	}
	for _, l := range pages.Langs {
		if p.tmpl[l], err = pages.Parse(p.funcs(l)); err != nil {
			return nil, err
		}
	}
	p.static = http.StripPrefix("/static/", http.FileServerFS(pages.Static()))
	// Signed with a key derived from the vault's: every instance sharing it
	// verifies the others' challenges.
	p.check = humancheck.New([]byte(s.app.Vault.KeyedHash("humancheck", "challenge key v1")), s.app.Clock.Now, s.app.Counter)
	return p, nil
}

// mustPages builds the pages or stops start-up: the templates are embedded,
// so a failure here is a defect of the build, never of a request.
func mustPages(s *Server) *pageServer {
	p, err := newPageServer(s)
	if err != nil {
		panic(fmt.Sprintf("web: pages: %v", err))
	}
	return p
}

// T looks up a locale key; a missing key shows itself (the locale test fails on it).
func (p *pageServer) T(lang, key string) string {
	if m, ok := p.loc[lang][key]; ok {
		return m
	}
	if m, ok := p.loc[pages.Langs[0]][key]; ok {
		return m
	}
	return "[" + key + "]"
}

func (p *pageServer) funcs(lang string) template.FuncMap {
	t := func(key string) string { return p.T(lang, key) }
	assets := pages.AssetVersion()
	return template.FuncMap{
		"assetv": func() string { return assets },
		// unitSearch is what a unit picker matches besides the code and
		// name: the name's pinyin initials and the code without dashes.
		"unitSearch": p.unitSearch,
		"t":          t,
		"tf":         func(key string, args ...any) string { return fmt.Sprintf(t(key), args...) },
		// tk translates a value of a known set (a state, a channel…); a value
		// with no key shows as it is (the locale test lists the known sets).
		"tk": func(prefix string, v any) string {
			key := prefix + fmt.Sprint(v)
			if _, ok := p.loc[pages.Langs[0]][key]; !ok {
				return fmt.Sprint(v)
			}
			return t(key)
		},
		"tx": func(x catalog.Text) string {
			if lang == LangZhTW && x.ZhTW == "" {
				return p.s.tw.convert(x.Zh)
			}
			return x.In(lang)
		},
		// said shows an office's own words (its name, contacts, hours) in
		// the page's language; on an English page without the English
		// text, the Chinese, marked lang="zh-CN" for readers and fonts.
		"said": func(x catalog.Text) template.HTML {
			switch {
			case lang == LangEn && x.En == "" && x.Zh != "":
				return template.HTML(`<span lang="zh-CN">` + template.HTMLEscapeString(x.Zh) + `</span>`)
			case lang == LangEn:
				return template.HTML(template.HTMLEscapeString(x.En))
			case lang == LangZhTW && x.ZhTW == "":
				return template.HTML(template.HTMLEscapeString(p.s.tw.convert(x.Zh)))
			}
			return template.HTML(template.HTMLEscapeString(x.In(lang)))
		},
		// The case record's vocabulary, named by package docket (staff's
		// wording; pstate is the public's name of a state).
		"state":   func(v any) string { return docket.State(fmt.Sprint(v)).Label(lang) },
		"pstate":  func(v any) string { return docket.State(fmt.Sprint(v)).PublicLabel(lang) },
		"channel": func(v any) string { return docket.Channel(fmt.Sprint(v)).Label(lang) },
		"finding": func(v any) string { return docket.Finding(fmt.Sprint(v)).Label(lang) },
		"action":  func(v any) string { return docket.Action(fmt.Sprint(v)).Label(lang) },
		"rating":  func(v any) string { return docket.Rating(fmt.Sprint(v)).Label(lang) },
		"due":     func(v any) string { return docket.Due(fmt.Sprint(v)).Label(lang) },
		// sit and sanction name a code from whichever catalogue version has
		// it (the default's names first); sitIn and sanctionIn from the
		// version a case or decision keeps.
		"sit":      func(code string) string { return sitLabel(p.s.app.Catalogs.Held(), code, lang, t) },
		"sanction": func(code string) string { return sanctionLabel(p.s.app.Catalogs.Held(), code, lang) },
		"sitIn": func(version, code string) string {
			return sitLabel(p.s.app.Catalogs.HeldVersion(version), code, lang, t)
		},
		"sanctionIn": func(version, code string) string {
			return sanctionLabel(p.s.app.Catalogs.HeldVersion(version), code, lang)
		},
		"dt":        func(v any) string { return p.formatTime(v, "2006-01-02 15:04") },
		"date":      func(v any) string { return p.formatTime(v, "2006-01-02") },
		"add":       func(a, b int) int { return a + b },
		"hasPrefix": strings.HasPrefix,
		"neg":       func(a int) int { return -a },
		"pct":       pct,
		"ival": func(v any) int {
			switch x := v.(type) {
			case *int:
				if x != nil {
					return *x
				}
			case int:
				return x
			}
			return 0
		},
		// sval shows an optional string (a *string, or a pointer to a value of the case record's vocabulary).
		"sval": func(v any) string {
			rv := reflect.ValueOf(v)
			if !rv.IsValid() || rv.Kind() == reflect.Pointer && rv.IsNil() {
				return ""
			}
			return fmt.Sprint(reflect.Indirect(rv).Interface())
		},
		"query": func(v url.Values, k, val string) string { return withQuery(v, k, val) },
		"lang":  func() string { return lang },
		// zh shows a text stored in Simplified Chinese (a unit's name, an
		// office's setting) in the page's script.
		"zh": func(v any) string {
			s := fmt.Sprint(v)
			switch x := v.(type) {
			case *string:
				if x == nil {
					return ""
				}
				s = *x
			case string:
				s = x
			}
			if lang == LangZhTW {
				return p.s.tw.convert(s)
			}
			return s
		},
		"dict2": func(v *view, field string) invArg { return invArg{V: v, F: field} },
	}
}

func (p *pageServer) formatTime(v any, layout string) string {
	switch x := v.(type) {
	case time.Time:
		if x.IsZero() {
			return ""
		}
		return x.In(p.s.app.Loc).Format(layout)
	case *time.Time:
		if x == nil {
			return ""
		}
		return p.formatTime(*x, layout)
	case civil.Date:
		if x.IsZero() {
			return ""
		}
		return x.String()
	case *civil.Date:
		if x == nil || x.IsZero() {
			return ""
		}
		return x.String()
	case string:
		return x
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}

func withQuery(v url.Values, k, val string) string {
	c := url.Values{}
	for kk, vv := range v {
		c[kk] = append([]string(nil), vv...)
	}
	if val == "" {
		c.Del(k)
	} else {
		c.Set(k, val)
	}
	// A new filter or order starts again from the first page.
	c.Del("next")
	c.Del("page")
	return "?" + c.Encode()
}

// securityHeaders are sent with every page and asset.
func securityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	// same-origin: no Referer leaves for other sites, and the site's own
	// forms carry their Origin (no-referrer would send "Origin: null").
	h.Set("Referrer-Policy", "same-origin")
}

// secure says whether cookies get the Secure flag: over TLS, or when the
// configured public address is https (behind a TLS-terminating proxy).
func (p *pageServer) secure(r *http.Request) bool {
	return r.TLS != nil || strings.HasPrefix(strings.ToLower(p.s.app.Config.PublicBaseURL), "https://") ||
		behindTLSProxy(r, p.s.app.Config.TrustedProxies)
}

func csrfFor(secret string) string {
	h := sha256.Sum256([]byte("mashang-csrf\x00" + secret))
	return base64.RawURLEncoding.EncodeToString(h[:])
}

func randomToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

var errCSRF = problem.Forbidden("csrf", "表单已过期或来源不明，请返回重新提交", "the form has expired or did not come from this site; go back and submit it again")

// prepare sets the headers, the language cookie and the anti-forgery token,
// and checks the token of a POST.
func (p *pageServer) prepare(w http.ResponseWriter, r *http.Request) (*view, error) {
	securityHeaders(w.Header())
	w.Header().Set("Cache-Control", "no-store")
	v := &view{Lang: Lang(r), Path: r.URL.Path}
	if l := normLang(r.URL.Query().Get("lang")); l != "" {
		http.SetCookie(w, &http.Cookie{Name: "lang", Value: l, Path: "/", MaxAge: 365 * 24 * 3600, SameSite: http.SameSiteLaxMode, Secure: p.secure(r)})
	}
	var secrets []string
	if c, err := r.Cookie(SessionCookie); err == nil && c.Value != "" {
		secrets = append(secrets, c.Value)
	}
	if c, err := r.Cookie(csrfCookie); err == nil && len(c.Value) >= 32 {
		secrets = append(secrets, c.Value)
	}
	if r.Method == http.MethodPost {
		if err := p.parseForm(w, r); err != nil {
			return v, err
		}
		got := r.PostFormValue("csrf")
		ok := false
		for _, s := range secrets {
			if got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(csrfFor(s))) == 1 {
				ok = true
			}
		}
		if !ok {
			return v, errCSRF
		}
	}
	if len(secrets) == 0 {
		s := randomToken()
		http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: s, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: p.secure(r)})
		secrets = append(secrets, s)
	}
	v.CSRF = csrfFor(secrets[0])
	return v, nil
}

// parseForm reads a form body within the configured limits (attachments included).
func (p *pageServer) parseForm(w http.ResponseWriter, r *http.Request) error {
	cfg := p.s.app.Config
	limit := cfg.MaxBodyBytes
	ct := r.Header.Get("Content-Type")
	if strings.HasPrefix(ct, "multipart/form-data") {
		limit = cfg.MaxReportBytes()
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		if err := r.ParseMultipartForm(8 << 20); err != nil {
			return formErr(err)
		}
		return nil
	}
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	if err := r.ParseForm(); err != nil {
		return formErr(err)
	}
	return nil
}

func formErr(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return errTooLarge
	}
	return problem.Malformed("malformed_form", "无法读取表单", "the form could not be read").Wrap(err)
}

// public wraps a page anyone may see.
func (p *pageServer) public(h pageFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		v, err := p.prepare(w, r)
		if err == nil {
			if pr, aerr := p.s.authenticate(r); aerr == nil {
				v.User = &pr
				v.Nav = p.nav(r.Context(), pr, r.URL.Path)
			}
			err = h(w, r, v)
		}
		if err != nil {
			p.renderError(w, r, v, err)
		}
		return nil
	}
}

// staff wraps a staff page: a signed-out visitor is sent to the sign-in page.
func (p *pageServer) staff(g gate, h pageFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		pr, aerr := p.s.authenticate(r)
		if aerr != nil {
			if r.Method == http.MethodGet {
				next := r.URL.RequestURI()
				http.Redirect(w, r, "/staff/login?next="+url.QueryEscape(next), http.StatusSeeOther)
				return nil
			}
		}
		v, err := p.prepare(w, r)
		if err == nil && aerr != nil {
			err = aerr
		}
		if err == nil {
			v.User = &pr
			v.Nav = p.nav(r.Context(), pr, r.URL.Path)
			v.Wide = true
			if !p.s.passes(pr, g) {
				err = errForbidden
			} else if perr := passwordChanged(pr, routePattern(r)); perr != nil {
				if r.Method == http.MethodGet {
					http.Redirect(w, r, "/staff/password", http.StatusSeeOther)
					return nil
				}
				err = perr
			} else {
				r = r.WithContext(WithPrincipal(r.Context(), pr))
				err = h(w, r, v)
			}
		}
		if err != nil {
			p.renderError(w, r, v, err)
		}
		return nil
	}
}

// The staff navigation: each entry with the permission that opens it.
var staffNav = []struct {
	href, key string
	perm      access.Perm
}{
	{"/staff/desk", "nav.desk", access.CaseRegister},
	{"/staff/cases", "nav.cases", access.CaseRead},
	{"/staff/overview", "nav.overview", access.StatsRead},
	{"/staff/eligibility", "nav.eligibility", access.EligibilityRead},
	{"/staff/inspections", "insp.nav", access.InspectionRead},
	{"/staff/publications", "pub.nav", access.PublicationRead},
	{"/staff/notices", "notice.nav", access.NoticeRead},
	{"/staff/callbacks", "callback.nav", access.CallbackRead},
	{"/staff/post", "post.nav", access.LetterPost},
	{"/staff/admin", "nav.admin", access.AdminRead},
}

func (p *pageServer) nav(ctx context.Context, pr auth.Principal, path string) []navItem {
	var out []navItem
	for _, n := range staffNav {
		if p.s.app.Policy.Allows(pr, n.perm) {
			it := navItem{Href: n.href, Key: n.key, Current: strings.HasPrefix(path, n.href)}
			if n.href == "/staff/notices" {
				it.Badge = p.noticeBadge(ctx, pr)
			}
			out = append(out, it)
		}
	}
	return out
}

// render executes page with data into a buffer, then sends it.
func (p *pageServer) render(w http.ResponseWriter, status int, v *view, page string, data any) error {
	t, ok := p.tmpl[v.Lang][page]
	if !ok {
		return fmt.Errorf("web: no page %q", page)
	}
	v.Data = data
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		return fmt.Errorf("web: render %s: %w", page, err)
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	h.Set("Content-Language", v.Lang)
	h.Set("Vary", "Cookie, Accept-Language")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
	return nil
}

// errorPage is the data of the error page.
type errorPage struct {
	Status  int
	Message string
	Back    string
}

// renderError shows err as a page in the visitor's language. Anything that
// is not a problem is logged and shown as an internal error.
func (p *pageServer) renderError(w http.ResponseWriter, r *http.Request, v *view, err error) {
	if clientGone(r, err) {
		w.WriteHeader(StatusClientClosed)
		return
	}
	pe := p.s.answer(r, "page failed", err)
	st := statusOf[pe.Kind]
	if pe.Kind == problem.KindTooMany || pe.Kind == problem.KindUnavailable {
		w.Header().Set("Retry-After", retryAfter(pe))
	}
	if v == nil {
		v = &view{Lang: Lang(r), Path: r.URL.Path}
	}
	back := r.Referer()
	if back == "" || !strings.HasPrefix(back, "/") && !sameOrigin(r, back) {
		back = "/"
		if strings.HasPrefix(r.URL.Path, "/staff/") {
			back = "/staff/"
		}
	}
	if rerr := p.render(w, st, v, "error", errorPage{Status: st, Message: p.s.message(r, pe), Back: back}); rerr != nil {
		p.s.log.Error("error page failed", "err", rerr)
		http.Error(w, pe.Message(v.Lang), st)
	}
}

func sameOrigin(r *http.Request, ref string) bool {
	u, err := url.Parse(ref)
	return err == nil && u.Host == r.Host
}

// serveStatic serves the embedded assets; they change only with the binary.
func (p *pageServer) serveStatic(w http.ResponseWriter, r *http.Request) error {
	securityHeaders(w.Header())
	w.Header().Set("Cache-Control", "public, max-age=3600")
	p.static.ServeHTTP(w, r)
	return nil
}

// formError turns a validation problem into the message and field shown on
// a re-rendered form; other errors are returned as they are.
func (p *pageServer) formError(r *http.Request, v *view, err error) (status int, ferr error) {
	pe, ok := problem.As(err)
	if !ok {
		return 0, err
	}
	switch pe.Kind {
	case problem.KindInvalid, problem.KindConflict, problem.KindMalformed, problem.KindTooLarge, problem.KindNotFound, problem.KindTooMany, problem.KindUnauthorized:
		v.Error = p.s.message(r, pe)
		v.Field = pe.Field
		return statusOf[pe.Kind], nil
	}
	return 0, err
}

// sitLabel is a situation's code with its category's and its own name in
// cat ("none" for no code; the code alone when cat lacks it).
func sitLabel(cat *catalog.Catalog, code, lang string, t func(string) string) string {
	if code == "" {
		return t("common.none")
	}
	if st, ok := cat.Situation(code); ok {
		return code + " " + st.CategoryName.In(lang) + " · " + st.Name(lang)
	}
	return code
}

// sanctionLabel is a sanction's name in cat (its code when cat lacks it).
func sanctionLabel(cat *catalog.Catalog, code, lang string) string {
	if sc, ok := cat.Sanction(code); ok {
		return sc.Name(lang)
	}
	return code
}
