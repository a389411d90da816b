package web_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"mashang/internal/auth"
	"mashang/internal/web/webtest"
)

// The office's words are settings an admin sets through the API, stored
// in the database: the public home shows them, a refused change changes
// nothing, every change is audited, and the first-start checklist follows
// what is set.
func TestOfficeProfileSetShownAndChecked(t *testing.T) {
	webtest.Engines(t, func(t *testing.T, h *webtest.Harness) {
		admin := h.Token(auth.Admin)
		steps := func() map[string]bool {
			r := h.Must(200, "GET", "/api/v1/setup", admin, nil)
			out := map[string]bool{}
			for _, x := range r.JSON["steps"].([]any) {
				m := x.(map[string]any)
				out[m["key"].(string)] = m["done"].(bool)
			}
			out["complete"] = r.JSON["complete"].(bool)
			return out
		}
		if s := steps(); s["office_name"] || s["contacts"] || s["staff"] || s["units"] || s["complete"] {
			t.Fatalf("a fresh install's checklist: %v", s)
		}
		// A fresh install: no compiled-in placeholders.
		pr := h.Must(200, "GET", "/api/v1/offices/main/profile", admin, nil)
		if webtest.Str(pr.JSON, "channels.email") != "" || len(pr.JSON["channels"].(map[string]any)["hotlines"].([]any)) != 0 {
			t.Fatalf("a fresh profile: %s", pr.Raw)
		}

		full := map[string]any{
			"name":       "闽清县整肃办",
			"letterhead": map[string]any{"name": "闽清县整治“为官不为”问题办公室", "short": "闽整肃", "address": "闽清县梅城镇解放大街 1 号", "postcode": "350800", "phone": "0591-22371885"},
			"channels": map[string]any{"hotlines": []any{map[string]any{"name": "县效能办", "number": "0591-22371885"}},
				"email": "zsb@mq.example.gov.cn", "boxes": []any{"县行政服务中心"}},
			"texts": map[string]any{"hours": "工作日 8:00–17:30", "intro": "闽清县整治为官不为问题办公室受理群众举报。", "intro_en": "The Minqing office hears the public."},
		}
		r := h.Must(200, "PUT", "/api/v1/offices/main/profile", admin, full)
		for path, want := range map[string]string{"name": "闽清县整治“为官不为”问题办公室", "office.name": "闽清县整肃办", "letterhead.short": "闽整肃",
			"channels.email": "zsb@mq.example.gov.cn", "texts.hours": "工作日 8:00–17:30", "own.letterhead.postcode": "350800"} {
			if got := webtest.Str(r.JSON, path); got != want {
				t.Errorf("%s = %q, want %q", path, got, want)
			}
		}
		if s := steps(); !s["office_name"] || !s["contacts"] || s["staff"] || s["units"] {
			t.Fatalf("the checklist after the profile: %v", s)
		}
		home := string(h.Must(200, "GET", "/", "", nil).Raw)
		for _, want := range []string{"0591-22371885", "mailto:zsb@mq.example.gov.cn", "县行政服务中心", "工作日 8:00–17:30", "闽清县整治为官不为问题办公室受理群众举报。"} {
			if !strings.Contains(home, want) {
				t.Errorf("the home page lacks %q", want)
			}
		}
		if en := string(h.Must(200, "GET", "/?lang=en", "", nil).Raw); !strings.Contains(en, "The Minqing office hears the public.") {
			t.Error("the English home lacks the English introduction")
		}
		if tw := string(h.Must(200, "GET", "/?lang=zh-TW", "", nil).Raw); !strings.Contains(tw, "閩清縣整治為官不為問題辦公室受理群眾舉報。") {
			t.Error("the zh-TW home lacks the converted introduction")
		}

		// Refused changes: each names its field, and nothing is stored (not
		// even the valid parts sent with them).
		for _, tc := range []struct {
			body  map[string]any
			field string
		}{
			{map[string]any{"name": "改了", "channels": map[string]any{"email": "not an address"}}, "channels.email"},
			{map[string]any{"texts": map[string]any{"intro": "新介绍"}, "channels": map[string]any{"hotlines": []any{map[string]any{"name": "无号码"}}}}, "channels.hotlines.number"},
			{map[string]any{"letterhead": map[string]any{"short": strings.Repeat("闽", 21)}}, "letterhead.short"},
			{map[string]any{"name": "  "}, "name"},
			{map[string]any{"texts": map[string]any{"hours": "a\x00b"}}, "texts.hours"},
		} {
			r := h.Do("PUT", "/api/v1/offices/main/profile", admin, tc.body)
			if r.Status != 422 || webtest.Str(r.JSON, "error.field") != tc.field {
				t.Errorf("%v: %d %s", tc.body, r.Status, r.Raw)
			}
		}
		after := h.Must(200, "GET", "/api/v1/offices/main/profile", admin, nil)
		if webtest.Str(after.JSON, "office.name") != "闽清县整肃办" || webtest.Str(after.JSON, "texts.intro") != "闽清县整治为官不为问题办公室受理群众举报。" ||
			webtest.Str(after.JSON, "channels.email") != "zsb@mq.example.gov.cn" {
			t.Fatalf("a refused change changed the profile: %s", after.Raw)
		}
		for _, tc := range []struct {
			method, path, tok string
			status            int
			code              string
		}{
			{"PUT", "/api/v1/offices/nope/profile", admin, 404, "office_not_found"},
			{"GET", "/api/v1/offices/nope/profile", admin, 404, "office_not_found"},
			{"PUT", "/api/v1/offices/main/profile", h.Token(auth.Director), 403, "forbidden"},
			{"PUT", "/api/v1/offices/main/profile", "", 401, "unauthenticated"},
		} {
			if r := h.Do(tc.method, tc.path, tc.tok, map[string]any{"name": "x"}); r.Status != tc.status || r.ErrorCode() != tc.code {
				t.Errorf("%s %s: %d %s", tc.method, tc.path, r.Status, r.Raw)
			}
		}
		// Audited: the settings changed, by whom.
		audit := string(h.Must(200, "GET", "/api/v1/audit?subject=office:main", admin, nil).Raw)
		for _, want := range []string{"office.settings", "letterhead", "channels", "public_texts"} {
			if !strings.Contains(audit, want) {
				t.Errorf("the audit lacks %q: %.400s", want, audit)
			}
		}
		// Parts given empty are inherited again (here: nothing above, so none).
		r = h.Must(200, "PUT", "/api/v1/offices/main/profile", admin, map[string]any{"texts": map[string]any{}})
		if webtest.Str(r.JSON, "texts.intro") != "" || webtest.Str(r.JSON, "channels.email") == "" {
			t.Fatalf("emptying the texts: %s", r.Raw)
		}

		// The rest of the checklist: a staff account and the units.
		h.Token(auth.Clerk)
		h.Must(201, "POST", "/api/v1/units", admin, map[string]any{"code": "MQ-ZX", "name": "闽清县行政服务中心", "kind": "service_centre"})
		if s := steps(); !s["staff"] || !s["units"] || !s["complete"] {
			t.Fatalf("the checklist when all is set: %v", s)
		}
	})
}

