package store

import (
	"database/sql/driver"
	"fmt"
	"time"
)

// InstantLayout is how instants are stored: UTC, fixed width, so that text
// order is time order on both engines.
const InstantLayout = "2006-01-02T15:04:05.000000Z"

// FormatInstant renders t in the stored form.
func FormatInstant(t time.Time) string { return t.UTC().Format(InstantLayout) }

// Instant is a time.Time that is stored as fixed-width UTC text.
type Instant struct{ time.Time }

// Value implements driver.Valuer.
func (i Instant) Value() (driver.Value, error) {
	if i.IsZero() {
		return nil, nil
	}
	return FormatInstant(i.Time), nil
}

// Scan implements sql.Scanner for text, bytes, time.Time and NULL.
func (i *Instant) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		i.Time = time.Time{}
		return nil
	case time.Time:
		i.Time = v
		return nil
	case string:
		return i.parse(v)
	case []byte:
		return i.parse(string(v))
	}
	return fmt.Errorf("store: cannot scan %T into Instant", src)
}

func (i *Instant) parse(s string) error {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return fmt.Errorf("store: bad instant %q: %w", s, err)
	}
	i.Time = t
	return nil
}
