package app

import (
	"context"
	"fmt"
	"os"
	"sync"

	"mashang/internal/calendar"
	"mashang/internal/office"
	"mashang/internal/store"
)

// Calendars holds the working-day calendar in force: the embedded years plus
// those an admin imported (kept in the database). It is swapped whole when a
// year is imported, so readers never see half a year.
//
// It is the one place that answers "the calendar for office X" (Office):
// the national calendar with the days the office and those above it lay over
// it (office.CalendarKey), cached per office until a year is imported or the
// offices' settings change. A case counts its deadlines on the national
// calendar with the days fixed on it when it was registered
// (docket.CaseDays; package cases lays them over Get).
type Calendars struct {
	mu  sync.RWMutex
	cal *calendar.Calendar

	offices  *office.Service // nil: no offices, the national calendar for all
	tree     *office.Tree    // the snapshot byOffice was built from
	byOffice map[int64]*calendar.Calendar
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
	c.byOffice = nil
	c.mu.Unlock()
	return nil
}

// SetOffices makes Office answer with each office's own days (app.New).
func (c *Calendars) SetOffices(o *office.Service) {
	c.mu.Lock()
	c.offices, c.byOffice = o, nil
	c.mu.Unlock()
}

// Office is the calendar office officeID counts working days on today: the
// national one with the days it (or the nearest office above it that sets
// them) lays over it.
func (c *Calendars) Office(ctx context.Context, officeID int64) (*calendar.Calendar, error) {
	c.mu.RLock()
	offices := c.offices
	c.mu.RUnlock()
	if offices == nil || officeID == 0 {
		return c.Get(), nil
	}
	t, err := offices.Tree(ctx)
	if err != nil {
		return nil, err
	}
	c.mu.RLock()
	cal, ok := c.byOffice[officeID]
	fresh := c.tree == t
	c.mu.RUnlock()
	if ok && fresh {
		return cal, nil
	}
	days, err := office.Get(ctx, offices, officeID, office.CalendarKey, nil)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.tree != t {
		c.tree, c.byOffice = t, nil
	}
	if c.byOffice == nil {
		c.byOffice = map[int64]*calendar.Calendar{}
	}
	cal = c.cal.Overlay(days)
	c.byOffice[officeID] = cal
	return cal, nil
}

// Offices is Office for every office, by id (the national calendar alone
// under id 0 when there are no offices).
func (c *Calendars) Offices(ctx context.Context) (map[int64]*calendar.Calendar, error) {
	c.mu.RLock()
	offices := c.offices
	c.mu.RUnlock()
	if offices == nil {
		return map[int64]*calendar.Calendar{0: c.Get()}, nil
	}
	t, err := offices.Tree(ctx)
	if err != nil {
		return nil, err
	}
	out := map[int64]*calendar.Calendar{}
	for _, o := range t.All() {
		if out[o.ID], err = c.Office(ctx, o.ID); err != nil {
			return nil, err
		}
	}
	return out, nil
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
