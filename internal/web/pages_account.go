package web

import (
	"net/http"

	"mashang/internal/auth"
	"mashang/internal/problem"
)

type accountPage struct {
	Failures []auth.Failure
}

var errPasswordsDiffer = problem.Invalid("confirm", "passwords_differ", "两次输入的新密码不一致", "the two new passwords differ")

// account is the staff member's own page: change the password, see the
// failed sign-ins of the last week.
func (p *pageServer) account(w http.ResponseWriter, r *http.Request, v *view) error {
	return p.renderAccount(w, r, v, http.StatusOK)
}

func (p *pageServer) renderAccount(w http.ResponseWriter, r *http.Request, v *view, st int) error {
	pr := me(r)
	if pr.MustChangePassword && v.Error == "" && v.Flash == "" {
		v.Flash = p.T(v.Lang, "account.must_change")
	}
	fs, err := p.s.app.Auth.RecentFailures(r.Context(), pr.UserID)
	if err != nil {
		return err
	}
	return p.render(w, st, v, "account", accountPage{Failures: fs})
}

// accountPassword changes the password; the change ends every session of
// the user, so this browser is given a fresh one.
func (p *pageServer) accountPassword(w http.ResponseWriter, r *http.Request, v *view) error {
	pr := me(r)
	old, pw := r.PostFormValue("old"), r.PostFormValue("new")
	var err error
	switch {
	case pw == "":
		err = problem.Required("new")
	case pw != r.PostFormValue("confirm"):
		err = errPasswordsDiffer
	default:
		err = p.s.app.Auth.ChangePassword(r.Context(), pr.UserID, old, pw, clientAddr(r))
	}
	if err != nil {
		st, ferr := p.formError(r, v, err)
		if ferr != nil {
			return ferr
		}
		return p.renderAccount(w, r, v, st)
	}
	tok, exp, err := p.s.app.Auth.IssueSession(r.Context(), pr.UserID)
	if err != nil {
		return err
	}
	maxAge := int(exp.Sub(p.s.app.Clock.Now()).Seconds())
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: tok, Path: "/", MaxAge: maxAge, HttpOnly: true, Secure: p.secure(r), SameSite: http.SameSiteLaxMode})
	v.CSRF = csrfFor(tok) // the forms on the page answer to the new session
	pr.MustChangePassword = false
	v.User = &pr
	v.Flash = p.T(v.Lang, "account.changed")
	return p.renderAccount(w, r.WithContext(WithPrincipal(r.Context(), pr)), v, http.StatusOK)
}
