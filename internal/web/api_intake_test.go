package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io/fs"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"mashang/internal/auth"
	"mashang/internal/config"
	"mashang/internal/mailin"
	"mashang/internal/ratelimit"
	"mashang/internal/store/storetest"
	"mashang/internal/web/webtest"
)

// enginesWith is webtest.Engines with a configuration change.
func enginesWith(t *testing.T, mutate func(*config.Config), fn func(t *testing.T, h *webtest.Harness)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, webtest.New(t, "", mutate)) })
	t.Run("postgres", func(t *testing.T) { fn(t, webtest.New(t, storetest.PostgresURL(t), mutate)) })
}

// rowCounts counts the rows a report writes.
func rowCounts(t *testing.T, h *webtest.Harness) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, tbl := range []string{"cases", "case_events", "attachments", "messages", "audit_log"} {
		var n int
		if err := h.App.DB.Read.QueryRow("SELECT COUNT(*) FROM " + tbl).Scan(&n); err != nil {
			t.Fatal(err)
		}
		out[tbl] = n
	}
	return out
}

type formFile struct {
	name string
	data []byte
}

// multipartBody builds a multipart/form-data body.
func multipartBody(t *testing.T, fields map[string]string, files []formFile) (string, []byte) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		if err := mw.WriteField(k, v); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range files {
		hd := textproto.MIMEHeader{}
		hd.Set("Content-Disposition", fmt.Sprintf(`form-data; name="attachment"; filename="%s"`, f.name))
		hd.Set("Content-Type", "application/octet-stream")
		w, err := mw.CreatePart(hd)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(f.data)
	}
	mw.Close()
	return mw.FormDataContentType(), buf.Bytes()
}

