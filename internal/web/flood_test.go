package web_test

import (
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"mashang/internal/auth"
	"mashang/internal/config"
	"mashang/internal/humancheck"
	"mashang/internal/ratelimit"
	"mashang/internal/store/storetest"
	"mashang/internal/web/webtest"
)

// floodHarness runs the server with small flood limits: 3 reports an hour
// per address, 6 a minute in all, 3 tracking requests per address, the
// human check after 2 reports.
func floodHarness(t *testing.T, engine string) *webtest.Harness {
	dbURL := ""
	if engine == "postgres" {
		dbURL = storetest.PostgresURL(t)
	}
	return webtest.New(t, dbURL, func(c *config.Config) {
		c.IntakeRateAddress = ratelimit.Rate{N: 3, Per: time.Hour}
		c.IntakeRateGlobal = ratelimit.Rate{N: 6, Per: time.Minute}
		c.TrackRateAddress = ratelimit.Rate{N: 3, Per: 10 * time.Minute}
		c.HumanCheckAfter = 2
	})
}

func postReport(t *testing.T, h *webtest.Harness, c *http.Client, body string) (int, string, string) {
	t.Helper()
	res, err := c.Post(h.URL+"/api/v1/reports", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header.Get("Retry-After"), string(b)
}

func countCases(t *testing.T, h *webtest.Harness) int {
	var n int
	if err := h.App.DB.Read.QueryRow(`SELECT COUNT(*) FROM cases`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestFloodFromOneAddress: past its limit an address gets 429 with
// Retry-After and stores nothing, while other addresses go on reporting;
// its refused reports do not count against everyone's limit, which stops
// the whole only when reached by many; tracking is limited the same way;
// the next period opens the door again.
func TestFloodFromOneAddress(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			h := floodHarness(t, engine)
			flooder, other, third := from("127.0.0.20"), from("127.0.0.21"), from("127.0.0.22")
			body := `{"content":"窗口工作人员推诿，不予办理","anonymous":true}`
			var receipt, key string
			for i := range 3 {
				st, _, b := postReport(t, h, flooder, body)
				if st != 201 {
					t.Fatalf("report %d: %d %s", i+1, st, b)
				}
				receipt = regexp.MustCompile(`"receipt":"([^"]+)"`).FindStringSubmatch(b)[1]
				key = regexp.MustCompile(`"key":"([^"]+)"`).FindStringSubmatch(b)[1]
			}
			for i := range 5 {
				st, retry, b := postReport(t, h, flooder, body)
				secs, _ := strconv.Atoi(retry)
				if st != 429 || !strings.Contains(b, `"code":"too_many_reports"`) || secs <= 0 || secs > 3600 {
					t.Fatalf("flood %d: %d Retry-After %q %s", i+1, st, retry, b)
				}
			}
			if n := countCases(t, h); n != 3 {
				t.Fatalf("the flood stored %d cases", n)
			}
			for i := range 3 {
				if st, _, b := postReport(t, h, other, body); st != 201 {
					t.Fatalf("another reporter during the flood, %d: %d %s", i+1, st, b)
				}
			}
			// Six in the minute from the public in all: the next waits.
			if st, retry, b := postReport(t, h, third, body); st != 429 || !strings.Contains(b, `"code":"intake_busy"`) || retry == "" {
				t.Fatalf("past the global limit: %d %s", st, b)
			}
			// Staff entry is not limited.
			h.Must(201, "POST", "/api/v1/intake", h.Token(auth.Clerk), map[string]any{"channel": "hotline", "content": "来电反映"})
			// Tracking: three requests per address.
			track := func(c *http.Client) int {
				res, err := c.Post(h.URL+"/api/v1/track", "application/json", strings.NewReader(fmt.Sprintf(`{"receipt":%q,"key":%q}`, receipt, key)))
				if err != nil {
					t.Fatal(err)
				}
				res.Body.Close()
				return res.StatusCode
			}
			for i := range 3 {
				if st := track(flooder); st != 200 {
					t.Fatalf("track %d: %d", i+1, st)
				}
			}
			if st := track(flooder); st != 429 {
				t.Fatalf("track past the limit: %d", st)
			}
			if st := track(other); st != 200 {
				t.Fatalf("track from another address: %d", st)
			}
			h.Clock.Advance(time.Hour)
			if st, _, b := postReport(t, h, flooder, body); st != 201 {
				t.Fatalf("the next hour: %d %s", st, b)
			}
		})
	}
}

var hcTokenRe = regexp.MustCompile(`name="hc_token" value="([^"]+)"`)

