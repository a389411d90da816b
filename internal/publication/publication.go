// Package publication keeps the office's public texts: exposures (曝光) of
// concluded cases with a decision in force, and exemplars of acting at once
// ("马上就办"典型). A director proposes, a leader approves, and a director
// or leader publishes; only approved and published items ever reach the
// public portal. A text that names the case's reporter (name, phone,
// e-mail or id number, checked against the sealed identity) is refused.
package publication

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"mashang/internal/access"
	"mashang/internal/audit"
	"mashang/internal/auth"
	"mashang/internal/clock"
	"mashang/internal/docket"
	"mashang/internal/identity"
	"mashang/internal/problem"
	"mashang/internal/store"
)

// Kinds of publication.
const (
	KindExposure = "exposure"
	KindExemplar = "exemplar"
)

// States of a publication.
const (
	StateProposed  = "proposed"
	StateApproved  = "approved"
	StateWithdrawn = "withdrawn"
)

// Publication is one public text, as staff see it.
type Publication struct {
	ID          int64      `json:"id"`
	Kind        string     `json:"kind"`
	CaseID      *int64     `json:"case_id,omitempty"`
	Title       string     `json:"title"`
	Body        string     `json:"body"`
	State       string     `json:"state"`
	Published   bool       `json:"published"`
	ProposedBy  string     `json:"proposed_by"`
	ProposedAt  time.Time  `json:"proposed_at"`
	ApprovedBy  string     `json:"approved_by,omitempty"`
	PublishedAt *time.Time `json:"published_at,omitempty"`
	Situation   string     `json:"situation,omitempty"`
	Category    string     `json:"category,omitempty"`
}

// Public is what the portal shows of a published item: no case number, no
// staff names.
type Public struct {
	ID          int64     `json:"id"`
	Kind        string    `json:"kind"`
	Title       string    `json:"title"`
	Body        string    `json:"body"`
	PublishedAt time.Time `json:"published_at"`
	Situation   string    `json:"situation,omitempty"`
	Category    string    `json:"category,omitempty"`
}

// Input is a proposal.
type Input struct {
	Kind   string `json:"kind"`
	CaseID *int64 `json:"case_id,omitempty"`
	Title  string `json:"title"`
	Body   string `json:"body"`
}

// Service proposes, approves and publishes public texts.
type Service struct {
	db    *store.DB
	pol   *access.Policy
	clock clock.Clock
	vault *identity.Vault
	// AAD returns the additional data a case's sealed identity is bound to
	// (intake.IdentityAAD).
	aad func(receipt string) string
	// OnProposed hooks run, in order, inside the transaction that records a
	// proposal (the notifications to those who approve it); an error aborts it.
	OnProposed []func(ctx context.Context, tx *sql.Tx, id int64, kind string) error
}

// NewService returns the publication service. aad names the binding of a
// case's sealed identity, given the case's receipt code.
func NewService(db *store.DB, pol *access.Policy, c clock.Clock, v *identity.Vault, aad func(receipt string) string) *Service {
	return &Service{db: db, pol: pol, clock: c, vault: v, aad: aad}
}

const (
	maxTitle = 200
	maxBody  = 20000
)

var (
	// ErrNotFound answers a missing item, and on the portal also one that
	// is not (or no longer) approved and published: the two look the same.
	ErrNotFound    = problem.NotFound("publication_not_found", "未找到该公开事项", "no such publication")
	errCaseMissing = problem.Invalid("case_id", "unknown_case", "没有这个案件", "no such case")
	errNotEligible = problem.Conflict("case_not_publishable", "只有已办结并有生效问责决定的案件才能曝光", "only a concluded case with a decision in force can be exposed")
	errNamesPerson = problem.Invalid("body", "reveals_reporter", "公开文本含有举报人的身份信息（姓名、电话、邮箱或身份证号），请删去", "the public text contains the reporter's identity (name, phone, e-mail or id number); remove it")
)

func tooLong(field string, n int) error {
	return problem.Invalid(field, "too_long", fmt.Sprintf("%s 过长（最多 %d 字）", field, n), fmt.Sprintf("%s is too long (at most %d characters)", field, n))
}