// Offices inherit the words of the office above unless they set their
// own; a case's tracking page shows the contacts of its own office; an
// admin of a county may not change the city's words.
func TestOfficeProfileInheritedPerOffice(t *testing.T) {
	webtest.Engines(t, func(t *testing.T, h *webtest.Harness) {
		f := newCity(t, h)
		h.Must(200, "PUT", "/api/v1/offices/main/profile", f.admin, map[string]any{
			"channels": map[string]any{"hotlines": []any{map[string]any{"name": "市效能办", "number": "0591-88880000"}}, "email": "zsb@fz.example.gov.cn"},
			"texts":    map[string]any{"hours": "市：工作日"}})
		mq := h.Must(200, "GET", "/api/v1/offices/MQ/profile", f.admin, nil)
		if webtest.Str(mq.JSON, "channels.email") != "zsb@fz.example.gov.cn" || webtest.Str(mq.JSON, "from.channels") != "main" ||
			webtest.Str(mq.JSON, "name") != "闽清县整肃办" || webtest.Str(mq.JSON, "texts.hours") != "市：工作日" {
			t.Fatalf("Minqing inherits: %s", mq.Raw)
		}
		mqAdmin := h.TokenIn("mq-admin", auth.Admin, "MQ")
		h.Must(200, "PUT", "/api/v1/offices/MQ/profile", mqAdmin, map[string]any{
			"channels": map[string]any{"hotlines": []any{map[string]any{"name": "县效能办", "number": "0591-22371885"}}}})
		if r := h.Do("PUT", "/api/v1/offices/main/profile", mqAdmin, map[string]any{"texts": map[string]any{"hours": "x"}}); r.Status != 403 || r.ErrorCode() != "office_not_yours" {
			t.Fatalf("a county admin changing the city's words: %d %s", r.Status, r.Raw)
		}
		if r := h.Do("PUT", "/api/v1/offices/YT/profile", mqAdmin, map[string]any{"texts": map[string]any{"hours": "x"}}); r.Status != 403 {
			t.Fatalf("a county admin changing the neighbour's words: %d %s", r.Status, r.Raw)
		}
		yt := h.Must(200, "GET", "/api/v1/offices/YT/profile", f.admin, nil)
		if webtest.Str(yt.JSON, "from.channels") != "main" || !strings.Contains(string(yt.Raw), "0591-88880000") {
			t.Fatalf("Yongtai still inherits the city's: %s", yt.Raw)
		}
		// The public home shows the top office's; a Minqing case's tracking page Minqing's.
		if home := string(h.Must(200, "GET", "/", "", nil).Raw); !strings.Contains(home, "0591-88880000") || strings.Contains(home, "0591-22371885") {
			t.Fatal("the home page does not show the city's hotline alone")
		}
		rep := h.Must(201, "POST", "/api/v1/reports", "", map[string]any{"content": "窗口推诿", "unit": "MQ-ZX", "anonymous": true})
		b := newBrowser(t, h)
		p := b.post("/track", url.Values{"csrf": {b.csrf("/track")}, "receipt": {webtest.Str(rep.JSON, "receipt")}, "key": {webtest.Str(rep.JSON, "key")}})
		if p.Status != 200 || !strings.Contains(p.Body, `id="track-contact"`) || !strings.Contains(p.Body, "0591-22371885") || strings.Contains(p.Body, "0591-88880000") ||
			!strings.Contains(p.Body, "市：工作日") {
			t.Fatalf("the tracking page of a Minqing case: %d %.2000s", p.Status, p.Body)
		}
	})
}

