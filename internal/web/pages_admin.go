package web

import (
	"io"
	"net/http"
	"strconv"
	"strings"

	"mashang/internal/auth"
	"mashang/internal/org"
	"mashang/internal/problem"
)

type adminUnitsPage struct {
	Units []org.Unit
	Kinds []string
	Form  map[string]string
}

type adminPeoplePage struct {
	People []org.Person
	Units  []org.Unit
	Q      string
	Unit   string
	Form   map[string]string
}

type adminUsersPage struct {
	Users []auth.User
	Units []org.Unit
	Roles []auth.Role
	Form  map[string]string
	// OTPURI is shown once after enrolling a user in TOTP.
	OTPURI  string
	OTPUser string
	// ResetPassword is the one-time password of ResetUser, shown once.
	ResetPassword, ResetUser string
}

func formMap(r *http.Request, names ...string) map[string]string {
	m := map[string]string{}
	for _, n := range names {
		m[n] = strings.TrimSpace(r.PostFormValue(n))
	}
	return m
}

func (p *pageServer) adminHome(w http.ResponseWriter, r *http.Request, v *view) error {
	dest := "/staff/admin/units"
	if p.setupPending(r) {
		dest = "/staff/admin/start"
	}
	http.Redirect(w, r, dest, http.StatusSeeOther)
	return nil
}

func (p *pageServer) adminUnits(w http.ResponseWriter, r *http.Request, v *view) error {
	return p.renderUnits(w, r, v, http.StatusOK, nil)
}

func (p *pageServer) renderUnits(w http.ResponseWriter, r *http.Request, v *view, st int, form map[string]string) error {
	us, err := p.s.app.Org.Units(r.Context())
	if err != nil {
		return err
	}
	if form == nil {
		form = map[string]string{}
	}
	return p.render(w, st, v, "admin_units", adminUnitsPage{Units: us, Kinds: org.Kinds, Form: form})
}

// afterForm re-renders a form with the problem shown, or redirects with a note.
func (p *pageServer) failed(r *http.Request, v *view, err error) (int, error) {
	st, ferr := p.formError(r, v, err)
	return st, ferr
}

func (p *pageServer) adminUnitSave(w http.ResponseWriter, r *http.Request, v *view) error {
	f := formMap(r, "code", "name", "parent", "kind", "mode")
	in := org.UnitInput{Code: f["code"], Name: f["name"], Kind: f["kind"]}
	if f["parent"] != "" || f["mode"] == "update" {
		parent := f["parent"]
		in.Parent = &parent
	}
	var err error
	if f["mode"] == "update" {
		if f["parent"] == "" {
			in.Parent = nil
		}
		_, err = p.s.app.Org.UpdateUnit(r.Context(), me(r), f["code"], in)
	} else {
		_, err = p.s.app.Org.CreateUnit(r.Context(), me(r), in)
	}
	if err != nil {
		st, ferr := p.failed(r, v, err)
		if ferr != nil {
			return ferr
		}
		return p.renderUnits(w, r, v, st, f)
	}
	v.Flash = p.T(v.Lang, "common.saved")
	return p.renderUnits(w, r, v, http.StatusOK, nil)
}

// adminImport takes a CSV of units or people (UTF-8 or GBK).
func (p *pageServer) adminImport(w http.ResponseWriter, r *http.Request, v *view) error {
	fh, _, err := r.FormFile("file")
	if err != nil {
		st, _ := p.failed(r, v, problem.Required("file"))
		return p.renderUnits(w, r, v, st, nil)
	}
	defer fh.Close()
	b, err := io.ReadAll(io.LimitReader(fh, org.MaxImportBytes+1))
	if err != nil {
		return err
	}
	res, err := p.s.app.Org.Import(r.Context(), me(r), b)
	if err != nil {
		st, ferr := p.failed(r, v, err)
		if ferr != nil {
			return ferr
		}
		return p.renderUnits(w, r, v, st, nil)
	}
	v.Flash = p.T(v.Lang, "admin.imported_"+res.Kind) + " " + strconv.Itoa(res.Created) + " / " + strconv.Itoa(res.Updated)
	return p.renderUnits(w, r, v, http.StatusOK, nil)
}

func (p *pageServer) adminPeople(w http.ResponseWriter, r *http.Request, v *view) error {
	return p.renderPeople(w, r, v, http.StatusOK, nil)
}

