// Package civil holds a calendar date without time or zone, and the calendar
// arithmetic Chinese statutory counting needs (months and years that clamp to
// the month's last day instead of overflowing into the next month).
package civil

import (
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"time"
)

// Date is a day in the proleptic Gregorian calendar. The zero value is not a
// valid date; IsZero reports it.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// Layout is the one textual form of a Date: YYYY-MM-DD.
const Layout = "2006-01-02"

// Parse reads YYYY-MM-DD and rejects anything else, including dates that do
// not exist (2026-02-30).
func Parse(s string) (Date, error) {
	t, err := time.Parse(Layout, s)
	if err != nil {
		return Date{}, &ParseError{Text: s}
	}
	return Of(t), nil
}

// ParseError is what Parse, UnmarshalJSON and Scan return for text that is
// not a date.
type ParseError struct{ Text string }

func (e *ParseError) Error() string {
	return fmt.Sprintf("civil: %q is not a date in the form YYYY-MM-DD", e.Text)
}

// MustParse is Parse for literals in tests and data; it panics on error.
func MustParse(s string) Date {
	d, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return d
}

// Of returns the date of t in t's own location.
func Of(t time.Time) Date {
	y, m, d := t.Date()
	return Date{y, m, d}
}

// In returns the date of instant t as seen in loc.
func In(t time.Time, loc *time.Location) Date { return Of(t.In(loc)) }

// New builds a date, normalising like time.Date does.
func New(y int, m time.Month, d int) Date { return Of(time.Date(y, m, d, 0, 0, 0, 0, time.UTC)) }

// Time is midnight at the start of the date in loc.
func (d Date) Time(loc *time.Location) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, loc)
}

func (d Date) utc() time.Time { return d.Time(time.UTC) }

// IsZero reports whether d is the zero Date.
func (d Date) IsZero() bool { return d == Date{} }

func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day)
}

// Weekday of the date.
func (d Date) Weekday() time.Weekday { return d.utc().Weekday() }

// AddDays moves n calendar days (n may be negative).
func (d Date) AddDays(n int) Date { return Of(d.utc().AddDate(0, 0, n)) }

// AddMonths moves n months, keeping the day of month or clamping to the last
// day of the target month (2024-01-31 + 1 month = 2024-02-29).
func (d Date) AddMonths(n int) Date {
	total := d.Year*12 + int(d.Month-1) + n
	y, m := total/12, time.Month(total%12+1)
	if total%12 < 0 {
		y, m = (total-11)/12, time.Month(total-((total-11)/12)*12+1)
	}
	last := DaysIn(y, m)
	day := d.Day
	if day > last {
		day = last
	}
	return Date{y, m, day}
}

// AddYears moves n years with the same clamping (2024-02-29 + 1 year = 2025-02-28).
func (d Date) AddYears(n int) Date { return d.AddMonths(12 * n) }

// DaysIn is the number of days in month m of year y.
func DaysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// Before reports d < o.
func (d Date) Before(o Date) bool { return d.Compare(o) < 0 }

// After reports d > o.
func (d Date) After(o Date) bool { return d.Compare(o) > 0 }

// Compare returns -1, 0 or +1.
func (d Date) Compare(o Date) int {
	switch {
	case d.Year != o.Year:
		return cmp(d.Year, o.Year)
	case d.Month != o.Month:
		return cmp(int(d.Month), int(o.Month))
	default:
		return cmp(d.Day, o.Day)
	}
}

func cmp(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// DaysUntil is the number of days from d to o (negative when o is earlier).
func (d Date) DaysUntil(o Date) int {
	return int(o.utc().Sub(d.utc()).Hours() / 24)
}

// MarshalJSON writes "YYYY-MM-DD", or null for the zero date.
func (d Date) MarshalJSON() ([]byte, error) {
	if d.IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(d.String())
}

// UnmarshalJSON reads "YYYY-MM-DD" or null.
func (d *Date) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*d = Date{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return &ParseError{Text: string(b)}
	}
	p, err := Parse(s)
	if err != nil {
		return err
	}
	*d = p
	return nil
}

// Value stores the date as text YYYY-MM-DD (both engines keep dates as text).
func (d Date) Value() (driver.Value, error) {
	if d.IsZero() {
		return nil, nil
	}
	return d.String(), nil
}

// Scan reads text, bytes or a time.Time (PostgreSQL date columns).
func (d *Date) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*d = Date{}
		return nil
	case string:
		p, err := Parse(v)
		*d = p
		return err
	case []byte:
		p, err := Parse(string(v))
		*d = p
		return err
	case time.Time:
		*d = Of(v)
		return nil
	}
	return fmt.Errorf("civil: cannot scan %T into Date", src)
}

// FromNull parses a nullable YYYY-MM-DD column: nil when NULL, empty or not
// a date.
func FromNull(s sql.NullString) *Date {
	if !s.Valid || s.String == "" {
		return nil
	}
	d, err := Parse(s.String)
	if err != nil {
		return nil
	}
	return &d
}
