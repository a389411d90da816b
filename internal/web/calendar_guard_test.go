package web_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"mashang/internal/auth"
	"mashang/internal/calendar"
	"mashang/internal/civil"
	"mashang/internal/web/webtest"
)

// year2026With is the year 2026 in force with extra days listed.
func year2026With(t *testing.T, extra ...calendar.Day) string {
	t.Helper()
	ys, err := calendar.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	for _, y := range ys {
		if y.Year == 2026 {
			y.Days = append(append([]calendar.Day(nil), y.Days...), extra...)
			b, _ := json.Marshal(y)
			return string(b)
		}
	}
	t.Fatal("no 2026 in the embedded calendar")
	return ""
}

// TestCalendarImportGuards, on both engines: a year of no working days, a
// file with bytes that are not UTF-8, and a file that changes days of the
// year in force are refused with the numbers, storing nothing; a dry run
// lists the deadlines that would move; force imports and moves them.
func TestCalendarImportGuards(t *testing.T) {
	webtest.Engines(t, func(t *testing.T, h *webtest.Harness) {
		admin := h.Token(auth.Admin)
		// A case received Monday 2026-03-02: accept_by Tuesday 2026-03-17.
		r := h.Must(201, "POST", "/api/v1/intake", h.Token(auth.Clerk), map[string]any{"channel": "hotline", "content": "来电反映推诿", "received_at": "2026-03-02T09:00:00+08:00"})
		id := int64(r.JSON["case_id"].(float64))
		acceptBy := func() string {
			return webtest.Str(h.Must(200, "GET", fmt.Sprintf("/api/v1/cases/%d", id), admin, nil).JSON, "deadlines.accept_by")
		}
		if got := acceptBy(); got != "2026-03-17" {
			t.Fatalf("accept_by %s", got)
		}
		var allOff []calendar.Day
		for d := civil.New(2026, 1, 1); d.Year == 2026; d = d.AddDays(1) {
			if wd := d.Weekday(); wd != 0 && wd != 6 {
				allOff = append(allOff, calendar.Day{Date: d, Kind: calendar.Off, Name: "假"})
			}
		}
		b, _ := json.Marshal(calendar.Year{Year: 2026, Days: allOff})
		r = h.Do("POST", "/api/v1/calendar/years?lang=en", admin, b)
		if r.Status != 422 || r.ErrorCode() != "calendar_implausible" || !strings.Contains(r.ErrorMessage(), "2026 would have 0 working days") ||
			!strings.Contains(r.ErrorMessage(), "230–260") {
			t.Fatalf("a year without working days: %d %s", r.Status, r.Raw)
		}
		bad := []byte("{\"year\": 2027,\n\"days\": [{\"date\": \"2027-01-01\", \"kind\": \"off\", \"name\": \"\xff\xfe元旦\"}]}")
		r = h.Do("POST", "/api/v1/calendar/years?lang=en", admin, bad)
		if r.Status != 422 || r.ErrorCode() != "calendar_bad_utf8" || !strings.Contains(r.ErrorMessage(), "line 2") {
			t.Fatalf("invalid UTF-8: %d %s", r.Status, r.Raw)
		}
		moved := year2026With(t, calendar.Day{Date: civil.MustParse("2026-03-17"), Kind: calendar.Off, Name: "临时假日"})
		r = h.Do("POST", "/api/v1/calendar/years?lang=en", admin, moved)
		if r.Status != 409 || r.ErrorCode() != "calendar_changes_published" || !strings.Contains(r.ErrorMessage(), "2026-03-17 → off") {
			t.Fatalf("a change of a day in force: %d %s", r.Status, r.Raw)
		}
		if got := acceptBy(); got != "2026-03-17" {
			t.Fatalf("a refused import moved a deadline: %s", got)
		}
		r = h.Must(200, "POST", "/api/v1/calendar/years?dry_run=true", admin, moved)
		moves, _ := r.JSON["moves"].([]any)
		if len(moves) != 1 || webtest.Str(r.JSON, "dry_run") != "true" || webtest.Str(r.JSON, "workdays") == "" || webtest.Str(r.JSON, "refusal") != "calendar_changes_published" {
			t.Fatalf("dry run: %s", r.Raw)
		}
		m := moves[0].(map[string]any)
		if m["case_id"] != float64(id) || m["deadline"] != "accept_by" || m["from"] != "2026-03-17" || m["to"] != "2026-03-18" {
			t.Fatalf("the move: %v", m)
		}
		if got := acceptBy(); got != "2026-03-17" {
			t.Fatalf("a dry run moved a deadline: %s", got)
		}
		r = h.Must(201, "POST", "/api/v1/calendar/years?force=true", admin, moved)
		if webtest.Str(r.JSON, "recomputed") != "1" {
			t.Fatalf("forced: %s", r.Raw)
		}
		if got := acceptBy(); got != "2026-03-18" {
			t.Fatalf("after the forced import: %s", got)
		}
		// The same file again changes nothing: no force needed.
		h.Must(201, "POST", "/api/v1/calendar/years", admin, moved)
	})
}
