package web_test

import (
	"net/url"
	"strings"
	"testing"

	"mashang/internal/auth"
	"mashang/internal/web/webtest"
)

// section is the part of a page from the element with id to the end of
// its closing tag (tag: "div", "p"…); "" when the page has none.
func section(body, id, tag string) string {
	i := strings.Index(body, `id="`+id+`"`)
	if i < 0 {
		return ""
	}
	body = body[i:]
	if j := strings.Index(body, "</"+tag+">"); j >= 0 {
		body = body[:j]
	}
	return body
}

// The office's contacts in the visitor's language: the API takes and
// returns an English text beside each Chinese one (old JSON still taken,
// its fields answered as before); the public home and the statistics page
// show the contacts in Chinese, in Traditional converted with the glossary
// for zh-TW, and in English where an English text is set — elsewhere the
// Chinese, marked lang="zh-CN". An English text without its Chinese is
// refused, naming the field, and changes nothing.
func TestOfficeContactsInVisitorsLanguage(t *testing.T) {
	webtest.Engines(t, func(t *testing.T, h *webtest.Harness) {
		admin := h.Token(auth.Admin)
		// The old shape: no English anywhere. Taken, and answered with the
		// same fields as before plus the English name, empty.
		old := map[string]any{
			"letterhead": map[string]any{"name": "闽清县整治“为官不为”问题办公室", "short": "闽整肃", "address": "闽清县梅城镇解放大街 1 号"},
			"channels": map[string]any{"hotlines": []any{map[string]any{"name": "县效能办", "number": "0591-22371885"}, map[string]any{"name": "县纪委信访室", "number": "0591-22371732"}},
				"email": "zsb@mq.example.gov.cn", "boxes": []any{"县委大院", "县行政服务中心"}},
			"texts": map[string]any{"hours": "工作日 8:00–17:30，节假日请联系值班电话"},
		}
		r := h.Must(200, "PUT", "/api/v1/offices/main/profile", admin, old)
		hl := r.JSON["channels"].(map[string]any)["hotlines"].([]any)[0].(map[string]any)
		if len(hl) != 2 || hl["name"] != "县效能办" || hl["number"] != "0591-22371885" {
			t.Errorf("a hotline set without English answers %v", hl)
		}
		if _, has := r.JSON["channels"].(map[string]any)["boxes_en"]; has || webtest.Str(r.JSON, "name_en") != "" || webtest.Str(r.JSON, "letterhead.address") != "闽清县梅城镇解放大街 1 号" {
			t.Errorf("the old shape answered: %s", r.Raw)
		}
		// No English at all: an English page shows every contact in
		// Chinese, each marked as Chinese.
		en := string(h.Must(200, "GET", "/?lang=en", "", nil).Raw)
		for _, want := range []string{`<span lang="zh-CN">县效能办</span><br>`, `<span lang="zh-CN">县纪委信访室</span><br>`, `<li><span lang="zh-CN">县委大院</span></li>`,
			`<span lang="zh-CN">闽清县整治“为官不为”问题办公室</span> · Address: <span lang="zh-CN">闽清县梅城镇解放大街 1 号</span>`,
			`<span lang="zh-CN">工作日 8:00–17:30，节假日请联系值班电话</span>`} {
			if !strings.Contains(en, want) {
				t.Errorf("the English home without English texts lacks %s", want)
			}
		}

		// English for some: the office's name and address, the first hotline,
		// the first box, the hours; the second hotline and box stay Chinese.
		full := map[string]any{
			"letterhead": map[string]any{"name": "闽清县整治“为官不为”问题办公室", "short": "闽整肃", "address": "闽清县梅城镇解放大街 1 号",
				"name_en": "Minqing County Office for Tackling Officials' Inaction", "address_en": "1 Jiefang Avenue, Meicheng, Minqing"},
			"channels": map[string]any{"hotlines": []any{map[string]any{"name": "县效能办", "number": "0591-22371885", "name_en": " County efficiency office "},
				map[string]any{"name": "县纪委信访室", "number": "0591-22371732"}},
				"email": "zsb@mq.example.gov.cn", "boxes": []any{"县委大院", "县行政服务中心"}, "boxes_en": []any{"County Party Committee compound", ""}},
			"texts": map[string]any{"hours": "工作日 8:00–17:30，节假日请联系值班电话", "hours_en": "Working days 8:00–17:30"},
		}
		h.Must(200, "PUT", "/api/v1/offices/main/profile", admin, full)
		got := h.Must(200, "GET", "/api/v1/offices/main/profile", admin, nil)
		for path, want := range map[string]string{"name_en": "Minqing County Office for Tackling Officials' Inaction", "letterhead.name_en": "Minqing County Office for Tackling Officials' Inaction",
			"letterhead.address_en": "1 Jiefang Avenue, Meicheng, Minqing", "own.letterhead.address_en": "1 Jiefang Avenue, Meicheng, Minqing",
			"texts.hours_en": "Working days 8:00–17:30", "own.texts.hours_en": "Working days 8:00–17:30", "letterhead.address": "闽清县梅城镇解放大街 1 号"} {
			if v := webtest.Str(got.JSON, path); v != want {
				t.Errorf("%s = %q, want %q", path, v, want)
			}
		}
		ch := got.JSON["channels"].(map[string]any)
		hs := ch["hotlines"].([]any)
		if hs[0].(map[string]any)["name_en"] != "County efficiency office" || hs[1].(map[string]any)["name_en"] != nil {
			t.Errorf("the hotlines' English names: %v", hs)
		}
		// A trailing empty English name is dropped; one in the middle would stay in place.
		if be := ch["boxes_en"].([]any); len(be) != 1 || be[0] != "County Party Committee compound" {
			t.Errorf("boxes_en = %v", be)
		}

		zhCN := string(h.Must(200, "GET", "/?lang=zh-CN", "", nil).Raw)
		zhTW := string(h.Must(200, "GET", "/?lang=zh-TW", "", nil).Raw)
		en = string(h.Must(200, "GET", "/?lang=en", "", nil).Raw)
		for _, tc := range []struct {
			lang, body, id, tag string
			want, absent        []string
		}{
			{"zh-CN", zhCN, "ch-phone", "div", []string{"县效能办<br>", "县纪委信访室<br>", "0591-22371885"}, []string{"County", `lang="zh-CN"`}},
			{"zh-CN", zhCN, "ch-box", "div", []string{"<li>县委大院</li>", "<li>县行政服务中心</li>"}, []string{"County"}},
			{"zh-CN", zhCN, "office-contact", "p", []string{"闽清县整治“为官不为”问题办公室", "地址：闽清县梅城镇解放大街 1 号", "工作日 8:00–17:30，节假日请联系值班电话"}, []string{"Minqing", "Working"}},
			// zh-TW: converted, with the glossary's words (联系 → 聯絡, quotation marks).
			{"zh-TW", zhTW, "ch-phone", "div", []string{"縣效能辦<br>", "縣紀委信訪室<br>"}, []string{"County", "县"}},
			{"zh-TW", zhTW, "ch-box", "div", []string{"<li>縣委大院</li>", "<li>縣行政服務中心</li>"}, []string{"County"}},
			{"zh-TW", zhTW, "office-contact", "p", []string{"閩清縣整治「為官不為」問題辦公室", "閩清縣梅城鎮解放大街 1 號", "節假日請聯絡值班電話"}, []string{"Minqing", "联系", "聯繫"}},
			// en: the English where set, the Chinese marked where not.
			{"en", en, "ch-phone", "div", []string{"<li>County efficiency office<br>", `<li><span lang="zh-CN">县纪委信访室</span><br>`}, []string{"县效能办"}},
			{"en", en, "ch-box", "div", []string{"<li>County Party Committee compound</li>", `<li><span lang="zh-CN">县行政服务中心</span></li>`}, []string{"县委大院"}},
			{"en", en, "office-contact", "p", []string{"Minqing County Office for Tackling Officials&#39; Inaction", "Address: 1 Jiefang Avenue, Meicheng, Minqing", "Working days 8:00–17:30"}, []string{"闽", "工作日", "lang="}},
		} {
			s := section(tc.body, tc.id, tc.tag)
			if s == "" {
				t.Errorf("%s: no #%s", tc.lang, tc.id)
				continue
			}
			for _, w := range tc.want {
				if !strings.Contains(s, w) {
					t.Errorf("%s #%s lacks %s: %s", tc.lang, tc.id, w, s)
				}
			}
			for _, a := range tc.absent {
				if strings.Contains(s, a) {
					t.Errorf("%s #%s shows %s: %s", tc.lang, tc.id, a, s)
				}
			}
		}
		if !strings.Contains(en, `<html lang="en"`) || !strings.Contains(zhTW, `<html lang="zh-TW"`) {
			t.Error("the pages' own language")
		}
		// The statistics page's ways to report follow the same rule.
		stats := string(h.Must(200, "GET", "/public/stats?lang=en", "", nil).Raw)
		if !strings.Contains(stats, "County efficiency office") || !strings.Contains(stats, `<span lang="zh-CN">县纪委信访室</span>`) {
			t.Error("the English statistics page does not show the hotlines in English or marked Chinese")
		}

		// An English text without the Chinese it translates, or more English
		// box names than boxes: refused in the caller's language, naming the
		// field; nothing changes.
		for _, tc := range []struct {
			body  map[string]any
			field string
		}{
			{map[string]any{"letterhead": map[string]any{"address_en": "Somewhere"}}, "letterhead.address_en"},
			{map[string]any{"texts": map[string]any{"hours_en": "Mondays"}}, "texts.hours_en"},
			{map[string]any{"channels": map[string]any{"boxes": []any{"县委大院"}, "boxes_en": []any{"A", "B"}}}, "channels.boxes_en"},
			{map[string]any{"channels": map[string]any{"boxes": []any{""}, "boxes_en": []any{"A"}}}, "channels.boxes_en"},
			{map[string]any{"letterhead": map[string]any{"name_en": strings.Repeat("x", 201)}}, "letterhead.name_en"},
			{map[string]any{"channels": map[string]any{"hotlines": []any{map[string]any{"number": "1", "name_en": "a\x00b"}}}}, "channels.hotlines.name_en"},
		} {
			r := h.Do("PUT", "/api/v1/offices/main/profile?lang=en", admin, tc.body)
			if r.Status != 422 || webtest.Str(r.JSON, "error.field") != tc.field || !isASCII(webtest.Str(r.JSON, "error.message")) {
				t.Errorf("%v: %d %s", tc.body, r.Status, r.Raw)
			}
		}
		if r := h.Do("PUT", "/api/v1/offices/main/profile", admin, map[string]any{"texts": map[string]any{"hours_en": "Mondays"}}); !strings.Contains(webtest.Str(r.JSON, "error.message"), "英文须与它所译的中文一同填写") {
			t.Errorf("the Chinese message: %s", r.Raw)
		}
		if after := h.Must(200, "GET", "/api/v1/offices/main/profile", admin, nil); string(after.Raw) != string(got.Raw) {
			t.Errorf("a refused change changed the profile:\n%s\n%s", got.Raw, after.Raw)
		}
	})
}

