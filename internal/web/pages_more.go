package web

import (
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"mashang/internal/access"
	"mashang/internal/accountability"
	"mashang/internal/calendar"
	"mashang/internal/cases"
	"mashang/internal/civil"
	"mashang/internal/docket"
	"mashang/internal/org"
	"mashang/internal/problem"
	"mashang/internal/reports"
	"mashang/internal/stats"
)

// bar is one bar of a server-drawn chart.
type bar struct {
	Label string
	N     int
	Y     int // top of the bar in the SVG
	W     int // width of the bar in SVG units (the longest is 380)
}

// chart is a horizontal bar chart drawn as inline SVG by the template.
type chart struct {
	ID, Title string
	Bars      []bar
	Height    int
	Bad       bool
}

func makeChart(id, title string, labels []string, values []int, bad bool) chart {
	c := chart{ID: id, Title: title, Bad: bad}
	max := 0
	for _, v := range values {
		if v > max {
			max = v
		}
	}
	for i, l := range labels {
		w := 0
		if max > 0 {
			w = values[i] * 380 / max
		}
		if values[i] > 0 && w == 0 {
			w = 1
		}
		c.Bars = append(c.Bars, bar{Label: l, N: values[i], Y: i * 24, W: w})
	}
	c.Height = len(labels)*24 + 4
	return c
}

// chartBars is how many bars a ranking chart draws; the rest make one bar.
const chartBars = 15

// unitBars ranks the units by their number of cases, most first (by name
// when equal), and draws the first n-1 with one more bar for the rest
// ("other units (k)"), so that the chart adds up to the total. A case with
// no unit counts under noUnit.
func unitBars(groups []stats.Group, n int, noUnit, others string) ([]string, []int) {
	type row struct {
		name string
		n    int
	}
	rows := make([]row, 0, len(groups))
	for _, g := range groups {
		if g.Total == 0 {
			continue
		}
		name := noUnit
		if g.UnitName != nil {
			name = *g.UnitName
		}
		rows = append(rows, row{name, g.Total})
	}
	sort.SliceStable(rows, func(i, j int) bool {
		if rows[i].n != rows[j].n {
			return rows[i].n > rows[j].n
		}
		return rows[i].name < rows[j].name
	})
	var ls []string
	var vs []int
	for i, r := range rows {
		if len(rows) > n && i == n-1 {
			rest := 0
			for _, r := range rows[i:] {
				rest += r.n
			}
			ls, vs = append(ls, fmt.Sprintf(others, len(rows)-i)), append(vs, rest)
			break
		}
		ls, vs = append(ls, r.name), append(vs, r.n)
	}
	return ls, vs
}

// mapChart draws a map's counts, biggest first, at most n bars.
func mapChart(id, title string, m map[string]int, label func(string) string, n int) chart {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if m[keys[i]] != m[keys[j]] {
			return m[keys[i]] > m[keys[j]]
		}
		return keys[i] < keys[j]
	})
	if len(keys) > n {
		keys = keys[:n]
	}
	var ls []string
	var vs []int
	for _, k := range keys {
		ls = append(ls, label(k))
		vs = append(vs, m[k])
	}
	return makeChart(id, title, ls, vs, false)
}

type overviewPage struct {
	From, To string
	Report   *stats.Report
	Charts   []chart
	Overdue  int
	// Reports is set for the roles that may download the leading group's
	// report of the period (leader, director, orgdept; admin; auditor).
	Reports bool
	// Office and OfficeName: the office shown with all below it (several
	// offices only); Offices: those the reader may choose.
	Office, OfficeName string
	Offices            []officeChoice
}

func pct(r stats.Rate) string {
	if r.Rate == nil {
		return "—"
	}
	return strconv.FormatFloat(*r.Rate*100, 'f', 1, 64) + "%"
}

