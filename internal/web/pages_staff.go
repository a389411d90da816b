package web

import (
	"net/http"
	"net/url"
	"strings"

	"mashang/internal/auth"
)

type loginPage struct {
	Next, Username string
}

// safeNext keeps a post-login destination only when it is a staff page here.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/staff/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		return "/staff/"
	}
	if u, err := url.Parse(next); err != nil || u.Host != "" || u.Scheme != "" {
		return "/staff/"
	}
	return next
}

func (p *pageServer) loginForm(w http.ResponseWriter, r *http.Request, v *view) error {
	if v.User != nil {
		http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return nil
	}
	return p.render(w, http.StatusOK, v, "login", loginPage{Next: safeNext(r.URL.Query().Get("next"))})
}

func (p *pageServer) login(w http.ResponseWriter, r *http.Request, v *view) error {
	user := strings.TrimSpace(r.PostFormValue("username"))
	data := loginPage{Next: safeNext(r.PostFormValue("next")), Username: user}
	tok, exp, err := p.s.app.Auth.LoginSession(r.Context(), user, r.PostFormValue("password"), r.PostFormValue("otp"), clientAddr(r))
	if err != nil {
		st, ferr := p.formError(r, v, err)
		if ferr != nil {
			return ferr
		}
		return p.render(w, st, v, "login", data)
	}
	// Max-Age rather than Expires: the lifetime is the token's, whatever the browser's clock says.
	maxAge := int(exp.Sub(p.s.app.Clock.Now()).Seconds())
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: tok, Path: "/", MaxAge: maxAge, HttpOnly: true, Secure: p.secure(r), SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, data.Next, http.StatusSeeOther)
	return nil
}

func (p *pageServer) logout(w http.ResponseWriter, r *http.Request, v *view) error {
	if c, err := r.Cookie(SessionCookie); err == nil && c.Value != "" {
		if err := p.s.app.Auth.Revoke(r.Context(), c.Value); err != nil {
			return err
		}
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: p.secure(r), SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, "/staff/login", http.StatusSeeOther)
	return nil
}

// staffHome sends each role to the page it starts its day on.
func (p *pageServer) staffHome(w http.ResponseWriter, r *http.Request, v *view) error {
	dest := "/staff/cases"
	switch me(r).Role {
	case auth.Clerk:
		dest = "/staff/desk"
	case auth.OrgDept:
		dest = "/staff/eligibility"
	case auth.Leader:
		dest = "/staff/overview"
	case auth.Inspector:
		dest = "/staff/inspections"
	case auth.Admin:
		// A fresh install: the checklist, not an empty queue.
		if p.setupPending(r) {
			dest = "/staff/admin/start"
		}
	}
	http.Redirect(w, r, dest, http.StatusSeeOther)
	return nil
}

func (p *pageServer) toStaff(w http.ResponseWriter, r *http.Request, v *view) error {
	http.Redirect(w, r, "/staff/", http.StatusMovedPermanently)
	return nil
}
