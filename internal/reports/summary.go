package reports

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"sort"

	"mashang/internal/access"
	"mashang/internal/auth"
	"mashang/internal/catalog"
	"mashang/internal/civil"
	"mashang/internal/docket"
	"mashang/internal/inspection"
	"mashang/internal/problem"
	"mashang/internal/store"
)

// names are the labels of a set of codes, and the order to show them in.
type names struct {
	labels map[string]string
	order  []string
}

func (n *names) add(code, label string) {
	if n.labels == nil {
		n.labels = map[string]string{}
	}
	if _, ok := n.labels[code]; !ok {
		n.labels[code] = label
		n.order = append(n.order, code)
	}
}

// categoryLabels names the catalogue's categories ("P1 消极应付"), in order.
func categoryLabels(cat *catalog.Catalog) names {
	var n names
	if cat != nil {
		for _, st := range cat.Situations {
			n.add(st.Category, st.Category+" "+st.CategoryName.Zh)
		}
	}
	return n
}

// groupNames names the sanction groups (accountability methods), in order.
func groupNames(cat *catalog.Catalog) names {
	var n names
	if cat != nil {
		for _, g := range cat.Groups {
			n.add(g.Code, g.Names.Zh)
		}
	}
	return n
}

// sanctionNames names the sanctions, in the catalogue's order.
func sanctionNames(cat *catalog.Catalog) names {
	var n names
	if cat != nil {
		for _, sc := range cat.Sanctions {
			n.add(sc.Code, sc.Names.Zh)
		}
	}
	return n
}

// Count is a labelled number.
type Count struct {
	Key   string `json:"key"`
	Label string `json:"label"`
	N     int    `json:"n"`
}

// UnitOverdue is one unit's overdue cases.
type UnitOverdue struct {
	Unit    string `json:"unit"`
	Name    string `json:"name"`
	Overdue int    `json:"overdue"`
	Open    int    `json:"open"`
}

// Summary is the leading group's report for a period (dates inclusive).
type Summary struct {
	From civil.Date `json:"from"`
	To   civil.Date `json:"to"`
	// Intake: cases received in the period.
	Received   int     `json:"received"`
	ByChannel  []Count `json:"by_channel"`
	ByCategory []Count `json:"by_category"`
	ByState    []Count `json:"by_state"`
	// Handling of the cases received in the period.
	Accepted          int           `json:"accepted"`
	AcceptedOnTime    int           `json:"accepted_on_time"`
	AvgDaysToAccept   float64       `json:"avg_days_to_accept"`
	Concluded         int           `json:"concluded"`
	ConcludedOnTime   int           `json:"concluded_on_time"`
	AvgDaysToConclude float64       `json:"avg_days_to_conclude"`
	Overdue           int           `json:"overdue"`
	OverdueByUnit     []UnitOverdue `json:"overdue_by_unit"`
	// Findings of the cases concluded in the period.
	Findings []Count `json:"findings"`
	// Decisions made in the period (in force).
	Decisions       int     `json:"decisions"`
	DecisionsByType []Count `json:"decisions_by_method"`
	Sanctions       []Count `json:"sanctions"`
	// Inspections in the period.
	Inspections inspection.Stats `json:"inspections"`
	// Satisfaction of the replies rated in the period: by the reporter's
	// own rating, or else by the result of the clerk's callback (回访; an
	// unreachable reporter rates nothing). RatedByReporter and
	// RatedByCallback say how many of Rated came from each.
	Satisfaction    []Count `json:"satisfaction"`
	Rated           int     `json:"rated"`
	Satisfied       int     `json:"satisfied"` // satisfied + basically satisfied
	RatedByReporter int     `json:"rated_by_reporter"`
	RatedByCallback int     `json:"rated_by_callback"`
	// Office and OfficeName: the office reported on, with all the offices
	// below it (empty: everything the reader sees); ByOffice breaks the
	// cases received down by its own and each office directly below it
	// (with its lower offices).
	Office     string        `json:"office,omitempty"`
	OfficeName string        `json:"office_name,omitempty"`
	ByOffice   []OfficeCount `json:"by_office,omitempty"`
}

// vocab names a closed set of the case record's vocabulary in zh-CN (the
// reports are for the leading group), in the set's order.
func vocab[T ~string](vs []T, name func(T, string) string) names {
	var n names
	for _, v := range vs {
		n.add(string(v), name(v, docket.LangZhCN))
	}
	return n
}

// CheckPeriod refuses a period whose end is before its start, or longer than five years.
func CheckPeriod(from, to civil.Date) error {
	if from.IsZero() {
		return problem.Required("from")
	}
	if to.IsZero() {
		return problem.Required("to")
	}
	if err := civil.NotBefore("to", to, from, "开始日期", "from"); err != nil {
		return err
	}
	if from.AddYears(5).Before(to) {
		return problem.Invalid("to", "period_too_long", "统计期间不能超过五年", "the period may not be longer than five years")
	}
	return nil
}

