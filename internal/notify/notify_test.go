package notify_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"mashang/internal/config"
	"mashang/internal/mailout/mailtest"
	"mashang/internal/notify"
	"mashang/internal/store/storetest"
	"mashang/internal/web/webtest"
)

// smsGateway is a local HTTP SMS gateway that keeps what it is sent and
// answers as its fail function says.
type smsGateway struct {
	srv  *httptest.Server
	mu   sync.Mutex
	got  []smsReq
	fail func() bool
}

type smsReq struct {
	Auth                 string
	Mobile, Content, Ref string
}

func startGateway(t *testing.T) *smsGateway {
	g := &smsGateway{}
	g.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Mobile  string `json:"mobile"`
			Content string `json:"content"`
			Ref     string `json:"out_id"`
		}
		b, _ := io.ReadAll(r.Body)
		if r.Method != http.MethodPost || json.Unmarshal(b, &in) != nil {
			http.Error(w, "bad request", 400)
			return
		}
		g.mu.Lock()
		fail := g.fail != nil && g.fail()
		if !fail {
			g.got = append(g.got, smsReq{Auth: r.Header.Get("Authorization"), Mobile: in.Mobile, Content: in.Content, Ref: in.Ref})
		}
		g.mu.Unlock()
		if fail {
			// Real gateways answer 200 with an error code, quoting the number.
			fmt.Fprintf(w, `{"code":17,"msg":"mobile %s is blacklisted"}`, in.Mobile)
			return
		}
		fmt.Fprint(w, `{"code":0,"msg":"ok"}`)
	}))
	t.Cleanup(g.srv.Close)
	return g
}

func (g *smsGateway) sent() []smsReq {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]smsReq(nil), g.got...)
}

