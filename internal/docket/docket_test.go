package docket_test

import (
	"context"
	"database/sql"
	"errors"
	"testing"
	"time"

	"mashang/internal/civil"
	"mashang/internal/docket"
	"mashang/internal/problem"
	"mashang/internal/store"
	"mashang/internal/store/storetest"
)

// Insert registers a case with its public "registered" line; Update applies
// typed changes with the optimistic version check; Append adds history.
func TestInsertUpdateAppend(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		rec := docket.New(ctx, db)
		now := time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)
		var id int64
		err := db.Tx(ctx, func(tx *sql.Tx) error {
			var err error
			id, err = rec.Insert(ctx, tx, docket.NewCase{Receipt: "R1", KeyHash: []byte{1}, Channel: docket.Hotline, ReceivedAt: now,
				ReceivedOn: civil.MustParse("2026-03-02"), Content: "窗口推诿", Anonymous: true, AcceptBy: civil.MustParse("2026-03-17"),
				CreatedBy: "user:clerk", Now: now})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		var state, channel, acceptBy string
		var version int64
		var unit sql.NullInt64
		if err := db.Read.QueryRow(`SELECT state, channel, accept_by, version, unit_id FROM cases WHERE id = $1`, id).Scan(&state, &channel, &acceptBy, &version, &unit); err != nil {
			t.Fatal(err)
		}
		if state != "registered" || channel != "hotline" || acceptBy != "2026-03-17" || version != 1 || unit.Valid {
			t.Fatalf("inserted: %s %s %s v%d unit %v", state, channel, acceptBy, version, unit)
		}
		var action, data, actor string
		var public bool
		if err := db.Read.QueryRow(`SELECT action, data, actor, public FROM case_events WHERE case_id = $1`, id).Scan(&action, &data, &actor, &public); err != nil {
			t.Fatal(err)
		}
		if action != "registered" || !public || actor != "user:clerk" || data != `{"zh":"已登记","en":"Registered","channel":"hotline","accept_by":"2026-03-17"}` {
			t.Fatalf("registered line: %s %v %s %s", action, public, actor, data)
		}

		// A change at the right version applies and bumps it; at a stale one it is refused.
		later := now.Add(time.Hour)
		err = db.Tx(ctx, func(tx *sql.Tx) error {
			ch := new(docket.Change).State(docket.Accepted).AcceptedOn(civil.MustParse("2026-03-02"))
			if err := rec.Update(ctx, tx, id, 1, ch, later); err != nil {
				return err
			}
			return rec.Append(ctx, tx, docket.Event{Case: id, At: later, Actor: "user:director", Action: docket.Accept, Data: map[string]any{"from": docket.Registered}})
		})
		if err != nil {
			t.Fatal(err)
		}
		err = db.Tx(ctx, func(tx *sql.Tx) error {
			return rec.Update(ctx, tx, id, 1, new(docket.Change).State(docket.Refused), later)
		})
		if pe, ok := problem.As(err); !ok || pe.Code != "case_changed" {
			t.Fatalf("stale version: %v", err)
		}
		// Version 0 skips the check; ClosedAt with a zero time stores NULL.
		err = db.Tx(ctx, func(tx *sql.Tx) error {
			return rec.Update(ctx, tx, id, 0, new(docket.Change).Rating(docket.Satisfied, later).ClosedAt(time.Time{}), later)
		})
		if err != nil {
			t.Fatal(err)
		}
		var closedAt sql.NullString
		var rating, updated, acceptedOn string
		if err := db.Read.QueryRow(`SELECT state, version, rating, closed_at, updated_at, accepted_on FROM cases WHERE id = $1`, id).
			Scan(&state, &version, &rating, &closedAt, &updated, &acceptedOn); err != nil {
			t.Fatal(err)
		}
		if state != "accepted" || version != 3 || rating != "satisfied" || closedAt.Valid || updated != store.FormatInstant(later) || acceptedOn != "2026-03-02" {
			t.Fatalf("after updates: %s v%d %s %v %s %s", state, version, rating, closedAt, updated, acceptedOn)
		}
		// An unknown case: a plain error at version 0, a conflict otherwise.
		err = db.Tx(ctx, func(tx *sql.Tx) error { return rec.Update(ctx, tx, id+99, 0, new(docket.Change), later) })
		if err == nil {
			t.Fatal("update of an unknown case succeeded")
		}
		var n int
		if err := db.Read.QueryRow(`SELECT COUNT(*) FROM case_events WHERE case_id = $1`, id).Scan(&n); err != nil || n != 2 {
			t.Fatalf("%d history lines (%v)", n, err)
		}
		if errors.Is(err, sql.ErrNoRows) {
			t.Fatal(err)
		}
	})
}

