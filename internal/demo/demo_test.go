package demo_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"testing"

	"mashang/internal/civil"
	"mashang/internal/demo"
	"mashang/internal/web/webtest"
)

// contentHash hashes what a seed decides: every case's visible fields and
// messages, in id order (ids relative to the first).
func contentHash(t *testing.T, db *sql.DB) string {
	t.Helper()
	h := sha256.New()
	rows, err := db.Query(`SELECT c.id - (SELECT MIN(id) FROM cases), c.receipt, c.channel, c.state, c.received_at, c.content, c.situation,
		c.identity_mask, COALESCE(c.accept_by, ''), COALESCE(c.finish_by, ''), c.finding, c.rating, c.deadline,
		COALESCE((SELECT COUNT(*) FROM messages m WHERE m.case_id = c.id), 0) FROM cases c ORDER BY c.id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var v [14]any
		ptrs := make([]any, len(v))
		for i := range v {
			var s sql.NullString
			ptrs[i] = &s
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		for _, p := range ptrs {
			fmt.Fprintf(h, "%s\x00", p.(*sql.NullString).String)
		}
		n++
	}
	rows, err = db.Query(`SELECT m.direction, m.body, m.at FROM messages m ORDER BY m.id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var a, b, c string
		if err := rows.Scan(&a, &b, &c); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(h, "%s\x00%s\x00%s\x00", a, b, c)
	}
	return fmt.Sprintf("%d:%s", n, hex.EncodeToString(h.Sum(nil)))
}

func TestSameSeedSameData(t *testing.T) {
	until := civil.MustParse("2026-03-01")
	run := func(seed int64) string {
		h := webtest.New(t, "")
		res, err := demo.Run(context.Background(), h.App, demo.Options{Cases: 800, Seed: seed, Until: until})
		if err != nil {
			t.Fatal(err)
		}
		if res.Cases != 800 || res.Units == 0 || res.People == 0 || res.Messages == 0 {
			t.Fatalf("result %+v", res)
		}
		return contentHash(t, h.App.DB.Read)
	}
	a, b, c := run(7), run(7), run(8)
	if a != b {
		t.Errorf("seed 7 twice: %s vs %s", a, b)
	}
	if a == c {
		t.Errorf("seeds 7 and 8 gave the same data")
	}
}
