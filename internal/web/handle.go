package web

import (
	"net/http"
	"strings"

	"mashang/internal/auth"
	"mashang/internal/problem"
)

// handlerFunc is a thin handler: it returns an error and the frame answers it.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// access says who may call a route.
type access struct {
	public bool        // anyone, signed in or not
	roles  []auth.Role // empty: any staff role
	read   bool        // an auditor may call it too (it changes nothing)
}

var (
	anyone   = access{public: true}
	anyStaff = access{read: true}
)

// may returns the access for staff acting in roles (admin always may).
func may(roles ...auth.Role) access { return access{roles: roles} }

// reads is may, and the auditor may read.
func reads(roles ...auth.Role) access { return access{roles: roles, read: true} }

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

// handle registers pattern ("METHOD /path") with access rules. API routes
// are the ones under /api/; they are listed in the OpenAPI document.
func (s *Server) handle(pattern string, a access, h handlerFunc) {
	method, path, _ := strings.Cut(pattern, " ")
	s.routes = append(s.routes, Route{Method: method, Path: path, API: strings.HasPrefix(path, "/api/")})
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		if holder, ok := r.Context().Value(keyRoute).(*routeHolder); ok {
			holder.pattern = pattern
		}
		if !a.public {
			p, err := s.authenticate(r)
			if err != nil {
				s.writeError(w, r, err)
				return
			}
			if !allowed(p, a) {
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

func allowed(p auth.Principal, a access) bool {
	if p.Role == auth.Auditor {
		return a.read
	}
	if len(a.roles) == 0 {
		return true
	}
	return p.May(a.roles...)
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

// SessionCookie names the staff pages' session cookie.
const SessionCookie = "mashang_session"

// clientAddr is the peer address without port, for per-address limits.
func clientAddr(r *http.Request) string {
	a := r.RemoteAddr
	if i := strings.LastIndexByte(a, ':'); i > 0 {
		a = a[:i]
	}
	return strings.Trim(a, "[]")
}

// me returns the principal of a staff route (always present there).
func me(r *http.Request) auth.Principal {
	p, _ := principal(r)
	return p
}
