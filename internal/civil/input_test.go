package civil_test

import (
	"testing"

	"mashang/internal/civil"
	"mashang/internal/problem"
)

func TestInputRange(t *testing.T) {
	today := civil.MustParse("2026-03-02")
	for _, c := range []struct {
		in string
		ok bool
	}{
		{"2026-03-02", true},
		{"2000-01-01", true},
		{"2027-12-31", true},
		{"1999-12-31", false},
		{"2028-01-01", false},
		{"0000-01-01", false},
		{"2026-02-29", false}, // not a leap year
		{"2026-3-2", false},
		{"", false},
		{"2026-03-02T00:00:00Z", false},
	} {
		_, err := civil.Input("on", c.in, today)
		if (err == nil) != c.ok {
			t.Errorf("%q: %v, want ok=%t", c.in, err, c.ok)
			continue
		}
		if err != nil {
			pe, ok := problem.As(err)
			if !ok || pe.Kind != problem.KindInvalid || pe.Code != civil.InvalidCode || pe.Field != "on" {
				t.Errorf("%q: %#v", c.in, err)
			}
		}
	}
	if civil.CheckInput("on", civil.Date{}, today) != nil {
		t.Error("a date not given passes the range check")
	}
	if err := civil.NotBefore("decided_on", civil.MustParse("2026-01-01"), civil.MustParse("2026-01-02"), "案件收到日期", "the received date"); err == nil {
		t.Error("a date before its floor passes")
	}
	if err := civil.NotAfterToday("decided_on", civil.MustParse("2026-03-03"), today); err == nil {
		t.Error("tomorrow passes")
	}
}
