package web_test

import (
	"bytes"
	"image"
	"image/png"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"mashang/internal/accountability"
	"mashang/internal/civil"
	"mashang/internal/config"
	"mashang/internal/web/webtest"
)

func pngBytes() []byte {
	var b bytes.Buffer
	png.Encode(&b, image.NewGray(image.Rect(0, 0, 4, 4)))
	return b.Bytes()
}

func accountabilityInput(person int64, on civil.Date) accountability.DecisionInput {
	return accountability.DecisionInput{PersonID: person, Situation: "P1.2", Sanctions: []string{"circulated_criticism"}, DecidedOn: on}
}

func appealInput(on civil.Date) accountability.AppealInput {
	return accountability.AppealInput{FiledOn: on, Reason: "不服处理决定"}
}

// matrixRow is one request and the answer each principal must get.
type matrixRow struct {
	route string // the registered pattern, "METHOD /path"
	path  string // the request's path ({c1}… filled from the fixture); "" the pattern's own
	body  string // JSON for the API, a form (a=1&b=2) for the pages; the form's token is added
	// want is the status for each principal, in the order of who:
	//   anon admin clerk handler handler2 director leader orgdept inspector liaison liaison2 auditor
	// A write that the policy lets through is sent a body it refuses (422,
	// 409, 404 of a made-up id), so that the fixture never changes; a
	// refusal by the policy is 401, 403, or 404 for a case one may not know.
	want string
	// fresh: the request ends the session (sign-out): each principal gets a new one.
	fresh bool
}