// The hooks run inside the transaction of every appended line, after it is
// written: what they write commits with the change, and a hook's error
// undoes the change and the line.
func TestAppendRunsHooksInTheTransaction(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		rec := docket.New(ctx, db)
		now := time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)
		var seen []docket.Action
		refuse := errors.New("hook refuses")
		rec.OnAppend(func(ctx context.Context, tx *sql.Tx, e docket.Event) error {
			seen = append(seen, e.Action)
			var n int
			// The line is written before the hook runs, in the same transaction.
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM case_events WHERE case_id = $1 AND action = $2`, e.Case, string(e.Action)).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				return errors.New("the line is not there yet")
			}
			if e.Action == docket.Note {
				return refuse
			}
			return nil
		})
		var id int64
		err := db.Tx(ctx, func(tx *sql.Tx) error {
			var err error
			id, err = rec.Insert(ctx, tx, docket.NewCase{Receipt: "R1", KeyHash: []byte{1}, Channel: docket.Hotline, ReceivedAt: now,
				ReceivedOn: civil.MustParse("2026-03-02"), Content: "窗口推诿", AcceptBy: civil.MustParse("2026-03-17"), Notify: true, Lang: "en",
				CreatedBy: "user:clerk", Now: now})
			return err
		})
		if err != nil || len(seen) != 1 || seen[0] != docket.Register {
			t.Fatalf("insert: %v, hooks saw %v", err, seen)
		}
		var notify bool
		var lang string
		if err := db.Read.QueryRow(`SELECT notify, lang FROM cases WHERE id = $1`, id).Scan(&notify, &lang); err != nil || !notify || lang != "en" {
			t.Fatalf("notify %v lang %q: %v", notify, lang, err)
		}
		err = db.Tx(ctx, func(tx *sql.Tx) error {
			if err := rec.Update(ctx, tx, id, 0, new(docket.Change).Callback(string(docket.Unreachable), now), now); err != nil {
				return err
			}
			return rec.Append(ctx, tx, docket.Event{Case: id, At: now, Actor: "user:x", Action: docket.Note})
		})
		if !errors.Is(err, refuse) {
			t.Fatalf("a hook's error: %v", err)
		}
		var lines int
		var result string
		db.Read.QueryRow(`SELECT COUNT(*) FROM case_events WHERE case_id = $1`, id).Scan(&lines)
		db.Read.QueryRow(`SELECT callback_result FROM cases WHERE id = $1`, id).Scan(&result)
		if lines != 1 || result != "" {
			t.Fatalf("after a refusing hook: %d lines, callback result %q", lines, result)
		}
		// Erasing the identity withdraws the consent to be told.
		err = db.Tx(ctx, func(tx *sql.Tx) error {
			return rec.Update(ctx, tx, id, 0, new(docket.Change).EraseIdentity(), now)
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Read.QueryRow(`SELECT notify, lang FROM cases WHERE id = $1`, id).Scan(&notify, &lang); err != nil || notify || lang != "" {
			t.Fatalf("after erasure: notify %v lang %q: %v", notify, lang, err)
		}
	})
}