// file writes the gateway's configuration as --sms-gateway-file takes it.
func (g *smsGateway) file(t *testing.T) string {
	p := filepath.Join(t.TempDir(), "sms.json")
	c := `{"url": "` + g.srv.URL + `/send", "method": "POST",
	  "headers": {"Content-Type": "application/json", "Authorization": "Bearer sms-secret"},
	  "body": "{\"mobile\": \"{phone}\", \"content\": \"{text}\", \"out_id\": \"{ref}\"}",
	  "success": {"status": [200], "body_contains": "\"code\":0"}}`
	if err := os.WriteFile(p, []byte(c), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

type env struct {
	h     *webtest.Harness
	relay *mailtest.Relay
	sms   *smsGateway
	admin string
	dir   string // director's token
	ctx   context.Context
}

const pw = "test password 123"

func setup(t *testing.T, dbURL string) *env {
	relay := mailtest.Start(t, mailtest.Options{})
	sms := startGateway(t)
	h := webtest.New(t, dbURL, func(c *config.Config) {
		c.SMTPRelay, c.MailFrom, c.SMSGatewayFile = relay.URL(), "整肃办 <jubao@minqing.example.cn>", sms.file(t)
		c.PublicBaseURL = "https://jubao.minqing.example.cn"
	})
	e := &env{h: h, relay: relay, sms: sms, ctx: context.Background(), admin: h.Token("admin")}
	e.addUser(t, "wang", "director", "wang@minqing.example.cn", "")
	e.dir = e.login(t, "wang")
	e.addUser(t, "li", "handler", "li@minqing.example.cn", "13900000002")
	return e
}

func (e *env) addUser(t *testing.T, name, role, email, phone string) {
	t.Helper()
	e.h.Must(201, "POST", "/api/v1/users", e.admin, map[string]any{"username": name, "password": pw, "role": role, "email": email, "phone": phone})
}

func (e *env) login(t *testing.T, name string) string {
	t.Helper()
	tok, _, err := e.h.App.Auth.Login(e.ctx, name, pw, "", "test")
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func (e *env) caseOf(t *testing.T, receipt string) int64 {
	t.Helper()
	var id int64
	if err := e.h.App.DB.Read.QueryRow(`SELECT id FROM cases WHERE receipt = $1`, receipt).Scan(&id); err != nil {
		t.Fatalf("case of %s: %v", receipt, err)
	}
	return id
}

func (e *env) act(t *testing.T, id int64, body map[string]any) {
	t.Helper()
	e.h.Must(200, "POST", fmt.Sprintf("/api/v1/cases/%d/actions", id), e.dir, body)
}

// run sends what is due, through the API.
func (e *env) run(t *testing.T) map[string]any {
	t.Helper()
	return e.h.Must(200, "POST", "/api/v1/jobs/notify", e.admin, nil).JSON
}

// mailsTo returns the mails the relay has for addr.
func mailsTo(relay *mailtest.Relay, addr string) []mailtest.Mail {
	var out []mailtest.Mail
	for _, m := range relay.Mails() {
		for _, to := range m.To {
			if to == addr {
				out = append(out, m)
			}
		}
	}
	return out
}

// TestTellingPeople walks the notifications of one office: a named
// reporter who agreed to be told gets one mail on acceptance (the receipt,
// not the case's text), one who gave a phone one SMS; an anonymous reporter
// and one who did not agree get nothing; the handler gets one mail on
// assignment; a case going overdue tells its handler and the director once.
func TestTellingPeople(t *testing.T) {
	engines(t, func(t *testing.T, dbURL string) {
		e := setup(t, dbURL)
		h := e.h
		const secret = "窗口工作人员推诿扯皮，办证拖了三个月"
		// Named, with an e-mail address, agrees to be told.
		named := h.Must(201, "POST", "/api/v1/reports", "", map[string]any{"content": secret, "name": "张三", "email": "zhang@example.cn", "notify": true}).JSON
		// Named, with a phone, agrees: by SMS, in English (the language the report came in).
		texted := h.Must(201, "POST", "/api/v1/reports?lang=en", "", map[string]any{"content": "窗口推诿 二", "name": "Li Si", "phone": "13800000001", "notify": true}).JSON
		// Named, does not agree; anonymous.
		silent := h.Must(201, "POST", "/api/v1/reports", "", map[string]any{"content": "窗口推诿 三", "name": "王五", "email": "wangwu@example.cn"}).JSON
		anon := h.Must(201, "POST", "/api/v1/reports", "", map[string]any{"content": "窗口推诿 四", "anonymous": true}).JSON
		// To be told needs somewhere to be told; nothing is stored.
		r := h.Do("POST", "/api/v1/reports", "", map[string]any{"content": "窗口推诿 五", "anonymous": true, "notify": true})
		if r.Status != 422 || r.ErrorCode() != "notify_without_contact" {
			t.Fatalf("notify without a contact: %d %s", r.Status, r.Raw)
		}
		a, b, c, d := e.caseOf(t, named["receipt"].(string)), e.caseOf(t, texted["receipt"].(string)), e.caseOf(t, silent["receipt"].(string)), e.caseOf(t, anon["receipt"].(string))
		for _, id := range []int64{a, b, c, d} {
			e.act(t, id, map[string]any{"action": "accept"})
		}
		res := e.run(t)
		if res["sent"] != 2.0 {
			t.Fatalf("sent after acceptance: %v", res)
		}
		mails := e.relay.Mails()
		if len(mails) != 1 || len(mails[0].To) != 1 || mails[0].To[0] != "zhang@example.cn" {
			t.Fatalf("mails after acceptance: %+v", mails)
		}
		env, err := mails[0].Parse()
		if err != nil {
			t.Fatal(err)
		}
		receipt, key := named["receipt"].(string), named["key"].(string)
		all := env.GetHeader("Subject") + env.Text + env.HTML
		if !strings.Contains(env.GetHeader("Subject"), receipt) || !strings.Contains(env.Text, receipt) || !strings.Contains(env.HTML, receipt) {
			t.Fatalf("the mail lacks the receipt %s: %s\n%s", receipt, env.GetHeader("Subject"), env.Text)
		}
		for _, leak := range []string{secret, "推诿", key, "wang", "张三"} {
			if strings.Contains(all, leak) {
				t.Fatalf("the reporter's mail holds %q:\n%s", leak, all)
			}
		}
		if !strings.Contains(env.Text, "https://jubao.minqing.example.cn/track") || !strings.Contains(env.Text, "已受理") {
			t.Fatalf("the mail does not say where to follow it, or that it is accepted:\n%s", env.Text)
		}
		if id := env.GetHeader("Message-Id"); !strings.HasPrefix(id, "<notify.") || !strings.HasSuffix(id, "@minqing.example.cn>") {
			t.Fatalf("Message-ID %q", id)
		}
		texts := e.sms.sent()
		if len(texts) != 1 || texts[0].Mobile != "13800000001" || texts[0].Auth != "Bearer sms-secret" || texts[0].Ref == "" {
			t.Fatalf("SMS after acceptance: %+v", texts)
		}
		if sms := texts[0].Content; !strings.Contains(sms, texted["receipt"].(string)) || !strings.Contains(sms, "accepted") ||
			utf8.RuneCountInString(sms) > notify.MaxSMSRunes || strings.Contains(sms, "推诿") {
			t.Fatalf("SMS text %q", sms)
		}

		// Assigning tells the handler, once.
		e.act(t, a, map[string]any{"action": "assign", "user": "li"})
		e.run(t)
		li := mailsTo(e.relay, "li@minqing.example.cn")
		if len(li) != 1 {
			t.Fatalf("the handler got %d mails on assignment", len(li))
		}
		if env, _ := li[0].Parse(); !strings.Contains(env.GetHeader("Subject"), fmt.Sprintf("#%d", a)) || !strings.Contains(env.Text, fmt.Sprintf("/staff/cases/%d", a)) {
			t.Fatalf("the assignment mail: %s\n%s", env.GetHeader("Subject"), env.Text)
		}
		if n := len(e.relay.Mails()); n != 2 {
			t.Fatalf("%d mails after the assignment, want 2", n)
		}

		// Overdue: the handler and the director hear of case a once, however
		// often the sweep runs.
		// (Tokens do not last 100 days: the jobs run as serve runs them.)
		h.Clock.Advance(100 * 24 * time.Hour)
		for range 2 {
			if _, err := h.App.Cases.Sweep(e.ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := h.App.Notify.SendDue(e.ctx); err != nil {
				t.Fatal(err)
			}
		}
		overdue := func(addr string, id int64) int {
			n := 0
			for _, m := range mailsTo(e.relay, addr) {
				env, _ := m.Parse()
				if strings.Contains(env.GetHeader("Subject"), "已超期") && strings.Contains(env.GetHeader("Subject"), fmt.Sprintf("#%d", id)) {
					n++
				}
			}
			return n
		}
		if got := overdue("li@minqing.example.cn", a); got != 1 {
			t.Fatalf("the handler got %d overdue mails on case %d", got, a)
		}
		if got := overdue("wang@minqing.example.cn", a); got != 1 {
			t.Fatalf("the director got %d overdue mails on case %d", got, a)
		}
		if got := overdue("li@minqing.example.cn", b); got != 0 {
			t.Fatalf("the handler heard of case %d, not theirs", b)
		}
		// The reporters heard nothing more; the silent and anonymous ones nothing at all.
		if n := len(mailsTo(e.relay, "zhang@example.cn")); n != 1 {
			t.Fatalf("the reporter got %d mails", n)
		}
		if n := len(mailsTo(e.relay, "wangwu@example.cn")); n != 0 {
			t.Fatalf("a reporter who did not agree got %d mails", n)
		}
		var reporterRows int
		h.App.DB.Read.QueryRow(`SELECT COUNT(*) FROM outbox WHERE user_id IS NULL AND case_id IN ($1, $2)`, c, d).Scan(&reporterRows)
		if reporterRows != 0 {
			t.Fatalf("%d notifications queued for the silent and anonymous reporters", reporterRows)
		}
		// Refusal reaches the reporter with the reason and the review rights.
		e.dir = e.login(t, "wang")
		refused := h.Must(201, "POST", "/api/v1/reports", "", map[string]any{"content": "不属于受理范围", "name": "赵六", "email": "zhao@example.cn", "notify": true}).JSON
		e.act(t, e.caseOf(t, refused["receipt"].(string)), map[string]any{"action": "refuse", "reason": "不属于本办受理范围"})
		if _, err := h.App.Notify.SendDue(e.ctx); err != nil {
			t.Fatal(err)
		}
		zhao := mailsTo(e.relay, "zhao@example.cn")
		if len(zhao) != 1 {
			t.Fatalf("refusal: %d mails", len(zhao))
		}
		if env, _ := zhao[0].Parse(); !strings.Contains(env.Text, "不属于本办受理范围") || !strings.Contains(env.Text, "复查") || strings.Contains(env.Text, "不属于受理范围\n") {
			t.Fatalf("refusal mail:\n%s", env.Text)
		}
	})
}

func engines(t *testing.T, fn func(t *testing.T, dbURL string)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, "") })
	t.Run("postgres", func(t *testing.T) { fn(t, storetest.PostgresURL(t)) })
}

// A crash between sending and marking sends the message once more after
// the restart (the claim lapses), with the same Message-ID, and never again.
func TestCrashBetweenSendAndMark(t *testing.T) {
	engines(t, func(t *testing.T, dbURL string) {
		e := setup(t, dbURL)
		rep := e.h.Must(201, "POST", "/api/v1/reports", "", map[string]any{"content": "窗口推诿", "name": "张三", "email": "zhang@example.cn", "notify": true}).JSON
		e.act(t, e.caseOf(t, rep["receipt"].(string)), map[string]any{"action": "accept"})
		crash := errors.New("killed")
		first := e.h.App.Notify
		first.CrashAfterSend(func(int64) error { return crash })
		if _, err := first.SendDue(e.ctx); !errors.Is(err, crash) {
			t.Fatalf("the crash: %v", err)
		}
		if n := len(e.relay.Mails()); n != 1 {
			t.Fatalf("%d mails before the crash", n)
		}
		after := first.Restarted()
		// While the dead process's claim lasts, nobody sends it again.
		if res, err := after.SendDue(e.ctx); err != nil || res.Sent != 0 {
			t.Fatalf("within the claim: %+v %v", res, err)
		}
		e.h.Clock.Advance(3 * time.Minute)
		if res, err := after.SendDue(e.ctx); err != nil || res.Sent != 1 {
			t.Fatalf("after the claim lapsed: %+v %v", res, err)
		}
		e.h.Clock.Advance(time.Hour)
		if res, err := after.SendDue(e.ctx); err != nil || res.Sent != 0 {
			t.Fatalf("a third run: %+v %v", res, err)
		}
		mails := e.relay.Mails()
		if len(mails) != 2 {
			t.Fatalf("%d mails, want the one and its duplicate", len(mails))
		}
		m1, _ := mails[0].Parse()
		m2, _ := mails[1].Parse()
		if m1.GetHeader("Message-Id") != m2.GetHeader("Message-Id") || m1.GetHeader("X-Mashang-Notification") != m2.GetHeader("X-Mashang-Notification") {
			t.Fatalf("the duplicate is not recognisable: %q %q", m1.GetHeader("Message-Id"), m2.GetHeader("Message-Id"))
		}
		var status string
		e.h.App.DB.Read.QueryRow(`SELECT status FROM outbox WHERE kind = 'reporter_accepted'`).Scan(&status)
		if status != "sent" {
			t.Fatalf("status %q", status)
		}
	})
}

// Several senders on one database: each row goes out exactly once.
func TestOneSenderPerRow(t *testing.T) {
	engines(t, func(t *testing.T, dbURL string) {
		e := setup(t, dbURL)
		const n = 12
		for i := range n {
			rep := e.h.Must(201, "POST", "/api/v1/reports", "", map[string]any{"content": "窗口推诿", "name": "张三",
				"email": fmt.Sprintf("r%d@example.cn", i), "notify": true}).JSON
			e.act(t, e.caseOf(t, rep["receipt"].(string)), map[string]any{"action": "accept"})
		}
		var wg sync.WaitGroup
		sent := make([]int, 4)
		errs := make([]error, 4)
		for i := range 4 {
			s := e.h.App.Notify.Restarted()
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, err := s.SendDue(e.ctx)
				sent[i], errs[i] = res.Sent, err
			}()
		}
		wg.Wait()
		total := 0
		for i := range 4 {
			if errs[i] != nil {
				t.Fatal(errs[i])
			}
			total += sent[i]
		}
		if total != n || len(e.relay.Mails()) != n {
			t.Fatalf("sent %d (by %v), relay got %d; want %d", total, sent, len(e.relay.Mails()), n)
		}
	})
}

