// Package stats computes the office's statistics for a period (GET
// /api/v1/stats): counts of cases by channel, category, state and finding,
// of sanctions decided, and the rates a 12345-style office is judged by —
// accepted on time, settled on time, verified share, reporters' satisfaction —
// overall, by unit and by month.
//
// Cases count in the period of their received date. Each day's aggregate
// (by unit, with counts by channel, category, state and finding) is one SQL
// scan of that day through the covering index cases_stats, grouped by day and
// unit in index order, cached in stats_days; triggers mark the days whose
// cases change (stats_dirty), and only those are scanned again. Go adds the
// days up. Sanctions come from the decisions in force decided in the period.
//
// Rates: accepted_on_time = accepted on or before accept_by, of the cases
// accepted; settled_on_time = concluded on or before finish_by, of the cases
// concluded; verified_share = findings verified or partly_verified, of the
// cases with a finding; satisfaction = ratings satisfied or
// basically_satisfied, of the cases rated. A case is rated by its reporter's
// own rating, or else by the result of the clerk's callback (回访; an
// unreachable reporter rates nothing); satisfaction_basis says how many of
// each. A rate is null when its base is 0.
package stats

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"mashang/internal/access"
	"mashang/internal/auth"
	"mashang/internal/civil"
	"mashang/internal/clock"
	"mashang/internal/docket"
	"mashang/internal/problem"
	"mashang/internal/store"
)

// Service computes statistics.
type Service struct {
	db         *store.DB
	pol        *access.Policy
	clock      clock.Clock
	loc        *time.Location
	categories func(ctx context.Context) ([]string, error)
}

// New returns the service; categories lists the categories cases are
// counted by (app.Catalogs.Categories: those of every catalogue version
// held, so that an office's own category counts; nil: none but "none"),
// the clock and zone say which day is today.
func New(db *store.DB, pol *access.Policy, categories func(ctx context.Context) ([]string, error), c clock.Clock, loc *time.Location) *Service {
	if categories == nil {
		categories = func(context.Context) ([]string, error) { return nil, nil }
	}
	if c == nil {
		c = clock.System{}
	}
	if loc == nil {
		loc = time.UTC
	}
	return &Service{db: db, pol: pol, clock: c, loc: loc, categories: categories}
}

// Rate is n of a base.
type Rate struct {
	N    int      `json:"n"`
	Of   int      `json:"of"`
	Rate *float64 `json:"rate"`
}

func rate(n, of int) Rate {
	r := Rate{N: n, Of: of}
	if of > 0 {
		v := float64(n) / float64(of)
		r.Rate = &v
	}
	return r
}

// Rates are the office's performance figures.
type Rates struct {
	AcceptedOnTime Rate `json:"accepted_on_time"`
	SettledOnTime  Rate `json:"settled_on_time"`
	VerifiedShare  Rate `json:"verified_share"`
	Satisfaction   Rate `json:"satisfaction"`
	// SatisfactionBasis says where the satisfaction's ratings come from.
	SatisfactionBasis Basis `json:"satisfaction_basis"`
}

// Basis counts the ratings behind the satisfaction rate by their source.
type Basis struct {
	Ratings   int `json:"ratings"`   // the reporters' own ratings
	Callbacks int `json:"callbacks"` // the results of callbacks (回访), for cases their reporter did not rate
}

// Group is the figures of one unit or month.
type Group struct {
	Unit     *string `json:"unit,omitempty"`
	UnitName *string `json:"unit_name,omitempty"`
	Month    string  `json:"month,omitempty"`
	Total    int     `json:"total"`
	Rates    Rates   `json:"rates"`
}

// Report is the answer of GET /api/v1/stats.
type Report struct {
	From       civil.Date     `json:"from"`
	To         civil.Date     `json:"to"`
	Total      int            `json:"total"`
	ByChannel  map[string]int `json:"by_channel"`
	ByCategory map[string]int `json:"by_category"`
	ByState    map[string]int `json:"by_state"`
	ByFinding  map[string]int `json:"by_finding"`
	BySanction map[string]int `json:"by_sanction"`
	Rates      Rates          `json:"rates"`
	ByUnit     []Group        `json:"by_unit"`
	ByMonth    []Group        `json:"by_month"`
	// ByOffice breaks the total down by the office the cases belong to:
	// the caller's own and each office below it (an office above sums its
	// lower offices' figures).
	ByOffice []OfficeGroup `json:"by_office"`
}

// OfficeGroup is one office's count of the cases of a period.
type OfficeGroup struct {
	Office string `json:"office"`
	Name   string `json:"name"`
	Total  int    `json:"total"`
}

