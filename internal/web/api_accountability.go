package web

import (
	"net/http"
	"strconv"

	"mashang/internal/accountability"
	"mashang/internal/civil"
	"mashang/internal/problem"
)

func (s *Server) createDecision(w http.ResponseWriter, r *http.Request) error {
	caseID, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in accountability.DecisionInput
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	d, err := s.app.Accountability.CreateDecision(r.Context(), me(r), caseID, in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/decisions/"+strconv.FormatInt(d.ID, 10))
	writeJSON(w, http.StatusCreated, d)
	return nil
}

func (s *Server) getDecision(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	d, err := s.app.Accountability.Decision(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

func (s *Server) approveDecision(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	d, err := s.app.Accountability.ApproveDecision(r.Context(), me(r), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

func (s *Server) fileAppeal(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in accountability.AppealInput
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	a, err := s.app.Accountability.FileAppeal(r.Context(), me(r), id, in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/appeals/"+strconv.FormatInt(a.ID, 10))
	writeJSON(w, http.StatusCreated, a)
	return nil
}

func (s *Server) appealOutcome(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in accountability.OutcomeInput
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	a, err := s.app.Accountability.DecideAppeal(r.Context(), me(r), id, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a)
	return nil
}

func (s *Server) getAppeal(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	a, err := s.app.Accountability.Appeal(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a)
	return nil
}

func queryBool(r *http.Request, name string) (bool, error) {
	switch v := r.URL.Query().Get(name); v {
	case "", "false", "0":
		return false, nil
	case "true", "1":
		return true, nil
	}
	return false, problem.Malformed("invalid_boolean", name+" 应为 true 或 false", name+" must be true or false")
}

func (s *Server) listAppeals(w http.ResponseWriter, r *http.Request) error {
	var f accountability.AppealFilter
	var err error
	if f.Overdue, err = queryBool(r, "overdue"); err != nil {
		return err
	}
	if f.Open, err = queryBool(r, "open"); err != nil {
		return err
	}
	as, err := s.app.Accountability.Appeals(r.Context(), f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"appeals": as})
	return nil
}

func (s *Server) personEligibility(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	on, err := queryDate(r, "on")
	if err != nil {
		return err
	}
	res, err := s.app.Accountability.Eligibility(r.Context(), id, on)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

type batchEligibilityRequest struct {
	On        *string `json:"on"`
	PersonIDs []int64 `json:"person_ids"`
}

func (s *Server) batchEligibility(w http.ResponseWriter, r *http.Request) error {
	var in batchEligibilityRequest
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	var on civil.Date
	if in.On != nil && *in.On != "" {
		d, err := civil.Parse(*in.On)
		if err != nil {
			return civil.NotADate("on")
		}
		on = d
	} else {
		on = s.app.Accountability.Today()
	}
	res, err := s.app.Accountability.BatchEligibility(r.Context(), on, in.PersonIDs)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"on": on, "results": res})
	return nil
}

func (s *Server) personRecord(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	rec, err := s.app.Accountability.Record(r.Context(), me(r), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rec)
	return nil
}

func (s *Server) getAccountabilitySettings(w http.ResponseWriter, r *http.Request) error {
	st, err := s.app.Accountability.Settings(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}

func (s *Server) putAccountabilitySettings(w http.ResponseWriter, r *http.Request) error {
	var in accountability.Settings
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	st, err := s.app.Accountability.SetSettings(r.Context(), me(r), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}