// Notices are numbered per office and year with each office's prefix; a
// later change of prefix leaves issued numbers as they were printed.
func TestNoticesNumberedPerOffice(t *testing.T) {
	webtest.Engines(t, func(t *testing.T, h *webtest.Harness) {
		f := newCity(t, h)
		dir := h.TokenIn("city-dir", auth.Director, "main")
		mqDir, ytDir := h.TokenIn("mq-dir", auth.Director, "MQ"), h.TokenIn("yt-dir", auth.Director, "YT")
		h.Must(200, "PUT", "/api/v1/offices/MQ/profile", f.admin, map[string]any{"letterhead": map[string]any{"short": "闽整肃"}})
		h.Must(200, "PUT", "/api/v1/offices/YT/profile", f.admin, map[string]any{"letterhead": map[string]any{"short": "永整肃"}})
		accept := func(tok string, id int64) string {
			t.Helper()
			h.Must(200, "POST", fmt.Sprintf("/api/v1/cases/%d/actions", id), tok, map[string]any{"action": "accept"})
			ns := h.Must(200, "GET", fmt.Sprintf("/api/v1/cases/%d/notices", id), tok, nil).JSON["notices"].([]any)
			return ns[len(ns)-1].(map[string]any)["number"].(string)
		}
		m1, y1, m2, c1 := accept(mqDir, f.report("MQ-ZX")), accept(ytDir, f.report("YT-ZX")), accept(mqDir, f.report("MQ-ZX")), accept(dir, f.report("FZ-XZ"))
		if m1 != "闽整肃受〔2026〕1号" || y1 != "永整肃受〔2026〕1号" || m2 != "闽整肃受〔2026〕2号" || c1 != "整肃受〔2026〕1号" {
			t.Fatalf("numbers: %s %s %s %s", m1, y1, m2, c1)
		}
		h.Must(200, "PUT", "/api/v1/offices/MQ/profile", f.admin, map[string]any{"letterhead": map[string]any{"short": "闽清整肃"}})
		id3 := f.report("MQ-ZX")
		if m3 := accept(mqDir, id3); m3 != "闽清整肃受〔2026〕3号" {
			t.Fatalf("after the new prefix: %s", m3)
		}
		var first string
		if err := h.App.DB.Read.QueryRow(`SELECT number FROM notice_numbers WHERE office = 'MQ' AND seq = 1`).Scan(&first); err != nil || first != "闽整肃受〔2026〕1号" {
			t.Fatalf("the first number as kept: %q %v", first, err)
		}
	})
}

