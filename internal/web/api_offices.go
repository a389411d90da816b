package web

import (
	"encoding/json"
	"net/http"

	"mashang/internal/calendar"
	"mashang/internal/office"
	"mashang/internal/problem"
)

func (s *Server) listOffices(w http.ResponseWriter, r *http.Request) error {
	vs, err := s.app.Offices.Views(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"offices": vs})
	return nil
}

func (s *Server) getOffice(w http.ResponseWriter, r *http.Request) error {
	v, err := s.app.Offices.ViewOf(r.Context(), r.PathValue("code"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (s *Server) createOffice(w http.ResponseWriter, r *http.Request) error {
	var in office.Input
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	o, err := s.app.Offices.Create(r.Context(), me(r), in)
	if err != nil {
		return err
	}
	v, err := s.app.Offices.ViewOf(r.Context(), o.Code)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/offices/"+o.Code)
	writeJSON(w, http.StatusCreated, v)
	return nil
}

// officePatch is the body of PATCH /api/v1/offices/{code}: limits in the
// shape of --limits-file ({} clears them: inherit the office above's).
type officePatch struct {
	Name         *string               `json:"name"`
	Jurisdiction *string               `json:"jurisdiction"`
	Limits       *calendar.LimitsPatch `json:"limits"`
	// RuleSet: a rule set's code, "" to inherit again.
	RuleSet          *string `json:"ruleset"`
	DecisionApproval *bool   `json:"decision_approval"`
	// Calendar: the office's own days over the national calendar, in the
	// calendar file's shape ([{"date","kind":"off"|"work","name"}]); null or
	// [] to inherit the office above's again.
	Calendar json.RawMessage `json:"calendar"`
	// CatalogVersion: a loaded catalogue version, "" to inherit again.
	CatalogVersion *string `json:"catalog_version"`
}

func (s *Server) updateOffice(w http.ResponseWriter, r *http.Request) error {
	var in officePatch
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	code := r.PathValue("code")
	patch := office.Patch{Name: in.Name, Jurisdiction: in.Jurisdiction, Limits: in.Limits, RuleSet: in.RuleSet, DecisionApproval: in.DecisionApproval,
		CatalogVersion: in.CatalogVersion}
	if in.Calendar != nil {
		var days []office.DayInput
		if err := json.Unmarshal(in.Calendar, &days); err != nil {
			return problem.Invalid("calendar", "invalid_calendar", "calendar 应为日期列表：[{\"date\",\"kind\",\"name\"}]",
				`calendar must be a list of days: [{"date","kind","name"}]`)
		}
		parsed, err := office.ParseDays(days)
		if err != nil {
			return err
		}
		patch.Calendar = &parsed
	}
	if _, err := s.app.Offices.Change(r.Context(), me(r), code, patch); err != nil {
		return err
	}
	v, err := s.app.Offices.ViewOf(r.Context(), code)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}