func isASCII(s string) bool {
	for _, r := range s {
		if r > 0x7f {
			return false
		}
	}
	return s != ""
}

// English texts go with the Chinese they translate: an office that inherits
// the ways to report inherits their English; one that sets its own address
// without English does not show the city's English address; the English
// name, as the name, is never inherited.
func TestOfficeContactsEnglishInherited(t *testing.T) {
	webtest.Engines(t, func(t *testing.T, h *webtest.Harness) {
		f := newCity(t, h)
		h.Must(200, "PUT", "/api/v1/offices/main/profile", f.admin, map[string]any{
			"letterhead": map[string]any{"name_en": "Fuzhou Office", "address": "福州市鼓楼区", "address_en": "Gulou, Fuzhou", "postcode": "350001"},
			"channels":   map[string]any{"hotlines": []any{map[string]any{"name": "市效能办", "number": "0591-88880000", "name_en": "City efficiency office"}}},
			"texts":      map[string]any{"hours": "市：工作日", "hours_en": "City: working days"}})
		mq := h.Must(200, "GET", "/api/v1/offices/MQ/profile", f.admin, nil)
		hs := mq.JSON["channels"].(map[string]any)["hotlines"].([]any)
		if len(hs) != 1 || hs[0].(map[string]any)["name_en"] != "City efficiency office" || webtest.Str(mq.JSON, "texts.hours_en") != "City: working days" ||
			webtest.Str(mq.JSON, "letterhead.address_en") != "Gulou, Fuzhou" {
			t.Errorf("Minqing inherits the English with the Chinese: %s", mq.Raw)
		}
		if webtest.Str(mq.JSON, "name_en") != "" || webtest.Str(mq.JSON, "letterhead.name_en") != "" {
			t.Errorf("Minqing inherits the city's English name: %s", mq.Raw)
		}
		mq = h.Must(200, "PUT", "/api/v1/offices/MQ/profile", f.admin, map[string]any{"letterhead": map[string]any{"address": "闽清县梅城镇"}})
		if webtest.Str(mq.JSON, "letterhead.address") != "闽清县梅城镇" || webtest.Str(mq.JSON, "letterhead.address_en") != "" || webtest.Str(mq.JSON, "letterhead.postcode") != "350001" {
			t.Errorf("Minqing's own address keeps the city's English: %s", mq.Raw)
		}
		if st := h.Must(200, "GET", "/api/v1/offices/MQ", f.admin, nil); strings.Contains(string(st.Raw), "Fuzhou Office") || strings.Contains(string(st.Raw), "Gulou") {
			t.Errorf("the office's settings show the city's English: %s", st.Raw)
		}
		// A Minqing case's tracking page in English: the inherited hotline
		// and hours in English, Minqing's name (no English) marked Chinese.
		rep := h.Must(201, "POST", "/api/v1/reports", "", map[string]any{"content": "窗口推诿", "unit": "MQ-ZX", "anonymous": true})
		b := newBrowser(t, h)
		p := b.post("/track?lang=en", url.Values{"csrf": {b.csrf("/track?lang=en")}, "receipt": {webtest.Str(rep.JSON, "receipt")}, "key": {webtest.Str(rep.JSON, "key")}})
		c := section(p.Body, "track-contact", "section")
		for _, want := range []string{`<p><span lang="zh-CN">闽清县整肃办</span></p>`, "<li>City efficiency office <a", "Opening hours: City: working days"} {
			if !strings.Contains(c, want) {
				t.Errorf("the English tracking page's contacts lack %s: %d %s", want, p.Status, c)
			}
		}
	})
}

