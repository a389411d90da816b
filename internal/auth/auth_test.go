package auth_test

import (
	"bytes"
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"mashang/internal/auth"
	"mashang/internal/clock"
	"mashang/internal/identity"
	"mashang/internal/problem"
	"mashang/internal/store"
	"mashang/internal/store/storetest"
)

func newService(db *store.DB, c clock.Clock) (*auth.Service, *[]time.Duration) {
	var slept []time.Duration
	s := auth.NewService(db, c, auth.Options{TokenTTL: time.Hour, Sleep: func(_ context.Context, d time.Duration) error {
		slept = append(slept, d)
		return nil
	}})
	return s, &slept
}

func TestLoginTokenLifecycle(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := clock.NewFixed(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
		s, _ := newService(db, c)
		if _, err := s.AddUser(ctx, auth.System("cli"), "wang", "correct horse battery", auth.Director, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := s.AddUser(ctx, auth.System("cli"), "wang", "correct horse battery", auth.Clerk, ""); !problem.Is(err, problem.KindConflict) {
			t.Fatalf("duplicate: %v", err)
		}
		for _, bad := range []struct {
			name, pw string
			role     auth.Role
			unit     string
			kind     problem.Kind
		}{
			{"li", "short", auth.Clerk, "", problem.KindInvalid},
			{"li", "long enough pw", "boss", "", problem.KindInvalid},
			{"li", "long enough pw", auth.Liaison, "", problem.KindInvalid},
			{"li", "long enough pw", auth.Clerk, "NOPE", problem.KindInvalid},
			{"a b", "long enough pw", auth.Clerk, "", problem.KindInvalid},
		} {
			if _, err := s.AddUser(ctx, auth.System("cli"), bad.name, bad.pw, bad.role, bad.unit); !problem.Is(err, bad.kind) {
				t.Errorf("%+v: %v", bad, err)
			}
		}
		tok, exp, err := s.Login(ctx, "wang", "correct horse battery", "", "127.0.0.1")
		if err != nil || tok == "" || !exp.Equal(c.Now().Add(time.Hour)) {
			t.Fatalf("login: %q %v %v", tok, exp, err)
		}
		p, err := s.Authenticate(ctx, tok)
		if err != nil || p.Username != "wang" || p.Role != auth.Director {
			t.Fatalf("authenticate: %+v %v", p, err)
		}
		var stored int
		db.Read.QueryRow(`SELECT COUNT(*) FROM auth_tokens WHERE token_hash = $1`, tok).Scan(&stored)
		if stored != 0 {
			t.Fatal("token stored in clear")
		}
		c.Advance(time.Hour)
		if _, err := s.Authenticate(ctx, tok); !problem.Is(err, problem.KindUnauthorized) {
			t.Fatalf("expired token accepted: %v", err)
		}
		tok, _, _ = s.Login(ctx, "wang", "correct horse battery", "", "127.0.0.1")
		if err := s.Revoke(ctx, tok); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Authenticate(ctx, tok); !problem.Is(err, problem.KindUnauthorized) {
			t.Fatalf("revoked token accepted: %v", err)
		}
	})
}

func TestFailedLoginsSlowThenRefuse(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := clock.NewFixed(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
		s, slept := newService(db, c)
		s.AddUser(ctx, auth.System("cli"), "li", "correct horse battery", auth.Clerk, "")
		for i := 0; i < 10; i++ {
			if _, _, err := s.Login(ctx, "li", "wrong password!", "", "10.0.0.9"); !problem.Is(err, problem.KindUnauthorized) {
				t.Fatalf("try %d: %v", i, err)
			}
		}
		if len(*slept) == 0 {
			t.Fatal("repeated failures were not slowed")
		}
		// Even the right password is refused while blocked.
		if _, _, err := s.Login(ctx, "li", "correct horse battery", "", "10.0.0.9"); !problem.Is(err, problem.KindTooMany) {
			t.Fatalf("want 429, got %v", err)
		}
		c.Advance(16 * time.Minute)
		if _, _, err := s.Login(ctx, "li", "correct horse battery", "", "10.0.0.9"); err != nil {
			t.Fatalf("after the window: %v", err)
		}
	})
}

func TestTOTP(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := clock.NewFixed(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
		s, _ := newService(db, c)
		s.AddUser(ctx, auth.System("cli"), "zhao", "correct horse battery", auth.Leader, "")
		uri, err := s.EnrolTOTP(ctx, auth.System("cli"), "zhao")
		if err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse(uri)
		secret := u.Query().Get("secret")
		if u.Scheme != "otpauth" || secret == "" {
			t.Fatalf("uri %q", uri)
		}
		if _, _, err := s.Login(ctx, "zhao", "correct horse battery", "", "h"); !problem.Is(err, problem.KindUnauthorized) {
			t.Fatalf("no code accepted: %v", err)
		}
		if _, _, err := s.Login(ctx, "zhao", "correct horse battery", "000000", "h"); !problem.Is(err, problem.KindUnauthorized) {
			t.Fatalf("wrong code accepted: %v", err)
		}
		code, _ := totp.GenerateCode(secret, c.Now())
		if _, _, err := s.Login(ctx, "zhao", "correct horse battery", code, "h"); err != nil {
			t.Fatalf("right code refused: %v", err)
		}
		if _, err := s.EnrolTOTP(ctx, auth.System("cli"), "nobody"); !problem.Is(err, problem.KindNotFound) {
			t.Fatalf("unknown user: %v", err)
		}
	})
}

func TestPasswordHash(t *testing.T) {
	h, err := auth.HashPassword("秘密口令 123456")
	if err != nil || !auth.CheckPassword(h, "秘密口令 123456") || auth.CheckPassword(h, "秘密口令 123457") || auth.CheckPassword("garbage", "x") {
		t.Fatal("argon2id round trip")
	}
}

// With a sealer, the TOTP secret is not on disk in clear, and sign-in
// with the code still works.
func TestTOTPSecretSealedAtRest(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := clock.NewFixed(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
		v, err := identity.NewVault(bytes.Repeat([]byte{7}, 32))
		if err != nil {
			t.Fatal(err)
		}
		s := auth.NewService(db, c, auth.Options{Secrets: v, Sleep: func(context.Context, time.Duration) error { return nil }})
		s.AddUser(ctx, auth.System("cli"), "zhao", "correct horse battery", auth.Leader, "")
		uri, err := s.EnrolTOTP(ctx, auth.System("cli"), "zhao")
		if err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse(uri)
		secret := u.Query().Get("secret")
		var stored string
		db.Read.QueryRow(`SELECT totp_secret FROM users WHERE username = 'zhao'`).Scan(&stored)
		if stored == "" || strings.Contains(stored, secret) || !strings.HasPrefix(stored, "sealed:") {
			t.Fatalf("stored TOTP secret %q", stored)
		}
		code, _ := totp.GenerateCode(secret, c.Now())
		if _, _, err := s.Login(ctx, "zhao", "correct horse battery", code, "h"); err != nil {
			t.Fatalf("right code refused: %v", err)
		}
		// A sealed secret copied to another user does not open.
		s.AddUser(ctx, auth.System("cli"), "qian", "correct horse battery", auth.Leader, "")
		db.Write.Exec(`UPDATE users SET totp_secret = $1, totp_enabled = TRUE WHERE username = 'qian'`, stored)
		if _, _, err := s.Login(ctx, "qian", "correct horse battery", code, "h"); err == nil {
			t.Fatal("a secret moved to another account opened")
		}
	})
}
