package catalog

import (
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"mashang/internal/civil"
)

// One converter for the whole test binary: building it is slow.
var testLocalizer = sync.OnceValues(NewLocalizer)

func mustLoad(t testing.TB) *Catalog {
	t.Helper()
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func mustLocalized(t testing.TB) (*Catalog, *Localizer) {
	t.Helper()
	loc, err := testLocalizer()
	if err != nil {
		t.Fatal(err)
	}
	c, err := loc.Localize(mustLoad(t))
	if err != nil {
		t.Fatal(err)
	}
	return c, loc
}

func TestLoadCounts(t *testing.T) {
	c := mustLoad(t)
	if c.Version != "fuzhou-2015.1" {
		t.Errorf("version %q", c.Version)
	}
	if c.EffectiveFrom != civil.MustParse("2015-04-21") {
		t.Errorf("effective from %v", c.EffectiveFrom)
	}
	if len(c.Situations) != 30 {
		t.Fatalf("%d situations, want 30", len(c.Situations))
	}
	subjects := map[string]int{}
	cats := map[string]int{}
	for _, s := range c.Situations {
		subjects[s.Subject]++
		cats[s.Category]++
	}
	if subjects[SubjectUnit] != 15 || subjects[SubjectPerson] != 15 {
		t.Errorf("subjects %v, want 15 unit + 15 person", subjects)
	}
	want := map[string]int{"U1": 5, "U2": 5, "U3": 5, "P1": 5, "P2": 4, "P3": 6}
	for k, n := range want {
		if cats[k] != n {
			t.Errorf("category %s has %d situations, want %d", k, cats[k], n)
		}
	}
	if len(cats) != len(want) {
		t.Errorf("categories %v", cats)
	}
	if len(c.Sanctions) != 21 {
		t.Fatalf("%d sanctions, want 21", len(c.Sanctions))
	}
}

func TestSanctionCodesAndGroups(t *testing.T) {
	c := mustLoad(t)
	want := map[string]string{
		"written_review": GroupEfficiency, "circulated_criticism": GroupEfficiency,
		"efficiency_admonition": GroupEfficiency, "admonishing_talk": GroupEfficiency,
		"resign_blame": GroupDismissal, "ordered_resign": GroupDismissal, "removal": GroupDismissal,
		"demotion": GroupDismissal, "suspension": GroupDismissal, "reassignment": GroupDismissal,
		"gov_warning": GroupGovernment, "gov_demerit": GroupGovernment, "gov_major_demerit": GroupGovernment,
		"gov_downgrade": GroupGovernment, "gov_dismissal": GroupGovernment, "gov_expulsion": GroupGovernment,
		"party_warning": GroupParty, "party_serious_warning": GroupParty, "party_post_removal": GroupParty,
		"party_probation": GroupParty, "party_expulsion": GroupParty,
	}
	for code, g := range want {
		s, ok := c.Sanction(code)
		if !ok {
			t.Errorf("sanction %s missing", code)
			continue
		}
		if s.Group != g {
			t.Errorf("sanction %s group %s, want %s", code, s.Group, g)
		}
	}
	if s, _ := c.Sanction("demotion"); s.Name(LangZhCN) != "降职" || s.Name(LangEn) != "Demotion" {
		t.Errorf("demotion names %+v", s.Names)
	}
	if _, ok := c.Sanction("nope"); ok {
		t.Error("unknown sanction found")
	}
}

func TestSituationLookupAndInitials(t *testing.T) {
	c := mustLoad(t)
	s, ok := c.Situation("P1.2")
	if !ok {
		t.Fatal("P1.2 missing")
	}
	if s.Subject != SubjectPerson || s.Category != "P1" || s.Name(LangZhCN) != "群众" ||
		s.CategoryName.Zh != "消极应付" || s.Initials != "xjyf qz" {
		t.Errorf("P1.2 = %+v", s)
	}
	if _, ok := c.Situation("P9.9"); ok {
		t.Error("unknown situation found")
	}
	// Hand-written initials: one letter per Chinese character.
	for _, s := range c.Situations {
		parts := strings.Split(s.Initials, " ")
		if len(parts) != 2 {
			t.Errorf("%s initials %q: want category and name", s.Code, s.Initials)
			continue
		}
		if len(parts[0]) != utf8.RuneCountInString(s.CategoryName.Zh) {
			t.Errorf("%s category initials %q do not match %s", s.Code, parts[0], s.CategoryName.Zh)
		}
		if len(parts[1]) != utf8.RuneCountInString(s.Names.Zh) {
			t.Errorf("%s initials %q do not match %s", s.Code, parts[1], s.Names.Zh)
		}
	}
}

func TestNamesInAllLanguages(t *testing.T) {
	c, _ := mustLocalized(t)
	for _, lang := range []string{LangZhCN, LangZhTW, LangEn} {
		for _, s := range c.Situations {
			if s.Name(lang) == "" || s.CategoryName.In(lang) == "" || s.Example.In(lang) == "" {
				t.Errorf("%s: empty text in %s", s.Code, lang)
			}
		}
		for _, s := range c.Sanctions {
			if s.Name(lang) == "" {
				t.Errorf("%s: empty name in %s", s.Code, lang)
			}
		}
		for _, g := range c.Groups {
			if g.Names.In(lang) == "" {
				t.Errorf("group %s: empty name in %s", g.Code, lang)
			}
		}
	}
}

func TestTraditional(t *testing.T) {
	c, _ := mustLocalized(t)
	cases := []struct{ code, cat, name string }{
		{"P1.2", "消極應付", "群眾"},
		{"U3.2", "管理不嚴", "政務公開"},
		{"P1.4", "消極應付", "信訪"},
		{"U2.4", "工作失職", "輿情處置"},
	}
	for _, tc := range cases {
		s, _ := c.Situation(tc.code)
		if got := s.CategoryName.In(LangZhTW); got != tc.cat {
			t.Errorf("%s category zh-TW %q, want %q", tc.code, got, tc.cat)
		}
		if got := s.Name(LangZhTW); got != tc.name {
			t.Errorf("%s zh-TW %q, want %q", tc.code, got, tc.name)
		}
	}
	if s, _ := c.Sanction("party_serious_warning"); s.Name("zh-TW") != "黨內嚴重警告" {
		t.Errorf("party_serious_warning zh-TW %q", s.Name("zh-TW"))
	}
	// s2twp's IT phrases are wrong for government prose; the data overrides them
	// (项目→專案, 窗口→視窗, 程序→程式, 乱发→亂髮).
	for code, want := range map[string]string{
		"U1.4": "重點項目審批拖拉，工程長期停工。",
		"U2.3": "不按規定程序辦事，造成不良後果。",
		"U3.3": "違反財務制度，亂發補貼、公款吃喝。",
		"U3.4": "窗口辦事效率低，群眾反覆跑腿。",
	} {
		s, _ := c.Situation(code)
		if got := s.Example.In(LangZhTW); got != want {
			t.Errorf("%s example zh-TW %q, want %q", code, got, want)
		}
	}
	if s, _ := c.Situation("U1.4"); s.Name(LangZhTW) != "項目建設" {
		t.Errorf("U1.4 zh-TW %q", s.Name(LangZhTW))
	}
	// Localize does not change the input catalogue.
	plain := mustLoad(t)
	if s, _ := plain.Situation("P1.2"); s.Name(LangZhTW) != "群众" {
		t.Errorf("unlocalized zh-TW should fall back to Simplified, got %q", s.Name(LangZhTW))
	}
}

func TestNormalizeLang(t *testing.T) {
	for in, want := range map[string]string{
		"": LangZhCN, "zh-CN": LangZhCN, "zh": LangZhCN, "zh-Hans": LangZhCN, "fr": LangZhCN,
		"zh-TW": LangZhTW, "zh-tw": LangZhTW, "zh-HK": LangZhTW, "zh-Hant-TW": LangZhTW,
		"en": LangEn, "en-US": LangEn, " EN ": LangEn,
	} {
		if got := NormalizeLang(in); got != want {
			t.Errorf("NormalizeLang(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestView(t *testing.T) {
	c, loc := mustLocalized(t)
	plain := mustLoad(t)
	for _, tc := range []struct {
		lang    string
		cat     *Catalog
		p12     string
		catName string
		demote  string
	}{
		{"", c, "群众", "消极应付", "降职"},
		{"xx", c, "群众", "消极应付", "降职"},
		{"zh-TW", c, "群眾", "消極應付", "降職"},
		{"zh-TW", plain, "群眾", "消極應付", "降職"}, // converted on the fly with loc
		{"en", c, "Towards the public", "Perfunctory response", "Demotion"},
	} {
		v := tc.cat.View(tc.lang, loc)
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var m struct {
			Version       string           `json:"version"`
			EffectiveFrom string           `json:"effective_from"`
			Situations    []map[string]any `json:"situations"`
			Sanctions     []map[string]any `json:"sanctions"`
		}
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		if m.Version != "fuzhou-2015.1" || m.EffectiveFrom != "2015-04-21" || len(m.Situations) != 30 || len(m.Sanctions) != 21 {
			t.Fatalf("lang %q: view header %+v", tc.lang, m)
		}
		for _, s := range m.Situations {
			for _, k := range []string{"code", "subject", "category", "name", "category_name", "example", "initials"} {
				if v, _ := s[k].(string); v == "" {
					t.Errorf("lang %q: situation %v lacks %s", tc.lang, s["code"], k)
				}
			}
			if s["code"] == "P1.2" && (s["name"] != tc.p12 || s["category_name"] != tc.catName || s["subject"] != "person" || s["category"] != "P1") {
				t.Errorf("lang %q: P1.2 = %v", tc.lang, s)
			}
		}
		for _, s := range m.Sanctions {
			for _, k := range []string{"code", "group", "name"} {
				if v, _ := s[k].(string); v == "" {
					t.Errorf("lang %q: sanction %v lacks %s", tc.lang, s["code"], k)
				}
			}
			if s["code"] == "demotion" && (s["name"] != tc.demote || s["group"] != GroupDismissal) {
				t.Errorf("lang %q: demotion = %v", tc.lang, s)
			}
		}
	}
	if v := plain.View("zh-TW", nil); v.Situations[0].Name != "决策部署" {
		t.Errorf("nil localizer should show Simplified, got %q", v.Situations[0].Name)
	}
}

const minimal = `{"version":"v1","effective_from":"2020-01-01","source":{"zh":"源","en":"src"},
"categories":[{"code":"P1","subject":"person","zh":"消极应付","en":"Perfunctory","initials":"xjyf",
 "situations":[{"code":"P1.1","zh":"工作","en":"Work","initials":"gz","example":{"zh":"例","en":"ex"}}]}],
"sanction_groups":[{"code":"efficiency","zh":"效能问责","en":"Efficiency"}],
"sanctions":[{"code":"written_review","group":"efficiency","zh":"责令书面检查","en":"Written review"}]}`

func TestParse(t *testing.T) {
	c, err := Parse([]byte(minimal))
	if err != nil {
		t.Fatalf("minimal: %v", err)
	}
	if len(c.Situations) != 1 || c.Situations[0].Initials != "xjyf gz" {
		t.Errorf("minimal parsed as %+v", c)
	}
	bad := []struct{ name, from, to string }{
		{"duplicate situation", `"situations":[{"code":"P1.1"`, `"situations":[{"code":"P1.1","zh":"工作","en":"Work","initials":"gz","example":{"zh":"例","en":"ex"}},{"code":"P1.1"`},
		{"bad subject", `"subject":"person"`, `"subject":"unit"`},
		{"unknown subject", `"subject":"person"`, `"subject":"people"`},
		{"prefix mismatch", `"code":"P1.1"`, `"code":"P2.1"`},
		{"bad code", `"code":"P1.1"`, `"code":"P1-1"`},
		{"missing en", `"en":"Work"`, `"en":""`},
		{"missing example", `"example":{"zh":"例","en":"ex"}`, `"example":{"zh":"例"}`},
		{"bad initials", `"initials":"gz"`, `"initials":"GZ"`},
		{"missing version", `"version":"v1"`, `"version":" "`},
		{"missing date", `"effective_from":"2020-01-01",`, ``},
		{"bad date", `"2020-01-01"`, `"2020-02-30"`},
		{"unknown field", `"version":"v1"`, `"version":"v1","extra":1`},
		{"duplicate sanction", `"sanctions":[`, `"sanctions":[{"code":"written_review","group":"efficiency","zh":"x","en":"x"},`},
		{"unknown group", `"group":"efficiency"`, `"group":"other"`},
		{"bad sanction code", `"code":"written_review"`, `"code":"Written Review"`},
		{"no sanctions", `"sanctions":[{"code":"written_review","group":"efficiency","zh":"责令书面检查","en":"Written review"}]`, `"sanctions":[]`},
		{"empty category", `"situations":[{"code":"P1.1","zh":"工作","en":"Work","initials":"gz","example":{"zh":"例","en":"ex"}}]`, `"situations":[]`},
		{"trailing data", `"Written review"}]}`, `"Written review"}]}{}`},
	}
	for _, tc := range bad {
		doc := strings.Replace(minimal, tc.from, tc.to, 1)
		if doc == minimal {
			t.Fatalf("%s: replacement did not apply", tc.name)
		}
		if _, err := Parse([]byte(doc)); err == nil {
			t.Errorf("%s: Parse accepted %s", tc.name, doc)
		}
	}
	if _, err := Parse([]byte("not json")); err == nil {
		t.Error("accepted garbage")
	}
}

func FuzzParse(f *testing.F) {
	b, err := dataFS.ReadFile(DefaultFile)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte(minimal))
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"version":"x","categories":[{"code":"U1","subject":"unit"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data)
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, s := range c.Situations {
			if seen[s.Code] || !strings.HasPrefix(s.Code, s.Category+".") {
				t.Fatalf("accepted bad situation %+v", s)
			}
			seen[s.Code] = true
			if (s.Subject == SubjectUnit) != (s.Category[0] == 'U') {
				t.Fatalf("accepted subject %q for %s", s.Subject, s.Code)
			}
		}
	})
}

// Merge completes a catalogue with the codes other versions add, keeping
// its own texts: a situation of a category it has stands after that
// category's last (under its own category name), one of a new category at
// the end; sanctions and groups it lacks come after its own.
func TestMerge(t *testing.T) {
	doc := func(version, cats, sanctions string) *Catalog {
		t.Helper()
		c, err := Parse([]byte(`{"version":"` + version + `","effective_from":"2027-01-01","source":{"zh":"源","en":"src"},"categories":[` + cats +
			`],"sanction_groups":[{"code":"efficiency","zh":"效能问责","en":"Efficiency"},{"code":"party","zh":"党纪处分","en":"Party"}],"sanctions":[` + sanctions + `]}`))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	sit := func(code, zh string) string {
		return `{"code":"` + code + `","zh":"` + zh + `","en":"` + zh + `","initials":"a","example":{"zh":"例","en":"e"}}`
	}
	a := doc("a", `{"code":"P1","subject":"person","zh":"甲类","en":"A","initials":"a","situations":[`+sit("P1.1", "一")+`,`+sit("P1.2", "二")+`]},`+
		`{"code":"P2","subject":"person","zh":"乙类","en":"B","initials":"b","situations":[`+sit("P2.1", "三")+`]}`,
		`{"code":"written_review","group":"efficiency","zh":"书面检查","en":"Written"}`)
	b := doc("b", `{"code":"P1","subject":"person","zh":"甲类新名","en":"A2","initials":"a","situations":[`+sit("P1.1", "一新名")+`,`+sit("P1.3", "四")+`]},`+
		`{"code":"P4","subject":"person","zh":"丁类","en":"D","initials":"d","situations":[`+sit("P4.1", "五")+`]}`,
		`{"code":"written_review","group":"efficiency","zh":"书面检讨","en":"W2"},{"code":"party_warning","group":"party","zh":"警告","en":"Warning"}`)
	m := a.Merge(b, nil, a)
	var got []string
	for _, s := range m.Situations {
		got = append(got, s.Code+" "+s.CategoryName.Zh+" "+s.Names.Zh)
	}
	want := []string{"P1.1 甲类 一", "P1.2 甲类 二", "P1.3 甲类 四", "P2.1 乙类 三", "P4.1 丁类 五"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("situations %v, want %v", got, want)
	}
	var sanctions []string
	for _, s := range m.Sanctions {
		sanctions = append(sanctions, s.Code+" "+s.Names.Zh)
	}
	if strings.Join(sanctions, "|") != "written_review 书面检查|party_warning 警告" || len(m.Groups) != 2 || m.Version != "a" {
		t.Errorf("sanctions %v, groups %d, version %s", sanctions, len(m.Groups), m.Version)
	}
	if len(a.Situations) != 3 || len(a.Sanctions) != 1 {
		t.Errorf("a changed: %d situations, %d sanctions", len(a.Situations), len(a.Sanctions))
	}
	if c := m.Categories(); strings.Join(c, ",") != "P1,P2,P4" {
		t.Errorf("categories %v", c)
	}
}
