package web

import (
	"net/http"
	"strconv"

	"mashang/internal/auth"
	"mashang/internal/org"
	"mashang/internal/problem"
)

func (s *Server) listUnits(w http.ResponseWriter, r *http.Request) error {
	us, err := s.app.Org.Units(r.Context())
	if err != nil {
		return err
	}
	if us == nil {
		us = []org.Unit{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"units": us})
	return nil
}

func (s *Server) createUnit(w http.ResponseWriter, r *http.Request) error {
	var in org.UnitInput
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	u, err := s.app.Org.CreateUnit(r.Context(), me(r), in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/units/"+u.Code)
	writeJSON(w, http.StatusCreated, u)
	return nil
}

func (s *Server) getUnit(w http.ResponseWriter, r *http.Request) error {
	u, err := s.app.Org.Unit(r.Context(), r.PathValue("code"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, u)
	return nil
}

func (s *Server) updateUnit(w http.ResponseWriter, r *http.Request) error {
	var in org.UnitInput
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	if in.Code != "" && in.Code != r.PathValue("code") {
		return problem.Invalid("code", "code_immutable", "单位代码不能修改", "a unit's code cannot be changed")
	}
	u, err := s.app.Org.UpdateUnit(r.Context(), me(r), r.PathValue("code"), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, u)
	return nil
}

func (s *Server) listPeople(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := org.PeopleFilter{Unit: q.Get("unit"), Query: q.Get("q")}
	if v := q.Get("after"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return problem.Malformed("invalid_cursor", "after 应为人员编号", "after must be a person id")
		}
		f.After = n
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			return problem.Invalid("limit", "invalid_limit", "limit 应在 1 到 500 之间", "limit must be between 1 and 500")
		}
		f.Limit = n
	}
	ps, err := s.app.Org.People(r.Context(), f)
	if err != nil {
		return err
	}
	if ps == nil {
		ps = []org.Person{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"people": ps})
	return nil
}

func (s *Server) createPerson(w http.ResponseWriter, r *http.Request) error {
	var in org.PersonInput
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	p, err := s.app.Org.CreatePerson(r.Context(), me(r), in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/people/"+strconv.FormatInt(p.ID, 10))
	writeJSON(w, http.StatusCreated, p)
	return nil
}

func (s *Server) getPerson(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	p, err := s.app.Org.Person(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

func (s *Server) updatePerson(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in org.PersonInput
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	p, err := s.app.Org.UpdatePerson(r.Context(), me(r), id, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

func (s *Server) importOrg(w http.ResponseWriter, r *http.Request) error {
	b, err := readRaw(w, r, org.MaxImportBytes)
	if err != nil {
		return err
	}
	res, err := s.app.Org.Import(r.Context(), me(r), b)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

type userRequest struct {
	Username string    `json:"username"`
	Password string    `json:"password"`
	Role     auth.Role `json:"role"`
	Unit     string    `json:"unit"`
	Office   string    `json:"office"`
	Email    string    `json:"email"`
	Phone    string    `json:"phone"`
	// DisplayName is the name colleagues know ("": the username).
	DisplayName string `json:"display_name"`
}

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request) error {
	us, err := s.app.Auth.ListUsers(r.Context())
	if err != nil {
		return err
	}
	if us == nil {
		us = []auth.User{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"users": us})
	return nil
}

func (s *Server) createUser(w http.ResponseWriter, r *http.Request) error {
	var req userRequest
	if err := s.decodeJSON(w, r, &req); err != nil {
		return err
	}
	email, phone, err := auth.CheckContact(req.Email, req.Phone)
	if err != nil {
		return err
	}
	u, err := s.app.Auth.Add(r.Context(), me(r), auth.NewUser{Username: req.Username, Password: req.Password, Role: req.Role, Unit: req.Unit, Office: req.Office, DisplayName: req.DisplayName})
	if err != nil {
		return err
	}
	if email != "" || phone != "" {
		if err := s.app.Auth.SetContact(r.Context(), me(r), u.ID, &email, &phone); err != nil {
			return err
		}
		u.Email, u.Phone = email, phone
	}
	writeJSON(w, http.StatusCreated, u)
	return nil
}

type userPatch struct {
	Role     *auth.Role `json:"role"`
	Unit     *string    `json:"unit"`
	Office   *string    `json:"office"`
	Disabled *bool      `json:"disabled"`
	Email    *string    `json:"email"`
	Phone    *string    `json:"phone"`
	// DisplayName is the name colleagues know ("": the username).
	DisplayName *string `json:"display_name"`
}

func (s *Server) updateUser(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var p userPatch
	if err := s.decodeJSON(w, r, &p); err != nil {
		return err
	}
	if p.Email != nil || p.Phone != nil {
		e, ph := "", ""
		if p.Email != nil {
			e = *p.Email
		}
		if p.Phone != nil {
			ph = *p.Phone
		}
		if _, _, err := auth.CheckContact(e, ph); err != nil {
			return err
		}
	}
	if p.DisplayName != nil {
		if _, err := auth.CheckDisplayName(*p.DisplayName); err != nil {
			return err
		}
	}
	if err := s.app.Auth.UpdateUser(r.Context(), me(r), id, p.Role, p.Unit, p.Disabled); err != nil {
		return err
	}
	if p.Office != nil {
		if err := s.app.Auth.SetUserOffice(r.Context(), me(r), id, *p.Office); err != nil {
			return err
		}
	}
	if err := s.app.Auth.SetContact(r.Context(), me(r), id, p.Email, p.Phone); err != nil {
		return err
	}
	if p.DisplayName != nil {
		if err := s.app.Auth.SetDisplayName(r.Context(), me(r), id, *p.DisplayName); err != nil {
			return err
		}
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
