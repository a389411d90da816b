package mailout_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"mashang/internal/mailout"
	"mashang/internal/mailout/mailtest"
)

func TestNewRefusesBadSettings(t *testing.T) {
	for _, tc := range []struct{ relay, from, want string }{
		{"", "a@b.cn", "relay must be"},
		{"mail.example.cn:25", "a@b.cn", "relay must be"},
		{"http://mail.example.cn", "a@b.cn", "relay must be"},
		{"smtp://mail.example.cn", "not an address", "sender address"},
	} {
		if _, err := mailout.New(tc.relay, tc.from); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%q, %q): %v, want %q", tc.relay, tc.from, err, tc.want)
		}
	}
	// A password in a bad URL is not repeated in the error.
	if _, err := mailout.New("ftp://u:s3cret@mail.example.cn", "a@b.cn"); err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("the error shows the password: %v", err)
	}
	s, err := mailout.New("smtp://user:pw@mail.example.cn", "整肃办 <jubao@example.cn>")
	if err != nil || s.From() != "jubao@example.cn" || s.Domain() != "example.cn" {
		t.Fatalf("%+v %v", s, err)
	}
	for _, to := range [][]string{nil, {"nobody"}} {
		if err := s.Send(context.Background(), to, "x", "y"); err == nil {
			t.Errorf("Send to %v: no error", to)
		}
	}
}

// Through a real relay on loopback that offers STARTTLS and wants PLAIN
// authentication: the message goes over TLS, authenticated, as
// multipart/alternative (text and HTML, both decoding to what was given),
// with the Message-ID, language and headers asked for.
func TestSendOverSTARTTLSWithAuth(t *testing.T) {
	r := mailtest.Start(t, mailtest.Options{TLS: true, User: "jubao", Password: "relay pass"})
	s, err := mailout.New(r.URL(), "闽清县整肃办 <jubao@minqing.example.cn>")
	if err != nil {
		t.Fatal(err)
	}
	s.RootCAs = r.Roots
	s.Now = func() time.Time { return time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC) }
	err = s.SendMessage(context.Background(), mailout.Message{To: []string{"handler@minqing.example.cn"}, Subject: "新交办案件 #12",
		Text: "您有一件新交办的案件。\n请登录查看。", HTML: "<p>您有一件新交办的案件。</p>", MessageID: "n12.abc@minqing.example.cn", Lang: "zh-CN",
		Headers: map[string]string{"X-Mashang-Notification": "12"}})
	if err != nil {
		t.Fatal(err)
	}
	got := r.Wait(t, 1, 5*time.Second)
	m := got[0]
	if !m.TLS || m.AuthUser != "jubao" || m.From != "jubao@minqing.example.cn" || len(m.To) != 1 || m.To[0] != "handler@minqing.example.cn" {
		t.Fatalf("mail: TLS %v auth %q from %s to %v", m.TLS, m.AuthUser, m.From, m.To)
	}
	e, err := m.Parse()
	if err != nil {
		t.Fatal(err)
	}
	if e.GetHeader("Subject") != "新交办案件 #12" || e.GetHeader("Message-ID") != "<n12.abc@minqing.example.cn>" ||
		e.GetHeader("Content-Language") != "zh-CN" || e.GetHeader("X-Mashang-Notification") != "12" {
		t.Fatalf("headers: %q %q %q %q", e.GetHeader("Subject"), e.GetHeader("Message-ID"), e.GetHeader("Content-Language"), e.GetHeader("X-Mashang-Notification"))
	}
	if !strings.Contains(e.GetHeader("From"), "闽清县整肃办") {
		t.Errorf("From: %q", e.GetHeader("From"))
	}
	if strings.ReplaceAll(e.Text, "\r\n", "\n") != "您有一件新交办的案件。\n请登录查看。" || !strings.Contains(e.HTML, "<p>您有一件新交办的案件。</p>") {
		t.Fatalf("text %q html %q", e.Text, e.HTML)
	}
}

// A wrong password, an untrusted certificate and a refused recipient fail
// with the step named; the recipient's address is not in the error, even
// where the relay's answer quotes it.
func TestSendFailures(t *testing.T) {
	r := mailtest.Start(t, mailtest.Options{TLS: true, User: "jubao", Password: "relay pass",
		Refuse: func(rcpt string) bool { return strings.HasPrefix(strings.ToLower(rcpt), "gone") }})
	ctx := context.Background()
	wrong, _ := mailout.New(strings.Replace(r.URL(), "relay%20pass", "wrong", 1), "jubao@minqing.example.cn")
	wrong.RootCAs = r.Roots
	if err := wrong.Send(ctx, []string{"a@example.cn"}, "x", "y"); err == nil || !strings.Contains(err.Error(), "authenticate") {
		t.Errorf("wrong password: %v", err)
	}
	untrusted, _ := mailout.New(r.URL(), "jubao@minqing.example.cn")
	if err := untrusted.Send(ctx, []string{"a@example.cn"}, "x", "y"); err == nil || !strings.Contains(err.Error(), "STARTTLS") {
		t.Errorf("untrusted certificate: %v", err)
	}
	ok, _ := mailout.New(r.URL(), "jubao@minqing.example.cn")
	ok.RootCAs = r.Roots
	err := ok.Send(ctx, []string{"Gone.Reporter@Example.cn"}, "x", "y")
	if !errors.Is(err, mailout.ErrRecipient) || strings.Contains(strings.ToLower(err.Error()), "gone.reporter") || !strings.Contains(err.Error(), "<recipient>") {
		t.Errorf("refused recipient: %v", err)
	}
	if len(r.Mails()) != 0 {
		t.Errorf("%d mails accepted", len(r.Mails()))
	}
}

func TestScrub(t *testing.T) {
	for _, tc := range []struct {
		text  string
		addrs []string
		want  string
	}{
		{"550 <A@B.cn>: unknown", []string{"a@b.cn"}, "550 <<recipient>>: unknown"},
		{"no address here", []string{"a@b.cn"}, "no address here"},
		{"13912345678 rejected; 13912345678 again", []string{"13912345678"}, "<recipient> rejected; <recipient> again"},
		{"a.b@c.cn", []string{""}, "a.b@c.cn"},
		{"aXb@c.cn vs a.b@c.cn", []string{"a.b@c.cn"}, "aXb@c.cn vs <recipient>"},
	} {
		if got := mailout.Scrub(tc.text, tc.addrs...); got != tc.want {
			t.Errorf("Scrub(%q, %v) = %q, want %q", tc.text, tc.addrs, got, tc.want)
		}
	}
}
