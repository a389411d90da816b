package reports

import (
	"context"
	"fmt"
	"time"

	"mashang/internal/access"
	"mashang/internal/catalog"
	"mashang/internal/civil"
	"mashang/internal/docket"
)

// Month is one month's published figures.
type Month struct {
	Month      string         `json:"month"` // YYYY-MM
	Received   int            `json:"received"`
	ByChannel  map[string]int `json:"by_channel"`
	ByCategory map[string]int `json:"by_category"`
	Accepted   int            `json:"accepted"`
	Concluded  int            `json:"concluded"`
	OnTime     int            `json:"concluded_on_time"`
}

// PublicStats are the statistics the portal publishes: counts only, never a
// case, person or reporter.
type PublicStats struct {
	From   civil.Date `json:"from"`
	To     civil.Date `json:"to"`
	Months []Month    `json:"months"`
	// Totals over the months.
	Received        int     `json:"received"`
	Accepted        int     `json:"accepted"`
	Concluded       int     `json:"concluded"`
	ConcludedOnTime int     `json:"concluded_on_time"`
	Verified        int     `json:"verified"` // verified or partly verified, of Concluded
	VerifiedShare   float64 `json:"verified_share"`
	OnTimeShare     float64 `json:"on_time_share"`
	ByChannel       []Count `json:"by_channel"`
	ByCategory      []Count `json:"by_category"`
	ByMethod        []Count `json:"accountability_by_method"`
	Decisions       int     `json:"decisions"`
	// Office and OfficeName: the office whose figures these are, with all
	// the offices below it (empty: the whole deployment). ByOffice breaks
	// the cases received down by the office directly below it they fall
	// under (each with its own lower offices) and the office's own.
	Office     string        `json:"office,omitempty"`
	OfficeName string        `json:"office_name,omitempty"`
	ByOffice   []OfficeCount `json:"by_office,omitempty"`
}

// OfficeCount is one line of a breakdown by office: Own is the office's
// own cases only (the office whose figures are shown), otherwise the
// office's with those below it.
type OfficeCount struct {
	Office   string `json:"office"`
	Name     string `json:"name"`
	Own      bool   `json:"own,omitempty"`
	Received int    `json:"received"`
}

// PublicStats computes the published statistics for the months months up to
// and including the one of today.
func (s *Service) PublicStats(ctx context.Context, cat *catalog.Catalog, months int) (PublicStats, error) {
	return s.PublicStatsIn(ctx, cat, months, access.PublicFigures())
}

// ReceivedByOffice counts the cases f admits received from..to (merged
// duplicates aside), by office id.
func (s *Service) ReceivedByOffice(ctx context.Context, from, to civil.Date, f access.CaseFilter) (map[int64]int, error) {
	args := []any{from, to}
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	rows, err := s.db.Read.QueryContext(ctx, `SELECT c.office_id, COUNT(*) FROM cases c WHERE c.state <> '`+string(docket.Merged)+`'
		AND c.received_on >= $1 AND c.received_on <= $2 AND `+f.SQL("c", arg)+` GROUP BY c.office_id`, args...)
	if err != nil {
		return nil, fmt.Errorf("reports: by office: %w", err)
	}
	defer rows.Close()
	out := map[int64]int{}
	for rows.Next() {
		var id int64
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, fmt.Errorf("reports: by office: %w", err)
		}
		out[id] = n
	}
	return out, rows.Err()
}

// PublicStatsIn is PublicStats of the cases f admits (an office and those
// below it: access.PublicFigures().InOffices).
func (s *Service) PublicStatsIn(ctx context.Context, cat *catalog.Catalog, months int, f access.CaseFilter) (PublicStats, error) {
	if months <= 0 || months > 60 {
		months = 12
	}
	today := civil.In(s.clock.Now(), s.loc)
	first := civil.New(today.Year, today.Month, 1).AddMonths(-(months - 1))
	ps := PublicStats{From: first, To: today}
	idx := map[string]int{}
	for i := 0; i < months; i++ {
		m := first.AddMonths(i)
		key := fmt.Sprintf("%04d-%02d", m.Year, int(m.Month))
		idx[key] = i
		ps.Months = append(ps.Months, Month{Month: key, ByChannel: map[string]int{}, ByCategory: map[string]int{}})
	}
	rows, err := s.caseRows(ctx, first, today, f)
	if err != nil {
		return PublicStats{}, err
	}
	byCh, byCat := map[string]int{}, map[string]int{}
	mk := func(d civil.Date) (int, bool) {
		i, ok := idx[fmt.Sprintf("%04d-%02d", d.Year, int(d.Month))]
		return i, ok && !d.After(today)
	}
	for _, r := range rows {
		if i, ok := mk(r.received); ok {
			m := &ps.Months[i]
			m.Received++
			m.ByChannel[r.channel]++
			m.ByCategory[r.category]++
			byCh[r.channel]++
			byCat[r.category]++
			ps.Received++
			if !r.accepted.IsZero() {
				m.Accepted++
				ps.Accepted++
			}
		}
		if i, ok := mk(r.concluded); ok && !r.concluded.IsZero() {
			m := &ps.Months[i]
			m.Concluded++
			ps.Concluded++
			if r.finishBy.IsZero() || !r.concluded.After(r.finishBy) {
				m.OnTime++
				ps.ConcludedOnTime++
			}
			if docket.Finding(r.finding).Substantiated() {
				ps.Verified++
			}
		}
	}
	if ps.Concluded > 0 {
		ps.VerifiedShare = float64(ps.Verified) / float64(ps.Concluded)
		ps.OnTimeShare = float64(ps.ConcludedOnTime) / float64(ps.Concluded)
	}
	ps.ByChannel = counts(byCh, vocab(docket.Channels, docket.Channel.Label))
	ps.ByCategory = counts(byCat, categoryLabels(cat))
	byGroup, _, n, err := s.decisions(ctx, cat, first, today, f)
	if err != nil {
		return PublicStats{}, err
	}
	ps.ByMethod = counts(byGroup, groupNames(cat))
	ps.Decisions = n
	return ps, nil
}

// MonthBounds returns the first and last day of the month YYYY-MM.
func MonthBounds(month string) (civil.Date, civil.Date, error) {
	t, err := time.Parse("2006-01", month)
	if err != nil {
		return civil.Date{}, civil.Date{}, err
	}
	first := civil.New(t.Year(), t.Month(), 1)
	return first, first.AddMonths(1).AddDays(-1), nil
}
