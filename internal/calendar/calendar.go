// Package calendar knows China's working days and counts statutory deadlines.
//
// Working days follow the State Council's yearly holiday notice, loaded one
// year at a time as data (Year): weekends are rest days and weekdays are
// working days, except for the days a year lists — "off" (holidays and rest
// days, 放假) and "work" (make-up working days on a weekend, 调休上班). The
// years already published ship embedded (Embedded); later years are imported
// with ParseYear.
//
// Deadlines follow 民法典 arts. 201–203: the start day is not counted, and a
// last day that is a rest day or holiday moves to the first working day after
// it. A deadline that depends on a day in a year that is not loaded is
// computed on weekends alone and reported as provisional, to be recomputed
// when that year is loaded.
//
// Everything here is pure computation on immutable values; a *Calendar is safe
// for concurrent use.
package calendar

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"

	"mashang/internal/civil"
)

// Kind says what a listed day is.
type Kind string

const (
	// Off is a holiday or rest day (on a weekday, or a weekend inside a break).
	Off Kind = "off"
	// Work is a make-up working day on a Saturday or Sunday (调休).
	Work Kind = "work"
)

// Day is one listed day of a year.
type Day struct {
	Date civil.Date `json:"date"`
	Kind Kind       `json:"kind"`
	Name string     `json:"name"`
}

// Year is one year's notice: the days that differ from (or, for weekends
// inside a break, restate) the plain weekday/weekend rule. Its JSON form is
// the import format {"year": 2026, "days": [{"date","kind","name"}, …]}.
type Year struct {
	Year int   `json:"year"`
	Days []Day `json:"days"`
}

//go:embed data/*.json
var dataFS embed.FS

// Embedded returns the years shipped inside the binary (data/YYYY.json),
// sorted by year. An error means the build embedded a broken file.
func Embedded() ([]Year, error) {
	names, err := fs.Glob(dataFS, "data/[0-9][0-9][0-9][0-9].json")
	if err != nil {
		return nil, fmt.Errorf("calendar: listing embedded years: %w", err)
	}
	sort.Strings(names)
	years := make([]Year, 0, len(names))
	for _, name := range names {
		b, err := dataFS.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("calendar: reading embedded %s: %w", name, err)
		}
		y, err := ParseYear(b)
		if err != nil {
			return nil, fmt.Errorf("calendar: embedded %s: %w", name, err)
		}
		if want := strings.TrimSuffix(path.Base(name), ".json"); strconv.Itoa(y.Year) != want {
			return nil, fmt.Errorf("calendar: embedded %s declares year %d", name, y.Year)
		}
		years = append(years, y)
	}
	return years, nil
}

// Calendar answers working-day questions for the years it holds. It is
// immutable; build a new one (New, With) when a year is imported. A nil
// *Calendar behaves as one with no years loaded.
type Calendar struct {
	years map[int]loadedYear
	// local are an office's own days (Overlay), consulted before the
	// national years; they never make a year count as loaded.
	local map[civil.Date]Day
}

type loadedYear struct {
	days   []Day // sorted by date
	byDate map[civil.Date]Day
}

// New builds a calendar from years. It trusts its input (use ParseYear for
// files from outside); when a year is given twice the later one wins. The
// Years are copied, so later changes to them do not reach the calendar.
func New(years ...Year) *Calendar {
	return (&Calendar{}).With(years...)
}

// With returns a new calendar holding c's years plus years, which replace any
// year c already holds. c itself is unchanged.
func (c *Calendar) With(years ...Year) *Calendar {
	n := &Calendar{years: make(map[int]loadedYear)}
	if c != nil {
		for y, ly := range c.years {
			n.years[y] = ly // loadedYear is never mutated, so sharing is safe
		}
		n.local = c.local
	}
	for _, y := range years {
		ly := loadedYear{days: make([]Day, len(y.Days)), byDate: make(map[civil.Date]Day, len(y.Days))}
		copy(ly.days, y.Days)
		sort.SliceStable(ly.days, func(i, j int) bool { return ly.days[i].Date.Before(ly.days[j].Date) })
		for _, d := range ly.days {
			ly.byDate[d.Date] = d
		}
		n.years[y.Year] = ly
	}
	return n
}

// Overlay returns a calendar that is c with days laid over it: an office's
// own days (a local holiday off, a local make-up working day) win over the
// national notice on their dates. Days given twice: the later wins. The
// overlay does not make a year count as loaded: a deadline in a year whose
// national notice is missing stays provisional. c itself is unchanged; with
// no days, c is returned as it is.
func (c *Calendar) Overlay(days []Day) *Calendar {
	if len(days) == 0 {
		return c
	}
	n := &Calendar{local: make(map[civil.Date]Day, len(days))}
	if c != nil {
		n.years = c.years // never mutated, so sharing is safe
		for d, day := range c.local {
			n.local[d] = day
		}
	}
	for _, d := range days {
		n.local[d.Date] = d
	}
	return n
}

