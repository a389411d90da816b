// Package mailout sends mashang's own mail (the audit log's checkpoints,
// notifications to staff and reporters) through the office's relay,
// smtp://[user[:password]@]host[:port] (STARTTLS when the relay offers it)
// or smtps://… (TLS from the first byte, port 465 by default): PLAIN
// authentication when a user is given (only over TLS or to a loopback
// relay, as net/smtp insists).
//
// A message is plain text, or plain text and HTML as
// multipart/alternative, with a Message-ID of the caller's choosing (a
// notification keeps one id over its retries, so that a duplicate is
// recognisable) and the language it is written in. Errors never name a
// recipient: reporters' addresses must not reach the logs.
package mailout

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"time"
)

// Sender sends through one relay.
type Sender struct {
	relay    *url.URL
	implicit bool // smtps: TLS from the start
	from     string
	name     string // the sender's display name, "" for none
	// RootCAs, when set, are the certificate authorities the relay's
	// certificate must chain to (nil: the system's).
	RootCAs *x509.CertPool
	// Now stamps the Date header (nil: the system clock).
	Now func() time.Time
}

// New checks the relay URL and the sender's address.
func New(relay, from string) (*Sender, error) {
	u, err := url.Parse(relay)
	if err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Host == "" {
		return nil, fmt.Errorf("mailout: relay must be smtp://[user[:password]@]host[:port] or smtps://…, not %q", redact(relay))
	}
	s := &Sender{relay: u, implicit: u.Scheme == "smtps"}
	if u.Port() == "" {
		port := "25"
		if s.implicit {
			port = "465"
		}
		u.Host = net.JoinHostPort(u.Hostname(), port)
	}
	a, err := mail.ParseAddress(from)
	if err != nil {
		return nil, fmt.Errorf("mailout: sender address %q: %w", from, err)
	}
	s.from, s.name = a.Address, a.Name
	return s, nil
}

// redact hides a password in a relay URL for an error message.
func redact(relay string) string {
	if u, err := url.Parse(relay); err == nil && u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), "****")
			return u.String()
		}
	}
	return relay
}

// From is the sender's address.
func (s *Sender) From() string { return s.from }

// Domain is the domain of the sender's address (for Message-IDs).
func (s *Sender) Domain() string {
	if i := strings.LastIndexByte(s.from, '@'); i >= 0 {
		return s.from[i+1:]
	}
	return "localhost"
}

// Message is one mail to send.
type Message struct {
	To      []string
	Subject string // any language
	Text    string // the plain-text body
	HTML    string // an HTML body as well ("": plain text only)
	// MessageID is the Message-ID without angle brackets ("": one is made).
	MessageID string
	// Lang is the body's language (Content-Language), "" for none.
	Lang string
	// Headers are more header fields (such as X-Mashang-Notification).
	Headers map[string]string
}

// Send mails body to every address in to, with subject (any language).
func (s *Sender) Send(ctx context.Context, to []string, subject, body string) error {
	return s.SendMessage(ctx, Message{To: to, Subject: subject, Text: body})
}

// ErrRecipient is returned (wrapped) when the relay refuses a recipient.
var ErrRecipient = errors.New("mailout: the relay refused the recipient")

