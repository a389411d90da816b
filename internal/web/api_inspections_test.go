package web_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/jpeg"
	"mime/multipart"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"mashang/internal/auth"
	"mashang/internal/web/webtest"
)

// inspOrg makes a service centre with one official, answering the person id.
func inspOrg(t *testing.T, h *webtest.Harness) int64 {
	t.Helper()
	admin := h.Token(auth.Admin)
	h.Must(201, "POST", "/api/v1/units", admin, map[string]any{"code": "ZX", "name": "县行政服务中心", "kind": "service_centre"})
	p := h.Must(201, "POST", "/api/v1/people", admin, map[string]any{"name": "王某某", "unit": "ZX", "position": "窗口负责人"})
	return int64(p.JSON["id"].(float64))
}

// jpegWithGPS is a small JPEG carrying an Exif segment, as a phone makes.
func jpegWithGPS(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, image.NewGray(image.Rect(0, 0, 8, 8)), nil); err != nil {
		t.Fatal(err)
	}
	exif := append([]byte("Exif\x00\x00"), []byte("MM\x00\x2a\x00\x00\x00\x08GPS-EVIDENCE-26.22N-118.87E")...)
	seg := []byte{0xFF, 0xE1, byte((len(exif) + 2) >> 8), byte(len(exif) + 2)}
	raw := b.Bytes()
	out := append([]byte{}, raw[:2]...)
	out = append(out, seg...)
	out = append(out, exif...)
	return append(out, raw[2:]...)
}

func multipartVisit(t *testing.T, visit any, photo []byte) (string, []byte) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	j, _ := json.Marshal(visit)
	if err := mw.WriteField("visit", string(j)); err != nil {
		t.Fatal(err)
	}
	fw, err := mw.CreateFormFile("photo", "IMG_0001.jpg")
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(photo)
	mw.Close()
	return mw.FormDataContentType(), body.Bytes()
}

func TestInspectionPlanToCaseToReport(t *testing.T) {
	webtest.Engines(t, func(t *testing.T, h *webtest.Harness) {
		personID := inspOrg(t, h)
		insp := h.Token(auth.Inspector)
		r := h.Must(201, "POST", "/api/v1/inspections", insp, map[string]any{
			"title": "三月行政服务中心暗访", "covert": true, "units": []string{"ZX"}, "from": "2026-03-01", "to": "2026-03-31"})
		id := int64(r.JSON["id"].(float64))
		if cl, _ := r.JSON["checklist"].([]any); len(cl) < 5 {
			t.Fatalf("default checklist missing: %s", r.Raw)
		}
		h.Clock.Advance(3 * time.Hour) // 12:00
		visit := map[string]any{
			"at": "2026-03-02T10:30:00+08:00", "place": "县行政服务中心一楼 3 号窗口", "unit": "ZX",
			"answers": map[string]string{"staff_at_post": "否", "attitude": "差", "one_time_notice": "否"},
			"notes":   "10:30 窗口无人，群众排队等候二十分钟",
			"findings": []map[string]any{
				{"text": "3 号窗口工作时间无人在岗，群众久等", "situation": "P2.1", "person_id": personID, "open_case": true},
				{"text": "收费标准未公示", "open_case": false},
			},
		}
		// A checklist answer outside its options is refused, nothing stored.
		bad := map[string]any{"at": "2026-03-02T10:30:00+08:00", "place": "x", "answers": map[string]string{"attitude": "非常好"}}
		if r := h.Do("POST", fmt.Sprintf("/api/v1/inspections/%d/visits", id), insp, bad); r.Status != 422 {
			t.Fatalf("answer outside options: %d %s", r.Status, r.Raw)
		}
		photo := jpegWithGPS(t)
		ct, body := multipartVisit(t, visit, photo)
		req, _ := http.NewRequest("POST", h.URL+fmt.Sprintf("/api/v1/inspections/%d/visits", id), bytes.NewReader(body))
		req.Header.Set("Content-Type", ct)
		req.Header.Set("Authorization", "Bearer "+insp)
		v := h.Send(req)
		if v.Status != 201 {
			t.Fatalf("visit: %d %s", v.Status, v.Raw)
		}
		findings := v.JSON["findings"].([]any)
		f0 := findings[0].(map[string]any)
		caseID, ok := f0["case_id"].(float64)
		if !ok || f0["receipt"] == "" || findings[1].(map[string]any)["case_id"] != nil {
			t.Fatalf("findings: %s", v.Raw)
		}
		var channel, state string
		var pid int64
		if err := h.App.DB.Read.QueryRow(`SELECT channel, state, person_id FROM cases WHERE id = $1`, int64(caseID)).Scan(&channel, &state, &pid); err != nil {
			t.Fatal(err)
		}
		if channel != "inspection" || state != "registered" || pid != personID {
			t.Fatalf("case: %s %s %d", channel, state, pid)
		}
		// The photo keeps its location metadata for the inspectors.
		atts := v.JSON["attachments"].([]any)
		if len(atts) != 1 {
			t.Fatalf("attachments: %s", v.Raw)
		}
		aid := int64(atts[0].(map[string]any)["id"].(float64))
		dl := h.Must(200, "GET", fmt.Sprintf("/api/v1/inspections/%d/attachments/%d", id, aid), h.Token(auth.Leader), nil)
		if !bytes.Contains(dl.Raw, []byte("GPS-EVIDENCE")) {
			t.Fatal("the photo lost its location metadata")
		}
		h.Must(403, "GET", fmt.Sprintf("/api/v1/inspections/%d/attachments/%d", id, aid), h.Token(auth.Clerk), nil)

		// The report lists the visit, the findings and the case.
		rep := h.Must(200, "GET", fmt.Sprintf("/api/v1/inspections/%d/report", id), insp, nil)
		html := string(rep.Raw)
		for _, want := range []string{"明察暗访检查报告", "三月行政服务中心暗访", "3 号窗口工作时间无人在岗", "收费标准未公示", fmt.Sprintf("案件 %d", int64(caseID)), "未立案"} {
			if !strings.Contains(html, want) {
				t.Errorf("report lacks %q", want)
			}
		}
		if h.Do("GET", fmt.Sprintf("/api/v1/inspections/%d/report?format=doc", id), insp, nil).Status != 422 {
			t.Error("unknown report format accepted")
		}
		if txt, ok := pdfText(t, h, fmt.Sprintf("/api/v1/inspections/%d/report?format=pdf", id), insp); ok {
			for _, want := range []string{"明察暗访检查报告", "发现问题及立案情况"} {
				if !strings.Contains(txt, want) {
					t.Errorf("PDF text lacks %q", want)
				}
			}
		}
		h.Must(200, "POST", fmt.Sprintf("/api/v1/inspections/%d/done", id), insp, nil)
		h.Must(409, "POST", fmt.Sprintf("/api/v1/inspections/%d/visits", id), insp, visit)
	})
}

