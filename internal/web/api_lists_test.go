package web_test

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"mashang/internal/auth"
	"mashang/internal/civil"
	"mashang/internal/demo"
	"mashang/internal/search"
	"mashang/internal/web/webtest"
)

func listIDs(t *testing.T, h *webtest.Harness, tok, query string) ([]int64, []map[string]any) {
	t.Helper()
	var ids []int64
	var rows []map[string]any
	next := ""
	for pages := 0; ; pages++ {
		if pages > 500 {
			t.Fatalf("%s: too many pages", query)
		}
		p := "/api/v1/cases?" + query
		if next != "" {
			p += "&next=" + url.QueryEscape(next)
		}
		r := h.Must(200, "GET", p, tok, nil)
		cs, _ := r.JSON["cases"].([]any)
		for _, c := range cs {
			m := c.(map[string]any)
			ids = append(ids, int64(m["id"].(float64)))
			rows = append(rows, m)
		}
		n, ok := r.JSON["next"].(string)
		if !ok {
			return ids, rows
		}
		if len(cs) == 0 {
			t.Fatalf("%s: empty page with a next cursor", query)
		}
		next = n
	}
}

func intakeCase(t *testing.T, h *webtest.Harness, content string, extra map[string]any) int64 {
	t.Helper()
	body := map[string]any{"channel": "hotline", "received_at": "2026-03-01T10:00:00+08:00", "content": content}
	for k, v := range extra {
		body[k] = v
	}
	r := h.Must(201, "POST", "/api/v1/intake", h.Token(auth.Clerk), body)
	return int64(r.JSON["case_id"].(float64))
}

func TestListsTraditionalAndSimplified(t *testing.T) {
	webtest.Engines(t, func(t *testing.T, h *webtest.Harness) {
		simp := intakeCase(t, h, "网上办事大厅三天打不开，窗口让我回去网上办。", nil)
		trad := intakeCase(t, h, "鎮政府網站投訴無人處理，推諉扯皮。", nil)
		other := intakeCase(t, h, "窗口工作人员上班时间玩手机。", map[string]any{"name": "张三丰", "phone": "13800138000"})
		tok := h.Token(auth.Director)
		for _, q := range []string{"網", "网", "网站", "網站"} {
			ids, _ := listIDs(t, h, tok, "q="+url.QueryEscape(q))
			want := []int64{trad, simp}
			if q == "网站" || q == "網站" {
				want = []int64{trad}
			}
			if !slices.Equal(ids, want) {
				t.Errorf("q=%s: got %v, want %v", q, ids, want)
			}
		}
		ids, rows := listIDs(t, h, tok, "q="+url.QueryEscape("推诿"))
		if !slices.Equal(ids, []int64{trad}) {
			t.Fatalf("q=推诿: %v", ids)
		}
		sn := rows[0]["snippet"].(map[string]any)
		if sn["hit"] != "推諉" {
			t.Errorf("snippet hit %v, want the text as written", sn)
		}
		// The reporter's name is never shown nor searchable.
		r := h.Must(200, "GET", "/api/v1/cases", tok, nil)
		if strings.Contains(string(r.Raw), "张三丰") || strings.Contains(string(r.Raw), "13800138000") {
			t.Errorf("list shows the reporter: %s", r.Raw)
		}
		if ids, _ := listIDs(t, h, tok, "q="+url.QueryEscape("张三丰")); len(ids) != 0 {
			t.Errorf("the reporter's name is searchable: %v", ids)
		}
		if ids, _ := listIDs(t, h, tok, "q="+url.QueryEscape("玩手机")); !slices.Equal(ids, []int64{other}) {
			t.Errorf("q=玩手机: %v", ids)
		}
	})
}