// overview: counts and rates by unit, channel, situation and month, and the
// overdue cases by unit, as SVG bar charts drawn here.
func (p *pageServer) overview(w http.ResponseWriter, r *http.Request, v *view) error {
	to, err := queryDate(r, "to")
	if err != nil {
		return err
	}
	from, err := queryDate(r, "from")
	if err != nil {
		return err
	}
	if to.IsZero() {
		to = civil.In(p.s.app.Clock.Now(), p.s.app.Loc)
	}
	if from.IsZero() {
		from = civil.New(to.Year, 1, 1)
	}
	pr, o, tree, err := p.s.officeScope(r, me(r))
	if err != nil {
		return err
	}
	rep, err := p.s.app.Stats.Compute(r.Context(), pr, from, to)
	if err != nil {
		if _, ferr := p.formError(r, v, err); ferr != nil {
			return ferr
		}
		return p.render(w, statusOf[mustProblem(err).Kind], v, "overview", overviewPage{From: from.String(), To: to.String()})
	}
	t := func(k string) string { return p.T(v.Lang, k) }
	d := overviewPage{From: from.String(), To: to.String(), Report: rep, Reports: p.s.may(r, access.ReportSummary)}
	if len(tree.All()) > 1 {
		// The office shown (with all below it), the offices one may choose
		// (one's own and those below), and the breakdown by lower office.
		d.Office, d.OfficeName = o.Code, p.zhText(o.Name, v.Lang)
		mine := me(r).OfficeID
		for _, x := range tree.All() {
			if mine == 0 || x.ID == mine || tree.IsAbove(mine, x.ID) {
				d.Offices = append(d.Offices, officeChoice{Code: x.Code, Name: p.zhText(x.Name, v.Lang)})
			}
		}
		by, err := p.s.lowerOffices(r, tree, o, p.s.app.Policy.Cases(pr, access.StatsRead).ForFigures(), from, to)
		if err != nil {
			return err
		}
		if len(by) > 0 {
			var ol []string
			var ov []int
			for _, g := range by {
				name := p.zhText(g.Name, v.Lang)
				if g.Own {
					name += "（" + t("portal.office_own") + "）"
				}
				ol, ov = append(ol, name), append(ov, g.Received)
			}
			d.Charts = append(d.Charts, makeChart("by-office", t("portal.by_office"), ol, ov, false))
		}
	}
	ul, uv := unitBars(rep.ByUnit, chartBars, t("cases.no_unit"), t("overview.other_units"))
	d.Charts = append(d.Charts, makeChart("by-unit", t("overview.by_unit"), ul, uv, false))
	d.Charts = append(d.Charts, mapChart("by-channel", t("overview.by_channel"), rep.ByChannel, func(k string) string { return docket.Channel(k).Label(v.Lang) }, 12))
	names, err := p.s.app.Catalogs.Names(r.Context(), pr)
	if err != nil {
		return err
	}
	d.Charts = append(d.Charts, mapChart("by-category", t("overview.by_category"), rep.ByCategory, func(k string) string {
		for _, s := range names.Situations {
			if s.Category == k {
				return k + " " + s.CategoryName.In(v.Lang)
			}
		}
		if k == "" || k == "none" {
			return t("portal.uncategorised")
		}
		if k == "other" {
			return t("overview.other")
		}
		return k
	}, 12))
	var ml []string
	var mv []int
	for _, g := range rep.ByMonth {
		ml, mv = append(ml, g.Month), append(mv, g.Total)
	}
	d.Charts = append(d.Charts, makeChart("by-month", t("overview.by_month"), ml, mv, false))
	d.Charts = append(d.Charts, mapChart("by-state", t("overview.by_state"), rep.ByState, func(k string) string { return docket.State(k).Label(v.Lang) }, 12))
	// Overdue open cases by unit, in the same scope as the figures above.
	byUnit, err := p.s.app.Stats.OverdueByUnit(r.Context(), pr)
	if err != nil {
		return err
	}
	overdue := map[string]int{}
	for name, n := range byUnit {
		if name == "" {
			name = t("common.none")
		}
		overdue[name] += n
		d.Overdue += n
	}
	oc := mapChart("overdue-by-unit", t("overview.overdue_by_unit"), overdue, func(k string) string { return k }, 15)
	oc.Bad = true
	d.Charts = append(d.Charts, oc)
	return p.render(w, http.StatusOK, v, "overview", d)
}

type eligibilityPage struct {
	On        string
	List      string
	Rows      []accountability.BatchResult
	Unknown   []string
	UnitNames map[string]string // unit code → name
	// ExportCSV and ExportXLSX download the same check (built from
	// url.Values, so safe as URLs).
	ExportCSV, ExportXLSX template.URL
}

