// Package backuptest fills a database with data in every table, for the
// tests of backup, restore and retention, and compares two databases table
// by table.
package backuptest

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"mashang/internal/app"
	"mashang/internal/attach"
	"mashang/internal/audit"
	"mashang/internal/auth"
	"mashang/internal/backup"
	"mashang/internal/calendar"
	"mashang/internal/catalog"
	"mashang/internal/civil"
	"mashang/internal/demo"
	"mashang/internal/identity"
	"mashang/internal/intake"
	"mashang/internal/office"
	"mashang/internal/ratelimit"
	"mashang/internal/store"
)

// Fill puts data in every table of a's database: a small demo county
// through the services, then what the demo leaves empty (attachments, a
// token, an imported calendar year, a job lease, a notice, a rule-case link,
// a dirty statistics day, a failed sign-in, a flood counter, an office's own limits). It fails the test naming any table still empty,
// so that a table a migration adds is not left out of the backup tests: give
// it rows here.
func Fill(t testing.TB, a *app.App, now time.Time) {
	t.Helper()
	ctx := context.Background()
	if _, err := demo.Run(ctx, a, demo.Options{Cases: 120, Seed: 3, Until: civil.In(now, a.Loc)}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.Auth.Login(ctx, "director", demo.DemoPassword, "", "127.0.0.1"); err != nil {
		t.Fatalf("login: %v", err)
	}
	// A stranger's failed sign-in, and a flood counter kept in the database.
	if _, _, err := a.Auth.Login(ctx, "director", "not the password", "", "203.0.113.9"); err == nil {
		t.Fatal("a wrong password signed in")
	}
	if _, _, err := ratelimit.NewSQL(a.DB, func() time.Time { return now }).Add(ctx, "report:*", time.Minute, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Cases.ImportCalendar(ctx, auth.System("test"), []byte(`{"year": 2031, "days": [{"date": "2031-01-01", "kind": "off", "name": "元旦"}]}`)); err != nil {
		t.Fatal(err)
	}
	// A catalogue version an admin loaded (the embedded one under another name).
	doc, err := catalog.EmbeddedDocument()
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.Catalogs.Import(ctx, auth.System("test"), bytes.Replace(doc, []byte(`"fuzhou-2015.1"`), []byte(`"fill-2031.1"`), 1)); err != nil {
		t.Fatal(err)
	}
	blob, err := a.Files.Put(ctx, strings.NewReader("%PDF-1.4 收费单据 "+now.String()), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	photo, err := a.Files.PutKeepMetadata(ctx, bytes.NewReader([]byte("\xff\xd8\xff\xe0 photo of a closed window")), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Intake.Submit(ctx, intake.Submission{Channel: "web", Content: "梅溪镇窗口推诿，附收费单据", Actor: "reporter",
		Reporter: identity.Identity{Name: "张三", Phone: "13800138000"},
		Files:    []intake.File{{Blob: blob, Filename: "收费单据.pdf", Source: intake.SourceReporter}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Cases.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	// The office's own time limits (the national ones, set explicitly).
	if err := office.Set(ctx, a.Offices, auth.System("test"), 1, office.LimitsKey,
		calendar.LimitsPatch{Accept: &calendar.Limit{Days: 15, Unit: calendar.UnitCalendar}}); err != nil {
		t.Fatal(err)
	}
	nowS := store.FormatInstant(now)
	err = a.DB.Tx(ctx, func(tx *sql.Tx) error {
		for _, q := range []struct {
			sql  string
			args []any
		}{
			{`INSERT INTO inspection_attachments (visit_id, sha256, filename, content_type, size, created_at)
				SELECT MIN(id), $1, 'window.jpg', 'image/jpeg', $2, $3 FROM inspection_visits`, []any{photo.SHA256, photo.Size, nowS}},
			{`INSERT INTO notices (case_id, kind, to_role, deadline, at) SELECT id, 'overdue', 'leader', '2026-01-05', $1 FROM cases
				WHERE NOT EXISTS (SELECT 1 FROM notices) ORDER BY id LIMIT 1`, []any{nowS}},
			{`INSERT INTO notify_prefs (user_id, kind, channel) SELECT MIN(id), 'assigned', 'sms' FROM users
				WHERE NOT EXISTS (SELECT 1 FROM notify_prefs)`, nil},
			{`INSERT INTO outbox (kind, case_id, user_id, channel, dedupe, data, token, status, next_at, created_at)
				SELECT 'assigned', MIN(c.id), (SELECT MIN(id) FROM users), 'sms', 'fill', '{}', 'filltoken', 'sent', $1, $1 FROM cases c
				WHERE NOT EXISTS (SELECT 1 FROM outbox)`, []any{nowS}},
			{`INSERT INTO notice_counters (office, kind, year, seq) SELECT '', 'acceptance', 2031, 1
				WHERE NOT EXISTS (SELECT 1 FROM notice_counters)`, nil},
			{`INSERT INTO notice_numbers (event_id, case_id, office, kind, year, seq, issued_on)
				SELECT e.id, e.case_id, '', 'acceptance', 2031, 1, '2031-01-02' FROM case_events e
				WHERE NOT EXISTS (SELECT 1 FROM notice_numbers) ORDER BY e.id LIMIT 1`, nil},
			{`INSERT INTO callbacks (case_id, round, replied_on, due, created_at) SELECT MIN(id), 0, '2026-03-02', '2026-03-09', $1 FROM cases
				WHERE NOT EXISTS (SELECT 1 FROM callbacks)`, []any{nowS}},
			{`INSERT INTO rule_case_links (rule_case_id, first_case_id, second_case_id, person_id, created_at)
				SELECT (SELECT MAX(id) FROM cases), (SELECT MIN(id) FROM cases), (SELECT MIN(id) + 1 FROM cases), p.id, $1 FROM people p
				WHERE NOT EXISTS (SELECT 1 FROM rule_case_links) ORDER BY p.id LIMIT 1`, []any{nowS}},
		} {
			if _, err := tx.ExecContext(ctx, q.sql, q.args...); err != nil {
				return fmt.Errorf("%s: %w", q.sql, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Search.Index.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	// A signed checkpoint of the audit log (and the key it records).
	signer := &audit.Signer{DB: a.DB, KeyFile: a.Config.LogKeyFile, Clock: a.Clock}
	if _, _, err := signer.SignIfDue(ctx); err != nil {
		t.Fatal(err)
	}
	tables, err := a.DB.Tables(ctx, a.DB.Read)
	if err != nil {
		t.Fatal(err)
	}
	var empty []string
	for _, tb := range tables {
		if slices.Contains(attach.DBTables(), tb.Name) && !a.Config.AttachmentsInDatabase() {
			continue // attachment content kept in the directory instead
		}
		var n int
		if err := a.DB.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+tb.Name).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			empty = append(empty, tb.Name)
		}
	}
	if len(empty) > 0 {
		t.Fatalf("tables with no rows in the fixture: %v; give them rows in backuptest.Fill so that backup, restore and upgrades are tested on them", empty)
	}
}

// Snapshot reads every table of db a backup carries as rows (backup.Tables:
// not the attachment content, which Files compares) as comparable text:
// per table, its rows in key order, each as JSON of the portable values
// (booleans as booleans, blobs as bytes), so that the same data on SQLite
// and PostgreSQL compares equal.
func Snapshot(t testing.TB, db *store.DB) map[string][]string {
	t.Helper()
	ctx := context.Background()
	tables, err := backup.Tables(ctx, db, db.Read)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, tb := range tables {
		out[tb.Name] = Rows(t, db, tb)
	}
	return out
}

// Rows reads one table as Snapshot does.
func Rows(t testing.TB, db *store.DB, tb store.Table) []string {
	t.Helper()
	cols := make([]string, len(tb.Columns))
	for i, c := range tb.Columns {
		cols[i] = c.Name
	}
	q := `SELECT ` + strings.Join(cols, ", ") + ` FROM ` + tb.Name
	if len(tb.Key) > 0 {
		q += ` ORDER BY ` + strings.Join(tb.Key, ", ")
	} else {
		q += ` ORDER BY ` + strings.Join(cols, ", ")
	}
	rows, err := db.Read.QueryContext(context.Background(), q)
	if err != nil {
		t.Fatalf("%s: %v", tb.Name, err)
	}
	defer rows.Close()
	var out []string
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		norm := make([]any, len(vals))
		for i, v := range vals {
			switch x := v.(type) {
			case []byte:
				if tb.Columns[i].Kind == store.KindText {
					norm[i] = string(x)
				} else {
					norm[i] = x
				}
			case int64:
				if tb.Columns[i].Kind == store.KindBool {
					norm[i] = x != 0
				} else {
					norm[i] = x
				}
			case time.Time:
				norm[i] = store.FormatInstant(x)
			default:
				norm[i] = x
			}
		}
		b, _ := json.Marshal(norm)
		out = append(out, string(b))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// Files reads every attachment the records of db reference, by digest,
// from files ("" for one that is not there).
func Files(t testing.TB, db *store.DB, files *attach.Store) map[string]string {
	t.Helper()
	ctx := context.Background()
	rows, err := db.Read.QueryContext(ctx, `SELECT sha256 FROM attachments UNION SELECT sha256 FROM inspection_attachments`)
	if err != nil {
		t.Fatal(err)
	}
	var shas []string
	for rows.Next() {
		var s string
		rows.Scan(&s)
		shas = append(shas, s)
	}
	rows.Close()
	out := map[string]string{}
	for _, sha := range shas {
		f, err := files.Open(ctx, sha)
		if err != nil {
			out[sha] = ""
			continue
		}
		b, err := io.ReadAll(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		out[sha] = string(b)
	}
	return out
}

// Token signs in as director (the demo's password) for API comparisons.
func Token(t testing.TB, a *app.App) string {
	t.Helper()
	tok, _, err := a.Auth.Login(context.Background(), "director", demo.DemoPassword, "", "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	return tok
}
