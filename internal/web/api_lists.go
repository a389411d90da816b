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

// getStats answers GET /api/v1/stats?from=&to=&office= (see package stats). Without
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
	// ?office=CODE: that office (one's own or one below it) with all the
	// offices below it.
	pr, _, _, err := s.officeScope(r, me(r))
	if err != nil {
		return err
	}
	rep, err := s.app.Stats.Compute(r.Context(), pr, from, to)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rep)
	return nil
}
