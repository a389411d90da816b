package web_test

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"strings"
	"testing"

	"mashang/internal/auth"
	"mashang/internal/identity"
	"mashang/internal/intake"
	"mashang/internal/store"
	"mashang/internal/web/webtest"
)

// concludedCase registers a named report against the person and marks it
// concluded as verified; withDecision adds a decision in force.
func concludedCase(t *testing.T, h *webtest.Harness, personID int64, withDecision bool) int64 {
	t.Helper()
	ctx := context.Background()
	rc, err := h.App.Intake.Submit(ctx, intake.Submission{Channel: "hotline", Content: "窗口工作人员推诿，让我来回跑了五趟", Situation: "P1.2",
		Unit: "ZX", PersonID: personID, Reporter: identity.Identity{Name: "李建国", Phone: "13812345678"}, Actor: "user:clerk"})
	if err != nil {
		t.Fatal(err)
	}
	now := store.FormatInstant(h.Clock.Now())
	if _, err := h.App.DB.Write.ExecContext(ctx, `UPDATE cases SET state = 'concluded', finding = 'verified', accepted_on = '2026-03-02',
		concluded_on = '2026-03-02', finish_by = '2026-05-01' WHERE id = $1`, rc.CaseID); err != nil {
		t.Fatal(err)
	}
	if withDecision {
		if _, err := h.App.DB.Write.ExecContext(ctx, `INSERT INTO decisions (case_id, person_id, situation, catalog_version, sanctions, decided_on,
			rule_set, status, created_by, created_at, updated_at) VALUES ($1, $2, 'P1.2', 'fuzhou-2015.1', '["circulated_criticism"]', '2026-03-02',
			'fuzhou-2015', 'in_force', 'user:director', $3, $3)`, rc.CaseID, personID, now); err != nil {
			t.Fatal(err)
		}
	}
	return rc.CaseID
}

