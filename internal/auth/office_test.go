package auth_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"mashang/internal/auth"
	"mashang/internal/clock"
	"mashang/internal/problem"
	"mashang/internal/store"
	"mashang/internal/store/storetest"
)

// An account belongs to an office: the one office without --office, the
// named one with it; the principal of its token carries the office, and an
// admin can move the account to another office.
func TestAccountsBelongToAnOffice(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := clock.NewFixed(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
		s, _ := newService(db, c)
		// A second office under the first (made by hand: package office
		// builds offices from units; here only the accounts matter).
		if _, err := db.Write.Exec(`INSERT INTO offices (code, name, parent_id, path, created_at, updated_at) VALUES ('MQ', '闽清县整肃办', 1, '', '', '')`); err != nil {
			t.Fatal(err)
		}
		var mqID int64
		if err := db.Read.QueryRow(`SELECT id FROM offices WHERE code = 'MQ'`).Scan(&mqID); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Write.Exec(`UPDATE offices SET path = '/1/' || CAST(id AS TEXT) || '/' WHERE id = $1`, mqID); err != nil {
			t.Fatal(err)
		}
		u, err := s.AddUser(ctx, auth.System("cli"), "chen", "correct horse battery", auth.Director, "")
		if err != nil || u.Office != "main" {
			t.Fatalf("without an office: %+v %v", u, err)
		}
		u, err = s.Add(ctx, auth.System("cli"), auth.NewUser{Username: "lin", Password: "correct horse battery", Role: auth.Director, Office: "MQ"})
		if err != nil || u.Office != "MQ" {
			t.Fatalf("with an office: %+v %v", u, err)
		}
		_, err = s.Add(ctx, auth.System("cli"), auth.NewUser{Username: "zhou", Password: "correct horse battery", Role: auth.Clerk, Office: "NOPE"})
		if pe, ok := problem.As(err); !ok || pe.Code != "unknown_office" || pe.Field != "office" {
			t.Fatalf("unknown office: %v", err)
		}
		tok, _, err := s.Login(ctx, "lin", "correct horse battery", "", "127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		p, err := s.Authenticate(ctx, tok)
		if err != nil || p.OfficeID != mqID || p.OfficeCode != "MQ" || p.OfficePath != "/1/"+strconv.FormatInt(mqID, 10)+"/" {
			t.Fatalf("principal: %+v %v", p, err)
		}
		if err := s.SetUserOffice(ctx, auth.System("admin"), p.UserID, ""); err != nil {
			t.Fatal(err)
		}
		if p, err = s.Authenticate(ctx, tok); err != nil || p.OfficeCode != "main" || p.OfficePath != "/1/" {
			t.Fatalf("moved: %+v %v", p, err)
		}
		users, err := s.ListUsers(ctx)
		if err != nil || len(users) != 2 || users[0].Office != "main" || users[1].Office != "main" {
			t.Fatalf("list: %+v %v", users, err)
		}
		if err := s.SetUserOffice(ctx, auth.System("admin"), 9999, "MQ"); !problem.Is(err, problem.KindNotFound) {
			t.Fatalf("unknown user: %v", err)
		}
	})
}