// An admin edits the text of a kind of notice per office: a text that does
// not parse or names an unknown field is refused with a clear message and
// the one in force kept; a preview shows the letter; reset gives the
// shipped text back; another office keeps the shipped text.
func TestNoticeTemplatesEditedPerOffice(t *testing.T) {
	webtest.Engines(t, func(t *testing.T, h *webtest.Harness) {
		f := newCity(t, h)
		mqDir, ytDir := h.TokenIn("mq-dir", auth.Director, "MQ"), h.TokenIn("yt-dir", auth.Director, "YT")
		tpl := "/api/v1/offices/MQ/notice-templates/acceptance"
		for _, tc := range []struct{ text, code, says string }{
			{"<p>{{.Nope}}</p>", "invalid_template", "Nope"},
			{"<p>{{if .Receipt}}未结束</p>", "invalid_template", "模板有误"},
			{`{{define "x"}}a{{end}}<p>{{.Receipt}}</p>`, "invalid_template", "define"},
			{"", "required", "template"},
		} {
			r := h.Do("PUT", tpl, f.admin, map[string]any{"template": tc.text})
			if r.Status != 422 || r.ErrorCode() != tc.code || !strings.Contains(r.ErrorMessage(), tc.says) {
				t.Errorf("%q: %d %s", tc.text, r.Status, r.Raw)
			}
		}
		list := h.Must(200, "GET", "/api/v1/offices/MQ/notice-templates", f.admin, nil)
		if !strings.Contains(string(list.Raw), `"shipped":true`) || strings.Contains(string(list.Raw), `"shipped":false`) {
			t.Fatalf("a refused template was kept: %s", list.Raw)
		}
		for _, tc := range []struct {
			method, path string
			status       int
		}{
			{"PUT", "/api/v1/offices/MQ/notice-templates/memo", 404},
			{"PUT", "/api/v1/offices/XX/notice-templates/acceptance", 404},
		} {
			if r := h.Do(tc.method, tc.path, f.admin, map[string]any{"template": "<p>x</p>"}); r.Status != tc.status {
				t.Errorf("%s %s: %d", tc.method, tc.path, r.Status)
			}
		}
		if r := h.Do("PUT", tpl, h.TokenIn("yt-admin", auth.Admin, "YT"), map[string]any{"template": "<p>x</p>"}); r.Status != 403 {
			t.Errorf("a neighbour's admin: %d", r.Status)
		}
		text := "<p>特此告知：您的举报（{{.Receipt}}）已于{{.Issued}}受理，<b>{{.Office}}</b>。</p>"
		pv := h.Must(200, "POST", tpl+"/preview", f.admin, map[string]any{"template": text})
		if !strings.Contains(string(pv.Raw), "特此告知：您的举报（K48C-MMT-2RY）") || !strings.Contains(string(pv.Raw), "受理告知书") {
			t.Fatalf("preview: %s", pv.Raw)
		}
		h.Must(200, "PUT", tpl, f.admin, map[string]any{"template": text})
		mq, yt := f.report("MQ-ZX"), f.report("YT-ZX")
		letter := func(tok string, id int64) string {
			h.Must(200, "POST", fmt.Sprintf("/api/v1/cases/%d/actions", id), tok, map[string]any{"action": "accept"})
			n := h.Must(200, "GET", fmt.Sprintf("/api/v1/cases/%d/notices", id), tok, nil).JSON["notices"].([]any)[0].(map[string]any)
			return string(h.Must(200, "GET", n["html"].(string), tok, nil).Raw)
		}
		if l := letter(mqDir, mq); !strings.Contains(l, "特此告知：您的举报（") || !strings.Contains(l, "<b>闽清县整肃办</b>") || strings.Contains(l, "符合受理条件") {
			t.Fatalf("Minqing's letter: %s", l)
		}
		if l := letter(ytDir, yt); strings.Contains(l, "特此告知") || !strings.Contains(l, "符合受理条件") {
			t.Fatalf("Yongtai's letter: %s", l)
		}
		// A field's value is escaped, never markup.
		h.Must(200, "PUT", "/api/v1/offices/MQ/notice-templates/refusal", f.admin, map[string]any{"template": "<p>理由：{{.Reason}}</p>"})
		ref := f.report("MQ-ZX")
		h.Must(200, "POST", fmt.Sprintf("/api/v1/cases/%d/actions", ref), mqDir, map[string]any{"action": "refuse", "reason": "<script>alert(1)</script>不属受理范围"})
		n := h.Must(200, "GET", fmt.Sprintf("/api/v1/cases/%d/notices", ref), mqDir, nil).JSON["notices"].([]any)[0].(map[string]any)
		if l := string(h.Must(200, "GET", n["html"].(string), mqDir, nil).Raw); strings.Contains(l, "<script>") || !strings.Contains(l, "&lt;script&gt;") {
			t.Fatalf("the reason is not escaped: %s", l)
		}
		r := h.Must(200, "DELETE", tpl, f.admin, nil)
		if !strings.Contains(string(r.Raw), "符合受理条件") {
			t.Fatalf("reset: %s", r.Raw)
		}
		n = h.Must(200, "GET", fmt.Sprintf("/api/v1/cases/%d/notices", mq), mqDir, nil).JSON["notices"].([]any)[0].(map[string]any)
		if l := string(h.Must(200, "GET", n["html"].(string), mqDir, nil).Raw); !strings.Contains(l, "符合受理条件") {
			t.Fatal("after reset the letter is not the shipped text")
		}
		if audit := string(h.Must(200, "GET", "/api/v1/audit?subject=office:MQ", f.admin, nil).Raw); !strings.Contains(audit, "notice_template.acceptance") {
			t.Fatalf("the template change is not audited: %.300s", audit)
		}
	})
}