func TestListsBadInput(t *testing.T) {
	webtest.Engines(t, func(t *testing.T, h *webtest.Harness) {
		intakeCase(t, h, "推诿扯皮", nil)
		tok := h.Token(auth.Auditor)
		cases := []struct {
			query  string
			status int
		}{
			{"next=notbase64!!", 400},
			{"next=" + url.QueryEscape("eyJzIjoicmVjZWl2ZWQifQ"), 400},                               // {"s":"received"}: no id
			{"next=" + url.QueryEscape("eyJzIjoiZGVhZGxpbmUiLCJrIjoiMjAyNi0wMy0wMSIsImkiOjF9"), 400}, // a deadline cursor on the received sort
			{"limit=201", 422}, {"limit=0", 422}, {"limit=abc", 422}, {"limit=200", 200},
			{"state=foo", 422}, {"state=registered,foo", 422}, {"state=open", 200},
			{"due=soon", 422}, {"due=overdue", 200},
			{"channel=fax", 422}, {"channel=web,hotline", 200},
			{"sort=oldest", 422}, {"sort=relevance", 422}, {"unit=NOPE", 422}, {"situation=X9.9", 422}, {"category=Z1", 422},
			{"assignee=nobody", 422}, {"person_id=-1", 422}, {"count=maybe", 422},
			{"received_from=2026-13-01", 422}, {"received_to=yesterday", 422},
			{"received_from=2026-03-02&received_to=2026-03-01", 422},
			{"q=" + url.QueryEscape(strings.Repeat("推", 1001)), 422},
			{"q=" + strings.Repeat("a", 10000), 422},
			{"q=" + url.QueryEscape(strings.Repeat("推", 1000)), 200},
		}
		for _, c := range cases {
			r := h.Do("GET", "/api/v1/cases?"+c.query, tok, nil)
			if r.Status != c.status {
				t.Errorf("%.60s: %d, want %d: %.200s", c.query, r.Status, c.status, r.Raw)
			}
		}
		for _, q := range []string{"！！？", "...", "   ", "“”", "—"} {
			r := h.Must(200, "GET", "/api/v1/cases?count=true&q="+url.QueryEscape(q), tok, nil)
			if cs := r.JSON["cases"].([]any); len(cs) != 0 || r.JSON["total"].(float64) != 0 {
				t.Errorf("q=%q: %s", q, r.Raw)
			}
		}
		for q, st := range map[string]int{"from=2026-02-30": 422, "to=x": 422, "from=2026-03-02&to=2026-03-01": 422, "from=2026-01-01&to=2026-03-01": 200} {
			if r := h.Do("GET", "/api/v1/stats?"+q, tok, nil); r.Status != st {
				t.Errorf("stats %s: %d, want %d: %s", q, r.Status, st, r.Raw)
			}
		}
		if r := h.Do("GET", "/api/v1/cases", "", nil); r.Status != 401 {
			t.Errorf("anonymous list: %d", r.Status)
		}
	})
}

