package web_test

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"mashang/internal/audit"
	"mashang/internal/auth"
	"mashang/internal/web/webtest"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// The portal's log page says in plain words, in each language, what the log
// proves, and shows the key and the latest checkpoint; the tracking page
// shows the log entry of the report's registration, whose inclusion proof
// checks against the published checkpoint; the Atom feed carries the
// checkpoints; the endpoints answer bad queries with clear errors.
func TestPublicLogPages(t *testing.T) {
	webtest.Engines(t, func(t *testing.T, h *webtest.Harness) {
		b := newBrowser(t, h)
		p := b.get("/public/log")
		if p.Status != 200 || !strings.Contains(p.Body, "只能追加的公开日志") || !strings.Contains(html.UnescapeString(p.Body), h.App.LogKey.Verifier) || !strings.Contains(p.Body, "尚未签署检查点") {
			t.Fatalf("log page before any checkpoint: %d %s", p.Status, p.Body)
		}
		if r := h.Do("GET", "/public/log/checkpoint", "", nil); r.Status != 404 || r.ErrorCode() != "no_checkpoint" {
			t.Fatalf("no checkpoint yet: %d %s", r.Status, r.Raw)
		}
		r := h.Must(201, "POST", "/api/v1/reports", "", map[string]any{"content": "不动产登记窗口要求第三次补交材料。", "name": "王某", "phone": "13800000000"})
		receipt, key := webtest.Str(r.JSON, "receipt"), webtest.Str(r.JSON, "key")
		signer := &audit.Signer{DB: h.App.DB, KeyFile: h.App.Config.LogKeyFile, Clock: h.Clock}
		cp, ok, err := signer.SignIfDue(context.Background())
		if err != nil || !ok {
			t.Fatal(ok, err)
		}
		v, _ := note.NewVerifier(h.App.LogKey.Verifier)
		if _, err := note.Open([]byte(cp.Note), note.VerifierList(v)); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct{ lang, want string }{
			{"en", "no one can rewrite"}, {"zh-TW", "誰也改不了"}, {"zh-CN", "谁也改不了"},
		} {
			p := b.get("/public/log?lang=" + tc.lang)
			if p.Status != 200 || !strings.Contains(p.Body, tc.want) || !strings.Contains(p.Body, `id="log-checkpoint"`) || !strings.Contains(html.UnescapeString(p.Body), h.App.LogKey.Verifier) {
				t.Fatalf("%s log page: %d %s", tc.lang, p.Status, p.Body)
			}
			if len(p.Body) > 100<<10 {
				t.Fatalf("log page is %d bytes", len(p.Body))
			}
		}
		if p := b.get("/public/stats"); !strings.Contains(p.Body, `href="/public/log"`) {
			t.Fatal("the portal does not link the log page")
		}
		// The tracking page and API name the registration's entry.
		tr := h.Must(200, "POST", "/api/v1/track", "", map[string]any{"receipt": receipt, "key": key})
		var tv struct {
			LogEntry     int64  `json:"log_entry"`
			LogEntryHash string `json:"log_entry_hash"`
		}
		json.Unmarshal(tr.Raw, &tv)
		var want int64
		var wantHash, data string
		h.App.DB.Read.QueryRow(`SELECT a.seq, a.hash, a.data FROM audit_log a JOIN cases c ON a.subject = 'case:' || c.id WHERE c.receipt = $1 AND a.action = 'case.register'`, receipt).Scan(&want, &wantHash, &data)
		if tv.LogEntry == 0 || tv.LogEntry != want || tv.LogEntryHash != wantHash {
			t.Fatalf("log entry %d %s, want %d %s", tv.LogEntry, tv.LogEntryHash, want, wantHash)
		}
		// The entry the reporter's fingerprint names records the receipt code.
		if !strings.Contains(data, receipt) {
			t.Fatalf("the registration entry does not record the receipt: %s", data)
		}
		tok := b.csrf("/track")
		p = b.post("/track", url.Values{"csrf": {tok}, "receipt": {receipt}, "key": {key}})
		if p.Status != 200 || !strings.Contains(p.Body, fmt.Sprintf("公开日志第 %d 条", want)) || !strings.Contains(p.Body, fmt.Sprintf("/public/log/inclusion?seq=%d", want)) || !strings.Contains(p.Body, wantHash) {
			t.Fatalf("track page: %d %s", p.Status, p.Body)
		}
		inc := h.Must(200, "GET", fmt.Sprintf("/public/log/inclusion?seq=%d", want), "", nil)
		var iv struct {
			Seq, Index, Size int64
			LeafHash         tlog.Hash `json:"leaf_hash"`
			Root             tlog.Hash
			Proof            []tlog.Hash
		}
		if err := json.Unmarshal(inc.Raw, &iv); err != nil {
			t.Fatal(err)
		}
		hb, _ := hex.DecodeString(wantHash)
		if iv.Size != cp.Size || iv.Root != cp.Root || iv.Index != want-1 || iv.LeafHash != tlog.RecordHash(hb) {
			t.Fatalf("inclusion %+v against checkpoint %+v", iv, cp)
		}
		if err := tlog.CheckRecord(iv.Proof, iv.Size, cp.Root, iv.Index, iv.LeafHash); err != nil {
			t.Fatalf("inclusion proof: %v", err)
		}
		// The Atom feed carries the checkpoint.
		feed := h.Do("GET", "/public/feed.atom", "", nil)
		if feed.Status != 200 || !strings.Contains(string(feed.Raw), "log-checkpoint") || !strings.Contains(string(feed.Raw), cp.Root.String()) {
			t.Fatalf("feed: %s", feed.Raw)
		}
		// Bad queries: clear errors, nothing served.
		for _, tc := range []struct {
			path   string
			status int
			code   string
		}{
			{"/public/log/proof?from=x&to=2", 422, "bad_number"},
			{"/public/log/proof?from=-1&to=2", 422, "bad_number"},
			{"/public/log/proof?to=2", 422, "proof_sizes"},
			{"/public/log/proof?from=3&to=2", 422, "proof_sizes"},
			{"/public/log/proof?from=1&to=99999", 422, "beyond_log"},
			{"/public/log/proof?from=1&to=99999999999999999999", 422, "bad_number"},
			{"/public/log/inclusion?seq=0", 422, "bad_number"},
			{"/public/log/inclusion?seq=99999", 422, "not_yet_signed"},
			{"/public/log/inclusion?seq=1&size=99999", 422, "beyond_log"},
			{"/public/log/checkpoints?limit=0", 422, "bad_limit"},
			{"/public/log/checkpoints?before=abc", 422, "bad_number"},
		} {
			r := h.Do("GET", tc.path, "", nil)
			if r.Status != tc.status || r.ErrorCode() != tc.code {
				t.Errorf("%s: %d %s, want %d %s", tc.path, r.Status, r.Raw, tc.status, tc.code)
			}
		}
		if r := h.Do("POST", "/public/log/checkpoint", "", nil); r.Status != http.StatusMethodNotAllowed {
			t.Errorf("POST checkpoint: %d", r.Status)
		}
		// History pages by id.
		h.Clock.Advance(2 * time.Hour)
		signer.SignIfDue(context.Background())
		list := h.Must(200, "GET", "/public/log/checkpoints?limit=1", "", nil)
		next := webtest.Str(list.JSON, "next")
		older := h.Must(200, "GET", "/public/log/checkpoints?limit=1&before="+next, "", nil)
		if !strings.Contains(string(older.Raw), fmt.Sprintf(`"id":%d`, cp.ID)) {
			t.Fatalf("second page %s", older.Raw)
		}
		// The staff API runs the whole check: a case event added behind the
		// log's back is named.
		vr := h.Must(200, "GET", "/api/v1/audit/verify", h.Token(auth.Auditor), nil)
		if webtest.Str(vr.JSON, "intact") != "true" {
			t.Fatalf("verify: %s", vr.Raw)
		}
		if _, err := h.App.DB.Write.Exec(`INSERT INTO case_events (case_id, at, actor, action, data, public)
			SELECT id, '2026-03-02T05:00:00.123456Z', 'user:nobody', 'refuse', '{}', FALSE FROM cases WHERE receipt = $1`, receipt); err != nil {
			t.Fatal(err)
		}
		vr = h.Must(200, "GET", "/api/v1/audit/verify", h.Token(auth.Auditor), nil)
		if webtest.Str(vr.JSON, "intact") != "false" || !strings.Contains(webtest.Str(vr.JSON, "reason"), "(refuse)") {
			t.Fatalf("verify after an event added behind the log's back: %s", vr.Raw)
		}
	})
}
