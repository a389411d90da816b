package rules

import (
	"cmp"
	"slices"
	"strings"

	"mashang/internal/civil"
)

// TwoComplaintsCategory is the category whose verified complaints count
// towards the "twice within one year" rule (P1 消极应付).
const TwoComplaintsCategory = "P1"

// WithinOneYear reports whether two dates, in either order, are less than one
// calendar year apart: later < earlier + 1 year, with 29 February + 1 year =
// 28 February.
func WithinOneYear(d1, d2 civil.Date) bool {
	if d2.Before(d1) {
		d1, d2 = d2, d1
	}
	return d2.Before(d1.AddYears(1))
}

// VerifiedComplaint is a case concluded verified (or partly verified) naming
// a person.
type VerifiedComplaint struct {
	CaseID   int64
	PersonID int64
	// Category is the situation's category ("P1") or its situation code
	// ("P1.2"); both are understood.
	Category string
	Received civil.Date
}

// Pair is two verified complaints that together trigger the rule; First is
// the lower case id.
type Pair struct {
	PersonID int64 `json:"person_id"`
	First    int64 `json:"first"`
	Second   int64 `json:"second"`
}

func countsTowardsTwo(category string) bool {
	return category == TwoComplaintsCategory || strings.HasPrefix(category, TwoComplaintsCategory+".")
}

// FindPairs returns every pair of distinct P1 cases about the same person
// whose received dates are within one year (WithinOneYear), each pair once,
// ordered by person, then First, then Second. Other categories are ignored.
func FindPairs(cases []VerifiedComplaint) []Pair {
	p1 := make([]VerifiedComplaint, 0, len(cases))
	for _, c := range cases {
		if countsTowardsTwo(c.Category) && !c.Received.IsZero() {
			p1 = append(p1, c)
		}
	}
	slices.SortFunc(p1, func(a, b VerifiedComplaint) int {
		return cmp.Or(cmp.Compare(a.PersonID, b.PersonID), a.Received.Compare(b.Received), cmp.Compare(a.CaseID, b.CaseID))
	})
	var out []Pair
	for i, a := range p1 {
		for _, b := range p1[i+1:] {
			if b.PersonID != a.PersonID || !WithinOneYear(a.Received, b.Received) {
				break // sorted by person and date: nothing later can pair with a
			}
			if a.CaseID == b.CaseID {
				continue
			}
			out = append(out, Pair{PersonID: a.PersonID, First: min(a.CaseID, b.CaseID), Second: max(a.CaseID, b.CaseID)})
		}
	}
	slices.SortFunc(out, func(x, y Pair) int {
		return cmp.Or(cmp.Compare(x.PersonID, y.PersonID), cmp.Compare(x.First, y.First), cmp.Compare(x.Second, y.Second))
	})
	return slices.Compact(out)
}
