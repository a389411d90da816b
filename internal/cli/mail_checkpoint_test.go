package cli_test

import (
	"bytes"
	"context"
	"io"
	"mime"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"mashang/internal/audit"
	"mashang/internal/mailout"

	"github.com/emersion/go-smtp"
	"golang.org/x/mod/sumdb/note"
)

// relay is a real SMTP server on loopback that keeps what it is given.
type relay struct {
	mu   sync.Mutex
	msgs []relayed
}

type relayed struct {
	from string
	to   []string
	data []byte
}

type relaySession struct {
	r   *relay
	cur relayed
}

func (r *relay) NewSession(*smtp.Conn) (smtp.Session, error) { return &relaySession{r: r}, nil }
func (s *relaySession) Mail(from string, _ *smtp.MailOptions) error {
	s.cur.from = from
	return nil
}
func (s *relaySession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.cur.to = append(s.cur.to, to)
	return nil
}
func (s *relaySession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	s.cur.data = b
	s.r.mu.Lock()
	s.r.msgs = append(s.r.msgs, s.cur)
	s.r.mu.Unlock()
	return err
}
func (s *relaySession) Reset()        { s.cur = relayed{} }
func (s *relaySession) Logout() error { return nil }

func (r *relay) got() []relayed {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]relayed(nil), r.msgs...)
}

// serve mails the signed checkpoints to the configured address through the
// relay, at most one per log-mail-every; the mail carries the signed note
// as it is, verifiable with the log's key.
func TestCheckpointsMailed(t *testing.T) {
	engines(t, func(t *testing.T, dbURL string) {
		r := &relay{}
		srv := smtp.NewServer(r)
		srv.Domain = "relay.test"
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		go srv.Serve(ln)
		defer srv.Close()
		o := newOffice(t, dbURL)
		sender, err := mailout.New("smtp://"+ln.Addr().String(), "jubao@minqing.example.cn")
		if err != nil {
			t.Fatal(err)
		}
		m := &audit.Mailer{Every: time.Hour, Send: func(ctx context.Context, subject, body string) error {
			return sender.Send(ctx, []string{"jiwei@minqing.example.cn"}, subject, body)
		}}
		o.signer.Signed = m.Signed
		o.goOn(t) // signs: mailed
		o.h.Must(201, "POST", "/api/v1/reports", "", map[string]any{"content": "又一件。", "anonymous": true})
		if _, ok, err := o.signer.SignIfDue(context.Background()); !ok || err != nil { // within the hour: not mailed
			t.Fatal(ok, err)
		}
		o.goOn(t) // an hour later: mailed
		got := r.got()
		if len(got) != 2 {
			t.Fatalf("%d mails, want 2", len(got))
		}
		msg, err := mail.ReadMessage(bytes.NewReader(got[1].data))
		if err != nil {
			t.Fatal(err)
		}
		subject, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
		body, _ := io.ReadAll(msg.Body)
		if got[1].from != "jubao@minqing.example.cn" || got[1].to[0] != "jiwei@minqing.example.cn" || !strings.Contains(subject, "公开日志检查点") {
			t.Fatalf("mail %s → %v: %q", got[1].from, got[1].to, subject)
		}
		text := strings.ReplaceAll(string(body), "\r\n", "\n")
		i := strings.Index(text, strings.SplitN(o.h.App.LogKey.Verifier, "+", 2)[0]+"\n")
		if i < 0 {
			t.Fatalf("no checkpoint in the mail: %s", text)
		}
		v, _ := note.NewVerifier(o.h.App.LogKey.Verifier)
		n, err := note.Open([]byte(text[i:]), note.VerifierList(v))
		if err != nil {
			t.Fatalf("the mailed checkpoint does not verify: %v\n%s", err, text[i:])
		}
		latest, _ := audit.Latest(context.Background(), o.h.App.DB.Read)
		if latest.Note != text[i:] || !strings.Contains(n.Text, "\n") {
			t.Fatal("the mail does not carry the latest checkpoint as served")
		}
	})
}
