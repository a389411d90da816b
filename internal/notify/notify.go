// Package notify tells people what happened: staff by e-mail or SMS (a case
// assigned to them, transferred to their unit, due soon or overdue, a
// decision or publication waiting for their approval, an appeal to decide),
// and reporters who gave a phone or e-mail address and agreed to be told
// (accepted, refused, transferred, replied, review answered).
//
// Every notification is a row of the outbox, written in the transaction of
// the change that causes it: the hooks here run where the case record
// appends its history (docket.Store.OnAppend), where supervision raises its
// notices (cases.Service.OnNotices) and where a publication is proposed. A
// job (Sender) sends the rows: each is claimed by one instance for a
// while (so that several instances on one PostgreSQL never send one twice),
// sent, and marked sent; a failure is retried with growing pauses and, when
// the tries are used up, left failed for an admin to see (with its last
// error, in the admin pages and /metrics) and retry. A crash between sending
// and marking sends the message again once its claim lapses: at most one
// duplicate, which carries the same Message-ID (and, in an SMS, the same
// reference) so that it is recognised.
//
// A reporter's address is never written outside the sealed identity: the
// outbox names the case, and the sender opens the identity when it sends.
// When retention erases the identity the consent goes with it, and the
// reporter's rows that wait are cancelled. Messages to reporters carry the
// receipt code and the state, never the case's text, staff names or the key.
//
// Each staff member chooses e-mail, SMS or nothing per kind, and may take
// their e-mail as one digest a day.
package notify

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"mashang/internal/access"
	"mashang/internal/auth"
	"mashang/internal/clock"
	"mashang/internal/identity"
	"mashang/internal/mailout"
	"mashang/internal/store"
)

// Kind is what a notification is about.
type Kind string

// The kinds for staff.
const (
	Assigned     Kind = "assigned"      // a case assigned to me
	UnitTransfer Kind = "unit_transfer" // a case transferred to my unit (liaison)
	DueSoon      Kind = "due_soon"      // a case of mine is due soon
	Overdue      Kind = "overdue"       // a case of mine (or, for directors, of the office) is overdue
	Supervision  Kind = "supervision"   // a supervision notice (督办) for my office
	Approval     Kind = "approval"      // a decision or publication waits for my approval
	AppealDue    Kind = "appeal_due"    // an appeal (申诉) to decide
	Digest       Kind = "digest"        // the day's notifications in one mail
)

// The kinds for reporters.
const (
	ReporterAccepted       Kind = "reporter_accepted"
	ReporterRefused        Kind = "reporter_refused"
	ReporterTransferred    Kind = "reporter_transferred"
	ReporterReplied        Kind = "reporter_replied"
	ReporterReviewAnswered Kind = "reporter_review_answered"
)

// StaffKinds are the kinds a staff member chooses a channel for.
var StaffKinds = []Kind{Assigned, UnitTransfer, DueSoon, Overdue, Supervision, Approval, AppealDue}

// ReporterKinds are the kinds sent to reporters.
var ReporterKinds = []Kind{ReporterAccepted, ReporterRefused, ReporterTransferred, ReporterReplied, ReporterReviewAnswered}

// Kinds lists every kind.
var Kinds = append(append(slices.Clone(StaffKinds), ReporterKinds...), Digest)

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool { return slices.Contains(Kinds, k) }

// ForReporter reports whether k goes to a reporter.
func (k Kind) ForReporter() bool { return slices.Contains(ReporterKinds, k) }

// Channel is how a notification travels.
type Channel string

// The channels; None is a choice (not to be told), never a row.
const (
	Email Channel = "email"
	SMS   Channel = "sms"
	None  Channel = "none"
)

// Valid reports whether c is a channel one may choose.
func (c Channel) Valid() bool { return c == Email || c == SMS || c == None }

// Status is where an outbox row stands.
type Status string

// The statuses.
const (
	Pending   Status = "pending"   // to send (at next_at)
	Held      Status = "held"      // waits for the recipient's daily digest
	Digested  Status = "digested"  // went out in a digest
	Sent      Status = "sent"      // handed to the relay or gateway
	Failed    Status = "failed"    // the tries are used up; an admin may retry
	Cancelled Status = "cancelled" // no address any more (or the consent withdrawn)
)

// Deps are what the service needs; app.New fills them.
type Deps struct {
	DB     *store.DB
	Policy *access.Policy
	Clock  clock.Clock
	Loc    *time.Location
	Vault  *identity.Vault
	// IdentityAAD is the additional data of a case's sealed identity
	// (intake.IdentityAAD).
	IdentityAAD func(receipt string) string
	Mail        *mailout.Sender // nil: no mail out
	SMS         *Gateway        // nil: no SMS out
	// PublicURL is where the public and staff reach the server, for links
	// in messages ("": messages carry no links).
	PublicURL string
	// Office names the sender in messages ("": the mail sender's name, or
	// a generic name).
	Office string
	// DigestAt is the time of day the daily digest goes out (minutes after
	// midnight, in Loc).
	DigestAt int
	// Timeout bounds one send; a claim lasts twice as long.
	Timeout time.Duration
	Log     *slog.Logger
}

// Service queues and sends notifications. Safe for concurrent use.
type Service struct {
	d      Deps
	texts  *texts
	holder string
	stats  counters
	// afterSend, when set (by a test), runs between sending a row and
	// marking it; an error stops the run there, as a crash would.
	afterSend func(id int64) error
}