// eligibility: the organisation department's check of one person or a
// pasted list (numbers or names, one a line), with reasons and end dates.
func (p *pageServer) eligibility(w http.ResponseWriter, r *http.Request, v *view) error {
	d, st, err := p.eligibilityData(w, r, v)
	if err != nil {
		return err
	}
	if len(d.Rows) > 0 {
		q := url.Values{"people": {d.List}, "on": {d.On}}
		q.Set("format", "csv")
		d.ExportCSV = template.URL("/staff/eligibility/export?" + q.Encode())
		q.Set("format", "xlsx")
		d.ExportXLSX = template.URL("/staff/eligibility/export?" + q.Encode())
	}
	return p.render(w, st, v, "eligibility", d)
}

// eligibilityData reads the eligibility form (people, on) and checks the
// people found; a bad date or a refused list sets the view's error and a
// 4xx status.
func (p *pageServer) eligibilityData(w http.ResponseWriter, r *http.Request, v *view) (eligibilityPage, int, error) {
	q := r.URL.Query()
	d := eligibilityPage{On: q.Get("on"), List: q.Get("people")}
	if d.On == "" {
		d.On = civil.In(p.s.app.Clock.Now(), p.s.app.Loc).String()
	}
	if strings.TrimSpace(d.List) == "" {
		return d, http.StatusOK, nil
	}
	on, err := civil.Parse(d.On)
	if err != nil {
		v.Error, v.Field = p.T(v.Lang, "elig.bad_date"), "on"
		return d, http.StatusUnprocessableEntity, nil
	}
	var ids []int64
	for _, line := range strings.FieldsFunc(d.List, func(r rune) bool { return r == '\n' || r == ',' || r == '，' || r == '、' || r == ';' }) {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if id, err := strconv.ParseInt(strings.TrimPrefix(line, "#"), 10, 64); err == nil {
			ids = append(ids, id)
			continue
		}
		ps, err := p.s.app.Org.People(r.Context(), org.PeopleFilter{Query: line, Limit: 20})
		if err != nil {
			return d, 0, err
		}
		var exact []org.Person
		for _, pp := range ps {
			if pp.Name == line {
				exact = append(exact, pp)
			}
		}
		if len(exact) == 0 {
			d.Unknown = append(d.Unknown, line)
		}
		for _, pp := range exact {
			ids = append(ids, pp.ID)
		}
	}
	us, err := p.s.app.Org.Units(r.Context())
	if err != nil {
		return d, 0, err
	}
	d.UnitNames = make(map[string]string, len(us))
	for _, u := range us {
		d.UnitNames[u.Code] = u.Name
	}
	if len(ids) > 0 {
		d.Rows, err = p.s.app.Accountability.BatchEligibility(r.Context(), on, ids)
		if err != nil {
			st, ferr := p.formError(r, v, err)
			return d, st, ferr
		}
	}
	return d, http.StatusOK, nil
}

// eligibilityExport sends the eligibility check of the same form as a CSV
// or XLSX file, a row a person, in the page's language: the organisation
// department files it with the promotion papers. Without people (or with
// a bad date) it answers the page with its message.
func (p *pageServer) eligibilityExport(w http.ResponseWriter, r *http.Request, v *view) error {
	d, st, err := p.eligibilityData(w, r, v)
	if err != nil {
		return err
	}
	if st != http.StatusOK || len(d.Rows) == 0 {
		if st == http.StatusOK {
			st = http.StatusUnprocessableEntity
			v.Error, v.Field = p.T(v.Lang, "elig.export_empty"), "people"
		}
		return p.render(w, st, v, "eligibility", d)
	}
	format := r.URL.Query().Get("format")
	if format != "xlsx" {
		format = "csv"
	}
	t := func(k string) string { return p.zhText(p.T(v.Lang, k), v.Lang) }
	header := []string{"#", t("admin.person_name"), t("admin.person_unit"), t("elig.promotion"), t("elig.promotion_until"), t("elig.excellence"), t("elig.reasons")}
	name := "eligibility-" + d.On + "." + format
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("Cache-Control", "no-store")
	var out reports.RowWriter
	if format == "xlsx" {
		w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
		out, err = reports.NewXLSX(w, t("elig.sheet"), header) // a sheet's name: 31 characters at most
	} else {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		out, err = reports.NewCSV(w, header)
	}
	if err != nil {
		return err
	}
	// Once rows are sent, a failure can only cut the file short: the
	// response is aborted, never presented as a whole file.
	abort := func(err error) error {
		p.s.log.Error("eligibility export cut short; response aborted", "id", requestID(r), "err", err)
		panic(http.ErrAbortHandler)
	}
	yes, no := t("elig.yes"), t("elig.no")
	for _, row := range d.Rows {
		unit := row.Unit
		if n, ok := d.UnitNames[row.Unit]; ok {
			unit = n
		}
		prom, until := yes, ""
		switch {
		case row.Promotion.Permanent:
			prom = t("elig.permanent")
		case !row.Promotion.Eligible:
			prom = no
			if row.Promotion.Until != nil {
				until = row.Promotion.Until.String()
			}
		}
		exc := yes
		if !row.Excellence.Eligible {
			exc = fmt.Sprintf(t("elig.not_year"), row.Excellence.Year)
		}
		reasons := row.Promotion.Reasons
		if len(reasons) == 0 {
			reasons = row.Excellence.Reasons
		}
		var rs []string
		for _, re := range reasons {
			sanction := re.Sanction
			if sc, ok := p.s.app.Catalogs.Held().Sanction(re.Sanction); ok {
				sanction = sc.Name(v.Lang)
			}
			line := fmt.Sprintf("#%d %s — %s (%s", re.DecisionID, sanction, p.zhText(re.Text.In(v.Lang), v.Lang), re.From)
			if re.Until != nil {
				line += " → " + re.Until.String()
			}
			rs = append(rs, line+")")
		}
		if err := out.Write([]string{strconv.FormatInt(row.PersonID, 10), row.Name, p.zhText(unit, v.Lang), prom, until, exc, strings.Join(rs, "；")}); err != nil {
			return abort(err)
		}
	}
	if err := out.Close(); err != nil {
		return abort(err)
	}
	return nil
}