// The admin's office page takes the English texts: a line per hotline and
// box in the Chinese lines' order (an empty line keeps one in Chinese),
// shows them again, and refuses more English hotline names than hotlines
// with the field marked and the typed text kept.
func TestPagesOfficeProfileEnglish(t *testing.T) {
	webtest.Engines(t, func(t *testing.T, h *webtest.Harness) {
		b := newBrowser(t, h)
		b.signIn("pf-admin", auth.Admin)
		form := url.Values{"csrf": {b.csrf("/staff/admin/office")}, "office": {"main"}, "name": {"闽清县整肃办"},
			"print_name_en": {"Minqing Office"}, "address": {"闽清县梅城镇"}, "address_en": {"Meicheng, Minqing"},
			"hotlines": {"县效能办 0591-22371885\n县纪委信访室 0591-22371732\n县政府 0591-22370000"}, "hotlines_en": {"County efficiency office\n\nCounty government\n\n"},
			"boxes": {"县委大院\n\n县行政服务中心"}, "boxes_en": {"\nService centre"}, "hours": {"工作日"}, "hours_en": {"Working days"}}
		p := b.post("/staff/admin/office", form)
		if p.Status != 200 || !strings.Contains(p.Body, `class="alert ok"`) {
			t.Fatalf("saving: %d %s", p.Status, errorText(p.Body))
		}
		for _, want := range []string{">County efficiency office\n\nCounty government</textarea>", ">\nService centre</textarea>", `name="print_name_en" lang="en" value="Minqing Office"`,
			`name="address_en" lang="en" value="Meicheng, Minqing"`, `name="hours_en" lang="en" value="Working days"`} {
			if !strings.Contains(p.Body, want) {
				t.Errorf("the saved form lacks %q", want)
			}
		}
		pr := h.Must(200, "GET", "/api/v1/offices/main/profile", h.Token(auth.Admin), nil)
		hs := pr.JSON["channels"].(map[string]any)["hotlines"].([]any)
		if hs[0].(map[string]any)["name_en"] != "County efficiency office" || hs[1].(map[string]any)["name_en"] != nil || hs[2].(map[string]any)["name_en"] != "County government" ||
			webtest.Str(pr.JSON, "name_en") != "Minqing Office" || webtest.Str(pr.JSON, "texts.hours_en") != "Working days" {
			t.Errorf("saved: %s", pr.Raw)
		}
		if be := pr.JSON["channels"].(map[string]any)["boxes_en"].([]any); len(be) != 2 || be[0] != "" || be[1] != "Service centre" {
			t.Errorf("boxes_en = %v", be)
		}
		en := b.get("/?lang=en").Body
		if !strings.Contains(en, `<li><span lang="zh-CN">县委大院</span></li>`) || !strings.Contains(en, "<li>Service centre</li>") {
			t.Errorf("the English home's boxes: %s", section(en, "ch-box", "div"))
		}

		form.Set("hotlines_en", "A\nB\nC\nD")
		bad := b.post("/staff/admin/office", form)
		if bad.Status != 422 || !strings.Contains(bad.Body, ">A\nB\nC\nD</textarea>") || !strings.Contains(bad.Body, `name="hotlines_en" rows="3" lang="en" aria-invalid="true"`) {
			t.Fatalf("too many English hotline names: %d %s", bad.Status, errorText(bad.Body))
		}
		if again := h.Must(200, "GET", "/api/v1/offices/main/profile", h.Token(auth.Admin), nil); string(again.Raw) != string(pr.Raw) {
			t.Errorf("a refused form changed the profile: %s", again.Raw)
		}
		for _, l := range []string{"zh-CN", "zh-TW", "en"} {
			if p := b.get("/staff/admin/office?lang=" + l); p.Status != 200 || missingKey.MatchString(p.Body) {
				t.Errorf("the office page in %s: %d", l, p.Status)
			}
		}
	})
}