func postMultipart(t *testing.T, h *webtest.Harness, path, token, ctype string, body []byte) webtest.Response {
	t.Helper()
	req, err := http.NewRequest("POST", h.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", ctype)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return h.Send(req)
}

func report(t *testing.T, h *webtest.Harness, body map[string]any) (receipt, key string) {
	t.Helper()
	r := h.Must(201, "POST", "/api/v1/reports", "", body)
	receipt, key = webtest.Str(r.JSON, "receipt"), webtest.Str(r.JSON, "key")
	if receipt == "" || len(key) != 19 {
		t.Fatalf("report answer %s", r.Raw)
	}
	return receipt, key
}

func caseIDOf(t *testing.T, h *webtest.Harness, receipt string) int64 {
	t.Helper()
	var id int64
	if err := h.App.DB.Read.QueryRow(`SELECT id FROM cases WHERE receipt = $1`, receipt).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

func TestIntakeAnonymousReportTracked(t *testing.T) {
	webtest.Engines(t, func(t *testing.T, h *webtest.Harness) {
		receipt, key := report(t, h, map[string]any{"content": "  乡政府办事窗口连续三天无人，群众来回跑了五趟。  ", "situation": "P1.2", "anonymous": true})

		// Typed sloppily: lower case, spaces instead of dashes, full-width digits.
		sloppy := strings.ToLower(strings.ReplaceAll(receipt, "-", " "))
		r := h.Must(200, "POST", "/api/v1/track", "", map[string]any{"receipt": sloppy, "key": strings.ToLower(key)})
		if got := webtest.Str(r.JSON, "state"); got != "registered" {
			t.Errorf("state %q", got)
		}
		if webtest.Str(r.JSON, "deadlines.accept_by") == "" || !strings.Contains(webtest.Str(r.JSON, "deadlines.text"), "受理") {
			t.Errorf("deadlines %s", r.Raw)
		}
		tl, _ := r.JSON["timeline"].([]any)
		if len(tl) != 1 || webtest.Str(tl[0].(map[string]any), "text") != "已登记" {
			t.Errorf("timeline %v", tl)
		}
		en := h.Do("POST", "/api/v1/track?lang=en", "", map[string]any{"receipt": receipt, "key": key})
		if !strings.Contains(string(en.Raw), "Registered") || !strings.Contains(webtest.Str(en.JSON, "deadlines.text"), "accepted") {
			t.Errorf("english view %s", en.Raw)
		}

		var content, category, cv string
		var anonymous bool
		h.App.DB.Read.QueryRow(`SELECT content, category, catalog_version, anonymous FROM cases WHERE receipt = $1`, receipt).Scan(&content, &category, &cv, &anonymous)
		if content != "乡政府办事窗口连续三天无人，群众来回跑了五趟。" || category != "P1" || cv == "" || !anonymous {
			t.Errorf("stored %q %q %q %v", content, category, cv, anonymous)
		}

		// A wrong key answers exactly like an unknown receipt.
		wrong := h.Do("POST", "/api/v1/track", "", map[string]any{"receipt": receipt, "key": strings.Repeat("A", 28)})
		other := "0000-000-00"
		for _, c := range "0123456789ACEFHJKMNPRTWXY" {
			if c2 := other + string(c); c2 != receipt {
				if r := h.Do("POST", "/api/v1/track", "", map[string]any{"receipt": c2, "key": key}); r.Status == 404 {
					other = c2
					break
				}
			}
		}
		unknown := h.Do("POST", "/api/v1/track", "", map[string]any{"receipt": other, "key": key})
		garbage := h.Do("POST", "/api/v1/track", "", map[string]any{"receipt": "nonsense", "key": "x"})
		for _, r := range []webtest.Response{wrong, unknown, garbage} {
			if r.Status != 404 || !bytes.Equal(r.Raw, wrong.Raw) {
				t.Errorf("answers differ: %d %s vs %d %s", r.Status, r.Raw, wrong.Status, wrong.Raw)
			}
		}
	})
}

func TestIntakeMessagesBothWays(t *testing.T) {
	webtest.Engines(t, func(t *testing.T, h *webtest.Harness) {
		receipt, key := report(t, h, map[string]any{"content": "举报内容", "anonymous": true})
		id := caseIDOf(t, h, receipt)
		tok := h.TokenFor("wang_director", auth.Director, "")
		m := h.Must(201, "POST", fmt.Sprintf("/api/v1/cases/%d/messages", id), tok, map[string]any{"body": "请补充具体日期。"})
		if webtest.Str(m.JSON, "author") != "user:wang_director" {
			t.Errorf("author %s", m.Raw)
		}
		h.Must(201, "POST", "/api/v1/track/messages", "", map[string]any{"receipt": receipt, "key": key, "body": "是3月1日上午。"})
		h.Must(422, "POST", "/api/v1/track/messages", "", map[string]any{"receipt": receipt, "key": key, "body": "   "})
		if r := h.Do("POST", "/api/v1/track/messages", "", map[string]any{"receipt": receipt, "key": strings.Repeat("C", 28), "body": "x"}); r.Status != 404 {
			t.Errorf("wrong key message: %d", r.Status)
		}

		tr := h.Must(200, "POST", "/api/v1/track", "", map[string]any{"receipt": receipt, "key": key})
		if strings.Contains(string(tr.Raw), "wang") || strings.Contains(string(tr.Raw), "user:") {
			t.Errorf("reporter sees staff names: %s", tr.Raw)
		}
		msgs, _ := tr.JSON["messages"].([]any)
		if len(msgs) != 2 || webtest.Str(msgs[0].(map[string]any), "from") != "office" || webtest.Str(msgs[1].(map[string]any), "from") != "you" ||
			webtest.Str(msgs[1].(map[string]any), "body") != "是3月1日上午。" {
			t.Errorf("messages %v", msgs)
		}
		st := h.Must(200, "GET", fmt.Sprintf("/api/v1/cases/%d/messages", id), tok, nil)
		sm, _ := st.JSON["messages"].([]any)
		if len(sm) != 2 || webtest.Str(sm[1].(map[string]any), "direction") != "from_reporter" {
			t.Errorf("staff messages %s", st.Raw)
		}
		// Other roles (the organisation department) may not read the conversation.
		if r := h.Do("GET", fmt.Sprintf("/api/v1/cases/%d/messages", id), h.Token(auth.OrgDept), nil); r.Status != 403 {
			t.Errorf("orgdept: %d", r.Status)
		}
	})
}

func TestIntakeBadInputStoresNothing(t *testing.T) {
	webtest.Engines(t, func(t *testing.T, h *webtest.Harness) {
		admin := h.Token(auth.Admin)
		h.Must(201, "POST", "/api/v1/units", admin, map[string]any{"code": "ZJ01", "name": "住建局"})
		clerk := h.Token(auth.Clerk)
		future := webtest.Start.Add(time.Hour).Format(time.RFC3339)
		many := make([]formFile, 11)
		for i := range many {
			many[i] = formFile{fmt.Sprintf("f%d.txt", i), []byte(fmt.Sprintf("file %d", i))}
		}
		manyCT, manyBody := multipartBody(t, map[string]string{"content": "有附件"}, many)
		tests := []struct {
			name  string
			path  string
			token string
			ctype string
			body  any
			want  int
		}{
			{"empty content", "/api/v1/reports", "", "", map[string]any{"content": " \n\t　"}, 422},
			{"content too long", "/api/v1/reports", "", "", map[string]any{"content": strings.Repeat("字", 20001)}, 422},
			{"invalid UTF-8", "/api/v1/reports", "", "", []byte("{\"content\": \"\xff\xfe\"}"), 400},
			{"unknown situation", "/api/v1/reports", "", "", map[string]any{"content": "x", "situation": "P9.9"}, 422},
			{"unknown unit", "/api/v1/reports", "", "", map[string]any{"content": "x", "unit": "NOPE"}, 422},
			{"unknown person", "/api/v1/reports", "", "", map[string]any{"content": "x", "person": 99999}, 422},
			{"channel on public report", "/api/v1/reports", "", "", map[string]any{"content": "x", "channel": "letter"}, 422},
			{"malformed JSON", "/api/v1/reports", "", "", "{\"content\": ", 400},
			{"intake future", "/api/v1/intake", clerk, "", map[string]any{"channel": "letter", "content": "x", "received_at": future}, 422},
			{"intake rule channel", "/api/v1/intake", clerk, "", map[string]any{"channel": "rule", "content": "x"}, 422},
			{"intake unknown channel", "/api/v1/intake", clerk, "", map[string]any{"channel": "fax", "content": "x"}, 422},
			{"intake unknown person", "/api/v1/intake", clerk, "", map[string]any{"channel": "hotline", "content": "x", "person_id": 424242}, 422},
			{"intake bad received_at", "/api/v1/intake", clerk, "", map[string]any{"channel": "hotline", "content": "x", "received_at": "yesterday"}, 422},
			{"intake invalid UTF-8 in reporter", "/api/v1/intake", clerk, "", []byte("{\"channel\":\"hotline\",\"content\":\"x\",\"reporter\":{\"name\":\"\xc3\"}}"), 400},
			{"intake by handler", "/api/v1/intake", h.Token(auth.Handler), "", map[string]any{"channel": "hotline", "content": "x"}, 403},
			{"multipart without boundary", "/api/v1/reports", "", "multipart/form-data", []byte("--x\r\nContent-Disposition: form-data; name=\"content\"\r\n\r\nhi\r\n--x--\r\n"), 400},
			{"too many files", "/api/v1/reports", "", manyCT, manyBody, 413},
			{"multipart invalid UTF-8 field", "/api/v1/reports", "", "multipart/form-data; boundary=x", []byte("--x\r\nContent-Disposition: form-data; name=\"content\"\r\n\r\n\xff\xff\r\n--x--\r\n"), 400},
			{"multipart empty content", "/api/v1/reports", "", "multipart/form-data; boundary=x", []byte("--x\r\nContent-Disposition: form-data; name=\"content\"\r\n\r\n  \r\n--x--\r\n"), 422},
		}
		for _, tt := range tests {
			before := rowCounts(t, h)
			var r webtest.Response
			if tt.ctype != "" {
				r = postMultipart(t, h, tt.path, tt.token, tt.ctype, tt.body.([]byte))
			} else {
				r = h.Do("POST", tt.path, tt.token, tt.body)
			}
			if r.Status != tt.want {
				t.Errorf("%s: status %d, want %d: %s", tt.name, r.Status, tt.want, r.Raw)
			}
			if after := rowCounts(t, h); fmt.Sprint(after) != fmt.Sprint(before) {
				t.Errorf("%s: rows changed %v -> %v", tt.name, before, after)
			}
		}
		// And the good forms of the same requests do store.
		h.Must(201, "POST", "/api/v1/reports", "", map[string]any{"content": strings.Repeat("字", 20000), "unit": "ZJ01", "situation": "U1.1"})
		r := h.Must(201, "POST", "/api/v1/intake", clerk, map[string]any{"channel": "letter", "content": "来信", "received_at": "2026-02-27",
			"reporter": map[string]any{"name": "李四", "phone": "13900001111"}})
		var on, acceptBy string
		h.App.DB.Read.QueryRow(`SELECT received_on, accept_by FROM cases WHERE id = $1`, int64(r.JSON["case_id"].(float64))).Scan(&on, &acceptBy)
		if on != "2026-02-27" || acceptBy <= on {
			t.Errorf("letter received_on %s accept_by %s", on, acceptBy)
		}
		h.Must(201, "POST", "/api/v1/intake", clerk, map[string]any{"channel": "walkin", "content": "来访", "received_at": webtest.Start.Add(3 * time.Second).Format(time.RFC3339)})
	})
}

func TestIntakeAttachmentLimits(t *testing.T) {
	enginesWith(t, func(c *config.Config) { c.AttachFileMax = 1024; c.AttachReportMax = 2048; c.AttachMaxFiles = 3 }, func(t *testing.T, h *webtest.Harness) {
		for _, tt := range []struct {
			name  string
			files []formFile
			want  int
		}{
			{"file over the per-file limit", []formFile{{"big.bin", bytes.Repeat([]byte{1}, 1025)}}, 413},
			{"report over the per-report limit", []formFile{{"a", bytes.Repeat([]byte{1}, 1000)}, {"b", bytes.Repeat([]byte{2}, 1000)}, {"c", bytes.Repeat([]byte{3}, 100)}}, 413},
			{"too many files", []formFile{{"a", []byte("a")}, {"b", []byte("b")}, {"c", []byte("c")}, {"d", []byte("d")}}, 413},
			{"within limits", []formFile{{"a.txt", bytes.Repeat([]byte("a"), 1024)}, {"b.txt", []byte("b")}}, 201},
		} {
			before := rowCounts(t, h)
			ct, body := multipartBody(t, map[string]string{"content": "附件测试"}, tt.files)
			r := postMultipart(t, h, "/api/v1/reports", "", ct, body)
			if r.Status != tt.want {
				t.Errorf("%s: %d %s", tt.name, r.Status, r.Raw)
			}
			after := rowCounts(t, h)
			if tt.want != 201 && fmt.Sprint(after) != fmt.Sprint(before) {
				t.Errorf("%s: rows changed", tt.name)
			}
			if tt.want == 201 && after["attachments"] != before["attachments"]+2 {
				t.Errorf("%s: attachments %d -> %d", tt.name, before["attachments"], after["attachments"])
			}
		}
	})
}

// gpsJPEG is a small JPEG carrying an Exif segment with a GPS marker string.
func gpsJPEG(t *testing.T) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for i := range 8 {
		img.Set(i, i, color.RGBA{200, 10, 10, 255})
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, nil); err != nil {
		t.Fatal(err)
	}
	plain := buf.Bytes()
	tiff := []byte("II*\x00\x08\x00\x00\x00\x00\x00\x00\x00\x00\x00GPSLatitude=26.0745N;GPSLongitude=119.2965E")
	payload := append([]byte("Exif\x00\x00"), tiff...)
	seg := []byte{0xFF, 0xE1, byte((len(payload) + 2) >> 8), byte(len(payload) + 2)}
	seg = append(seg, payload...)
	out := append([]byte{}, plain[:2]...)
	out = append(out, seg...)
	return append(out, plain[2:]...)
}

func TestIntakeJPEGLocationStrippedOnDownload(t *testing.T) {
	webtest.Engines(t, func(t *testing.T, h *webtest.Harness) {
		photo := gpsJPEG(t)
		ct, body := multipartBody(t, map[string]string{"content": "现场照片", "anonymous": "on"}, []formFile{{"现场照片.txt", photo}})
		r := postMultipart(t, h, "/api/v1/reports", "", ct, body)
		if r.Status != 201 {
			t.Fatalf("%d %s", r.Status, r.Raw)
		}
		id := caseIDOf(t, h, webtest.Str(r.JSON, "receipt"))
		tok := h.Token(auth.Director)
		list := h.Must(200, "GET", fmt.Sprintf("/api/v1/cases/%d/attachments", id), tok, nil)
		as, _ := list.JSON["attachments"].([]any)
		if len(as) != 1 {
			t.Fatalf("attachments %s", list.Raw)
		}
		a := as[0].(map[string]any)
		if webtest.Str(a, "content_type") != "image/jpeg" || webtest.Str(a, "filename") != "现场照片.txt" {
			t.Errorf("attachment %v", a)
		}
		dl := h.Do("GET", "/api/v1/attachments/"+webtest.Str(a, "id"), tok, nil)
		if dl.Status != 200 {
			t.Fatalf("download %d %s", dl.Status, dl.Raw)
		}
		if bytes.Contains(dl.Raw, []byte("GPSLatitude")) || bytes.Contains(dl.Raw, []byte("Exif\x00\x00")) || !bytes.HasPrefix(dl.Raw, []byte{0xFF, 0xD8}) {
			t.Errorf("location not stripped (%d bytes)", len(dl.Raw))
		}
		if _, err := jpeg.Decode(bytes.NewReader(dl.Raw)); err != nil {
			t.Errorf("stripped JPEG does not decode: %v", err)
		}
		if got := dl.Header.Get("Content-Type"); got != "image/jpeg" {
			t.Errorf("content type %q (sniffed, not from the .txt name)", got)
		}
		if dl.Header.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(dl.Header.Get("Content-Disposition"), "filename*=utf-8''%E7%8E%B0") {
			t.Errorf("headers %v", dl.Header)
		}
		if r := h.Do("GET", "/api/v1/attachments/999999", tok, nil); r.Status != 404 {
			t.Errorf("unknown attachment %d", r.Status)
		}
		if r := h.Do("GET", "/api/v1/attachments/"+webtest.Str(a, "id"), "", nil); r.Status != 401 {
			t.Errorf("anonymous download %d", r.Status)
		}
	})
}

const secretPhone = "13812345678"
const secretName = "欧阳举报人"

func TestIntakeIdentityNotInClear(t *testing.T) {
	webtest.Engines(t, func(t *testing.T, h *webtest.Harness) {
		receipt, _ := report(t, h, map[string]any{"content": "实名举报", "name": secretName, "phone": "138-1234-5678", "email": "whistle@example.cn", "anonymous": false})
		// Same phone written differently (a reporter who gives only a
		// phone is not anonymous): a repeat reporter.
		report(t, h, map[string]any{"content": "又一次举报", "phone": "+86 " + secretPhone})
		id := caseIDOf(t, h, receipt)
		tok := h.Token(auth.Clerk)
		rep := h.Must(200, "GET", fmt.Sprintf("/api/v1/cases/%d/reporter", id), tok, nil)
		if webtest.Str(rep.JSON, "masked.phone") != "138****5678" || strings.Contains(string(rep.Raw), secretPhone) || strings.Contains(string(rep.Raw), secretName) {
			t.Errorf("masked view %s", rep.Raw)
		}
		if webtest.Str(rep.JSON, "repeat.same_phone") != "1" {
			t.Errorf("repeat %s", rep.Raw)
		}
		rr := h.Must(200, "GET", fmt.Sprintf("/api/v1/cases/%d/repeat-reporter", id), tok, nil)
		if webtest.Str(rr.JSON, "same_phone") != "1" {
			t.Errorf("repeat-reporter %s", rr.Raw)
		}

		needles := [][]byte{[]byte(secretPhone), []byte(secretName), []byte("whistle@example.cn")}
		if h.App.DB.Engine == "sqlite" {
			n := 0
			filepath.WalkDir(h.App.Config.DataDir, func(p string, d fs.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return err
				}
				b, err := os.ReadFile(p)
				if err != nil {
					t.Fatal(err)
				}
				n++
				for _, s := range needles {
					if bytes.Contains(b, s) {
						t.Errorf("%s holds %q in clear", p, s)
					}
				}
				return nil
			})
			if _, err := os.Stat(filepath.Join(h.App.Config.DataDir, "mashang.db-wal")); err != nil {
				t.Logf("no WAL file present: %v", err)
			}
			if n < 2 {
				t.Errorf("only %d files looked at", n)
			}
			return
		}
		pgDump := ""
		if m, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_dump"); len(m) > 0 {
			pgDump = m[len(m)-1]
		} else if p, err := exec.LookPath("pg_dump"); err == nil {
			pgDump = p
		} else {
			t.Skip("pg_dump not found")
		}
		out, err := exec.Command(pgDump, "--no-owner", h.App.Config.DatabaseURL).CombinedOutput()
		if err != nil {
			t.Fatalf("pg_dump: %v\n%s", err, out)
		}
		if !bytes.Contains(out, []byte("实名举报")) {
			t.Fatal("dump does not hold the report (wrong database?)")
		}
		for _, s := range needles {
			if bytes.Contains(out, s) {
				t.Errorf("PostgreSQL dump holds %q in clear", s)
			}
		}
	})
}