// accessMatrix is every route of mashang, API and pages, with the answer
// each principal gets. It is written out here, by hand, from DOMAIN.md's
// need-to-know rules and CONTRACT.md — not computed from the policy it checks.
var accessMatrix = []matrixRow{
	//                                                                                                        anon adm clk hnd hn2 dir ldr org ins lia li2 aud
	// Service.
	{"GET /healthz", "", "", "200 200 200 200 200 200 200 200 200 200 200 200", false},
	{"GET /api/v1/openapi.json", "", "", "200 200 200 200 200 200 200 200 200 200 200 200", false},
	{"GET /metrics", "", "", "401 200 200 200 200 200 200 200 200 200 200 200", false},
	{"GET /static/", "/static/site.css", "", "200 200 200 200 200 200 200 200 200 200 200 200", false},

	// Sign-in and staff accounts.
	{"POST /api/v1/auth/token", "", `{}`, "422 422 422 422 422 422 422 422 422 422 422 422", false},
	{"DELETE /api/v1/auth/token", "", "", "401 204 204 204 204 204 204 204 204 204 204 204", true},
	{"GET /api/v1/me", "", "", "401 200 200 200 200 200 200 200 200 200 200 200", false},
	{"GET /api/v1/users", "", "", "401 200 403 403 403 403 403 403 403 403 403 200", false},
	{"POST /api/v1/users", "", `{}`, "401 422 403 403 403 403 403 403 403 403 403 403", false},
	{"PATCH /api/v1/users/{id}", "/api/v1/users/{user}", `{"role":"mayor"}`, "401 422 403 403 403 403 403 403 403 403 403 403", false},
	{"POST /api/v1/users/{id}/password-reset", "/api/v1/users/999999/password-reset", "", "401 404 403 403 403 403 403 403 403 403 403 403", false},
	{"GET /api/v1/users/{id}/sign-in-failures", "/api/v1/users/{user}/sign-in-failures", "", "401 200 403 403 403 403 403 403 403 403 403 200", false},
	{"POST /api/v1/me/password", "", `{}`, "401 422 422 422 422 422 422 422 422 422 422 422", false},
	{"GET /api/v1/me/notifications", "", "", "401 200 200 200 200 200 200 200 200 200 200 200", false},
	{"PUT /api/v1/me/notifications", "", `{"choices":{"assigned":"pigeon"}}`, "401 422 422 422 422 422 422 422 422 422 422 422", false},
	{"GET /staff/password", "", "", "303 200 200 200 200 200 200 200 200 200 200 200", false},
	{"POST /staff/password", "", "new=", "401 422 422 422 422 422 422 422 422 422 422 422", false},
	{"GET /staff/login", "", "", "200 303 303 303 303 303 303 303 303 303 303 303", false},
	{"POST /staff/login", "", "username=nobody-{me}&password=wrong", "401 401 401 401 401 401 401 401 401 401 401 401", false},
	{"POST /staff/logout", "", "", "401 303 303 303 303 303 303 303 303 303 303 303", true},
	{"GET /staff", "", "", "301 301 301 301 301 301 301 301 301 301 301 301", false},
	{"GET /staff/{$}", "/staff/", "", "303 303 303 303 303 303 303 303 303 303 303 303", false},
	{"GET /staff/admin", "", "", "303 303 403 403 403 403 403 403 403 403 403 303", false},
	{"GET /staff/admin/users", "", "", "303 200 403 403 403 403 403 403 403 403 403 200", false},
	{"POST /staff/admin/users", "", "username=", "401 422 403 403 403 403 403 403 403 403 403 403", false},

	// Offices.
	{"GET /api/v1/offices", "", "", "401 200 200 200 200 200 200 200 200 200 200 200", false},
	{"POST /api/v1/offices", "", `{}`, "401 422 403 403 403 403 403 403 403 403 403 403", false},
	{"GET /api/v1/offices/{code}", "/api/v1/offices/main", "", "401 200 200 200 200 200 200 200 200 200 200 200", false},
	{"PATCH /api/v1/offices/{code}", "/api/v1/offices/main", `{"limits":{"accept":{"days":0,"unit":"workday"}}}`, "401 422 403 403 403 403 403 403 403 403 403 403", false},
	// The office's own words (profile.write: admin), its notice templates, the first-start checklist.
	{"GET /api/v1/offices/{code}/profile", "/api/v1/offices/main/profile", "", "401 200 200 200 200 200 200 200 200 200 200 200", false},
	{"PUT /api/v1/offices/{code}/profile", "/api/v1/offices/main/profile", `{"channels":{"email":"not an address"}}`, "401 422 403 403 403 403 403 403 403 403 403 403", false},
	{"GET /api/v1/offices/{code}/notice-templates", "/api/v1/offices/main/notice-templates", "", "401 200 403 403 403 403 403 403 403 403 403 200", false},
	{"PUT /api/v1/offices/{code}/notice-templates/{kind}", "/api/v1/offices/main/notice-templates/acceptance", `{"template":"{{.Nope}}"}`, "401 422 403 403 403 403 403 403 403 403 403 403", false},
	{"DELETE /api/v1/offices/{code}/notice-templates/{kind}", "/api/v1/offices/main/notice-templates/nokind", "", "401 404 403 403 403 403 403 403 403 403 403 403", false},
	{"POST /api/v1/offices/{code}/notice-templates/{kind}/preview", "/api/v1/offices/main/notice-templates/refusal/preview", `{"template":""}`, "401 422 403 403 403 403 403 403 403 403 403 403", false},
	{"GET /api/v1/setup", "", "", "401 200 403 403 403 403 403 403 403 403 403 200", false},
	{"GET /staff/admin/start", "", "", "303 200 403 403 403 403 403 403 403 403 403 200", false},
	{"GET /staff/admin/office", "", "", "303 200 403 403 403 403 403 403 403 403 403 200", false},
	{"POST /staff/admin/office", "", "office=nope", "401 404 403 403 403 403 403 403 403 403 403 403", false},
	{"POST /staff/admin/office/rules", "", "calendar=bad", "401 422 403 403 403 403 403 403 403 403 403 403", false},
	{"GET /staff/admin/notices", "", "", "303 200 403 403 403 403 403 403 403 403 403 200", false},
	{"POST /staff/admin/notices", "", "kind=nope", "401 404 403 403 403 403 403 403 403 403 403 403", false},

	// Organisation.
	{"GET /api/v1/units", "", "", "401 200 200 200 200 200 200 200 200 200 200 200", false},
	{"POST /api/v1/units", "", `{}`, "401 422 403 403 403 403 403 403 403 403 403 403", false},
	{"GET /api/v1/units/{code}", "/api/v1/units/A", "", "401 200 200 200 200 200 200 200 200 200 200 200", false},
	{"PATCH /api/v1/units/{code}", "/api/v1/units/A", `{"parent":"NO-SUCH-UNIT"}`, "401 422 403 403 403 403 403 403 403 403 403 403", false},
	{"GET /api/v1/people", "", "", "401 200 200 200 200 200 200 200 200 200 200 200", false},
	{"POST /api/v1/people", "", `{}`, "401 422 403 403 403 403 403 403 403 403 403 403", false},
	{"GET /api/v1/people/{id}", "/api/v1/people/{person}", "", "401 200 200 200 200 200 200 200 200 200 200 200", false},
	{"PATCH /api/v1/people/{id}", "/api/v1/people/{person}", `{"unit":"NO-SUCH-UNIT"}`, "401 422 403 403 403 403 403 403 403 403 403 403", false},
	{"POST /api/v1/org/import", "", `{}`, "401 422 403 403 403 403 403 403 403 403 403 403", false},
	{"GET /staff/admin/units", "", "", "303 200 403 403 403 403 403 403 403 403 403 200", false},
	{"POST /staff/admin/units", "", "code=", "401 422 403 403 403 403 403 403 403 403 403 403", false},
	{"POST /staff/admin/import", "", "", "401 422 403 403 403 403 403 403 403 403 403 403", false},
	{"GET /staff/admin/people", "", "", "303 200 403 403 403 403 403 403 403 403 403 200", false},
	{"POST /staff/admin/people", "", "name=", "401 422 403 403 403 403 403 403 403 403 403 403", false},

	// Reference data.
	{"GET /api/v1/catalog", "", "", "200 200 200 200 200 200 200 200 200 200 200 200", false},
	{"GET /api/v1/catalog/versions", "", "", "401 200 200 200 200 200 200 200 200 200 200 200", false},
	{"POST /api/v1/catalog/versions", "", `{}`, "401 422 403 403 403 403 403 403 403 403 403 403", false},
	{"GET /api/v1/calendar/years", "", "", "401 200 200 200 200 200 200 200 200 200 200 200", false},
	{"POST /api/v1/calendar/years", "", `{}`, "401 422 403 403 403 403 403 403 403 403 403 403", false},
	{"GET /staff/admin/calendar", "", "", "303 200 403 403 403 403 403 403 403 403 403 200", false},
	{"POST /staff/admin/calendar", "", "op=", "401 422 403 403 403 403 403 403 403 403 403 403", false},

	// The public's side.
	{"POST /api/v1/reports", "", `{}`, "422 422 422 422 422 422 422 422 422 422 422 422", false},
	{"POST /api/v1/track", "", `{"receipt":"X","key":"Y"}`, "404 404 404 404 404 404 404 404 404 404 404 404", false},
	{"POST /api/v1/track/messages", "", `{"receipt":"X","key":"Y","body":"hi"}`, "404 404 404 404 404 404 404 404 404 404 404 404", false},
	{"POST /api/v1/track/review", "", `{"receipt":"X","key":"Y"}`, "422 422 422 422 422 422 422 422 422 422 422 422", false},
	{"POST /api/v1/track/rating", "", `{"receipt":"X","key":"Y"}`, "422 422 422 422 422 422 422 422 422 422 422 422", false},
	{"POST /api/v1/track/notices", "", `{"receipt":"X","key":"Y"}`, "404 404 404 404 404 404 404 404 404 404 404 404", false},
	{"POST /api/v1/track/notices/{nid}", "/api/v1/track/notices/1", `{"receipt":"X","key":"Y"}`, "404 404 404 404 404 404 404 404 404 404 404 404", false},
	{"GET /{$}", "/", "", "200 200 200 200 200 200 200 200 200 200 200 200", false},
	{"GET /report", "", "", "200 200 200 200 200 200 200 200 200 200 200 200", false},
	{"POST /report", "", "content=", "422 422 422 422 422 422 422 422 422 422 422 422", false},
	{"GET /report/receipt", "", "", "404 404 404 404 404 404 404 404 404 404 404 404", false},
	{"GET /track", "", "", "200 200 200 200 200 200 200 200 200 200 200 200", false},
	{"POST /track", "", "receipt=X&key=Y", "404 404 404 404 404 404 404 404 404 404 404 404", false},
	{"POST /track/notice", "", "receipt=X&key=Y&notice=1", "404 404 404 404 404 404 404 404 404 404 404 404", false},

	// Cases. c1: assigned to handler; c2: transferred to A1, under liaison's
	// A; c4: opened by a covert plan that is not done; c5: concluded.
	{"POST /api/v1/intake", "", `{}`, "401 422 422 403 403 403 403 403 403 403 403 403", false},
	{"GET /api/v1/cases", "", "", "401 200 200 200 200 200 200 200 200 200 200 200", false},
	{"GET /api/v1/cases/export", "", "", "401 200 200 200 200 200 200 200 200 200 200 200", false},
	{"GET /api/v1/cases/{id}", "/api/v1/cases/{c1}", "", "401 200 200 200 200 200 200 200 200 404 404 200", false},
	{"GET /api/v1/cases/{id}", "/api/v1/cases/{c2}", "", "401 200 200 200 200 200 200 200 200 200 404 200", false},
	{"GET /api/v1/cases/{id}", "/api/v1/cases/{c4}", "", "401 200 404 404 404 404 200 404 200 404 404 200", false},
	{"POST /api/v1/cases/{id}/actions", "/api/v1/cases/{c1}/actions", `{"action":"note"}`, "401 422 422 422 403 422 422 422 422 404 404 403", false},
	{"POST /api/v1/cases/{id}/actions", "/api/v1/cases/{c1}/actions", `{"action":"conclude"}`, "401 422 403 422 403 422 403 403 403 403 403 403", false},
	{"POST /api/v1/cases/{id}/actions", "/api/v1/cases/{c2}/actions", `{"action":"reply"}`, "401 422 403 403 403 422 403 403 403 422 404 403", false},
	{"POST /api/v1/cases/{id}/actions", "/api/v1/cases/{c4}/actions", `{"action":"note"}`, "401 422 404 404 404 404 422 404 422 404 404 403", false},
	{"GET /api/v1/cases/{id}/attachments", "/api/v1/cases/{c1}/attachments", "", "401 200 200 200 200 200 200 200 200 404 404 200", false},
	{"GET /api/v1/cases/{id}/notices", "/api/v1/cases/{c1}/notices", "", "401 200 200 200 200 200 200 200 200 404 404 200", false},
	{"GET /api/v1/cases/{id}/notices/{nid}/{format}", "/api/v1/cases/{c1}/notices/999999/html", "", "401 404 404 404 404 404 404 404 404 404 404 404", false},
	// The print queue of notices that go by post (letter.post: clerk, director, admin).
	{"GET /api/v1/letters/post", "", "", "401 200 200 403 403 200 403 403 403 403 403 403", false},
	{"POST /api/v1/letters/post/{nid}", "/api/v1/letters/post/999999", "", "401 404 404 403 403 404 403 403 403 403 403 403", false},
	{"GET /staff/post", "", "", "303 200 200 403 403 200 403 403 403 403 403 403", false},
	{"POST /staff/post/{nid}", "/staff/post/999999", "", "401 404 404 403 403 404 403 403 403 403 403 403", false},
	{"GET /api/v1/attachments/{id}", "/api/v1/attachments/{att1}", "", "401 200 200 200 404 200 200 404 404 404 404 200", false},
	{"GET /api/v1/cases/{id}/messages", "/api/v1/cases/{c1}/messages", "", "401 200 200 200 403 200 200 403 403 403 403 200", false},
	{"POST /api/v1/cases/{id}/messages", "/api/v1/cases/{c1}/messages", `{}`, "401 422 422 422 403 422 422 403 403 403 403 403", false},
	{"GET /api/v1/cases/{id}/reporter", "/api/v1/cases/{c1}/reporter", "", "401 200 200 200 403 200 200 403 403 403 403 200", false},
	{"POST /api/v1/cases/{id}/reporter/reveal", "/api/v1/cases/{c1}/reporter/reveal", `{}`, "401 422 403 403 403 422 422 403 403 403 403 403", false},
	{"GET /api/v1/cases/{id}/repeat-reporter", "/api/v1/cases/{c1}/repeat-reporter", "", "401 200 200 200 403 200 200 403 403 403 403 200", false},
	{"GET /staff/desk", "", "", "303 200 200 403 403 403 403 403 403 403 403 403", false},
	{"POST /staff/desk", "", "channel=hotline&content=", "401 422 422 403 403 403 403 403 403 403 403 403", false},
	{"POST /staff/desk/earlier", "", "phone=", "401 200 200 403 403 403 403 403 403 403 403 403", false},
	{"GET /staff/cases", "", "", "303 200 200 200 200 200 200 200 200 200 200 200", false},
	{"GET /staff/cases/{id}", "/staff/cases/{c1}", "", "303 200 200 200 200 200 200 200 200 404 404 200", false},
	{"GET /staff/cases/{id}", "/staff/cases/{c4}", "", "303 200 404 404 404 404 200 404 200 404 404 200", false},
	{"POST /staff/cases/{id}/act", "/staff/cases/{c1}/act", "action=note", "401 422 422 422 403 422 422 422 422 404 404 403", false},
	{"POST /staff/cases/{id}/messages", "/staff/cases/{c1}/messages", "body=", "401 422 422 422 403 422 422 403 403 403 403 403", false},
	{"POST /staff/cases/{id}/reveal", "/staff/cases/{c1}/reveal", "reason=", "401 422 403 403 403 422 422 403 403 403 403 403", false},

	// Figures.
	{"GET /api/v1/stats", "", "", "401 200 200 200 200 200 200 200 200 200 200 200", false},
	{"GET /api/v1/reports/summary", "/api/v1/reports/summary?month=2026-03", "", "401 200 403 403 403 200 200 200 403 403 403 200", false},
	{"GET /staff/overview", "", "", "303 200 200 200 200 200 200 200 200 200 200 200", false},

	// Supervision.
	{"GET /api/v1/notices", "", "", "401 200 403 403 403 200 200 403 403 403 403 200", false},
	{"POST /api/v1/notices/{id}/read", "/api/v1/notices/999999/read", "", "401 404 403 403 403 404 404 403 403 403 403 403", false},
	{"POST /api/v1/jobs/sweep", "", "", "401 200 403 403 403 403 403 403 403 403 403 403", false},
	{"GET /api/v1/callbacks", "", "", "401 200 200 403 403 200 200 403 403 403 403 200", false},
	{"POST /api/v1/callbacks/{id}", "/api/v1/callbacks/999999", `{}`, "401 422 422 403 403 403 403 403 403 403 403 403", false},
	{"GET /staff/callbacks", "", "", "303 200 200 403 403 200 200 403 403 403 403 200", false},
	{"POST /staff/callbacks/{id}", "/staff/callbacks/999999", "result=", "401 422 422 403 403 403 403 403 403 403 403 403", false},
	{"GET /api/v1/outbox", "", "", "401 200 403 403 403 403 403 403 403 403 403 200", false},
	{"POST /api/v1/outbox/{id}/retry", "/api/v1/outbox/999999/retry", "", "401 404 403 403 403 403 403 403 403 403 403 403", false},
	{"POST /api/v1/jobs/notify", "", "", "401 200 403 403 403 403 403 403 403 403 403 403", false},
	{"GET /staff/notices", "", "", "303 200 403 403 403 200 200 403 403 403 403 200", false},
	{"POST /staff/notices/{id}/read", "/staff/notices/999999/read", "", "401 404 403 403 403 404 404 403 403 403 403 403", false},
	{"POST /staff/notices/read", "", "", "401 422 403 403 403 422 422 403 403 403 403 403", false},

	// Accountability.
	{"POST /api/v1/cases/{id}/decisions", "/api/v1/cases/{c5}/decisions", `{}`, "401 422 403 403 403 422 403 403 403 403 403 403", false},
	{"GET /api/v1/decisions/{id}", "/api/v1/decisions/{dec}", "", "401 200 403 403 403 200 200 200 403 403 403 200", false},
	{"POST /api/v1/decisions/{id}/approve", "/api/v1/decisions/{dec}/approve", "", "401 409 403 403 403 403 409 403 403 403 403 403", false},
	{"POST /api/v1/decisions/{id}/appeals", "/api/v1/decisions/{dec}/appeals", `{}`, "401 422 403 403 403 422 403 422 403 403 403 403", false},
	{"GET /api/v1/appeals", "", "", "401 200 403 403 403 200 200 200 403 403 403 200", false},
	{"GET /api/v1/appeals/{id}", "/api/v1/appeals/{ap}", "", "401 200 403 403 403 200 200 200 403 403 403 200", false},
	{"POST /api/v1/appeals/{id}/outcome", "/api/v1/appeals/{ap}/outcome", `{}`, "401 422 403 403 403 403 422 422 403 403 403 403", false},
	{"GET /api/v1/people/{id}/eligibility", "/api/v1/people/{person}/eligibility", "", "401 200 403 403 403 403 200 200 403 403 403 200", false},
	{"POST /api/v1/eligibility", "", `{}`, "401 422 403 403 403 403 422 422 403 403 403 422", false},
	{"GET /api/v1/people/{id}/record", "/api/v1/people/{person}/record", "", "401 200 403 403 403 200 200 200 403 403 403 200", false},
	{"GET /api/v1/accountability/settings", "", "", "401 200 403 403 403 200 200 200 403 403 403 200", false},
	{"PUT /api/v1/accountability/settings", "", `{"decision_approval":false}`, "401 200 403 403 403 403 403 403 403 403 403 403", false},
	{"POST /staff/cases/{id}/decisions", "/staff/cases/{c5}/decisions", "person_id=", "401 422 403 403 403 422 403 403 403 403 403 403", false},
	{"GET /staff/eligibility", "", "", "303 200 403 403 403 403 200 200 403 403 403 200", false},
	{"GET /staff/notifications", "", "", "303 200 200 200 200 200 200 200 200 200 200 200", false},
	{"POST /staff/notifications", "", "k_assigned=fax", "401 422 422 422 422 422 422 422 422 422 422 422", false},
	{"GET /staff/admin/outbox", "", "", "303 200 403 403 403 403 403 403 403 403 403 200", false},
	{"POST /staff/admin/outbox/{id}/retry", "/staff/admin/outbox/999999/retry", "", "401 404 403 403 403 403 403 403 403 403 403 403", false},
	{"GET /staff/eligibility/export", "", "", "303 422 403 403 403 403 422 422 403 403 403 422", false},
	{"GET /staff/people/{id}", "/staff/people/{person}", "", "303 200 403 403 403 200 200 200 403 403 403 200", false},
	{"POST /staff/people/{id}", "/staff/people/{person}", "op=", "401 422 403 403 403 422 422 422 403 403 403 403", false},

	// Inspections. insp: announced and done; inspc: covert, under way.
	{"POST /api/v1/inspections", "", `{}`, "401 422 403 403 403 403 403 403 422 403 403 403", false},
	{"GET /api/v1/inspections", "", "", "401 200 200 200 200 200 200 200 200 200 200 200", false},
	{"GET /api/v1/inspections/{id}", "/api/v1/inspections/{insp}", "", "401 200 200 200 200 200 200 200 200 200 200 200", false},
	{"GET /api/v1/inspections/{id}", "/api/v1/inspections/{inspc}", "", "401 200 404 404 404 404 200 404 200 404 404 200", false},
	{"POST /api/v1/inspections/{id}/visits", "/api/v1/inspections/{insp}/visits", `{}`, "401 409 403 403 403 403 403 403 409 403 403 403", false},
	{"POST /api/v1/inspections/{id}/done", "/api/v1/inspections/{insp}/done", "", "401 409 403 403 403 403 403 403 409 403 403 403", false},
	{"GET /api/v1/inspections/{id}/report", "/api/v1/inspections/{insp}/report", "", "401 200 200 200 200 200 200 200 200 200 200 200", false},
	{"GET /api/v1/inspections/{id}/attachments/{aid}", "/api/v1/inspections/{insp}/attachments/{iatt}", "", "401 200 403 403 403 403 200 403 200 403 403 200", false},
	{"GET /staff/inspections", "", "", "303 200 200 200 200 200 200 200 200 200 200 200", false},
	{"POST /staff/inspections", "", "title=", "401 422 403 403 403 403 403 403 422 403 403 403", false},
	{"GET /staff/inspections/new", "", "", "303 200 403 403 403 403 403 403 200 403 403 403", false},
	{"GET /staff/inspections/{id}", "/staff/inspections/{insp}", "", "303 200 200 200 200 200 200 200 200 200 200 200", false},
	{"GET /staff/inspections/{id}", "/staff/inspections/{inspc}", "", "303 200 404 404 404 404 200 404 200 404 404 200", false},
	{"GET /staff/inspections/{id}/visit", "/staff/inspections/{insp}/visit", "", "303 409 403 403 403 403 403 403 409 403 403 403", false},
	{"POST /staff/inspections/{id}/visit", "/staff/inspections/{insp}/visit", "place=", "401 409 403 403 403 403 403 403 409 403 403 403", false},
	{"POST /staff/inspections/{id}/done", "/staff/inspections/{insp}/done", "", "401 409 403 403 403 403 403 403 409 403 403 403", false},

	// Publications. pub: withdrawn, so every step on it is refused.
	{"POST /api/v1/publications", "", `{}`, "401 422 403 403 403 422 403 403 403 403 403 403", false},
	{"GET /api/v1/publications", "", "", "401 200 403 403 403 200 200 403 403 403 403 200", false},
	{"GET /api/v1/publications/{id}", "/api/v1/publications/{pub}", "", "401 200 403 403 403 200 200 403 403 403 403 200", false},
	{"POST /api/v1/publications/{id}/approve", "/api/v1/publications/{pub}/approve", "", "401 409 403 403 403 403 409 403 403 403 403 403", false},
	{"POST /api/v1/publications/{id}/publish", "/api/v1/publications/{pub}/publish", "", "401 409 403 403 403 409 409 403 403 403 403 403", false},
	{"POST /api/v1/publications/{id}/withdraw", "/api/v1/publications/{pub}/withdraw", "", "401 409 403 403 403 409 409 403 403 403 403 403", false},
	{"GET /staff/publications", "", "", "303 200 403 403 403 200 200 403 403 403 403 200", false},
	{"POST /staff/publications", "", "title=", "401 422 403 403 403 422 403 403 403 403 403 403", false},
	{"GET /staff/publications/new", "", "", "303 200 403 403 403 200 403 403 403 403 403 403", false},
	{"POST /staff/publications/{id}/approve", "/staff/publications/{pub}/approve", "", "401 409 403 403 403 403 409 403 403 403 403 403", false},
	{"POST /staff/publications/{id}/publish", "/staff/publications/{pub}/publish", "", "401 409 403 403 403 409 409 403 403 403 403 403", false},
	{"POST /staff/publications/{id}/withdraw", "/staff/publications/{pub}/withdraw", "", "401 409 403 403 403 409 409 403 403 403 403 403", false},

	// The audit log.
	{"GET /api/v1/audit", "", "", "401 200 403 403 403 403 403 403 403 403 403 200", false},
	{"GET /api/v1/audit/verify", "", "", "401 200 403 403 403 403 403 403 403 403 403 200", false},
	{"GET /public/log", "", "", "200 200 200 200 200 200 200 200 200 200 200 200", false},
	{"GET /public/log/checkpoint", "", "", "404 404 404 404 404 404 404 404 404 404 404 404", false}, // none signed yet in the fixture
	{"GET /public/log/key", "", "", "200 200 200 200 200 200 200 200 200 200 200 200", false},
	{"GET /public/log/checkpoints", "", "", "200 200 200 200 200 200 200 200 200 200 200 200", false},
	{"GET /public/log/proof", "", "", "422 422 422 422 422 422 422 422 422 422 422 422", false},
	{"GET /public/log/inclusion", "", "", "422 422 422 422 422 422 422 422 422 422 422 422", false},

	// The public portal.
	{"GET /public/{$}", "/public/", "", "303 303 303 303 303 303 303 303 303 303 303 303", false},
	{"GET /public/exposures", "", "", "200 200 200 200 200 200 200 200 200 200 200 200", false},
	{"GET /public/exposures/{id}", "/public/exposures/999999", "", "404 404 404 404 404 404 404 404 404 404 404 404", false},
	{"GET /public/exemplars", "", "", "200 200 200 200 200 200 200 200 200 200 200 200", false},
	{"GET /public/exemplars/{id}", "/public/exemplars/{pub}", "", "404 404 404 404 404 404 404 404 404 404 404 404", false},
	{"GET /public/stats", "", "", "200 200 200 200 200 200 200 200 200 200 200 200", false},
	{"GET /public/feed.atom", "", "", "200 200 200 200 200 200 200 200 200 200 200 200", false},
	{"GET /api/v1/public/exposures", "", "", "200 200 200 200 200 200 200 200 200 200 200 200", false},
	{"GET /api/v1/public/exposures/{id}", "/api/v1/public/exposures/999999", "", "404 404 404 404 404 404 404 404 404 404 404 404", false},
	{"GET /api/v1/public/exemplars", "", "", "200 200 200 200 200 200 200 200 200 200 200 200", false},
	{"GET /api/v1/public/exemplars/{id}", "/api/v1/public/exemplars/{pub}", "", "404 404 404 404 404 404 404 404 404 404 404 404", false},
	{"GET /api/v1/public/stats", "", "", "200 200 200 200 200 200 200 200 200 200 200 200", false},
}