// The reporter downloads the formal notices from the tracking page (API
// and page): without any name, though the report was named; a wrong key
// gets nothing.
func TestReporterDownloadsNotices(t *testing.T) {
	webtest.Engines(t, func(t *testing.T, h *webtest.Harness) {
		dir := h.Token(auth.Director)
		rep := h.Must(201, "POST", "/api/v1/reports", "", map[string]any{"content": "窗口推诿扯皮", "anonymous": false, "name": "张三丰", "phone": "13800000009"})
		receipt, key := webtest.Str(rep.JSON, "receipt"), webtest.Str(rep.JSON, "key")
		var id int64
		if err := h.App.DB.Read.QueryRow(`SELECT id FROM cases WHERE receipt = $1`, receipt).Scan(&id); err != nil {
			t.Fatal(err)
		}
		if l := h.Must(200, "POST", "/api/v1/track/notices", "", map[string]any{"receipt": receipt, "key": key}); len(l.JSON["notices"].([]any)) != 0 {
			t.Fatalf("notices before any: %s", l.Raw)
		}
		h.Must(200, "POST", fmt.Sprintf("/api/v1/cases/%d/actions", id), dir, map[string]any{"action": "accept"})
		l := h.Must(200, "POST", "/api/v1/track/notices", "", map[string]any{"receipt": receipt, "key": key})
		ns := l.JSON["notices"].([]any)
		if len(ns) != 1 || webtest.Str(ns[0].(map[string]any), "kind") != "acceptance" || webtest.Str(ns[0].(map[string]any), "number") != "整肃受〔2026〕1号" {
			t.Fatalf("the reporter's notices: %s", l.Raw)
		}
		nid := webtest.Str(ns[0].(map[string]any), "id")
		letter := h.Must(200, "POST", "/api/v1/track/notices/"+nid, "", map[string]any{"receipt": receipt, "key": key})
		if s := string(letter.Raw); !strings.Contains(s, "受理告知书") || !strings.Contains(s, "整肃受〔2026〕1号") || strings.Contains(s, "张三丰") || strings.Contains(s, "13800000009") {
			t.Fatalf("the reporter's letter: %s", s)
		}
		for _, tc := range []struct {
			path string
			body map[string]any
		}{
			{"/api/v1/track/notices/" + nid, map[string]any{"receipt": receipt, "key": "WRONG-KEY"}},
			{"/api/v1/track/notices", map[string]any{"receipt": receipt, "key": "WRONG-KEY"}},
			{"/api/v1/track/notices/999999", map[string]any{"receipt": receipt, "key": key}},
		} {
			if r := h.Do("POST", tc.path, "", tc.body); r.Status != 404 {
				t.Errorf("%s: %d %s", tc.path, r.Status, r.Raw)
			}
		}
		// Another reporter's notice by its id: not theirs.
		other := h.Must(201, "POST", "/api/v1/reports", "", map[string]any{"content": "另一件事", "anonymous": true})
		if r := h.Do("POST", "/api/v1/track/notices/"+nid, "", map[string]any{"receipt": webtest.Str(other.JSON, "receipt"), "key": webtest.Str(other.JSON, "key")}); r.Status != 404 {
			t.Errorf("another report's pair: %d", r.Status)
		}
		// The page: the tracking page lists it; its form opens the letter.
		b := newBrowser(t, h)
		tok := b.csrf("/track")
		p := b.post("/track", url.Values{"csrf": {tok}, "receipt": {receipt}, "key": {key}})
		if p.Status != 200 || !strings.Contains(p.Body, `id="track-notices"`) || !strings.Contains(p.Body, "整肃受〔2026〕1号") || !strings.Contains(p.Body, `action="/track/notice"`) {
			t.Fatalf("the tracking page: %d", p.Status)
		}
		if strings.Contains(p.Body, "/api/v1/track/notices/"+nid+"?") || strings.Contains(p.Body, "key="+url.QueryEscape(key)) {
			t.Fatal("the key travels in a URL")
		}
		p = b.post("/track/notice", url.Values{"csrf": {tok}, "receipt": {receipt}, "key": {key}, "notice": {nid}})
		if p.Status != 200 || !strings.Contains(p.Body, "受理告知书") || strings.Contains(p.Body, "张三丰") {
			t.Fatalf("the letter from the page: %d %.300s", p.Status, p.Body)
		}
		if p = b.post("/track/notice", url.Values{"csrf": {tok}, "receipt": {receipt}, "key": {"WRONG"}, "notice": {nid}}); p.Status != 404 {
			t.Fatalf("the page with a wrong key: %d", p.Status)
		}
	})
}

