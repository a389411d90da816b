package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"mashang/internal/auth"
	"mashang/internal/web"
	"mashang/internal/web/webtest"
)

func TestCatalog(t *testing.T) {
	h := webtest.New(t, "")
	r := h.Must(200, "GET", "/api/v1/catalog", "", nil)
	var cat struct {
		Version    string
		Situations []struct{ Code, Subject, Category, Name string }
		Sanctions  []struct{ Code, Group, Name string }
	}
	if err := json.Unmarshal(r.Raw, &cat); err != nil {
		t.Fatal(err)
	}
	perCat := map[string]int{}
	subj := map[string]int{}
	for _, s := range cat.Situations {
		perCat[s.Category]++
		subj[s.Subject]++
		if s.Name == "" || !strings.HasPrefix(s.Code, s.Category+".") {
			t.Errorf("situation %+v", s)
		}
	}
	want := map[string]int{"U1": 5, "U2": 5, "U3": 5, "P1": 5, "P2": 4, "P3": 6}
	if len(cat.Situations) != 30 || subj["unit"] != 15 || subj["person"] != 15 {
		t.Fatalf("%d situations, %v", len(cat.Situations), subj)
	}
	for k, v := range want {
		if perCat[k] != v {
			t.Errorf("category %s: %d, want %d", k, perCat[k], v)
		}
	}
	if len(cat.Sanctions) != 21 || cat.Version == "" {
		t.Fatalf("%d sanctions, version %q", len(cat.Sanctions), cat.Version)
	}
	names := map[string]string{}
	for _, s := range cat.Sanctions {
		names[s.Code] = s.Name
	}
	if names["removal"] != "免职" || names["suspension"] != "停职检查" || names["gov_demerit"] != "记过" {
		t.Fatalf("Chinese sanction names: %v", names)
	}
	tw := h.Must(200, "GET", "/api/v1/catalog?lang=zh-TW", "", nil)
	if !strings.Contains(string(tw.Raw), "消極應付") || strings.Contains(string(tw.Raw), "消极应付") {
		t.Fatal("zh-TW names are not Traditional")
	}
	en := h.Do("GET", "/api/v1/catalog", "", nil, "Accept-Language: en-GB,en;q=0.8")
	if !strings.Contains(string(en.Raw), `"name":"Removal`) && !strings.Contains(strings.ToLower(string(en.Raw)), "removal") {
		t.Fatal("English by Accept-Language")
	}
}

func TestHealthz(t *testing.T) {
	h := webtest.New(t, "")
	h.Must(200, "GET", "/healthz", "", nil)
}

// TestFoundationBadInput walks the bad inputs of the foundation on both engines:
// each gets the JSON error format with the right status, and nothing is
// half-written.
func TestFoundationBadInput(t *testing.T) {
	webtest.Engines(t, func(t *testing.T, h *webtest.Harness) {
		admin := h.Token(auth.Admin)
		clerk := h.Token(auth.Clerk)
		h.Must(201, "POST", "/api/v1/units", admin, map[string]any{"code": "MQ", "name": "闽清县", "kind": "county"})
		big := `{"code":"X","name":"` + strings.Repeat("长", 600000) + `"}`
		cases := []struct {
			name, method, path, token string
			body                      any
			status                    int
			code, field               string
		}{
			{"malformed json", "POST", "/api/v1/units", admin, `{"code": "A",`, 400, "malformed_json", ""},
			{"not an object", "POST", "/api/v1/units", admin, `[1,2]`, 400, "malformed_json", ""},
			{"invalid utf-8", "POST", "/api/v1/units", admin, []byte("{\"code\":\"A\",\"name\":\"\xff\xfe\"}"), 400, "invalid_utf8", ""},
			{"missing field", "POST", "/api/v1/units", admin, map[string]any{"code": "A"}, 422, "required", "name"},
			{"wrong type", "POST", "/api/v1/units", admin, `{"code": 5, "name": "x"}`, 422, "invalid_type", "code"},
			{"unknown field", "POST", "/api/v1/units", admin, `{"code": "A", "name": "x", "colour": "red"}`, 422, "unknown_field", "colour"},
			{"unknown parent", "POST", "/api/v1/units", admin, map[string]any{"code": "A", "name": "x", "parent": "NOPE"}, 422, "unknown_unit", "parent"},
			{"duplicate code", "POST", "/api/v1/units", admin, map[string]any{"code": "MQ", "name": "again"}, 409, "duplicate_unit_code", ""},
			{"oversize", "POST", "/api/v1/units", admin, big, 413, "body_too_large", ""},
			{"unknown unit for person", "POST", "/api/v1/people", admin, map[string]any{"name": "王五", "unit": "NOPE"}, 422, "unknown_unit", "unit"},
			{"no token", "POST", "/api/v1/units", "", map[string]any{"code": "B", "name": "b"}, 401, "unauthenticated", ""},
			{"wrong token", "POST", "/api/v1/units", "not-a-token", map[string]any{"code": "B", "name": "b"}, 401, "invalid_token", ""},
			{"role may not", "POST", "/api/v1/units", clerk, map[string]any{"code": "B", "name": "b"}, 403, "forbidden", ""},
			{"unknown person", "GET", "/api/v1/people/99999", admin, nil, 404, "unknown_person", ""},
			{"person id not a number", "GET", "/api/v1/people/abc", admin, nil, 404, "not_found", ""},
			{"bad login", "POST", "/api/v1/auth/token", "", map[string]any{"username": "admin", "password": "wrong password"}, 401, "bad_credentials", ""},
			{"login missing password", "POST", "/api/v1/auth/token", "", map[string]any{"username": "admin"}, 422, "required", "password"},
		}
		for _, c := range cases {
			r := h.Do(c.method, c.path, c.token, c.body)
			if r.Status != c.status || r.ErrorCode() != c.code || webtest.Str(r.JSON, "error.field") != c.field || r.ErrorMessage() == "" {
				t.Errorf("%s: %d %s, want %d %s field %q", c.name, r.Status, r.Raw, c.status, c.code, c.field)
			}
		}
		units := h.Must(200, "GET", "/api/v1/units", admin, nil)
		if n := len(units.JSON["units"].([]any)); n != 1 {
			t.Fatalf("bad requests left %d units, want 1", n)
		}
		people := h.Must(200, "GET", "/api/v1/people", admin, nil)
		if n := len(people.JSON["people"].([]any)); n != 0 {
			t.Fatalf("bad requests left %d people", n)
		}
	})
}