// Propose records a proposal by a director.
func (s *Service) Propose(ctx context.Context, who auth.Principal, in Input) (Publication, error) {
	actor := who.Actor()
	in.Title = strings.TrimSpace(in.Title)
	in.Body = strings.TrimSpace(in.Body)
	switch {
	case in.Kind != KindExposure && in.Kind != KindExemplar:
		return Publication{}, problem.Invalid("kind", "invalid_kind", "kind 应为 exposure 或 exemplar", "kind must be exposure or exemplar")
	case in.Kind == KindExposure && in.CaseID == nil:
		return Publication{}, problem.Required("case_id")
	case in.Title == "":
		return Publication{}, problem.Required("title")
	case in.Body == "":
		return Publication{}, problem.Required("body")
	case utf8.RuneCountInString(in.Title) > maxTitle:
		return Publication{}, tooLong("title", maxTitle)
	case utf8.RuneCountInString(in.Body) > maxBody:
		return Publication{}, tooLong("body", maxBody)
	}
	now := s.clock.Now()
	var id int64
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if in.CaseID != nil {
			if err := s.checkCase(ctx, tx, who, *in.CaseID, in.Kind, in.Title+"\n"+in.Body); err != nil {
				return err
			}
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO publications (kind, case_id, title, body, state, proposed_by, proposed_at)
			VALUES ($1, $2, $3, $4, 'proposed', $5, $6) RETURNING id`, in.Kind, in.CaseID, in.Title, in.Body, actor, store.FormatInstant(now)).Scan(&id); err != nil {
			return fmt.Errorf("publication: insert: %w", err)
		}
		for _, h := range s.OnProposed {
			if err := h(ctx, tx, id, in.Kind); err != nil {
				return err
			}
		}
		return audit.Append(ctx, tx, now, audit.Record{Actor: actor, Action: "publication.propose", Subject: fmt.Sprintf("publication:%d", id),
			Data: map[string]any{"kind": in.Kind, "case": in.CaseID, "title": in.Title}})
	})
	if err != nil {
		return Publication{}, err
	}
	return s.Get(ctx, id)
}

// checkCase refuses a case who may not see (as if it did not exist), a case
// that may not be exposed, and a text that names the case's reporter.
func (s *Service) checkCase(ctx context.Context, tx *sql.Tx, who auth.Principal, caseID int64, kind, text string) error {
	var state docket.State
	var receipt string
	var sealed []byte
	var facts access.Facts
	err := tx.QueryRowContext(ctx, `SELECT c.state, c.receipt, c.identity, `+access.FactsSQL("c")+` FROM cases c WHERE c.id = $1`, caseID).
		Scan(append([]any{&state, &receipt, &sealed}, facts.Dest()...)...)
	if errors.Is(err, sql.ErrNoRows) || err == nil && !s.pol.On(who, access.CaseRead, facts) {
		return errCaseMissing
	}
	if err != nil {
		return fmt.Errorf("publication: read case %d: %w", caseID, err)
	}
	if kind == KindExposure {
		if !state.HasConclusion() {
			return errNotEligible
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM decisions WHERE case_id = $1 AND status = 'in_force'`, caseID).Scan(&n); err != nil {
			return fmt.Errorf("publication: decisions of case %d: %w", caseID, err)
		}
		if n == 0 {
			return errNotEligible
		}
	}
	if len(sealed) == 0 {
		return nil // anonymous
	}
	if s.vault == nil || s.aad == nil {
		return fmt.Errorf("publication: no vault to check the reporter's identity")
	}
	id, err := s.vault.OpenIdentity(sealed, s.aad(receipt))
	if err != nil {
		return fmt.Errorf("publication: open identity of case %d: %w", caseID, err)
	}
	if RevealsIdentity(text, id) {
		return errNamesPerson
	}
	return nil
}

// RevealsIdentity reports whether text contains the reporter's name, phone
// number (in any spacing or width), e-mail address or id number.
func RevealsIdentity(text string, id identity.Identity) bool {
	folded := fold(text)
	compact := strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || r == '·' || r == '•' {
			return -1
		}
		return r
	}, folded)
	if n := fold(strings.TrimSpace(id.Name)); utf8.RuneCountInString(n) >= 2 {
		n = strings.Join(strings.Fields(n), "")
		if strings.Contains(compact, n) {
			return true
		}
	}
	if e := identity.NormalizeEmail(id.Email); e != "" && strings.Contains(strings.ToLower(compact), e) {
		return true
	}
	if idn := strings.ToUpper(fold(strings.TrimSpace(id.IDNumber))); len(idn) >= 6 && strings.Contains(strings.ToUpper(compact), idn) {
		return true
	}
	if p := identity.NormalizePhone(id.Phone); len(p) >= 7 {
		digits := digitRuns(folded)
		for _, want := range phoneForms(p) {
			for _, d := range digits {
				if strings.Contains(d, want) {
					return true
				}
			}
		}
	}
	return false
}