// reporterFields says, per principal (the order of who), whether an answer
// shows c1's reporter — every one of the markers ("Y": the masked phone, a
// word of the thread, the name of the reporter's file, as the answer would
// hold them) or none ("-"); "." where the principal gets no such answer.
// The identity in clear is never anywhere.
var reporterFields = []struct {
	what, path string
	markers    []string
	want       string
}{
	//                                                                                                                       anon adm clk hnd hn2 dir ldr org ins lia li2 aud
	{"the case, API", "/api/v1/cases/{c1}", []string{accMasked, accThread, accFile} /*                          */, ". Y Y Y - Y Y - - . . Y"},
	{"the case page", "/staff/cases/{c1}", []string{accMasked, accThread, accFile} /*                           */, ". Y Y Y - Y Y - - . . Y"},
	{"the attachments of the case", "/api/v1/cases/{c1}/attachments", []string{accFile} /*                        */, ". Y Y Y - Y Y - - . . Y"},
	{"the case list, API", "/api/v1/cases?q=%E6%A2%85%E6%BA%AA", []string{accMasked} /*                              */, ". Y Y Y - Y Y - - - - Y"},
	{"search by a word of the thread, API", "/api/v1/cases?q=" + accThread, []string{accThread} /*                   */, ". Y Y Y - Y Y - - - - Y"},
	{"the case list page", "/staff/cases?state=investigating", []string{accMasked} /*                                */, ". - - - - - - - - - - -"},
	{"the export", "/api/v1/cases/export?format=csv", []string{accMasked} /*                                         */, ". - - - - - - - - - - -"},
	{"the repeat reporter's other case, API", "/api/v1/cases/{c3}", []string{accMasked} /*                            */, ". Y Y - - Y Y - - . . Y"},
}

