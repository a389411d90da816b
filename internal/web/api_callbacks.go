package web

import (
	"net/http"

	"mashang/internal/callback"
)

// The callback list (回访): the calls clerks make after a written reply.

// listCallbacks: GET /api/v1/callbacks (clerk; director, leader, auditor read).
func (s *Server) listCallbacks(w http.ResponseWriter, r *http.Request) error {
	list, err := s.app.Callbacks.List(r.Context(), me(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"callbacks": list})
	return nil
}

// recordCallback: POST /api/v1/callbacks/{id} (clerk).
func (s *Server) recordCallback(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in callback.Input
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	out, err := s.app.Callbacks.Record(r.Context(), me(r), id, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