// A letter report's notices wait in the print queue until marked posted;
// other reports' notices never enter it; the staff page lists and marks.
func TestLetterNoticesPrintQueue(t *testing.T) {
	webtest.Engines(t, func(t *testing.T, h *webtest.Harness) {
		clerk, dir := h.Token(auth.Clerk), h.Token(auth.Director)
		in := func(channel string) int64 {
			r := h.Must(201, "POST", "/api/v1/intake", clerk, map[string]any{"channel": channel, "content": "来信反映窗口推诿", "received_at": "2026-03-02",
				"reporter": map[string]any{"name": "李四", "phone": "13800000002"}}).JSON
			id := int64(r["case_id"].(float64))
			h.Must(200, "POST", fmt.Sprintf("/api/v1/cases/%d/actions", id), dir, map[string]any{"action": "accept"})
			return id
		}
		letterCase, hotlineCase := in("letter"), in("hotline")
		q := h.Must(200, "GET", "/api/v1/letters/post", clerk, nil).JSON["notices"].([]any)
		if len(q) != 1 || int64(q[0].(map[string]any)["case_id"].(float64)) != letterCase {
			t.Fatalf("the queue: %v (hotline case %d)", q, hotlineCase)
		}
		item := q[0].(map[string]any)
		if item["number"] != "整肃受〔2026〕1号" || !strings.Contains(item["html"].(string), "copy=reporter") {
			t.Fatalf("the queued notice: %v", item)
		}
		// The reporter's copy the clerk prints bears the name.
		if l := string(h.Must(200, "GET", item["html"].(string), clerk, nil).Raw); !strings.Contains(l, "李四") {
			t.Fatal("the posted copy lacks the reporter's name")
		}
		b := newBrowser(t, h)
		b.signIn("post-clerk", auth.Clerk)
		p := b.get("/staff/post")
		nid := fmt.Sprint(item["id"])
		if p.Status != 200 || !strings.Contains(p.Body, "整肃受〔2026〕1号") || !strings.Contains(p.Body, `action="/staff/post/`+nid+`"`) || len(p.Body) > 100<<10 {
			t.Fatalf("the print queue page: %d", p.Status)
		}
		// The case page lists the notice with both copies to print.
		if cp := b.get(fmt.Sprintf("/staff/cases/%d", letterCase)); cp.Status != 200 || !strings.Contains(cp.Body, `id="notices"`) ||
			!strings.Contains(cp.Body, "整肃受〔2026〕1号") || !strings.Contains(cp.Body, "/html?copy=reporter") {
			t.Fatalf("the case page's notices: %d", cp.Status)
		}
		if r := h.Do("POST", "/api/v1/letters/post/"+nid, h.Token(auth.Handler), nil); r.Status != 403 {
			t.Fatalf("a handler marks: %d", r.Status)
		}
		if p = b.post("/staff/post/"+nid, url.Values{"csrf": {b.csrf("/staff/post")}}); p.Status != 303 {
			t.Fatalf("mark from the page: %d %s", p.Status, p.Body)
		}
		if r := h.Do("POST", "/api/v1/letters/post/"+nid, clerk, nil); r.Status != 409 || r.ErrorCode() != "notice_already_posted" {
			t.Fatalf("marked twice: %d %s", r.Status, r.Raw)
		}
		if q := h.Must(200, "GET", "/api/v1/letters/post", dir, nil).JSON["notices"].([]any); len(q) != 0 {
			t.Fatalf("the queue after posting: %v", q)
		}
		if p = b.get("/staff/post"); !strings.Contains(p.Body, `id="post-empty"`) {
			t.Fatal("the empty queue page")
		}
		if audit := string(h.Must(200, "GET", fmt.Sprintf("/api/v1/audit?subject=case:%d", letterCase), h.Token(auth.Admin), nil).Raw); !strings.Contains(audit, "notice.posted") {
			t.Fatal("posting is not audited")
		}
	})
}

