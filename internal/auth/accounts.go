package auth

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"database/sql"
	_ "embed"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pquerna/otp/totp"

	"mashang/internal/audit"
	"mashang/internal/problem"
	"mashang/internal/store"
)

// MinPasswordRunes is the shortest password allowed.
const MinPasswordRunes = 10

//go:embed data/common-passwords.txt
var commonPasswordList []byte

// commonPasswords reads the embedded list of passwords too common to use.
func commonPasswords() map[string]bool {
	m := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(commonPasswordList))
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" && !strings.HasPrefix(l, "#") {
			m[strings.ToLower(l)] = true
		}
	}
	return m
}

var (
	errWeakPassword   = problem.Invalid("password", "weak_password", fmt.Sprintf("密码至少 %d 个字符", MinPasswordRunes), fmt.Sprintf("a password needs at least %d characters", MinPasswordRunes))
	errLongPassword   = problem.Invalid("password", "password_too_long", "密码过长", "the password is too long")
	errCommonPassword = problem.Invalid("password", "common_password", "这个密码太常见，容易被猜中，请换一个", "this password is too common and easily guessed; choose another")
	errNamePassword   = problem.Invalid("password", "password_contains_username", "密码不能包含用户名", "the password must not contain the username")
	errWrongPassword  = problem.Invalid("old", "wrong_password", "原密码不正确", "the current password is wrong")
	errSamePassword   = problem.Invalid("new", "same_password", "新密码不能与原密码相同", "the new password must differ from the current one")
	errLastAdmin      = problem.Conflict("last_admin", "这是最后一个启用的管理员账号，不能降级或停用", "this is the last active admin account; it can be neither demoted nor disabled")
)

// ValidatePassword checks a new password for username: at least
// MinPasswordRunes characters, at most 1 KiB, not in the list of common
// passwords (case-insensitively) and not containing the user name.
func (s *Service) ValidatePassword(username, pw string) error {
	if utf8.RuneCountInString(pw) < MinPasswordRunes {
		return errWeakPassword
	}
	if len(pw) > 1024 {
		return errLongPassword
	}
	folded := strings.ToLower(strings.Join(strings.Fields(pw), ""))
	if s.common[strings.ToLower(pw)] || s.common[folded] {
		return errCommonPassword
	}
	if u := strings.ToLower(username); utf8.RuneCountInString(u) >= 3 && strings.Contains(folded, u) || u != "" && folded == u {
		return errNamePassword
	}
	return nil
}

// setPassword stores a new hash for user id, revokes every session and token
// of the user and records action in the audit log, in tx.
func (s *Service) setPassword(ctx context.Context, tx *sql.Tx, id int64, pw string, mustChange bool, actor, action string) error {
	hash, err := HashPassword(pw)
	if err != nil {
		return err
	}
	now := s.clock.Now()
	ts := store.FormatInstant(now)
	res, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = $1, must_change_password = $2, password_changed_at = $3, updated_at = $3 WHERE id = $4`,
		hash, mustChange, ts, id)
	if err != nil {
		return fmt.Errorf("auth: store password: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errUnknownUser
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM auth_tokens WHERE user_id = $1`, id); err != nil {
		return fmt.Errorf("auth: revoke tokens: %w", err)
	}
	return audit.Append(ctx, tx, now, audit.Record{Actor: actor, Action: action, Subject: fmt.Sprintf("user:%d", id)})
}

// ChangePassword changes the password of user id, who proves the current
// one (old) from addr: a wrong one counts as a failed sign-in of the
// (account, address) pair and is throttled the same way. Every session and
// token of the user is revoked; a password reset by an admin is no longer
// to be changed.
func (s *Service) ChangePassword(ctx context.Context, id int64, old, pw, addr string) error {
	var name, hash string
	err := s.db.Read.QueryRowContext(ctx, `SELECT username, password_hash FROM users WHERE id = $1`, id).Scan(&name, &hash)
	if errors.Is(err, sql.ErrNoRows) {
		return errUnknownUser
	}
	if err != nil {
		return fmt.Errorf("auth: read account: %w", err)
	}
	now := s.clock.Now()
	counts, err := s.failures.Counts(ctx, name, addr, now.Add(-ThrottleWindow))
	if err != nil {
		return err
	}
	if v := s.verdict(counts, now); v.Blocked {
		mins := int(v.Retry.Minutes()) + 1
		return problem.TooMany("too_many_attempts", fmt.Sprintf("失败次数过多，请 %d 分钟后再试", mins),
			fmt.Sprintf("too many failed attempts; try again in %d minutes", mins)).RetryIn(v.Retry)
	} else if v.Delay > 0 {
		if err := s.sleep(ctx, v.Delay); err != nil {
			return err
		}
	}
	if old == "" {
		return problem.Required("old")
	}
	if !CheckPassword(hash, old) {
		if err := s.failures.Record(ctx, name, addr, now); err != nil {
			return err
		}
		return errWrongPassword
	}
	if pw == old {
		return errSamePassword
	}
	if err := s.ValidatePassword(name, pw); err != nil {
		return err.(*problem.Error).WithField("new")
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		return s.setPassword(ctx, tx, id, pw, false, "user:"+name, "user.password_change")
	})
}

