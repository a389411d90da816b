package mailin

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// IMAPConfig configures an IMAPPoller.
type IMAPConfig struct {
	// URL names the mailbox: imaps://user@host[:port]/MAILBOX (TLS, port
	// 993 by default) or imap://user@host[:port]/MAILBOX (no TLS, port 143;
	// for loopback or a trusted network only, the password is sent in
	// clear). The user may be percent-encoded (user%40example.org); the
	// mailbox defaults to INBOX.
	URL string
	// Password for the user; if empty, a password in URL is used.
	Password string
	// Interval between polls in Run; one minute if zero or less.
	Interval time.Duration
	// InsecureSkipVerify accepts any TLS certificate (tests, self-signed
	// office servers).
	InsecureSkipVerify bool
	// Hold, when set, is asked before each poll of Run whether this
	// instance is the one to poll (a job lease among the instances sharing
	// a database): only one of them takes the mailbox in at a time.
	Hold func(ctx context.Context) (bool, error)
	// Logger receives poll results and failures; slog.Default() if nil.
	// Nothing identifying a reporter is logged.
	Logger *slog.Logger
	// MaxMessageBytes is the largest message taken in whole (the same limit
	// as SMTP's); a larger one becomes a case of its header and a note
	// saying it was too large, and stays in the mailbox. Zero or less:
	// DefaultMaxMessageBytes.
	MaxMessageBytes int64
	// Limits bound the parsing of each message; zero: DefaultLimits.
	Limits Limits
}

// DefaultIMAPInterval is the poll interval when IMAPConfig.Interval is unset.
const DefaultIMAPInterval = time.Minute

// IMAPPoller takes mail from an IMAP mailbox into a Sink.
//
// Each poll searches the mailbox for messages without \Seen (and without
// \Deleted), and for each, in UID order: fetches the whole message with
// BODY.PEEK[] (which leaves \Seen unset), parses it, hands it to the Sink,
// and only after Deliver returned nil marks it \Seen (UID STORE
// +FLAGS.SILENT). If the process dies, the connection drops or the Sink
// fails at any point, the message is still unseen and is fetched again by
// the next poll; the Sink's idempotence by MessageID makes that delivery a
// no-op if the first one was in fact stored. So nothing is lost and nothing
// is stored twice. A Deliver error ends the poll (the store is likely
// down); later messages wait for the next poll.
//
// The mailbox should be one that people do not read in a mail client: a
// message a person opens before the poller sees it is \Seen and is not
// taken in. Nothing is deleted or moved.
type IMAPPoller struct {
	cfg      IMAPConfig
	sink     Sink
	log      *slog.Logger
	useTLS   bool
	addr     string
	host     string
	user     string
	password string
	mailbox  string
	parser   *Parser
	mu       sync.Mutex // one poll at a time
}

// NewIMAPPoller checks cfg and returns a poller. It does not connect.
func NewIMAPPoller(cfg IMAPConfig, sink Sink) (*IMAPPoller, error) {
	if sink == nil {
		return nil, errors.New("mailin: imap poller needs a sink")
	}
	u, err := url.Parse(cfg.URL)
	if err != nil {
		return nil, errors.New("mailin: imap URL does not parse")
	}
	p := &IMAPPoller{cfg: cfg, sink: sink, log: cfg.Logger, password: cfg.Password}
	port := ""
	switch u.Scheme {
	case "imaps":
		p.useTLS, port = true, "993"
	case "imap":
		port = "143"
	default:
		return nil, fmt.Errorf("mailin: imap URL scheme %q, want imaps or imap", u.Scheme)
	}
	p.host = u.Hostname()
	if p.host == "" {
		return nil, errors.New("mailin: imap URL has no host")
	}
	if u.Port() != "" {
		port = u.Port()
	}
	p.addr = net.JoinHostPort(p.host, port)
	if u.User == nil || u.User.Username() == "" {
		return nil, errors.New("mailin: imap URL has no user (imaps://user@host/INBOX)")
	}
	p.user = u.User.Username()
	if pw, ok := u.User.Password(); ok && p.password == "" {
		p.password = pw
	}
	p.mailbox = strings.TrimPrefix(u.Path, "/")
	if p.mailbox == "" {
		p.mailbox = "INBOX"
	}
	if p.cfg.Interval <= 0 {
		p.cfg.Interval = DefaultIMAPInterval
	}
	if p.log == nil {
		p.log = slog.Default()
	}
	if p.cfg.MaxMessageBytes <= 0 {
		p.cfg.MaxMessageBytes = DefaultMaxMessageBytes
	}
	if p.cfg.Limits == (Limits{}) {
		p.cfg.Limits = DefaultLimits()
	}
	p.parser = NewParser(p.cfg.Limits)
	return p, nil
}

