package letters

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"

	"mashang/internal/access"
	"mashang/internal/audit"
	"mashang/internal/auth"
	"mashang/internal/civil"
	"mashang/internal/problem"
	"mashang/internal/store"
)

// Posting is a notice of a letter report waiting to be printed and posted,
// with whom and where it goes: the reporter's name and postal address, in
// clear for those who may know the reporter (reporter.identity on the case),
// masked for others.
type Posting struct {
	Notice
	CaseID  int64  `json:"case_id"`
	Receipt string `json:"receipt"`
	Name    string `json:"name,omitempty"`
	Address string `json:"address,omitempty"`
	Masked  bool   `json:"masked"`
}

var errPosted = problem.Conflict("notice_already_posted", "这份告知书已标记为寄出", "this notice is already marked posted")

// ToPost lists the notices of letter reports not yet posted, of the cases p
// may post for, oldest first, each with the reporter's name and address for
// the envelope. Where they are shown in clear, the listing is recorded in
// the audit log with the cases it named.
func (s *Service) ToPost(ctx context.Context, p auth.Principal) ([]Posting, error) {
	f := s.d.Policy.Cases(p, access.LetterPost)
	var args []any
	cond := f.SQL("c", func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) })
	rows, err := s.d.DB.Read.QueryContext(ctx, `SELECT n.event_id, n.case_id, c.receipt, n.kind, n.year, n.seq, n.issued_on, n.number, c.identity, `+access.FactsSQL("c")+`
		FROM notice_numbers n JOIN cases c ON c.id = n.case_id
		WHERE n.post AND n.posted_at IS NULL AND `+cond+` ORDER BY n.event_id LIMIT 500`, args...)
	if err != nil {
		return nil, fmt.Errorf("letters: the print queue: %w", err)
	}
	defer rows.Close()
	out := []Posting{}
	var shown []int64 // the cases whose reporter is shown in clear
	for rows.Next() {
		var x Posting
		var kind string
		var year, seq int
		var sealed []byte
		var facts access.Facts
		if err := rows.Scan(append([]any{&x.ID, &x.CaseID, &x.Receipt, &kind, &year, &seq, &x.IssuedOn, &x.Number, &sealed}, facts.Dest()...)...); err != nil {
			return nil, fmt.Errorf("letters: the print queue: %w", err)
		}
		if len(sealed) > 0 {
			who, err := s.d.Vault.OpenIdentity(sealed, s.d.IdentityAAD(x.Receipt))
			if err != nil {
				return nil, fmt.Errorf("letters: open the identity of case %d: %w", x.CaseID, err)
			}
			if s.d.Policy.On(p, access.ReporterIdentity, facts) {
				if !slices.Contains(shown, x.CaseID) {
					shown = append(shown, x.CaseID)
				}
			} else {
				who, x.Masked = who.Masked(), true
			}
			x.Name, x.Address = who.Name, who.Address
		}
		x.Kind = Kind(kind)
		x.Title = titles[x.Kind]
		if x.Number == "" {
			x.Number = Number(DefaultPrefix, x.Kind, year, seq)
		}
		base := fmt.Sprintf("/api/v1/cases/%d/notices/%d", x.CaseID, x.ID)
		x.PDF, x.HTML = base+"/pdf?copy=reporter", base+"/html?copy=reporter"
		out = append(out, x)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("letters: the print queue: %w", err)
	}
	if len(shown) > 0 {
		err := s.d.DB.Tx(ctx, func(tx *sql.Tx) error {
			return audit.Append(ctx, tx, s.d.Clock.Now(), audit.Record{Actor: p.Actor(), Action: "notice.post_list", Subject: "notices",
				Data: map[string]any{"cases": shown}})
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// MarkPosted records that notice id (of a letter report) went by post on
// the day; audited. A notice already marked answers 409; one p may not
// post for, or not in the queue, 404.
func (s *Service) MarkPosted(ctx context.Context, p auth.Principal, id int64) error {
	now := s.d.Clock.Now()
	return s.d.DB.Tx(ctx, func(tx *sql.Tx) error {
		var facts access.Facts
		var caseID int64
		var number string
		var posted sql.NullString
		err := tx.QueryRowContext(ctx, `SELECT n.case_id, n.number, n.posted_at, `+access.FactsSQL("c")+`
			FROM notice_numbers n JOIN cases c ON c.id = n.case_id WHERE n.event_id = $1 AND n.post`, id).
			Scan(append([]any{&caseID, &number, &posted}, facts.Dest()...)...)
		if errors.Is(err, sql.ErrNoRows) || err == nil && !s.d.Policy.On(p, access.LetterPost, facts) {
			return errNotice
		}
		if err != nil {
			return fmt.Errorf("letters: read notice %d: %w", id, err)
		}
		if posted.Valid {
			return errPosted
		}
		if _, err := tx.ExecContext(ctx, `UPDATE notice_numbers SET posted_at = $1, posted_by = $2 WHERE event_id = $3`,
			store.FormatInstant(now), p.Actor(), id); err != nil {
			return fmt.Errorf("letters: mark notice %d posted: %w", id, err)
		}
		return audit.Append(ctx, tx, now, audit.Record{Actor: p.Actor(), Action: "notice.posted", Subject: fmt.Sprintf("case:%d", caseID),
			Data: map[string]any{"notice": number, "on": civil.In(now, s.d.Loc).String()}})
	})
}
