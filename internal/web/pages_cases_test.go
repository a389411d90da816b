package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"mashang/internal/auth"
	"mashang/internal/org"
	"mashang/internal/search"
	"mashang/internal/web/pages"
	"mashang/internal/web/webtest"
)

// Every value of the sets the pages translate by prefix has a key.
func TestPagesKnownSetsTranslated(t *testing.T) {
	loc, err := pages.Locales()
	if err != nil {
		t.Fatal(err)
	}
	// The case record's vocabulary (states, channels, findings, actions,
	// ratings, due statuses) is named by package docket, not here.
	sets := map[string][]string{"state.": {"open"}, "sort.": search.Sorts, "kind.": org.Kinds, "action.": {"message"}}
	for _, r := range auth.Roles {
		sets["role."] = append(sets["role."], string(r))
	}
	for prefix, vals := range sets {
		for _, v := range vals {
			for _, l := range pages.Langs {
				if _, ok := loc[l][prefix+v]; !ok {
					t.Errorf("%s: no key %s%s", l, prefix, v)
				}
			}
		}
	}
}

var caseLinkRe = regexp.MustCompile(`data-href="/staff/cases/(\d+)"`)

func TestPagesQueueAndCase(t *testing.T) {
	h := webtest.New(t, "")
	seedUnits(t, h)
	ctx := context.Background()
	person, err := h.App.Org.CreatePerson(ctx, auth.System("test"), org.PersonInput{Name: "张三", Unit: "MQ-XZFW"})
	if err != nil {
		t.Fatal(err)
	}
	clerk := newBrowser(t, h)
	clerk.signIn("clerk", auth.Clerk)
	tok := clerk.csrf("/staff/desk")
	for i, at := range []string{"2026-02-02T10:00", "2026-03-02T08:00"} {
		p := clerk.postMultipart("/staff/desk", map[string]string{"csrf": tok, "channel": "letter", "received_at": at,
			"content": []string{"来信反映不动产登记窗口推诿扯皮。", "来信反映社保窗口吃拿卡要。"}[i], "situation": "P1.2", "unit": "MQ-XZFW",
			"person": "#" + itoa(person.ID), "anonymous": "no", "name": "李四", "phone": "13912345678"}, nil)
		if p.Status != 201 {
			t.Fatalf("desk: %d %s", p.Status, p.Body)
		}
	}
	h.App.Search.Index.CatchUp(ctx)
	dir := newBrowser(t, h)
	dir.signIn("director", auth.Director)
	q := dir.get("/staff/cases")
	if q.Status != 200 {
		t.Fatalf("queue: %d %s", q.Status, q.Body)
	}
	ids := caseLinkRe.FindAllStringSubmatch(q.Body, -1)
	if len(ids) != 2 || ids[0][1] != "1" {
		t.Fatalf("queue order: %v", ids)
	}
	if !strings.Contains(q.Body, `class="overdue"`) || !strings.Contains(q.Body, "超期") || !strings.Contains(q.Body, `data-count="registered"`) {
		t.Errorf("queue lacks the overdue marks or counts")
	}
	if s := dir.get("/staff/cases?q=" + url.QueryEscape("社保")); len(caseLinkRe.FindAllString(s.Body, -1)) != 1 {
		t.Errorf("search found %d", len(caseLinkRe.FindAllString(s.Body, -1)))
	}
	// The case page: masked reporter, actions for the director.
	c := dir.get("/staff/cases/2")
	if c.Status != 200 || !strings.Contains(c.Body, `id="do-accept"`) || strings.Contains(c.Body, "13912345678") || !strings.Contains(c.Body, `id="masked"`) {
		t.Fatalf("case page: %d %s", c.Status, c.Body)
	}
	tok = csrfRe.FindStringSubmatch(c.Body)[1]
	act := func(form url.Values) page {
		form.Set("csrf", tok)
		return dir.post("/staff/cases/2/act", form)
	}
	if p := act(url.Values{"action": {"accept"}}); p.Status != http.StatusSeeOther {
		t.Fatalf("accept: %d %s", p.Status, p.Body)
	}
	if p := act(url.Values{"action": {"accept"}}); p.Status != http.StatusConflict || !strings.Contains(p.Body, `role="alert"`) {
		t.Fatalf("accept twice: %d", p.Status)
	}
	if p := act(url.Values{"action": {"assign"}, "user": {"director"}}); p.Status != http.StatusSeeOther {
		t.Fatalf("assign: %d %s", p.Status, p.Body)
	}
	if p := act(url.Values{"action": {"conclude"}, "finding": {"verified"}, "person_ids": {itoa(person.ID)}}); p.Status != http.StatusSeeOther {
		t.Fatalf("conclude: %d %s", p.Status, p.Body)
	}
	p := dir.post("/staff/cases/2/decisions", url.Values{"csrf": {tok}, "person_id": {itoa(person.ID)}, "situation": {"P1.2"},
		"decided_on": {"2026-03-02"}, "sanctions": {"admonishing_talk"}})
	if p.Status != http.StatusSeeOther {
		t.Fatalf("decision: %d %s", p.Status, p.Body)
	}
	if p := act(url.Values{"action": {"reply"}, "body": {"经查属实，已对相关人员诫勉谈话。"}}); p.Status != http.StatusSeeOther {
		t.Fatalf("reply: %d %s", p.Status, p.Body)
	}
	c = dir.get("/staff/cases/2?done=reply")
	if !strings.Contains(c.Body, `data-state="concluded"`) || !strings.Contains(c.Body, "诫勉谈话") || !strings.Contains(c.Body, "经查属实") {
		t.Fatalf("after actions: %s", c.Body)
	}
	// Reveal needs a reason and shows the phone once.
	p = dir.post("/staff/cases/2/reveal", url.Values{"csrf": {tok}, "reason": {"核实情况需要联系"}})
	if p.Status != 200 || !strings.Contains(p.Body, "13912345678") {
		t.Fatalf("reveal: %d", p.Status)
	}
	// The clerk may not reveal or act as director.
	if p := clerk.post("/staff/cases/2/reveal", url.Values{"csrf": {clerk.csrf("/staff/cases/2")}, "reason": {"x"}}); p.Status != http.StatusForbidden {
		t.Errorf("clerk reveal: %d", p.Status)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// A case's history reads in words: what each line set (a deadline, a
// person to handle it, the state it moved to), who wrote it by name and
// role, never the stored field names or actor codes.
func TestPagesCaseHistoryInWords(t *testing.T) {
	webtest.Engines(t, func(t *testing.T, h *webtest.Harness) {
		clerk, director := h.Token(auth.Clerk), h.Token(auth.Director)
		h.Token(auth.Handler) // the user "handler"
		r := h.Must(201, "POST", "/api/v1/intake", clerk, map[string]any{"channel": "hotline",
			"received_at": "2026-03-01T10:00:00+08:00", "content": "来电反映窗口推诿。"})
		id := int64(r.JSON["case_id"].(float64))
		path := fmt.Sprintf("/api/v1/cases/%d/actions", id)
		h.Must(200, "POST", path, director, map[string]any{"action": "accept"})
		h.Must(200, "POST", path, director, map[string]any{"action": "assign", "user": "handler"})
		b := newBrowser(t, h)
		b.signIn("boss", auth.Director)
		p := b.get(fmt.Sprintf("/staff/cases/%d", id))
		i := strings.Index(p.Body, `id="case-timeline"`)
		if p.Status != 200 || i < 0 {
			t.Fatalf("case page: %d", p.Status)
		}
		tl := p.Body[i : i+strings.Index(p.Body[i:], "</ol>")]
		for _, want := range []string{"渠道：热线电话", "办理期限至 ", "待受理 → 已受理", "交handler（承办人）办理", "director（办公室主任）", "clerk（受理登记员）"} {
			if !strings.Contains(tl, want) {
				t.Errorf("the history lacks %q:\n%s", want, tl)
			}
		}
		for _, bad := range []string{"finish_by", "from:", "to:", "user:", "accept_by", "channel:"} {
			if strings.Contains(tl, bad) {
				t.Errorf("the history shows %q:\n%s", bad, tl)
			}
		}
	})
}

// The finding form: no finding is chosen for the investigator; the people
// of the case's unit are listed to tick (others by number, with or without
// their name after it); a missing or wrong answer says what to do in words,
// never a raw field name.
func TestPagesConcludeFindingAndPeople(t *testing.T) {
	h := webtest.New(t, "")
	personID := inspOrg(t, h)
	director := h.Token(auth.Director)
	r := h.Must(201, "POST", "/api/v1/intake", h.Token(auth.Clerk), map[string]any{"channel": "hotline",
		"received_at": "2026-03-01T10:00:00+08:00", "content": "来电反映窗口推诿。", "unit": "ZX"})
	id := int64(r.JSON["case_id"].(float64))
	h.Must(200, "POST", fmt.Sprintf("/api/v1/cases/%d/actions", id), director, map[string]any{"action": "accept"})
	h.Token(auth.Handler)
	h.Must(200, "POST", fmt.Sprintf("/api/v1/cases/%d/actions", id), director, map[string]any{"action": "assign", "user": "handler"})
	b := newBrowser(t, h)
	b.signIn("boss", auth.Director)
	cp := b.get(fmt.Sprintf("/staff/cases/%d", id))
	if !strings.Contains(cp.Body, `name="finding" required><option value="">— 请选择 —</option>`) {
		t.Error("the finding is not left for the investigator to choose")
	}
	if !strings.Contains(cp.Body, fmt.Sprintf(`name="person_pick" value="%d"`, personID)) || !strings.Contains(cp.Body, "王某某") {
		t.Error("the unit's people are not listed to pick")
	}
	tok := csrfRe.FindStringSubmatch(cp.Body)[1]
	act := func(f url.Values) page {
		f.Set("csrf", tok)
		f.Set("action", "conclude")
		return b.post(fmt.Sprintf("/staff/cases/%d/act", id), f)
	}
	for _, c := range []struct {
		form url.Values
		want string
	}{
		{url.Values{}, "请选择调查结论"},
		{url.Values{"finding": {"verified"}}, "须写明涉及人员"},
		{url.Values{"finding": {"verified"}, "person_ids": {"王某某"}}, "涉及人员请从列表中选择"},
	} {
		p := act(c.form)
		if p.Status != 422 || !strings.Contains(p.Body, c.want) || strings.Contains(p.Body, "缺少必填字段") || strings.Contains(p.Body, "person_ids 的") {
			t.Errorf("%v: %d, want 422 with %q", c.form, p.Status, c.want)
		}
	}
	if p := act(url.Values{"finding": {"verified"}, "person_pick": {strconv.FormatInt(personID, 10)}, "person_ids": {"#" + strconv.FormatInt(personID, 10) + " 王某某"}}); p.Status != 303 {
		t.Fatalf("conclude with a picked person: %d %s", p.Status, p.Body)
	}
	c := h.Must(200, "GET", fmt.Sprintf("/api/v1/cases/%d", id), director, nil)
	if ids, _ := c.JSON["person_ids"].([]any); len(ids) != 1 || int64(ids[0].(float64)) != personID || c.JSON["finding"] != "verified" {
		t.Errorf("concluded case: %s", c.Raw)
	}
}
