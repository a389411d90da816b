package web

import (
	"crypto/subtle"
	"net/http"
	"net/url"
	"strings"

	"mashang/internal/problem"
)

// CSRFHeader carries the anti-forgery token of a cookie-authenticated API
// request (GET /api/v1/me tells it to a page signed in by cookie).
const CSRFHeader = "X-CSRF-Token"

var errCrossOrigin = problem.Forbidden("cross_origin", "请求不是从本站发出的，已拒绝", "the request did not come from this site and was refused")

// cookieGuard is what a request authenticated by the session cookie alone
// must also show on an unsafe method, pages and API alike: that it comes
// from this site (Origin, or Referer when there is no Origin) and, for the
// API, the anti-forgery token in the X-CSRF-Token header (pages carry it in
// their forms, checked as the form is read). SameSite cookies alone are not
// relied on. Requests with a bearer token need neither: a browser never
// adds one by itself.
func (s *Server) cookieGuard(r *http.Request, session string) error {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return nil
	}
	if !s.fromThisSite(r) {
		return errCrossOrigin
	}
	if strings.HasPrefix(r.URL.Path, "/api/") {
		got := r.Header.Get(CSRFHeader)
		if got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(csrfFor(session))) != 1 {
			return errCSRF
		}
	}
	return nil
}

// fromThisSite reports whether the request's Origin (or, without one, its
// Referer) is this server: the host the request was sent to, or the
// configured public address. A missing or opaque ("null") origin is not.
func (s *Server) fromThisSite(r *http.Request) bool {
	src := r.Header.Get("Origin")
	if src == "" {
		src = r.Header.Get("Referer")
	}
	if src == "" || src == "null" {
		return false
	}
	u, err := url.Parse(src)
	if err != nil || u.Host == "" {
		return false
	}
	if strings.EqualFold(u.Host, r.Host) {
		return true
	}
	if pub, err := url.Parse(s.app.Config.PublicBaseURL); err == nil && pub.Host != "" {
		return strings.EqualFold(u.Host, pub.Host) && strings.EqualFold(u.Scheme, pub.Scheme)
	}
	return false
}
