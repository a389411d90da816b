// Package stats computes the office's statistics for a period (GET
// /api/v1/stats): counts of cases by channel, category, state and finding,
// of sanctions decided, and the rates a 12345-style office is judged by —
// accepted on time, settled on time, verified share, reporters' satisfaction —
// overall, by unit and by month.
//
// Cases count in the period of their received date. The whole case side is
// one SQL scan of the period through the covering index cases_stats
// (received_on, unit_id, channel, category, state, finding, accept_by,
// accepted_on, finish_by, concluded_on, rating), grouped by day and unit in
// index order (no sort) with one conditional sum per counted value; Go rolls
// the few thousand groups up. Sanctions come from the decisions in force
// decided in the period.
//
// Rates: accepted_on_time = accepted on or before accept_by, of the cases
// accepted; settled_on_time = concluded on or before finish_by, of the cases
// concluded; verified_share = findings verified or partly_verified, of the
// cases with a finding; satisfaction = ratings satisfied or
// basically_satisfied, of the cases rated. A rate is null when its base is 0.
package stats

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"

	"mashang/internal/catalog"
	"mashang/internal/civil"
	"mashang/internal/problem"
	"mashang/internal/store"
)

// Counted values (the closed sets the scan sums over).
var (
	Channels = []string{"web", "hotline", "letter", "walkin", "email", "inspection", "media", "superior", "rule"}
	States   = []string{"registered", "accepted", "refused", "transferred", "investigating", "concluded", "closed", "review", "merged"}
	Findings = []string{"verified", "partly_verified", "unfounded"}
)

// Service computes statistics.
type Service struct {
	db         *store.DB
	categories []string
}

// New returns the service; the catalogue gives the categories.
func New(db *store.DB, cat *catalog.Catalog) *Service {
	var cats []string
	if cat != nil {
		for _, s := range cat.Situations {
			if !slices.Contains(cats, s.Category) {
				cats = append(cats, s.Category)
			}
		}
	}
	sort.Strings(cats)
	return &Service{db: db, categories: cats}
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
}

// acc accumulates the raw counts behind Rates.
type acc struct {
	total, accepted, acceptedOnTime, concluded, concludedOnTime, found, verified, rated, satisfied int
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
}

func (a acc) rates() Rates {
	return Rates{
		AcceptedOnTime: rate(a.acceptedOnTime, a.accepted),
		SettledOnTime:  rate(a.concludedOnTime, a.concluded),
		VerifiedShare:  rate(a.verified, a.found),
		Satisfaction:   rate(a.satisfied, a.rated),
	}
}

// Compute returns the statistics of the cases received from..to (inclusive).
func (s *Service) Compute(ctx context.Context, from, to civil.Date) (*Report, error) {
	if to.Before(from) {
		return nil, problem.Invalid("to", "invalid_range", "to 早于 from", "to is before from")
	}
	r := &Report{From: from, To: to, ByChannel: map[string]int{}, ByCategory: map[string]int{}, ByState: map[string]int{},
		ByFinding: map[string]int{}, BySanction: map[string]int{}, ByUnit: []Group{}, ByMonth: []Group{}}

	type dim struct {
		col    string
		values []string
		into   map[string]int
	}
	cats := append(slices.Clone(s.categories), "")
	dims := []dim{{"channel", Channels, r.ByChannel}, {"category", cats, r.ByCategory}, {"state", States, r.ByState}, {"finding", append(slices.Clone(Findings), ""), r.ByFinding}}
	var cols []string
	for _, d := range dims {
		for _, v := range d.values {
			cols = append(cols, fmt.Sprintf("SUM(CASE WHEN c.%s = '%s' THEN 1 ELSE 0 END)", d.col, v))
		}
	}
	cols = append(cols,
		"COUNT(*)",
		"SUM(CASE WHEN c.accepted_on IS NOT NULL THEN 1 ELSE 0 END)",
		"SUM(CASE WHEN c.accepted_on <= c.accept_by THEN 1 ELSE 0 END)",
		"SUM(CASE WHEN c.concluded_on IS NOT NULL THEN 1 ELSE 0 END)",
		"SUM(CASE WHEN c.concluded_on <= c.finish_by THEN 1 ELSE 0 END)",
		"SUM(CASE WHEN c.finding <> '' THEN 1 ELSE 0 END)",
		"SUM(CASE WHEN c.finding IN ('verified', 'partly_verified') THEN 1 ELSE 0 END)",
		"SUM(CASE WHEN c.rating <> '' THEN 1 ELSE 0 END)",
		"SUM(CASE WHEN c.rating IN ('satisfied', 'basically_satisfied') THEN 1 ELSE 0 END)",
	)
	q := `SELECT c.received_on, c.unit_id, ` + strings.Join(cols, ", ") + `
		FROM cases c WHERE c.received_on >= $1 AND c.received_on <= $2
		GROUP BY c.received_on, c.unit_id`
	rows, err := s.db.Read.QueryContext(ctx, q, from.String(), to.String())
	if err != nil {
		return nil, fmt.Errorf("stats: scan cases: %w", err)
	}
	defer rows.Close()
	var total acc
	byUnit := map[int64]*acc{}
	byMonth := map[string]*acc{}
	nDim := len(cols) - 9
	vals := make([]int, nDim)
	for rows.Next() {
		var day string
		var unit sql.NullInt64
		var a acc
		dst := []any{&day, &unit}
		for i := range vals {
			dst = append(dst, &vals[i])
		}
		dst = append(dst, &a.total, &a.accepted, &a.acceptedOnTime, &a.concluded, &a.concludedOnTime, &a.found, &a.verified, &a.rated, &a.satisfied)
		if err := rows.Scan(dst...); err != nil {
			return nil, fmt.Errorf("stats: read: %w", err)
		}
		i := 0
		for _, d := range dims {
			for _, v := range d.values {
				if vals[i] > 0 {
					key := v
					if key == "" {
						key = "none"
					}
					d.into[key] += vals[i]
				}
				i++
			}
		}
		total.add(a)
		u := int64(0)
		if unit.Valid {
			u = unit.Int64
		}
		if byUnit[u] == nil {
			byUnit[u] = &acc{}
		}
		byUnit[u].add(a)
		if len(day) >= 7 {
			m := day[:7]
			if byMonth[m] == nil {
				byMonth[m] = &acc{}
			}
			byMonth[m].add(a)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	r.Total = total.total
	r.Rates = total.rates()
	// Anything outside the counted sets (a newer channel, say) shows as "other".
	for _, d := range dims {
		sum := 0
		for _, n := range d.into {
			sum += n
		}
		if sum < total.total {
			d.into["other"] = total.total - sum
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
	if err := s.sanctions(ctx, from, to, r.BySanction); err != nil {
		return nil, err
	}
	return r, nil
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
func (s *Service) sanctions(ctx context.Context, from, to civil.Date, into map[string]int) error {
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
	rows, err := s.db.Read.QueryContext(ctx, `SELECT sanctions FROM decisions
		WHERE status = 'in_force' AND decided_on >= $1 AND decided_on <= $2`, from.String(), to.String())
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
