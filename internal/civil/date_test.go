package civil

import (
	"database/sql"
	"testing"
)

func TestAddYearsClamps(t *testing.T) {
	cases := []struct {
		from string
		n    int
		want string
	}{
		{"2024-02-29", 1, "2025-02-28"},
		{"2024-02-29", 4, "2028-02-29"},
		{"2025-03-31", 0, "2025-03-31"},
		{"2023-01-31", 1, "2024-01-31"},
	}
	for _, c := range cases {
		if got := MustParse(c.from).AddYears(c.n).String(); got != c.want {
			t.Errorf("%s + %d years = %s, want %s", c.from, c.n, got, c.want)
		}
	}
}

func TestAddMonthsClamps(t *testing.T) {
	cases := []struct {
		from string
		n    int
		want string
	}{
		{"2024-01-31", 1, "2024-02-29"},
		{"2025-01-31", 1, "2025-02-28"},
		{"2025-08-31", 18, "2027-02-28"},
		{"2025-03-31", -1, "2025-02-28"},
		{"2025-01-15", -13, "2023-12-15"},
		{"2025-12-31", 6, "2026-06-30"},
	}
	for _, c := range cases {
		if got := MustParse(c.from).AddMonths(c.n).String(); got != c.want {
			t.Errorf("%s + %d months = %s, want %s", c.from, c.n, got, c.want)
		}
	}
}

func TestParseRejects(t *testing.T) {
	for _, s := range []string{"", "2026-02-30", "2026/01/01", "20260101", "2026-1-1"} {
		if _, err := Parse(s); err == nil {
			t.Errorf("Parse(%q) accepted", s)
		}
	}
}

func TestCompareAndDays(t *testing.T) {
	a, b := MustParse("2025-12-31"), MustParse("2026-01-01")
	if !a.Before(b) || b.Before(a) || a.Compare(a) != 0 {
		t.Fatal("compare wrong")
	}
	if n := a.DaysUntil(MustParse("2026-03-01")); n != 60 {
		t.Fatalf("DaysUntil = %d, want 60", n)
	}
}

func TestFromNull(t *testing.T) {
	if FromNull(sql.NullString{}) != nil || FromNull(sql.NullString{Valid: true}) != nil || FromNull(sql.NullString{String: "x", Valid: true}) != nil {
		t.Fatal("NULL, empty or garbage must give nil")
	}
	if d := FromNull(sql.NullString{String: "2026-10-08", Valid: true}); d == nil || d.String() != "2026-10-08" {
		t.Fatalf("%v", d)
	}
}
