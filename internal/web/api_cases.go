package web

import (
	"net/http"
	"strconv"

	"mashang/internal/accountability"
	"mashang/internal/calendar"
	"mashang/internal/cases"
	"mashang/internal/docket"
	"mashang/internal/problem"
)

// Case handling: the case, actions, the reporter's review and rating, the
// calendar and supervision notices.

// caseAnswer is a case as the API answers it: the case and the
// accountability decisions recorded on it (part of the case for whoever
// may read it, as CONTRACT.md has it).
type caseAnswer struct {
	*cases.Case
	Decisions []accountability.Decision `json:"decisions"`
}

func (s *Server) writeCase(w http.ResponseWriter, r *http.Request, c *cases.Case) error {
	ds, err := s.app.Accountability.DecisionsForCase(r.Context(), c.ID)
	if err != nil {
		return err
	}
	if ds == nil {
		ds = []accountability.Decision{}
	}
	writeJSON(w, http.StatusOK, caseAnswer{Case: c, Decisions: ds})
	return nil
}

func (s *Server) getCase(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	c, err := s.app.Cases.Get(r.Context(), me(r), id)
	if err != nil {
		return err
	}
	return s.writeCase(w, r, c)
}

func (s *Server) caseAction(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in cases.ActionInput
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	c, err := s.app.Cases.Act(r.Context(), me(r), id, in)
	if err != nil {
		return err
	}
	return s.writeCase(w, r, c)
}

func (s *Server) trackReview(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Receipt string `json:"receipt"`
		Key     string `json:"key"`
		Reason  string `json:"reason"`
	}
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	res, err := s.app.Cases.RequestReview(r.Context(), clientAddr(r), in.Receipt, in.Key, in.Reason)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, res)
	return nil
}

func (s *Server) trackRating(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Receipt string        `json:"receipt"`
		Key     string        `json:"key"`
		Rating  docket.Rating `json:"rating"`
	}
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	if err := s.app.Cases.Rate(r.Context(), clientAddr(r), in.Receipt, in.Key, in.Rating); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]docket.Rating{"rating": in.Rating})
	return nil
}

func (s *Server) listCalendarYears(w http.ResponseWriter, r *http.Request) error {
	ys, err := s.app.Cases.CalendarYears(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"years": ys})
	return nil
}

func (s *Server) importCalendarYear(w http.ResponseWriter, r *http.Request) error {
	b, err := readRaw(w, r, calendar.MaxImportSize)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	opts := cases.CalendarOptions{Force: q.Get("force") == "true", DryRun: q.Get("dry_run") == "true"}
	res, err := s.app.Cases.ImportCalendarWith(r.Context(), me(r), b, opts)
	if err != nil {
		return err
	}
	st := http.StatusCreated
	if opts.DryRun {
		st = http.StatusOK
	}
	writeJSON(w, st, res)
	return nil
}

func (s *Server) listNotices(w http.ResponseWriter, r *http.Request) error {
	limit := 0
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return problem.Invalid("limit", "invalid_limit", "limit 应在 1 到 1000 之间", "limit must be between 1 and 1000")
		}
		limit = n
	}
	ns, err := s.app.Cases.Notices(r.Context(), me(r), r.URL.Query().Get("unread") == "1" || r.URL.Query().Get("unread") == "true", limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"notices": ns})
	return nil
}

func (s *Server) readNotice(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := s.app.Cases.MarkNoticeRead(r.Context(), me(r), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) runSweep(w http.ResponseWriter, r *http.Request) error {
	res, err := s.app.Cases.Sweep(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}
