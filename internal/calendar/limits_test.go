package calendar

import (
	"reflect"
	"strings"
	"testing"
)

func TestDefaultLimitsEqualEmbedded(t *testing.T) {
	l, err := EmbeddedLimits("")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(l, DefaultLimits()) {
		t.Errorf("data/limits.json = %+v\nDefaultLimits() = %+v", l, DefaultLimits())
	}
	want := map[string]Limit{
		"accept": {15, UnitCalendar}, "finish": {60, UnitCalendar}, "extension": {30, UnitCalendar},
		"transfer_objection": {5, UnitWorkday}, "review_request": {30, UnitCalendar},
		"review_answer": {30, UnitCalendar}, "appeal_file": {15, UnitCalendar}, "appeal_decide": {30, UnitCalendar},
	}
	got := map[string]Limit{
		"accept": l.Accept, "finish": l.Finish, "extension": l.Extension,
		"transfer_objection": l.TransferObjection, "review_request": l.ReviewRequest,
		"review_answer": l.ReviewAnswer, "appeal_file": l.AppealFile, "appeal_decide": l.AppealDecide,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("default limits = %v, want %v", got, want)
	}
}

func TestEmbeddedLimitSets(t *testing.T) {
	names := EmbeddedLimitNames()
	if !reflect.DeepEqual(names, []string{"default", "5wd-accept"}) {
		t.Fatalf("EmbeddedLimitNames() = %v", names)
	}
	l, err := EmbeddedLimits("5wd-accept")
	if err != nil {
		t.Fatal(err)
	}
	if l.Accept != (Limit{5, UnitWorkday}) || l.Finish != (Limit{60, UnitCalendar}) {
		t.Errorf("5wd-accept = %+v", l)
	}
	for _, bad := range []string{"nope", "../limits", "x.json"} {
		if _, err := EmbeddedLimits(bad); err == nil {
			t.Errorf("EmbeddedLimits(%q) succeeded", bad)
		}
	}
	// The two jurisdictions give different accept deadlines for the same receipt.
	c := embedded(t)
	nat, prov := c.Due(d("2026-09-29"), DefaultLimits().Accept)
	prv, prov2 := c.Due(d("2026-09-29"), l.Accept)
	if nat.String() != "2026-10-14" || prv.String() != "2026-10-12" || prov || prov2 {
		t.Errorf("national %s, 5-workday %s", nat, prv)
	}
}

func TestParseLimits(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		wantErr string
		check   func(Limits) bool
	}{
		{"partial file keeps defaults", `{"name":"p","accept":{"days":5,"unit":"workday"}}`, "",
			func(l Limits) bool {
				return l.Name == "p" && l.Accept == Limit{5, UnitWorkday} && l.Finish == DefaultLimits().Finish
			}},
		{"empty object is the defaults", `{}`, "",
			func(l Limits) bool { return reflect.DeepEqual(l, DefaultLimits()) }},
		{"unknown key", `{"acept":{"days":5,"unit":"workday"}}`, "unknown field", nil},
		{"bad unit", `{"finish":{"days":60,"unit":"week"}}`, "finish: unit", nil},
		{"missing unit", `{"finish":{"days":60}}`, "finish: unit", nil},
		{"zero days", `{"appeal_file":{"days":0,"unit":"calendar"}}`, "appeal_file: days", nil},
		{"too many days", `{"extension":{"days":400,"unit":"calendar"}}`, "extension: days", nil},
		{"not JSON", `{`, "calendar: limits", nil},
		{"trailing data", `{} {}`, "after the JSON object", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := ParseLimits([]byte(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want ~%q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(l) {
				t.Errorf("got %+v", l)
			}
		})
	}
}

func TestLimitDue(t *testing.T) {
	c := embedded(t)
	tests := []struct {
		start string
		l     Limit
		due   string
	}{
		{"2026-09-18", Limit{15, UnitCalendar}, "2026-10-08"},
		{"2026-09-18", Limit{15, ""}, "2026-10-08"}, // empty unit is calendar days
		{"2026-09-29", Limit{5, UnitWorkday}, "2026-10-12"},
		{"2026-02-01", Limit{30, UnitCalendar}, "2026-03-03"},
	}
	for _, tt := range tests {
		if got, _ := c.Due(d(tt.start), tt.l); got.String() != tt.due {
			t.Errorf("Due(%s, %v) = %s, want %s", tt.start, tt.l, got, tt.due)
		}
	}
	if s := (Limit{5, UnitWorkday}).String(); s != "5 working days" {
		t.Errorf("String() = %q", s)
	}
}
