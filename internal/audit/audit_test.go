package audit_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"testing"
	"time"

	"mashang/internal/audit"
	"mashang/internal/store"
	"mashang/internal/store/storetest"
)

func appendN(t *testing.T, db *store.DB, n int) {
	t.Helper()
	at := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	for i := 0; i < n; i++ {
		err := db.Tx(context.Background(), func(tx *sql.Tx) error {
			return audit.Append(context.Background(), tx, at.Add(time.Duration(i)*time.Minute), audit.Record{
				Actor: "user:clerk", Action: "case.accept", Subject: fmt.Sprintf("case:%d", i), Data: map[string]any{"reason": "受理", "n": i},
			})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestVerifyDetectsTampering(t *testing.T) {
	tamper := []struct {
		name string
		sql  string
		seq  int64
	}{
		{"altered", `UPDATE audit_log SET data = '{"reason":"不受理"}' WHERE seq = 3`, 3},
		{"actor changed", `UPDATE audit_log SET actor = 'user:nobody' WHERE seq = 1`, 1},
		{"removed", `DELETE FROM audit_log WHERE seq = 2`, 2},
		{"removed from end", `DELETE FROM audit_log WHERE seq = 5`, 5},
		{"inserted", `UPDATE audit_log SET seq = seq + 10 WHERE seq >= 4`, 4},
	}
	for _, tc := range tamper {
		t.Run(tc.name, func(t *testing.T) {
			storetest.Engines(t, func(t *testing.T, db *store.DB) {
				ctx := context.Background()
				appendN(t, db, 5)
				if n, err := audit.Verify(ctx, db.Read); err != nil || n != 5 {
					t.Fatalf("intact chain: %d %v", n, err)
				}
				if _, err := db.Write.Exec(tc.sql); err != nil {
					t.Fatal(err)
				}
				_, err := audit.Verify(ctx, db.Read)
				var b *audit.Break
				if !errors.As(err, &b) || b.Seq != tc.seq {
					t.Fatalf("want break at %d, got %v", tc.seq, err)
				}
			})
		})
	}
}

func TestListNewestFirst(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		appendN(t, db, 4)
		es, err := audit.List(context.Background(), db.Read, "", 0, 2)
		if err != nil || len(es) != 2 || es[0].Seq != 4 || es[1].Seq != 3 {
			t.Fatalf("%v %v", es, err)
		}
		es, _ = audit.List(context.Background(), db.Read, "case:1", 0, 10)
		if len(es) != 1 || es[0].Subject != "case:1" {
			t.Fatalf("by subject: %v", es)
		}
	})
}

// AppendMany writes exactly what the same records appended one by one
// would: the same entries, hashes and tree, mixed with single appends in
// any order; the chain verifies.
func TestAppendManyEqualsOneByOne(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		other := storetest.SQLite(t)
		at := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
		var all []audit.Change
		for i := range 40 {
			all = append(all, audit.Change{At: at.Add(time.Duration(i) * time.Second), Record: audit.Record{Actor: "reporter", Action: "case.register",
				Subject: fmt.Sprintf("case:%d", i+1), Data: map[string]any{"receipt": fmt.Sprintf("R%03d", i), "attachments": i % 3, "anonymous": i%2 == 0}}})
		}
		// Every third entry's data is prepared beforehand (audit.PrepareData,
		// as intake does), with keys out of order and characters JSON
		// escapes: the same entries, hash for hash, as from the plain value.
		grouped := make([]audit.Change, len(all))
		copy(grouped, all)
		for i := range all {
			if i%3 != 0 {
				continue
			}
			v := map[string]any{"z": "<推诿&拖延>", "receipt": fmt.Sprintf("R%03d", i), "nested": map[string]any{"b": 1, "a": []int{2, 1}}}
			all[i].Record.Data = v
			d, err := audit.PrepareData(v)
			if err != nil {
				t.Fatal(err)
			}
			grouped[i].Record.Data = d
		}
		// Groups of 1, 3, one single Append, 17, and the rest.
		groups := [][2]int{{0, 1}, {1, 4}, {4, 5}, {5, 22}, {22, 40}}
		for gi, g := range groups {
			err := db.Tx(ctx, func(tx *sql.Tx) error {
				if gi == 2 {
					return audit.Append(ctx, tx, grouped[g[0]].At, grouped[g[0]].Record)
				}
				first, err := audit.AppendMany(ctx, tx, db.Engine, grouped[g[0]:g[1]])
				if err == nil && first != int64(g[0]+1) {
					err = fmt.Errorf("first seq %d, want %d", first, g[0]+1)
				}
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		for _, c := range all {
			if err := other.Tx(ctx, func(tx *sql.Tx) error { return audit.Append(ctx, tx, c.At, c.Record) }); err != nil {
				t.Fatal(err)
			}
		}
		read := func(db *store.DB) []string {
			rows, err := db.Read.QueryContext(ctx, `SELECT seq, at, subject, data, prev_hash, hash, tree FROM audit_log ORDER BY seq`)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var out []string
			for rows.Next() {
				var seq int64
				var at, subject, data, prev, hash string
				var tree []byte
				rows.Scan(&seq, &at, &subject, &data, &prev, &hash, &tree)
				out = append(out, fmt.Sprintf("%d %s %s %s %s %s %x", seq, at, subject, data, prev, hash, tree))
			}
			return out
		}
		got, want := read(db), read(other)
		if fmt.Sprint(got) != fmt.Sprint(want) || len(got) != 40 {
			t.Fatalf("AppendMany wrote\n%v\none by one\n%v", got, want)
		}
		var h1, h2 string
		db.Read.QueryRow(`SELECT hash FROM audit_head`).Scan(&h1)
		other.Read.QueryRow(`SELECT hash FROM audit_head`).Scan(&h2)
		if n, err := audit.Verify(ctx, db.Read); err != nil || n != 40 || h1 != h2 {
			t.Fatalf("verify: %d %v; heads %s %s", n, err, h1, h2)
		}
	})
}
