package web_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"mashang/internal/auth"
	"mashang/internal/cases"
	"mashang/internal/civil"
	"mashang/internal/docket"
	"mashang/internal/identity"
	"mashang/internal/inspection"
	"mashang/internal/intake"
	"mashang/internal/org"
	"mashang/internal/publication"
	"mashang/internal/web/webtest"
)

// The principals of the access tests, in the order of the expected tables'
// columns: no token, every role, and the two who must be told apart from
// their peers — a handler the case is not assigned to, and a liaison of
// another unit.
var who = []string{"anon", "admin", "clerk", "handler", "handler2", "director", "leader", "orgdept", "inspector", "liaison", "liaison2", "auditor"}

// Words that stand only in the reporter's identity, thread and files of
// case c1, to look for in every answer.
const (
	accName   = "张保密"
	accPhone  = "13912345678"
	accMasked = "139****5678"
	accThread = "芝麻开门补充材料"
	accFile   = "reporter-photo.png"
	accCovert = "暗访专用标题"
)

// accessFix is one server seeded with what the access tests ask about.
type accessFix struct {
	t     *testing.T
	h     *webtest.Harness
	token map[string]string // principal → bearer token ("" for anon)
	ids   map[string]string // placeholder → id
	pages map[string]*staffPage
}

// staffPage is a principal's browser on the staff pages: its session
// cookie and the anti-forgery token of its forms.
type staffPage struct {
	c    *http.Client
	csrf string
}