// TestListsAgainstBruteForce fills a demo county and checks the API's
// answers against scans in Go: search finds exactly the cases whose
// content or messages contain the word, and every filter and sort walks
// its pages with each case exactly once.
func TestListsAgainstBruteForce(t *testing.T) {
	webtest.Engines(t, func(t *testing.T, h *webtest.Harness) {
		ctx := context.Background()
		if _, err := demo.Run(ctx, h.App, demo.Options{Cases: 2000, Seed: 3, Until: civil.MustParse("2026-03-01")}); err != nil {
			t.Fatal(err)
		}
		f := h.App.Search.Folder()
		type cs struct {
			id, assignee                                                     int64
			text, state, channel, unit, received, due, situation, receivedOn string
			content                                                          string
			supervised                                                       bool
		}
		all := map[int64]*cs{}
		rows, err := h.App.DB.Read.Query(`SELECT c.id, c.content, c.state, c.channel, COALESCE(u.code, ''), c.received_at, c.deadline, c.situation, c.received_on,
			c.supervision_deadline IS NOT NULL, COALESCE(c.assignee_id, 0) FROM cases c LEFT JOIN units u ON u.id = c.unit_id`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			c := &cs{}
			if err := rows.Scan(&c.id, &c.text, &c.state, &c.channel, &c.unit, &c.received, &c.due, &c.situation, &c.receivedOn, &c.supervised, &c.assignee); err != nil {
				t.Fatal(err)
			}
			c.content = c.text
			all[c.id] = c
		}
		rows.Close()
		mrows, err := h.App.DB.Read.Query(`SELECT case_id, body FROM messages ORDER BY id`)
		if err != nil {
			t.Fatal(err)
		}
		for mrows.Next() {
			var id int64
			var body string
			if err := mrows.Scan(&id, &body); err != nil {
				t.Fatal(err)
			}
			all[id].text += "\n" + body
		}
		mrows.Close()
		tok := h.TokenFor("bf-director", auth.Director, "")

		for _, word := range []string{"推诿", "推諉", "窗口", "网", "吃拿卡要", "林权证", "一次性告知", "发票", "不属实", "乱"} {
			fw := f.Fold(word)
			var want []int64
			for id, c := range all {
				if strings.Contains(f.Fold(c.text), fw) {
					want = append(want, id)
				}
			}
			sort.Slice(want, func(i, j int) bool { return want[i] > want[j] })
			got, _ := listIDs(t, h, tok, "limit=97&q="+url.QueryEscape(word))
			if !slices.Equal(got, want) {
				t.Errorf("q=%s: API found %d, brute force %d", word, len(got), len(want))
			}
			if len(want) == 0 && word != "吃拿卡要" {
				t.Logf("q=%s finds nothing in the demo data", word)
			}
			// The same set by deadline and by relevance.
			for _, s := range []string{"deadline", "relevance"} {
				g2, _ := listIDs(t, h, tok, "limit=113&sort="+s+"&q="+url.QueryEscape(word))
				slices.Sort(g2)
				w2 := slices.Clone(want)
				slices.Sort(w2)
				if !slices.Equal(g2, w2) {
					t.Errorf("q=%s sort=%s: %d vs %d", word, s, len(g2), len(w2))
				}
			}
		}
		r := h.Must(200, "GET", "/api/v1/cases?count=true&q="+url.QueryEscape("推诿"), tok, nil)
		if int(r.JSON["total"].(float64)) == 0 {
			t.Errorf("count: %s", r.Raw[:200])
		}

		// Filters: every page once, in order, exactly the matching cases
		// (of those in pool, nil: every case) for the caller of tk.
		byReceived := func(a, b *cs) bool { return a.received > b.received || a.received == b.received && a.id > b.id }
		byDeadline := func(a, b *cs) bool { return a.due < b.due || a.due == b.due && a.id < b.id }
		checkAs := func(tk string, pool map[int64]bool, query string, keep func(c *cs) bool, order func(a, b *cs) bool) {
			t.Helper()
			got, _ := listIDs(t, h, tk, query)
			var want []int64
			for id, c := range all {
				if (pool == nil || pool[id]) && keep(c) {
					want = append(want, id)
				}
			}
			g := slices.Clone(got)
			slices.Sort(g)
			slices.Sort(want)
			if !slices.Equal(g, want) {
				t.Errorf("%s: got %d cases, want %d", query, len(got), len(want))
			}
			for i := 1; i < len(got); i++ {
				if !order(all[got[i-1]], all[got[i]]) {
					t.Fatalf("%s: out of order at %d", query, i)
				}
			}
		}
		check := func(query string, keep func(c *cs) bool, sorted string) {
			t.Helper()
			order := byReceived
			if sorted == "deadline" {
				order = byDeadline
			}
			checkAs(tok, nil, query, keep, order)
		}
		isOpen := func(c *cs) bool {
			return slices.Contains([]string{"registered", "accepted", "transferred", "investigating", "concluded", "review"}, c.state)
		}
		today := "2026-03-02"
		// The handler with the most cases.
		per := map[int64]int{}
		var busiest int64
		for _, c := range all {
			if c.assignee != 0 {
				if per[c.assignee]++; per[c.assignee] > per[busiest] {
					busiest = c.assignee
				}
			}
		}
		if busiest == 0 {
			t.Fatal("no case has an assignee in the demo data")
		}
		// Every plain list in both of its ways: few matches read and
		// sorted (SortFew above their number), and the order's index
		// walked (SortFew 0).
		for _, few := range []int{search.DefaultSortFew, 0} {
			h.App.Search.SortFew = few
			check("limit=73", func(c *cs) bool { return true }, "received")
			check("limit=50&sort=deadline&state=open", isOpen, "deadline")
			check("limit=31&state=registered,review&channel=web,hotline", func(c *cs) bool {
				return (c.state == "registered" || c.state == "review") && (c.channel == "web" || c.channel == "hotline")
			}, "received")
			check("limit=19&unit=MQ-MC&state=open", func(c *cs) bool { return isOpen(c) && strings.HasPrefix(c.unit, "MQ-MC") }, "received")
			check("limit=200&due=overdue&sort=deadline", func(c *cs) bool { return c.due < today }, "deadline")
			// The orders read by their own index ranges: the due filters newest
			// first (the running cases' partial index), states by deadline
			// (one range per state), a subtree's overdue cases.
			check("limit=37&due=overdue", func(c *cs) bool { return c.due < today }, "received")
			check("limit=41&state=closed,refused&sort=deadline", func(c *cs) bool { return c.state == "closed" || c.state == "refused" }, "deadline")
			check("limit=23&state=open&due=overdue", func(c *cs) bool { return isOpen(c) && c.due < today }, "received")
			check("limit=17&unit=MQ-MC&due=overdue&sort=deadline", func(c *cs) bool { return strings.HasPrefix(c.unit, "MQ-MC") && c.due < today }, "deadline")
			// A due filter with states: only the open ones count (no deadline
			// runs in the others), none open is nothing.
			check("limit=29&state=investigating,closed&due=overdue", func(c *cs) bool { return c.state == "investigating" && c.due < today }, "received")
			check("limit=29&state=closed,refused&due=on_time", func(c *cs) bool { return false }, "received")
			// One channel, situation or category by deadline; a date range
			// (received_on, with the received_at bounds beside it) both ways.
			check("limit=61&channel=web&sort=deadline", func(c *cs) bool { return c.channel == "web" }, "deadline")
			check("limit=43&channel=web&state=open&sort=deadline", func(c *cs) bool { return c.channel == "web" && isOpen(c) }, "deadline")
			check("limit=27&category=P1&sort=deadline", func(c *cs) bool { return strings.HasPrefix(c.situation, "P1.") }, "deadline")
			check("limit=27&situation=P1.5&sort=deadline", func(c *cs) bool { return c.situation == "P1.5" }, "deadline")
			for _, srt := range []string{"received", "deadline"} {
				check("limit=39&received_from=2026-01-10&received_to=2026-02-03&sort="+srt, func(c *cs) bool {
					return c.receivedOn >= "2026-01-10" && c.receivedOn <= "2026-02-03"
				}, srt)
				check("limit=21&received_from=2026-02-01&state=open&sort="+srt, func(c *cs) bool { return c.receivedOn >= "2026-02-01" && isOpen(c) }, srt)
				check("limit=21&supervised=any&sort="+srt, func(c *cs) bool { return c.supervised }, srt)
				check("limit=9&due=due_soon&sort="+srt, func(c *cs) bool { return c.due >= today && c.due <= "2026-03-05" && c.due < "9999" }, srt)
				// A date range by deadline is its dates' index entries
				// sorted (cases_received_on_deadline): with several states,
				// one state and the cases with no running deadline after the
				// running ones, across pages of a few.
				check("limit=6&received_from=2026-02-10&received_to=2026-02-20&state=open&sort="+srt, func(c *cs) bool {
					return c.receivedOn >= "2026-02-10" && c.receivedOn <= "2026-02-20" && isOpen(c)
				}, srt)
				check("limit=8&received_to=2025-12-31&state=closed,investigating&sort="+srt, func(c *cs) bool {
					return c.receivedOn <= "2025-12-31" && (c.state == "closed" || c.state == "investigating")
				}, srt)
				check("limit=11&received_from=2026-02-25&sort="+srt, func(c *cs) bool { return c.receivedOn >= "2026-02-25" }, srt)
				// One handler's overdue and due-soon cases (the assignee's
				// index carries the deadline).
				check("limit=5&due=overdue&assignee="+strconv.FormatInt(busiest, 10)+"&sort="+srt, func(c *cs) bool {
					return c.assignee == busiest && c.due < today
				}, srt)
				check("limit=5&due=on_time&assignee="+strconv.FormatInt(busiest, 10)+"&sort="+srt, func(c *cs) bool {
					return c.assignee == busiest && c.due > "2026-03-05" && c.due < "9999"
				}, srt)
			}
		}
		h.App.Search.SortFew = search.DefaultSortFew

		// A search by deadline, in both of its ways (few candidates sorted;
		// the running cases walked in deadline order, a few ids a
		// statement), alone and with filters: exactly the matching cases,
		// in deadline order, each once across the pages.
		has := func(word string) func(c *cs) bool {
			fw := f.Fold(word)
			return func(c *cs) bool { return strings.Contains(f.Fold(c.text), fw) }
		}
		for _, tune := range []search.DeadlineTuning{search.DefaultDeadlineTuning(), {FewCandidates: 0, WalkPage: 7}} {
			h.App.Search.Deadline = tune
			check("limit=97&sort=deadline&q=%E7%BD%91", has("网"), "deadline")
			for _, word := range []string{"推诿", "林权证"} {
				in := has(word)
				qw := url.QueryEscape(word)
				check("limit=29&sort=deadline&q="+qw, in, "deadline")
				check("limit=13&sort=deadline&state=open&q="+qw, func(c *cs) bool { return in(c) && isOpen(c) }, "deadline")
				check("limit=11&sort=deadline&due=overdue&q="+qw, func(c *cs) bool { return in(c) && c.due < today }, "deadline")
				check("limit=7&sort=deadline&unit=MQ-MC&q="+qw, func(c *cs) bool { return in(c) && strings.HasPrefix(c.unit, "MQ-MC") }, "deadline")
				check("limit=9&sort=deadline&state=closed&q="+qw, func(c *cs) bool { return in(c) && c.state == "closed" }, "deadline")
			}
		}
		h.App.Search.Deadline = search.DefaultDeadlineTuning()

		// Total count agrees.
		r = h.Must(200, "GET", "/api/v1/cases?count=true&state=closed", tok, nil)
		n := 0
		for _, c := range all {
			if c.state == "closed" {
				n++
			}
		}
		if int(r.JSON["total"].(float64)) != n || r.JSON["total_exact"] != true {
			t.Errorf("count closed: %v/%v, want %d", r.JSON["total"], r.JSON["total_exact"], n)
		}

		// A liaison sees only the cases transferred to its unit and the
		// units under it.
		lt := h.TokenFor("liaison-mc", auth.Liaison, "MQ-MC")
		lids, _ := listIDs(t, h, lt, "limit=200")
		var wantL int
		if err := h.App.DB.Read.QueryRow(`SELECT COUNT(*) FROM cases c JOIN units u ON u.id = c.transfer_unit_id
			WHERE u.path LIKE (SELECT path FROM units WHERE code = 'MQ-MC') || '%'`).Scan(&wantL); err != nil {
			t.Fatal(err)
		}
		if len(lids) != wantL || wantL == 0 {
			t.Errorf("liaison sees %d cases, want %d", len(lids), wantL)
		}
		// The same cases by deadline and a few at a time (read unit by unit
		// of the subtree and merged, or sorted when few), both ways; on
		// PostgreSQL a window of each unit's cases first: the default (the
		// units' every case), one that holds a page of 7 but not every
		// case, one too small for a page (the count then) and none.
		for _, win := range []int{search.DefaultProbeWindow, 20, 3, 0} {
			h.App.Search.ProbeWindow = win
			for _, few := range []int{search.DefaultSortFew, 0} {
				h.App.Search.SortFew = few
				for _, srt := range []string{"received", "deadline"} {
					got, rowsOut := listIDs(t, h, lt, "limit=7&sort="+srt)
					g, w := slices.Clone(got), slices.Clone(lids)
					slices.Sort(g)
					slices.Sort(w)
					if !slices.Equal(g, w) {
						t.Errorf("liaison, sort=%s, SortFew %d, ProbeWindow %d: %d cases, want %d", srt, few, win, len(g), len(w))
					}
					for i := 1; i < len(rowsOut); i++ {
						a, b := all[got[i-1]], all[got[i]]
						ok := a.received > b.received || a.received == b.received && a.id > b.id
						if srt == "deadline" {
							ok = a.due < b.due || a.due == b.due && a.id < b.id
						}
						if !ok {
							t.Fatalf("liaison, sort=%s, ProbeWindow %d: out of order at %d", srt, win, i)
						}
					}
				}
			}
		}
		h.App.Search.SortFew = search.DefaultSortFew
		h.App.Search.ProbeWindow = search.DefaultProbeWindow

		// A liaison's overdue cases in both orders (newest first walks its
		// units' received index, by deadline their deadline index).
		inL := map[int64]bool{}
		for _, id := range lids {
			inL[id] = true
		}
		liaisonCheck := func(query string, keep func(c *cs) bool, order func(a, b *cs) bool) {
			t.Helper()
			checkAs(lt, inL, query, keep, order)
		}
		byID := func(a, b *cs) bool { return a.id > b.id }
		anyOrder := func(a, b *cs) bool { return true }
		overdue := func(c *cs) bool { return c.due < today }
		for _, win := range []int{search.DefaultProbeWindow, 20, 3} {
			h.App.Search.ProbeWindow = win
			liaisonCheck("limit=9&due=overdue", overdue, byReceived)
			liaisonCheck("limit=9&due=overdue&sort=deadline", overdue, byDeadline)
		}
		h.App.Search.ProbeWindow = search.DefaultProbeWindow
		// A liaison may not read the reporter's thread: it finds a case by
		// its content alone.
		inContent := func(word string) func(c *cs) bool {
			fw := f.Fold(word)
			return func(c *cs) bool { return strings.Contains(f.Fold(c.content), fw) }
		}
		// A liaison's search: its candidates narrowed to its cases first
		// (WithinCap above their number) or verified as anyone's (0), in
		// every order and both ways of a search by deadline, across pages:
		// exactly its cases that hold the word, never another's.
		for _, within := range []int{search.DefaultWithinCap, 0} {
			h.App.Search.WithinCap = within
			for _, tune := range []search.DeadlineTuning{search.DefaultDeadlineTuning(), {FewCandidates: 0, WalkPage: 7}} {
				h.App.Search.Deadline = tune
				for _, word := range []string{"推诿", "网", "林权证"} {
					qw := url.QueryEscape(word)
					in := inContent(word)
					liaisonCheck("limit=7&q="+qw, in, byID)
					liaisonCheck("limit=7&sort=deadline&q="+qw, in, byDeadline)
					liaisonCheck("limit=7&sort=relevance&q="+qw, in, anyOrder)
					liaisonCheck("limit=5&sort=deadline&due=overdue&q="+qw, func(c *cs) bool { return in(c) && overdue(c) }, byDeadline)
				}
			}
		}
		h.App.Search.WithinCap = search.DefaultWithinCap
		h.App.Search.Deadline = search.DefaultDeadlineTuning()
		r = h.Must(200, "GET", "/api/v1/cases?count=true&q="+url.QueryEscape("推诿"), lt, nil)
		nl := 0
		for id := range inL {
			if inContent("推诿")(all[id]) {
				nl++
			}
		}
		if int(r.JSON["total"].(float64)) != nl || nl == 0 {
			t.Errorf("liaison's count of q=推诿: %v, want %d", r.JSON["total"], nl)
		}

		// Stats add up.
		st := h.Must(200, "GET", "/api/v1/stats?from=2025-01-01&to=2026-03-02", tok, nil)
		total := int(st.JSON["total"].(float64))
		if total != len(all) {
			t.Errorf("stats total %d, want %d", total, len(all))
		}
		for _, k := range []string{"by_channel", "by_state", "by_category", "by_finding"} {
			sum := 0
			for _, v := range st.JSON[k].(map[string]any) {
				sum += int(v.(float64))
			}
			if sum != total {
				t.Errorf("stats %s sums to %d, want %d", k, sum, total)
			}
		}
		rates := st.JSON["rates"].(map[string]any)
		for _, k := range []string{"accepted_on_time", "settled_on_time", "verified_share", "satisfaction"} {
			if rt := rates[k].(map[string]any); rt["of"].(float64) == 0 || rt["rate"] == nil {
				t.Errorf("rate %s empty: %v", k, rt)
			}
		}
		if len(st.JSON["by_month"].([]any)) < 6 || len(st.JSON["by_unit"].([]any)) < 10 {
			t.Errorf("stats groups: %d months, %d units", len(st.JSON["by_month"].([]any)), len(st.JSON["by_unit"].([]any)))
		}
		_ = fmt.Sprint
	})
}

