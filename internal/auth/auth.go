// Package auth holds staff accounts: argon2id passwords, roles, optional
// TOTP, opaque bearer tokens stored only as hashes, and the slowing and
// refusing of repeated failed logins per user and per address.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pquerna/otp/totp"

	"mashang/internal/audit"
	"mashang/internal/clock"
	"mashang/internal/problem"
	"mashang/internal/store"
)

// User is a staff account as shown to admins (never the hash or secret).
type User struct {
	ID       int64  `json:"id"`
	Username string `json:"username"`
	// DisplayName is the name colleagues know (张丽): histories, assignee
	// columns and pickers show it ("": the username).
	DisplayName string `json:"display_name"`
	Role        Role   `json:"role"`
	UnitCode    string `json:"unit,omitempty"`
	// Office is the code of the office the account belongs to.
	Office      string    `json:"office"`
	TOTPEnabled bool      `json:"totp_enabled"`
	Disabled    bool      `json:"disabled"`
	CreatedAt   time.Time `json:"created_at"`
	// MustChangePassword: reset by an admin, to be changed at the next sign-in.
	MustChangePassword bool `json:"must_change_password"`
	// FailedSignIns counts failed sign-ins with this name over the last day.
	FailedSignIns int `json:"failed_sign_ins_24h"`
	// Email and Phone are where notifications reach the user ("": none).
	Email string `json:"email"`
	Phone string `json:"phone"`
}

// Service manages accounts and tokens.
type Service struct {
	db        *store.DB
	clock     clock.Clock
	ttl       time.Duration
	failures  FailureLog
	addrLimit bool
	sleep     func(context.Context, time.Duration) error
	secrets   Sealer
	common    map[string]bool
	Issuer    string
}

// Options configure a Service.
type Options struct {
	TokenTTL time.Duration
	// NoAddrLimit turns off the per-address limit (load tests on loopback);
	// the (account, address) limit always applies.
	NoAddrLimit bool
	// Sleep waits before answering a slowed login; nil means a real timer.
	Sleep func(context.Context, time.Duration) error
	// Secrets seals TOTP secrets at rest; nil stores them as they are
	// (tests of this package only: the app always passes its vault).
	Secrets Sealer
}

// Sealer encrypts small secrets bound to a record (identity.Vault is one).
type Sealer interface {
	Seal(plaintext, aad string) ([]byte, error)
	Open(ciphertext []byte, aad string) (string, error)
}

// NewService returns an account service.
func NewService(db *store.DB, c clock.Clock, o Options) *Service {
	if o.TokenTTL <= 0 {
		o.TokenTTL = 12 * time.Hour
	}
	if o.Sleep == nil {
		o.Sleep = func(ctx context.Context, d time.Duration) error {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(d):
				return nil
			}
		}
	}
	return &Service{
		db: db, clock: c, ttl: o.TokenTTL,
		failures:  sqlFailures{db},
		addrLimit: !o.NoAddrLimit,
		sleep:     o.Sleep,
		secrets:   o.Secrets,
		common:    commonPasswords(),
		Issuer:    "mashang",
	}
}

var (
	errUnknownUser = problem.NotFound("unknown_user", "用户不存在", "no such user")
	errBadLogin    = problem.Unauthorized("bad_credentials", "用户名、密码或动态码不正确", "wrong username, password or one-time code")
	errNoToken     = problem.Unauthorized("unauthenticated", "请先登录", "sign in first: send Authorization: Bearer TOKEN")
	errBadToken    = problem.Unauthorized("invalid_token", "令牌无效或已过期，请重新登录", "the token is invalid or has expired; sign in again")
)

// SetSleep replaces how a slowed sign-in waits (tests count the waits
// instead of sleeping).
func (s *Service) SetSleep(f func(context.Context, time.Duration) error) { s.sleep = f }

