package web

import (
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"mashang/internal/problem"
)

// reportFormat reads ?format=, one of allowed (def when absent).
func reportFormat(r *http.Request, def string, allowed ...string) (string, error) {
	f := strings.ToLower(r.URL.Query().Get("format"))
	if f == "" {
		return def, nil
	}
	if !slices.Contains(allowed, f) {
		return "", problem.Invalid("format", "invalid_format", "格式应为："+strings.Join(allowed, "、"), "format must be one of: "+strings.Join(allowed, ", "))
	}
	return f, nil
}

// writeReport answers an HTML report page as HTML or printed to PDF.
func (s *Server) writeReport(w http.ResponseWriter, r *http.Request, format string, page []byte, name string) error {
	if format == "pdf" {
		pdf, err := s.app.Reports.PDF(r.Context(), page)
		if err != nil {
			return err
		}
		writeDownload(w, "application/pdf", name+".pdf", pdf)
		return nil
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "private, no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:")
	w.Write(page)
	return nil
}

// writeDownload answers a file to save.
func writeDownload(w http.ResponseWriter, ctype, filename string, body []byte) {
	h := w.Header()
	h.Set("Content-Type", ctype)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": filename}))
	h.Set("Cache-Control", "private, no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.Write(body)
}
