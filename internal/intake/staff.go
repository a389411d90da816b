package intake

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"mashang/internal/access"
	"mashang/internal/attach"
	"mashang/internal/audit"
	"mashang/internal/auth"
	"mashang/internal/docket"
	"mashang/internal/identity"
	"mashang/internal/problem"
	"mashang/internal/store"
)

var (
	errNoCase       = problem.NotFound("case_not_found", "没有这个案件", "no such case")
	errNoAttachment = problem.NotFound("attachment_not_found", "没有这个附件", "no such attachment")
	errNoIdentity   = problem.NotFound("no_identity", "举报人未留下身份信息", "the reporter left no identity")
	errReason       = problem.Invalid("reason", "reason_required", "查看举报人身份必须说明理由", "a reason is required to see the reporter's identity")
	errReasonLong   = problem.Invalid("reason", "reason_too_long", "理由过长（最多 500 字）", "the reason is too long (500 characters at most)")
)

var errForbidden = problem.Forbidden("forbidden", "您无权查看或处理本案举报人的信息", "you may not see or handle the reporter of this case")

// caseFor checks that p may read case id (else 404, as if it did not exist)
// and holds perm on it (else 403), and returns its facts.
func (s *Service) caseFor(ctx context.Context, p auth.Principal, id int64, perm access.Perm) (access.Facts, error) {
	var f access.Facts
	err := s.d.DB.Read.QueryRowContext(ctx, `SELECT `+access.FactsSQL("c")+` FROM cases c WHERE c.id = $1`, id).Scan(f.Dest()...)
	if errors.Is(err, sql.ErrNoRows) || err == nil && !s.d.Policy.On(p, access.CaseRead, f) {
		return f, errNoCase
	}
	if err != nil {
		return f, fmt.Errorf("intake: look up case: %w", err)
	}
	if !s.d.Policy.On(p, perm, f) {
		return f, errForbidden
	}
	return f, nil
}

// StaffMessage is a message as staff see it, with its author.
type StaffMessage struct {
	ID        int64     `json:"id"`
	At        time.Time `json:"at"`
	Direction string    `json:"direction"` // to_reporter | from_reporter | reply
	Author    string    `json:"author"`    // "user:NAME" for staff; "" for the reporter
	Body      string    `json:"body"`
}

// Messages lists a case's messages, oldest first, for p who may read the
// reporter thread.
func (s *Service) Messages(ctx context.Context, p auth.Principal, caseID int64) ([]StaffMessage, error) {
	if _, err := s.caseFor(ctx, p, caseID, access.ReporterThread); err != nil {
		return nil, err
	}
	rows, err := s.d.DB.Read.QueryContext(ctx, `SELECT id, at, direction, author, body FROM messages WHERE case_id = $1 ORDER BY id`, caseID)
	if err != nil {
		return nil, fmt.Errorf("intake: list messages: %w", err)
	}
	defer rows.Close()
	out := []StaffMessage{}
	for rows.Next() {
		var m StaffMessage
		var at store.Instant
		if err := rows.Scan(&m.ID, &at, &m.Direction, &m.Author, &m.Body); err != nil {
			return nil, fmt.Errorf("intake: list messages: %w", err)
		}
		m.At = at.In(s.d.Loc)
		out = append(out, m)
	}
	return out, rows.Err()
}