type caseRow struct {
	channel, category, state, finding, rating, unitCode, unitName, due string
	received, accepted, acceptBy, concluded, finishBy, rated           civil.Date
	open                                                               bool
	callback                                                           string     // the callback's result ("" none)
	calledBack                                                         civil.Date // when it was recorded
}

func nullDate(ns sql.NullString) civil.Date {
	if !ns.Valid || len(ns.String) < 10 {
		return civil.Date{}
	}
	d, _ := civil.Parse(ns.String[:10])
	return d
}

// caseRows reads the cases the report needs: received in the period, or
// concluded or rated in it.
func (s *Service) caseRows(ctx context.Context, from, to civil.Date, f access.CaseFilter) ([]caseRow, error) {
	args := []any{from, to, from.AddDays(-1), to.AddDays(2)}
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	rows, err := s.db.Read.QueryContext(ctx, `SELECT c.channel, c.category, c.state, c.finding, c.rating, c.due_status,
		COALESCE(u.code, ''), COALESCE(u.name, ''), c.received_on, c.accepted_on, c.accept_by, c.concluded_on, c.finish_by, c.rated_at, c.callback_result, c.callback_at
		FROM cases c LEFT JOIN units u ON u.id = COALESCE(c.transfer_unit_id, c.unit_id)
		WHERE c.state <> '`+string(docket.Merged)+`' AND ((c.received_on >= $1 AND c.received_on <= $2) OR (c.concluded_on >= $1 AND c.concluded_on <= $2)
		   OR (c.rated_at IS NOT NULL AND c.rated_at >= $3 AND c.rated_at < $4) OR (c.callback_at IS NOT NULL AND c.callback_at >= $3 AND c.callback_at < $4)) AND `+f.SQL("c", arg), args...)
	if err != nil {
		return nil, fmt.Errorf("reports: read cases: %w", err)
	}
	defer rows.Close()
	var out []caseRow
	for rows.Next() {
		var r caseRow
		var rec string
		var acc, accBy, conc, fin, rated, called sql.NullString
		if err := rows.Scan(&r.channel, &r.category, &r.state, &r.finding, &r.rating, &r.due, &r.unitCode, &r.unitName,
			&rec, &acc, &accBy, &conc, &fin, &rated, &r.callback, &called); err != nil {
			return nil, err
		}
		if called.Valid {
			var t store.Instant
			if err := t.Scan(called.String); err == nil {
				r.calledBack = civil.In(t.Time, s.loc)
			}
		}
		r.received = nullDate(sql.NullString{String: rec, Valid: true})
		r.accepted, r.acceptBy, r.concluded, r.finishBy = nullDate(acc), nullDate(accBy), nullDate(conc), nullDate(fin)
		if rated.Valid {
			// rated_at is an instant (UTC); its date in the office's zone.
			var t store.Instant
			if err := t.Scan(rated.String); err == nil {
				r.rated = civil.In(t.Time, s.loc)
			}
		}
		// Open: a deadline runs (concluded cases wait for their reply).
		switch docket.State(r.state) {
		case docket.Registered, docket.Accepted, docket.Investigating, docket.Transferred, docket.Review:
			r.open = true
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func counts(m map[string]int, n names) []Count {
	labels := n.labels
	out := []Count{}
	seen := map[string]bool{}
	for _, k := range n.order {
		if n, ok := m[k]; ok {
			out = append(out, Count{Key: k, Label: label(labels, k), N: n})
			seen[k] = true
		}
	}
	var rest []string
	for k := range m {
		if !seen[k] {
			rest = append(rest, k)
		}
	}
	sort.Strings(rest)
	for _, k := range rest {
		out = append(out, Count{Key: k, Label: label(labels, k), N: m[k]})
	}
	return out
}

func label(labels map[string]string, k string) string {
	if k == "" {
		return "未分类"
	}
	if l, ok := labels[k]; ok {
		return l
	}
	return k
}

func inPeriod(d, from, to civil.Date) bool {
	return !d.IsZero() && !d.Before(from) && !d.After(to)
}

// Summary makes the report for [from, to], of the cases p may count
// (access.ReportSummary; never a covert plan's before it is done).
func (s *Service) Summary(ctx context.Context, p auth.Principal, cat *catalog.Catalog, from, to civil.Date) (Summary, error) {
	if err := CheckPeriod(from, to); err != nil {
		return Summary{}, err
	}
	f := s.pol.Cases(p, access.ReportSummary).ForFigures()
	sum := Summary{From: from, To: to}
	rows, err := s.caseRows(ctx, from, to, f)
	if err != nil {
		return Summary{}, err
	}
	byCh, byCat, bySt, byFind, byRating := map[string]int{}, map[string]int{}, map[string]int{}, map[string]int{}, map[string]int{}
	units := map[string]*UnitOverdue{}
	var accDays, concDays int
	for _, r := range rows {
		if inPeriod(r.received, from, to) {
			sum.Received++
			byCh[r.channel]++
			byCat[r.category]++
			bySt[r.state]++
			if !r.accepted.IsZero() {
				sum.Accepted++
				accDays += r.received.DaysUntil(r.accepted)
				if r.acceptBy.IsZero() || !r.accepted.After(r.acceptBy) {
					sum.AcceptedOnTime++
				}
			}
			if r.due == "overdue" && r.open {
				sum.Overdue++
			}
			if r.open {
				key := r.unitCode
				u := units[key]
				if u == nil {
					u = &UnitOverdue{Unit: r.unitCode, Name: r.unitName}
					if key == "" {
						u.Name = "未指明单位"
					}
					units[key] = u
				}
				u.Open++
				if r.due == "overdue" {
					u.Overdue++
				}
			}
		}
		if inPeriod(r.concluded, from, to) {
			sum.Concluded++
			byFind[r.finding]++
			if !r.accepted.IsZero() {
				concDays += r.accepted.DaysUntil(r.concluded)
			}
			if r.finishBy.IsZero() || !r.concluded.After(r.finishBy) {
				sum.ConcludedOnTime++
			}
		}
		// Rated by the reporter, or else by the callback's result.
		rating := ""
		switch {
		case r.rating != "":
			if inPeriod(r.rated, from, to) {
				rating = r.rating
				sum.RatedByReporter++
			}
		case slices.Contains(docket.Ratings, docket.Rating(r.callback)) && inPeriod(r.calledBack, from, to):
			rating = r.callback
			sum.RatedByCallback++
		}
		if rating != "" {
			sum.Rated++
			byRating[rating]++
			if docket.Rating(rating).Content() {
				sum.Satisfied++
			}
		}
	}
	if sum.Accepted > 0 {
		sum.AvgDaysToAccept = float64(accDays) / float64(sum.Accepted)
	}
	if sum.Concluded > 0 {
		sum.AvgDaysToConclude = float64(concDays) / float64(sum.Concluded)
	}
	sum.ByChannel = counts(byCh, vocab(docket.Channels, docket.Channel.Label))
	sum.ByCategory = counts(byCat, categoryLabels(cat))
	sum.ByState = counts(bySt, vocab(docket.States, docket.State.Label))
	sum.Findings = counts(byFind, vocab(docket.Findings, docket.Finding.Label))
	sum.Satisfaction = counts(byRating, vocab(docket.Ratings, docket.Rating.Label))
	sum.OverdueByUnit = []UnitOverdue{}
	for _, u := range units {
		if u.Overdue > 0 {
			sum.OverdueByUnit = append(sum.OverdueByUnit, *u)
		}
	}
	sort.Slice(sum.OverdueByUnit, func(i, j int) bool {
		a, b := sum.OverdueByUnit[i], sum.OverdueByUnit[j]
		if a.Overdue != b.Overdue {
			return a.Overdue > b.Overdue
		}
		return a.Unit < b.Unit
	})
	byGroup, bySanction, n, err := s.decisions(ctx, cat, from, to, f)
	if err != nil {
		return Summary{}, err
	}
	sum.Decisions = n
	sum.DecisionsByType = counts(byGroup, groupNames(cat))
	sum.Sanctions = counts(bySanction, sanctionNames(cat))
	if s.inspections != nil {
		if sum.Inspections, err = s.inspections.PeriodStats(ctx, from, to); err != nil {
			return Summary{}, err
		}
	}
	return sum, nil
}

// decisions counts the decisions in force made in the period: by method
// (sanction group; a decision counts once per group) and by sanction.
func (s *Service) decisions(ctx context.Context, cat *catalog.Catalog, from, to civil.Date, f access.CaseFilter) (map[string]int, map[string]int, int, error) {
	args := []any{from, to}
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	rows, err := s.db.Read.QueryContext(ctx, `SELECT d.sanctions FROM decisions d JOIN cases c ON c.id = d.case_id
		WHERE d.status = 'in_force' AND d.decided_on >= $1 AND d.decided_on <= $2 AND `+f.SQL("c", arg), args...)
	if err != nil {
		return nil, nil, 0, fmt.Errorf("reports: read decisions: %w", err)
	}
	defer rows.Close()
	byGroup, bySanction := map[string]int{}, map[string]int{}
	n := 0
	for rows.Next() {
		var raw string
		if err := rows.Scan(&raw); err != nil {
			return nil, nil, 0, err
		}
		var codes []string
		if err := json.Unmarshal([]byte(raw), &codes); err != nil {
			return nil, nil, 0, fmt.Errorf("reports: decision sanctions: %w", err)
		}
		n++
		groups := map[string]bool{}
		for _, c := range codes {
			bySanction[c]++
			if cat != nil {
				if sc, ok := cat.Sanction(c); ok {
					groups[sc.Group] = true
				}
			}
		}
		for g := range groups {
			byGroup[g]++
		}
	}
	return byGroup, bySanction, n, rows.Err()
}