// acc accumulates the raw counts behind Rates.
type acc struct {
	total, accepted, acceptedOnTime, concluded, concludedOnTime, found, verified, rated, satisfied int
	byCallback                                                                                     int // of rated: by the callback's result
}

func (a *acc) add(b acc) {
	a.total += b.total
	a.accepted += b.accepted
	a.acceptedOnTime += b.acceptedOnTime
	a.concluded += b.concluded
	a.concludedOnTime += b.concludedOnTime
	a.found += b.found
	a.verified += b.verified
	a.rated += b.rated
	a.satisfied += b.satisfied
	a.byCallback += b.byCallback
}

func (a acc) rates() Rates {
	return Rates{
		AcceptedOnTime:    rate(a.acceptedOnTime, a.accepted),
		SettledOnTime:     rate(a.concludedOnTime, a.concluded),
		VerifiedShare:     rate(a.verified, a.found),
		Satisfaction:      rate(a.satisfied, a.rated),
		SatisfactionBasis: Basis{Ratings: a.rated - a.byCallback, Callbacks: a.byCallback},
	}
}

// MaxDays is the longest period Compute accepts (about 20 years).
const MaxDays = 7320

// day is the cached aggregate of the cases received on one day.
type day struct {
	units map[int64]*acc            // 0: no unit
	dims  map[string]map[string]int // channel, category, state, finding → value → count
}

// dayVersion is the shape of the cached days; a day cached in another
// shape is computed again.
const dayVersion = 2

type dayJSON struct {
	V int                       `json:"v"`
	U [][11]int64               `json:"u"`
	D map[string]map[string]int `json:"d"`
}

func (d *day) marshal() string {
	j := dayJSON{V: dayVersion, D: d.dims}
	for id, a := range d.units {
		j.U = append(j.U, [11]int64{id, int64(a.total), int64(a.accepted), int64(a.acceptedOnTime), int64(a.concluded),
			int64(a.concludedOnTime), int64(a.found), int64(a.verified), int64(a.rated), int64(a.satisfied), int64(a.byCallback)})
	}
	sort.Slice(j.U, func(i, k int) bool { return j.U[i][0] < j.U[k][0] })
	b, _ := json.Marshal(j)
	return string(b)
}

func unmarshalDay(s string) (*day, error) {
	var j dayJSON
	if err := json.Unmarshal([]byte(s), &j); err != nil {
		return nil, err
	}
	if j.V != dayVersion {
		return nil, fmt.Errorf("stats: a day cached in shape %d", j.V)
	}
	d := &day{units: map[int64]*acc{}, dims: j.D}
	if d.dims == nil {
		d.dims = map[string]map[string]int{}
	}
	for _, u := range j.U {
		d.units[u[0]] = &acc{int(u[1]), int(u[2]), int(u[3]), int(u[4]), int(u[5]), int(u[6]), int(u[7]), int(u[8]), int(u[9]), int(u[10])}
	}
	return d, nil
}

