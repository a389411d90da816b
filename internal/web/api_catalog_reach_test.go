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