func (p *pageServer) renderPeople(w http.ResponseWriter, r *http.Request, v *view, st int, form map[string]string) error {
	q := r.URL.Query()
	ps, err := p.s.app.Org.People(r.Context(), org.PeopleFilter{Query: q.Get("q"), Unit: q.Get("unit"), Limit: 200})
	if err != nil {
		if _, ok := problem.As(err); !ok {
			return err
		}
		v.Error = p.s.message(r, mustProblem(err))
	}
	us, err := p.s.app.Org.Units(r.Context())
	if err != nil {
		return err
	}
	if form == nil {
		form = map[string]string{}
	}
	return p.render(w, st, v, "admin_people", adminPeoplePage{People: ps, Units: us, Q: q.Get("q"), Unit: q.Get("unit"), Form: form})
}

func mustProblem(err error) *problem.Error {
	pe, _ := problem.As(err)
	return pe
}

func (p *pageServer) adminPersonSave(w http.ResponseWriter, r *http.Request, v *view) error {
	f := formMap(r, "id", "name", "unit", "position", "rank", "active")
	pos, rank := f["position"], f["rank"]
	in := org.PersonInput{Name: f["name"], Unit: f["unit"], Position: &pos, Rank: &rank}
	var err error
	if f["id"] != "" {
		id, perr := strconv.ParseInt(f["id"], 10, 64)
		if perr != nil {
			return errBadID
		}
		active := f["active"] != "no"
		in.Active = &active
		_, err = p.s.app.Org.UpdatePerson(r.Context(), me(r), id, in)
	} else {
		_, err = p.s.app.Org.CreatePerson(r.Context(), me(r), in)
	}
	if err != nil {
		st, ferr := p.failed(r, v, err)
		if ferr != nil {
			return ferr
		}
		return p.renderPeople(w, r, v, st, f)
	}
	v.Flash = p.T(v.Lang, "common.saved")
	return p.renderPeople(w, r, v, http.StatusOK, nil)
}

func (p *pageServer) adminUsers(w http.ResponseWriter, r *http.Request, v *view) error {
	return p.renderUsers(w, r, v, http.StatusOK, adminUsersPage{})
}

func (p *pageServer) renderUsers(w http.ResponseWriter, r *http.Request, v *view, st int, d adminUsersPage) error {
	var err error
	if d.Users, err = p.s.app.Auth.ListUsers(r.Context()); err != nil {
		return err
	}
	if d.Units, err = p.s.app.Org.Units(r.Context()); err != nil {
		return err
	}
	d.Roles = auth.Roles
	if d.Form == nil {
		d.Form = map[string]string{}
	}
	return p.render(w, st, v, "admin_users", d)
}

func (p *pageServer) adminUserSave(w http.ResponseWriter, r *http.Request, v *view) error {
	f := formMap(r, "id", "username", "role", "unit", "disabled", "totp", "reset", "display_name")
	var err error
	d := adminUsersPage{}
	switch {
	case f["id"] == "":
		_, err = p.s.app.Auth.Add(r.Context(), me(r), auth.NewUser{Username: f["username"], Password: r.PostFormValue("password"), Role: auth.Role(f["role"]), Unit: f["unit"], DisplayName: f["display_name"]})
		if err != nil {
			d.Form = f
		}
	case f["reset"] == "yes":
		id, perr := strconv.ParseInt(f["id"], 10, 64)
		if perr != nil {
			return errBadID
		}
		if d.ResetPassword, err = p.s.app.Auth.ResetPassword(r.Context(), me(r), id); err == nil {
			d.ResetUser = f["username"]
		}
	case f["totp"] == "enrol":
		d.OTPUser = f["username"]
		d.OTPURI, err = p.s.app.Auth.EnrolTOTP(r.Context(), me(r), f["username"])
	default:
		id, perr := strconv.ParseInt(f["id"], 10, 64)
		if perr != nil {
			return errBadID
		}
		role, unit, disabled := auth.Role(f["role"]), f["unit"], f["disabled"] == "yes"
		if _, has := r.PostForm["display_name"]; has {
			_, err = auth.CheckDisplayName(f["display_name"])
		}
		if err == nil {
			err = p.s.app.Auth.UpdateUser(r.Context(), me(r), id, &role, &unit, &disabled)
		}
		if _, has := r.PostForm["display_name"]; has && err == nil {
			err = p.s.app.Auth.SetDisplayName(r.Context(), me(r), id, f["display_name"])
		}
	}
	if err != nil {
		st, ferr := p.failed(r, v, err)
		if ferr != nil {
			return ferr
		}
		return p.renderUsers(w, r, v, st, d)
	}
	v.Flash = p.T(v.Lang, "common.saved")
	return p.renderUsers(w, r, v, http.StatusOK, d)
}
