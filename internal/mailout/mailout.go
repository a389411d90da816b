// Package mailout sends mashang's own plain-text mail (such as the audit
// log's checkpoints) through the office's relay, smtp://[user[:password]@]
// host[:port]: STARTTLS when the relay offers it, PLAIN authentication when
// a user is given (only over TLS or to a loopback relay, as net/smtp
// insists).
package mailout

import (
	"context"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/mail"
	"net/smtp"
	"net/url"
	"strings"
	"time"
)

// Sender sends through one relay.
type Sender struct {
	relay *url.URL
	from  string
}

// New checks the relay URL and the sender's address.
func New(relay, from string) (*Sender, error) {
	u, err := url.Parse(relay)
	if err != nil || u.Scheme != "smtp" || u.Host == "" {
		return nil, fmt.Errorf("mailout: relay must be smtp://[user[:password]@]host[:port], not %q", relay)
	}
	if u.Port() == "" {
		u.Host = net.JoinHostPort(u.Hostname(), "25")
	}
	a, err := mail.ParseAddress(from)
	if err != nil {
		return nil, fmt.Errorf("mailout: sender address %q: %w", from, err)
	}
	return &Sender{relay: u, from: a.Address}, nil
}

// Send mails body to every address in to, with subject (any language).
func (s *Sender) Send(ctx context.Context, to []string, subject, body string) error {
	if len(to) == 0 {
		return errors.New("mailout: no recipient")
	}
	for _, t := range to {
		if _, err := mail.ParseAddress(t); err != nil {
			return fmt.Errorf("mailout: recipient %q: %w", t, err)
		}
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
	c, err := smtp.NewClient(conn, s.relay.Hostname())
	if err != nil {
		conn.Close()
		return fmt.Errorf("mailout: %w", err)
	}
	defer c.Close()
	if ok, _ := c.Extension("STARTTLS"); ok {
		if err := c.StartTLS(nil); err != nil {
			return fmt.Errorf("mailout: STARTTLS: %w", err)
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
	for _, t := range to {
		a, _ := mail.ParseAddress(t)
		if err := c.Rcpt(a.Address); err != nil {
			return fmt.Errorf("mailout: RCPT TO %s: %w", a.Address, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("mailout: DATA: %w", err)
	}
	var m strings.Builder
	m.WriteString("From: " + s.from + "\r\n")
	m.WriteString("To: " + strings.Join(to, ", ") + "\r\n")
	m.WriteString("Subject: " + mime.BEncoding.Encode("UTF-8", subject) + "\r\n")
	m.WriteString("Date: " + time.Now().Format(time.RFC1123Z) + "\r\n")
	m.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
	m.WriteString(strings.ReplaceAll(strings.ReplaceAll(body, "\r\n", "\n"), "\n", "\r\n"))
	if _, err := w.Write([]byte(m.String())); err != nil {
		return fmt.Errorf("mailout: write: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("mailout: send: %w", err)
	}
	return c.Quit()
}
