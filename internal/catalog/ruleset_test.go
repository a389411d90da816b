package catalog

import (
	"strings"
	"testing"
)

func mustRuleSets(t testing.TB) map[string]*RuleSet {
	t.Helper()
	sets, err := RuleSets()
	if err != nil {
		t.Fatal(err)
	}
	return sets
}

// The table of DOMAIN.md.
var fuzhouBars = map[string]Bar{
	"written_review": {BarNone, 0}, "circulated_criticism": {BarNone, 0},
	"efficiency_admonition": {BarNone, 0}, "admonishing_talk": {BarNone, 0},
	"resign_blame": {BarYears, 2}, "ordered_resign": {BarYears, 2}, "removal": {BarYears, 2},
	"demotion": {BarYears, 2}, "suspension": {BarYears, 1}, "reassignment": {BarYears, 1},
	"gov_warning": {BarMonths, 6}, "gov_demerit": {BarMonths, 12}, "gov_major_demerit": {BarMonths, 18},
	"gov_downgrade": {BarMonths, 24}, "gov_dismissal": {BarMonths, 24}, "gov_expulsion": {BarPermanent, 0},
	"party_warning": {BarYears, 1}, "party_serious_warning": {BarMonths, 18},
	"party_post_removal": {BarYears, 2}, "party_probation": {BarProbationPlus, 2},
	"party_expulsion": {BarPermanent, 0},
}

func TestEmbeddedRuleSets(t *testing.T) {
	sets := mustRuleSets(t)
	c := mustLoad(t)
	if len(sets) != 2 || sets[DefaultRuleSet] == nil || sets["national-2019"] == nil {
		t.Fatalf("rule sets %v", sets)
	}
	for code, rs := range sets {
		if rs.Code != code {
			t.Errorf("key %s holds %s", code, rs.Code)
		}
		if err := rs.Covers(c); err != nil {
			t.Error(err)
		}
		if rs.Source.Zh == "" || rs.Source.En == "" || rs.Name.Zh == "" || rs.Name.En == "" {
			t.Errorf("%s lacks name or source", code)
		}
		for s, r := range rs.Rules {
			if !r.RemovesExcellence {
				t.Errorf("%s %s keeps excellence eligibility", code, s)
			}
		}
	}
	fz := sets[DefaultRuleSet]
	for s, want := range fuzhouBars {
		if got := fz.Rules[s].Promotion; got != want {
			t.Errorf("fuzhou-2015 %s = %+v, want %+v", s, got, want)
		}
		if fz.Rules[s].LeadershipPost != nil {
			t.Errorf("fuzhou-2015 %s has a leadership-post bar", s)
		}
	}
	nat := sets["national-2019"]
	for s, want := range fuzhouBars {
		r := nat.Rules[s]
		if r.Promotion != want {
			t.Errorf("national-2019 %s = %+v, want %+v", s, r.Promotion, want)
		}
		switch s {
		case "resign_blame", "ordered_resign", "removal":
			if r.LeadershipPost == nil || *r.LeadershipPost != (Bar{BarYears, 1}) || r.Note == nil {
				t.Errorf("national-2019 %s lacks the 1-year leadership-post bar: %+v", s, r)
			}
		default:
			if r.LeadershipPost != nil {
				t.Errorf("national-2019 %s has a leadership-post bar", s)
			}
		}
	}
}

func TestCovers(t *testing.T) {
	c := mustLoad(t)
	rs := *mustRuleSets(t)[DefaultRuleSet]
	rs.Rules = map[string]Rule{}
	for k, v := range mustRuleSets(t)[DefaultRuleSet].Rules {
		rs.Rules[k] = v
	}
	delete(rs.Rules, "demotion")
	if err := rs.Covers(c); err == nil || !strings.Contains(err.Error(), "demotion") {
		t.Errorf("missing rule: %v", err)
	}
	rs.Rules["demotion"] = Rule{}
	rs.Rules["flogging"] = Rule{}
	if err := rs.Covers(c); err == nil || !strings.Contains(err.Error(), "flogging") {
		t.Errorf("extra rule: %v", err)
	}
}