func TestErrorsInCallersLanguage(t *testing.T) {
	h := webtest.New(t, "")
	admin := h.Token(auth.Admin)
	h.Must(201, "POST", "/api/v1/units", admin, map[string]any{"code": "MQ", "name": "闽清县"})
	for _, tc := range []struct{ header, want string }{
		{"Accept-Language: zh-CN", "单位代码 MQ 已存在"},
		{"Accept-Language: zh-TW,zh;q=0.9", "單位代碼 MQ 已存在"},
		{"Accept-Language: en-US", "the unit code MQ is taken"},
	} {
		r := h.Do("POST", "/api/v1/units", admin, map[string]any{"code": "MQ", "name": "x"}, tc.header)
		if r.ErrorMessage() != tc.want {
			t.Errorf("%s: %q, want %q", tc.header, r.ErrorMessage(), tc.want)
		}
	}
}

func TestOrgCRUDAndImport(t *testing.T) {
	webtest.Engines(t, func(t *testing.T, h *webtest.Harness) {
		admin := h.Token(auth.Admin)
		h.Must(201, "POST", "/api/v1/units", admin, map[string]any{"code": "MQ", "name": "闽清县", "kind": "county"})
		h.Must(201, "POST", "/api/v1/units", admin, map[string]any{"code": "MQ-MX", "name": "梅溪镇", "parent": "MQ", "kind": "town"})
		u := h.Must(200, "PATCH", "/api/v1/units/MQ-MX", admin, map[string]any{"name": "梅溪镇人民政府"})
		if webtest.Str(u.JSON, "name") != "梅溪镇人民政府" || webtest.Str(u.JSON, "parent") != "MQ" {
			t.Fatalf("%s", u.Raw)
		}
		p := h.Must(201, "POST", "/api/v1/people", admin, map[string]any{"name": "王堃", "unit": "MQ-MX", "position": "所长"})
		id := webtest.Str(p.JSON, "id")
		got := h.Must(200, "GET", "/api/v1/people/"+id, h.Token(auth.Clerk), nil)
		if webtest.Str(got.JSON, "unit") != "MQ-MX" || webtest.Str(got.JSON, "position") != "所长" {
			t.Fatalf("%s", got.Raw)
		}
		h.Must(200, "PATCH", "/api/v1/people/"+id, admin, map[string]any{"position": "副所长"})
		req, _ := http.NewRequest("POST", h.URL+"/api/v1/org/import", strings.NewReader("name,unit,position,rank\n李四,MQ-MX,科员,\n"))
		req.Header.Set("Authorization", "Bearer "+admin)
		r := h.Send(req)
		if r.Status != 200 || webtest.Str(r.JSON, "created") != "1" {
			t.Fatalf("import: %d %s", r.Status, r.Raw)
		}
		list := h.Must(200, "GET", "/api/v1/people?unit=MQ", admin, nil)
		if len(list.JSON["people"].([]any)) != 2 {
			t.Fatalf("people under MQ: %s", list.Raw)
		}
	})
}

