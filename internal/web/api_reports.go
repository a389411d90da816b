package web

import (
	"fmt"
	"mashang/internal/access"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"mashang/internal/civil"
	"mashang/internal/problem"
	"mashang/internal/reports"
	"mashang/internal/search"
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

// reportPeriod reads the period of a report: ?month=YYYY-MM, or ?from=&to=
// (a bad date, a missing end, or an end before the start: 422).
func (s *Server) reportPeriod(r *http.Request) (civil.Date, civil.Date, error) {
	if m := r.URL.Query().Get("month"); m != "" {
		from, to, err := reports.MonthBounds(m)
		if err != nil {
			return civil.Date{}, civil.Date{}, problem.Malformed("invalid_month", "month 应为 YYYY-MM 格式", "month must be in the form YYYY-MM")
		}
		return from, to, nil
	}
	from, err := queryDate(r, "from")
	if err != nil {
		return civil.Date{}, civil.Date{}, err
	}
	to, err := queryDate(r, "to")
	if err != nil {
		return civil.Date{}, civil.Date{}, err
	}
	if err := reports.CheckPeriod(from, to); err != nil {
		return civil.Date{}, civil.Date{}, err
	}
	return from, to, nil
}

// reportSummary answers GET /api/v1/reports/summary: the leading group's
// report for a month or any period, as JSON, HTML, XLSX or PDF.
func (s *Server) reportSummary(w http.ResponseWriter, r *http.Request) error {
	format, err := reportFormat(r, "json", "json", "html", "xlsx", "pdf")
	if err != nil {
		return err
	}
	from, to, err := s.reportPeriod(r)
	if err != nil {
		return err
	}
	pr, o, t, err := s.officeScope(r, me(r))
	if err != nil {
		return err
	}
	names, err := s.app.Catalogs.Names(r.Context(), pr)
	if err != nil {
		return err
	}
	sum, err := s.app.Reports.Summary(r.Context(), pr, names, from, to)
	if err != nil {
		return err
	}
	if len(t.All()) > 1 {
		sum.Office, sum.OfficeName = o.Code, o.Name
		if sum.ByOffice, err = s.lowerOffices(r, t, o, s.app.Policy.Cases(pr, access.ReportSummary).ForFigures(), from, to); err != nil {
			return err
		}
	}
	name := fmt.Sprintf("report-%s-%s", from, to)
	switch format {
	case "xlsx":
		b, err := reports.SummaryXLSX(sum)
		if err != nil {
			return err
		}
		writeDownload(w, xlsxType, name+".xlsx", b)
		return nil
	case "html", "pdf":
		page, err := s.app.Reports.SummaryHTML(sum)
		if err != nil {
			return err
		}
		return s.writeReport(w, r, format, page, name)
	}
	writeJSON(w, http.StatusOK, sum)
	return nil
}

const xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// exportCases answers GET /api/v1/cases/export?format=csv|xlsx with the
// same filters as the case list (and the same visibility: a liaison gets
// its unit's cases only). CSV is UTF-8 with a BOM. Every matching case is
// exported, without a row limit: rows are streamed to the client page by
// page as the list reads them (keyset pages of search.ExportPage), so memory
// stays flat however many there are. An error before the first byte is an
// ordinary error answer; one after it aborts the response, so that a
// client never takes a cut-short file for a whole one.
func (s *Server) exportCases(w http.ResponseWriter, r *http.Request) error {
	format, err := reportFormat(r, "csv", "csv", "xlsx")
	if err != nil {
		return err
	}
	v := r.URL.Query()
	v.Del("format")
	v.Del("cursor")
	v.Del("limit")
	q, err := search.ParseListQuery(v)
	if err != nil {
		return err
	}
	q.Limit = search.ExportPage
	page, err := s.app.Search.Export(r.Context(), me(r), q)
	if err != nil {
		return err
	}
	name := "cases-" + civil.In(s.app.Clock.Now(), s.app.Loc).String()
	h := w.Header()
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name + "." + format}))
	h.Set("Cache-Control", "private, no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	var out reports.RowWriter
	if format == "xlsx" {
		h.Set("Content-Type", xlsxType)
		out, err = reports.NewXLSX(w, reports.ExportSheet, reports.ExportHeader)
	} else {
		h.Set("Content-Type", "text/csv; charset=utf-8")
		out, err = reports.NewCSV(w, reports.ExportHeader)
	}
	abort := func(err error) {
		s.log.Error("case export cut short; response aborted", "id", requestID(r), "rows", out.Rows(), "err", err)
		panic(http.ErrAbortHandler)
	}
	if err != nil {
		abort(err)
	}
	for {
		for _, c := range page.Cases {
			if err := out.Write(reports.ExportRow(c, s.app.Loc)); err != nil {
				abort(err)
			}
		}
		if page.Next == nil || *page.Next == "" {
			break
		}
		q.Cursor = *page.Next
		if page, err = s.app.Search.Export(r.Context(), me(r), q); err != nil {
			abort(err)
		}
	}
	if err := out.Close(); err != nil {
		abort(err)
	}
	return nil
}