// A gateway that refuses: the row is tried again after growing pauses,
// left failed after the last try with the error (never the number) for the
// administrator and in /metrics, and sent when the administrator retries.
func TestFailuresRetriedThenVisible(t *testing.T) {
	engines(t, func(t *testing.T, dbURL string) {
		e := setup(t, dbURL)
		refuse := true
		e.sms.mu.Lock()
		e.sms.fail = func() bool { return refuse }
		e.sms.mu.Unlock()
		rep := e.h.Must(201, "POST", "/api/v1/reports", "", map[string]any{"content": "窗口推诿", "name": "张三", "phone": "13800000009", "notify": true}).JSON
		e.act(t, e.caseOf(t, rep["receipt"].(string)), map[string]any{"action": "accept"})
		res := e.run(t)
		if res["retried"] != 1.0 {
			t.Fatalf("first try: %v", res)
		}
		// Not before its pause is over.
		if res := e.run(t); res["retried"] != 0.0 {
			t.Fatalf("tried again at once: %v", res)
		}
		for i := 2; i <= notify.MaxAttempts; i++ {
			e.h.Clock.Advance(time.Hour)
			res = e.run(t)
		}
		if res["failed"] != 1.0 {
			t.Fatalf("after %d tries: %v", notify.MaxAttempts, res)
		}
		list := e.h.Must(200, "GET", "/api/v1/outbox?status=failed", e.admin, nil).JSON["notifications"].([]any)
		if len(list) != 1 {
			t.Fatalf("failed list: %v", list)
		}
		row := list[0].(map[string]any)
		lastErr, _ := row["last_error"].(string)
		if row["attempts"] != float64(notify.MaxAttempts) || !strings.Contains(lastErr, "blacklisted") || strings.Contains(lastErr, "13800000009") || row["reporter"] != true {
			t.Fatalf("failed row: %v", row)
		}
		raw, _ := json.Marshal(e.h.Must(200, "GET", "/api/v1/outbox", e.admin, nil).JSON)
		if strings.Contains(string(raw), "13800000009") {
			t.Fatal("the outbox list shows the reporter's phone")
		}
		e.h.Must(403, "GET", "/api/v1/outbox", e.h.Token("clerk"), nil)
		metrics := string(e.h.Must(200, "GET", "/metrics", e.admin, nil).Raw)
		if !strings.Contains(metrics, `mashang_notifications{status="failed"} 1`) {
			t.Fatalf("metrics lack the failed notification:\n%s", grepLines(metrics, "mashang_notif"))
		}
		id := int64(row["id"].(float64))
		refuse = false
		e.h.Must(204, "POST", fmt.Sprintf("/api/v1/outbox/%d/retry", id), e.admin, nil)
		if r := e.h.Do("POST", fmt.Sprintf("/api/v1/outbox/%d/retry", id), e.admin, nil); r.Status != 409 {
			t.Fatalf("retrying a row that is not failed: %d", r.Status)
		}
		if res := e.run(t); res["sent"] != 1.0 || len(e.sms.sent()) != 1 {
			t.Fatalf("after the retry: %v, %d SMS", res, len(e.sms.sent()))
		}
	})
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// Every message has its words in every language; no SMS is longer than one
// message, whatever the values; a reporter's words use only the receipt,
// the state and what the office decided (reason, unit, dates), never the
// case number or a staff member.
func TestWords(t *testing.T) {
	long := map[string]string{"receipt": "ABCD-EFGH-JKLM", "case": "#1234567", "reason": "不属于本办受理范围，请向有关部门反映",
		"unit": "闽清县市场监督管理局", "deadline": "2026-12-31", "finish_by": "2026-12-31", "review_by": "2026-12-31", "decide_by": "2026-12-31",
		"link": "https://jubao.minqing.example.cn/track", "office": "整肃办", "what": "问责决定", "count": "3", "items": "· a"}
	allowed := map[string]bool{"receipt": true, "reason": true, "unit": true, "finish_by": true, "review_by": true, "link": true, "office": true}
	for _, k := range notify.Kinds {
		for _, l := range notify.Langs {
			subject, body, sms := notify.Words(k, l)
			if subject == "" || body == "" || (k != notify.Digest && sms == "") {
				t.Errorf("%s %s: words missing", k, l)
				continue
			}
			_, text, html, msg := notify.Render(k, l, long)
			if k != notify.Digest && (msg == "" || utf8.RuneCountInString(msg) > notify.MaxSMSRunes) {
				t.Errorf("%s %s: SMS of %d characters: %q", k, l, utf8.RuneCountInString(msg), msg)
			}
			if strings.Contains(text+html, "{") {
				t.Errorf("%s %s: a placeholder is left: %s", k, l, text)
			}
			if k.ForReporter() {
				for _, p := range notify.Placeholders(subject + body + sms) {
					if !allowed[p] {
						t.Errorf("%s %s: a reporter's message uses {%s}", k, l, p)
					}
				}
			}
		}
	}
	// A missing value drops its line, never leaves a hole.
	_, text, _, _ := notify.Render(notify.ReporterReplied, "zh-CN", map[string]string{"receipt": "R1", "office": "整肃办"})
	if strings.Contains(text, "{") || strings.Contains(text, "前申请复查") {
		t.Fatalf("without values:\n%s", text)
	}
}

func TestParseGateway(t *testing.T) {
	for _, c := range []struct {
		name, json, want string
	}{
		{"good", `{"url":"https://sms.example.cn/send","body":"{\"m\":\"{phone}\",\"t\":\"{text}\"}"}`, ""},
		{"query", `{"url":"http://127.0.0.1/send?m={phone}&t={text}","method":"get"}`, ""},
		{"no text", `{"url":"https://sms.example.cn/send","body":"{phone}"}`, "{text}"},
		{"bad url", `{"url":"ftp://x","body":"{phone}{text}"}`, "http://"},
		{"bad method", `{"url":"https://x","method":"DELETE","body":"{phone}{text}"}`, "method"},
		{"bad status", `{"url":"https://x","body":"{phone}{text}","success":{"status":[42]}}`, "42"},
		{"unknown field", `{"url":"https://x","body":"{phone}{text}","retries":3}`, "retries"},
		{"not json", `url=x`, "JSON"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := notify.ParseGateway([]byte(c.json))
			switch {
			case c.want == "" && err != nil:
				t.Fatal(err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Fatalf("error %v, want one naming %q", err, c.want)
			}
		})
	}
}

// Each staff member chooses a channel per kind: the handler who takes
// assignments by SMS gets a text, not a mail; one who chooses none gets
// nothing; one who takes the daily digest gets their mails held and then
// one digest at 08:00 listing them.
func TestChoicesAndDigest(t *testing.T) {
	engines(t, func(t *testing.T, dbURL string) {
		e := setup(t, dbURL)
		li := e.login(t, "li")
		if r := e.h.Do("PUT", "/api/v1/me/notifications", li, map[string]any{"choices": map[string]any{"assigned": "pigeon"}}); r.Status != 422 || r.ErrorCode() != "invalid_channel" {
			t.Fatalf("a wrong channel: %d %s", r.Status, r.Raw)
		}
		if r := e.h.Do("PUT", "/api/v1/me/notifications", li, map[string]any{"choices": map[string]any{"reporter_accepted": "sms"}}); r.Status != 422 {
			t.Fatalf("a reporter's kind: %d", r.Status)
		}
		got := e.h.Must(200, "PUT", "/api/v1/me/notifications", li, map[string]any{"choices": map[string]any{"assigned": "sms"}}).JSON
		if got["choices"].(map[string]any)["assigned"] != "sms" || got["choices"].(map[string]any)["overdue"] != "email" || got["phone"] != "13900000002" {
			t.Fatalf("choices: %v", got)
		}
		e.addUser(t, "zhou", "handler", "zhou@minqing.example.cn", "")
		zhou := e.login(t, "zhou")
		e.h.Must(200, "PUT", "/api/v1/me/notifications", zhou, map[string]any{"choices": map[string]any{"assigned": "none"}})
		e.addUser(t, "wu", "handler", "wu@minqing.example.cn", "")
		e.h.Must(200, "PUT", "/api/v1/me/notifications", e.login(t, "wu"), map[string]any{"digest": true})
		var ids []int64
		for _, who := range []string{"li", "zhou", "wu", "wu"} {
			r := e.h.Must(201, "POST", "/api/v1/intake", e.h.Token("clerk"), map[string]any{"channel": "hotline", "content": "窗口推诿", "received_at": "2026-03-02"}).JSON
			id := int64(r["case_id"].(float64))
			e.act(t, id, map[string]any{"action": "accept"})
			e.act(t, id, map[string]any{"action": "assign", "user": who})
			ids = append(ids, id)
		}
		e.run(t)
		if n := len(mailsTo(e.relay, "li@minqing.example.cn")); n != 0 {
			t.Fatalf("li chose SMS and got %d mails", n)
		}
		if s := e.sms.sent(); len(s) != 1 || s[0].Mobile != "13900000002" || !strings.Contains(s[0].Content, fmt.Sprintf("%d", ids[0])) {
			t.Fatalf("li's SMS: %+v", s)
		}
		if n := len(mailsTo(e.relay, "zhou@minqing.example.cn")); n != 0 {
			t.Fatalf("zhou chose none and got %d mails", n)
		}
		if n := len(mailsTo(e.relay, "wu@minqing.example.cn")); n != 0 {
			t.Fatalf("wu takes the digest and got %d mails at once", n)
		}
		// 09:00 on 2 March: the digest of the day went at 08:00; the next is
		// at 08:00 on 3 March (01:00 UTC is 09:00 in Shanghai).
		e.h.Clock.Advance(23*time.Hour + 30*time.Minute)
		if _, err := e.h.App.Notify.SendDue(e.ctx); err != nil {
			t.Fatal(err)
		}
		wu := mailsTo(e.relay, "wu@minqing.example.cn")
		if len(wu) != 1 {
			t.Fatalf("wu got %d digests", len(wu))
		}
		env, _ := wu[0].Parse()
		if !strings.Contains(env.GetHeader("Subject"), "2") || !strings.Contains(env.Text, fmt.Sprintf("#%d", ids[2])) || !strings.Contains(env.Text, fmt.Sprintf("#%d", ids[3])) {
			t.Fatalf("the digest: %s\n%s", env.GetHeader("Subject"), env.Text)
		}
		if _, err := e.h.App.Notify.SendDue(e.ctx); err != nil {
			t.Fatal(err)
		}
		if n := len(mailsTo(e.relay, "wu@minqing.example.cn")); n != 1 {
			t.Fatalf("a second digest the same day: %d", n)
		}
	})
}

// A supervision from the office above is queued, in the transaction of the
// supervision, for the supervised office's director (the kind supervision,
// once per deadline), and for no one else: not the city's own director, not
// the neighbouring county's.
func TestSupervisionTellsTheLowerOfficesDirector(t *testing.T) {
	engines(t, func(t *testing.T, dbURL string) {
		e := setup(t, dbURL)
		h := e.h
		for _, u := range []map[string]any{
			{"code": "FZ", "name": "福州市", "kind": "city"},
			{"code": "MQ", "name": "闽清县", "kind": "county", "parent": "FZ"},
			{"code": "MQ-ZX", "name": "闽清县行政服务中心", "kind": "service_centre", "parent": "MQ"},
			{"code": "YT", "name": "永泰县", "kind": "county", "parent": "FZ"},
		} {
			h.Must(201, "POST", "/api/v1/units", e.admin, u)
		}
		h.Must(200, "PATCH", "/api/v1/offices/main", e.admin, map[string]any{"jurisdiction": "FZ"})
		h.Must(201, "POST", "/api/v1/offices", e.admin, map[string]any{"code": "MQ", "name": "闽清县整肃办", "jurisdiction": "MQ"})
		h.Must(201, "POST", "/api/v1/offices", e.admin, map[string]any{"code": "YT", "name": "永泰县整肃办", "jurisdiction": "YT"})
		for _, u := range []map[string]any{
			{"username": "mqdir", "role": "director", "office": "MQ", "email": "mqdir@minqing.example.cn"},
			{"username": "ytdir", "role": "director", "office": "YT", "email": "ytdir@yongtai.example.cn"},
		} {
			u["password"] = pw
			h.Must(201, "POST", "/api/v1/users", e.admin, u)
		}
		r := h.Must(201, "POST", "/api/v1/reports", "", map[string]any{"content": "窗口推诿", "unit": "MQ-ZX", "anonymous": true})
		id := e.caseOf(t, r.JSON["receipt"].(string))
		sup := map[string]any{"action": "supervise", "deadline": "2026-03-06", "instructions": "请报告办理情况"}
		h.Must(200, "POST", fmt.Sprintf("/api/v1/cases/%d/actions", id), e.dir, sup) // wang: the city's director
		h.Must(200, "POST", fmt.Sprintf("/api/v1/cases/%d/actions", id), e.dir, sup) // the same again: once
		var rows []string
		q, err := h.App.DB.Read.Query(`SELECT o.kind, u.username FROM outbox o JOIN users u ON u.id = o.user_id WHERE o.case_id = $1 ORDER BY o.id`, id)
		if err != nil {
			t.Fatal(err)
		}
		for q.Next() {
			var k, u string
			if err := q.Scan(&k, &u); err != nil {
				t.Fatal(err)
			}
			rows = append(rows, k+" "+u)
		}
		q.Close()
		if fmt.Sprint(rows) != "[supervision mqdir]" {
			t.Fatalf("queued: %v", rows)
		}
		e.run(t)
		ms := mailsTo(e.relay, "mqdir@minqing.example.cn")
		if len(ms) != 1 {
			t.Fatalf("mails to Minqing's director: %d", len(ms))
		}
		env, err := ms[0].Parse()
		if err != nil {
			t.Fatal(err)
		}
		if s := env.GetHeader("Subject"); !strings.Contains(s, "督办") || !strings.Contains(env.Text, "2026-03-06") {
			t.Errorf("the mail: %s\n%s", s, env.Text)
		}
		if n := len(mailsTo(e.relay, "ytdir@yongtai.example.cn")) + len(mailsTo(e.relay, "wang@minqing.example.cn")); n != 0 {
			t.Errorf("%d mails to others", n)
		}
	})
}
