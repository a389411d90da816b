// Package reports makes the leading group's reports (monthly and for any
// period: intake, handling times, overdue by unit, findings, decisions,
// inspections, satisfaction) as JSON, XLSX and PDF, the inspection report,
// and the case-list exports (CSV with a BOM, XLSX). PDFs are printed from
// our own HTML by headless Chromium.
package reports

import (
	"context"
	"time"

	"mashang/internal/access"
	"mashang/internal/clock"
	"mashang/internal/inspection"
	"mashang/internal/problem"
	"mashang/internal/store"
)

// Service makes reports.
type Service struct {
	db          *store.DB
	pol         *access.Policy
	clock       clock.Clock
	loc         *time.Location
	render      *Renderer
	pdf         *PDFPrinter
	inspections *inspection.Service
}

// NewService returns the report service; pdf may be nil (no PDF output).
func NewService(db *store.DB, pol *access.Policy, c clock.Clock, loc *time.Location, insp *inspection.Service, pdf *PDFPrinter) (*Service, error) {
	if loc == nil {
		loc = time.UTC
	}
	r, err := NewRenderer(loc)
	if err != nil {
		return nil, err
	}
	return &Service{db: db, pol: pol, clock: c, loc: loc, render: r, pdf: pdf, inspections: insp}, nil
}

// ErrPDFUnavailable is the 503 answered for a PDF when Chromium is missing.
var ErrPDFUnavailable = &problem.Error{Kind: problem.KindUnavailable, Code: "pdf_unavailable",
	ZH: "无法生成 PDF：服务器未安装 Chromium（请安装 chromium 软件包），可改用 HTML 或 XLSX 格式",
	EN: "PDF output is unavailable: Chromium is not installed on the server (install the chromium package); use the HTML or XLSX format instead"}

// PDF prints an HTML page, or answers ErrPDFUnavailable.
func (s *Service) PDF(ctx context.Context, html []byte) ([]byte, error) {
	if !s.pdf.Available() {
		return nil, ErrPDFUnavailable
	}
	return s.pdf.Print(ctx, html)
}

// InspectionHTML renders an inspection's report.
func (s *Service) InspectionHTML(in inspection.Inspection) ([]byte, error) {
	return s.render.InspectionHTML(in, s.clock.Now())
}

// SummaryHTML renders the summary report as a page (printed to PDF as is).
func (s *Service) SummaryHTML(sum Summary) ([]byte, error) {
	return s.render.render("summary_report.html", struct {
		S           Summary
		Overview    [][2]any
		GeneratedAt time.Time
	}{sum, OverviewRows(sum), s.clock.Now()})
}

// SetPDFPrinter replaces the PDF printer (nil: no PDF output, 503).
func (s *Service) SetPDFPrinter(p *PDFPrinter) { s.pdf = p }
