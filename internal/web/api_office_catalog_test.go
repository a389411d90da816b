package web_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"mashang/internal/auth"
	"mashang/internal/catalog"
	"mashang/internal/web/webtest"
)

// catalog2027 is the embedded catalogue as a new version, fuzhou-2027.1,
// with one situation more (P2.5); change alters it further.
func catalog2027(t *testing.T, change func(doc map[string]any)) []byte {
	t.Helper()
	raw, err := catalog.EmbeddedDocument()
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	doc["version"], doc["effective_from"] = "fuzhou-2027.1", "2027-01-01"
	for _, c := range doc["categories"].([]any) {
		if cat := c.(map[string]any); cat["code"] == "P2" {
			cat["situations"] = append(cat["situations"].([]any), map[string]any{"code": "P2.5", "zh": "推诿扯皮", "en": "passing the buck",
				"initials": "twcp", "example": map[string]any{"zh": "以各种理由推给其他部门。", "en": "Sends people on to other offices on any pretext."}})
		}
	}
	if change != nil {
		change(doc)
	}
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// An admin loads a second catalogue version (stored, audited; the same
// again changes nothing, other contents under its name or a bad document
// are refused); Minqing's office judges under it, Yongtai keeps the
// embedded one: each office's catalogue is GET /api/v1/catalog?office=CODE,
// while GET /api/v1/catalog stays the deployment's. A Minqing report of the
// new situation P2.5 keeps the version after Minqing switches back, and its
// decision is made under it; Yongtai (and Minqing after switching back)
// refuse P2.5. An unknown version is refused, changing nothing.
func TestOfficeCatalogVersions(t *testing.T) {
	webtest.Engines(t, func(t *testing.T, h *webtest.Harness) {
		f := newCity(t, h)
		doc := catalog2027(t, nil)
		r := h.Must(201, "POST", "/api/v1/catalog/versions", f.admin, doc)
		if webtest.Str(r.JSON, "version") != "fuzhou-2027.1" || webtest.Str(r.JSON, "situations") != "31" || r.JSON["default"] != false {
			t.Fatalf("loaded: %s", r.Raw)
		}
		h.Must(200, "POST", "/api/v1/catalog/versions", f.admin, doc)
		for _, tc := range []struct {
			name         string
			body         []byte
			tok          string
			status       int
			code, zh, en string
		}{
			{"other contents under the name", catalog2027(t, func(d map[string]any) { d["effective_from"] = "2027-02-01" }), f.admin, 409, "catalog_version_exists", "已载入的版本不能更改", "never changes"},
			{"the embedded version changed", catalog2027(t, func(d map[string]any) { d["version"] = "fuzhou-2015.1" }), f.admin, 409, "catalog_version_exists", "已存在", "exists"},
			{"no sanctions", catalog2027(t, func(d map[string]any) { d["version"], d["sanctions"] = "x-1", []any{} }), f.admin, 422, "invalid_catalog", "目录文件有误", "not valid"},
			{"a bad version", catalog2027(t, func(d map[string]any) { d["version"] = "2027 新版" }), f.admin, 422, "invalid_catalog_version", "版本号", "version"},
			{"a director", catalog2027(t, func(d map[string]any) { d["version"] = "x-2" }), h.TokenIn("fzdir", auth.Director, "main"), 403, "forbidden", "", ""},
		} {
			for _, lang := range []string{"zh-CN", "en"} {
				r := h.Do("POST", "/api/v1/catalog/versions", tc.tok, tc.body, "Accept-Language: "+lang)
				if r.Status != tc.status || !strings.Contains(r.ErrorCode(), tc.code) || !strings.Contains(r.ErrorMessage(), map[string]string{"zh-CN": tc.zh, "en": tc.en}[lang]) {
					t.Errorf("%s (%s): %d %s", tc.name, lang, r.Status, r.Raw)
				}
			}
		}
		var versions []string
		for _, v := range h.Must(200, "GET", "/api/v1/catalog/versions", f.admin, nil).JSON["versions"].([]any) {
			m := v.(map[string]any)
			versions = append(versions, fmt.Sprintf("%s:%s:%v", webtest.Str(m, "version"), webtest.Str(m, "situations"), m["default"]))
		}
		if strings.Join(versions, " ") != "fuzhou-2015.1:30:true fuzhou-2027.1:31:false" {
			t.Errorf("versions: %v", versions)
		}
		// Minqing chooses the new version; an unknown one is refused.
		if v := h.Must(200, "PATCH", "/api/v1/offices/MQ", f.admin, map[string]any{"catalog_version": "fuzhou-2027.1"}).JSON; webtest.Str(v, "catalog_version") != "fuzhou-2027.1" || webtest.Str(v, "own_catalog_version") != "fuzhou-2027.1" {
			t.Errorf("Minqing's version: %v", v)
		}
		for _, lang := range []string{"zh-CN", "en"} {
			r := h.Do("PATCH", "/api/v1/offices/YT", f.admin, map[string]any{"catalog_version": "fuzhou-2030", "ruleset": "national-2019"}, "Accept-Language: "+lang)
			if r.Status != 422 || r.ErrorCode() != "unknown_catalog_version" || webtest.Str(r.JSON, "error.field") != "catalog_version" || !strings.Contains(string(r.Raw), "fuzhou-2027.1") ||
				!strings.Contains(r.ErrorMessage(), map[string]string{"zh-CN": "未知的目录版本", "en": "unknown catalogue version"}[lang]) {
				t.Errorf("an unknown version (%s): %d %s", lang, r.Status, r.Raw)
			}
		}
		if v := h.Must(200, "GET", "/api/v1/offices/YT", f.admin, nil).JSON; webtest.Str(v, "catalog_version") != "fuzhou-2015.1" || webtest.Str(v, "ruleset") != "fuzhou-2015" {
			t.Errorf("Yongtai after the refusal: %v", v)
		}
		// Each office's catalogue, side by side; without parameters the deployment's.
		for _, tc := range []struct {
			query, version string
			situations     int
		}{{"?office=MQ", "fuzhou-2027.1", 31}, {"?office=YT", "fuzhou-2015.1", 30}, {"", "fuzhou-2015.1", 30}, {"?version=fuzhou-2027.1", "fuzhou-2027.1", 31}} {
			c := h.Must(200, "GET", "/api/v1/catalog"+tc.query, "", nil).JSON
			if webtest.Str(c, "version") != tc.version || len(c["situations"].([]any)) != tc.situations {
				t.Errorf("catalog%s: %s with %d situations", tc.query, webtest.Str(c, "version"), len(c["situations"].([]any)))
			}
		}
		for _, q := range []string{"?office=NOPE", "?version=fuzhou-2030"} {
			if r := h.Do("GET", "/api/v1/catalog"+q, "", nil); r.Status != 404 {
				t.Errorf("catalog%s: %d %s", q, r.Status, r.Raw)
			}
		}
		report := func(unit, situation string) (int, string) {
			r := h.Do("POST", "/api/v1/reports", "", map[string]any{"content": "窗口工作人员推诿扯皮", "unit": unit, "situation": situation, "anonymous": true})
			if r.Status != 201 {
				return r.Status, r.ErrorCode()
			}
			var id int64
			if err := h.App.DB.Read.QueryRow(`SELECT id FROM cases WHERE receipt = $1`, webtest.Str(r.JSON, "receipt")).Scan(&id); err != nil {
				t.Fatal(err)
			}
			return int(id), webtest.Str(f.caseOf(id), "catalog_version")
		}
		mq, mqVersion := report("MQ-ZX", "P2.5")
		if mqVersion != "fuzhou-2027.1" {
			t.Fatalf("a Minqing report of P2.5: %d %s", mq, mqVersion)
		}
		if _, v := report("YT-ZX", "P1.2"); v != "fuzhou-2015.1" {
			t.Errorf("a Yongtai report of P1.2: %s", v)
		}
		if st, code := report("YT-ZX", "P2.5"); st != 422 || code != "unknown_situation" {
			t.Errorf("a Yongtai report of P2.5: %d %s", st, code)
		}
		// Minqing switches back: its case keeps its version, and is decided under it.
		h.Must(200, "PATCH", "/api/v1/offices/MQ", f.admin, map[string]any{"catalog_version": ""})
		if st, code := report("MQ-ZX", "P2.5"); st != 422 || code != "unknown_situation" {
			t.Errorf("a Minqing report of P2.5 after switching back: %d %s", st, code)
		}
		if v := webtest.Str(f.caseOf(int64(mq)), "catalog_version"); v != "fuzhou-2027.1" {
			t.Errorf("the Minqing case after the switch: %s", v)
		}
		dir := h.TokenIn("mqdir", auth.Director, "MQ")
		p := h.Must(201, "POST", "/api/v1/people", f.admin, map[string]any{"name": "窗口负责人", "unit": "MQ-ZX"})
		on := fmt.Sprintf("/api/v1/cases/%d/actions", mq)
		h.Must(200, "POST", on, dir, map[string]any{"action": "accept"})
		h.Must(200, "POST", on, dir, map[string]any{"action": "assign", "user": "mqdir"})
		h.Must(200, "POST", on, dir, map[string]any{"action": "conclude", "finding": "verified", "person_ids": []any{p.JSON["id"]}})
		d := h.Must(201, "POST", fmt.Sprintf("/api/v1/cases/%d/decisions", mq), dir, map[string]any{
			"person_id": p.JSON["id"], "situation": "P2.5", "sanctions": []string{"written_review"}, "decided_on": "2026-03-02"})
		if got := webtest.Str(h.Must(200, "GET", fmt.Sprintf("/api/v1/decisions/%v", d.JSON["id"]), f.admin, nil).JSON, "catalog_version"); got != "fuzhou-2027.1" {
			t.Errorf("the decision's version: %s", got)
		}
		var n int
		if err := h.App.DB.Read.QueryRow(`SELECT COUNT(*) FROM audit_log WHERE action = 'catalog.import' AND subject = 'catalog:fuzhou-2027.1'`).Scan(&n); err != nil || n != 1 {
			t.Errorf("audit entries of the load: %d %v", n, err)
		}
	})
}