func TestIntakeRevealRecorded(t *testing.T) {
	webtest.Engines(t, func(t *testing.T, h *webtest.Harness) {
		receipt, key := report(t, h, map[string]any{"content": "实名", "name": secretName, "phone": secretPhone})
		id := caseIDOf(t, h, receipt)
		path := fmt.Sprintf("/api/v1/cases/%d/reporter/reveal", id)
		if r := h.Do("POST", path, h.Token(auth.Clerk), map[string]any{"reason": "想看"}); r.Status != 403 {
			t.Errorf("clerk reveal %d", r.Status)
		}
		leader := h.TokenFor("zhao_leader", auth.Leader, "")
		if r := h.Do("POST", path, leader, map[string]any{"reason": "  "}); r.Status != 422 {
			t.Errorf("no reason %d", r.Status)
		}
		r := h.Must(200, "POST", path, leader, map[string]any{"reason": "需当面核实举报细节"})
		if webtest.Str(r.JSON, "identity.phone") != secretPhone || webtest.Str(r.JSON, "identity.name") != secretName {
			t.Errorf("revealed %s", r.Raw)
		}
		var actor, data string
		if err := h.App.DB.Read.QueryRow(`SELECT actor, data FROM audit_log WHERE action = 'identity.reveal' AND subject = $1`, fmt.Sprintf("case:%d", id)).Scan(&actor, &data); err != nil {
			t.Fatal(err)
		}
		if actor != "user:zhao_leader" || !strings.Contains(data, "需当面核实举报细节") || strings.Contains(data, secretPhone) || strings.Contains(data, secretName) {
			t.Errorf("audit %s %s", actor, data)
		}
		var public bool
		if err := h.App.DB.Read.QueryRow(`SELECT public FROM case_events WHERE case_id = $1 AND action = 'identity_revealed'`, id).Scan(&public); err != nil || public {
			t.Errorf("case event: public=%v err=%v", public, err)
		}
		tr := h.Must(200, "POST", "/api/v1/track", "", map[string]any{"receipt": receipt, "key": key})
		if strings.Contains(string(tr.Raw), "identity") || strings.Contains(string(tr.Raw), "zhao") {
			t.Errorf("reporter sees internal event: %s", tr.Raw)
		}
		// Nothing to reveal on an anonymous report.
		r2, _ := report(t, h, map[string]any{"content": "匿名"})
		if r := h.Do("POST", fmt.Sprintf("/api/v1/cases/%d/reporter/reveal", caseIDOf(t, h, r2)), leader, map[string]any{"reason": "x"}); r.Status != 404 {
			t.Errorf("anonymous reveal %d", r.Status)
		}
		h.Must(200, "GET", "/api/v1/audit/verify", h.Token(auth.Admin), nil)
	})
}

