package rules

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"mashang/internal/catalog"
	"mashang/internal/civil"
)

func sets(t testing.TB) map[string]*catalog.RuleSet {
	t.Helper()
	s, err := catalog.RuleSets()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var d = civil.MustParse

func eligibility(t *testing.T, on civil.Date, ds []Decision, rs map[string]*catalog.RuleSet) Result {
	t.Helper()
	r, err := Eligibility(on, ds, rs)
	if err != nil {
		t.Fatalf("Eligibility(%s): %v", on, err)
	}
	return r
}

// expected first-allowed dates, written out by hand, for decisions taking
// effect on a leap day and on the 31st of a month.
type ends struct{ leap, aug31 string }

var sanctionEnds = map[string]ends{
	"written_review": {}, "circulated_criticism": {}, "efficiency_admonition": {}, "admonishing_talk": {},
	"resign_blame":          {"2026-02-28", "2025-08-31"},
	"ordered_resign":        {"2026-02-28", "2025-08-31"},
	"removal":               {"2026-02-28", "2025-08-31"},
	"demotion":              {"2026-02-28", "2025-08-31"},
	"suspension":            {"2025-02-28", "2024-08-31"},
	"reassignment":          {"2025-02-28", "2024-08-31"},
	"gov_warning":           {"2024-08-29", "2024-02-29"},
	"gov_demerit":           {"2025-02-28", "2024-08-31"},
	"gov_major_demerit":     {"2025-08-29", "2025-02-28"},
	"gov_downgrade":         {"2026-02-28", "2025-08-31"},
	"gov_dismissal":         {"2026-02-28", "2025-08-31"},
	"gov_expulsion":         {"permanent", "permanent"},
	"party_warning":         {"2025-02-28", "2024-08-31"},
	"party_serious_warning": {"2025-08-29", "2025-02-28"},
	"party_post_removal":    {"2026-02-28", "2025-08-31"},
	"party_probation":       {"2027-02-28", "2026-08-31"}, // with 1 probation year; 2 years tested below
	"party_expulsion":       {"permanent", "permanent"},
}

func TestEverySanctionInBothRuleSets(t *testing.T) {
	all := sets(t)
	cat, err := catalog.Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(sanctionEnds) != len(cat.Sanctions) {
		t.Fatalf("table has %d sanctions, catalogue %d", len(sanctionEnds), len(cat.Sanctions))
	}
	for _, rsCode := range []string{"fuzhou-2015", "national-2019"} {
		for _, s := range cat.Sanctions {
			e := sanctionEnds[s.Code]
			for _, base := range []struct{ from, end string }{{"2024-02-29", e.leap}, {"2023-08-31", e.aug31}} {
				t.Run(fmt.Sprintf("%s/%s/%s", rsCode, s.Code, base.from), func(t *testing.T) {
					from := d(base.from)
					dec := []Decision{{ID: 7, PersonID: 1, Sanctions: []string{s.Code}, DecidedOn: from, ProbationYears: 1, RuleSet: rsCode}}
					// Excellence is lost for the year of the decision in every case.
					r := eligibility(t, from, dec, all)
					if r.Excellence.Eligible || r.Excellence.Year != from.Year || len(r.Excellence.Reasons) != 1 {
						t.Errorf("excellence on %s: %+v", from, r.Excellence)
					}
					if r.On != from {
						t.Errorf("On = %s", r.On)
					}
					switch base.end {
					case "":
						if !r.Promotion.Eligible || r.Promotion.Until != nil || len(r.Promotion.Reasons) != 0 {
							t.Errorf("no bar expected, got %+v", r.Promotion)
						}
					case "permanent":
						for _, on := range []civil.Date{from, from.AddYears(60)} {
							r := eligibility(t, on, dec, all)
							p := r.Promotion
							if p.Eligible || !p.Permanent || p.Until != nil || len(p.Reasons) != 1 || !p.Reasons[0].Permanent {
								t.Errorf("on %s: want permanent bar, got %+v", on, p)
							}
						}
					default:
						end := d(base.end)
						barredOn := []civil.Date{from, end.AddDays(-1)}
						for _, on := range barredOn {
							p := eligibility(t, on, dec, all).Promotion
							if p.Eligible || p.Permanent || p.Until == nil || *p.Until != end || len(p.Reasons) != 1 {
								t.Fatalf("on %s: want barred until %s, got %+v", on, end, p)
							}
							rs := p.Reasons[0]
							if rs.DecisionID != 7 || rs.Sanction != s.Code || rs.RuleSet != rsCode || rs.From != from ||
								rs.Until == nil || *rs.Until != end || !strings.HasPrefix(rs.Rule, rsCode+": ") || rs.Text.En == "" {
								t.Errorf("on %s: reason %+v", on, rs)
							}
						}
						for _, on := range []civil.Date{end, end.AddDays(1)} {
							p := eligibility(t, on, dec, all).Promotion
							if !p.Eligible || p.Until != nil || len(p.Reasons) != 0 {
								t.Errorf("on %s: want eligible, got %+v", on, p)
							}
						}
					}
					// The day before it takes effect nothing bars.
					r = eligibility(t, from.AddDays(-1), dec, all)
					if !r.Promotion.Eligible || !r.Excellence.Eligible {
						t.Errorf("before it takes effect: %+v", r)
					}
				})
			}
		}
	}
}

func TestNationalNoteInReason(t *testing.T) {
	r := eligibility(t, d("2024-05-01"), []Decision{{ID: 1, PersonID: 1, Sanctions: []string{"removal"}, DecidedOn: d("2024-02-29"), RuleSet: "national-2019"}}, sets(t))
	if len(r.Promotion.Reasons) != 1 || !strings.Contains(r.Promotion.Reasons[0].Rule, "一年内不安排领导职务") ||
		!strings.Contains(r.Promotion.Reasons[0].Text.En, "no leadership post for 1 year") {
		t.Errorf("national-2019 reason lacks the leadership note: %+v", r.Promotion.Reasons)
	}
}

func TestLeapDayDemotion(t *testing.T) {
	dec := []Decision{{ID: 1, PersonID: 1, Sanctions: []string{"demotion"}, DecidedOn: d("2024-02-29")}} // default rule set
	for on, eligible := range map[string]bool{"2026-02-27": false, "2026-02-28": true, "2026-03-01": true, "2025-02-28": false} {
		p := eligibility(t, d(on), dec, sets(t)).Promotion
		if p.Eligible != eligible {
			t.Errorf("demotion of 2024-02-29, on %s: eligible %v, want %v", on, p.Eligible, eligible)
		}
		if !eligible && *p.Until != d("2026-02-28") {
			t.Errorf("on %s: until %s", on, p.Until)
		}
	}
}

func TestPartyProbation(t *testing.T) {
	for _, tc := range []struct {
		years     int
		from, end string
	}{
		{1, "2024-02-29", "2027-02-28"},
		{2, "2024-02-29", "2028-02-29"},
		{1, "2023-08-31", "2026-08-31"},
		{2, "2023-08-31", "2027-08-31"},
	} {
		dec := []Decision{{ID: 1, PersonID: 1, Sanctions: []string{"party_probation"}, DecidedOn: d(tc.from), ProbationYears: tc.years}}
		end := d(tc.end)
		if p := eligibility(t, end.AddDays(-1), dec, sets(t)).Promotion; p.Eligible || *p.Until != end ||
			!strings.Contains(p.Reasons[0].Rule, fmt.Sprintf("察看期%d年", tc.years)) {
			t.Errorf("%d years from %s, day before %s: %+v", tc.years, tc.from, end, p)
		}
		if p := eligibility(t, end, dec, sets(t)).Promotion; !p.Eligible {
			t.Errorf("%d years from %s, on %s: %+v", tc.years, tc.from, end, p)
		}
	}
}

func TestOverlappingDecisions(t *testing.T) {
	ds := []Decision{
		{ID: 1, PersonID: 9, Sanctions: []string{"gov_warning"}, DecidedOn: d("2024-01-10")},                 // until 2024-07-10
		{ID: 2, PersonID: 9, Sanctions: []string{"demotion"}, DecidedOn: d("2024-03-01")},                    // until 2026-03-01
		{ID: 3, PersonID: 9, Sanctions: []string{"suspension", "party_warning"}, DecidedOn: d("2024-06-01")}, // until 2025-06-01
		{ID: 4, PersonID: 9, Sanctions: []string{"circulated_criticism"}, DecidedOn: d("2023-11-01")},
	}
	r := eligibility(t, d("2024-06-15"), ds, sets(t))
	p := r.Promotion
	if p.Eligible || p.Permanent || *p.Until != d("2026-03-01") {
		t.Fatalf("promotion %+v", p)
	}
	var got []string
	for _, rs := range p.Reasons {
		got = append(got, fmt.Sprintf("%d:%s:%s", rs.DecisionID, rs.Sanction, rs.Until))
	}
	want := "2:demotion:2026-03-01 3:party_warning:2025-06-01 3:suspension:2025-06-01 1:gov_warning:2024-07-10"
	if strings.Join(got, " ") != want {
		t.Errorf("reasons %v, want %s", got, want)
	}
	// Excellence for 2024: three 2024 decisions (four sanctions); the 2023 one does not count.
	if r.Excellence.Eligible || r.Excellence.Year != 2024 || len(r.Excellence.Reasons) != 4 {
		t.Errorf("excellence %+v", r.Excellence)
	}
	for _, rs := range r.Excellence.Reasons {
		if rs.DecisionID == 4 || *rs.Until != d("2025-01-01") {
			t.Errorf("excellence reason %+v", rs)
		}
	}
	// Later only the demotion remains.
	p = eligibility(t, d("2025-07-01"), ds, sets(t)).Promotion
	if p.Eligible || len(p.Reasons) != 1 || p.Reasons[0].Sanction != "demotion" {
		t.Errorf("2025-07-01: %+v", p)
	}
	// In 2023 only the circulated criticism exists: promotion fine, excellence lost.
	r = eligibility(t, d("2023-12-31"), ds, sets(t))
	if !r.Promotion.Eligible || r.Excellence.Eligible || r.Excellence.Reasons[0].DecisionID != 4 {
		t.Errorf("2023-12-31: %+v", r)
	}
}

func TestPermanentWinsOverLongest(t *testing.T) {
	ds := []Decision{
		{ID: 1, PersonID: 1, Sanctions: []string{"demotion"}, DecidedOn: d("2024-01-01")},
		{ID: 2, PersonID: 1, Sanctions: []string{"gov_dismissal", "party_expulsion"}, DecidedOn: d("2024-02-01")},
	}
	p := eligibility(t, d("2024-03-01"), ds, sets(t)).Promotion
	if p.Eligible || !p.Permanent || p.Until != nil || len(p.Reasons) != 3 ||
		!p.Reasons[0].Permanent || p.Reasons[0].Sanction != "party_expulsion" || p.Reasons[0].Until != nil {
		t.Errorf("%+v", p)
	}
}

func TestRevokedAndVaried(t *testing.T) {
	orig := Decision{ID: 1, PersonID: 1, Sanctions: []string{"demotion"}, DecidedOn: d("2024-03-01")}
	on := d("2024-06-01")
	if p := eligibility(t, on, []Decision{orig}, sets(t)).Promotion; p.Eligible {
		t.Fatal("demotion should bar")
	}
	revoked := orig
	revoked.Revoked = true
	r := eligibility(t, on, []Decision{revoked}, sets(t))
	if !r.Promotion.Eligible || !r.Excellence.Eligible || len(r.Promotion.Reasons)+len(r.Excellence.Reasons) != 0 {
		t.Errorf("revoked decision still counts: %+v", r)
	}
	// Varied on appeal: the old one revoked, a new decision with the new sanction and date.
	varied := Decision{ID: 2, PersonID: 1, Sanctions: []string{"gov_warning"}, DecidedOn: d("2024-04-10")}
	p := eligibility(t, on, []Decision{revoked, varied}, sets(t)).Promotion
	if p.Eligible || *p.Until != d("2024-10-10") || len(p.Reasons) != 1 || p.Reasons[0].DecisionID != 2 {
		t.Errorf("varied: %+v", p)
	}
	// A revoked decision is never validated either.
	junk := Decision{ID: 3, PersonID: 2, Sanctions: []string{"flogging"}, Revoked: true}
	if _, err := Eligibility(on, []Decision{junk, varied}, sets(t)); err != nil {
		t.Errorf("revoked junk decision: %v", err)
	}
}

func TestExcellenceUsesEffectiveYear(t *testing.T) {
	ds := []Decision{{ID: 1, PersonID: 1, Sanctions: []string{"admonishing_talk"}, DecidedOn: d("2024-12-28"), EffectiveOn: d("2025-01-05")}}
	for _, tc := range []struct {
		on       string
		year     int
		eligible bool
	}{
		{"2024-12-30", 2024, true},  // decided but not yet in effect, and it is 2025's decision
		{"2025-01-04", 2025, true},  // not yet in effect
		{"2025-01-05", 2025, false}, // in effect: 2025 lost
		{"2025-12-31", 2025, false},
		{"2026-01-01", 2026, true},
	} {
		ex := eligibility(t, d(tc.on), ds, sets(t)).Excellence
		if ex.Year != tc.year || ex.Eligible != tc.eligible {
			t.Errorf("on %s: %+v, want year %d eligible %v", tc.on, ex, tc.year, tc.eligible)
		}
	}
	// The promotion bar also runs from the effective date.
	ds[0].Sanctions = []string{"suspension"}
	if p := eligibility(t, d("2026-01-04"), ds, sets(t)).Promotion; p.Eligible || *p.Until != d("2026-01-05") {
		t.Errorf("bar from effective date: %+v", p)
	}
}

func TestNoDecisionsJSON(t *testing.T) {
	r := eligibility(t, d("2025-03-01"), nil, sets(t))
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"on":"2025-03-01","promotion":{"eligible":true,"until":null,"permanent":false,"reasons":[]},"excellence":{"year":2025,"eligible":true,"reasons":[]}}`
	if string(b) != want {
		t.Errorf("got %s\nwant %s", b, want)
	}
	r = eligibility(t, d("2025-03-01"), []Decision{{ID: 5, PersonID: 1, Sanctions: []string{"gov_warning"}, DecidedOn: d("2025-02-01")}}, sets(t))
	b, _ = json.Marshal(r)
	for _, frag := range []string{`"until":"2025-08-01"`, `"decision_id":5`, `"sanction":"gov_warning"`, `"rule":"fuzhou-2015: 6个月内不得提拔"`, `"from":"2025-02-01"`} {
		if !strings.Contains(string(b), frag) {
			t.Errorf("JSON %s lacks %s", b, frag)
		}
	}
}

func TestInvalidDecisions(t *testing.T) {
	good := Decision{ID: 1, PersonID: 1, Sanctions: []string{"demotion"}, DecidedOn: d("2024-01-01")}
	for name, mut := range map[string]func(*Decision){
		"unknown rule set":  func(x *Decision) { x.RuleSet = "atlantis-1900" },
		"unknown sanction":  func(x *Decision) { x.Sanctions = []string{"flogging"} },
		"no sanctions":      func(x *Decision) { x.Sanctions = nil },
		"repeated sanction": func(x *Decision) { x.Sanctions = []string{"demotion", "demotion"} },
		"no date":           func(x *Decision) { x.DecidedOn = civil.Date{} },
		"effect before":     func(x *Decision) { x.EffectiveOn = d("2023-12-31") },
		"probation 0":       func(x *Decision) { x.Sanctions = []string{"party_probation"} },
		"probation 3":       func(x *Decision) { x.Sanctions = []string{"party_probation"}; x.ProbationYears = 3 },
	} {
		bad := good
		mut(&bad)
		if err := ValidateDecision(bad, sets(t)); err == nil {
			t.Errorf("%s: ValidateDecision accepted %+v", name, bad)
		}
		if _, err := Eligibility(d("2024-06-01"), []Decision{good, bad}, sets(t)); err == nil {
			t.Errorf("%s: Eligibility accepted %+v", name, bad)
		}
	}
	if err := ValidateDecision(good, sets(t)); err != nil {
		t.Error(err)
	}
	other := good
	other.PersonID = 2
	if _, err := Eligibility(d("2024-06-01"), []Decision{good, other}, sets(t)); err == nil {
		t.Error("decisions of two people accepted")
	}
	if _, err := Eligibility(civil.Date{}, []Decision{good}, sets(t)); err == nil {
		t.Error("zero date accepted")
	}
}

func BenchmarkEligibility20(b *testing.B) {
	all := sets(b)
	codes := []string{"gov_warning", "demotion", "party_warning", "admonishing_talk", "suspension",
		"gov_major_demerit", "circulated_criticism", "party_serious_warning", "reassignment", "gov_demerit"}
	ds := make([]Decision, 20)
	start := d("2020-01-15")
	for i := range ds {
		ds[i] = Decision{ID: int64(i + 1), PersonID: 1, Sanctions: []string{codes[i%len(codes)]},
			DecidedOn: start.AddMonths(i * 3), Revoked: i == 7}
		if i%4 == 0 {
			ds[i].Sanctions = append(ds[i].Sanctions, "written_review")
		}
	}
	on := d("2024-06-01")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Eligibility(on, ds, all); err != nil {
			b.Fatal(err)
		}
	}
}
