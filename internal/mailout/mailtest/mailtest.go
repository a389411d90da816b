// Package mailtest runs a real SMTP relay on loopback for tests (go-smtp):
// optionally with STARTTLS under a certificate made for the run and with
// PLAIN authentication, keeping every message it accepts.
package mailtest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"log"
	"math/big"
	"net"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/jhillyerd/enmime"
)

// Options shape the relay.
type Options struct {
	// TLS offers STARTTLS with a certificate for 127.0.0.1 (Relay.Roots
	// trusts it).
	TLS bool
	// User and Password, when set, are required (AUTH PLAIN) before MAIL.
	User, Password string
	// Refuse, when set, answers RCPT for the recipients it returns true for
	// with a 550 that quotes the address, as real relays do.
	Refuse func(rcpt string) bool
}

// Relay is a running SMTP server.
type Relay struct {
	Addr  string
	Roots *x509.CertPool // trusts the relay's certificate (TLS)
	opts  Options
	srv   *smtp.Server

	mu   sync.Mutex
	msgs []Mail
	wake chan struct{}
}

// Mail is one accepted message.
type Mail struct {
	From     string
	To       []string
	Data     []byte
	TLS      bool   // it came over STARTTLS
	AuthUser string // who authenticated ("": nobody)
}

// Start runs a relay until the test ends.
func Start(t testing.TB, o Options) *Relay {
	t.Helper()
	r := &Relay{opts: o, wake: make(chan struct{}, 1)}
	s := smtp.NewServer(r)
	s.Domain = "relay.test"
	s.ReadTimeout, s.WriteTimeout = time.Minute, time.Minute
	s.MaxMessageBytes = 10 << 20
	s.ErrorLog = log.New(io.Discard, "", 0)
	s.AllowInsecureAuth = !o.TLS // loopback; net/smtp authenticates there without TLS
	if o.TLS {
		cert, pool, err := selfSigned()
		if err != nil {
			t.Fatal(err)
		}
		s.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
		r.Roots = pool
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r.Addr, r.srv = ln.Addr().String(), s
	go s.Serve(ln)
	t.Cleanup(func() { s.Close() })
	return r
}

// URL is the relay as mashang's --smtp-relay takes it (with the user and
// password when the relay wants them).
func (r *Relay) URL() string {
	u := url.URL{Scheme: "smtp", Host: r.Addr}
	if r.opts.User != "" {
		u.User = url.UserPassword(r.opts.User, r.opts.Password)
	}
	return u.String()
}

// Mails returns what the relay has accepted so far.
func (r *Relay) Mails() []Mail {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Mail(nil), r.msgs...)
}

// Wait returns the mails once there are at least n, or fails the test after d.
func (r *Relay) Wait(t testing.TB, n int, d time.Duration) []Mail {
	t.Helper()
	deadline := time.After(d)
	for {
		if m := r.Mails(); len(m) >= n {
			return m
		}
		select {
		case <-r.wake:
		case <-deadline:
			t.Fatalf("the relay got %d mails in %s, want %d", len(r.Mails()), d, n)
		}
	}
}

// Parse reads a mail with its parts decoded.
func (m Mail) Parse() (*enmime.Envelope, error) {
	return enmime.ReadEnvelope(bytes.NewReader(m.Data))
}

// NewSession implements smtp.Backend.
func (r *Relay) NewSession(c *smtp.Conn) (smtp.Session, error) {
	return &session{r: r, c: c}, nil
}

type session struct {
	r    *Relay
	c    *smtp.Conn
	user string
	cur  Mail
}

func (s *session) AuthMechanisms() []string {
	if s.r.opts.User == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (s *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, user, password string) error {
		if user != s.r.opts.User || password != s.r.opts.Password {
			return errors.New("invalid credentials")
		}
		s.user = user
		return nil
	}), nil
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if s.r.opts.User != "" && s.user == "" {
		return &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Authentication required"}
	}
	_, tlsOn := s.c.TLSConnectionState()
	s.cur = Mail{From: from, TLS: tlsOn, AuthUser: s.user}
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if s.r.opts.Refuse != nil && s.r.opts.Refuse(to) {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "<" + to + ">: Recipient address rejected: User unknown"}
	}
	s.cur.To = append(s.cur.To, to)
	return nil
}

func (s *session) Data(rd io.Reader) error {
	b, err := io.ReadAll(rd)
	if err != nil {
		return err
	}
	s.cur.Data = b
	s.r.mu.Lock()
	s.r.msgs = append(s.r.msgs, s.cur)
	s.r.mu.Unlock()
	select {
	case s.r.wake <- struct{}{}:
	default:
	}
	return nil
}

func (s *session) Reset()        { s.cur = Mail{} }
func (s *session) Logout() error { return nil }

// selfSigned makes a certificate for 127.0.0.1 and a pool that trusts it.
func selfSigned() (tls.Certificate, *x509.CertPool, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "relay.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(c)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pool, nil
}

// Text is the plain-text part of a mail ("" when unreadable).
func (m Mail) Text() string {
	e, err := m.Parse()
	if err != nil {
		return ""
	}
	return strings.ReplaceAll(e.Text, "\r\n", "\n")
}