func TestIntakeRateLimitedTrack(t *testing.T) {
	webtest.Engines(t, func(t *testing.T, h *webtest.Harness) {
		receipt, key := report(t, h, map[string]any{"content": "x"})
		h.App.Intake.SetRatePolicy(ratelimit.Policy{Window: time.Hour, SlowAfter: 2, BlockAfter: 5, Base: time.Millisecond, MaxDelay: 5 * time.Millisecond}, true)
		for i := range 5 {
			if r := h.Do("POST", "/api/v1/track", "", map[string]any{"receipt": receipt, "key": strings.Repeat("K", 28)}); r.Status != 404 {
				t.Fatalf("try %d: %d", i, r.Status)
			}
		}
		r := h.Do("POST", "/api/v1/track", "", map[string]any{"receipt": receipt, "key": key})
		if r.Status != 429 || r.Header.Get("Retry-After") == "" {
			t.Errorf("after 5 wrong keys: %d %s", r.Status, r.Raw)
		}
		if r := h.Do("POST", "/api/v1/track/messages", "", map[string]any{"receipt": receipt, "key": key, "body": "hi"}); r.Status != 429 {
			t.Errorf("messages after 5 wrong keys: %d", r.Status)
		}
		h.App.Intake.SetRatePolicy(ratelimit.DefaultPolicy, false)
		h.Must(200, "POST", "/api/v1/track", "", map[string]any{"receipt": receipt, "key": key})
	})
}