// SetPassword gives username a new password (an operator at the console):
// every session and token of the user is revoked.
func (s *Service) SetPassword(ctx context.Context, who Principal, username, pw string) error {
	actor := who.Actor()
	if err := s.ValidatePassword(username, pw); err != nil {
		return err
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		var id int64
		err := tx.QueryRowContext(ctx, `SELECT id FROM users WHERE username = $1`, username).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return problem.NotFound("unknown_user", "用户 "+username+" 不存在", "no user "+username)
		}
		if err != nil {
			return err
		}
		return s.setPassword(ctx, tx, id, pw, false, actor, "user.passwd")
	})
}

// oneTimeAlphabet has no letters or digits that read alike (0/O, 1/l/I).
const oneTimeAlphabet = "abcdefghjkmnpqrstuvwxyz23456789"

// ResetPassword gives user id a new random one-time password, to be changed
// at the next sign-in (until then the user may do nothing else), and
// revokes every session and token of the user. The password is returned
// once, to be handed over; only its hash is kept.
func (s *Service) ResetPassword(ctx context.Context, who Principal, id int64) (string, error) {
	actor := who.Actor()
	raw := make([]byte, 16)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	var b strings.Builder
	for i, c := range raw {
		if i > 0 && i%4 == 0 {
			b.WriteByte('-')
		}
		b.WriteByte(oneTimeAlphabet[int(c)%len(oneTimeAlphabet)])
	}
	pw := b.String()
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		return s.setPassword(ctx, tx, id, pw, true, actor, "user.password_reset")
	})
	if err != nil {
		return "", err
	}
	return pw, nil
}

// IssueSession signs user id in on the staff pages without a password: for
// the page that has just checked it (a changed password revokes the old
// session).
func (s *Service) IssueSession(ctx context.Context, id int64) (string, time.Time, error) {
	tok, exp, err := s.issue(ctx, id, "session")
	return tok, exp, err
}

// useCode checks a TOTP code against the steps around now and accepts it
// only for a step later than the last one accepted for the user: a code is
// good once, on every instance (the step is claimed in the database).
func (s *Service) useCode(ctx context.Context, userID int64, secret, code string) (bool, error) {
	now := s.clock.Now()
	period := int64(totpOpts.Period)
	for k := -int64(totpOpts.Skew); k <= int64(totpOpts.Skew); k++ {
		at := now.Add(time.Duration(k*period) * time.Second)
		want, err := totp.GenerateCodeCustom(secret, at, totpOpts)
		if err != nil {
			return false, fmt.Errorf("auth: TOTP: %w", err)
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) != 1 {
			continue
		}
		step := at.Unix() / period
		var claimed bool
		err = s.db.Tx(ctx, func(tx *sql.Tx) error {
			res, err := tx.ExecContext(ctx, `UPDATE users SET totp_last_step = $1 WHERE id = $2 AND totp_last_step < $1`, step, userID)
			if err != nil {
				return err
			}
			n, err := res.RowsAffected()
			claimed = n == 1
			return err
		})
		if err != nil {
			return false, fmt.Errorf("auth: claim TOTP step: %w", err)
		}
		return claimed, nil
	}
	return false, nil
}

// lockAdmins takes the active admin accounts for the rest of tx on
// PostgreSQL, so that two admins demoting each other at once cannot both
// succeed (SQLite has one writer at a time already). It returns how many
// there are.
func (s *Service) lockAdmins(ctx context.Context, tx *sql.Tx) (int, error) {
	q := `SELECT id FROM users WHERE role = 'admin' AND NOT disabled`
	if s.db.Engine == store.Postgres {
		q += ` FOR UPDATE`
	}
	rows, err := tx.QueryContext(ctx, q)
	if err != nil {
		return 0, fmt.Errorf("auth: lock admins: %w", err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		n++
	}
	return n, rows.Err()
}

// lastAdminKept refuses a change that leaves no active admin where there was one.
func lastAdminKept(ctx context.Context, tx *sql.Tx, before int) error {
	var after int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE role = 'admin' AND NOT disabled`).Scan(&after); err != nil {
		return err
	}
	if before > 0 && after == 0 {
		return errLastAdmin
	}
	return nil
}
