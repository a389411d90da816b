package web_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"testing"

	"mashang/internal/access"
	"mashang/internal/auth"
	"mashang/internal/identity"
	"mashang/internal/intake"
	"mashang/internal/letters"
	"mashang/internal/problem"
	"mashang/internal/store/storetest"
	"mashang/internal/web/webtest"
)

// lockedBuffer is a log sink the server's goroutines write to at once.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// A letter report registered at the desk with the reporter's postal
// address: the print queue shows the clerk name and address for the
// envelope (audited), the reporter's copy of the notice carries them, the
// office's copy does not; a role without reporter.identity sees them
// masked; a too-long address is refused in the caller's language and
// changes nothing; the address is never logged nor put in a URL; a public
// report without an address is taken as before, one with an address
// refused.
func TestPostalAddressInPrintQueue(t *testing.T) {
	const addr = "福建省福州市闽清县梅城镇解放大街88号3栋201室"
	const masked = "福建省福州市闽清县****"
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			dbURL := ""
			if engine == "postgres" {
				dbURL = storetest.PostgresURL(t)
			}
			logs := &lockedBuffer{}
			h := webtest.NewLogged(t, dbURL, slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
			clerk, dir := h.Token(auth.Clerk), h.Token(auth.Director)
			var urls []string // every URL asked for

			// The desk: the field is there, labelled, for letter and walk-in.
			b := newBrowser(t, h)
			b.signIn("desk-clerk", auth.Clerk)
			desk := b.get("/staff/desk")
			urls = append(urls, "/staff/desk")
			if desk.Status != 200 || !strings.Contains(desk.Body, `<label for="address">通信地址（邮寄回复用）</label>`) ||
				!strings.Contains(desk.Body, `data-channels="letter walkin"`) || !strings.Contains(desk.Body, `name="address"`) {
				t.Fatalf("the desk's address field: %d", desk.Status)
			}
			// Too long: 422 naming the field, in Chinese and in English, nothing registered.
			var before int
			h.App.DB.Read.QueryRow(`SELECT COUNT(*) FROM cases`).Scan(&before)
			long := strings.Repeat("闽", intake.MaxAddressRunes+1)
			p := b.post("/staff/desk", formOf("csrf", b.csrf("/staff/desk"), "channel", "letter", "content", "来信反映窗口推诿", "name", "张三", "address", long))
			if p.Status != 422 || !strings.Contains(p.Body, "回信地址过长（最多 200 个字）") || !strings.Contains(p.Body, `id="address"`) {
				t.Fatalf("a too-long address at the desk: %d", p.Status)
			}
			r := h.Do("POST", "/api/v1/intake", clerk, map[string]any{"channel": "letter", "content": "来信反映窗口推诿",
				"reporter": map[string]any{"name": "张三", "address": long}}, "Accept-Language: en")
			if r.Status != 422 || r.ErrorCode() != "too_long" || !strings.Contains(string(r.Raw), `"field":"address"`) ||
				r.ErrorMessage() != "the postal address is too long (at most 200 characters)" || strings.Contains(string(r.Raw), "闽闽") {
				t.Fatalf("a too-long address by the API: %d %s", r.Status, r.Raw)
			}
			// Not UTF-8 (a multipart form's bytes, or a caller of intake): refused, naming the field.
			_, err := h.App.Intake.Submit(context.Background(), intake.Submission{Channel: "letter", Content: "来信", Actor: "user:clerk",
				Reporter: identity.Identity{Name: "张三", Address: "福建省\xff"}})
			if pe, ok := problem.As(err); !ok || pe.Code != "invalid_utf8" || pe.Field != "address" {
				t.Fatalf("an address not in UTF-8: %v", err)
			}
			var after int
			h.App.DB.Read.QueryRow(`SELECT COUNT(*) FROM cases`).Scan(&after)
			if after != before {
				t.Fatalf("a refused address registered %d cases", after-before)
			}
			// Registered at the desk, trimmed; accepted by the director.
			p = b.post("/staff/desk", formOf("csrf", b.csrf("/staff/desk"), "channel", "letter", "content", "来信反映窗口推诿扯皮", "name", "张三",
				"phone", "13800000003", "address", "  "+addr+"\n"))
			urls = append(urls, "/staff/desk")
			if p.Status != 201 {
				t.Fatalf("the desk registers: %d %.300s", p.Status, p.Body)
			}
			var id int64
			h.App.DB.Read.QueryRow(`SELECT MAX(id) FROM cases`).Scan(&id)
			h.Must(200, "POST", fmt.Sprintf("/api/v1/cases/%d/actions", id), dir, map[string]any{"action": "accept"})
			// On disk only sealed: no column of the case holds the address in clear.
			var row string
			h.App.DB.Read.QueryRow(`SELECT COALESCE(identity_mask, '') FROM cases WHERE id = $1`, id).Scan(&row)
			if strings.Contains(row, "解放大街") || !strings.Contains(row, masked) {
				t.Fatalf("the masked identity: %q", row)
			}

			// The queue shows the clerk name and address, in clear, and says so in the audit log.
			q := h.Must(200, "GET", "/api/v1/letters/post", clerk, nil).JSON["notices"].([]any)
			urls = append(urls, "/api/v1/letters/post")
			if len(q) != 1 {
				t.Fatalf("the queue: %v", q)
			}
			item := q[0].(map[string]any)
			if item["name"] != "张三" || item["address"] != addr || item["masked"] != false {
				t.Fatalf("the queued notice's addressee: %v", item)
			}
			var listed int
			h.App.DB.Read.QueryRow(`SELECT COUNT(*) FROM audit_log WHERE action = 'notice.post_list' AND data LIKE $1`, fmt.Sprintf("%%%d%%", id)).Scan(&listed)
			if listed != 1 {
				t.Fatalf("%d audited listings of the queue", listed)
			}
			page := b.get("/staff/post")
			urls = append(urls, "/staff/post")
			if page.Status != 200 || !strings.Contains(page.Body, `<span class="address">`+addr+`</span>`) || !strings.Contains(page.Body, "张三") {
				t.Fatalf("the print queue page lacks the address: %d", page.Status)
			}
			// The case's reporter (API) shows it masked, as the rest of the identity, until revealed.
			rp := h.Must(200, "GET", fmt.Sprintf("/api/v1/cases/%d/reporter", id), clerk, nil)
			if webtest.Str(rp.JSON, "masked.address") != masked || strings.Contains(string(rp.Raw), "解放大街") {
				t.Fatalf("the case's reporter: %s", rp.Raw)
			}
			rv := h.Must(200, "POST", fmt.Sprintf("/api/v1/cases/%d/reporter/reveal", id), dir, map[string]any{"reason": "邮寄回复前核对地址"})
			if webtest.Str(rv.JSON, "identity.address") != addr {
				t.Fatalf("revealed: %s", rv.Raw)
			}
			// The case page shows it masked, as the rest of the identity, until revealed.
			cp := b.get(fmt.Sprintf("/staff/cases/%d", id))
			if cp.Status != 200 || !strings.Contains(cp.Body, `<dd id="masked-address">`+masked+`</dd>`) || strings.Contains(cp.Body, "解放大街") {
				t.Fatalf("the case page's reporter: %d", cp.Status)
			}
			// The reporter's copy carries it; the office's copy does not.
			html := item["html"].(string)
			mine := string(h.Must(200, "GET", html, clerk, nil).Raw)
			urls = append(urls, html, item["pdf"].(string))
			if !strings.Contains(mine, `<p class="address" id="address">`+addr+`<br>张三 收</p>`) {
				t.Fatalf("the reporter's copy lacks the address:\n%s", mine)
			}
			office := string(h.Must(200, "GET", strings.TrimSuffix(html, "?copy=reporter"), clerk, nil).Raw)
			if strings.Contains(office, "解放大街") || strings.Contains(office, "张三") {
				t.Fatal("the office's copy bears the address")
			}
			// Roles without reporter.identity: the queue and the reporter's copy are closed to them.
			for _, role := range []auth.Role{auth.Inspector, auth.OrgDept, auth.Handler} {
				if r := h.Do("GET", "/api/v1/letters/post", h.Token(role), nil); r.Status != 403 || strings.Contains(string(r.Raw), "解放大街") {
					t.Fatalf("%s lists the queue: %d", role, r.Status)
				}
				if r := h.Do("GET", html, h.Token(role), nil); r.Status != 403 && r.Status != 404 || strings.Contains(string(r.Raw), "解放大街") {
					t.Fatalf("%s prints the reporter's copy: %d", role, r.Status)
				}
			}
			// Where a policy lets a role post without knowing the reporter, it sees both masked.
			pol, err := access.Parse(postOnlyPolicy())
			if err != nil {
				t.Fatal(err)
			}
			ls, err := letters.New(letters.Deps{DB: h.App.DB, Policy: pol, Clock: h.App.Clock, Loc: h.App.Loc, Vault: h.App.Vault, IdentityAAD: intake.IdentityAAD})
			if err != nil {
				t.Fatal(err)
			}
			who, err := h.App.Auth.Authenticate(context.Background(), clerk)
			if err != nil {
				t.Fatal(err)
			}
			got, err := ls.ToPost(context.Background(), who)
			if err != nil || len(got) != 1 || got[0].Address != masked || got[0].Name != "张*" || !got[0].Masked {
				t.Fatalf("the masked queue: %+v %v", got, err)
			}
			if _, _, err := ls.HTML(context.Background(), who, id, got[0].ID, true); err == nil {
				t.Fatal("a clerk without reporter.identity printed the reporter's copy")
			}

			// A public report without an address is taken as before; one with an address is refused.
			pub := h.Must(201, "POST", "/api/v1/reports", "", map[string]any{"content": "网上反映窗口推诿", "name": "李四", "phone": "13800000004"})
			if pub.JSON["receipt"] == "" {
				t.Fatalf("the public report: %s", pub.Raw)
			}
			h.App.DB.Read.QueryRow(`SELECT COUNT(*) FROM cases`).Scan(&before)
			if r := h.Do("POST", "/api/v1/reports", "", map[string]any{"content": "网上反映", "name": "李四", "address": addr}); r.Status != 422 ||
				r.ErrorCode() != "unknown_field" || strings.Contains(string(r.Raw), "解放大街") {
				t.Fatalf("a public report with an address: %d %s", r.Status, r.Raw)
			}
			h.App.DB.Read.QueryRow(`SELECT COUNT(*) FROM cases`).Scan(&after)
			if after != before {
				t.Fatal("the refused public report was registered")
			}

			// A new identity key re-seals the address with the rest of the identity.
			if _, err := h.App.RotateIdentityKey(context.Background(), "test"); err != nil {
				t.Fatal(err)
			}
			var sealed []byte
			var receipt string
			h.App.DB.Read.QueryRow(`SELECT identity, receipt FROM cases WHERE id = $1`, id).Scan(&sealed, &receipt)
			if who, err := h.App.Vault.OpenIdentity(sealed, intake.IdentityAAD(receipt)); err != nil || who.Address != addr || who.Name != "张三" {
				t.Fatalf("after the key's rotation: %+v %v", who, err)
			}

			// Never in a URL, never in the log.
			for _, u := range append(urls, page.Body) {
				if strings.Contains(u, url.QueryEscape("解放大街")) || strings.Contains(u, "%E8%A7%A3%E6%94%BE") {
					t.Fatalf("the address in a URL: %s", u)
				}
			}
			if logs.String() == "" {
				t.Fatal("nothing was logged: the check below would prove nothing")
			}
			if l := logs.String(); strings.Contains(l, "解放大街") || strings.Contains(l, "闽清县") || strings.Contains(l, "%E8%A7%A3") {
				t.Fatalf("the address was logged:\n%s", l)
			}
		})
	}
}

// postOnlyPolicy is a policy, written out here, in which a clerk reads cases
// and posts letters but does not hold reporter.identity; no one else holds
// anything.
func postOnlyPolicy() string {
	var t strings.Builder
	t.WriteString("permission kind")
	for _, r := range auth.Roles {
		t.WriteString(" " + string(r))
	}
	t.WriteString("\n")
	for _, perm := range access.Perms() {
		t.WriteString(string(perm) + " r")
		for _, r := range auth.Roles {
			if r == auth.Clerk && (perm == access.CaseRead || perm == access.LetterPost) {
				t.WriteString(" all")
			} else {
				t.WriteString(" -")
			}
		}
		t.WriteString("\n")
	}
	return t.String()
}