// Compute returns the statistics of the cases received from..to
// (inclusive) that p may count (access.StatsRead: a liaison its unit
// subtree's; no one a covert plan's case before the plan is done).
//
// Each day's aggregate is cached in stats_days; triggers on cases mark the
// days whose cases were written since (stats_dirty), and only those, the
// days never computed, and today and yesterday are scanned again. The first
// call over a long period therefore scans it once; later calls read a few
// hundred small rows. (On PostgreSQL a case committed in the very instant a
// day is recomputed may be counted only at the day's next change; today and
// yesterday, where new cases land, are always recomputed.)
func (s *Service) Compute(ctx context.Context, p auth.Principal, from, to civil.Date) (*Report, error) {
	if to.Before(from) {
		return nil, problem.Invalid("to", "invalid_range", "to 早于 from", "to is before from")
	}
	if from.DaysUntil(to) > MaxDays {
		return nil, problem.Invalid("from", "period_too_long", "统计期间不能超过 20 年", "the period may not be longer than 20 years")
	}
	f := s.pol.Cases(p, access.StatsRead).ForFigures()
	var days map[string]*day
	var err error
	if f.Scope() == access.All && !f.OfficeLimited() {
		// The office's figures: the same for everyone who sees all (an
		// office with every other below it), cached.
		days, err = s.days(ctx, from, to, f)
	} else {
		// A narrower scope (a liaison's subtree, a lower office's cases)
		// is smaller: scanned each time.
		days = map[string]*day{}
		for d := from; !d.After(to); d = d.AddDays(1) {
			days[d.String()] = &day{units: map[int64]*acc{}, dims: map[string]map[string]int{}}
		}
		err = s.scan(ctx, from.String(), to.String(), days, f)
	}
	if err != nil {
		return nil, err
	}
	r := &Report{From: from, To: to, ByChannel: map[string]int{}, ByCategory: map[string]int{}, ByState: map[string]int{},
		ByFinding: map[string]int{}, BySanction: map[string]int{}, ByUnit: []Group{}, ByMonth: []Group{}}
	into := map[string]map[string]int{"channel": r.ByChannel, "category": r.ByCategory, "state": r.ByState, "finding": r.ByFinding}
	var total acc
	byUnit := map[int64]*acc{}
	byMonth := map[string]*acc{}
	for dk, d := range days {
		m := dk[:7]
		for u, a := range d.units {
			total.add(*a)
			if byUnit[u] == nil {
				byUnit[u] = &acc{}
			}
			byUnit[u].add(*a)
			if byMonth[m] == nil {
				byMonth[m] = &acc{}
			}
			byMonth[m].add(*a)
		}
		for dim, vs := range d.dims {
			if dst := into[dim]; dst != nil {
				for v, n := range vs {
					dst[v] += n
				}
			}
		}
	}
	r.Total = total.total
	r.Rates = total.rates()
	// Anything outside the counted sets (a newer channel, say) shows as "other".
	for _, m := range into {
		sum := 0
		for _, n := range m {
			sum += n
		}
		if sum < total.total {
			m["other"] = total.total - sum
		}
	}
	names, err := s.unitNames(ctx)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, 0, len(byUnit))
	for id := range byUnit {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for _, id := range ids {
		g := Group{Total: byUnit[id].total, Rates: byUnit[id].rates()}
		if n, ok := names[id]; ok {
			g.Unit, g.UnitName = &n[0], &n[1]
		}
		r.ByUnit = append(r.ByUnit, g)
	}
	months := make([]string, 0, len(byMonth))
	for m := range byMonth {
		months = append(months, m)
	}
	sort.Strings(months)
	for _, m := range months {
		r.ByMonth = append(r.ByMonth, Group{Month: m, Total: byMonth[m].total, Rates: byMonth[m].rates()})
	}
	if err := s.sanctions(ctx, from, to, f, r.BySanction); err != nil {
		return nil, err
	}
	if r.ByOffice, err = s.byOffice(ctx, from, to, f); err != nil {
		return nil, err
	}
	return r, nil
}

// byOffice counts the cases received from..to that f admits, by office.
func (s *Service) byOffice(ctx context.Context, from, to civil.Date, f access.CaseFilter) ([]OfficeGroup, error) {
	args := []any{from.String(), to.String()}
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	rows, err := s.db.Read.QueryContext(ctx, `SELECT o.code, o.name, COUNT(*) FROM cases c JOIN offices o ON o.id = c.office_id
		WHERE c.received_on >= $1 AND c.received_on <= $2 AND `+f.SQL("c", arg)+` GROUP BY o.code, o.name`, args...)
	if err != nil {
		return nil, fmt.Errorf("stats: by office: %w", err)
	}
	defer rows.Close()
	out := []OfficeGroup{}
	for rows.Next() {
		var g OfficeGroup
		if err := rows.Scan(&g.Office, &g.Name, &g.Total); err != nil {
			return nil, fmt.Errorf("stats: by office: %w", err)
		}
		out = append(out, g)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Office < out[j].Office })
	return out, rows.Err()
}

