package auth_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"mashang/internal/auth"
	"mashang/internal/clock"
	"mashang/internal/problem"
	"mashang/internal/store"
	"mashang/internal/store/storetest"
)

func wantCode(t *testing.T, err error, kind problem.Kind, code string) {
	t.Helper()
	pe, ok := problem.As(err)
	if !ok || pe.Kind != kind || pe.Code != code {
		t.Fatalf("got %v, want %s", err, code)
	}
}

// TestStrangerCannotLockOwnerOut: ten wrong passwords for an account from
// one address refuse that address, and the owner still signs in at once
// from another; the owner (and admins) see the failures with their address.
func TestStrangerCannotLockOwnerOut(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := clock.NewFixed(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
		s, slept := newService(db, c)
		owner, _ := s.AddUser(ctx, auth.System("cli"), "li", "correct horse battery", auth.Clerk, "")
		for i := range 10 {
			if _, _, err := s.Login(ctx, "li", "guess number "+string(rune('a'+i)), "", "203.0.113.66"); !problem.Is(err, problem.KindUnauthorized) {
				t.Fatalf("guess %d: %v", i, err)
			}
		}
		_, _, err := s.Login(ctx, "li", "correct horse battery", "", "203.0.113.66")
		wantCode(t, err, problem.KindTooMany, "too_many_attempts")
		if pe, _ := problem.As(err); pe.Retry <= 0 || pe.Retry > auth.ThrottleWindow {
			t.Fatalf("retry %v", pe.Retry)
		}
		*slept = nil
		if _, _, err := s.Login(ctx, "li", "correct horse battery", "", "10.1.2.3"); err != nil {
			t.Fatalf("the owner from another address: %v", err)
		}
		if len(*slept) != 0 {
			t.Fatalf("the owner was slowed: %v", *slept)
		}
		fs, err := s.RecentFailures(ctx, owner.ID)
		if err != nil || len(fs) != 10 || fs[0].Addr != "203.0.113.66" || !fs[0].At.Equal(c.Now()) {
			t.Fatalf("recent failures: %v %v", fs, err)
		}
		// An address failing against many accounts is refused for all of them.
		for i := range 30 {
			s.Login(ctx, "user"+string(rune('a'+i%26))+string(rune('a'+i/26)), "nope nope nope", "", "198.51.100.9")
		}
		_, _, err = s.Login(ctx, "li", "correct horse battery", "", "198.51.100.9")
		wantCode(t, err, problem.KindTooMany, "too_many_attempts")
		if _, _, err := s.Login(ctx, "li", "correct horse battery", "", "10.1.2.3"); err != nil {
			t.Fatalf("the owner again: %v", err)
		}
		// The window passes: the stranger's address may try again.
		c.Advance(auth.ThrottleWindow + time.Second)
		if _, _, err := s.Login(ctx, "li", "correct horse battery", "", "203.0.113.66"); err != nil {
			t.Fatalf("after the window: %v", err)
		}
	})
}

func TestPasswordPolicy(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		s, _ := newService(db, clock.NewFixed(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)))
		for _, c := range []struct {
			pw, code string
		}{
			{"short", "weak_password"},
			{"九个字的中文密码啊", "weak_password"},
			{"1234567890", "common_password"},
			{"qwertyuiop", "common_password"},
			{"Password123", "common_password"},
			{"woaini1314520", "common_password"},
			{"aaaaaaaaaaaa", "common_password"},
			{"wang the director", "password_contains_username"},
			{"WANGWANGWANG", "password_contains_username"},
			{"马上办公室的长密码很安全", ""},
			{"correct horse battery", ""},
		} {
			err := s.ValidatePassword("wang", c.pw)
			if c.code == "" {
				if err != nil {
					t.Errorf("%q: %v", c.pw, err)
				}
				continue
			}
			if pe, ok := problem.As(err); !ok || pe.Code != c.code || pe.Kind != problem.KindInvalid {
				t.Errorf("%q: %v, want %s", c.pw, err, c.code)
			}
		}
	})
}