func TestPublicationAndPortal(t *testing.T) {
	webtest.Engines(t, func(t *testing.T, h *webtest.Harness) {
		personID := inspOrg(t, h)
		dir, lead := h.Token(auth.Director), h.Token(auth.Leader)
		h.Must(200, "PUT", "/api/v1/offices/main/profile", h.Token(auth.Admin), map[string]any{
			"channels": map[string]any{"hotlines": []any{map[string]any{"name": "县纪委信访室", "number": "0591-22371732"}}}})
		open := concludedCase(t, h, personID, false)
		decided := concludedCase(t, h, personID, true)

		clean := map[string]any{"kind": "exposure", "case_id": decided, "title": "县行政服务中心窗口推诿群众被通报批评",
			"body": "经查，该中心窗口工作人员王某某对群众办事推诿扯皮。\n给予王某某通报批评。"}
		// Only a concluded case with a decision in force may be exposed.
		noDecision := map[string]any{"kind": "exposure", "case_id": open, "title": "x", "body": "y"}
		if r := h.Do("POST", "/api/v1/publications", dir, noDecision); r.Status != 409 {
			t.Fatalf("exposure without a decision: %d %s", r.Status, r.Raw)
		}
		// The reporter's phone or name in the text is refused, however written.
		for _, body := range []string{"举报人电话 138 1234 5678。", "举报人电话１３８－１２３４－５６７８", "实名举报人李建国反映"} {
			bad := map[string]any{"kind": "exposure", "case_id": decided, "title": "曝光", "body": body}
			if r := h.Do("POST", "/api/v1/publications", dir, bad); r.Status != 422 || r.ErrorCode() != "reveals_reporter" {
				t.Errorf("%q: %d %s", body, r.Status, r.Raw)
			}
		}
		if r := h.Do("POST", "/api/v1/publications", h.Token(auth.Handler), clean); r.Status != 403 {
			t.Errorf("handler proposes: %d", r.Status)
		}
		exp := h.Must(201, "POST", "/api/v1/publications", dir, clean)
		id := int64(exp.JSON["id"].(float64))
		ex := h.Must(201, "POST", "/api/v1/publications", dir, map[string]any{"kind": "exemplar", "title": "马上就办：不动产登记当日办结",
			"body": "县不动产登记中心推行“一窗受理”，当日办结率达九成。"})
		exID := int64(ex.JSON["id"].(float64))

		notFound := func(path string) {
			t.Helper()
			r := h.Do("GET", path, "", nil, "Accept: application/json")
			missing := h.Do("GET", "/api/v1/public/exposures/999999", "", nil)
			if r.Status != 404 || r.ErrorCode() != missing.ErrorCode() || r.ErrorMessage() != missing.ErrorMessage() {
				t.Errorf("%s: %d %s, want 404 as for a missing item", path, r.Status, r.Raw)
			}
			if r := h.Do("GET", path, "", nil, "Accept: text/html"); r.Status != 404 {
				t.Errorf("%s page: %d", path, r.Status)
			}
		}
		// Proposed: nowhere on the portal; publishing without approval is 409.
		for _, p := range []string{fmt.Sprintf("/public/exposures/%d", id), fmt.Sprintf("/api/v1/public/exposures/%d", id),
			fmt.Sprintf("/public/exemplars/%d", exID), "/public/exposures/abc", "/public/exposures/0"} {
			notFound(p)
		}
		if r := h.Do("POST", fmt.Sprintf("/api/v1/publications/%d/publish", id), dir, nil); r.Status != 409 || r.ErrorCode() != "not_approved" {
			t.Fatalf("publish before approval: %d %s", r.Status, r.Raw)
		}
		if r := h.Do("POST", fmt.Sprintf("/api/v1/publications/%d/approve", id), dir, nil); r.Status != 403 {
			t.Fatalf("director approves: %d", r.Status)
		}
		h.Must(200, "POST", fmt.Sprintf("/api/v1/publications/%d/approve", id), lead, nil)
		if r := h.Do("POST", fmt.Sprintf("/api/v1/publications/%d/approve", id), lead, nil); r.Status != 409 {
			t.Fatalf("approve twice: %d", r.Status)
		}
		// Approved but not yet published: still not reachable.
		notFound(fmt.Sprintf("/public/exposures/%d", id))
		h.Must(200, "POST", fmt.Sprintf("/api/v1/publications/%d/publish", id), dir, nil)
		h.Must(200, "POST", fmt.Sprintf("/api/v1/publications/%d/approve", exID), lead, nil)
		h.Must(200, "POST", fmt.Sprintf("/api/v1/publications/%d/publish", exID), lead, nil)

		item := h.Must(200, "GET", fmt.Sprintf("/api/v1/public/exposures/%d", id), "", nil)
		if item.JSON["title"] != clean["title"] || item.JSON["case_id"] != nil || item.JSON["proposed_by"] != nil {
			t.Fatalf("public item: %s", item.Raw)
		}
		page := h.Must(200, "GET", fmt.Sprintf("/public/exposures/%d", id), "", nil)
		if !strings.Contains(string(page.Raw), "给予王某某通报批评") || strings.Contains(string(page.Raw), "李建国") {
			t.Fatalf("exposure page: %s", page.Raw)
		}
		// The exemplar is not an exposure.
		notFound(fmt.Sprintf("/public/exposures/%d", exID))
		list := h.Do("GET", "/public/exposures", "", nil, "Accept: application/json")
		if items, _ := list.JSON["items"].([]any); len(items) != 1 {
			t.Fatalf("exposure list: %s", list.Raw)
		}
		if r := h.Must(200, "GET", "/public/exemplars", "", nil); !strings.Contains(string(r.Raw), "不动产登记当日办结") {
			t.Fatal("exemplar missing from its page")
		}

		// The Atom feed: valid XML with both entries.
		feed := h.Must(200, "GET", "/public/feed.atom", "", nil)
		if !strings.HasPrefix(feed.Header.Get("Content-Type"), "application/atom+xml") {
			t.Fatalf("feed type %s", feed.Header.Get("Content-Type"))
		}
		var f struct {
			XMLName xml.Name
			Entries []struct {
				Title string `xml:"title"`
				Link  struct {
					Href string `xml:"href,attr"`
				} `xml:"link"`
			} `xml:"entry"`
		}
		if err := xml.NewDecoder(bytes.NewReader(feed.Raw)).Decode(&f); err != nil {
			t.Fatalf("feed is not XML: %v", err)
		}
		if f.XMLName.Space != "http://www.w3.org/2005/Atom" || len(f.Entries) != 2 || !strings.HasSuffix(f.Entries[0].Link.Href, fmt.Sprintf("/%d", exID)) &&
			!strings.HasSuffix(f.Entries[1].Link.Href, fmt.Sprintf("/%d", exID)) {
			t.Fatalf("feed: %s", feed.Raw)
		}

		// Withdrawn: gone again.
		h.Must(200, "POST", fmt.Sprintf("/api/v1/publications/%d/withdraw", id), dir, nil)
		notFound(fmt.Sprintf("/public/exposures/%d", id))
		if r := h.Do("POST", fmt.Sprintf("/api/v1/publications/%d/publish", id), dir, nil); r.Status != 409 {
			t.Fatalf("publish a withdrawn item: %d", r.Status)
		}

		// Published statistics, with charts.
		st := h.Must(200, "GET", "/api/v1/public/stats", "", nil)
		if webtest.Str(st.JSON, "received") != "2" || webtest.Str(st.JSON, "concluded") != "2" || webtest.Str(st.JSON, "decisions") != "1" {
			t.Fatalf("public stats: %s", st.Raw)
		}
		sp := h.Must(200, "GET", "/public/stats", "", nil)
		// The monthly columns are drawn (SVG); the category and method bars
		// are HTML tables of bars, readable on a phone.
		if c, b := strings.Count(string(sp.Raw), "<svg"), strings.Count(string(sp.Raw), `<table class="hbars"`); c != 1 || b != 2 || !strings.Contains(string(sp.Raw), "0591-22371732") {
			t.Fatalf("stats page has %d drawn charts and %d bar tables, or lacks the channels", c, b)
		}
		if en := h.Must(200, "GET", "/public/stats?lang=en", "", nil); !strings.Contains(string(en.Raw), "Published statistics") {
			t.Fatal("stats page not in English")
		}
	})
}