// ValidateUsername checks a new user name.
func ValidateUsername(u string) error {
	if u == "" {
		return problem.Required("username")
	}
	if utf8.RuneCountInString(u) > 64 || strings.ContainsAny(u, " \t\r\n:/") {
		return problem.Invalid("username", "invalid_username", "用户名不能含空格、冒号或斜杠，最长 64 个字符", "a username has no spaces, colons or slashes and at most 64 characters")
	}
	return nil
}

func unitID(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, code string) (sql.NullInt64, error) {
	if code == "" {
		return sql.NullInt64{}, nil
	}
	var id int64
	err := q.QueryRowContext(ctx, `SELECT id FROM units WHERE code = $1`, code).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return sql.NullInt64{}, problem.Invalid("unit", "unknown_unit", "单位代码 "+code+" 不存在", "no unit has the code "+code)
	}
	if err != nil {
		return sql.NullInt64{}, err
	}
	return sql.NullInt64{Int64: id, Valid: true}, nil
}

// AddUser creates an account in the one office (the top office, when
// there are several). who is the principal who does it (for the audit log).
func (s *Service) AddUser(ctx context.Context, who Principal, username, password string, role Role, unitCode string) (User, error) {
	return s.Add(ctx, who, NewUser{Username: username, Password: password, Role: role, Unit: unitCode})
}

// NewUser is an account to create.
type NewUser struct {
	Username, Password string
	Role               Role
	Unit               string // the unit a liaison speaks for ("": none)
	Office             string // the office's code ("": the top office)
	DisplayName        string // the name colleagues know ("": the username)
}

// officeID resolves an office code ("": the top office: the one office of
// a single-office deployment).
func officeID(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, code string) (int64, error) {
	var id int64
	var err error
	if code == "" {
		err = q.QueryRowContext(ctx, `SELECT id FROM offices WHERE parent_id IS NULL ORDER BY id LIMIT 1`).Scan(&id)
	} else {
		err = q.QueryRowContext(ctx, `SELECT id FROM offices WHERE code = $1`, code).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return 0, problem.Invalid("office", "unknown_office", "整肃办 "+code+" 不存在", "no office has the code "+code)
		}
	}
	if err != nil {
		return 0, fmt.Errorf("auth: look up office: %w", err)
	}
	return id, nil
}

// Add creates an account; who is the principal who does it.
func (s *Service) Add(ctx context.Context, who Principal, n NewUser) (User, error) {
	username, password, role, unitCode, actor := n.Username, n.Password, n.Role, strings.TrimSpace(n.Unit), who.Actor()
	if err := ValidateUsername(username); err != nil {
		return User{}, err
	}
	if !role.Valid() {
		return User{}, problem.Invalid("role", "unknown_role", "未知角色 "+string(role), "unknown role "+string(role)+"; one of admin, clerk, handler, director, leader, orgdept, inspector, liaison, auditor")
	}
	if role == Liaison && unitCode == "" {
		return User{}, problem.Invalid("unit", "liaison_needs_unit", "联络员必须绑定单位", "a liaison must be bound to a unit")
	}
	if err := s.ValidatePassword(username, password); err != nil {
		return User{}, err
	}
	display, err := CheckDisplayName(n.DisplayName)
	if err != nil {
		return User{}, err
	}
	hash, err := HashPassword(password)
	if err != nil {
		return User{}, err
	}
	now := s.clock.Now()
	u := User{Username: username, DisplayName: display, Role: role, UnitCode: unitCode, CreatedAt: now}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		uid, err := unitID(ctx, tx, unitCode)
		if err != nil {
			return err
		}
		oid, err := officeID(ctx, tx, strings.TrimSpace(n.Office))
		if err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `SELECT code FROM offices WHERE id = $1`, oid).Scan(&u.Office); err != nil {
			return fmt.Errorf("auth: read office: %w", err)
		}
		ts := store.FormatInstant(now)
		err = tx.QueryRowContext(ctx, `INSERT INTO users (username, password_hash, role, unit_id, office_id, created_at, updated_at, display_name) VALUES ($1,$2,$3,$4,$5,$6,$6,$7) RETURNING id`,
			username, hash, string(role), uid, oid, ts, display).Scan(&u.ID)
		if store.IsUniqueViolation(err) {
			return problem.Conflict("duplicate_username", "用户名 "+username+" 已存在", "the username "+username+" is taken")
		}
		if err != nil {
			return fmt.Errorf("auth: insert user: %w", err)
		}
		return audit.Append(ctx, tx, now, audit.Record{Actor: actor, Action: "user.add", Subject: fmt.Sprintf("user:%d", u.ID),
			Data: map[string]any{"username": username, "role": role, "unit": unitCode, "office": u.Office, "display_name": display}})
	})
	return u, err
}

