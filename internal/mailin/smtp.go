package mailin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/emersion/go-smtp"
)

// SMTPOptions configure NewSMTPServer.
type SMTPOptions struct {
	// MaxMessageBytes is the largest message accepted; a larger one is
	// refused with 552 (announced in EHLO as SIZE, checked again while
	// reading DATA). Zero or less means DefaultMaxMessageBytes.
	MaxMessageBytes int64
	// Domain is the name in the greeting and EHLO answer; "localhost" if
	// empty.
	Domain string
	// Logger receives delivery failures; slog.Default() if nil. Nothing
	// identifying a reporter is logged.
	Logger *slog.Logger
	// Limits bound the parsing of each message; zero: DefaultLimits.
	Limits Limits
}

// DefaultMaxMessageBytes is the intake's default limit of one report:
// 50 MiB of attachments and 1 MiB of text (config's MaxReportBytes).
const DefaultMaxMessageBytes = 51 << 20

// deliverTimeout bounds one Sink.Deliver from the SMTP server.
const deliverTimeout = 2 * time.Minute

// NewSMTPServer returns an SMTP server for the office's intake address.
// Start it with ListenAndServe, or Serve on a listener; stop it with
// Shutdown or Close.
//
// The intake port asks for no authentication and accepts every recipient:
// it is where the office's MX (or the public) delivers mail to the office,
// and it never relays anything onwards, so it is not an open relay. Put it
// behind the office's mail gateway or firewall as for any MX; STARTTLS is
// not offered (set TLSConfig on the returned server to offer it).
//
// Each message is read whole (up to MaxMessageBytes, else 552), parsed with
// Parse and given to sink.Deliver. 250 is answered only after Deliver
// returned nil; if it fails, the answer is 451 (temporary) so the sending
// server retries later, and the sink's idempotence by MessageID makes the
// retry harmless.
func NewSMTPServer(addr string, sink Sink, opts SMTPOptions) *smtp.Server {
	if opts.MaxMessageBytes <= 0 {
		opts.MaxMessageBytes = DefaultMaxMessageBytes
	}
	if opts.Domain == "" {
		opts.Domain = "localhost"
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Limits == (Limits{}) {
		opts.Limits = DefaultLimits()
	}
	s := smtp.NewServer(&smtpBackend{sink: sink, log: opts.Logger, parser: NewParser(opts.Limits)})
	s.Addr = addr
	s.Domain = opts.Domain
	s.MaxMessageBytes = opts.MaxMessageBytes
	s.MaxRecipients = 100
	s.ReadTimeout = 5 * time.Minute
	s.WriteTimeout = time.Minute
	s.ErrorLog = slogPrinter{opts.Logger}
	return s
}

type smtpBackend struct {
	sink   Sink
	log    *slog.Logger
	parser *Parser
}

func (b *smtpBackend) NewSession(*smtp.Conn) (smtp.Session, error) {
	return &smtpSession{b: b}, nil
}

// smtpSession keeps no envelope data: the envelope sender and recipients
// are not needed for a report, and not keeping them keeps them out of logs.
type smtpSession struct{ b *smtpBackend }

func (s *smtpSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *smtpSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s *smtpSession) Reset()                               {}
func (s *smtpSession) Logout() error                        { return nil }

var errTryLater = &smtp.SMTPError{
	Code:         451,
	EnhancedCode: smtp.EnhancedCode{4, 7, 1},
	Message:      "Too many reports from this sender just now, please try again later",
}

var errTemporary = &smtp.SMTPError{
	Code:         451,
	EnhancedCode: smtp.EnhancedCode{4, 3, 0},
	Message:      "Temporary failure storing the message, please try again later",
}

func (s *smtpSession) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		var se *smtp.SMTPError
		if errors.As(err, &se) { // 552 when over MaxMessageBytes
			return se
		}
		return fmt.Errorf("reading message data: %w", err)
	}
	m := s.b.parser.Parse(raw)
	ctx, cancel := context.WithTimeout(context.Background(), deliverTimeout)
	defer cancel()
	if err := s.b.sink.Deliver(ctx, m, raw); err != nil {
		if errors.Is(err, ErrTryLater) {
			s.b.log.Info("mailin: mail received by SMTP deferred by the intake limits, answered 451", "msg", logID(m.MessageID))
			return errTryLater
		}
		s.b.log.Error("mailin: storing mail received by SMTP failed, answered 451",
			"msg", logID(m.MessageID), "bytes", len(raw), "err", err)
		return errTemporary
	}
	s.b.log.Info("mailin: mail received by SMTP stored",
		"msg", logID(m.MessageID), "bytes", len(raw), "malformed", m.Malformed)
	return nil
}

// slogPrinter adapts slog to go-smtp's Logger. go-smtp logs connection
// errors (with the client's IP address), never envelope addresses.
type slogPrinter struct{ l *slog.Logger }

func (p slogPrinter) Printf(format string, v ...any) {
	p.l.Warn("mailin: smtp: " + fmt.Sprintf(format, v...))
}

func (p slogPrinter) Println(v ...any) {
	p.l.Warn("mailin: smtp: " + fmt.Sprintln(v...))
}