// Run polls at once and then every Interval until ctx is done, and returns
// ctx.Err(). A failed poll is logged and retried at the next interval.
func (p *IMAPPoller) Run(ctx context.Context) error {
	t := time.NewTicker(p.cfg.Interval)
	defer t.Stop()
	for {
		n, err := 0, error(nil)
		ok := true
		if p.cfg.Hold != nil {
			ok, err = p.cfg.Hold(ctx)
		}
		if ok && err == nil {
			n, err = p.PollOnce(ctx)
		}
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case err != nil:
			p.log.Warn("mailin: imap poll failed, will retry", "mailbox", p.mailbox, "delivered", n, "err", err)
		case n > 0:
			p.log.Info("mailin: imap poll stored mail", "mailbox", p.mailbox, "delivered", n)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// PollOnce connects, takes in every unseen message as described on
// IMAPPoller, and disconnects. delivered counts the messages handed to the
// Sink and then marked \Seen. On error, the messages already counted are
// done; the rest stay unseen for the next poll.
func (p *IMAPPoller) PollOnce(ctx context.Context) (delivered int, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	c, err := p.connect(ctx)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	// A cancelled context drops the connection, so a blocked command
	// returns at once.
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	defer func() {
		if err != nil && ctx.Err() != nil {
			err = fmt.Errorf("mailin: imap poll interrupted: %w", ctx.Err())
		}
	}()

	if err := c.Login(p.user, p.password).Wait(); err != nil {
		return 0, fmt.Errorf("mailin: imap login to %s: %w", p.addr, err)
	}
	if _, err := c.Select(p.mailbox, nil).Wait(); err != nil {
		return 0, fmt.Errorf("mailin: imap select %q: %w", p.mailbox, err)
	}
	sd, err := c.UIDSearch(&imap.SearchCriteria{
		NotFlag: []imap.Flag{imap.FlagSeen, imap.FlagDeleted},
	}, nil).Wait()
	if err != nil {
		return 0, fmt.Errorf("mailin: imap search unseen: %w", err)
	}
	uids := sd.AllUIDs()
	slices.Sort(uids)
	for _, uid := range uids {
		if ctx.Err() != nil {
			return delivered, ctx.Err()
		}
		size, err := fetchSize(c, uid)
		if err != nil {
			return delivered, err
		}
		if size < 0 {
			continue // expunged meanwhile
		}
		var raw []byte
		var m Message
		if size > p.cfg.MaxMessageBytes {
			if raw, err = fetchRaw(c, uid, imap.PartSpecifierHeader); err != nil {
				return delivered, err
			}
			m = tooLarge(raw, size, p.cfg.MaxMessageBytes)
		} else {
			if raw, err = fetchRaw(c, uid, imap.PartSpecifierNone); err != nil {
				return delivered, err
			}
			m = p.parser.Parse(raw)
		}
		if raw == nil {
			continue // expunged meanwhile
		}
		if err := p.sink.Deliver(ctx, m, raw); err != nil {
			if errors.Is(err, ErrTryLater) {
				p.log.Info("mailin: imap message deferred by the intake limits", "uid", uint32(uid), "msg", logID(m.MessageID))
				continue // unseen: the next poll offers it again
			}
			return delivered, fmt.Errorf("mailin: storing imap message uid %d: %w", uid, err)
		}
		if ctx.Err() != nil { // stored but not yet marked: fetched again next time, the sink dedupes
			return delivered, ctx.Err()
		}
		seen := &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagSeen}}
		if err := c.Store(imap.UIDSetNum(uid), seen, nil).Close(); err != nil {
			return delivered, fmt.Errorf("mailin: imap marking uid %d seen: %w", uid, err)
		}
		delivered++
		p.log.Debug("mailin: imap message stored", "uid", uint32(uid), "msg", logID(m.MessageID), "malformed", m.Malformed)
	}
	if err := c.Logout().Wait(); err != nil && ctx.Err() == nil {
		p.log.Debug("mailin: imap logout", "err", err)
	}
	return delivered, nil
}

func (p *IMAPPoller) connect(ctx context.Context) (*imapclient.Client, error) {
	d := net.Dialer{Timeout: 30 * time.Second}
	conn, err := d.DialContext(ctx, "tcp", p.addr)
	if err != nil {
		return nil, fmt.Errorf("mailin: imap connect %s: %w", p.addr, err)
	}
	if p.useTLS {
		tc := tls.Client(conn, &tls.Config{ServerName: p.host, InsecureSkipVerify: p.cfg.InsecureSkipVerify})
		hctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		if err := tc.HandshakeContext(hctx); err != nil {
			conn.Close()
			return nil, fmt.Errorf("mailin: imap TLS handshake with %s: %w", p.addr, err)
		}
		conn = tc
	}
	return imapclient.New(conn, nil), nil
}

// fetchSize returns the size of the message with UID uid, or -1 if there is
// no such message any more.
func fetchSize(c *imapclient.Client, uid imap.UID) (int64, error) {
	msgs, err := c.Fetch(imap.UIDSetNum(uid), &imap.FetchOptions{UID: true, RFC822Size: true}).Collect()
	if err != nil {
		return 0, fmt.Errorf("mailin: imap fetch size of uid %d: %w", uid, err)
	}
	for _, m := range msgs {
		if m.UID == uid {
			return m.RFC822Size, nil
		}
	}
	return -1, nil
}

// tooLarge is the message of a mail larger than limit: its header fields,
// and a note saying it was not taken in.
func tooLarge(header []byte, size, limit int64) Message {
	m := rawHeaderFields(header, header)
	m.Problems = append([]string{fmt.Sprintf("the message is %d bytes, more than the %d a report may be; only its header was taken in, the message stays in the mailbox", size, limit)}, m.Problems...)
	return finish(m, header)
}

// fetchRaw returns the message with UID uid (the whole of it, or the part
// spec names) without setting \Seen, or nil if there is no such message any
// more.
func fetchRaw(c *imapclient.Client, uid imap.UID, spec imap.PartSpecifier) ([]byte, error) {
	section := &imap.FetchItemBodySection{Peek: true, Specifier: spec}
	msgs, err := c.Fetch(imap.UIDSetNum(uid), &imap.FetchOptions{
		UID:         true,
		BodySection: []*imap.FetchItemBodySection{section},
	}).Collect()
	if err != nil {
		return nil, fmt.Errorf("mailin: imap fetch uid %d: %w", uid, err)
	}
	for _, m := range msgs {
		if m.UID == uid {
			if b := m.FindBodySection(section); b != nil {
				return b, nil
			}
			return []byte{}, nil
		}
	}
	return nil, nil
}
