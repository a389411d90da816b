package web

import (
	"net/http"
	"strings"

	"mashang/internal/access"
	"mashang/internal/auth"
	"mashang/internal/problem"
)

// handlerFunc is a thin handler: it returns an error and the frame answers it.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// gate says who may call a route: anyone, any signed-in staff member, or
// the staff the access policy gives one of perms. A route about one case
// is gated by the permission anywhere; its service checks the case itself
// (its scope: a handler's own cases, a liaison's unit).
type gate struct {
	public bool
	perms  []access.Perm // none (and not public): any signed-in staff member
}

var (
	anyone   = gate{public: true}
	signedIn = gate{}
)

// need is the gate of the staff who hold one of perms.
func need(perms ...access.Perm) gate { return gate{perms: perms} }

var (
	errForbidden      = problem.Forbidden("forbidden", "您的角色无权执行此操作", "your role may not do this")
	errChangePassword = problem.Forbidden("password_change_required", "密码已被管理员重置，请先修改密码", "your password was reset by an admin: change it first (POST /api/v1/me/password)")
)

// whileMustChange are the routes a principal whose password was reset may
// use: seeing who it is, changing the password, signing out.
var whileMustChange = map[string]bool{
	"GET /api/v1/me":            true,
	"POST /api/v1/me/password":  true,
	"DELETE /api/v1/auth/token": true,
	"GET /staff/password":       true,
	"POST /staff/password":      true,
	"POST /staff/logout":        true,
}

// passwordChanged refuses every other route to a principal whose password
// was reset by an admin.
func passwordChanged(p auth.Principal, pattern string) error {
	if p.MustChangePassword && !whileMustChange[pattern] {
		return errChangePassword
	}
	return nil
}

// handle registers pattern ("METHOD /path") behind gate g. API routes are
// the ones under /api/; they are listed in the OpenAPI document.
func (s *Server) handle(pattern string, g gate, h handlerFunc) {
	method, path, _ := strings.Cut(pattern, " ")
	s.routes = append(s.routes, Route{Method: method, Path: path, API: strings.HasPrefix(path, "/api/")})
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		if holder, ok := r.Context().Value(keyRoute).(*routeHolder); ok {
			holder.pattern = pattern
		}
		if !g.public {
			p, err := s.authenticate(r)
			if err != nil {
				s.writeError(w, r, err)
				return
			}
			if !s.passes(p, g) {
				s.writeError(w, r, errForbidden)
				return
			}
			if err := passwordChanged(p, pattern); err != nil {
				s.writeError(w, r, err)
				return
			}
			r = r.WithContext(WithPrincipal(r.Context(), p))
		}
		if err := h(w, r); err != nil {
			s.writeError(w, r, err)
		}
	})
}

// passes reports whether p may go through g.
func (s *Server) passes(p auth.Principal, g gate) bool {
	if g.public {
		return true
	}
	if len(g.perms) == 0 {
		return p.Staff()
	}
	return s.app.Policy.AllowsAny(p, g.perms...)
}

// may reports whether the request's principal holds perm anywhere (a
// navigation entry, a button that is not about one case).
func (s *Server) may(r *http.Request, perm access.Perm) bool {
	p, ok := principal(r)
	return ok && s.app.Policy.Allows(p, perm)
}

// bearer extracts the token of an Authorization: Bearer header.
func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

// authenticate resolves the request's staff member from its bearer token,
// or from the staff session cookie set by the sign-in page; a request that
// has only the cookie passes cookieGuard too.
func (s *Server) authenticate(r *http.Request) (auth.Principal, error) {
	if p, ok := principal(r); ok {
		return p, nil
	}
	tok := bearer(r)
	if tok != "" {
		return s.app.Auth.Authenticate(r.Context(), tok)
	}
	if c, err := r.Cookie(SessionCookie); err == nil {
		tok = c.Value
	}
	p, err := s.app.Auth.Authenticate(r.Context(), tok)
	if err != nil {
		return p, err
	}
	if err := s.cookieGuard(r, tok); err != nil {
		return auth.Principal{}, err
	}
	return p, nil
}

// caller is the staff member behind a request to a route open to anyone
// (ok false: the public). A bearer token that signs nobody in is 401 — its
// sender meant to be staff; a session cookie that does (no longer) reads as
// the public, as a browser keeps a stale one.
func (s *Server) caller(r *http.Request) (p auth.Principal, ok bool, err error) {
	if p, ok := principal(r); ok {
		return p, true, nil
	}
	if bearer(r) == "" {
		if _, err := r.Cookie(SessionCookie); err != nil {
			return auth.Principal{}, false, nil
		}
	}
	p, err = s.authenticate(r)
	if err != nil {
		if bearer(r) != "" {
			return auth.Principal{}, false, err
		}
		return auth.Principal{}, false, nil
	}
	return p, p.Staff(), nil
}

// SessionCookie names the staff pages' session cookie.
const SessionCookie = "mashang_session"

// me returns the principal of a staff route (always present there).
func me(r *http.Request) auth.Principal {
	p, _ := principal(r)
	return p
}