// EnrolTOTP gives the user a new TOTP secret and returns the otpauth:// URI
// for an authenticator app. From then on a login needs a valid code.
func (s *Service) EnrolTOTP(ctx context.Context, who Principal, username string) (string, error) {
	actor := who.Actor()
	key, err := totp.Generate(totp.GenerateOpts{Issuer: s.Issuer, AccountName: username})
	if err != nil {
		return "", err
	}
	stored, err := s.sealSecret(username, key.Secret())
	if err != nil {
		return "", err
	}
	now := s.clock.Now()
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET totp_secret = $1, totp_enabled = TRUE, updated_at = $2 WHERE username = $3`, stored, store.FormatInstant(now), username)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return problem.NotFound("unknown_user", "用户 "+username+" 不存在", "no user "+username)
		}
		return audit.Append(ctx, tx, now, audit.Record{Actor: actor, Action: "user.totp_enrol", Subject: "username:" + username})
	})
	if err != nil {
		return "", err
	}
	return key.URL(), nil
}

type account struct {
	id       int64
	hash     string
	role     Role
	unitID   sql.NullInt64
	unitCode sql.NullString
	secret   string
	totp     bool
	disabled bool
	lastStep int64
}

func (s *Service) account(ctx context.Context, username string) (*account, error) {
	var a account
	var role string
	err := s.db.Read.QueryRowContext(ctx, `SELECT u.id, u.password_hash, u.role, u.unit_id, un.code, u.totp_secret, u.totp_enabled, u.disabled, u.totp_last_step
		FROM users u LEFT JOIN units un ON un.id = u.unit_id WHERE u.username = $1`, username).
		Scan(&a.id, &a.hash, &role, &a.unitID, &a.unitCode, &a.secret, &a.totp, &a.disabled, &a.lastStep)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("auth: read account: %w", err)
	}
	a.role = Role(role)
	return &a, nil
}

// Login checks credentials and returns a new token. addr is the client's
// address. Failures slow down the (account, address) pair that failed, and
// then refuse it (429) for a while; an address failing against many
// accounts is refused too; the account as a whole is only ever slowed a
// little, so a stranger's failures never lock its owner out.
func (s *Service) Login(ctx context.Context, username, password, code, addr string) (string, time.Time, error) {
	now := s.clock.Now()
	counts, err := s.failures.Counts(ctx, username, addr, now.Add(-ThrottleWindow))
	if err != nil {
		return "", time.Time{}, err
	}
	v := s.verdict(counts, now)
	if v.Blocked {
		mins := int(v.Retry.Minutes()) + 1
		return "", time.Time{}, problem.TooMany("too_many_attempts",
			fmt.Sprintf("失败次数过多，请 %d 分钟后再试", mins),
			fmt.Sprintf("too many failed sign-ins; try again in %d minutes", mins)).RetryIn(v.Retry)
	}
	if v.Delay > 0 {
		if err := s.sleep(ctx, v.Delay); err != nil {
			return "", time.Time{}, err
		}
	}
	fail := func() (string, time.Time, error) {
		if err := s.failures.Record(ctx, username, addr, s.clock.Now()); err != nil {
			return "", time.Time{}, err
		}
		return "", time.Time{}, errBadLogin
	}
	a, err := s.account(ctx, username)
	if err != nil {
		return "", time.Time{}, err
	}
	if a == nil {
		CheckPassword(dummyHash, password)
		return fail()
	}
	if !CheckPassword(a.hash, password) || a.disabled {
		return fail()
	}
	if a.totp {
		if code == "" {
			return "", time.Time{}, problem.Unauthorized("otp_required", "请输入动态验证码", "this account needs its one-time code (otp)")
		}
		secret, err := s.openSecret(username, a.secret)
		if err != nil {
			return "", time.Time{}, err
		}
		ok, err := s.useCode(ctx, a.id, secret, strings.TrimSpace(code))
		if err != nil {
			return "", time.Time{}, err
		}
		if !ok {
			return fail()
		}
	}
	if err := s.failures.Clear(ctx, username, addr); err != nil {
		return "", time.Time{}, err
	}
	tok, exp, err := s.issue(ctx, a.id, "api")
	return tok, exp, err
}

func (s *Service) issue(ctx context.Context, userID int64, kind string) (string, time.Time, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", time.Time{}, err
	}
	tok := base64.RawURLEncoding.EncodeToString(raw)
	now := s.clock.Now()
	exp := now.Add(s.ttl)
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		// Expired tokens of this user are cleared as new ones are made.
		if _, err := tx.ExecContext(ctx, `DELETE FROM auth_tokens WHERE user_id = $1 AND expires_at < $2`, userID, store.FormatInstant(now)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO auth_tokens (token_hash, user_id, kind, created_at, expires_at) VALUES ($1,$2,$3,$4,$5)`,
			TokenHash(tok), userID, kind, store.FormatInstant(now), store.FormatInstant(exp))
		return err
	})
	if err != nil {
		return "", time.Time{}, fmt.Errorf("auth: store token: %w", err)
	}
	return tok, exp, nil
}

