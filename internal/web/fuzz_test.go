package web

import (
	"reflect"
	"testing"

	"mashang/internal/accountability"
	"mashang/internal/cases"
	"mashang/internal/civil"
	"mashang/internal/inspection"
	"mashang/internal/org"
	"mashang/internal/problem"
	"mashang/internal/publication"
)

// requestBodies are the types the API decodes JSON bodies into.
var requestBodies = []func() any{
	func() any { return new(tokenRequest) },
	func() any { return new(userRequest) },
	func() any { return new(userPatch) },
	func() any { return new(passwordChange) },
	func() any { return new(reportFields) },
	func() any { return new(trackIn) },
	func() any { return new(batchEligibilityRequest) },
	func() any { return new(accountability.DecisionInput) },
	func() any { return new(accountability.AppealInput) },
	func() any { return new(accountability.OutcomeInput) },
	func() any { return new(accountability.Settings) },
	func() any { return new(cases.ActionInput) },
	func() any { return new(inspection.PlanInput) },
	func() any { return new(inspection.VisitInput) },
	func() any { return new(org.UnitInput) },
	func() any { return new(org.PersonInput) },
	func() any { return new(publication.Input) },
	func() any { return new(struct{ Receipt, Key, Reason, Rating, Body string }) },
}

// FuzzDecodeJSON feeds any bytes to the API's JSON decoding into every
// request type: the answer is the value or a 400/422 problem naming what is
// wrong, never a panic, another error or internal text; the dates of a
// decoded value are checked for range the same way.
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{
		`{"person_id": 1, "situation": "P1.2", "sanctions": ["demotion"], "decided_on": "2025-06-03"}`,
		`{"decided_on": "0000-01-01"}`, `{"decided_on": 20250603}`, `{"filed_on": "2025-02-30", "reason": "x"}`,
		`{"content": "推诿", "person": 12, "reporter": {"name": "张三"}}`, `{"from": "2026-03-01", "to": "2026-03-31", "checklist": [{"key": "a"}]}`,
		`{"on": null, "person_ids": [1, 2, 3]}`, `{"action": "extend", "days": 1e400}`, `[`, `{"a":` + "\"\xff\"}", `{"old": "", "new": ""}`,
		`{"visits": [{"at": "2026-03-02T09:00:00Z"}]}`, `{"limits": {"accept": {"days": 5}}}`, `null`, `{}{}`,
	} {
		f.Add([]byte(s))
	}
	today := civil.MustParse("2026-03-02")
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, mk := range requestBodies {
			v := mk()
			err := decodeStrict(body, v)
			if err == nil {
				err = checkDates(reflect.ValueOf(v), "", today)
			}
			if err == nil {
				continue
			}
			pe, ok := problem.As(err)
			if !ok || (pe.Kind != problem.KindMalformed && pe.Kind != problem.KindInvalid) {
				t.Fatalf("%T: %v", v, err)
			}
			if pe.Code == civil.InvalidCode && pe.Field == "" && pe.Message("en") == "" {
				t.Fatalf("%T: a bad date without a message", v)
			}
		}
	})
}