// New returns the service.
func New(d Deps) (*Service, error) {
	if d.Loc == nil {
		d.Loc = time.UTC
	}
	if d.Log == nil {
		d.Log = slog.Default()
	}
	if d.Timeout <= 0 {
		d.Timeout = time.Minute
	}
	if d.DigestAt == 0 {
		d.DigestAt = 8 * 60
	}
	t, err := loadTexts()
	if err != nil {
		return nil, err
	}
	return &Service{d: d, texts: t, holder: store.NewHolder()}, nil
}

// Mailing reports whether mail goes out (a relay is configured).
func (s *Service) Mailing() bool { return s.d.Mail != nil }

// Texting reports whether SMS go out (a gateway is configured).
func (s *Service) Texting() bool { return s.d.SMS != nil }

// can reports whether messages of channel c can be sent at all.
func (s *Service) can(c Channel) bool {
	return c == Email && s.d.Mail != nil || c == SMS && s.d.SMS != nil
}

// note is one notification to queue.
type note struct {
	kind    Kind
	caseID  int64 // 0: none
	userID  int64 // 0: the case's reporter
	channel Channel
	held    bool   // for the digest
	dedupe  string // "": none
	data    map[string]any
}

func token() string {
	b := make([]byte, 9)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// enqueue writes n to the outbox in tx. A row whose dedupe key is taken is
// not written again (the notification was queued once already).
func (s *Service) enqueue(ctx context.Context, tx *sql.Tx, n note, now time.Time) error {
	data, err := json.Marshal(n.data)
	if err != nil {
		return fmt.Errorf("notify: data: %w", err)
	}
	status := Pending
	if n.held {
		status = Held
	}
	at := store.FormatInstant(now)
	_, err = tx.ExecContext(ctx, `INSERT INTO outbox (kind, case_id, user_id, channel, dedupe, data, token, status, next_at, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) ON CONFLICT (dedupe) DO NOTHING`,
		string(n.kind), nullID(n.caseID), nullID(n.userID), string(n.channel), nullText(n.dedupe), string(data), token(), string(status), at)
	if err != nil {
		return fmt.Errorf("notify: queue %s: %w", n.kind, err)
	}
	return nil
}

func nullID(id int64) sql.NullInt64 { return sql.NullInt64{Int64: id, Valid: id != 0} }

func nullText(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

// staff is a staff member as the rules see them: who they are to the
// access policy, and how they want to be told.
type staff struct {
	p      auth.Principal
	email  string
	phone  string
	digest bool
}

// activeStaff reads every active account (a county office has tens), each
// with its office and the offices below it, as the access policy knows them.
func activeStaff(ctx context.Context, tx *sql.Tx) ([]staff, error) {
	type office struct {
		id         int64
		code, path string
	}
	var offices []office
	orows, err := tx.QueryContext(ctx, `SELECT id, code, path FROM offices ORDER BY length(path), id`)
	if err != nil {
		return nil, fmt.Errorf("notify: read offices: %w", err)
	}
	for orows.Next() {
		var o office
		if err := orows.Scan(&o.id, &o.code, &o.path); err != nil {
			orows.Close()
			return nil, err
		}
		offices = append(offices, o)
	}
	orows.Close()
	if err := orows.Err(); err != nil {
		return nil, err
	}
	rows, err := tx.QueryContext(ctx, `SELECT u.id, u.username, u.role, COALESCE(u.unit_id, 0), COALESCE(un.code, ''), COALESCE(un.path, ''),
		u.email, u.phone, u.digest, u.office_id FROM users u LEFT JOIN units un ON un.id = u.unit_id WHERE u.disabled = FALSE ORDER BY u.id`)
	if err != nil {
		return nil, fmt.Errorf("notify: read staff: %w", err)
	}
	defer rows.Close()
	var out []staff
	for rows.Next() {
		var m staff
		var role string
		var officeID int64
		if err := rows.Scan(&m.p.UserID, &m.p.Username, &role, &m.p.UnitID, &m.p.UnitCode, &m.p.UnitPath, &m.email, &m.phone, &m.digest, &officeID); err != nil {
			return nil, err
		}
		m.p.Role = auth.Role(role)
		for _, o := range offices {
			if o.id == officeID {
				m.p.OfficeID, m.p.OfficeCode, m.p.OfficePath = o.id, o.code, o.path
			}
		}
		if m.p.OfficePath != "" {
			m.p.OfficeAll = true
			for _, o := range offices {
				if strings.HasPrefix(o.path, m.p.OfficePath) {
					m.p.Offices = append(m.p.Offices, o.id)
				} else {
					m.p.OfficeAll = false
				}
			}
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// toStaff queues kind for m, on the channel m chose for it (e-mail unless
// they chose otherwise), when m has an address for it and the channel is
// configured; e-mail waits for the digest when m takes one.
func (s *Service) toStaff(ctx context.Context, tx *sql.Tx, m staff, kind Kind, caseID int64, dedupe string, data map[string]any, now time.Time) error {
	ch := Email
	var chosen string
	err := tx.QueryRowContext(ctx, `SELECT channel FROM notify_prefs WHERE user_id = $1 AND kind = $2`, m.p.UserID, string(kind)).Scan(&chosen)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return fmt.Errorf("notify: read choices: %w", err)
	default:
		ch = Channel(chosen)
	}
	switch {
	case ch == None, !s.can(ch), ch == Email && m.email == "", ch == SMS && m.phone == "":
		return nil
	}
	if dedupe != "" {
		dedupe = fmt.Sprintf("%s:user:%d", dedupe, m.p.UserID)
	}
	return s.enqueue(ctx, tx, note{kind: kind, caseID: caseID, userID: m.p.UserID, channel: ch, held: ch == Email && m.digest,
		dedupe: dedupe, data: data}, now)
}
