package app

import (
	"context"
	"fmt"
	"os"
	"sync"

	"mashang/internal/calendar"
	"mashang/internal/store"
)

// Calendars holds the working-day calendar in force: the embedded years plus
// those an admin imported (kept in the database). It is swapped whole when a
// year is imported, so readers never see half a year.
type Calendars struct {
	mu  sync.RWMutex
	cal *calendar.Calendar
}

// NewCalendars builds the calendar from the embedded years and the imported
// ones in the database (imported years win).
func NewCalendars(ctx context.Context, db *store.DB) (*Calendars, error) {
	c := &Calendars{}
	if err := c.Reload(ctx, db); err != nil {
		return nil, err
	}
	return c, nil
}

// Reload rebuilds the calendar from the embedded and stored years.
func (c *Calendars) Reload(ctx context.Context, db *store.DB) error {
	years, err := calendar.Embedded()
	if err != nil {
		return fmt.Errorf("app: embedded calendar: %w", err)
	}
	stored, err := StoredYears(ctx, db)
	if err != nil {
		return err
	}
	cal := calendar.New(append(years, stored...)...)
	c.mu.Lock()
	c.cal = cal
	c.mu.Unlock()
	return nil
}

// Get returns the calendar in force.
func (c *Calendars) Get() *calendar.Calendar {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.cal
}

// StoredYears reads the years an admin imported.
func StoredYears(ctx context.Context, db *store.DB) ([]calendar.Year, error) {
	rows, err := db.Read.QueryContext(ctx, `SELECT data FROM calendar_years ORDER BY year`)
	if err != nil {
		return nil, fmt.Errorf("app: read imported calendar years: %w", err)
	}
	defer rows.Close()
	var out []calendar.Year
	for rows.Next() {
		var data string
		if err := rows.Scan(&data); err != nil {
			return nil, err
		}
		y, err := calendar.ParseYear([]byte(data))
		if err != nil {
			return nil, fmt.Errorf("app: stored calendar year: %w", err)
		}
		out = append(out, y)
	}
	return out, rows.Err()
}

func loadLimits(file string) (calendar.Limits, error) {
	if file == "" {
		return calendar.DefaultLimits(), nil
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return calendar.Limits{}, fmt.Errorf("app: limits file: %w", err)
	}
	l, err := calendar.ParseLimits(data)
	if err != nil {
		return calendar.Limits{}, fmt.Errorf("app: limits file %s: %w", file, err)
	}
	return l, nil
}
