package web_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"mashang/internal/auth"
	"mashang/internal/web/webtest"
)

// days lists an office view's calendar field as "date kind" strings.
func days(v map[string]any, field string) string {
	var out []string
	list, _ := v[field].([]any)
	for _, d := range list {
		m := d.(map[string]any)
		out = append(out, webtest.Str(m, "date")+" "+webtest.Str(m, "kind"))
	}
	return strings.Join(out, ", ")
}

// Offices lay their own days over the national calendar (PATCH
// /api/v1/offices/{code} "calendar", in the calendar file's shape), inherited
// from the office above and added to: with the city accepting within 5
// working days, a Minqing case received on Monday 2 March 2026 with a local
// holiday on the 4th is due on the 10th, a Yongtai case on the 9th. A case
// keeps the days it was registered under (its acceptance and finish
// deadlines count them after the office changes its days); the receiving
// office's days count in the objection window of a case sent to it. Bad
// days are refused (422, in the caller's language) and change nothing.
func TestOfficeCalendarDays(t *testing.T) {
	webtest.Engines(t, func(t *testing.T, h *webtest.Harness) {
		f := newCity(t, h)
		h.Must(200, "PATCH", "/api/v1/offices/main", f.admin, map[string]any{"limits": map[string]any{"accept": map[string]any{"days": 5, "unit": "workday"}}})
		v := h.Must(200, "PATCH", "/api/v1/offices/MQ", f.admin, map[string]any{"calendar": []map[string]any{
			{"date": "2026-05-06", "kind": "off", "name": "本地假日"}, {"date": "2026-03-04", "kind": "off", "name": "闽清县庆"}}}).JSON
		if days(v, "own_calendar") != "2026-03-04 off, 2026-05-06 off" || days(v, "calendar") != "2026-03-04 off, 2026-05-06 off" || webtest.Str(v, "calendar_from") != "MQ" {
			t.Fatalf("Minqing's days: %v", v)
		}
		mqDir, ytDir := h.TokenIn("mqdir", auth.Director, "MQ"), h.TokenIn("ytdir", auth.Director, "YT")
		mq1, yt1, ytSent := f.report("MQ-ZX"), f.report("YT-ZX"), f.report("YT-ZX")
		// Sent from Yongtai to Minqing: Minqing may object within 5 of its
		// own working days (the 4th is not one); the case keeps its deadline.
		h.Must(200, "POST", fmt.Sprintf("/api/v1/cases/%d/actions", ytSent), ytDir, map[string]any{"action": "transfer", "office": "MQ", "reason": "属闽清县管辖"})
		if c := f.caseOf(ytSent); webtest.Str(c, "office_transfer.object_by") != "2026-03-10" || webtest.Str(c, "deadlines.accept_by") != "2026-03-09" {
			t.Errorf("sent to Minqing: object by %s, accept by %s", webtest.Str(c, "office_transfer.object_by"), webtest.Str(c, "deadlines.accept_by"))
		}
		// The city adds a day of its own; Yongtai inherits it, Minqing adds it to its own.
		h.Must(200, "PATCH", "/api/v1/offices/main", f.admin, map[string]any{"calendar": []map[string]any{{"date": "2026-03-06", "kind": "off", "name": "市级假日"}}})
		if yt := h.Must(200, "GET", "/api/v1/offices/YT", f.admin, nil).JSON; days(yt, "calendar") != "2026-03-06 off" || days(yt, "own_calendar") != "" || webtest.Str(yt, "calendar_from") != "main" {
			t.Errorf("Yongtai inherits the city's day: %v", yt)
		}
		mq2, yt2 := f.report("MQ-ZX"), f.report("YT-ZX")
		// Yongtai works on the city's day off; Minqing drops its own days.
		h.Must(200, "PATCH", "/api/v1/offices/YT", f.admin, map[string]any{"calendar": []map[string]any{{"date": "2026-03-06", "kind": "work", "name": "照常上班"}}})
		yt3 := f.report("YT-ZX")
		if v := h.Must(200, "PATCH", "/api/v1/offices/MQ", f.admin, map[string]any{"calendar": nil}).JSON; days(v, "own_calendar") != "" || days(v, "calendar") != "2026-03-06 off" {
			t.Errorf("Minqing inherits again: %v", v)
		}
		mq3 := f.report("MQ-ZX")
		for _, tc := range []struct {
			name   string
			id     int64
			accept string
		}{
			{"Minqing, its holiday on the 4th", mq1, "2026-03-10"},
			{"Yongtai, no days of its own", yt1, "2026-03-09"},
			{"Minqing, the 4th and the city's 6th", mq2, "2026-03-11"},
			{"Yongtai, the city's 6th", yt2, "2026-03-10"},
			{"Yongtai, working on the city's 6th", yt3, "2026-03-09"},
			{"Minqing, the city's 6th alone", mq3, "2026-03-10"},
		} {
			if c := f.caseOf(tc.id); webtest.Str(c, "deadlines.accept_by") != tc.accept {
				t.Errorf("%s: accept_by %s, want %s", tc.name, webtest.Str(c, "deadlines.accept_by"), tc.accept)
			}
		}
		// Accepted after Minqing dropped its days, the first case still
		// counts its 6 May: 60 days from 2 March end on 1 May (Labour Day
		// holiday to the 5th), then the 6th → the 7th; the new case's on the 6th.
		for _, tc := range []struct {
			id             int64
			accept, finish string
		}{{mq1, "2026-03-10", "2026-05-07"}, {mq3, "2026-03-10", "2026-05-06"}} {
			h.Must(200, "POST", fmt.Sprintf("/api/v1/cases/%d/actions", tc.id), mqDir, map[string]any{"action": "accept"})
			if c := f.caseOf(tc.id); webtest.Str(c, "deadlines.accept_by") != tc.accept || webtest.Str(c, "deadlines.finish_by") != tc.finish {
				t.Errorf("case %d accepted: %v, want accept_by %s finish_by %s", tc.id, c["deadlines"], tc.accept, tc.finish)
			}
		}
		// Refusals, each in the caller's language and changing nothing
		// (not even the rule set sent with them).
		for _, tc := range []struct {
			name        string
			calendar    any
			code, field string
			zh, en      string
		}{
			{"an impossible date", []map[string]any{{"date": "2027-02-30", "kind": "off"}}, "invalid_date", "calendar[0].date", "日期 2027-02-30 无效", "2027-02-30 is not valid"},
			{"no date", []map[string]any{{"kind": "off", "name": "x"}}, "required", "calendar[0].date", "", ""},
			{"an unknown kind", []map[string]any{{"date": "2027-03-15", "kind": "holiday"}}, "invalid_day_kind", "calendar[0].kind", "应为 off（放假）或 work", "must be off (a day off) or work"},
			{"a date twice", []map[string]any{{"date": "2027-03-15", "kind": "off"}, {"date": "2027-03-15", "kind": "work"}}, "duplicate_day", "calendar[1].date", "重复", "listed twice"},
			{"not a list", "2027-03-15", "invalid_calendar", "calendar", "日期列表", "a list of days"},
		} {
			for _, lang := range []string{"zh-CN", "en"} {
				r := h.Do("PATCH", "/api/v1/offices/YT", f.admin, map[string]any{"ruleset": "national-2019", "calendar": tc.calendar}, "Accept-Language: "+lang)
				want := map[string]string{"zh-CN": tc.zh, "en": tc.en}[lang]
				if r.Status != 422 || r.ErrorCode() != tc.code || webtest.Str(r.JSON, "error.field") != tc.field || !strings.Contains(r.ErrorMessage(), want) {
					t.Errorf("%s (%s): %d %s", tc.name, lang, r.Status, r.Raw)
				}
			}
		}
		if yt := h.Must(200, "GET", "/api/v1/offices/YT", f.admin, nil).JSON; days(yt, "own_calendar") != "2026-03-06 work" || webtest.Str(yt, "ruleset") != "fuzhou-2015" {
			t.Errorf("Yongtai after the refusals: %v", yt)
		}
		// Every change is in the audit log, the days with it.
		var n int
		if err := h.App.DB.Read.QueryRow(`SELECT COUNT(*) FROM audit_log WHERE action = 'office.settings' AND subject = 'office:MQ' AND data LIKE '%calendar%'`).Scan(&n); err != nil || n != 2 {
			t.Errorf("audit entries of Minqing's days: %d %v", n, err)
		}
	})
}

