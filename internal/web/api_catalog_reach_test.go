package web_test

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"mashang/internal/auth"
	"mashang/internal/web/webtest"
)

// smallVersion is testdata/catalog-minqing-2027.json, a catalogue version
// written by hand: situations P1.1, P1.2 and P4.1 (P4 慵懒散漫 is not in
// the default), sanctions written_review (renamed 书面检讨),
// circulated_criticism, public_apology (not in the default) and demotion;
// efficiency_admonition and the rest of the default's are not in it.
const smallVersion = "minqing-2027.1"

// catverFix is a city whose Minqing office judges under smallVersion,
// while the city and Yongtai keep the default.
type catverFix struct {
	cityFix
	mqDir, ytDir, cityDir string
}

func newCatverCity(t *testing.T, h *webtest.Harness) catverFix {
	t.Helper()
	f := newCity(t, h)
	doc, err := os.ReadFile("testdata/catalog-minqing-2027.json")
	if err != nil {
		t.Fatal(err)
	}
	h.Must(201, "POST", "/api/v1/catalog/versions", f.admin, doc)
	h.Must(200, "PATCH", "/api/v1/offices/MQ", f.admin, map[string]any{"catalog_version": smallVersion})
	return catverFix{cityFix: f, mqDir: h.TokenIn("mqdir", auth.Director, "MQ"), ytDir: h.TokenIn("ytdir", auth.Director, "YT"),
		cityDir: h.TokenIn("fzdir", auth.Director, "main")}
}

// concluded files a report of situation in unit and takes it to a verified
// conclusion naming a new person, by dir; it returns the case and person ids.
func (f catverFix) concluded(unit, situation, dir, dirName string) (int64, any) {
	h := f.h
	h.T.Helper()
	r := h.Must(201, "POST", "/api/v1/reports", "", map[string]any{"content": "窗口工作人员迟到早退", "unit": unit, "situation": situation, "anonymous": true})
	var id int64
	if err := h.App.DB.Read.QueryRow(`SELECT id FROM cases WHERE receipt = $1`, webtest.Str(r.JSON, "receipt")).Scan(&id); err != nil {
		h.T.Fatal(err)
	}
	p := h.Must(201, "POST", "/api/v1/people", f.admin, map[string]any{"name": "窗口负责人", "unit": unit})
	on := fmt.Sprintf("/api/v1/cases/%d/actions", id)
	h.Must(200, "POST", on, dir, map[string]any{"action": "accept"})
	h.Must(200, "POST", on, dir, map[string]any{"action": "assign", "user": dirName})
	h.Must(200, "POST", on, dir, map[string]any{"action": "conclude", "finding": "verified", "person_ids": []any{p.JSON["id"]}})
	return id, p.JSON["id"]
}

func sanctionCodes(c map[string]any) []string {
	var out []string
	for _, s := range c["sanctions"].([]any) {
		out = append(out, webtest.Str(s.(map[string]any), "code"))
	}
	return out
}

