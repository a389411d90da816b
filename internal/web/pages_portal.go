package web

import (
	"fmt"
	"html/template"
	"mashang/internal/docket"
	"net/http"
	"strings"

	"mashang/internal/publication"
	"mashang/internal/reports"
)

// The public portal: the exposure list (曝光台), the exemplars
// ("马上就办"典型), the published statistics with charts, and the channels
// to report. Only approved and published items are ever shown; any other
// id answers 404 exactly as a missing one. Each page answers JSON instead
// when the client sends Accept: application/json (the same as the
// /api/v1/public/... twins).

// wantsJSON reports whether the client asked for JSON rather than a page.
func wantsJSON(r *http.Request) bool {
	a := r.Header.Get("Accept")
	return strings.Contains(a, "application/json") && !strings.Contains(a, "text/html")
}

type portalListPage struct {
	Kind     string
	Items    []publication.Public
	Channels channelData
}

type portalItemPage struct {
	Item     publication.Public
	Paras    []string
	Channels channelData
}

// paragraphs splits a public text at blank lines and line breaks.
func paragraphs(body string) []string {
	var out []string
	for _, l := range strings.Split(strings.ReplaceAll(body, "\r\n", "\n"), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

type portalStatsPage struct {
	Stats      reports.PublicStats
	Monthly    template.HTML
	ByCategory template.HTML
	ByMethod   template.HTML
	Channels   channelData
	Rows       []portalStatRow
	// Offices to choose from (a deployment of several), and the breakdown
	// by the offices below the one shown.
	Offices  []officeChoice
	ByOffice []reports.OfficeCount
}

type portalStatRow struct {
	Label string
	Value string
}

func (p *pageServer) portalList(kind string) pageFunc {
	return func(w http.ResponseWriter, r *http.Request, v *view) error {
		items, err := p.s.app.Publications.Published(r.Context(), kind, 0)
		if err != nil {
			return err
		}
		if wantsJSON(r) {
			writeJSON(w, http.StatusOK, map[string]any{"items": items})
			return nil
		}
		v.Title = p.T(v.Lang, "portal."+kind+"s")
		words, err := p.homeWords(r.Context())
		if err != nil {
			return err
		}
		return p.render(w, http.StatusOK, v, "portal_list", portalListPage{Kind: kind, Items: items, Channels: words.Channels})
	}
}

func (p *pageServer) portalItem(kind string) pageFunc {
	return func(w http.ResponseWriter, r *http.Request, v *view) error {
		id, err := pathID(r, "id")
		var it publication.Public
		if err != nil {
			err = publication.ErrNotFound
		} else {
			it, err = p.s.app.Publications.PublishedItem(r.Context(), kind, id)
		}
		if wantsJSON(r) {
			if err != nil {
				p.s.writeError(w, r, err)
				return nil
			}
			writeJSON(w, http.StatusOK, it)
			return nil
		}
		if err != nil {
			return err
		}
		v.Title = it.Title
		words, err := p.homeWords(r.Context())
		if err != nil {
			return err
		}
		return p.render(w, http.StatusOK, v, "portal_item", portalItemPage{Item: it, Paras: paragraphs(it.Body), Channels: words.Channels})
	}
}

func (p *pageServer) portalStats(w http.ResponseWriter, r *http.Request, v *view) error {
	st, err := p.s.publicStatsFor(r)
	if err != nil {
		return err
	}
	if wantsJSON(r) {
		writeJSON(w, http.StatusOK, st)
		return nil
	}
	lang := v.Lang
	words, err := p.homeWords(r.Context())
	if err != nil {
		return err
	}
	cat, err := p.s.publicNames(r.Context(), st.Office)
	if err != nil {
		return err
	}
	var months []string
	for _, m := range st.Months {
		months = append(months, m.Month[2:])
	}
	var series []reports.Series
	for _, ch := range docket.Channels {
		s := reports.Series{Label: ch.Label(lang)}
		any := false
		for _, m := range st.Months {
			s.Values = append(s.Values, m.ByChannel[string(ch)])
			any = any || m.ByChannel[string(ch)] > 0
		}
		if any {
			series = append(series, s)
		}
	}
	catName := map[string]string{}
	for _, s := range cat.Situations {
		catName[s.Category] = s.Category + " " + s.CategoryName.In(lang)
	}
	var cats []reports.Bar
	for _, c := range st.ByCategory {
		l := catName[c.Key]
		if l == "" {
			l = p.T(lang, "portal.uncategorised")
		}
		cats = append(cats, reports.Bar{Label: l, N: c.N})
	}
	var methods []reports.Bar
	for _, c := range st.ByMethod {
		l := c.Key
		if g, ok := cat.Group(c.Key); ok {
			l = g.Names.In(lang)
		}
		methods = append(methods, reports.Bar{Label: l, N: c.N})
	}
	pct := func(f float64) string { return fmt.Sprintf("%.1f%%", 100*f) }
	pg := portalStatsPage{
		Stats:      st,
		Monthly:    reports.StackedColumns(p.T(lang, "portal.monthly"), months, series),
		ByCategory: reports.HBars(p.T(lang, "portal.by_category"), cats),
		ByMethod:   reports.HBars(p.T(lang, "portal.by_method"), methods),
		Channels:   words.Channels,
		Rows: []portalStatRow{
			{p.T(lang, "portal.received"), fmt.Sprint(st.Received)},
			{p.T(lang, "portal.accepted"), fmt.Sprint(st.Accepted)},
			{p.T(lang, "portal.concluded"), fmt.Sprint(st.Concluded)},
			{p.T(lang, "portal.on_time"), fmt.Sprintf("%d（%s）", st.ConcludedOnTime, pct(st.OnTimeShare))},
			{p.T(lang, "portal.verified_share"), pct(st.VerifiedShare)},
			{p.T(lang, "portal.decisions"), fmt.Sprint(st.Decisions)},
		},
	}
	if t, err := p.s.app.Offices.Tree(r.Context()); err == nil && len(t.All()) > 1 {
		for _, o := range t.All() {
			pg.Offices = append(pg.Offices, officeChoice{Code: o.Code, Name: p.zhText(o.Name, lang)})
		}
	}
	for _, c := range st.ByOffice {
		c.Name = p.zhText(c.Name, lang)
		pg.ByOffice = append(pg.ByOffice, c)
	}
	v.Title = p.T(lang, "portal.stats")
	return p.render(w, http.StatusOK, v, "portal_stats", pg)
}

// portalHome sends /public/ to the exposure list.
func (p *pageServer) portalHome(w http.ResponseWriter, r *http.Request, v *view) error {
	http.Redirect(w, r, "/public/exposures", http.StatusSeeOther)
	return nil
}
