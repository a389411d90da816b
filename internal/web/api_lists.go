package web

import (
	"net/http"

	"mashang/internal/civil"
	"mashang/internal/search"
)

// listCases answers GET /api/v1/cases: the staff's case lists, filtered,
// sorted, searched and paged by cursor (see package search).
func (s *Server) listCases(w http.ResponseWriter, r *http.Request) error {
	q, err := search.ParseListQuery(r.URL.Query())
	if err != nil {
		return err
	}
	page, err := s.app.Search.List(r.Context(), me(r), q)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

// getStats answers GET /api/v1/stats?from=&to= (see package stats). Without
// from, the period starts on 1 January of to's year; without to, it ends today.
func (s *Server) getStats(w http.ResponseWriter, r *http.Request) error {
	from, err := queryDate(r, "from")
	if err != nil {
		return err
	}
	to, err := queryDate(r, "to")
	if err != nil {
		return err
	}
	if to.IsZero() {
		to = civil.In(s.app.Clock.Now(), s.app.Loc)
	}
	if from.IsZero() {
		from = civil.New(to.Year, 1, 1)
	}
	rep, err := s.app.Stats.Compute(r.Context(), me(r), from, to)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rep)
	return nil
}