// pdfText fetches a PDF and extracts its text with pdftotext; ok is false
// (test skipped in part) when Chromium or pdftotext is missing here.
func pdfText(t *testing.T, h *webtest.Harness, path, token string) (string, bool) {
	t.Helper()
	r := h.Do("GET", path, token, nil)
	if r.Status == 503 {
		t.Logf("PDF unavailable here: %s", r.Raw)
		return "", false
	}
	if r.Status != 200 || r.Header.Get("Content-Type") != "application/pdf" || !bytes.HasPrefix(r.Raw, []byte("%PDF-")) {
		t.Fatalf("PDF: %d %s", r.Status, r.Raw[:min(len(r.Raw), 200)])
	}
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Log("pdftotext not installed")
		return "", false
	}
	f := filepath.Join(t.TempDir(), "r.pdf")
	os.WriteFile(f, r.Raw, 0o600)
	out, err := exec.Command("pdftotext", "-enc", "UTF-8", f, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	return string(out), true
}

func TestCovertInspectionHidden(t *testing.T) {
	webtest.Engines(t, func(t *testing.T, h *webtest.Harness) {
		inspOrg(t, h)
		insp := h.Token(auth.Inspector)
		open := h.Must(201, "POST", "/api/v1/inspections", insp, map[string]any{"title": "明察", "covert": false, "from": "2026-03-01", "to": "2026-03-31"})
		covert := h.Must(201, "POST", "/api/v1/inspections", insp, map[string]any{"title": "暗访", "covert": true, "from": "2026-03-01", "to": "2026-03-31"})
		oid, cid := int64(open.JSON["id"].(float64)), int64(covert.JSON["id"].(float64))
		listed := func(tok string) map[int64]bool {
			r := h.Must(200, "GET", "/api/v1/inspections", tok, nil)
			m := map[int64]bool{}
			for _, i := range r.JSON["inspections"].([]any) {
				m[int64(i.(map[string]any)["id"].(float64))] = true
			}
			return m
		}
		liaison := h.TokenFor("liaison-zx", auth.Liaison, "ZX")
		for name, tok := range map[string]string{"clerk": h.Token(auth.Clerk), "handler": h.Token(auth.Handler), "liaison": liaison} {
			if m := listed(tok); !m[oid] || m[cid] {
				t.Errorf("%s lists %v", name, m)
			}
			if r := h.Do("GET", fmt.Sprintf("/api/v1/inspections/%d", cid), tok, nil); r.Status != 404 || r.ErrorCode() != "inspection_not_found" {
				t.Errorf("%s gets the covert plan: %d", name, r.Status)
			}
			// Exactly as for a plan that does not exist.
			if r := h.Do("GET", "/api/v1/inspections/999999", tok, nil); r.Status != 404 || r.ErrorCode() != "inspection_not_found" {
				t.Errorf("%s: missing plan %d", name, r.Status)
			}
			if r := h.Do("GET", fmt.Sprintf("/api/v1/inspections/%d/report", cid), tok, nil); r.Status != 404 {
				t.Errorf("%s gets the covert report: %d", name, r.Status)
			}
			if r := h.Do("POST", "/api/v1/inspections", tok, map[string]any{"title": "x", "from": "2026-03-01", "to": "2026-03-02"}); r.Status != 403 {
				t.Errorf("%s plans: %d", name, r.Status)
			}
			if r := h.Do("POST", fmt.Sprintf("/api/v1/inspections/%d/visits", cid), tok, map[string]any{}); r.Status != 403 {
				t.Errorf("%s records a visit: %d", name, r.Status)
			}
		}
		for _, role := range []auth.Role{auth.Leader, auth.Auditor, auth.Admin} {
			if m := listed(h.Token(role)); !m[cid] {
				t.Errorf("%s does not list the covert plan", role)
			}
		}
		h.Must(200, "POST", fmt.Sprintf("/api/v1/inspections/%d/done", cid), insp, nil)
		if m := listed(h.Token(auth.Clerk)); !m[cid] {
			t.Error("a done covert plan stays hidden")
		}
		h.Must(200, "GET", fmt.Sprintf("/api/v1/inspections/%d", cid), liaison, nil)
	})
}

