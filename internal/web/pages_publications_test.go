package web_test

import (
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"mashang/internal/auth"
	"mashang/internal/web/webtest"
)

var pubIDRe = regexp.MustCompile(`^/staff/publications\?ok=proposed#pub-(\d+)$`)

func TestPagesPublications(t *testing.T) {
	h := webtest.New(t, "")
	personID := inspOrg(t, h)
	open := strconv.FormatInt(concludedCase(t, h, personID, false), 10)
	decided := strconv.FormatInt(concludedCase(t, h, personID, true), 10)
	anon := newBrowser(t, h)
	dir := newBrowser(t, h)
	dir.signIn("director1", auth.Director)
	lead := newBrowser(t, h)
	lead.signIn("leader1", auth.Leader)

	list := dir.get("/staff/publications")
	inspWant(t, list, "empty list", 200, `id="pub-none"`, `action="/staff/publications/new"`, "撰写“马上就办”典型")
	nf := dir.get("/staff/publications/new?case=" + decided)
	inspWant(t, nf, "form for the decided case", 200, `id="pub-case"`, "已办结", "P1.2", "通报批评", `name="case_id" inputmode="numeric" value="`+decided+`"`,
		`id="kind-exposure" checked`)
	tok := csrfRe.FindStringSubmatch(nf.Body)[1]
	inspWant(t, dir.get("/staff/publications/new?case=999999"), "unknown case", 404)
	inspWant(t, dir.get("/staff/publications/new?kind=exemplar"), "exemplar form", 200, `id="kind-exemplar" checked`)

	good := url.Values{"csrf": {tok}, "kind": {"exposure"}, "case_id": {decided}, "title": {"县行政服务中心窗口推诿群众被通报批评"},
		"body": {"经查，该中心窗口工作人员王某某对群众办事推诿扯皮。\n给予王某某通报批评。"}}
	with := func(k, v string) url.Values {
		f := url.Values{}
		for kk, vv := range good {
			f[kk] = vv
		}
		if v == "" {
			f.Del(k)
		} else {
			f.Set(k, v)
		}
		return f
	}
	inspWant(t, dir.post("/staff/publications", with("csrf", "")), "propose without csrf", 403)
	inspWant(t, dir.post("/staff/publications", with("csrf", "forged")), "propose with a forged token", 403)
	// The reporter's phone or name in the text: 422, shown inline, the text kept.
	for _, body := range []string{"举报人电话 138 1234 5678 反映。", "实名举报人李建国反映"} {
		inspWant(t, dir.post("/staff/publications", with("body", body)), "text naming the reporter", 422,
			"公开文本含有举报人的身份信息", `aria-invalid="true" aria-describedby="form-error">`+body, `id="pub-case"`, "县行政服务中心窗口推诿群众被通报批评")
	}
	// A case without a decision in force: 409 on the form.
	inspWant(t, dir.post("/staff/publications", with("case_id", open)), "case without decision", 409, "只有已办结并有生效问责决定的案件才能曝光")
	inspWant(t, dir.post("/staff/publications", with("title", "")), "no title", 422, `id="title" name="title" required maxlength="200" value="" aria-invalid="true"`)
	inspWant(t, dir.post("/staff/publications", with("case_id", "abc")), "bad case id", 422, "案件编号应为数字")

	res := dir.post("/staff/publications", good)
	inspWant(t, res, "propose", 303)
	m := pubIDRe.FindStringSubmatch(res.Header.Get("Location"))
	if m == nil {
		t.Fatalf("propose redirect %q", res.Header.Get("Location"))
	}
	id := m[1]
	dl := dir.get("/staff/publications?ok=proposed")
	inspWant(t, dl, "director's list", 200, "已提交，等待领导批准", `id="pub-`+id+`" data-state="proposed"`, `id="withdraw-`+id+`"`)
	if strings.Contains(dl.Body, `id="approve-`+id+`"`) || strings.Contains(dl.Body, `id="publish-`+id+`"`) {
		t.Fatal("the director is offered approve or publish on a proposal")
	}
	if i := strings.Index(dl.Body, `id="pub-`+id+`"`); i < 0 || strings.Contains(dl.Body[i:], "user:") {
		t.Error("the proposer is shown as an internal actor (user:…), not by name")
	}
	dtok := csrfRe.FindStringSubmatch(dl.Body)[1]
	inspWant(t, dir.post("/staff/publications/"+id+"/approve", url.Values{"csrf": {dtok}}), "director approves", 403)
	// Publishing before approval: 409, the list shown again with the message.
	inspWant(t, dir.post("/staff/publications/"+id+"/publish", url.Values{"csrf": {dtok}}), "publish unapproved", 409, "未经领导批准，不能公开", `id="pub-`+id+`"`)
	inspWant(t, anon.get("/public/exposures/"+id), "portal before approval", 404)

	ll := lead.get("/staff/publications")
	inspWant(t, ll, "leader's list", 200, `id="approve-`+id+`"`)
	ltok := csrfRe.FindStringSubmatch(ll.Body)[1]
	inspWant(t, lead.post("/staff/publications/"+id+"/approve", url.Values{}), "approve without csrf", 403)
	res = lead.post("/staff/publications/"+id+"/approve", url.Values{"csrf": {ltok}})
	inspWant(t, res, "approve", 303)
	inspWant(t, lead.get(res.Header.Get("Location")), "after approval", 200, "已批准，可以发布", `id="publish-`+id+`"`, "leader1")
	inspWant(t, lead.post("/staff/publications/"+id+"/approve", url.Values{"csrf": {ltok}}), "approve twice", 409, "只有待审批的事项才能批准")
	inspWant(t, anon.get("/public/exposures/"+id), "portal before publication", 404)
	res = dir.post("/staff/publications/"+id+"/publish", url.Values{"csrf": {dtok}})
	inspWant(t, res, "publish", 303)
	inspWant(t, dir.get(res.Header.Get("Location")), "after publication", 200, "已在公开平台发布", `data-published="true"`, `href="/public/exposures/`+id+`"`)
	inspWant(t, dir.post("/staff/publications/"+id+"/publish", url.Values{"csrf": {dtok}}), "publish twice", 409, "该事项已经公开")
	inspWant(t, anon.get("/public/exposures/"+id), "portal after publication", 200, "县行政服务中心窗口推诿群众被通报批评")

	// An exemplar without a case, then withdrawn.
	res = dir.post("/staff/publications", url.Values{"csrf": {dtok}, "kind": {"exemplar"}, "title": {"不动产登记“一窗受理”当日办结"},
		"body": {"县不动产登记中心推行一窗受理，群众当日即可领证。"}})
	inspWant(t, res, "exemplar", 303)
	ex := pubIDRe.FindStringSubmatch(res.Header.Get("Location"))[1]
	inspWant(t, dir.get("/staff/publications?kind=exemplar"), "exemplars only", 200, `id="pub-`+ex+`"`)
	if l := dir.get("/staff/publications?kind=exemplar"); strings.Contains(l.Body, `id="pub-`+id+`"`) {
		t.Fatal("the exemplar filter lists the exposure")
	}
	res = dir.post("/staff/publications/"+ex+"/withdraw", url.Values{"csrf": {dtok}})
	inspWant(t, res, "withdraw", 303)
	inspWant(t, dir.post("/staff/publications/"+ex+"/withdraw", url.Values{"csrf": {dtok}}), "withdraw twice", 409, "该事项已经撤回")
	inspWant(t, dir.get("/staff/publications?state=withdrawn"), "withdrawn list", 200, `id="pub-`+ex+`" data-state="withdrawn"`)

	// Other roles: a clerk may not open the pages; an auditor reads without actions.
	clerk := newBrowser(t, h)
	clerk.signIn("clerk1", auth.Clerk)
	inspWant(t, clerk.get("/staff/publications"), "clerk list", 403)
	aud := newBrowser(t, h)
	aud.signIn("auditor1", auth.Auditor)
	al := aud.get("/staff/publications")
	inspWant(t, al, "auditor list", 200, `id="pub-`+id+`"`)
	if strings.Contains(al.Body, `action="/staff/publications/`) || strings.Contains(al.Body, `id="pub-case-form"`) {
		t.Fatal("an auditor is offered actions")
	}
	inspWant(t, aud.get("/staff/publications/new?case="+decided), "auditor form", 403)
}
