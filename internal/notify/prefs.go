package notify

import (
	"context"
	"database/sql"
	"fmt"
	"sort"

	"mashang/internal/audit"
	"mashang/internal/auth"
	"mashang/internal/problem"
)

// Choices are how a staff member wants to be told: a channel per kind (a
// kind left out goes by e-mail), and whether e-mail comes as one digest a
// day instead of one mail each.
type Choices struct {
	Email   string           `json:"email"`
	Phone   string           `json:"phone"`
	Digest  bool             `json:"digest"`
	Choices map[Kind]Channel `json:"choices"`
	Kinds   []Kind           `json:"kinds"`
	Mailing bool             `json:"mailing"` // a relay is configured
	Texting bool             `json:"texting"` // an SMS gateway is configured
}

// ChoicesInput changes them (nil leaves a part as it is).
type ChoicesInput struct {
	Digest  *bool            `json:"digest"`
	Choices map[Kind]Channel `json:"choices"`
}

var (
	errKind    = problem.Invalid("choices", "unknown_kind", "没有这种通知", "no such kind of notification")
	errChannel = problem.Invalid("choices", "invalid_channel", "方式应为 email、sms 或 none", "the channel must be email, sms or none")
)

// MyChoices reads the principal's choices.
func (s *Service) MyChoices(ctx context.Context, p auth.Principal) (Choices, error) {
	c := Choices{Choices: map[Kind]Channel{}, Kinds: StaffKinds, Mailing: s.Mailing(), Texting: s.Texting()}
	if p.UserID == 0 {
		return c, errForbidden
	}
	if err := s.d.DB.Read.QueryRowContext(ctx, `SELECT email, phone, digest FROM users WHERE id = $1`, p.UserID).Scan(&c.Email, &c.Phone, &c.Digest); err != nil {
		return c, fmt.Errorf("notify: read choices: %w", err)
	}
	for _, k := range StaffKinds {
		c.Choices[k] = Email
	}
	rows, err := s.d.DB.Read.QueryContext(ctx, `SELECT kind, channel FROM notify_prefs WHERE user_id = $1`, p.UserID)
	if err != nil {
		return c, fmt.Errorf("notify: read choices: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k, ch string
		if err := rows.Scan(&k, &ch); err != nil {
			return c, err
		}
		c.Choices[Kind(k)] = Channel(ch)
	}
	return c, rows.Err()
}

// SetMyChoices changes the principal's choices; a wrong kind or channel
// changes nothing.
func (s *Service) SetMyChoices(ctx context.Context, p auth.Principal, in ChoicesInput) (Choices, error) {
	if p.UserID == 0 {
		return Choices{}, errForbidden
	}
	kinds := make([]Kind, 0, len(in.Choices))
	for k, ch := range in.Choices {
		if !k.Valid() || k.ForReporter() || k == Digest {
			return Choices{}, errKind
		}
		if !ch.Valid() {
			return Choices{}, errChannel
		}
		kinds = append(kinds, k)
	}
	sort.Slice(kinds, func(i, j int) bool { return kinds[i] < kinds[j] })
	err := s.d.DB.Tx(ctx, func(tx *sql.Tx) error {
		if in.Digest != nil {
			if _, err := tx.ExecContext(ctx, `UPDATE users SET digest = $1 WHERE id = $2`, *in.Digest, p.UserID); err != nil {
				return fmt.Errorf("notify: set digest: %w", err)
			}
		}
		for _, k := range kinds {
			if _, err := tx.ExecContext(ctx, `INSERT INTO notify_prefs (user_id, kind, channel) VALUES ($1, $2, $3)
				ON CONFLICT (user_id, kind) DO UPDATE SET channel = excluded.channel`, p.UserID, string(k), string(in.Choices[k])); err != nil {
				return fmt.Errorf("notify: set choice: %w", err)
			}
		}
		return audit.Append(ctx, tx, s.d.Clock.Now(), audit.Record{Actor: p.Actor(), Action: "user.notification_choices",
			Subject: fmt.Sprintf("user:%d", p.UserID), Data: map[string]any{"digest": in.Digest, "choices": in.Choices}})
	})
	if err != nil {
		return Choices{}, err
	}
	return s.MyChoices(ctx, p)
}