// The checklist may be given as a person writes it first, plain labels: a
// label of the default checklist keeps that item's key and options, another
// is a 是/否/不适用 question keyed by its place; objects and labels mix; a
// wrong type is refused in words, naming the item.
func TestInspectionChecklistOfPlainLabels(t *testing.T) {
	webtest.Engines(t, func(t *testing.T, h *webtest.Harness) {
		inspOrg(t, h)
		insp := h.Token(auth.Inspector)
		plan := func(checklist any) webtest.Response {
			return h.Do("POST", "/api/v1/inspections", insp, map[string]any{"title": "三月窗口明察", "covert": false, "units": []string{"ZX"},
				"from": "2026-03-01", "to": "2026-03-31", "checklist": checklist})
		}
		r := plan([]any{"在岗在位", "一次性告知", map[string]any{"key": "queue", "label": "排队时长", "options": []string{"10 分钟内", "更久"}}})
		if r.Status != 201 {
			t.Fatalf("plain labels: %d %s", r.Status, r.Raw)
		}
		got, _ := json.Marshal(r.JSON["checklist"])
		want := `[{"key":"item_1","label":"在岗在位","options":["是","否","不适用"]},` +
			`{"key":"one_time_notice","label":"一次性告知","options":["是","否","不适用"]},` +
			`{"key":"queue","label":"排队时长","options":["10 分钟内","更久"]}]`
		if string(got) != want {
			t.Errorf("checklist:\n got %s\nwant %s", got, want)
		}
		// A visit answers the labelled items by their keys.
		id := int64(r.JSON["id"].(float64))
		v := h.Do("POST", fmt.Sprintf("/api/v1/inspections/%d/visits", id), insp, map[string]any{"at": "2026-03-02T08:30:00+08:00",
			"place": "县行政服务中心", "unit": "ZX", "answers": map[string]string{"item_1": "否", "one_time_notice": "是"}})
		if v.Status != 201 {
			t.Errorf("visit answering item_1: %d %s", v.Status, v.Raw)
		}
		// An empty label and a number are refused, the item named, nothing stored.
		for _, bad := range []any{[]any{"在岗在位", "  "}, []any{"在岗在位", 5}} {
			r := plan(bad)
			if r.Status != 422 || r.JSON["error"] == nil {
				t.Errorf("%v: %d %s", bad, r.Status, r.Raw)
				continue
			}
			if f, _ := r.JSON["error"].(map[string]any)["field"].(string); !strings.HasPrefix(f, "checklist") {
				t.Errorf("%v: field %q", bad, f)
			}
		}
		if l := h.Must(200, "GET", "/api/v1/inspections", insp, nil); strings.Count(string(l.Raw), "三月窗口明察") != 1 {
			t.Errorf("refused plans were stored: %s", l.Raw)
		}
	})
}