// GET /api/v1/catalog without parameters answers a signed-in staff member
// their office's version, the public (and a stale session) the default; a
// parameter still chooses; a bearer token that signs nobody in is 401.
func TestCatalogOfTheCaller(t *testing.T) {
	webtest.Engines(t, func(t *testing.T, h *webtest.Harness) {
		f := newCatverCity(t, h)
		for _, tc := range []struct {
			name, query, token string
			headers            []string
			version            string
			situations         int
			sanctions          string
		}{
			{"Minqing's director", "", f.mqDir, nil, smallVersion, 3, "written_review circulated_criticism public_apology demotion"},
			{"Yongtai's director", "", f.ytDir, nil, "fuzhou-2015.1", 30, ""},
			{"the city's director", "", f.cityDir, nil, "fuzhou-2015.1", 30, ""},
			{"the public", "", "", nil, "fuzhou-2015.1", 30, ""},
			{"a stale session", "", "", []string{"Cookie: mashang_session=nope"}, "fuzhou-2015.1", 30, ""},
			{"Minqing's director asking for Yongtai's", "?office=YT", f.mqDir, nil, "fuzhou-2015.1", 30, ""},
			{"the public asking for Minqing's", "?office=MQ", "", nil, smallVersion, 3, ""},
		} {
			r := h.Do("GET", "/api/v1/catalog"+tc.query, tc.token, nil, tc.headers...)
			if r.Status != 200 || webtest.Str(r.JSON, "version") != tc.version || len(r.JSON["situations"].([]any)) != tc.situations {
				t.Errorf("%s: %d %.200s", tc.name, r.Status, r.Raw)
				continue
			}
			if tc.sanctions != "" && strings.Join(sanctionCodes(r.JSON), " ") != tc.sanctions {
				t.Errorf("%s: sanctions %v", tc.name, sanctionCodes(r.JSON))
			}
			if !strings.Contains(r.Header.Get("Vary"), "Authorization") {
				t.Errorf("%s: Vary %q", tc.name, r.Header.Get("Vary"))
			}
		}
		if r := h.Do("GET", "/api/v1/catalog", "not-a-token", nil); r.Status != 401 {
			t.Errorf("a bad token: %d %s", r.Status, r.Raw)
		}
		// The version's names, in English.
		r := h.Do("GET", "/api/v1/catalog", f.mqDir, nil, "Accept-Language: en")
		var names []string
		for _, s := range r.JSON["situations"].([]any) {
			names = append(names, webtest.Str(s.(map[string]any), "category_name")+"/"+webtest.Str(s.(map[string]any), "name"))
		}
		if strings.Join(names, ";") != "Perfunctory response/Towards work;Perfunctory response/Towards the public;Idleness/Coming late, leaving early" {
			t.Errorf("Minqing's situations in English: %v", names)
		}
	})
}