type personPage struct {
	R           accountability.PersonRecord
	CanAppeal   bool
	CanDecideAp bool
	CanApprove  bool
	Today       string
	Outcomes    []string
	Sanctions   []sanctionOption // the catalogue's sanctions, for a varied outcome
}

func (p *pageServer) person(w http.ResponseWriter, r *http.Request, v *view) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	return p.showPerson(w, r, v, id, http.StatusOK)
}

func (p *pageServer) showPerson(w http.ResponseWriter, r *http.Request, v *view, id int64, st int) error {
	rec, err := p.s.app.Accountability.Record(r.Context(), me(r), id)
	if err != nil {
		return err
	}
	pr := me(r)
	pol := p.s.app.Policy
	d := personPage{R: rec, CanAppeal: pol.Allows(pr, access.AppealFile), CanDecideAp: pol.Allows(pr, access.AppealDecide),
		CanApprove: pol.Allows(pr, access.DecisionApprove), Today: civil.In(p.s.app.Clock.Now(), p.s.app.Loc).String(), Outcomes: []string{"upheld", "varied", "revoked"}}
	if d.CanDecideAp {
		// The sanctions of the versions the caller's offices judge under
		// (an outcome is checked against its decision's own).
		cat, err := p.s.app.Catalogs.Scope(r.Context(), pr)
		if err != nil {
			return err
		}
		d.Sanctions = sanctionOptions(cat, v.Lang)
	}
	return p.render(w, st, v, "person", d)
}

// personAct files an appeal, decides one, or approves a pending decision.
func (p *pageServer) personAct(w http.ResponseWriter, r *http.Request, v *view) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	ctx, pr := r.Context(), me(r)
	target, _ := strconv.ParseInt(r.PostFormValue("target"), 10, 64)
	date := func(name string) (civil.Date, error) {
		d, err := civil.Parse(strings.TrimSpace(r.PostFormValue(name)))
		if err != nil {
			return d, problem.Invalid(name, "invalid_date", "日期应为 YYYY-MM-DD", "the date must be YYYY-MM-DD")
		}
		return d, nil
	}
	switch r.PostFormValue("op") {
	case "appeal":
		if !p.s.may(r, access.AppealFile) {
			return errForbidden
		}
		var in accountability.AppealInput
		if in.FiledOn, err = date("filed_on"); err == nil {
			in.Reason = r.PostFormValue("reason")
			_, err = p.s.app.Accountability.FileAppeal(ctx, pr, target, in)
		}
	case "outcome":
		if !p.s.may(r, access.AppealDecide) {
			return errForbidden
		}
		in := accountability.OutcomeInput{Outcome: r.PostFormValue("outcome"), Note: r.PostFormValue("note")}
		for _, c := range r.PostForm["sanctions"] {
			if c = strings.TrimSpace(c); c != "" {
				in.Sanctions = append(in.Sanctions, c)
			}
		}
		in.DecidedOn, err = date("decided_on")
		if py := strings.TrimSpace(r.PostFormValue("probation_years")); err == nil && py != "" && py != "0" {
			if in.ProbationYears, err = strconv.Atoi(py); err != nil {
				err = problem.Invalid("probation_years", "invalid_probation", "察看期应为 1 或 2 年", "probation is 1 or 2 years")
			}
		}
		if err == nil {
			_, err = p.s.app.Accountability.DecideAppeal(ctx, pr, target, in)
		}
	case "approve":
		if !p.s.may(r, access.DecisionApprove) {
			return errForbidden
		}
		_, err = p.s.app.Accountability.ApproveDecision(ctx, pr, target)
	default:
		err = problem.Invalid("op", "unknown_op", "未知操作", "unknown operation")
	}
	if err != nil {
		st, ferr := p.formError(r, v, err)
		if ferr != nil {
			return ferr
		}
		return p.showPerson(w, r, v, id, st)
	}
	v.Flash = p.T(v.Lang, "common.saved")
	return p.showPerson(w, r, v, id, http.StatusOK)
}