// JSON sent the way curl -d sends it (labelled as a form) is read; a real
// form body or another media type is refused with 400.
func TestJSONMediaTypes(t *testing.T) {
	h := webtest.New(t, "")
	admin := h.Token(auth.Admin)
	if r := h.Do("POST", "/api/v1/units", admin, `{"code":"MQ","name":"闽清县"}`, "Content-Type: application/x-www-form-urlencoded"); r.Status != 201 {
		t.Fatalf("curl -d style: %d %s", r.Status, r.Raw)
	}
	if r := h.Do("POST", "/api/v1/reports", "", `{"content":"梅城镇窗口推诿","anonymous":true}`, "Content-Type: application/x-www-form-urlencoded"); r.Status != 201 {
		t.Fatalf("report, curl -d style: %d %s", r.Status, r.Raw)
	}
	for _, tc := range []struct{ ct, body string }{
		{"application/x-www-form-urlencoded", "code=A&name=b"},
		{"text/xml", `{"code":"A","name":"b"}`},
	} {
		if r := h.Do("POST", "/api/v1/units", admin, tc.body, "Content-Type: "+tc.ct); r.Status != 400 || r.ErrorCode() != "unsupported_media_type" {
			t.Errorf("%s: %d %s", tc.ct, r.Status, r.Raw)
		}
	}
}

func TestTokenLifecycleOverHTTP(t *testing.T) {
	h := webtest.New(t, "")
	if _, err := h.App.Auth.AddUser(context.Background(), auth.System("test"), "li", "a long passphrase", auth.Handler, ""); err != nil {
		t.Fatal(err)
	}
	r := h.Must(201, "POST", "/api/v1/auth/token", "", map[string]any{"username": "li", "password": "a long passphrase"})
	tok := webtest.Str(r.JSON, "token")
	me := h.Must(200, "GET", "/api/v1/me", tok, nil)
	if webtest.Str(me.JSON, "role") != "handler" {
		t.Fatalf("%s", me.Raw)
	}
	h.Must(204, "DELETE", "/api/v1/auth/token", tok, nil)
	if r := h.Do("GET", "/api/v1/me", tok, nil); r.Status != 401 {
		t.Fatalf("revoked token: %d", r.Status)
	}
}

func TestAuditorReadsButNeverWrites(t *testing.T) {
	h := webtest.New(t, "")
	aud := h.Token(auth.Auditor)
	h.Must(200, "GET", "/api/v1/units", aud, nil)
	h.Must(200, "GET", "/api/v1/audit", aud, nil)
	v := h.Must(200, "GET", "/api/v1/audit/verify", aud, nil)
	if webtest.Str(v.JSON, "intact") != "true" {
		t.Fatalf("%s", v.Raw)
	}
	if r := h.Do("POST", "/api/v1/units", aud, map[string]any{"code": "A", "name": "a"}); r.Status != 403 {
		t.Fatalf("auditor wrote: %d", r.Status)
	}
}

func TestMetricsStaffOnly(t *testing.T) {
	h := webtest.New(t, "")
	if r := h.Do("GET", "/metrics", "", nil); r.Status != 401 {
		t.Fatalf("anonymous metrics: %d", r.Status)
	}
	r := h.Do("GET", "/metrics", h.Token(auth.Admin), nil)
	if r.Status != 200 || !strings.Contains(string(r.Raw), "mashang_http_requests_total") {
		t.Fatalf("%d %.200s", r.Status, r.Raw)
	}
}

func TestRequestIDAndNotFound(t *testing.T) {
	h := webtest.New(t, "")
	r := h.Do("GET", "/healthz", "", nil)
	if r.Header.Get("X-Request-ID") == "" {
		t.Fatal("no request id")
	}
}

// TestOpenAPIMatchesRoutes: the document validates, and it and the
// registered API routes list the same endpoints, both ways.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	h := webtest.New(t, "")
	r := h.Must(200, "GET", "/api/v1/openapi.json", "", nil)
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(r.Raw)
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("OpenAPI document invalid: %v", err)
	}
	documented := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented[method+" "+path] = true
		}
	}
	registered := map[string]bool{}
	for _, rt := range h.Server.Routes() {
		if rt.API || rt.Path == "/healthz" || rt.Path == "/metrics" || strings.HasPrefix(rt.Path, "/public/") && strings.Contains(rt.Path, "feed") || strings.HasPrefix(rt.Path, "/public/log/") {
			registered[rt.Method+" "+strings.TrimSuffix(rt.Path, "{$}")] = true
		}
	}
	for k := range registered {
		if !documented[k] {
			t.Errorf("route %s is not in the OpenAPI document", k)
		}
	}
	for k := range documented {
		if !registered[k] {
			t.Errorf("the OpenAPI document lists %s but no such route is registered", k)
		}
	}
	_ = web.SessionCookie
}
