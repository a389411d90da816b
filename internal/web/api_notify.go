package web

import (
	"net/http"
	"strconv"

	"mashang/internal/notify"
)

// The outbox of notifications (mail, SMS): the administrator sees what
// waits, what went and what failed (with the last error), sends a failed
// one again, and may run the sender at once.

// listOutbox: GET /api/v1/outbox?status=&limit= (admin, auditor).
func (s *Server) listOutbox(w http.ResponseWriter, r *http.Request) error {
	limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	list, err := s.app.Notify.List(r.Context(), me(r), r.URL.Query().Get("status"), limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"notifications": list})
	return nil
}

// retryNotification: POST /api/v1/outbox/{id}/retry (admin).
func (s *Server) retryNotification(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := s.app.Notify.Retry(r.Context(), me(r), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// runNotify: POST /api/v1/jobs/notify (admin) sends what is due now.
func (s *Server) runNotify(w http.ResponseWriter, r *http.Request) error {
	res, err := s.app.Notify.SendDue(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]int{"sent": res.Sent, "retried": res.Retried, "failed": res.Failed,
		"cancelled": res.Cancelled, "digests": res.Digests, "reminders": res.Reminders})
	return nil
}

// myNotifications: GET /api/v1/me/notifications (staff) — how I am told.
func (s *Server) myNotifications(w http.ResponseWriter, r *http.Request) error {
	c, err := s.app.Notify.MyChoices(r.Context(), me(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

// setMyNotifications: PUT /api/v1/me/notifications (staff)
// {"digest"?, "choices"?: {kind: "email"|"sms"|"none"}}.
func (s *Server) setMyNotifications(w http.ResponseWriter, r *http.Request) error {
	var in notify.ChoicesInput
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	c, err := s.app.Notify.SetMyChoices(r.Context(), me(r), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}
