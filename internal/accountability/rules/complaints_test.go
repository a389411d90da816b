package rules

import (
	"reflect"
	"testing"
)

func TestWithinOneYear(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"2024-01-01", "2024-01-01", true},
		{"2023-01-01", "2023-12-31", true},  // 364 days
		{"2023-01-01", "2024-01-01", false}, // exactly one year
		{"2023-01-01", "2024-01-02", false}, // 366 days
		{"2024-01-01", "2024-12-30", true},  // 364 days in a leap year
		{"2024-01-01", "2024-12-31", true},  // 365 days, still under a year in a leap year
		{"2024-01-01", "2025-01-02", false}, // 367 days
		{"2023-03-01", "2024-02-29", true},  // 365 days across a leap day
		{"2024-02-29", "2025-02-28", false}, // 29 Feb + 1 year = 28 Feb
		{"2024-02-29", "2025-02-27", true},
		{"2025-02-27", "2024-02-29", true}, // either order
		{"2025-02-28", "2024-02-29", false},
	} {
		if got := WithinOneYear(d(tc.a), d(tc.b)); got != tc.want {
			t.Errorf("WithinOneYear(%s, %s) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestFindPairs(t *testing.T) {
	cases := []VerifiedComplaint{
		{CaseID: 12, PersonID: 1, Category: "P1.1", Received: d("2025-05-31")},
		{CaseID: 10, PersonID: 1, Category: "P1.2", Received: d("2024-01-01")},
		{CaseID: 11, PersonID: 1, Category: "P1", Received: d("2024-06-01")},
		{CaseID: 13, PersonID: 1, Category: "P2.1", Received: d("2024-02-01")}, // not P1: ignored
		{CaseID: 14, PersonID: 1, Category: "P10.1", Received: d("2024-02-01")},
		{CaseID: 10, PersonID: 1, Category: "P1.2", Received: d("2024-01-01")}, // listed twice
		{CaseID: 5, PersonID: 2, Category: "P1.3", Received: d("2024-02-29")},
		{CaseID: 3, PersonID: 2, Category: "P1.4", Received: d("2025-02-28")}, // one year after case 5: no pair
		{CaseID: 4, PersonID: 2, Category: "P1.5", Received: d("2025-02-27")},
		{CaseID: 20, PersonID: 3, Category: "U1.1", Received: d("2024-02-01")}, // unit situations never pair
		{CaseID: 21, PersonID: 3, Category: "U1.2", Received: d("2024-02-02")},
		{CaseID: 30, PersonID: 4, Category: "P1.1", Received: d("2024-02-01")}, // a different person from 31
		{CaseID: 31, PersonID: 5, Category: "P1.1", Received: d("2024-02-02")},
	}
	want := []Pair{
		{PersonID: 1, First: 10, Second: 11},
		{PersonID: 1, First: 11, Second: 12},
		{PersonID: 2, First: 3, Second: 4},
		{PersonID: 2, First: 4, Second: 5},
	}
	if got := FindPairs(cases); !reflect.DeepEqual(got, want) {
		t.Errorf("FindPairs = %+v\nwant %+v", got, want)
	}
	if got := FindPairs(nil); len(got) != 0 {
		t.Errorf("no cases: %v", got)
	}
	nonP1 := []VerifiedComplaint{
		{CaseID: 1, PersonID: 1, Category: "P2", Received: d("2024-01-01")},
		{CaseID: 2, PersonID: 1, Category: "P2", Received: d("2024-01-02")},
	}
	if got := FindPairs(nonP1); len(got) != 0 {
		t.Errorf("non-P1 pair found: %v", got)
	}
}

func TestAppealFiledInTime(t *testing.T) {
	for filed, want := range map[string]bool{
		"2024-02-29": false, "2024-03-01": true, "2024-03-16": true, "2024-03-17": false,
	} {
		if got := AppealFiledInTime(d("2024-03-01"), d(filed), AppealFilingDays); got != want {
			t.Errorf("filed %s: %v, want %v", filed, got, want)
		}
	}
	// With a deadline moved by the calendar past a holiday.
	if !FiledBy(d("2024-09-16"), d("2024-10-08"), d("2024-10-08")) || FiledBy(d("2024-09-16"), d("2024-10-09"), d("2024-10-08")) {
		t.Error("FiledBy")
	}
}