func TestIntakeMergedShowsSurvivor(t *testing.T) {
	webtest.Engines(t, func(t *testing.T, h *webtest.Harness) {
		dupR, dupK := report(t, h, map[string]any{"content": "重复的举报"})
		mainR, _ := report(t, h, map[string]any{"content": "最早的举报"})
		dup, main := caseIDOf(t, h, dupR), caseIDOf(t, h, mainR)
		ctx := context.Background()
		if _, err := h.App.DB.Write.ExecContext(ctx, `UPDATE cases SET state = 'accepted', finish_by = '2026-05-06' WHERE id = $1`, main); err != nil {
			t.Fatal(err)
		}
		if _, err := h.App.DB.Write.ExecContext(ctx, `UPDATE cases SET state = 'merged', merged_into = $1 WHERE id = $2`, main, dup); err != nil {
			t.Fatal(err)
		}
		h.App.DB.Write.ExecContext(ctx, `INSERT INTO messages (case_id, at, direction, author, body) VALUES ($1, '2026-03-03T01:00:00.000000Z', 'reply', 'user:x', '经查属实，已处理。')`, main)
		h.App.DB.Write.ExecContext(ctx, `INSERT INTO messages (case_id, at, direction, author, body) VALUES ($1, '2026-03-03T01:00:00.000000Z', 'from_reporter', '', '别人的私信')`, main)
		r := h.Must(200, "POST", "/api/v1/track", "", map[string]any{"receipt": dupR, "key": dupK})
		if webtest.Str(r.JSON, "state") != "accepted" || webtest.Str(r.JSON, "merged") != "true" || webtest.Str(r.JSON, "deadlines.finish_by") != "2026-05-06" {
			t.Errorf("merged track %s", r.Raw)
		}
		if !strings.Contains(string(r.Raw), "经查属实") || strings.Contains(string(r.Raw), "别人的私信") {
			t.Errorf("replies/messages of the survivor: %s", r.Raw)
		}
	})
}