// SendMessage sends m. An error names the step that failed and the relay's
// answer, never a recipient's address (a relay's answer that quotes one
// has it replaced).
func (s *Sender) SendMessage(ctx context.Context, m Message) (err error) {
	if len(m.To) == 0 {
		return errors.New("mailout: no recipient")
	}
	var rcpts []string
	for i, t := range m.To {
		a, err := mail.ParseAddress(t)
		if err != nil {
			return fmt.Errorf("mailout: recipient %d is not an address", i+1)
		}
		rcpts = append(rcpts, a.Address)
	}
	defer func() {
		if err != nil {
			err = &scrubbed{err: err, addrs: rcpts}
		}
	}()
	raw, err := s.compose(m, rcpts)
	if err != nil {
		return err
	}
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(time.Minute)
	}
	d := net.Dialer{Deadline: deadline}
	conn, err := d.DialContext(ctx, "tcp", s.relay.Host)
	if err != nil {
		return fmt.Errorf("mailout: connect to %s: %w", s.relay.Host, err)
	}
	conn.SetDeadline(deadline)
	tlsConf := &tls.Config{ServerName: s.relay.Hostname(), RootCAs: s.RootCAs, MinVersion: tls.VersionTLS12}
	if s.implicit {
		tc := tls.Client(conn, tlsConf)
		if err := tc.HandshakeContext(ctx); err != nil {
			conn.Close()
			return fmt.Errorf("mailout: TLS with %s: %w", s.relay.Host, err)
		}
		conn = tc
	}
	c, err := smtp.NewClient(conn, s.relay.Hostname())
	if err != nil {
		conn.Close()
		return fmt.Errorf("mailout: %w", err)
	}
	defer c.Close()
	if !s.implicit {
		if ok, _ := c.Extension("STARTTLS"); ok {
			if err := c.StartTLS(tlsConf); err != nil {
				return fmt.Errorf("mailout: STARTTLS: %w", err)
			}
		}
	}
	if u := s.relay.User; u != nil {
		pw, _ := u.Password()
		if err := c.Auth(smtp.PlainAuth("", u.Username(), pw, s.relay.Hostname())); err != nil {
			return fmt.Errorf("mailout: authenticate: %w", err)
		}
	}
	if err := c.Mail(s.from); err != nil {
		return fmt.Errorf("mailout: MAIL FROM: %w", err)
	}
	for _, r := range rcpts {
		if err := c.Rcpt(r); err != nil {
			return fmt.Errorf("%w: %w", ErrRecipient, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("mailout: DATA: %w", err)
	}
	if _, err := w.Write(raw); err != nil {
		return fmt.Errorf("mailout: write: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("mailout: send: %w", err)
	}
	return c.Quit()
}

// compose renders m as a message: headers, then the text (8bit, as it is)
// or a multipart/alternative of text and HTML (each base64).
func (s *Sender) compose(m Message, rcpts []string) ([]byte, error) {
	var b bytes.Buffer
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	from := s.from
	if s.name != "" {
		from = (&mail.Address{Name: s.name, Address: s.from}).String()
	}
	id := m.MessageID
	if id == "" {
		r := make([]byte, 12)
		rand.Read(r)
		id = hex.EncodeToString(r) + "@" + s.Domain()
	}
	if strings.ContainsAny(id, "<>\r\n ") {
		return nil, fmt.Errorf("mailout: bad Message-ID %q", id)
	}
	h := func(k, v string) { b.WriteString(k + ": " + v + "\r\n") }
	h("From", from)
	h("To", strings.Join(rcpts, ", "))
	h("Subject", mime.BEncoding.Encode("UTF-8", m.Subject))
	h("Date", now().Format(time.RFC1123Z))
	h("Message-ID", "<"+id+">")
	h("MIME-Version", "1.0")
	if m.Lang != "" {
		h("Content-Language", m.Lang)
	}
	keys := make([]string, 0, len(m.Headers))
	for k := range m.Headers {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := m.Headers[k]
		if strings.ContainsAny(k+v, "\r\n") || strings.ContainsAny(k, ": ") {
			return nil, fmt.Errorf("mailout: bad header %q", k)
		}
		h(textproto.CanonicalMIMEHeaderKey(k), mime.QEncoding.Encode("UTF-8", v))
	}
	crlf := func(t string) string {
		return strings.ReplaceAll(strings.ReplaceAll(t, "\r\n", "\n"), "\n", "\r\n")
	}
	if m.HTML == "" {
		h("Content-Type", "text/plain; charset=utf-8")
		h("Content-Transfer-Encoding", "8bit")
		b.WriteString("\r\n")
		b.WriteString(crlf(m.Text))
		return b.Bytes(), nil
	}
	mw := multipart.NewWriter(&b)
	h("Content-Type", `multipart/alternative; boundary="`+mw.Boundary()+`"`)
	b.WriteString("\r\n")
	for _, part := range []struct{ ct, body string }{{"text/plain; charset=utf-8", m.Text}, {"text/html; charset=utf-8", m.HTML}} {
		ph := textproto.MIMEHeader{}
		ph.Set("Content-Type", part.ct)
		ph.Set("Content-Transfer-Encoding", "base64")
		pw, err := mw.CreatePart(ph)
		if err != nil {
			return nil, err
		}
		enc := base64.StdEncoding.EncodeToString([]byte(crlf(part.body)))
		for len(enc) > 76 {
			pw.Write([]byte(enc[:76] + "\r\n"))
			enc = enc[76:]
		}
		pw.Write([]byte(enc + "\r\n"))
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// scrubbed is an error whose text has the recipients' addresses replaced.
type scrubbed struct {
	err   error
	addrs []string
}

func (e *scrubbed) Error() string { return Scrub(e.err.Error(), e.addrs...) }
func (e *scrubbed) Unwrap() error { return e.err }

// Scrub replaces every occurrence of the given addresses (or phone numbers)
// in text, in any letter case, with "<recipient>".
func Scrub(text string, addrs ...string) string {
	for _, a := range addrs {
		if a != "" {
			text = regexp.MustCompile("(?i)"+regexp.QuoteMeta(a)).ReplaceAllLiteralString(text, "<recipient>")
		}
	}
	return text
}