// TestListsFindsNewCaseAtOnce: a case is searchable as soon as its 201 is sent,
// and a message added later is searchable too.
func TestListsFindsNewCaseAtOnce(t *testing.T) {
	webtest.Engines(t, func(t *testing.T, h *webtest.Harness) {
		tok := h.Token(auth.Director)
		for i := 0; i < 5; i++ {
			id := intakeCase(t, h, fmt.Sprintf("第%d次反映：采伐许可办理拖延", i), nil)
			ids, _ := listIDs(t, h, tok, "q="+url.QueryEscape(fmt.Sprintf("第%d次", i)))
			if !slices.Equal(ids, []int64{id}) {
				t.Fatalf("new case %d not found at once: %v", id, ids)
			}
			h.Must(201, "POST", fmt.Sprintf("/api/v1/cases/%d/messages", id), tok, map[string]any{"body": fmt.Sprintf("请补充材料编号%dQX", i)})
			ids, _ = listIDs(t, h, tok, "q="+url.QueryEscape(fmt.Sprintf("编号%dqx", i)))
			if !slices.Equal(ids, []int64{id}) {
				t.Fatalf("message of case %d not found: %v", id, ids)
			}
		}
	})
}

// A clerk finds the case of a caller who reads out the receipt code, however
// it is typed: with or without dashes, lower case, spaced, full-width.
func TestListsFindByReceiptCode(t *testing.T) {
	webtest.Engines(t, func(t *testing.T, h *webtest.Harness) {
		intakeCase(t, h, "窗口推诿，第一件。", nil)
		r := h.Must(201, "POST", "/api/v1/intake", h.Token(auth.Clerk), map[string]any{"channel": "hotline",
			"received_at": "2026-03-01T10:00:00+08:00", "content": "来电反映窗口要求第三次补交材料。"})
		id, code := int64(r.JSON["case_id"].(float64)), r.JSON["receipt"].(string)
		intakeCase(t, h, "窗口推诿，第三件。", nil)
		bare := strings.ReplaceAll(code, "-", "")
		full := strings.Map(func(c rune) rune { return c + 0xFEE0 }, bare)
		tok := h.Token(auth.Clerk)
		for _, q := range []string{code, bare, strings.ToLower(code), strings.ToLower(bare), " " + code[:4] + " " + code[5:] + " ", full} {
			ids, _ := listIDs(t, h, tok, "q="+url.QueryEscape(q))
			if !slices.Equal(ids, []int64{id}) {
				t.Errorf("q=%q: got %v, want [%d]", q, ids, id)
			}
			// The staff queue finds it too (sorted by relevance, the default with q).
			page := h.Must(200, "GET", "/staff/cases?q="+url.QueryEscape(q), tok, nil)
			if !strings.Contains(string(page.Raw), fmt.Sprintf(`href="/staff/cases/%d"`, id)) {
				t.Errorf("the queue does not find %q", q)
			}
		}
		// A wrong symbol (misheard) is not a code: the text search answers, empty here.
		wrong := []byte(bare)
		if wrong[3] == '7' {
			wrong[3] = '8'
		} else {
			wrong[3] = '7'
		}
		if ids, _ := listIDs(t, h, tok, "q="+string(wrong)); len(ids) != 0 {
			t.Errorf("a mistyped code finds %v", ids)
		}
		// A liaison who may not read the case does not learn of it by its code.
		h.Must(201, "POST", "/api/v1/units", h.Token(auth.Admin), map[string]any{"code": "T-A", "name": "甲镇"})
		if ids, _ := listIDs(t, h, h.TokenFor("liaison", auth.Liaison, "T-A"), "q="+bare); len(ids) != 0 {
			t.Errorf("a liaison finds %v", ids)
		}
	})
}