// fold maps full-width ASCII to half-width.
func fold(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 0xFF01 && r <= 0xFF5E {
			return r - 0xFEE0
		}
		if r == 0x3000 {
			return ' '
		}
		return r
	}, s)
}

// digitRuns returns the runs of digits in s, where spaces, hyphens, dots,
// brackets and plus signs between digits do not break a run.
func digitRuns(s string) []string {
	var runs []string
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == ' ' || r == '-' || r == '.' || r == '(' || r == ')' || r == '+' || r == '—' || r == '（' || r == '）':
		default:
			if b.Len() > 0 {
				runs = append(runs, b.String())
				b.Reset()
			}
		}
	}
	if b.Len() > 0 {
		runs = append(runs, b.String())
	}
	return runs
}

// phoneForms are the digit strings that identify a normalised number: the
// number itself and, for a landline with an area code, the local part.
func phoneForms(p string) []string {
	p = strings.TrimPrefix(p, "+") // international: the digits, written after + or 00
	forms := []string{p}
	if strings.HasPrefix(p, "0") && len(p) >= 10 {
		// 0591-12345678: the local 7 or 8 digits alone also identify it.
		if len(p) == 11 || len(p) == 12 {
			forms = append(forms, p[len(p)-8:])
		}
	}
	return forms
}

// Approve records a leader's approval of a proposal; anything but a
// proposal answers 409.
func (s *Service) Approve(ctx context.Context, who auth.Principal, id int64) (Publication, error) {
	actor := who.Actor()
	return s.transition(ctx, id, actor, "publication.approve", func(ctx context.Context, tx *sql.Tx, p Publication) (string, []any, error) {
		if p.State != StateProposed {
			return "", nil, problem.Conflict("not_proposed", "只有待审批的事项才能批准", "only a proposed item can be approved")
		}
		if p.CaseID != nil {
			// The case's identity is checked again: the text was written before.
			if err := s.checkCase(ctx, tx, who, *p.CaseID, p.Kind, p.Title+"\n"+p.Body); err != nil {
				return "", nil, err
			}
		}
		return `UPDATE publications SET state = 'approved', approved_by = $1 WHERE id = $2`, []any{actor, id}, nil
	})
}

// Publish puts an approved item on the portal; an item not approved (or
// already published) answers 409.
func (s *Service) Publish(ctx context.Context, who auth.Principal, id int64) (Publication, error) {
	return s.transition(ctx, id, who.Actor(), "publication.publish", func(ctx context.Context, tx *sql.Tx, p Publication) (string, []any, error) {
		if p.State != StateApproved {
			return "", nil, problem.Conflict("not_approved", "未经领导批准，不能公开", "an item must be approved by a leader before it is published")
		}
		if p.Published {
			return "", nil, problem.Conflict("already_published", "该事项已经公开", "the item is already published")
		}
		return `UPDATE publications SET published_at = $1 WHERE id = $2`, []any{store.FormatInstant(s.clock.Now()), id}, nil
	})
}

// Withdraw takes an item back (off the portal); a withdrawn item answers 409.
func (s *Service) Withdraw(ctx context.Context, who auth.Principal, id int64) (Publication, error) {
	return s.transition(ctx, id, who.Actor(), "publication.withdraw", func(ctx context.Context, tx *sql.Tx, p Publication) (string, []any, error) {
		if p.State == StateWithdrawn {
			return "", nil, problem.Conflict("already_withdrawn", "该事项已经撤回", "the item is already withdrawn")
		}
		return `UPDATE publications SET state = 'withdrawn', withdrawn_at = $1 WHERE id = $2`, []any{store.FormatInstant(s.clock.Now()), id}, nil
	})
}

type step func(ctx context.Context, tx *sql.Tx, p Publication) (string, []any, error)