// OverdueByUnit counts the open cases past their deadline today that p may
// count, by the name of their unit ("" for none).
func (s *Service) OverdueByUnit(ctx context.Context, p auth.Principal) (map[string]int, error) {
	today := civil.In(s.clock.Now(), s.loc)
	args := []any{today.String()}
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	where := s.pol.Cases(p, access.StatsRead).ForFigures().SQL("c", arg)
	rows, err := s.db.Read.QueryContext(ctx, `SELECT COALESCE(u.name, ''), COUNT(*) FROM cases c LEFT JOIN units u ON u.id = c.unit_id
		WHERE c.state IN `+docket.SQLList(docket.OpenStates...)+` AND c.deadline < $1 AND `+where+` GROUP BY u.name`, args...)
	if err != nil {
		return nil, fmt.Errorf("stats: overdue by unit: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var name string
		var n int
		if err := rows.Scan(&name, &n); err != nil {
			return nil, err
		}
		out[name] += n
	}
	return out, rows.Err()
}

// days returns the aggregate of every day from..to that has cases,
// recomputing the days that need it.
func (s *Service) days(ctx context.Context, from, to civil.Date, f access.CaseFilter) (map[string]*day, error) {
	out := map[string]*day{}
	rows, err := s.db.Read.QueryContext(ctx, `SELECT day, data FROM stats_days WHERE day >= $1 AND day <= $2`, from.String(), to.String())
	if err != nil {
		return nil, fmt.Errorf("stats: read cache: %w", err)
	}
	cached := map[string]bool{}
	for rows.Next() {
		var k, data string
		if err := rows.Scan(&k, &data); err != nil {
			rows.Close()
			return nil, err
		}
		d, err := unmarshalDay(data)
		if err != nil {
			continue // recomputed below
		}
		cached[k] = true
		out[k] = d
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	need := map[string]bool{}
	rows, err = s.db.Read.QueryContext(ctx, `SELECT day FROM stats_dirty WHERE day >= $1 AND day <= $2`, from.String(), to.String())
	if err != nil {
		return nil, fmt.Errorf("stats: read marks: %w", err)
	}
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			rows.Close()
			return nil, err
		}
		need[k] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	today := civil.In(s.clock.Now(), s.loc)
	for d := from; !d.After(to); d = d.AddDays(1) {
		k := d.String()
		if !cached[k] || !d.Before(today.AddDays(-1)) {
			need[k] = true
		}
	}
	if len(need) == 0 {
		return out, nil
	}
	list := make([]string, 0, len(need))
	for k := range need {
		if _, err := civil.Parse(k); err == nil {
			list = append(list, k)
		}
	}
	sort.Strings(list)
	// Unmark first: a case written after this commits marks its day again.
	if err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		for start := 0; start < len(list); start += 500 {
			chunk := list[start:min(start+500, len(list))]
			if _, err := tx.ExecContext(ctx, `DELETE FROM stats_dirty WHERE day IN ('`+strings.Join(chunk, "','")+`')`); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("stats: unmark days: %w", err)
	}
	fresh := map[string]*day{}
	for _, k := range list {
		fresh[k] = &day{units: map[int64]*acc{}, dims: map[string]map[string]int{}}
	}
	// Scan contiguous runs of days.
	for i := 0; i < len(list); {
		j := i
		for j+1 < len(list) && civil.MustParse(list[j]).AddDays(1).String() == list[j+1] {
			j++
		}
		if err := s.scan(ctx, list[i], list[j], fresh, f); err != nil {
			return nil, err
		}
		i = j + 1
	}
	if err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		for start := 0; start < len(list); start += 200 {
			chunk := list[start:min(start+200, len(list))]
			var b strings.Builder
			args := make([]any, 0, 2*len(chunk))
			b.WriteString(`INSERT INTO stats_days (day, data) VALUES `)
			for i, k := range chunk {
				if i > 0 {
					b.WriteByte(',')
				}
				fmt.Fprintf(&b, "($%d, $%d)", len(args)+1, len(args)+2)
				args = append(args, k, fresh[k].marshal())
			}
			b.WriteString(` ON CONFLICT (day) DO UPDATE SET data = excluded.data`)
			if _, err := tx.ExecContext(ctx, b.String(), args...); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("stats: write cache: %w", err)
	}
	for k, d := range fresh {
		out[k] = d
	}
	return out, nil
}

// scan aggregates the cases received from a to b (dates as text) that f
// admits into days.
func (s *Service) scan(ctx context.Context, a, b string, into map[string]*day, f access.CaseFilter) error {
	type dim struct {
		col    string
		values []string
	}
	cats, err := s.categories(ctx)
	if err != nil {
		return err
	}
	// Each category is a column of the scan; codes are checked by
	// catalog.Parse (letters and digits), never the caller's text.
	dims := []dim{{"channel", words(docket.Channels)}, {"category", append(slices.Clone(cats), "")}, {"state", words(docket.States)},
		{"finding", append(words(docket.Findings), "")}}
	var cols []string
	for _, d := range dims {
		for _, v := range d.values {
			cols = append(cols, fmt.Sprintf("SUM(CASE WHEN c.%s = '%s' THEN 1 ELSE 0 END)", d.col, v))
		}
	}
	nDim := len(cols)
	quote := func(vs ...docket.Rating) string {
		var q []string
		for _, v := range vs {
			q = append(q, "'"+string(v)+"'")
		}
		return strings.Join(q, ", ")
	}
	rated, content := quote(docket.Ratings...), quote(docket.Satisfied, docket.BasicallySatisfied)
	cols = append(cols,
		"COUNT(*)",
		"SUM(CASE WHEN c.accepted_on IS NOT NULL THEN 1 ELSE 0 END)",
		"SUM(CASE WHEN c.accepted_on <= c.accept_by THEN 1 ELSE 0 END)",
		"SUM(CASE WHEN c.concluded_on IS NOT NULL THEN 1 ELSE 0 END)",
		"SUM(CASE WHEN c.concluded_on <= c.finish_by THEN 1 ELSE 0 END)",
		"SUM(CASE WHEN c.finding <> '' THEN 1 ELSE 0 END)",
		"SUM(CASE WHEN c.finding IN ('"+string(docket.Verified)+"', '"+string(docket.PartlyVerified)+"') THEN 1 ELSE 0 END)",
		// A case is rated by its reporter, or else by the callback's result.
		"SUM(CASE WHEN c.rating <> '' OR c.callback_result IN ("+rated+") THEN 1 ELSE 0 END)",
		"SUM(CASE WHEN c.rating IN ("+content+") OR c.rating = '' AND c.callback_result IN ("+content+") THEN 1 ELSE 0 END)",
		"SUM(CASE WHEN c.rating = '' AND c.callback_result IN ("+rated+") THEN 1 ELSE 0 END)",
	)
	args := []any{a, b}
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	q := `SELECT c.received_on, c.unit_id, ` + strings.Join(cols, ", ") + `
		FROM cases c WHERE c.received_on >= $1 AND c.received_on <= $2 AND ` + f.SQL("c", arg) + `
		GROUP BY c.received_on, c.unit_id`
	rows, err := s.db.Read.QueryContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("stats: scan cases: %w", err)
	}
	defer rows.Close()
	vals := make([]int, nDim)
	for rows.Next() {
		var dk string
		var unit sql.NullInt64
		var x acc
		dst := []any{&dk, &unit}
		for i := range vals {
			dst = append(dst, &vals[i])
		}
		dst = append(dst, &x.total, &x.accepted, &x.acceptedOnTime, &x.concluded, &x.concludedOnTime, &x.found, &x.verified, &x.rated, &x.satisfied, &x.byCallback)
		if err := rows.Scan(dst...); err != nil {
			return fmt.Errorf("stats: read: %w", err)
		}
		d := into[dk]
		if d == nil {
			continue
		}
		i := 0
		for _, dm := range dims {
			for _, v := range dm.values {
				if vals[i] > 0 {
					if v == "" {
						v = "none"
					}
					if d.dims[dm.col] == nil {
						d.dims[dm.col] = map[string]int{}
					}
					d.dims[dm.col][v] += vals[i]
				}
				i++
			}
		}
		u := unit.Int64
		if d.units[u] == nil {
			d.units[u] = &acc{}
		}
		d.units[u].add(x)
	}
	return rows.Err()
}