// noLimits is the configuration of the access tests: the same address asks
// many times, and the per-address limits would answer 429.
func noLimits(c *config.Config) { c.NoRateLimit = true }

func TestAccessMatrix(t *testing.T) {
	enginesWith(t, noLimits, func(t *testing.T, h *webtest.Harness) {
		f := newAccessFix(t, h)
		// Every registered route has a row: a new route cannot slip past.
		covered := map[string]bool{}
		for _, r := range accessMatrix {
			covered[r.route] = true
		}
		for _, r := range h.Server.Routes() {
			if !covered[r.Method+" "+r.Path] {
				t.Errorf("route %s %s has no row in accessMatrix", r.Method, r.Path)
			}
		}
		for _, row := range accessMatrix {
			method, pattern, _ := strings.Cut(row.route, " ")
			path := row.path
			if path == "" {
				path = pattern
			}
			want := strings.Fields(row.want)
			if len(want) != len(who) {
				t.Fatalf("%s: %d answers for %d principals", row.route, len(want), len(who))
			}
			var got []string
			for _, name := range who {
				a := f.call(name, method, path, row.body)
				got = append(got, strconv.Itoa(a.status))
				if row.fresh {
					f.refresh(name) // the request signed name out
				}
			}
			if g := strings.Join(got, " "); g != strings.Join(want, " ") {
				t.Errorf("%s %s\n got  %s\n want %s\n      (anon admin clerk handler handler2 director leader orgdept inspector liaison liaison2 auditor)", method, f.fill(path), g, strings.Join(want, " "))
			}
		}
		for _, rf := range reporterFields {
			want := strings.Fields(rf.want)
			for i, name := range who {
				if want[i] == "." {
					continue
				}
				a := f.call(name, http.MethodGet, rf.path, "")
				if a.status != 200 {
					t.Errorf("%s as %s: %d", rf.what, name, a.status)
					continue
				}
				if got := reporterIn(a.body, rf.markers); got != want[i] {
					t.Errorf("%s as %s: reporter fields %s, want %s", rf.what, name, got, want[i])
				}
			}
		}
	})
}

// reporterIn says whether an answer shows the reporter: "Y" when it holds
// every marker, "-" when none, "?" for some; "clear!" when it holds the
// identity in clear (never right).
func reporterIn(body string, markers []string) string {
	if strings.Contains(body, accName) || strings.Contains(body, accPhone) {
		return "clear!"
	}
	var hits int
	for _, s := range markers {
		if strings.Contains(body, s) {
			hits++
		}
	}
	switch hits {
	case 0:
		return "-"
	case len(markers):
		return "Y"
	}
	return "?"
}