// TestPasswordChangeRevokesTokens: changing one's password (the current one
// required) ends every session and token of the user.
func TestPasswordChangeRevokesTokens(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := clock.NewFixed(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
		s, _ := newService(db, c)
		u, _ := s.AddUser(ctx, auth.System("cli"), "zhou", "correct horse battery", auth.Handler, "")
		t1, _, _ := s.Login(ctx, "zhou", "correct horse battery", "", "10.0.0.1")
		t2, _, _ := s.LoginSession(ctx, "zhou", "correct horse battery", "", "10.0.0.2")
		wantCode(t, s.ChangePassword(ctx, u.ID, "not my password", "a new long passphrase", "10.0.0.1"), problem.KindInvalid, "wrong_password")
		wantCode(t, s.ChangePassword(ctx, u.ID, "correct horse battery", "correct horse battery", "10.0.0.1"), problem.KindInvalid, "same_password")
		err := s.ChangePassword(ctx, u.ID, "correct horse battery", "1234567890", "10.0.0.1")
		wantCode(t, err, problem.KindInvalid, "common_password")
		if pe, _ := problem.As(err); pe.Field != "new" {
			t.Fatalf("field %q", pe.Field)
		}
		for _, tok := range []string{t1, t2} {
			if _, err := s.Authenticate(ctx, tok); err != nil {
				t.Fatalf("refused changes revoked a token: %v", err)
			}
		}
		if err := s.ChangePassword(ctx, u.ID, "correct horse battery", "a new long passphrase", "10.0.0.1"); err != nil {
			t.Fatal(err)
		}
		for _, tok := range []string{t1, t2} {
			if _, err := s.Authenticate(ctx, tok); !problem.Is(err, problem.KindUnauthorized) {
				t.Fatalf("a token outlived the change: %v", err)
			}
		}
		if _, _, err := s.Login(ctx, "zhou", "correct horse battery", "", "10.0.0.1"); !problem.Is(err, problem.KindUnauthorized) {
			t.Fatalf("old password: %v", err)
		}
		if _, _, err := s.Login(ctx, "zhou", "a new long passphrase", "", "10.0.0.1"); err != nil {
			t.Fatalf("new password: %v", err)
		}
		// The console's passwd does the same.
		t3, _, _ := s.Login(ctx, "zhou", "a new long passphrase", "", "10.0.0.1")
		if err := s.SetPassword(ctx, auth.System("cli"), "zhou", "the console's new passphrase"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Authenticate(ctx, t3); !problem.Is(err, problem.KindUnauthorized) {
			t.Fatalf("a token outlived passwd: %v", err)
		}
		wantCode(t, s.SetPassword(ctx, auth.System("cli"), "nobody", "the console's new passphrase"), problem.KindNotFound, "unknown_user")
	})
}

// TestResetForcesChange: an admin's reset gives a one-time password; the
// user signs in with it but must change it before anything else.
func TestResetForcesChange(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := clock.NewFixed(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
		s, _ := newService(db, c)
		u, _ := s.AddUser(ctx, auth.System("cli"), "qian", "correct horse battery", auth.Clerk, "")
		old, _, _ := s.Login(ctx, "qian", "correct horse battery", "", "10.0.0.1")
		otp, err := s.ResetPassword(ctx, auth.System("user:admin"), u.ID)
		if err != nil || len(otp) != 19 {
			t.Fatalf("reset: %q %v", otp, err)
		}
		if _, err := s.Authenticate(ctx, old); !problem.Is(err, problem.KindUnauthorized) {
			t.Fatal("the reset left a token alive")
		}
		tok, _, err := s.Login(ctx, "qian", otp, "", "10.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		p, _ := s.Authenticate(ctx, tok)
		if !p.MustChangePassword {
			t.Fatal("not forced to change")
		}
		if err := s.ChangePassword(ctx, u.ID, otp, "my own new passphrase", "10.0.0.1"); err != nil {
			t.Fatal(err)
		}
		tok, _, _ = s.Login(ctx, "qian", "my own new passphrase", "", "10.0.0.1")
		if p, _ := s.Authenticate(ctx, tok); p.MustChangePassword {
			t.Fatal("still forced after the change")
		}
		if _, err := s.ResetPassword(ctx, auth.System("user:admin"), 9999); !problem.Is(err, problem.KindNotFound) {
			t.Fatalf("unknown user: %v", err)
		}
	})
}

// TestTOTPCodeAcceptedOnce: a code signs in once; the same code again is
// refused, on this instance and on another sharing the database.
func TestTOTPCodeAcceptedOnce(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := clock.NewFixed(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
		s, _ := newService(db, c)
		other, _ := newService(db, c) // a second instance
		s.AddUser(ctx, auth.System("cli"), "zhao", "correct horse battery", auth.Leader, "")
		uri, _ := s.EnrolTOTP(ctx, auth.System("cli"), "zhao")
		u, _ := url.Parse(uri)
		secret := u.Query().Get("secret")
		code, _ := totp.GenerateCode(secret, c.Now())
		if _, _, err := s.Login(ctx, "zhao", "correct horse battery", code, "10.0.0.1"); err != nil {
			t.Fatal(err)
		}
		for _, svc := range []*auth.Service{s, other} {
			if _, _, err := svc.Login(ctx, "zhao", "correct horse battery", code, "10.0.0.1"); !problem.Is(err, problem.KindUnauthorized) {
				t.Fatalf("replayed code: %v", err)
			}
		}
		// The code of the previous step (within the allowed skew) is older
		// than the one used: refused too.
		prev, _ := totp.GenerateCode(secret, c.Now().Add(-30*time.Second))
		if _, _, err := other.Login(ctx, "zhao", "correct horse battery", prev, "10.0.0.1"); !problem.Is(err, problem.KindUnauthorized) {
			t.Fatalf("older code: %v", err)
		}
		c.Advance(30 * time.Second)
		next, _ := totp.GenerateCode(secret, c.Now())
		if _, _, err := other.Login(ctx, "zhao", "correct horse battery", next, "10.0.0.1"); err != nil {
			t.Fatalf("the next code: %v", err)
		}
	})
}