// How many working days are left counts each office's own days: on Monday 2
// March 2026 a deadline of Friday the 6th is 3 working days away in Minqing
// (a local holiday on the 4th: due soon) and 4 in Yongtai (on time), in the
// case, the list and its due filters, and the sweep's due status.
func TestOfficeCalendarDueStatus(t *testing.T) {
	webtest.Engines(t, func(t *testing.T, h *webtest.Harness) {
		f := newCity(t, h)
		h.Must(200, "PATCH", "/api/v1/offices/main", f.admin, map[string]any{"limits": map[string]any{"accept": map[string]any{"days": 4, "unit": "calendar"}}})
		h.Must(200, "PATCH", "/api/v1/offices/MQ", f.admin, map[string]any{"calendar": []map[string]any{{"date": "2026-03-04", "kind": "off", "name": "闽清县庆"}}})
		mq, yt := f.report("MQ-ZX"), f.report("YT-ZX")
		if _, err := h.App.Cases.Sweep(t.Context()); err != nil {
			t.Fatal(err)
		}
		list := func(due string) string {
			var ids []string
			for _, c := range h.Must(200, "GET", "/api/v1/cases?due="+due, f.admin, nil).JSON["cases"].([]any) {
				m := c.(map[string]any)
				ids = append(ids, webtest.Str(m, "id")+":"+webtest.Str(m, "days_left"))
			}
			return strings.Join(ids, " ")
		}
		for _, tc := range []struct {
			id            int64
			left, status  string
			listed, other string
		}{{mq, "3", "due_soon", "due_soon", "on_time"}, {yt, "4", "on_time", "on_time", "due_soon"}} {
			c := f.caseOf(tc.id)
			var status string
			if err := h.App.DB.Read.QueryRow(`SELECT due_status FROM cases WHERE id = $1`, tc.id).Scan(&status); err != nil {
				t.Fatal(err)
			}
			if webtest.Str(c, "deadlines.accept_by") != "2026-03-06" || webtest.Str(c, "deadlines.working_days_left") != tc.left || status != tc.status {
				t.Errorf("case %d: %v, due status %s; want %s working days left, %s", tc.id, c["deadlines"], status, tc.left, tc.status)
			}
			want := fmt.Sprintf("%d:%s", tc.id, tc.left)
			if got := list(tc.listed); got != want {
				t.Errorf("due=%s lists %q, want %q", tc.listed, got, want)
			}
			if got := list(tc.other); strings.Contains(got, fmt.Sprintf("%d:", tc.id)) {
				t.Errorf("due=%s lists case %d: %q", tc.other, tc.id, got)
			}
		}
	})
}