// TokenHash is how a token is stored: SHA-256, hex. Tokens are 256 random
// bits, so a fast hash is enough.
func TokenHash(tok string) string {
	h := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(h[:])
}

// Authenticate resolves a bearer token to its principal.
func (s *Service) Authenticate(ctx context.Context, tok string) (Principal, error) {
	if tok == "" {
		return Principal{}, errNoToken
	}
	if len(tok) > 200 {
		return Principal{}, errBadToken
	}
	var p Principal
	var role string
	var unitID sql.NullInt64
	var unitCode, unitPath sql.NullString
	var exp store.Instant
	var disabled bool
	var officeID sql.NullInt64
	var officeCode, officePath sql.NullString
	var officeAll bool
	err := s.db.Read.QueryRowContext(ctx, `SELECT u.id, u.username, u.display_name, u.role, u.unit_id, un.code, un.path, t.expires_at, u.disabled, u.must_change_password,
		u.office_id, o.code, o.path, CASE WHEN NOT EXISTS (SELECT 1 FROM offices ox WHERE ox.path NOT LIKE o.path || '%') THEN TRUE ELSE FALSE END
		FROM auth_tokens t JOIN users u ON u.id = t.user_id LEFT JOIN units un ON un.id = u.unit_id LEFT JOIN offices o ON o.id = u.office_id
		WHERE t.token_hash = $1`, TokenHash(tok)).Scan(&p.UserID, &p.Username, &p.DisplayName, &role, &unitID, &unitCode, &unitPath, &exp, &disabled, &p.MustChangePassword,
		&officeID, &officeCode, &officePath, &officeAll)
	if errors.Is(err, sql.ErrNoRows) {
		return Principal{}, errBadToken
	}
	if err != nil {
		return Principal{}, fmt.Errorf("auth: read token: %w", err)
	}
	if disabled || !s.clock.Now().Before(exp.Time) {
		return Principal{}, errBadToken
	}
	p.Role = Role(role)
	p.UnitID = unitID.Int64
	p.UnitCode = unitCode.String
	p.UnitPath = unitPath.String
	p.OfficeID, p.OfficeCode, p.OfficePath = officeID.Int64, officeCode.String, officePath.String
	p.OfficeAll = officeAll && officePath.Valid
	if officePath.Valid {
		// The office and those below it (materialised paths: '/1/3/%').
		rows, err := s.db.Read.QueryContext(ctx, `SELECT id FROM offices WHERE path LIKE $1 ORDER BY length(path), id`, officePath.String+"%")
		if err != nil {
			return Principal{}, fmt.Errorf("auth: offices below: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				return Principal{}, fmt.Errorf("auth: offices below: %w", err)
			}
			p.Offices = append(p.Offices, id)
		}
		if err := rows.Err(); err != nil {
			return Principal{}, fmt.Errorf("auth: offices below: %w", err)
		}
	}
	return p, nil
}