// TestLastAdminKept: the last active admin can be neither demoted nor
// disabled; with a second admin either may go.
func TestLastAdminKept(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, _ := newService(db, clock.NewFixed(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)))
		a1, _ := s.AddUser(ctx, auth.System("cli"), "admin1", "correct horse battery", auth.Admin, "")
		clerk, _ := s.AddUser(ctx, auth.System("cli"), "clerk1", "correct horse battery", auth.Clerk, "")
		role, yes := auth.Clerk, true
		wantCode(t, s.UpdateUser(ctx, auth.System("user:admin1"), a1.ID, &role, nil, nil), problem.KindConflict, "last_admin")
		wantCode(t, s.UpdateUser(ctx, auth.System("user:admin1"), a1.ID, nil, nil, &yes), problem.KindConflict, "last_admin")
		if err := s.UpdateUser(ctx, auth.System("user:admin1"), clerk.ID, nil, nil, &yes); err != nil {
			t.Fatalf("disabling a clerk: %v", err)
		}
		a2, _ := s.AddUser(ctx, auth.System("cli"), "admin2", "correct horse battery", auth.Admin, "")
		if err := s.UpdateUser(ctx, auth.System("user:admin2"), a1.ID, &role, nil, nil); err != nil {
			t.Fatalf("demoting one of two admins: %v", err)
		}
		wantCode(t, s.UpdateUser(ctx, auth.System("user:admin2"), a2.ID, nil, nil, &yes), problem.KindConflict, "last_admin")
		us, _ := s.ListUsers(ctx)
		for _, u := range us {
			if u.Username == "admin2" && (u.Role != auth.Admin || u.Disabled) {
				t.Fatalf("the refused change was applied: %+v", u)
			}
		}
	})
}

func TestDisplayNames(t *testing.T) {
	for _, tc := range []struct {
		in, want, code string
	}{
		{"张丽", "张丽", ""},
		{"  张丽\u3000", "张丽", ""},
		{"", "", ""},
		{"Zhang Li", "Zhang Li", ""},
		{strings.Repeat("长", 40), strings.Repeat("长", 40), ""},
		{strings.Repeat("长", 41), "", "display_name_too_long"},
		{"张\n丽", "", "invalid_display_name"},
		{"\xff", "", "invalid_display_name"},
	} {
		got, err := auth.CheckDisplayName(tc.in)
		if tc.code != "" {
			wantCode(t, err, problem.KindInvalid, tc.code)
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("CheckDisplayName(%q) = %q, %v", tc.in, got, err)
		}
	}
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, _ := newService(db, clock.NewFixed(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)))
		u, err := s.Add(ctx, auth.System("cli"), auth.NewUser{Username: "zhang", Password: "correct horse battery", Role: auth.Clerk, DisplayName: "张丽"})
		if err != nil || u.DisplayName != "张丽" {
			t.Fatalf("add: %+v %v", u, err)
		}
		if _, err := s.Add(ctx, auth.System("cli"), auth.NewUser{Username: "li", Password: "correct horse battery", Role: auth.Clerk, DisplayName: strings.Repeat("长", 41)}); err == nil {
			t.Fatal("a 41-character display name was taken")
		}
		if err := s.SetDisplayName(ctx, auth.System("cli"), u.ID, "张丽华"); err != nil {
			t.Fatal(err)
		}
		wantCode(t, s.SetDisplayName(ctx, auth.System("cli"), 999, "x"), problem.KindNotFound, "unknown_user")
		us, _ := s.ListUsers(ctx)
		if len(us) != 1 || us[0].DisplayName != "张丽华" {
			t.Fatalf("users: %+v", us)
		}
		// The session carries the display name (no second look-up); an
		// account without one is named by its username.
		tok, _, err := s.Login(ctx, "zhang", "correct horse battery", "", "127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		if p, err := s.Authenticate(ctx, tok); err != nil || p.DisplayName != "张丽华" || p.Name() != "张丽华" || p.Username != "zhang" {
			t.Errorf("principal: %+v %v", p, err)
		}
		if err := s.SetDisplayName(ctx, auth.System("cli"), u.ID, ""); err != nil {
			t.Fatal(err)
		}
		if p, err := s.Authenticate(ctx, tok); err != nil || p.DisplayName != "" || p.Name() != "zhang" {
			t.Errorf("principal without a display name: %+v %v", p, err)
		}
	})
}
