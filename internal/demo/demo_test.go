package demo_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"mashang/internal/civil"
	"mashang/internal/demo"
	"mashang/internal/web/webtest"
)

// contentHash hashes what a seed decides: every case's visible fields and
// messages, in id order (ids relative to the first), and the decisions,
// appeals, rule cases, inspections and publications recorded after them. The
// receipts of cases the services open (rule and inspection cases) are drawn
// from crypto/rand and left out.
func contentHash(t *testing.T, db *sql.DB) string {
	t.Helper()
	h := sha256.New()
	rows, err := db.Query(`SELECT c.id - (SELECT MIN(id) FROM cases), CASE WHEN c.created_by = 'cli:demo' THEN c.receipt ELSE '' END, c.channel, c.state, c.received_at, c.content, c.situation,
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
	// What the services recorded after the cases (ids relative to the first case).
	for _, q := range []string{
		`SELECT d.case_id - (SELECT MIN(id) FROM cases), d.person_id, d.situation, d.sanctions, d.decided_on, d.probation_years,
			d.rule_set, d.note, d.status FROM decisions d ORDER BY d.id`,
		`SELECT a.decision_id, a.filed_on, a.reason, a.decide_by, a.outcome, COALESCE(a.outcome_on, '') FROM appeals a ORDER BY a.id`,
		`SELECT first_case_id - (SELECT MIN(id) FROM cases), second_case_id - (SELECT MIN(id) FROM cases), person_id FROM rule_case_links ORDER BY rule_case_id`,
		`SELECT title, covert, units, from_on, to_on, state FROM inspections ORDER BY id`,
		`SELECT at, place, answers, notes FROM inspection_visits ORDER BY id`,
		`SELECT text, situation, COALESCE(person_id, 0), COALESCE(case_id, 0) - (SELECT MIN(id) FROM cases) FROM inspection_findings ORDER BY id`,
		`SELECT kind, COALESCE(case_id, 0) - (SELECT MIN(id) FROM cases), title, body, state FROM publications ORDER BY id`,
	} {
		rows, err := db.Query(q)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			ptrs := make([]any, len(cols))
			for i := range ptrs {
				ptrs[i] = new(sql.NullString)
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for _, p := range ptrs {
				fmt.Fprintf(h, "%s\x00", p.(*sql.NullString).String)
			}
		}
		rows.Close()
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

// mashang demo --city, small: 福州市 with its city office and three
// counties, each office with its staff and cases, and one case sent up to
// the city (from Minqing, its history naming both offices).
func TestDemoCity(t *testing.T) {
	h := webtest.New(t, "")
	res, err := demo.Run(context.Background(), h.App, demo.Options{Cases: 300, Seed: 3, Until: civil.MustParse("2026-03-01"), City: true, NoIndex: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Cases != 300 {
		t.Fatalf("result %+v", res)
	}
	db := h.App.DB.Read
	count := func(q string, args ...any) int {
		t.Helper()
		var n int
		if err := db.QueryRow(q, args...).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	for _, o := range []struct{ code, name, unit string }{{"main", "福州市整肃办", "FZ"}, {"MQ", "闽清县整肃办", "MQ"}, {"YT", "永泰县整肃办", "YT"}, {"LJ", "连江县整肃办", "LJ"}} {
		var name, unit string
		if err := db.QueryRow(`SELECT o.name, u.code FROM offices o JOIN units u ON u.id = o.unit_id WHERE o.code = $1`, o.code).Scan(&name, &unit); err != nil {
			t.Fatalf("office %s: %v", o.code, err)
		}
		if name != o.name || unit != o.unit {
			t.Errorf("office %s: %s over %s", o.code, name, unit)
		}
		if n := count(`SELECT COUNT(*) FROM cases c JOIN offices o ON o.id = c.office_id WHERE o.code = $1`, o.code); n == 0 {
			t.Errorf("office %s has no cases", o.code)
		}
		if o.code != "main" {
			if n := count(`SELECT COUNT(*) FROM users u JOIN offices o ON o.id = u.office_id WHERE o.code = $1 AND u.role IN ('director', 'clerk', 'handler')`, o.code); n < 3 {
				t.Errorf("office %s has %d staff", o.code, n)
			}
		}
	}
	// Each case is its unit's office's, but the one sent up.
	if n := count(`SELECT COUNT(*) FROM cases c JOIN units u ON u.id = c.unit_id JOIN offices o ON o.id = c.office_id
		WHERE o.code <> 'main' AND u.path NOT LIKE (SELECT ou.path FROM units ou WHERE ou.id = o.unit_id) || '%'`); n != 0 {
		t.Errorf("%d county cases outside their county", n)
	}
	// Handlers are assigned within their office.
	if n := count(`SELECT COUNT(*) FROM cases c JOIN users u ON u.id = c.assignee_id WHERE u.office_id <> c.office_id`); n != 0 {
		t.Errorf("%d cases assigned to another office's handler", n)
	}
	var data string
	if err := db.QueryRow(`SELECT e.data FROM case_events e JOIN cases c ON c.id = e.case_id JOIN offices o ON o.id = c.office_id
		WHERE e.action = 'transfer' AND e.public = FALSE AND o.code = 'main'`).Scan(&data); err != nil {
		t.Fatalf("the case sent up: %v", err)
	}
	for _, want := range []string{`"from_office":"MQ"`, `"office":"main"`, `"direction":"up"`} {
		if !strings.Contains(data, want) {
			t.Errorf("the case sent up: %s lacks %s", data, want)
		}
	}
}