// A decision's sanctions are checked against the catalogue version of its
// case: on a Minqing case (under the small version) efficiency_admonition,
// which that version does not have, is refused in the caller's language and
// nothing is stored, while a Yongtai case takes it; public_apology, only in
// the small version, is refused on a Yongtai case as unknown and on a
// Minqing case because no rule set says what it entails. An appeal that
// varies the Minqing decision is held to the same version.
func TestDecisionSanctionsFollowTheCasesVersion(t *testing.T) {
	webtest.Engines(t, func(t *testing.T, h *webtest.Harness) {
		f := newCatverCity(t, h)
		mq, mqPerson := f.concluded("MQ-ZX", "P4.1", f.mqDir, "mqdir")
		yt, ytPerson := f.concluded("YT-ZX", "P1.2", f.ytDir, "ytdir")
		if v := webtest.Str(f.caseOf(mq), "catalog_version"); v != smallVersion {
			t.Fatalf("the Minqing case's version: %s", v)
		}
		decideIn := func(lang string, id int64, person any, tok string, sanctions ...string) webtest.Response {
			return h.Do("POST", fmt.Sprintf("/api/v1/cases/%d/decisions", id), tok, map[string]any{
				"person_id": person, "situation": map[int64]string{mq: "P4.1", yt: "P1.2"}[id], "sanctions": sanctions, "decided_on": "2026-03-02"},
				"Accept-Language: "+lang)
		}
		decide := func(id int64, person any, tok string, sanctions ...string) webtest.Response {
			return decideIn("zh-CN", id, person, tok, sanctions...)
		}
		count := func() int {
			var n int
			if err := h.App.DB.Read.QueryRow(`SELECT COUNT(*) FROM decisions`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		for _, tc := range []struct {
			name      string
			id        int64
			person    any
			tok       string
			sanctions []string
			code      string
			zh, en    string
		}{
			{"a sanction the Minqing version lacks", mq, mqPerson, f.mqDir, []string{"efficiency_admonition"}, "unknown_sanction",
				"目录（minqing-2027.1）中没有处理方式 efficiency_admonition", "the catalogue (minqing-2027.1) has no sanction efficiency_admonition"},
			{"one of two sanctions unknown", mq, mqPerson, f.mqDir, []string{"written_review", "gov_warning"}, "unknown_sanction",
				"目录（minqing-2027.1）中没有处理方式 gov_warning", "the catalogue (minqing-2027.1) has no sanction gov_warning"},
			{"a sanction only the Minqing version has, on a Yongtai case", yt, ytPerson, f.ytDir, []string{"public_apology"}, "unknown_sanction",
				"目录（fuzhou-2015.1）中没有处理方式 public_apology", "the catalogue (fuzhou-2015.1) has no sanction public_apology"},
			{"a sanction of the version no rule set knows", mq, mqPerson, f.mqDir, []string{"public_apology"}, "sanction_not_in_rule_set",
				"规则集 fuzhou-2015 没有处理方式 public_apology 的规则", "rule set fuzhou-2015 has no rule for sanction public_apology"},
		} {
			for _, lang := range []string{"zh-CN", "en"} {
				r := decideIn(lang, tc.id, tc.person, tc.tok, tc.sanctions...)
				want := map[string]string{"zh-CN": tc.zh, "en": tc.en}[lang]
				if r.Status != 422 || r.ErrorCode() != tc.code || webtest.Str(r.JSON, "error.field") != "sanctions" || !strings.Contains(r.ErrorMessage(), want) {
					t.Errorf("%s (%s): %d %s", tc.name, lang, r.Status, r.Raw)
				}
			}
			if n := count(); n != 0 {
				t.Fatalf("%s: %d decisions stored", tc.name, n)
			}
		}
		// What each version has is taken.
		if r := decide(yt, ytPerson, f.ytDir, "efficiency_admonition"); r.Status != 201 {
			t.Errorf("efficiency_admonition on the Yongtai case: %d %s", r.Status, r.Raw)
		}
		r := decide(mq, mqPerson, f.mqDir, "written_review")
		if r.Status != 201 {
			t.Fatalf("written_review on the Minqing case: %d %s", r.Status, r.Raw)
		}
		d := h.Must(200, "GET", fmt.Sprintf("/api/v1/decisions/%v", r.JSON["id"]), f.admin, nil).JSON
		if webtest.Str(d, "catalog_version") != smallVersion || webtest.Str(d, "category") != "P4" {
			t.Errorf("the Minqing decision: version %s category %s", webtest.Str(d, "catalog_version"), webtest.Str(d, "category"))
		}
		// An appeal varying it: to a sanction the version lacks, refused; to one it has, done.
		org := h.TokenIn("mqorg", auth.OrgDept, "MQ")
		a := h.Must(201, "POST", fmt.Sprintf("/api/v1/decisions/%v/appeals", r.JSON["id"]), org, map[string]any{"filed_on": "2026-03-02", "reason": "处理过重"})
		out := fmt.Sprintf("/api/v1/appeals/%v/outcome", a.JSON["id"])
		for _, lang := range []string{"zh-CN", "en"} {
			v := h.Do("POST", out, org, map[string]any{"outcome": "varied", "decided_on": "2026-03-02", "sanctions": []string{"admonishing_talk"}}, "Accept-Language: "+lang)
			if v.Status != 422 || v.ErrorCode() != "unknown_sanction" || !strings.Contains(v.ErrorMessage(), map[string]string{"zh-CN": "目录（minqing-2027.1）", "en": "catalogue (minqing-2027.1)"}[lang]) {
				t.Errorf("varied to admonishing_talk (%s): %d %s", lang, v.Status, v.Raw)
			}
		}
		if n := count(); n != 2 {
			t.Errorf("decisions after the refused variation: %d", n)
		}
		h.Must(200, "POST", out, org, map[string]any{"outcome": "varied", "decided_on": "2026-03-02", "sanctions": []string{"circulated_criticism"}})
		var got []string
		for _, x := range h.Must(200, "GET", fmt.Sprintf("/api/v1/cases/%d", mq), f.admin, nil).JSON["decisions"].([]any) {
			m := x.(map[string]any)
			got = append(got, webtest.Str(m, "status")+":"+strings.Join(sanctionsOf(m), ","))
		}
		slices.Sort(got)
		if strings.Join(got, " ") != "in_force:circulated_criticism varied:written_review" {
			t.Errorf("the Minqing case's decisions: %v", got)
		}
		// The case page names the situation and the sanctions as the
		// version does, and its decision form offers the version's sanctions.
		b := newBrowser(t, h)
		b.login("mqdir")
		for _, tc := range []struct{ lang, situation, sanction string }{
			{"zh-CN", "P4.1 慵懒散漫 · 迟到早退", "书面检讨"},
			{"en", "P4.1 Idleness · Coming late, leaving early", "Written apology to the office"},
		} {
			b.lang = tc.lang
			pg := b.get(fmt.Sprintf("/staff/cases/%d", mq))
			if pg.Status != 200 || !strings.Contains(pg.Body, tc.situation) || !strings.Contains(pg.Body, tc.sanction) || !strings.Contains(pg.Body, smallVersion) ||
				!strings.Contains(pg.Body, `value="public_apology"`) || strings.Contains(pg.Body, `value="efficiency_admonition"`) {
				t.Errorf("the Minqing case page (%s): %d, situation %v, sanction %v, public_apology offered %v, efficiency_admonition offered %v", tc.lang, pg.Status,
					strings.Contains(pg.Body, tc.situation), strings.Contains(pg.Body, tc.sanction), strings.Contains(pg.Body, `value="public_apology"`), strings.Contains(pg.Body, `value="efficiency_admonition"`))
			}
		}
		b.lang = ""
		yb := newBrowser(t, h)
		yb.login("ytdir")
		if pg := yb.get(fmt.Sprintf("/staff/cases/%d", yt)); pg.Status != 200 || strings.Contains(pg.Body, `value="public_apology"`) || !strings.Contains(pg.Body, `value="efficiency_admonition"`) {
			t.Errorf("the Yongtai case page: %d", pg.Status)
		}
	})
}

func sanctionsOf(m map[string]any) []string {
	var out []string
	for _, s := range m["sanctions"].([]any) {
		out = append(out, fmt.Sprint(s))
	}
	return out
}

// reportIn files an anonymous public report of situation naming unit.
func (f catverFix) reportIn(unit, situation string) {
	f.h.T.Helper()
	f.h.Must(201, "POST", "/api/v1/reports", "", map[string]any{"content": "窗口上午十点还没有人", "unit": unit, "situation": situation, "anonymous": true})
}

func listSituations(h *webtest.Harness, tok, query string) (int, []string) {
	h.T.Helper()
	r := h.Do("GET", "/api/v1/cases"+query, tok, nil)
	if r.Status != 200 {
		return r.Status, []string{r.ErrorCode()}
	}
	var sits []string
	for _, c := range r.JSON["cases"].([]any) {
		sits = append(sits, webtest.Str(c.(map[string]any), "situation"))
	}
	slices.Sort(sits)
	return 200, sits
}

// A situation and a category only Minqing's version has can be filtered
// on (API and the list page's choices, which follow the caller's offices),
// are counted by the statistics (every category's count adds up to the
// total) and named in the figures, the overview and the public ones; a code
// no version has is refused in the caller's language.
func TestCatalogVersionInListsAndFigures(t *testing.T) {
	webtest.Engines(t, func(t *testing.T, h *webtest.Harness) {
		f := newCatverCity(t, h)
		f.reportIn("MQ-ZX", "P4.1")
		f.reportIn("MQ-ZX", "P4.1")
		f.reportIn("MQ-ZX", "P1.2")
		f.reportIn("YT-ZX", "P1.2")
		f.reportIn("YT-ZX", "P3.3")
		for _, tc := range []struct {
			name, tok, query string
			status           int
			want             string
		}{
			{"the city, a situation only Minqing's version has", f.cityDir, "?situation=P4.1", 200, "P4.1 P4.1"},
			{"the city, its category", f.cityDir, "?situation=P4", 200, "P4.1 P4.1"},
			{"Minqing", f.mqDir, "?situation=P4.1", 200, "P4.1 P4.1"},
			{"Minqing, a situation of the default", f.mqDir, "?situation=P3.3", 200, ""},
			{"Yongtai", f.ytDir, "?situation=P4.1", 200, ""},
			{"the city, P1.2 in both versions", f.cityDir, "?situation=P1.2", 200, "P1.2 P1.2"},
			{"no version has it", f.cityDir, "?situation=P4.9", 422, "unknown_situation"},
			{"no version has the category", f.mqDir, "?situation=P7", 422, "unknown_category"},
		} {
			st, got := listSituations(h, tc.tok, tc.query)
			if st != tc.status || strings.Join(got, " ") != tc.want {
				t.Errorf("%s: %d %v, want %d %s", tc.name, st, got, tc.status, tc.want)
			}
		}
		for _, lang := range []string{"zh-CN", "en"} {
			r := h.Do("GET", "/api/v1/cases?situation=P4.9", f.mqDir, nil, "Accept-Language: "+lang)
			if !strings.Contains(r.ErrorMessage(), map[string]string{"zh-CN": "未知的情形：P4.9", "en": "unknown situation: P4.9"}[lang]) || webtest.Str(r.JSON, "error.field") != "situation" {
				t.Errorf("unknown situation (%s): %s", lang, r.Raw)
			}
		}
		// Statistics count the category Minqing's version adds.
		for _, tc := range []struct {
			name, tok string
			want      map[string]int
			total     int
		}{
			{"the city", f.cityDir, map[string]int{"P1": 2, "P3": 1, "P4": 2}, 5},
			{"Minqing", f.mqDir, map[string]int{"P1": 1, "P4": 2}, 3},
			{"Yongtai", f.ytDir, map[string]int{"P1": 1, "P3": 1}, 2},
		} {
			rep := h.Must(200, "GET", "/api/v1/stats?from=2026-03-01&to=2026-03-31", tc.tok, nil).JSON
			got := map[string]int{}
			sum := 0
			for k, v := range rep["by_category"].(map[string]any) {
				n := int(v.(float64))
				sum += n
				if k != "none" && n > 0 {
					got[k] = n
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) || webtest.Str(rep, "total") != fmt.Sprint(tc.total) || sum != tc.total {
				t.Errorf("%s: by_category %v (sum %d), total %s; want %v, %d", tc.name, got, sum, webtest.Str(rep, "total"), tc.want, tc.total)
			}
		}
		// The leading group's summary names the category.
		if sum := h.Must(200, "GET", "/api/v1/reports/summary?from=2026-03-01&to=2026-03-31", f.cityDir, nil); !strings.Contains(string(sum.Raw), "P4 慵懒散漫") {
			t.Errorf("the summary does not name P4: %.600s", sum.Raw)
		}
		// The overview page names it, in the page's language.
		b := newBrowser(t, h)
		b.login("fzdir")
		for _, tc := range []struct{ lang, want string }{{"zh-CN", "P4 慵懒散漫"}, {"en", "P4 Idleness"}} {
			b.lang = tc.lang
			if pg := b.get("/staff/overview?from=2026-03-01&to=2026-03-31"); pg.Status != 200 || !strings.Contains(pg.Body, tc.want) {
				t.Errorf("the city's overview (%s) does not name P4: %d", tc.lang, pg.Status)
			}
		}
		// The list page's choices: the caller's version, with those of the offices below.
		mb := newBrowser(t, h)
		mb.login("mqdir")
		yb := newBrowser(t, h)
		yb.login("ytdir")
		for _, tc := range []struct {
			name     string
			b        *browser
			lang     string
			has, not []string
		}{
			{"Minqing", mb, "zh-CN", []string{`<optgroup label="P4 慵懒散漫">`, `<option value="P4.1">P4.1 迟到早退</option>`, `<option value="P4">P4 （全类）</option>`}, []string{`value="P3.3"`}},
			{"Minqing", mb, "en", []string{`<optgroup label="P4 Idleness">`, `<option value="P4.1">P4.1 Coming late, leaving early</option>`}, []string{`value="P3.3"`}},
			{"Yongtai", yb, "zh-CN", []string{`<option value="P3.3">P3.3 滥用职权</option>`}, []string{`value="P4.1"`, `value="P4"`}},
			{"the city", b, "zh-CN", []string{`<option value="P3.3">`, `<option value="P4.1">`, `<optgroup label="P4 慵懒散漫">`}, nil},
		} {
			tc.b.lang = tc.lang
			pg := tc.b.get("/staff/cases")
			for _, s := range tc.has {
				if !strings.Contains(pg.Body, s) {
					t.Errorf("%s's list (%s) lacks %s", tc.name, tc.lang, s)
				}
			}
			for _, s := range tc.not {
				if strings.Contains(pg.Body, s) {
					t.Errorf("%s's list (%s) offers %s", tc.name, tc.lang, s)
				}
			}
		}
		b.lang = "zh-CN"
		if pg := b.get("/staff/cases?situation=P4.1&state=open"); pg.Status != 200 || !strings.Contains(pg.Body, `<option value="P4.1" selected>`) || strings.Count(pg.Body, `<tr data-href="/staff/cases/`) != 2 {
			t.Errorf("the city's list of P4.1: %d, %d rows", pg.Status, strings.Count(pg.Body, `<tr data-href="/staff/cases/`))
		}
		// The public figures of Minqing name the category.
		if ps := h.Must(200, "GET", "/api/v1/public/stats?office=MQ", "", nil); !strings.Contains(string(ps.Raw), `{"key":"P4","label":"P4 慵懒散漫","n":2}`) {
			t.Errorf("Minqing's public figures do not name P4: %.600s", ps.Raw)
		}
		pb := newBrowser(t, h)
		for _, tc := range []struct{ lang, want string }{{"zh-CN", "P4 慵懒散漫"}, {"en", "P4 Idleness"}} {
			pb.lang = tc.lang
			if pg := pb.get("/public/stats?office=MQ"); pg.Status != 200 || !strings.Contains(pg.Body, tc.want) {
				t.Errorf("Minqing's public figures page (%s) does not name P4: %d", tc.lang, pg.Status)
			}
		}
	})
}

// The public report form lists the situations of the version of the office
// the report goes to (chosen with ?office=, else the top office) and carries
// that office; the clerk's desk lists those of the clerk's office.
func TestReportFormsFollowTheOfficesVersion(t *testing.T) {
	webtest.Engines(t, func(t *testing.T, h *webtest.Harness) {
		newCatverCity(t, h)
		b := newBrowser(t, h)
		for _, tc := range []struct {
			lang, path string
			has, not   []string
		}{
			{"zh-CN", "/report?office=MQ", []string{`<option value="P4.1">P4.1 慵懒散漫 · 迟到早退</option>`, `<input type="hidden" name="office" value="MQ">`, `href="/report?office=YT"`}, []string{`value="P3.3"`}},
			{"en", "/report?office=MQ", []string{`<option value="P4.1">P4.1 Idleness · Coming late, leaving early</option>`, `data-office="MQ"`}, []string{`value="P3.3"`}},
			{"zh-CN", "/report", []string{`<option value="P3.3">`, `<input type="hidden" name="office" value="main">`, `href="/report?office=MQ"`}, []string{`value="P4.1"`}},
			{"en", "/report?office=YT", []string{`<option value="P3.3">`}, []string{`value="P4.1"`}},
		} {
			b.lang = tc.lang
			pg := b.get(tc.path)
			if pg.Status != 200 {
				t.Errorf("%s (%s): %d", tc.path, tc.lang, pg.Status)
				continue
			}
			for _, s := range tc.has {
				if !strings.Contains(pg.Body, s) {
					t.Errorf("%s (%s) lacks %s", tc.path, tc.lang, s)
				}
			}
			for _, s := range tc.not {
				if strings.Contains(pg.Body, s) {
					t.Errorf("%s (%s) offers %s", tc.path, tc.lang, s)
				}
			}
		}
		b.lang = ""
		if pg := b.get("/report?office=NOPE"); pg.Status != 404 {
			t.Errorf("an unknown office's form: %d", pg.Status)
		}
		// A report to Minqing without a unit goes to Minqing, under its version.
		tok := b.csrf("/report?office=MQ")
		pg := b.receiptAfter(b.postMultipart("/report", map[string]string{"csrf": tok, "office": "MQ", "content": "窗口上午十点还没有人上班。", "situation": "P4.1", "anonymous": "yes"}, nil))
		m := receiptRe.FindStringSubmatch(pg.Body)
		if m == nil {
			t.Fatalf("no receipt: %s", pg.Body)
		}
		var office, version string
		if err := h.App.DB.Read.QueryRow(`SELECT o.code, c.catalog_version FROM cases c JOIN offices o ON o.id = c.office_id WHERE c.receipt = $1`, m[1]).Scan(&office, &version); err != nil {
			t.Fatal(err)
		}
		if office != "MQ" || version != smallVersion {
			t.Errorf("the report to Minqing: office %s, version %s", office, version)
		}
		count := func() int {
			var n int
			if err := h.App.DB.Read.QueryRow(`SELECT COUNT(*) FROM cases`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		before := count()
		for _, tc := range []struct {
			lang, office, want string
		}{
			{"zh-CN", "YT", "目录（fuzhou-2015.1）中没有这个情形代码"},
			{"en", "YT", "no such situation code in the catalogue (fuzhou-2015.1)"},
			{"zh-CN", "NOPE", "没有这个整肃办"},
			{"en", "NOPE", "no such office"},
		} {
			b.lang = tc.lang
			pg := b.postMultipart("/report", map[string]string{"csrf": b.csrf("/report"), "office": tc.office, "content": "窗口没有人。", "situation": "P4.1", "anonymous": "yes"}, nil)
			if pg.Status != 422 || !strings.Contains(pg.Body, tc.want) {
				t.Errorf("P4.1 to %s (%s): %d", tc.office, tc.lang, pg.Status)
			}
		}
		if n := count(); n != before {
			t.Errorf("refused reports stored: %d cases, want %d", n, before)
		}
		// The desk lists the clerk's office's situations.
		for _, tc := range []struct {
			user, office, lang string
			has, not           string
		}{
			{"mqclerk", "MQ", "zh-CN", `<option value="P4.1" data-s="ylsmcdzt ylsm cdzt 迟到早退 慵懒散漫 Coming late, leaving early">P4.1 慵懒散漫 · 迟到早退</option>`, `value="P3.3"`},
			{"mqclerk", "MQ", "en", `>P4.1 Idleness · Coming late, leaving early</option>`, `value="P3.3"`},
			{"ytclerk", "YT", "zh-CN", `<option value="P3.3"`, `value="P4.1"`},
		} {
			cb := newBrowser(t, h)
			if tc.lang == "zh-CN" {
				h.TokenIn(tc.user, auth.Clerk, tc.office)
			}
			cb.login(tc.user)
			cb.lang = tc.lang
			pg := cb.get("/staff/desk")
			if pg.Status != 200 || !strings.Contains(pg.Body, tc.has) || strings.Contains(pg.Body, tc.not) {
				t.Errorf("%s's desk (%s): %d, has %v, offers %s %v", tc.user, tc.lang, pg.Status, strings.Contains(pg.Body, tc.has), tc.not, strings.Contains(pg.Body, tc.not))
			}
		}
	})
}

// A city inspector's finding at a Minqing unit may name a situation only
// Minqing's version has: the case it opens is Minqing's, under that
// version; a code no version has is refused.
func TestInspectionFindingUnderTheUnitsVersion(t *testing.T) {
	webtest.Engines(t, func(t *testing.T, h *webtest.Harness) {
		newCatverCity(t, h)
		insp := h.TokenIn("fzinsp", auth.Inspector, "main")
		r := h.Must(201, "POST", "/api/v1/inspections", insp, map[string]any{"title": "三月明察", "covert": false, "units": []string{"MQ-ZX"}, "from": "2026-03-01", "to": "2026-03-31"})
		on := fmt.Sprintf("/api/v1/inspections/%v/visits", r.JSON["id"])
		visit := func(situation string) map[string]any {
			return map[string]any{"at": "2026-03-02T08:30:00+08:00", "place": "闽清县行政服务中心", "unit": "MQ-ZX",
				"findings": []map[string]any{{"text": "八点半窗口无人上班", "situation": situation, "open_case": true}}}
		}
		var before int
		if err := h.App.DB.Read.QueryRow(`SELECT COUNT(*) FROM cases`).Scan(&before); err != nil {
			t.Fatal(err)
		}
		if bad := h.Do("POST", on, insp, visit("P4.9")); bad.Status != 422 || bad.ErrorCode() != "unknown_situation" {
			t.Errorf("a finding of P4.9: %d %s", bad.Status, bad.Raw)
		}
		h.Must(201, "POST", on, insp, visit("P4.1"))
		var office, version string
		if err := h.App.DB.Read.QueryRow(`SELECT o.code, c.catalog_version FROM cases c JOIN offices o ON o.id = c.office_id WHERE c.channel = 'inspection'`).Scan(&office, &version); err != nil {
			t.Fatal(err)
		}
		if office != "MQ" || version != smallVersion {
			t.Errorf("the finding's case: office %s, version %s", office, version)
		}
		var after int
		if err := h.App.DB.Read.QueryRow(`SELECT COUNT(*) FROM cases`).Scan(&after); err != nil || after != before+1 {
			t.Errorf("cases: %d before, %d after", before, after)
		}
	})
}
