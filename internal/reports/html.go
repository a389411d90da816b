package reports

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"time"

	"mashang/internal/inspection"
)

//go:embed templates/*.html
var templateFiles embed.FS

// Templates are the report pages, parsed once by NewRenderer.
type Renderer struct {
	t   *template.Template
	loc *time.Location
}

// NewRenderer parses the report templates; times are shown in loc.
func NewRenderer(loc *time.Location) (*Renderer, error) {
	if loc == nil {
		loc = time.UTC
	}
	r := &Renderer{loc: loc}
	funcs := template.FuncMap{
		"instant": func(t time.Time) string { return t.In(loc).Format("2006-01-02 15:04") },
		"pct": func(n, d int) string {
			if d == 0 {
				return "—"
			}
			return fmt.Sprintf("%.1f%%", 100*float64(n)/float64(d))
		},
		"days": func(f float64) string { return fmt.Sprintf("%.1f", f) },
	}
	t, err := template.New("").Funcs(funcs).ParseFS(templateFiles, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("reports: templates: %w", err)
	}
	r.t = t
	return r, nil
}

func (r *Renderer) render(name string, data any) ([]byte, error) {
	var b bytes.Buffer
	if err := r.t.ExecuteTemplate(&b, name, data); err != nil {
		return nil, fmt.Errorf("reports: render %s: %w", name, err)
	}
	return b.Bytes(), nil
}

// InspectionPage is what the inspection report shows.
type InspectionPage struct {
	Inspection  inspection.Inspection
	GeneratedAt time.Time
	// Tally counts, per checklist item, the answers given across visits.
	Tally []TallyRow
}

// TallyRow is one checklist item with the count of each option.
type TallyRow struct {
	Label  string
	Counts []OptionCount
}

// OptionCount is how often an option was answered.
type OptionCount struct {
	Option string
	N      int
}

// InspectionHTML renders the inspection report: plan, checklist tally,
// visits with answers and notes, findings and the cases they opened.
func (r *Renderer) InspectionHTML(in inspection.Inspection, now time.Time) ([]byte, error) {
	pg := InspectionPage{Inspection: in, GeneratedAt: now}
	for _, c := range in.Checklist {
		row := TallyRow{Label: c.Label}
		for _, o := range c.Options {
			n := 0
			for _, v := range in.Visits {
				if v.Answers[c.Key] == o {
					n++
				}
			}
			row.Counts = append(row.Counts, OptionCount{o, n})
		}
		pg.Tally = append(pg.Tally, row)
	}
	return r.render("inspection_report.html", pg)
}