// TestHumanCheckOnReportForm: after two reports from one address the web
// form asks for the digits of a picture (an inline image: no script, no
// outside service); a wrong answer keeps what was typed and shows a new
// picture; the right one files the report, once.
func TestHumanCheckOnReportForm(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			h := floodHarness(t, engine)
			b := newBrowser(t, h)
			file := func(extra url.Values) page {
				form := url.Values{"csrf": {b.csrf("/report")}, "content": {"村委会办事推诿，材料跑了三趟"}, "anonymous": {"yes"}}
				for k, v := range extra {
					form[k] = v
				}
				return b.post("/report", form)
			}
			for i := range 2 {
				if p := b.receiptAfter(file(nil)); !strings.Contains(p.Body, "receipt-key") {
					t.Fatalf("report %d: no key", i+1)
				}
			}
			form := b.get("/report")
			m := hcTokenRe.FindStringSubmatch(form.Body)
			if m == nil || !strings.Contains(form.Body, `src="data:image/png;base64,`) || !strings.Contains(form.Body, `id="hc_answer"`) {
				t.Fatal("no human check on the form after two reports")
			}
			if p := file(url.Values{"hc_token": {m[1]}, "hc_answer": {"00000x"}}); p.Status != 422 || !strings.Contains(p.Body, "图中数字输入不对") ||
				!strings.Contains(p.Body, "村委会办事推诿") || hcTokenRe.FindStringSubmatch(p.Body)[1] == m[1] {
				t.Fatalf("a wrong answer: %d", p.Status)
			}
			if p := file(nil); p.Status != 422 {
				t.Fatalf("no answer: %d", p.Status)
			}
			key := []byte(h.App.Vault.KeyedHash("humancheck", "challenge key v1"))
			answer, ok := humancheck.Answer(key, m[1])
			if !ok {
				t.Fatal("no answer to the challenge")
			}
			if p := b.receiptAfter(file(url.Values{"hc_token": {m[1]}, "hc_answer": {answer}})); !strings.Contains(p.Body, "receipt-key") {
				t.Fatal("the right answer: no key")
			}
			if n := countCases(t, h); n != 3 {
				t.Fatalf("%d cases", n)
			}
			// The per-address limit still stands (3 an hour): 429 on the page too.
			fresh := hcTokenRe.FindStringSubmatch(b.get("/report").Body)[1]
			a2, _ := humancheck.Answer(key, fresh)
			if p := file(url.Values{"hc_token": {fresh}, "hc_answer": {a2}}); p.Status != 429 || p.Header.Get("Retry-After") == "" {
				t.Fatalf("past the limit on the page: %d", p.Status)
			}
		})
	}
}

// TestFloodBehindTrustedProxy: behind a proxy named in trusted-proxies the
// per-address limit counts each client at the address X-Forwarded-For
// gives, so one flooding client does not lock out the others behind the
// same proxy; from a peer that is not a trusted proxy the header is ignored
// and the peer is counted, whatever it claims.
func TestFloodBehindTrustedProxy(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			dbURL := ""
			if engine == "postgres" {
				dbURL = storetest.PostgresURL(t)
			}
			h := webtest.New(t, dbURL, func(c *config.Config) {
				c.IntakeRateAddress = ratelimit.Rate{N: 2, Per: time.Hour}
				c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.30/32")}
			})
			post := func(c *http.Client, xff string) int {
				t.Helper()
				req, _ := http.NewRequest("POST", h.URL+"/api/v1/reports", strings.NewReader(`{"content":"窗口推诿","anonymous":true}`))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("X-Forwarded-For", xff)
				res, err := c.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				return res.StatusCode
			}
			proxy, stranger := from("127.0.0.30"), from("127.0.0.31")
			for i, c := range []struct {
				client *http.Client
				xff    string
				want   int
			}{
				{proxy, "198.51.100.1", 201},
				{proxy, "198.51.100.1", 201},
				{proxy, "198.51.100.1", 429},               // the flooding client
				{proxy, "198.51.100.2", 201},               // another client behind the same proxy
				{proxy, "198.51.100.9, 198.51.100.1", 429}, // a forged entry left of the real one changes nothing
				{stranger, "198.51.100.3", 201},
				{stranger, "198.51.100.4", 201},
				{stranger, "198.51.100.5", 429}, // not a trusted proxy: counted at its own address
			} {
				if got := post(c.client, c.xff); got != c.want {
					t.Fatalf("request %d (X-Forwarded-For %s): %d, want %d", i+1, c.xff, got, c.want)
				}
			}
		})
	}
}