func TestIntakeConcurrentSubmissions(t *testing.T) {
	webtest.Engines(t, func(t *testing.T, h *webtest.Harness) {
		const n = 50
		var wg sync.WaitGroup
		receipts := make([]string, n)
		errs := make(chan string, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				b, _ := json.Marshal(map[string]any{"content": fmt.Sprintf("并发举报 %d", i), "phone": fmt.Sprintf("1390000%04d", i)})
				res, err := h.HTTP.Client().Post(h.URL+"/api/v1/reports", "application/json", bytes.NewReader(b))
				if err != nil {
					errs <- err.Error()
					return
				}
				defer res.Body.Close()
				var out map[string]string
				json.NewDecoder(res.Body).Decode(&out)
				if res.StatusCode != 201 {
					errs <- fmt.Sprintf("status %d", res.StatusCode)
					return
				}
				receipts[i] = out["receipt"]
			}()
		}
		wg.Wait()
		close(errs)
		for e := range errs {
			t.Error(e)
		}
		seen := map[string]bool{}
		for _, r := range receipts {
			if r == "" || seen[r] {
				t.Fatalf("missing or duplicate receipt %q", r)
			}
			seen[r] = true
		}
		if c := rowCounts(t, h); c["cases"] != n || c["case_events"] != n {
			t.Errorf("stored %v", c)
		}
		h.Must(200, "GET", "/api/v1/audit/verify", h.Token(auth.Admin), nil)
	})
}

