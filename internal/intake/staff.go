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

	"mashang/internal/attach"
	"mashang/internal/audit"
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

func (s *Service) caseExists(ctx context.Context, id int64) error {
	var one int
	err := s.d.DB.Read.QueryRowContext(ctx, `SELECT 1 FROM cases WHERE id = $1`, id).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return errNoCase
	}
	if err != nil {
		return fmt.Errorf("intake: look up case: %w", err)
	}
	return nil
}

// StaffMessage is a message as staff see it, with its author.
type StaffMessage struct {
	ID        int64     `json:"id"`
	At        time.Time `json:"at"`
	Direction string    `json:"direction"` // to_reporter | from_reporter | reply
	Author    string    `json:"author"`    // "user:NAME" for staff; "" for the reporter
	Body      string    `json:"body"`
}

// Messages lists a case's messages, oldest first.
func (s *Service) Messages(ctx context.Context, caseID int64) ([]StaffMessage, error) {
	if err := s.caseExists(ctx, caseID); err != nil {
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

// WriteToReporter stores a message from staff (actor "user:NAME") to the
// reporter of a case. The reporter sees it as from "the office".
func (s *Service) WriteToReporter(ctx context.Context, caseID int64, body, actor string) (StaffMessage, error) {
	b, err := checkBody(body)
	if err != nil {
		return StaffMessage{}, err
	}
	if err := s.caseExists(ctx, caseID); err != nil {
		return StaffMessage{}, err
	}
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

// Attachments lists a case's attachments.
func (s *Service) Attachments(ctx context.Context, caseID int64) ([]AttachmentInfo, error) {
	if err := s.caseExists(ctx, caseID); err != nil {
		return nil, err
	}
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
		out = append(out, a)
	}
	return out, rows.Err()
}

// OpenAttachment returns an attachment's description and its content. The
// caller closes the reader.
func (s *Service) OpenAttachment(ctx context.Context, id int64) (AttachmentInfo, io.ReadSeekCloser, error) {
	a, err := scanAttachment(s.d.DB.Read.QueryRowContext(ctx, `SELECT `+attachmentCols+` FROM attachments WHERE id = $1`, id), s.d.Loc)
	if errors.Is(err, sql.ErrNoRows) {
		return AttachmentInfo{}, nil, errNoAttachment
	}
	if err != nil {
		return AttachmentInfo{}, nil, fmt.Errorf("intake: read attachment: %w", err)
	}
	f, err := s.d.Files.Open(a.SHA256)
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

// Reporter returns the masked view of a case's reporter.
func (s *Service) Reporter(ctx context.Context, caseID int64) (ReporterView, error) {
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
	if v.Repeat, err = s.repeat(ctx, caseID, phoneHash, emailHash); err != nil {
		return ReporterView{}, err
	}
	return v, nil
}

// RepeatReporter counts the other cases sharing this case's phone or e-mail hash.
func (s *Service) RepeatReporter(ctx context.Context, caseID int64) (Repeat, error) {
	var phoneHash, emailHash sql.NullString
	err := s.d.DB.Read.QueryRowContext(ctx, `SELECT phone_hash, email_hash FROM cases WHERE id = $1`, caseID).Scan(&phoneHash, &emailHash)
	if errors.Is(err, sql.ErrNoRows) {
		return Repeat{}, errNoCase
	}
	if err != nil {
		return Repeat{}, fmt.Errorf("intake: read reporter: %w", err)
	}
	return s.repeat(ctx, caseID, phoneHash, emailHash)
}

func (s *Service) repeat(ctx context.Context, caseID int64, phoneHash, emailHash sql.NullString) (Repeat, error) {
	r := Repeat{Cases: []int64{}}
	if phoneHash.Valid {
		if err := s.d.DB.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM cases WHERE phone_hash = $1 AND id <> $2`, phoneHash.String, caseID).Scan(&r.SamePhone); err != nil {
			return r, fmt.Errorf("intake: count repeat reporter: %w", err)
		}
	}
	if emailHash.Valid {
		if err := s.d.DB.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM cases WHERE email_hash = $1 AND id <> $2`, emailHash.String, caseID).Scan(&r.SameEmail); err != nil {
			return r, fmt.Errorf("intake: count repeat reporter: %w", err)
		}
	}
	if r.SamePhone+r.SameEmail == 0 {
		return r, nil
	}
	rows, err := s.d.DB.Read.QueryContext(ctx, `SELECT id FROM cases WHERE id <> $1 AND ((phone_hash IS NOT NULL AND phone_hash = $2) OR (email_hash IS NOT NULL AND email_hash = $3)) ORDER BY id DESC LIMIT 50`,
		caseID, phoneHash, emailHash)
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

// Reveal opens a case's reporter identity in full for actor, recording who,
// when and why in the audit log and in the case's (non-public) history
// before returning it. reason is required.
func (s *Service) Reveal(ctx context.Context, caseID int64, reason, actor string) (identity.Identity, error) {
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
