package web_test

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"mashang/internal/auth"
	"mashang/internal/web/webtest"
)

// inspPost sends a multipart form with files under "attachment", as the
// visit form does.
func inspPost(b *browser, path string, fields url.Values, files map[string][]byte) page {
	b.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, vs := range fields {
		for _, v := range vs {
			mw.WriteField(k, v)
		}
	}
	for name, data := range files {
		fw, _ := mw.CreateFormFile("attachment", name)
		fw.Write(data)
	}
	mw.Close()
	req, _ := http.NewRequest("POST", b.h.URL+path, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return b.do(req)
}

var (
	planIDRe  = regexp.MustCompile(`^/staff/inspections/(\d+)\?ok=planned$`)
	visitIDRe = regexp.MustCompile(`^/staff/inspections/(\d+)\?visit=(\d+)#visit-\d+$`)
)

// must fails the test unless the page has the status and every string.
func inspWant(t *testing.T, pg page, what string, status int, wants ...string) {
	t.Helper()
	if pg.Status != status {
		t.Fatalf("%s: status %d, want %d\n%.2000s", what, pg.Status, status, pg.Body)
	}
	for _, w := range wants {
		if !strings.Contains(pg.Body, w) {
			t.Fatalf("%s: page lacks %q\n%.3000s", what, w, pg.Body)
		}
	}
}

// planForm is a valid plan as the form sends it.
func planForm(csrf, title string, covert bool) url.Values {
	f := url.Values{"csrf": {csrf}, "title": {title}, "units": {"ZX"}, "from": {"2026-03-01"}, "to": {"2026-03-31"},
		"checklist": {"staff_at_post | 工作人员在岗 | 是/否/不适用\nattitude | 服务态度 | 好/一般/差\n一次性告知 | 是/否"}}
	if covert {
		f.Set("covert", "yes")
	}
	return f
}

func TestPagesInspectionPlanVisitDone(t *testing.T) {
	h := webtest.New(t, "")
	personID := inspOrg(t, h)
	ins := newBrowser(t, h)
	ins.signIn("inspector1", auth.Inspector)

	inspWant(t, ins.get("/staff/inspections"), "empty list", 200, "制定检查计划", `id="insp-none"`)
	form := ins.get("/staff/inspections/new")
	inspWant(t, form, "plan form", 200, `name="units" multiple`, "staff_at_post | 工作人员在岗 | 是 / 否 / 不适用", "2026-03-02", "2026-04-01")
	tok := csrfRe.FindStringSubmatch(form.Body)[1]

	// Without the anti-forgery token: refused.
	f := planForm("", "无令牌", true)
	f.Del("csrf")
	inspWant(t, ins.post("/staff/inspections", f), "plan without csrf", 403)
	// Bad input comes back on the form, with the field marked and the text kept.
	bad := planForm(tok, "倒置的期限", true)
	bad.Set("to", "2026-02-01")
	inspWant(t, ins.post("/staff/inspections", bad), "period reversed", 422, `id="to" name="to" type="date" required value="2026-02-01" aria-invalid="true"`, "倒置的期限")
	bad = planForm(tok, "坏清单", false)
	bad.Set("checklist", "a | 甲 | 是/否 | 多一栏")
	inspWant(t, ins.post("/staff/inspections", bad), "bad checklist", 422, `aria-invalid="true"`, "检查清单第 1 行")
	bad = planForm(tok, "重复选项", false)
	bad.Set("checklist", "a | 甲 | 是/是")
	inspWant(t, ins.post("/staff/inspections", bad), "duplicate options", 422, "选项不能为空、过长或重复")
	bad = planForm(tok, "未知单位", false)
	bad["units"] = []string{"NOPE"}
	inspWant(t, ins.post("/staff/inspections", bad), "unknown unit", 422, "未知单位：NOPE", `id="units"`)

	res := ins.post("/staff/inspections", planForm(tok, "服务中心窗口暗访", true))
	inspWant(t, res, "plan", 303)
	m := planIDRe.FindStringSubmatch(res.Header.Get("Location"))
	if m == nil {
		t.Fatalf("plan redirect %q", res.Header.Get("Location"))
	}
	id := m[1]
	base := "/staff/inspections/" + id
	inspWant(t, ins.get(base+"?ok=planned"), "plan page", 200, "服务中心窗口暗访", "检查计划已保存", "暗访", "县行政服务中心", `href="`+base+`/visit"`,
		`/api/v1/inspections/`+id+`/report?format=pdf`, "一次性告知")

	// A covert plan is absent for a clerk and a handler, present for a leader.
	for _, role := range []auth.Role{auth.Clerk, auth.Handler} {
		o := newBrowser(t, h)
		o.signIn("other-"+string(role), role)
		if l := o.get("/staff/inspections"); l.Status != 200 || strings.Contains(l.Body, "服务中心窗口暗访") {
			t.Fatalf("%s sees the covert plan in the list (%d)", role, l.Status)
		}
		inspWant(t, o.get(base), string(role)+" opens covert plan", 404)
	}
	lead := newBrowser(t, h)
	lead.signIn("leader1", auth.Leader)
	inspWant(t, lead.get("/staff/inspections"), "leader list", 200, "服务中心窗口暗访")
	inspWant(t, lead.get(base+"/visit"), "leader visit form", 403)

	// The visit form: one radio group per item, a camera input, finding slots.
	vf := ins.get(base + "/visit")
	inspWant(t, vf, "visit form", 200, `enctype="multipart/form-data"`, `type="radio" name="answers.staff_at_post" value="不适用"`,
		`name="answers.item_3"`, `accept="image/*,video/*" capture multiple`, `name="findings[0].text"`, `name="findings[2].open_case" value="yes"`, `<details class="action"><summary>`,
		`value="`+strconv.FormatInt(personID, 10)+`">王某某`, `<option value="ZX" selected>县行政服务中心</option>`, `value="2026-03-02T09:00"`)
	vtok := csrfRe.FindStringSubmatch(vf.Body)[1]
	visit := url.Values{"csrf": {vtok}, "at": {"2026-03-02T08:40"}, "place": {"县行政服务中心二楼不动产登记窗口"}, "unit": {"ZX"},
		"answers.staff_at_post": {"否"}, "answers.attitude": {"差"}, "answers.item_3": {"否"}, "notes": {"窗口无人，等候二十分钟。"},
		"findings[1].text": {"窗口工作人员离岗二十分钟，群众排队无人办理"}, "findings[1].situation": {"P1.2"},
		"findings[1].person_id": {strconv.FormatInt(personID, 10)}, "findings[1].open_case": {"yes"}}
	photo := jpegWithGPS(t)

	// Without the token: refused, nothing stored.
	nv := url.Values{}
	for k, v := range visit {
		nv[k] = v
	}
	nv.Del("csrf")
	inspWant(t, inspPost(ins, base+"/visit", nv, nil), "visit without csrf", 403)
	// An answer outside its options: 422, the group marked, everything kept.
	badv := url.Values{}
	for k, v := range visit {
		badv[k] = v
	}
	badv.Set("answers.attitude", "还行")
	inspWant(t, inspPost(ins, base+"/visit", badv, nil), "answer outside options", 422, "“服务态度”的回答应为：好、一般、差",
		`<fieldset class="answer" aria-invalid="true"`, "窗口无人，等候二十分钟。", "窗口工作人员离岗二十分钟")
	// A finding slot without text: the slot's field is named (slot 3, sent as the 2nd finding).
	badv = url.Values{}
	for k, v := range visit {
		badv[k] = v
	}
	badv.Set("findings[2].situation", "P1.2")
	inspWant(t, inspPost(ins, base+"/visit", badv, nil), "finding without text", 422, `<details class="action" open><summary>再记一条发现（3）`, `id="f3-text" name="findings[2].text" rows="3" maxlength="10000" aria-invalid="true"`)
	// A visit outside the period.
	badv.Del("findings[2].situation")
	badv.Set("at", "2026-02-20T10:00")
	inspWant(t, inspPost(ins, base+"/visit", badv, nil), "visit outside period", 422, "走访时间不在检查期限内")
	// A text file is not evidence.
	inspWant(t, inspPost(ins, base+"/visit", visit, map[string][]byte{"note.txt": []byte("plain text, not a photo")}), "text file", 422, "只接受照片")

	res = inspPost(ins, base+"/visit", visit, map[string][]byte{"IMG_0001.jpg": photo})
	inspWant(t, res, "visit", 303)
	vm := visitIDRe.FindStringSubmatch(res.Header.Get("Location"))
	if vm == nil || vm[1] != id {
		t.Fatalf("visit redirect %q", res.Header.Get("Location"))
	}
	iid, _ := strconv.ParseInt(id, 10, 64)
	plan, err := h.App.Inspections.Get(context.Background(), auth.Principal{UserID: 1, Username: "leader", Role: auth.Leader}, iid)
	if err != nil || len(plan.Visits) != 1 || len(plan.Visits[0].Findings) != 1 || plan.Visits[0].Findings[0].CaseID == nil {
		t.Fatalf("stored plan: %+v %v", plan, err)
	}
	fnd := plan.Visits[0].Findings[0]
	if len(plan.Visits[0].Attachments) != 1 || plan.Visits[0].Answers["attitude"] != "差" {
		t.Fatalf("stored visit: %+v", plan.Visits[0])
	}
	// The covert plan's case: the director does not know of it until the
	// plan is done; a leader does.
	director := auth.Principal{Role: auth.Director, UserID: 1, Username: "d"}
	if _, err := h.App.Cases.Get(context.Background(), director, *fnd.CaseID); err == nil {
		t.Fatalf("the director reads the covert plan's case before it is done")
	}
	c, err := h.App.Cases.Get(context.Background(), auth.Principal{Role: auth.Leader, UserID: 1, Username: "l"}, *fnd.CaseID)
	if err != nil || c.Channel != "inspection" || c.Situation != "P1.2" || len(c.Attachments) != 1 {
		t.Fatalf("case of the finding: %+v %v", c, err)
	}
	cid := strconv.FormatInt(*fnd.CaseID, 10)
	aid := strconv.FormatInt(plan.Visits[0].Attachments[0].ID, 10)
	pg := ins.get(res.Header.Get("Location"))
	inspWant(t, pg, "plan page after visit", 200, "走访记录已保存", `id="insp-created"`, `href="/staff/cases/`+cid+`">`+fnd.Receipt+`</a>`,
		"窗口工作人员离岗二十分钟", "P1.2", "王某某", `<img src="/api/v1/inspections/`+id+`/attachments/`+aid+`"`, "服务态度</dt><dd>差")
	// The photo is served with its location metadata (evidence) to the inspector.
	if a := ins.get("/api/v1/inspections/" + id + "/attachments/" + aid); a.Status != 200 || !strings.Contains(a.Body, "GPS-EVIDENCE") {
		t.Fatalf("attachment: %d", a.Status)
	}
	// The inspection report, with the session cookie, names the case.
	inspWant(t, ins.get("/api/v1/inspections/"+id+"/report"), "report", 200, fnd.Receipt)

	// Done, then done again (409 on the page), then no more visits (409).
	dtok := csrfRe.FindStringSubmatch(pg.Body)[1]
	res = ins.post(base+"/done", url.Values{"csrf": {dtok}})
	inspWant(t, res, "done", 303)
	inspWant(t, ins.get(res.Header.Get("Location")), "done page", 200, "检查已标记为结束", `data-state="done"`)
	inspWant(t, ins.post(base+"/done", url.Values{"csrf": {dtok}}), "done twice", 409, "该检查已经结束", `id="insp-title"`)
	inspWant(t, inspPost(ins, base+"/visit", visit, nil), "visit after done", 409, "该检查已结束")
	inspWant(t, ins.get(base+"/visit"), "visit form after done", 409)
	if _, err := h.App.Cases.Get(context.Background(), director, *fnd.CaseID); err != nil {
		t.Fatalf("the director does not read the case once the plan is done: %v", err)
	}
	inspWant(t, ins.post(base+"/done", url.Values{}), "done without csrf", 403)

	// Done, the covert plan is visible to a clerk, without the photos.
	clerk := newBrowser(t, h)
	clerk.signIn("clerk2", auth.Clerk)
	cp := clerk.get(base)
	inspWant(t, cp, "clerk sees done plan", 200, "服务中心窗口暗访", fnd.Receipt, "1 个附件")
	if strings.Contains(cp.Body, "user:") {
		t.Error("the plan's author or a visit's recorder is shown as an internal actor (user:…), not by name")
	}
	if strings.Contains(cp.Body, "/attachments/") || strings.Contains(cp.Body, `id="mark-done"`) || strings.Contains(cp.Body, `id="visit-new"`) {
		t.Fatal("a clerk is offered the photos or the inspector's actions")
	}
	inspWant(t, clerk.post(base+"/done", url.Values{"csrf": {csrfRe.FindStringSubmatch(cp.Body)[1]}}), "clerk marks done", 403)

	// Signed out, a page sends to the sign-in page.
	anon := newBrowser(t, h)
	if r := anon.get(base); r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/staff/login?next=") {
		t.Fatalf("signed out: %d %s", r.Status, r.Header.Get("Location"))
	}
}

func TestPagesInspectionLanguages(t *testing.T) {
	h := webtest.New(t, "")
	inspOrg(t, h)
	ins := newBrowser(t, h)
	ins.signIn("inspector1", auth.Inspector)
	tok := csrfRe.FindStringSubmatch(ins.get("/staff/inspections/new").Body)[1]
	res := ins.post("/staff/inspections", planForm(tok, "明察", false))
	inspWant(t, res, "plan", 303)
	base := strings.TrimSuffix(res.Header.Get("Location"), "?ok=planned")
	for _, lang := range []string{"zh-CN", "zh-TW", "en"} {
		ins.lang = lang
		for _, path := range []string{"/staff/inspections", "/staff/inspections/new", base, base + "/visit"} {
			pg := ins.get(path + "?lang=" + lang)
			inspWant(t, pg, lang+" "+path, 200, `lang="`+lang+`"`)
			if i := strings.Index(pg.Body, "[insp."); i >= 0 {
				t.Errorf("%s %s: missing key %.40s", lang, path, pg.Body[i:])
			}
			if len(pg.Body) > 100<<10 {
				t.Errorf("%s %s is %d bytes", lang, path, len(pg.Body))
			}
		}
	}
}