type calendarPage struct {
	Years    []cases.YearInfo
	Settings accountability.Settings
	// Preview is the result of an import's dry run.
	Preview *cases.CalendarImport
}

func (p *pageServer) adminCalendar(w http.ResponseWriter, r *http.Request, v *view) error {
	return p.renderCalendar(w, r, v, http.StatusOK)
}

func (p *pageServer) renderCalendar(w http.ResponseWriter, r *http.Request, v *view, st int) error {
	return p.renderCalendarPreview(w, r, v, st, nil)
}

// renderCalendarPreview shows the page with the result of an import's dry run.
func (p *pageServer) renderCalendarPreview(w http.ResponseWriter, r *http.Request, v *view, st int, preview *cases.CalendarImport) error {
	ys, err := p.s.app.Cases.CalendarYears(r.Context())
	if err != nil {
		return err
	}
	set, err := p.s.app.Accountability.Settings(r.Context())
	if err != nil {
		return err
	}
	return p.render(w, st, v, "admin_calendar", calendarPage{Years: ys, Settings: set, Preview: preview})
}

// adminCalendarSave imports a year's calendar, runs the sweep, or changes
// the decision-approval setting (op).
func (p *pageServer) adminCalendarSave(w http.ResponseWriter, r *http.Request, v *view) error {
	ctx := r.Context()
	var err error
	switch r.PostFormValue("op") {
	case "import":
		fh, _, ferr := r.FormFile("file")
		if ferr != nil {
			err = problem.Required("file")
			break
		}
		b, rerr := io.ReadAll(io.LimitReader(fh, calendar.MaxImportSize+1))
		fh.Close()
		if rerr != nil {
			return rerr
		}
		opts := cases.CalendarOptions{Force: r.PostFormValue("force") == "yes", DryRun: r.PostFormValue("dry_run") == "yes"}
		var res cases.CalendarImport
		if res, err = p.s.app.Cases.ImportCalendarWith(ctx, me(r), b, opts); err == nil {
			if res.DryRun {
				return p.renderCalendarPreview(w, r, v, http.StatusOK, &res)
			}
			v.Flash = p.T(v.Lang, "admin.cal_imported") + " " + strconv.Itoa(res.Year) + " · " + strconv.Itoa(res.Recomputed)
		}
	case "sweep":
		var res cases.SweepResult
		if res, err = p.s.app.Cases.Sweep(ctx); err == nil {
			v.Flash = p.T(v.Lang, "admin.swept") + " " + strconv.FormatInt(res.Marked, 10)
		}
	case "settings":
		_, err = p.s.app.Accountability.SetSettings(ctx, me(r), accountability.Settings{DecisionApproval: r.PostFormValue("decision_approval") == "yes"})
		if err == nil {
			v.Flash = p.T(v.Lang, "common.saved")
		}
	default:
		err = problem.Invalid("op", "unknown_op", "未知操作", "unknown operation")
	}
	if err != nil {
		st, ferr := p.formError(r, v, err)
		if ferr != nil {
			return ferr
		}
		return p.renderCalendar(w, r, v, st)
	}
	return p.renderCalendar(w, r, v, http.StatusOK)
}