// Local lists the days laid over the national calendar (Overlay), by date.
func (c *Calendar) Local() []Day {
	if c == nil {
		return nil
	}
	out := make([]Day, 0, len(c.local))
	for _, d := range c.local {
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Date.Before(out[j].Date) })
	return out
}

// Loaded reports whether the calendar holds year's notice.
func (c *Calendar) Loaded(year int) bool {
	if c == nil {
		return false
	}
	_, ok := c.years[year]
	return ok
}

// Years lists the loaded years in ascending order.
func (c *Calendar) Years() []int {
	if c == nil {
		return nil
	}
	out := make([]int, 0, len(c.years))
	for y := range c.years {
		out = append(out, y)
	}
	sort.Ints(out)
	return out
}

// Lookup returns the listed entry for d (a holiday, a rest day inside a break
// or a make-up working day, with its name), if d's year is loaded and lists d.
func (c *Calendar) Lookup(d civil.Date) (Day, bool) {
	if c == nil {
		return Day{}, false
	}
	if day, ok := c.local[d]; ok {
		return day, true
	}
	ly, ok := c.years[d.Year]
	if !ok {
		return Day{}, false
	}
	day, ok := ly.byDate[d]
	return day, ok
}

// IsWorkday reports whether d is a working day. known is false when d's year
// is not loaded; work is then the plain rule (Monday–Friday work, Saturday and
// Sunday rest).
func (c *Calendar) IsWorkday(d civil.Date) (work bool, known bool) {
	known = c.Loaded(d.Year)
	if day, ok := c.Lookup(d); ok {
		return day.Kind == Work, known
	}
	return !isWeekend(d), known
}

// DueCalendarDays counts a limit of n calendar days from start under 民法典
// arts. 201–203: the start day is not counted, so the last day is start+n;
// when that day is a rest day or holiday, the deadline is the first working
// day after it (make-up working days are working days). provisional is true
// when any day consulted — the raw last day or a day walked over to find a
// working day — lies in a year that is not loaded. A negative n counts as 0.
func (c *Calendar) DueCalendarDays(start civil.Date, n int) (due civil.Date, provisional bool) {
	if n < 0 {
		n = 0
	}
	due = start.AddDays(n)
	for {
		work, known := c.IsWorkday(due)
		if !known {
			provisional = true
		}
		if work {
			return due, provisional
		}
		due = due.AddDays(1)
	}
}

// DueWorkdays counts a limit of n working days from start: the start day is
// not counted, and the deadline is the n-th working day after start (so it is
// always a working day for n ≥ 1). provisional is true when any day walked
// over lies in a year that is not loaded. n ≤ 0 returns start unchanged and
// not provisional.
func (c *Calendar) DueWorkdays(start civil.Date, n int) (due civil.Date, provisional bool) {
	due = start
	for n > 0 {
		due = due.AddDays(1)
		work, known := c.IsWorkday(due)
		if !known {
			provisional = true
		}
		if work {
			n--
		}
	}
	return due, provisional
}

// WorkdaysLeft measures the distance from today to a deadline in working
// days:
//
//   - due after today: the number of working days d with today < d ≤ due
//     (1 means "the deadline is the next working day"; a due date that is not
//     a working day is not counted itself);
//   - due equal to today: 0;
//   - due before today (overdue): minus the number of working days d with
//     due < d ≤ today, but at least -1, so that a deadline missed only by a
//     weekend or holiday still reads as overdue rather than as "due today".
//
// Years that are not loaded are counted by the plain weekday rule.
func (c *Calendar) WorkdaysLeft(today, due civil.Date) int {
	switch today.Compare(due) {
	case 0:
		return 0
	case -1:
		return c.countWorkdays(today, due)
	}
	n := c.countWorkdays(due, today)
	if n < 1 {
		n = 1
	}
	return -n
}

// countWorkdays is the number of working days d with a < d ≤ b (a ≤ b),
// computed without walking every day: weekdays by arithmetic, then the
// listed days of loaded years as corrections.
func (c *Calendar) countWorkdays(a, b civil.Date) int {
	days := a.DaysUntil(b)
	weeks := days / 7
	count := weeks * 5
	from := a.AddDays(1 + weeks*7)
	for i := 0; i < days%7; i++ {
		if !isWeekend(from.AddDays(i)) {
			count++
		}
	}
	if c == nil {
		return count
	}
	for date, day := range c.local {
		if !date.After(a) || date.After(b) {
			continue
		}
		// From the weekday rule to the local status (the national entry of
		// the date, if any, is skipped below).
		switch work, weekday := day.Kind == Work, !isWeekend(date); {
		case work && !weekday:
			count++
		case !work && weekday:
			count--
		}
	}
	for y, ly := range c.years {
		if y < a.Year || y > b.Year {
			continue
		}
		for _, d := range ly.days {
			if !d.Date.After(a) || d.Date.After(b) {
				continue
			}
			if _, overlaid := c.local[d.Date]; overlaid {
				continue // counted above
			}
			switch weekend := isWeekend(d.Date); {
			case d.Kind == Work && weekend:
				count++
			case d.Kind != Work && !weekend:
				count--
			}
		}
	}
	return count
}