func (s *Service) transition(ctx context.Context, id int64, actor, action string, fn step) (Publication, error) {
	now := s.clock.Now()
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		p, err := get(ctx, tx, id, "")
		if err != nil {
			return err
		}
		q, args, err := fn(ctx, tx, p)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("publication: %s %d: %w", action, id, err)
		}
		return audit.Append(ctx, tx, now, audit.Record{Actor: actor, Action: action, Subject: fmt.Sprintf("publication:%d", id),
			Data: map[string]any{"kind": p.Kind, "from": p.State}})
	})
	if err != nil {
		return Publication{}, err
	}
	return s.Get(ctx, id)
}

type querier interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}

const cols = `p.id, p.kind, p.case_id, p.title, p.body, p.state, p.proposed_by, p.proposed_at, COALESCE(p.approved_by, ''), p.published_at,
	COALESCE(c.situation, ''), COALESCE(c.category, '')`

const from = ` FROM publications p LEFT JOIN cases c ON c.id = p.case_id`

func scan(sc interface{ Scan(...any) error }) (Publication, error) {
	var p Publication
	var cid sql.NullInt64
	var proposed store.Instant
	var published sql.NullString
	if err := sc.Scan(&p.ID, &p.Kind, &cid, &p.Title, &p.Body, &p.State, &p.ProposedBy, &proposed, &p.ApprovedBy, &published, &p.Situation, &p.Category); err != nil {
		return Publication{}, err
	}
	if cid.Valid {
		p.CaseID = &cid.Int64
	}
	p.ProposedAt = proposed.Time
	if published.Valid {
		var t store.Instant
		if err := t.Scan(published.String); err != nil {
			return Publication{}, err
		}
		p.PublishedAt = &t.Time
		p.Published = p.State == StateApproved
	}
	return p, nil
}

func get(ctx context.Context, q querier, id int64, kind string) (Publication, error) {
	p, err := scan(q.QueryRowContext(ctx, `SELECT `+cols+from+` WHERE p.id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) || err == nil && kind != "" && p.Kind != kind {
		return Publication{}, ErrNotFound
	}
	if err != nil {
		return Publication{}, fmt.Errorf("publication: get %d: %w", id, err)
	}
	return p, nil
}

// Get returns any publication (staff).
func (s *Service) Get(ctx context.Context, id int64) (Publication, error) {
	return get(ctx, s.db.Read, id, "")
}

// Filter narrows the staff list.
type Filter struct {
	Kind  string // "" all
	State string // "" all
}

// List returns publications for staff, newest first.
func (s *Service) List(ctx context.Context, f Filter) ([]Publication, error) {
	q := `SELECT ` + cols + from + ` WHERE ($1 = '' OR p.kind = $1) AND ($2 = '' OR p.state = $2) ORDER BY p.id DESC LIMIT 500`
	rows, err := s.db.Read.QueryContext(ctx, q, f.Kind, f.State)
	if err != nil {
		return nil, fmt.Errorf("publication: list: %w", err)
	}
	defer rows.Close()
	out := []Publication{}
	for rows.Next() {
		p, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

func toPublic(p Publication) Public {
	return Public{ID: p.ID, Kind: p.Kind, Title: p.Title, Body: p.Body, PublishedAt: *p.PublishedAt, Situation: p.Situation, Category: p.Category}
}

// Published returns the approved and published items of kind ("" both),
// newest first, at most limit (0: 200).
func (s *Service) Published(ctx context.Context, kind string, limit int) ([]Public, error) {
	if limit <= 0 || limit > 1000 {
		limit = 200
	}
	rows, err := s.db.Read.QueryContext(ctx, `SELECT `+cols+from+` WHERE p.state = 'approved' AND p.published_at IS NOT NULL
		AND ($1 = '' OR p.kind = $1) ORDER BY p.published_at DESC, p.id DESC LIMIT `+fmt.Sprint(limit), kind)
	if err != nil {
		return nil, fmt.Errorf("publication: published: %w", err)
	}
	defer rows.Close()
	out := []Public{}
	for rows.Next() {
		p, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, toPublic(p))
	}
	return out, rows.Err()
}

// PublishedItem returns one published item of kind; anything else (missing,
// proposed, approved but not yet published, withdrawn, other kind) answers
// the same not found.
func (s *Service) PublishedItem(ctx context.Context, kind string, id int64) (Public, error) {
	p, err := get(ctx, s.db.Read, id, kind)
	if err != nil {
		return Public{}, err
	}
	if !p.Published {
		return Public{}, ErrNotFound
	}
	return toPublic(p), nil
}