const minimalRuleSet = `{"code":"x","name":{"zh":"名","en":"n"},"source":{"zh":"源","en":"s"},
"rules":{"demotion":{"promotion":{"kind":"years","n":2},"removes_excellence":true}}}`

func TestParseRuleSet(t *testing.T) {
	if _, err := ParseRuleSet([]byte(minimalRuleSet)); err != nil {
		t.Fatal(err)
	}
	bad := map[string][2]string{
		"unknown kind":   {`"kind":"years"`, `"kind":"decades"`},
		"zero years":     {`"n":2`, `"n":0`},
		"n on none":      {`"kind":"years"`, `"kind":"none"`},
		"no code":        {`"code":"x"`, `"code":""`},
		"no source":      {`"source":{"zh":"源","en":"s"}`, `"source":{"zh":"源"}`},
		"unknown field":  {`"removes_excellence":true`, `"removes_excellence":true,"x":1`},
		"no rules":       {`"demotion":{"promotion":{"kind":"years","n":2},"removes_excellence":true}`, ``},
		"bad note":       {`"removes_excellence":true`, `"removes_excellence":true,"note":{"zh":"x"}`},
		"bad leadership": {`"removes_excellence":true`, `"removes_excellence":true,"leadership_post":{"kind":"months"}`},
	}
	for name, r := range bad {
		doc := strings.Replace(minimalRuleSet, r[0], r[1], 1)
		if doc == minimalRuleSet {
			t.Fatalf("%s: replacement did not apply", name)
		}
		if _, err := ParseRuleSet([]byte(doc)); err == nil {
			t.Errorf("%s: accepted %s", name, doc)
		}
	}
}

func TestBarDescribe(t *testing.T) {
	for _, tc := range []struct {
		b      Bar
		p      int
		zh, en string
	}{
		{Bar{BarYears, 2}, 0, "2年内不得提拔", "no promotion for 2 years"},
		{Bar{BarYears, 1}, 0, "1年内不得提拔", "no promotion for 1 year"},
		{Bar{BarMonths, 18}, 0, "18个月内不得提拔", "no promotion for 18 months"},
		{Bar{BarPermanent, 0}, 0, "永久不得提拔", "never to be promoted"},
		{Bar{BarProbationPlus, 2}, 1, "察看期1年及其后2年内不得提拔", "no promotion during the 1-year probation and 2 years after it"},
		{Bar{BarNone, 0}, 0, "不影响提拔", "no promotion bar"},
	} {
		if got := tc.b.Describe(LangZhCN, tc.p); got != tc.zh {
			t.Errorf("%+v zh = %q", tc.b, got)
		}
		if got := tc.b.Describe(LangEn, tc.p); got != tc.en {
			t.Errorf("%+v en = %q", tc.b, got)
		}
	}
}

func TestLocalizeRuleSet(t *testing.T) {
	loc, err := testLocalizer()
	if err != nil {
		t.Fatal(err)
	}
	rs := mustRuleSets(t)["national-2019"]
	tw, err := loc.LocalizeRuleSet(rs)
	if err != nil {
		t.Fatal(err)
	}
	if tw.Name.ZhTW == "" || tw.Rules["removal"].Note.ZhTW == "" || rs.Rules["removal"].Note.ZhTW != "" {
		t.Errorf("localize rule set: %+v / original %+v", tw.Rules["removal"].Note, rs.Rules["removal"].Note)
	}
}

func FuzzParseRuleSet(f *testing.F) {
	for _, name := range []string{"data/rulesets/fuzhou-2015.json", "data/rulesets/national-2019.json"} {
		b, err := dataFS.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(minimalRuleSet))
	f.Fuzz(func(t *testing.T, data []byte) {
		rs, err := ParseRuleSet(data)
		if err != nil {
			return
		}
		for code, r := range rs.Rules {
			if r.Promotion.validate() != nil {
				t.Fatalf("accepted bad bar for %s: %+v", code, r.Promotion)
			}
		}
	})
}