var formCSRF = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func newAccessFix(t *testing.T, h *webtest.Harness) *accessFix {
	t.Helper()
	f := &accessFix{t: t, h: h, token: map[string]string{"anon": ""}, ids: map[string]string{}, pages: map[string]*staffPage{}}
	ctx := context.Background()
	sys := auth.System("test")
	// Units: R, A under R, A1 under A, B under R; a person in A.
	for _, u := range []struct{ code, name, parent string }{{"R", "闽清县", ""}, {"A", "梅溪镇", "R"}, {"A1", "梅溪镇便民服务中心", "A"}, {"B", "白樟镇", "R"}} {
		in := org.UnitInput{Code: u.code, Name: u.name}
		if u.parent != "" {
			p := u.parent
			in.Parent = &p
		}
		if _, err := h.App.Org.CreateUnit(ctx, sys, in); err != nil {
			t.Fatal(err)
		}
	}
	person, err := h.App.Org.CreatePerson(ctx, sys, org.PersonInput{Name: "王某", Unit: "A"})
	if err != nil {
		t.Fatal(err)
	}
	f.ids["person"] = fmt.Sprint(person.ID)
	roles := map[string]struct {
		role auth.Role
		unit string
	}{"admin": {auth.Admin, ""}, "clerk": {auth.Clerk, ""}, "handler": {auth.Handler, ""}, "handler2": {auth.Handler, ""},
		"director": {auth.Director, ""}, "leader": {auth.Leader, ""}, "orgdept": {auth.OrgDept, ""}, "inspector": {auth.Inspector, ""},
		"liaison": {auth.Liaison, "A"}, "liaison2": {auth.Liaison, "B"}, "auditor": {auth.Auditor, ""}}
	for name, r := range roles {
		f.token[name] = h.TokenFor(name, r.role, r.unit)
	}
	users, err := h.App.Auth.ListUsers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		if u.Username == "clerk" {
			f.ids["user"] = fmt.Sprint(u.ID)
		}
	}
	director, inspector := f.principal("director"), f.principal("inspector")

	// c1: a named report on unit A with a photo and a thread, assigned to handler.
	blob, err := h.App.Files.Put(context.Background(), bytes.NewReader(pngBytes()), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	c1 := f.submit(intake.Submission{Channel: docket.Web, Content: "梅溪镇窗口推诿扯皮，让我跑了五趟。", Unit: "A", Actor: "reporter",
		Reporter: identity.Identity{Name: accName, Phone: accPhone, Email: "zbm@example.cn"},
		Files:    []intake.File{{Blob: blob, Filename: accFile, Source: intake.SourceReporter}}})
	f.ids["c1"] = fmt.Sprint(c1.CaseID)
	if err := h.App.Intake.ReporterWrite(ctx, "192.0.2.1", c1.Receipt, c1.Key, "我想补充："+accThread+"。"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.App.Intake.WriteToReporter(ctx, director, c1.CaseID, "请补充办事日期。"); err != nil {
		t.Fatal(err)
	}
	f.act(director, c1.CaseID, cases.ActionInput{Action: docket.Accept})
	f.act(director, c1.CaseID, cases.ActionInput{Action: docket.Assign, User: "handler"})
	atts, err := h.App.Intake.Attachments(ctx, director, c1.CaseID)
	if err != nil || len(atts) != 1 {
		t.Fatalf("attachments of c1: %v %v", atts, err)
	}
	f.ids["att1"] = fmt.Sprint(atts[0].ID)
	// c3: the same reporter again (a repeat reporter of c1).
	c3 := f.submit(intake.Submission{Channel: docket.Hotline, Content: "还是梅溪镇窗口，仍然推诿。", Unit: "A", Actor: "user:clerk",
		Reporter: identity.Identity{Name: accName, Phone: accPhone}})
	f.ids["c3"] = fmt.Sprint(c3.CaseID)
	// c2: a named report transferred to A1, under A: liaison's subtree.
	c2 := f.submit(intake.Submission{Channel: docket.Letter, Content: "便民服务中心收费不公示。", Unit: "A1", Actor: "user:clerk",
		Reporter: identity.Identity{Name: "李某", Phone: "13800001111"}})
	f.ids["c2"] = fmt.Sprint(c2.CaseID)
	if err := h.App.Intake.ReporterWrite(ctx, "192.0.2.1", c2.Receipt, c2.Key, "补充：收费单据已拍照。"); err != nil {
		t.Fatal(err)
	}
	f.act(director, c2.CaseID, cases.ActionInput{Action: docket.Transfer, Unit: "A1", Reason: "属地办理"})
	// c5: concluded verified naming the person, with a decision and an appeal.
	c5 := f.submit(intake.Submission{Channel: docket.Walkin, Content: "王某多次刁难办事群众。", Unit: "A", Situation: "P1.2", Actor: "user:clerk"})
	f.ids["c5"] = fmt.Sprint(c5.CaseID)
	f.act(director, c5.CaseID, cases.ActionInput{Action: docket.Accept})
	f.act(director, c5.CaseID, cases.ActionInput{Action: docket.Assign, User: "handler"})
	f.act(f.principal("handler"), c5.CaseID, cases.ActionInput{Action: docket.Conclude, Finding: docket.Verified, PersonIDs: []int64{person.ID}})
	today := civil.In(h.Clock.Now(), h.App.Loc)
	dec, err := h.App.Accountability.CreateDecision(ctx, director, c5.CaseID, accountabilityInput(person.ID, today))
	if err != nil {
		t.Fatal(err)
	}
	f.ids["dec"] = fmt.Sprint(dec.ID)
	ap, err := h.App.Accountability.FileAppeal(ctx, f.principal("orgdept"), dec.ID, appealInput(today))
	if err != nil {
		t.Fatal(err)
	}
	f.ids["ap"] = fmt.Sprint(ap.ID)
	// An announced plan with a visit and a photo, done; a covert plan whose
	// finding opened c4, not done.
	plan, err := h.App.Inspections.Plan(ctx, inspector, inspection.PlanInput{Title: "便民服务中心明察", Units: []string{"A1"}, From: today.AddDays(-5), To: today.AddDays(5)})
	if err != nil {
		t.Fatal(err)
	}
	f.ids["insp"] = fmt.Sprint(plan.ID)
	photo, err := h.App.Files.Put(context.Background(), bytes.NewReader(pngBytes()), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	v, err := h.App.Inspections.RecordVisit(ctx, inspector, plan.ID, inspection.VisitInput{At: h.Clock.Now().Add(-time.Hour), Place: "便民服务中心", Unit: "A1",
		Notes: "窗口在岗"}, []inspection.Upload{{Filename: "visit.png", Blob: photo}})
	if err != nil || len(v.Attachments) != 1 {
		t.Fatalf("visit: %v %+v", err, v)
	}
	f.ids["iatt"] = fmt.Sprint(v.Attachments[0].ID)
	if _, err := h.App.Inspections.Done(ctx, inspector, plan.ID); err != nil {
		t.Fatal(err)
	}
	covert, err := h.App.Inspections.Plan(ctx, inspector, inspection.PlanInput{Title: accCovert, Covert: true, Units: []string{"B"}, From: today.AddDays(-5), To: today.AddDays(5)})
	if err != nil {
		t.Fatal(err)
	}
	f.ids["inspc"] = fmt.Sprint(covert.ID)
	cv, err := h.App.Inspections.RecordVisit(ctx, inspector, covert.ID, inspection.VisitInput{At: h.Clock.Now().Add(-time.Hour), Place: "白樟镇窗口", Unit: "B",
		Findings: []inspection.FindingInput{{Text: "窗口人员玩手机", Situation: "P2.2", OpenCase: true}}}, nil)
	if err != nil || len(cv.Findings) != 1 || cv.Findings[0].CaseID == nil {
		t.Fatalf("covert visit: %v %+v", err, cv)
	}
	f.ids["c4"] = fmt.Sprint(*cv.Findings[0].CaseID)
	// A publication proposed and withdrawn: every step on it is refused (409).
	pub, err := h.App.Publications.Propose(ctx, director, publication.Input{Kind: publication.KindExemplar, Title: "窗口服务典型", Body: "梅溪镇窗口一次办结。"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.App.Publications.Withdraw(ctx, director, pub.ID); err != nil {
		t.Fatal(err)
	}
	f.ids["pub"] = fmt.Sprint(pub.ID)
	if _, err := h.App.Search.Index.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	for _, name := range who {
		f.browse(name)
	}
	return f
}

// browse gives name a browser for the pages: its session (or, signed out,
// a visitor's anti-forgery cookie) and the token of the forms.
func (f *accessFix) browse(name string) {
	f.t.Helper()
	jar, _ := cookiejar.New(nil)
	sp := &staffPage{c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	u, _ := url.Parse(f.h.URL)
	path := "/staff/login"
	if tok := f.token[name]; tok != "" {
		jar.SetCookies(u, []*http.Cookie{{Name: "mashang_session", Value: tok, Path: "/"}})
		path = "/staff/inspections"
	}
	res, err := sp.c.Get(f.h.URL + path)
	if err != nil {
		f.t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	m := formCSRF.FindSubmatch(body)
	if m == nil {
		f.t.Fatalf("%s: no form token on %s (%d)", name, path, res.StatusCode)
	}
	sp.csrf = string(m[1])
	f.pages[name] = sp
}

// refresh signs name in again (after a request that signed it out).
func (f *accessFix) refresh(name string) {
	f.t.Helper()
	if name == "anon" {
		return
	}
	tok, _, err := f.h.App.Auth.Login(context.Background(), name, "test password 123", "", "matrix-"+name)
	if err != nil {
		f.t.Fatal(err)
	}
	f.token[name] = tok
	f.browse(name)
}

func (f *accessFix) principal(name string) auth.Principal {
	f.t.Helper()
	p, err := f.h.App.Auth.Authenticate(context.Background(), f.token[name])
	if err != nil {
		f.t.Fatal(err)
	}
	return p
}

func (f *accessFix) submit(s intake.Submission) intake.Receipt {
	f.t.Helper()
	r, err := f.h.App.Intake.Submit(context.Background(), s)
	if err != nil {
		f.t.Fatal(err)
	}
	return r
}

func (f *accessFix) act(p auth.Principal, id int64, in cases.ActionInput) {
	f.t.Helper()
	if _, err := f.h.App.Cases.Act(context.Background(), p, id, in); err != nil {
		f.t.Fatalf("%s on case %d: %v", in.Action, id, err)
	}
}

// fill replaces {name} placeholders with the fixture's ids.
func (f *accessFix) fill(s string) string {
	for k, v := range f.ids {
		s = strings.ReplaceAll(s, "{"+k+"}", v)
	}
	return s
}

// answer is one response, as the tests look at it.
type answer struct {
	status int
	body   string
}

// call sends method path as the principal: the API with its bearer token,
// a page with its browser (a form body gets the form's token).
func (f *accessFix) call(name, method, path, body string) answer {
	f.t.Helper()
	path = f.fill(path)
	body = strings.ReplaceAll(body, "{me}", name)
	var req *http.Request
	if strings.HasPrefix(path, "/api/") || path == "/healthz" || path == "/metrics" {
		var rd io.Reader
		if body != "" {
			rd = strings.NewReader(f.fill(body))
		}
		req, _ = http.NewRequest(method, f.h.URL+path, rd)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		if tok := f.token[name]; tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		res, err := f.h.HTTP.Client().Do(req)
		if err != nil {
			f.t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return answer{res.StatusCode, string(b)}
	}
	sp := f.pages[name]
	if method == http.MethodPost {
		form, _ := url.ParseQuery(f.fill(body))
		form.Set("csrf", sp.csrf)
		req, _ = http.NewRequest(method, f.h.URL+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", f.h.URL) // as a browser sends with a form of this site
	} else {
		req, _ = http.NewRequest(method, f.h.URL+path, nil)
	}
	res, err := sp.c.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return answer{res.StatusCode, string(b)}
}