// words turns a closed set of the record's vocabulary into the strings the
// scan compares the columns with.
func words[T ~string](vs []T) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}

func (s *Service) unitNames(ctx context.Context) (map[int64][2]string, error) {
	rows, err := s.db.Read.QueryContext(ctx, `SELECT id, code, name FROM units`)
	if err != nil {
		return nil, fmt.Errorf("stats: units: %w", err)
	}
	defer rows.Close()
	out := map[int64][2]string{}
	for rows.Next() {
		var id int64
		var code, name string
		if err := rows.Scan(&id, &code, &name); err != nil {
			return nil, err
		}
		out[id] = [2]string{code, name}
	}
	return out, rows.Err()
}

// sanctions counts the sanctions of decisions in force decided in the
// period (the decisions table comes with migration 00006; without it the
// counts stay empty).
func (s *Service) sanctions(ctx context.Context, from, to civil.Date, f access.CaseFilter, into map[string]int) error {
	var exists bool
	q := `SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'decisions')`
	if s.db.Engine == store.Postgres {
		q = `SELECT to_regclass('decisions') IS NOT NULL`
	}
	if err := s.db.Read.QueryRowContext(ctx, q).Scan(&exists); err != nil {
		return fmt.Errorf("stats: look for decisions: %w", err)
	}
	if !exists {
		return nil
	}
	args := []any{from.String(), to.String()}
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	rows, err := s.db.Read.QueryContext(ctx, `SELECT d.sanctions FROM decisions d JOIN cases c ON c.id = d.case_id
		WHERE d.status = 'in_force' AND d.decided_on >= $1 AND d.decided_on <= $2 AND `+f.SQL("c", arg), args...)
	if err != nil {
		return fmt.Errorf("stats: decisions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var js string
		if err := rows.Scan(&js); err != nil {
			return err
		}
		var codes []string
		if json.Unmarshal([]byte(js), &codes) != nil {
			continue
		}
		for _, c := range codes {
			into[c]++
		}
	}
	return rows.Err()
}