// The admin's office page sets the office's own days and catalogue version
// without JavaScript: Minqing sees the city's day as inherited, adds its
// own; a bad line is refused (422, the box marked, the message naming the
// date) and changes nothing; an empty box inherits again.
func TestPagesOfficeCalendarAndCatalog(t *testing.T) {
	webtest.Engines(t, func(t *testing.T, h *webtest.Harness) {
		f := newCity(t, h)
		h.Must(200, "PATCH", "/api/v1/offices/main", f.admin, map[string]any{"calendar": []map[string]any{{"date": "2026-03-06", "kind": "off", "name": "市级假日"}}})
		b := newBrowser(t, h)
		b.signIn("rules-admin", auth.Admin)
		first := b.get("/staff/admin/office?office=MQ")
		if first.Status != 200 || !strings.Contains(first.Body, `id="pf-calendar-inherited"`) || !strings.Contains(first.Body, "2026-03-06 off 市级假日") ||
			!strings.Contains(first.Body, "fuzhou-2015.1") {
			t.Fatalf("Minqing page: %d", first.Status)
		}
		post := func(calendar, version string) page {
			return b.post("/staff/admin/office/rules", url.Values{"csrf": {b.csrf("/staff/admin/office?office=MQ")}, "office": {"MQ"}, "calendar": {calendar}, "catalog_version": {version}})
		}
		for _, tc := range []struct{ calendar, version, want string }{
			{"2026-03-04 off 闽清县庆\n2026-02-30 off 无此日", "", "2026-02-30"},
			{"2026-03-04 off 闽清县庆", "fuzhou-2099", "fuzhou-2099"},
		} {
			if p := post(tc.calendar, tc.version); p.Status != 422 || !strings.Contains(p.Body, tc.want) || !strings.Contains(p.Body, `aria-invalid="true"`) {
				t.Errorf("%q %q: %d", tc.calendar, tc.version, p.Status)
			}
		}
		if v := h.Must(200, "GET", "/api/v1/offices/MQ", f.admin, nil).JSON; days(v, "own_calendar") != "" {
			t.Fatalf("refused forms changed Minqing: %v", v)
		}
		if p := post("2026-03-04 off 闽清县庆\n\n2026-03-07 work 调休上班", "fuzhou-2015.1"); p.Status != 200 || !strings.Contains(p.Body, `class="alert ok"`) {
			t.Fatalf("saving: %d", p.Status)
		}
		v := h.Must(200, "GET", "/api/v1/offices/MQ", f.admin, nil).JSON
		if days(v, "own_calendar") != "2026-03-04 off, 2026-03-07 work" || webtest.Str(v, "own_catalog_version") != "fuzhou-2015.1" {
			t.Errorf("saved: %v", v)
		}
		if p := post("", ""); p.Status != 200 {
			t.Fatalf("clearing: %d", p.Status)
		}
		if v := h.Must(200, "GET", "/api/v1/offices/MQ", f.admin, nil).JSON; days(v, "own_calendar") != "" || v["own_catalog_version"] != nil {
			t.Errorf("cleared: %v", v)
		}
	})
}