// The home page's introduction: the office's Chinese one on zh-CN (and
// converted on zh-TW) pages; on an English page its English one, or without
// one the Chinese marked lang="zh-CN", never nothing; without any, no
// introduction at all.
func TestHomeIntroFallsBackToChineseMarked(t *testing.T) {
	h := webtest.New(t, "")
	admin := h.Token(auth.Admin)
	const intro = `<p class="intro" id="office-intro"`
	for _, tc := range []struct {
		name   string
		texts  map[string]any
		lang   string
		want   string // "" : no introduction
		absent string
	}{
		{"none set", map[string]any{}, "en", "", ""},
		{"Chinese only, English page", map[string]any{"intro": "本办受理群众举报。"}, "en", intro + ` lang="zh-CN">本办受理群众举报。</p>`, ""},
		{"Chinese only, Chinese page", map[string]any{"intro": "本办受理群众举报。"}, "zh-CN", intro + `>本办受理群众举报。</p>`, `lang="zh-CN">本办`},
		{"Chinese only, Traditional page", map[string]any{"intro": "本办受理群众举报。"}, "zh-TW", intro + `>本辦受理群眾舉報。</p>`, ""},
		{"both, English page", map[string]any{"intro": "本办受理群众举报。", "intro_en": "We hear the public."}, "en", intro + `>We hear the public.</p>`, "本办受理群众举报。"},
	} {
		h.Must(200, "PUT", "/api/v1/offices/main/profile", admin, map[string]any{"texts": tc.texts})
		home := string(h.Must(200, "GET", "/?lang="+tc.lang, "", nil).Raw)
		if tc.want == "" && strings.Contains(home, intro) || tc.want != "" && !strings.Contains(home, tc.want) || tc.absent != "" && strings.Contains(home, tc.absent) {
			i := strings.Index(home, intro)
			t.Errorf("%s (%s): %q", tc.name, tc.lang, home[max(i, 0):min(len(home), max(i, 0)+160)])
		}
	}
}