func TestIntakeEmail(t *testing.T) {
	webtest.Engines(t, func(t *testing.T, h *webtest.Harness) {
		ctx := context.Background()
		m := mailin.Message{MessageID: "abc@mail.example.cn", From: "citizen@example.cn", FromName: "某市民", Subject: "举报某局推诿",
			Text: "正文内容", Attachments: []mailin.Attachment{{Filename: "证据.jpg", ContentType: "image/jpeg", Data: gpsJPEG(t)}}}
		id1, r1, err := h.App.Intake.SubmitEmail(ctx, m, []byte("raw"))
		if err != nil || id1 == 0 || r1 == "" {
			t.Fatalf("SubmitEmail: %d %q %v", id1, r1, err)
		}
		id2, r2, err := h.App.Intake.SubmitEmail(ctx, m, []byte("raw"))
		if err != nil || id2 != id1 || r2 != r1 {
			t.Errorf("duplicate Message-ID: %d %q %v", id2, r2, err)
		}
		if err := h.App.Intake.Deliver(ctx, m, nil); err != nil {
			t.Error(err)
		}
		var channel, content string
		var atts int
		h.App.DB.Read.QueryRow(`SELECT channel, content FROM cases WHERE id = $1`, id1).Scan(&channel, &content)
		h.App.DB.Read.QueryRow(`SELECT COUNT(*) FROM attachments WHERE case_id = $1`, id1).Scan(&atts)
		if channel != "email" || content != "举报某局推诿\n\n正文内容" || atts != 1 {
			t.Errorf("email case: %q %q %d", channel, content, atts)
		}
		if c := rowCounts(t, h); c["cases"] != 1 {
			t.Errorf("cases %d", c["cases"])
		}
		// Empty and over-long mail are still reports.
		idE, _, err := h.App.Intake.SubmitEmail(ctx, mailin.Message{MessageID: "empty@x", From: "not an address"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		h.App.DB.Read.QueryRow(`SELECT content FROM cases WHERE id = $1`, idE).Scan(&content)
		if !strings.Contains(content, "no subject") {
			t.Errorf("empty mail content %q", content)
		}
		idL, _, err := h.App.Intake.SubmitEmail(ctx, mailin.Message{MessageID: "long@x", From: "a@b.cn", Text: strings.Repeat("长", 30000)}, nil)
		if err != nil {
			t.Fatal(err)
		}
		h.App.DB.Read.QueryRow(`SELECT COUNT(*) FROM attachments WHERE case_id = $1 AND filename = 'message.txt'`, idL).Scan(&atts)
		if atts != 1 {
			t.Errorf("long mail: full text not kept")
		}
		rep := h.Must(200, "GET", fmt.Sprintf("/api/v1/cases/%d/reporter", id1), h.Token(auth.Clerk), nil)
		if strings.Contains(string(rep.Raw), "citizen@example.cn") || webtest.Str(rep.JSON, "masked.email") == "" {
			t.Errorf("email reporter %s", rep.Raw)
		}
	})
}
