package web

import (
	"net/http"

	"mashang/internal/auth"
	"mashang/internal/problem"
)

type passwordChange struct {
	Old string `json:"old"`
	New string `json:"new"`
}

// changeMyPassword: the signed-in staff member changes their own password
// (the current one required). Every session and token of theirs ends, the
// one of this request included.
func (s *Server) changeMyPassword(w http.ResponseWriter, r *http.Request) error {
	var in passwordChange
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	if in.New == "" {
		return problem.Required("new")
	}
	if err := s.app.Auth.ChangePassword(r.Context(), me(r).UserID, in.Old, in.New, clientAddr(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type passwordReset struct {
	Password           string `json:"password"`
	MustChangePassword bool   `json:"must_change_password"`
}

// resetPassword: an admin gives a user a one-time password, shown once.
func (s *Server) resetPassword(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	pw, err := s.app.Auth.ResetPassword(r.Context(), me(r), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, passwordReset{Password: pw, MustChangePassword: true})
	return nil
}

// userFailures: an account's failed sign-ins of the last week (admins).
func (s *Server) userFailures(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	fs, err := s.app.Auth.RecentFailures(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"failures": fs})
	return nil
}

// meView is GET /api/v1/me.
type meView struct {
	Username           string         `json:"username"`
	Role               auth.Role      `json:"role"`
	Unit               string         `json:"unit,omitempty"`
	MustChangePassword bool           `json:"must_change_password"`
	SignInFailures     []auth.Failure `json:"sign_in_failures"`
	// CSRF is the token a page signed in by cookie sends as X-CSRF-Token.
	CSRF string `json:"csrf,omitempty"`
}

func (s *Server) getMe(w http.ResponseWriter, r *http.Request) error {
	p := me(r)
	fs, err := s.app.Auth.RecentFailures(r.Context(), p.UserID)
	if err != nil {
		return err
	}
	v := meView{Username: p.Username, Role: p.Role, Unit: p.UnitCode, MustChangePassword: p.MustChangePassword, SignInFailures: fs}
	if bearer(r) == "" {
		if c, err := r.Cookie(SessionCookie); err == nil {
			v.CSRF = csrfFor(c.Value)
		}
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}
