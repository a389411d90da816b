package auth

import (
	"context"
	"database/sql"
	"fmt"
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"

	"mashang/internal/audit"
	"mashang/internal/problem"
	"mashang/internal/store"
)

// Staff contact: where a staff member is told of their work (internal/notify
// sends to it), by e-mail or SMS.

var (
	errContactEmail = problem.Invalid("email", "invalid_email", "电子邮箱地址无效", "the e-mail address is not valid")
	errContactPhone = problem.Invalid("phone", "invalid_phone", "电话号码无效（7 至 20 位数字，可带 + 和 -）", "the phone number is not valid (7 to 20 digits, with + and - allowed)")
)

// CheckContact checks an e-mail address and a phone number ("" is none)
// and returns them tidied.
func CheckContact(email, phone string) (string, string, error) {
	email, phone = strings.TrimSpace(email), strings.TrimSpace(phone)
	if email != "" {
		a, err := mail.ParseAddress(email)
		if err != nil || a.Name != "" || len(email) > 254 || !strings.Contains(a.Address, "@") {
			return "", "", errContactEmail
		}
		email = a.Address
	}
	if phone != "" {
		digits := 0
		for i, r := range phone {
			switch {
			case r >= '0' && r <= '9':
				digits++
			case r == '-' || r == ' ' || r == '+' && i == 0:
			default:
				return "", "", errContactPhone
			}
		}
		if digits < 7 || digits > 20 {
			return "", "", errContactPhone
		}
	}
	return email, phone, nil
}

// SetContact sets a user's e-mail address and phone number (nil leaves one
// as it is, "" removes it).
func (s *Service) SetContact(ctx context.Context, who Principal, id int64, email, phone *string) error {
	if email == nil && phone == nil {
		return nil
	}
	e, p := "", ""
	if email != nil {
		e = *email
	}
	if phone != nil {
		p = *phone
	}
	e, p, err := CheckContact(e, p)
	if err != nil {
		return err
	}
	now := s.clock.Now()
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		ts := store.FormatInstant(now)
		data := map[string]any{}
		if email != nil {
			res, err := tx.ExecContext(ctx, `UPDATE users SET email = $1, updated_at = $2 WHERE id = $3`, e, ts, id)
			if err != nil {
				return fmt.Errorf("auth: set e-mail: %w", err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return errUnknownUser
			}
			data["email"] = e != ""
		}
		if phone != nil {
			res, err := tx.ExecContext(ctx, `UPDATE users SET phone = $1, updated_at = $2 WHERE id = $3`, p, ts, id)
			if err != nil {
				return fmt.Errorf("auth: set phone: %w", err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return errUnknownUser
			}
			data["phone"] = p != ""
		}
		return audit.Append(ctx, tx, now, audit.Record{Actor: who.Actor(), Action: "user.contact", Subject: fmt.Sprintf("user:%d", id), Data: data})
	})
}

// maxDisplayName bounds a display name, in characters.
const maxDisplayName = 40

// CheckDisplayName trims a display name and checks it: valid UTF-8, no
// control characters, at most 40 characters. "" is allowed (the username
// shows instead).
func CheckDisplayName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if !utf8.ValidString(name) || strings.IndexFunc(name, unicode.IsControl) >= 0 {
		return "", problem.Invalid("display_name", "invalid_display_name", "显示名称含有无法识别的字符", "the display name has characters that cannot be read")
	}
	if utf8.RuneCountInString(name) > maxDisplayName {
		return "", problem.Invalid("display_name", "display_name_too_long", fmt.Sprintf("显示名称过长（最多 %d 字）", maxDisplayName), fmt.Sprintf("the display name is too long (%d characters at most)", maxDisplayName))
	}
	return name, nil
}

// SetDisplayName sets the name colleagues know a user by ("" shows the
// username), recorded in the audit log.
func (s *Service) SetDisplayName(ctx context.Context, who Principal, id int64, name string) error {
	name, err := CheckDisplayName(name)
	if err != nil {
		return err
	}
	now := s.clock.Now()
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET display_name = $1, updated_at = $2 WHERE id = $3`, name, store.FormatInstant(now), id)
		if err != nil {
			return fmt.Errorf("auth: set display name: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errUnknownUser
		}
		return audit.Append(ctx, tx, now, audit.Record{Actor: who.Actor(), Action: "user.display_name", Subject: fmt.Sprintf("user:%d", id),
			Data: map[string]any{"display_name": name}})
	})
}