// WriteToReporter stores a message from p to the reporter of a case. The
// reporter sees it as from "the office".
func (s *Service) WriteToReporter(ctx context.Context, p auth.Principal, caseID int64, body string) (StaffMessage, error) {
	if _, err := s.caseFor(ctx, p, caseID, access.ReporterWrite); err != nil {
		return StaffMessage{}, err
	}
	b, err := checkBody(body)
	if err != nil {
		return StaffMessage{}, err
	}
	actor := p.Actor()
	now := s.d.Clock.Now()
	m := StaffMessage{At: now.In(s.d.Loc), Direction: DirToReporter, Author: actor, Body: b}
	err = s.d.DB.Tx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO messages (case_id, at, direction, author, body) VALUES ($1,$2,$3,$4,$5) RETURNING id`,
			caseID, store.FormatInstant(now), DirToReporter, actor, b).Scan(&m.ID); err != nil {
			return fmt.Errorf("intake: insert message: %w", err)
		}
		return audit.Append(ctx, tx, now, audit.Record{Actor: actor, Action: "case.message.to_reporter", Subject: fmt.Sprintf("case:%d", caseID), Data: map[string]any{"message_id": m.ID}})
	})
	if err != nil {
		return StaffMessage{}, err
	}
	return m, nil
}

// AttachmentInfo describes a stored attachment of a case.
type AttachmentInfo = attach.Info

const attachmentCols = `id, case_id, sha256, filename, content_type, size, source, created_at`

func scanAttachment(sc interface{ Scan(...any) error }, loc *time.Location) (AttachmentInfo, error) {
	var a AttachmentInfo
	var at store.Instant
	err := sc.Scan(&a.ID, &a.CaseID, &a.SHA256, &a.Filename, &a.ContentType, &a.Size, &a.Source, &at)
	a.CreatedAt = at.In(loc)
	return a, err
}

// Attachments lists the attachments of a case p may read: the reporter's
// only when p may see them (access.ReporterFile).
func (s *Service) Attachments(ctx context.Context, p auth.Principal, caseID int64) ([]AttachmentInfo, error) {
	f, err := s.caseFor(ctx, p, caseID, access.CaseRead)
	if err != nil {
		return nil, err
	}
	files := s.d.Policy.On(p, access.ReporterFiles, f)
	rows, err := s.d.DB.Read.QueryContext(ctx, `SELECT `+attachmentCols+` FROM attachments WHERE case_id = $1 ORDER BY id`, caseID)
	if err != nil {
		return nil, fmt.Errorf("intake: list attachments: %w", err)
	}
	defer rows.Close()
	out := []AttachmentInfo{}
	for rows.Next() {
		a, err := scanAttachment(rows, s.d.Loc)
		if err != nil {
			return nil, fmt.Errorf("intake: list attachments: %w", err)
		}
		if access.ReporterFile(a.Source) && !files {
			continue
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// OpenAttachment returns an attachment's description and its content, for
// p who may read its case (and, for the reporter's files, see them); else
// not found. The caller closes the reader.
func (s *Service) OpenAttachment(ctx context.Context, p auth.Principal, id int64) (AttachmentInfo, io.ReadSeekCloser, error) {
	a, err := scanAttachment(s.d.DB.Read.QueryRowContext(ctx, `SELECT `+attachmentCols+` FROM attachments WHERE id = $1`, id), s.d.Loc)
	if errors.Is(err, sql.ErrNoRows) {
		return AttachmentInfo{}, nil, errNoAttachment
	}
	if err != nil {
		return AttachmentInfo{}, nil, fmt.Errorf("intake: read attachment: %w", err)
	}
	perm := access.CaseRead
	if access.ReporterFile(a.Source) {
		perm = access.ReporterFiles
	}
	if _, err := s.caseFor(ctx, p, a.CaseID, perm); err != nil {
		return AttachmentInfo{}, nil, errNoAttachment
	}
	f, err := s.d.Files.Open(ctx, a.SHA256)
	if err != nil {
		return AttachmentInfo{}, nil, fmt.Errorf("intake: open attachment %d: %w", id, err)
	}
	return a, f, nil
}

// ReporterView is what staff see of a reporter without revealing them:
// masked fields, and how many other cases came from the same phone or
// e-mail (by keyed hash).
type ReporterView struct {
	Anonymous   bool              `json:"anonymous"`
	HasIdentity bool              `json:"has_identity"`
	Masked      identity.Identity `json:"masked"`
	Repeat      Repeat            `json:"repeat"`
}

// Repeat counts other cases sharing the reporter's phone or e-mail.
type Repeat struct {
	SamePhone int     `json:"same_phone"`
	SameEmail int     `json:"same_email"`
	Cases     []int64 `json:"cases"` // the other cases' ids, newest first (at most 50)
}

// Reporter returns the masked view of a case's reporter, for p who may know it.
func (s *Service) Reporter(ctx context.Context, p auth.Principal, caseID int64) (ReporterView, error) {
	if _, err := s.caseFor(ctx, p, caseID, access.ReporterIdentity); err != nil {
		return ReporterView{}, err
	}
	var v ReporterView
	var sealed []byte
	var mask string
	var phoneHash, emailHash sql.NullString
	err := s.d.DB.Read.QueryRowContext(ctx, `SELECT anonymous, identity, identity_mask, phone_hash, email_hash FROM cases WHERE id = $1`, caseID).
		Scan(&v.Anonymous, &sealed, &mask, &phoneHash, &emailHash)
	if errors.Is(err, sql.ErrNoRows) {
		return ReporterView{}, errNoCase
	}
	if err != nil {
		return ReporterView{}, fmt.Errorf("intake: read reporter: %w", err)
	}
	v.HasIdentity = len(sealed) > 0
	if mask != "" {
		_ = json.Unmarshal([]byte(mask), &v.Masked)
	}
	v.Repeat = Repeat{Cases: []int64{}}
	if s.d.Policy.Allows(p, access.ReporterRepeat) {
		if v.Repeat, err = s.repeat(ctx, p, caseID, v.Anonymous, phoneHash, emailHash); err != nil {
			return ReporterView{}, err
		}
	}
	return v, nil
}

// RepeatReporter counts the other cases sharing this case's phone or e-mail
// hash, for p who may see repeat reporters.
func (s *Service) RepeatReporter(ctx context.Context, p auth.Principal, caseID int64) (Repeat, error) {
	if _, err := s.caseFor(ctx, p, caseID, access.ReporterRepeat); err != nil {
		return Repeat{}, err
	}
	var anonymous bool
	var phoneHash, emailHash sql.NullString
	err := s.d.DB.Read.QueryRowContext(ctx, `SELECT anonymous, phone_hash, email_hash FROM cases WHERE id = $1`, caseID).Scan(&anonymous, &phoneHash, &emailHash)
	if err != nil {
		return Repeat{}, fmt.Errorf("intake: read reporter: %w", err)
	}
	return s.repeat(ctx, p, caseID, anonymous, phoneHash, emailHash)
}

// repeat finds the other named cases with the same phone or e-mail that p
// may read. An anonymous report is never linked to others, either way
// (cases registered before anonymity was enforced may hold a hash).
func (s *Service) repeat(ctx context.Context, p auth.Principal, caseID int64, anonymous bool, phoneHash, emailHash sql.NullString) (Repeat, error) {
	r := Repeat{Cases: []int64{}}
	if anonymous {
		return r, nil
	}
	args := []any{caseID}
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	others := `c.id <> $1 AND c.anonymous = FALSE AND ` + s.d.Policy.Cases(p, access.CaseRead).SQL("c", arg)
	n := len(args)
	count := func(col string, h sql.NullString, into *int) error {
		if !h.Valid {
			return nil
		}
		q := fmt.Sprintf(`SELECT COUNT(*) FROM cases c WHERE %s AND c.%s = $%d`, others, col, n+1)
		if err := s.d.DB.Read.QueryRowContext(ctx, q, append(args, h.String)...).Scan(into); err != nil {
			return fmt.Errorf("intake: count repeat reporter: %w", err)
		}
		return nil
	}
	if err := count("phone_hash", phoneHash, &r.SamePhone); err != nil {
		return r, err
	}
	if err := count("email_hash", emailHash, &r.SameEmail); err != nil {
		return r, err
	}
	if r.SamePhone+r.SameEmail == 0 {
		return r, nil
	}
	rows, err := s.d.DB.Read.QueryContext(ctx, fmt.Sprintf(`SELECT c.id FROM cases c WHERE %s AND ((c.phone_hash IS NOT NULL AND c.phone_hash = $%d) OR (c.email_hash IS NOT NULL AND c.email_hash = $%d)) ORDER BY c.id DESC LIMIT 50`, others, n+1, n+2),
		append(args, phoneHash, emailHash)...)
	if err != nil {
		return r, fmt.Errorf("intake: list repeat reporter: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return r, err
		}
		r.Cases = append(r.Cases, id)
	}
	return r, rows.Err()
}

// Reveal opens a case's reporter identity in full for p (who may reveal
// it), recording who, when and why in the audit log and in the case's
// (non-public) history before returning it. reason is required.
func (s *Service) Reveal(ctx context.Context, p auth.Principal, caseID int64, reason string) (identity.Identity, error) {
	if _, err := s.caseFor(ctx, p, caseID, access.ReporterReveal); err != nil {
		return identity.Identity{}, err
	}
	actor := p.Actor()
	reason = strings.TrimSpace(reason)
	if !utf8.ValidString(reason) {
		return identity.Identity{}, errBadUTF8.WithField("reason")
	}
	if reason == "" {
		return identity.Identity{}, errReason
	}
	if utf8.RuneCountInString(reason) > 500 {
		return identity.Identity{}, errReasonLong
	}
	var code string
	var sealed []byte
	err := s.d.DB.Read.QueryRowContext(ctx, `SELECT receipt, identity FROM cases WHERE id = $1`, caseID).Scan(&code, &sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return identity.Identity{}, errNoCase
	}
	if err != nil {
		return identity.Identity{}, fmt.Errorf("intake: read identity: %w", err)
	}
	if len(sealed) == 0 {
		return identity.Identity{}, errNoIdentity
	}
	id, err := s.d.Vault.OpenIdentity(sealed, IdentityAAD(code))
	if err != nil {
		return identity.Identity{}, fmt.Errorf("intake: open identity of case %d: %w", caseID, err)
	}
	now := s.d.Clock.Now()
	err = s.d.DB.Tx(ctx, func(tx *sql.Tx) error {
		if err := s.d.Record.Append(ctx, tx, docket.Event{Case: caseID, At: now, Actor: actor, Action: docket.IdentityRevealed, Data: map[string]string{"reason": reason}}); err != nil {
			return fmt.Errorf("intake: record reveal: %w", err)
		}
		return audit.Append(ctx, tx, now, audit.Record{Actor: actor, Action: "identity.reveal", Subject: fmt.Sprintf("case:%d", caseID), Data: map[string]string{"reason": reason}})
	})
	if err != nil {
		return identity.Identity{}, err
	}
	return id, nil
}

// Earlier is one of a caller's earlier reports, as the desk shows it.
type Earlier struct {
	ID         int64     `json:"id"`
	Receipt    string    `json:"receipt"`
	ReceivedAt time.Time `json:"received_at"`
	State      string    `json:"state"`
	Situation  string    `json:"situation"`
	Unit       string    `json:"unit"` // the unit's name, "" when none
}

// EarlierReports lists the named reports given with the same phone, newest
// first (at most limit), and how many there are, for p who may see repeat
// reporters — in the scope that permission gives p. The phone is compared
// by its keyed hash only: it is not stored, logged or returned. An empty
// or unreadable phone has none.
func (s *Service) EarlierReports(ctx context.Context, p auth.Principal, phone string, limit int) ([]Earlier, int, error) {
	if !s.d.Policy.Allows(p, access.ReporterRepeat) {
		return nil, 0, errForbidden
	}
	h := s.d.Vault.PhoneHash(phone)
	if h == "" {
		return []Earlier{}, 0, nil
	}
	var args []any
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	where := `c.anonymous = FALSE AND c.phone_hash = ` + arg(h) + ` AND ` + s.d.Policy.Cases(p, access.ReporterRepeat).SQL("c", arg)
	var total int
	if err := s.d.DB.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM cases c WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("intake: count earlier reports: %w", err)
	}
	out := []Earlier{}
	if total == 0 {
		return out, 0, nil
	}
	rows, err := s.d.DB.Read.QueryContext(ctx, `SELECT c.id, c.receipt, c.received_at, c.state, COALESCE(c.situation, ''), COALESCE(u.name, '')
FROM cases c LEFT JOIN units u ON u.id = c.unit_id WHERE `+where+` ORDER BY c.received_at DESC, c.id DESC LIMIT `+arg(limit), args...)
	if err != nil {
		return nil, 0, fmt.Errorf("intake: list earlier reports: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var e Earlier
		var at store.Instant
		if err := rows.Scan(&e.ID, &e.Receipt, &at, &e.State, &e.Situation, &e.Unit); err != nil {
			return nil, 0, fmt.Errorf("intake: read earlier report: %w", err)
		}
		e.ReceivedAt = at.Time
		out = append(out, e)
	}
	return out, total, rows.Err()
}