// Revoke deletes a token. Revoking an unknown token is not an error.
func (s *Service) Revoke(ctx context.Context, tok string) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM auth_tokens WHERE token_hash = $1`, TokenHash(tok))
		return err
	})
}

// ListUsers returns every account, by name.
func (s *Service) ListUsers(ctx context.Context) ([]User, error) {
	since := store.FormatInstant(s.clock.Now().Add(-24 * time.Hour))
	rows, err := s.db.Read.QueryContext(ctx, `SELECT u.id, u.username, u.display_name, u.role, COALESCE(un.code, ''), u.totp_enabled, u.disabled, u.created_at,
		u.must_change_password, (SELECT COUNT(*) FROM sign_in_failures f WHERE f.username = u.username AND f.at >= $1), COALESCE(o.code, ''), u.email, u.phone
		FROM users u LEFT JOIN units un ON un.id = u.unit_id LEFT JOIN offices o ON o.id = u.office_id ORDER BY u.username`, since)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		var u User
		var role string
		var at store.Instant
		if err := rows.Scan(&u.ID, &u.Username, &u.DisplayName, &role, &u.UnitCode, &u.TOTPEnabled, &u.Disabled, &at, &u.MustChangePassword, &u.FailedSignIns, &u.Office, &u.Email, &u.Phone); err != nil {
			return nil, err
		}
		u.Role, u.CreatedAt = Role(role), at.Time
		out = append(out, u)
	}
	return out, rows.Err()
}

// UpdateUser changes role, unit or the disabled flag (nil leaves a field as it is).
func (s *Service) UpdateUser(ctx context.Context, who Principal, id int64, role *Role, unitCode *string, disabled *bool) error {
	actor := who.Actor()
	if role != nil && !role.Valid() {
		return problem.Invalid("role", "unknown_role", "未知角色 "+string(*role), "unknown role "+string(*role))
	}
	now := s.clock.Now()
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		var exists int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE id = $1`, id).Scan(&exists); err != nil {
			return err
		}
		if exists == 0 {
			return errUnknownUser
		}
		admins, err := s.lockAdmins(ctx, tx)
		if err != nil {
			return err
		}
		ts := store.FormatInstant(now)
		data := map[string]any{}
		if role != nil {
			if _, err := tx.ExecContext(ctx, `UPDATE users SET role = $1, updated_at = $2 WHERE id = $3`, string(*role), ts, id); err != nil {
				return err
			}
			data["role"] = *role
		}
		if unitCode != nil {
			uid, err := unitID(ctx, tx, *unitCode)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE users SET unit_id = $1, updated_at = $2 WHERE id = $3`, uid, ts, id); err != nil {
				return err
			}
			data["unit"] = *unitCode
		}
		if disabled != nil {
			if _, err := tx.ExecContext(ctx, `UPDATE users SET disabled = $1, updated_at = $2 WHERE id = $3`, *disabled, ts, id); err != nil {
				return err
			}
			if *disabled {
				if _, err := tx.ExecContext(ctx, `DELETE FROM auth_tokens WHERE user_id = $1`, id); err != nil {
					return err
				}
			}
			data["disabled"] = *disabled
		}
		if err := lastAdminKept(ctx, tx, admins); err != nil {
			return err
		}
		return audit.Append(ctx, tx, now, audit.Record{Actor: actor, Action: "user.update", Subject: fmt.Sprintf("user:%d", id), Data: data})
	})
}

// sealedPrefix marks a TOTP secret stored sealed (base64 of the vault's
// ciphertext, bound to the user name).
const sealedPrefix = "sealed:"

func totpAAD(username string) string { return "user:" + username + ":totp" }

func (s *Service) sealSecret(username, secret string) (string, error) {
	if s.secrets == nil {
		return secret, nil
	}
	ct, err := s.secrets.Seal(secret, totpAAD(username))
	if err != nil {
		return "", fmt.Errorf("auth: seal TOTP secret: %w", err)
	}
	return sealedPrefix + base64.StdEncoding.EncodeToString(ct), nil
}

func (s *Service) openSecret(username, stored string) (string, error) {
	if !strings.HasPrefix(stored, sealedPrefix) {
		return stored, nil
	}
	if s.secrets == nil {
		return "", errors.New("auth: a sealed TOTP secret but no key to open it")
	}
	ct, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(stored, sealedPrefix))
	if err != nil {
		return "", fmt.Errorf("auth: stored TOTP secret: %w", err)
	}
	secret, err := s.secrets.Open(ct, totpAAD(username))
	if err != nil {
		return "", fmt.Errorf("auth: open TOTP secret: %w", err)
	}
	return secret, nil
}

// ResealSecrets re-encrypts every sealed TOTP secret from old to next (key
// rotation) inside tx, and returns how many it changed.
func ResealSecrets(ctx context.Context, tx *sql.Tx, old, next Sealer) (int64, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, username, totp_secret FROM users WHERE totp_secret LIKE 'sealed:%' ORDER BY id`)
	if err != nil {
		return 0, fmt.Errorf("auth: read secrets: %w", err)
	}
	type row struct {
		id           int64
		user, stored string
	}
	var all []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.id, &r.user, &r.stored); err != nil {
			rows.Close()
			return 0, fmt.Errorf("auth: read secrets: %w", err)
		}
		all = append(all, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("auth: read secrets: %w", err)
	}
	from, to := &Service{secrets: old}, &Service{secrets: next}
	for _, r := range all {
		secret, err := from.openSecret(r.user, r.stored)
		if err != nil {
			return 0, fmt.Errorf("auth: user %d: %w", r.id, err)
		}
		sealed, err := to.sealSecret(r.user, secret)
		if err != nil {
			return 0, err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET totp_secret = $1 WHERE id = $2`, sealed, r.id); err != nil {
			return 0, fmt.Errorf("auth: reseal user %d: %w", r.id, err)
		}
	}
	return int64(len(all)), nil
}

// SetUserOffice moves account id to the office with code ("": the top
// office); who makes the change. Its sessions go on, in the new office from the next request.
func (s *Service) SetUserOffice(ctx context.Context, who Principal, id int64, code string) error {
	now, actor := s.clock.Now(), who.Actor()
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		oid, err := officeID(ctx, tx, strings.TrimSpace(code))
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE users SET office_id = $1, updated_at = $2 WHERE id = $3`, oid, store.FormatInstant(now), id)
		if err != nil {
			return fmt.Errorf("auth: set office: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errUnknownUser
		}
		return audit.Append(ctx, tx, now, audit.Record{Actor: actor, Action: "user.update", Subject: fmt.Sprintf("user:%d", id), Data: map[string]any{"office": code}})
	})
}
