package web

import (
	"fmt"
	"net/http"
	"strconv"
)

// The formal notices of a case (受理、不予受理、转送告知书, 处理意见书): their
// list, and each as a printable letter (HTML, or PDF for the post). The
// reporter's copy (?copy=reporter) bears the reporter's name.

// listCaseNotices: GET /api/v1/cases/{id}/notices (staff).
func (s *Server) listCaseNotices(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	list, err := s.app.Letters.List(r.Context(), me(r), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"notices": list})
	return nil
}

// caseNotice: GET /api/v1/cases/{id}/notices/{nid}/{format} (html or pdf).
func (s *Server) caseNotice(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	nid, err := pathID(r, "nid")
	if err != nil {
		return err
	}
	reporterCopy := r.URL.Query().Get("copy") == "reporter"
	switch r.PathValue("format") {
	case "html":
		b, _, err := s.app.Letters.HTML(r.Context(), me(r), id, nid, reporterCopy)
		if err != nil {
			return err
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.Write(b)
	case "pdf":
		b, n, err := s.app.Letters.PDF(r.Context(), me(r), id, nid, reporterCopy)
		if err != nil {
			return err
		}
		w.Header().Set("Content-Type", "application/pdf")
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Content-Disposition", fmt.Sprintf(`inline; filename="notice-%d-%s.pdf"`, id, n.Kind))
		w.Header().Set("Content-Length", strconv.Itoa(len(b)))
		w.Write(b)
	default:
		return errBadID
	}
	return nil
}
