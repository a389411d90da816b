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
