// Package audittest rewrites the audit log in tests as someone with write
// access to the database would, to hide an edit: every entry's hash is
// recomputed from its fields (the chain's canonical form is public: a JSON
// array of the fields), the head moved, and the Merkle tree rebuilt. What
// such a rewrite cannot forge is a checkpoint signed before it.
package audittest

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"testing"

	"mashang/internal/audit"
	"mashang/internal/store"
)

// Rewrite renumbers the entries 1…n in their order, recomputes every hash
// and the tree, and checks that the chain alone now passes.
func Rewrite(t testing.TB, db *store.DB) {
	t.Helper()
	ctx := context.Background()
	rows, err := db.Write.Query(`SELECT seq, at, actor, action, subject, data FROM audit_log ORDER BY seq`)
	if err != nil {
		t.Fatal(err)
	}
	type entry struct {
		seq                              int64
		at, actor, action, subject, data string
	}
	var es []entry
	for rows.Next() {
		var x entry
		if err := rows.Scan(&x.seq, &x.at, &x.actor, &x.action, &x.subject, &x.data); err != nil {
			t.Fatal(err)
		}
		es = append(es, x)
	}
	rows.Close()
	err = db.Tx(ctx, func(tx *sql.Tx) error {
		// Out of the way first, so that renumbering never collides.
		if _, err := tx.Exec(`UPDATE audit_log SET seq = -seq`); err != nil {
			return err
		}
		prev := ""
		for i, x := range es {
			seq := int64(i + 1)
			c, err := json.Marshal([]any{seq, x.at, x.actor, x.action, x.subject, json.RawMessage(x.data), prev})
			if err != nil {
				return err
			}
			s := sha256.Sum256(c)
			h := hex.EncodeToString(s[:])
			if _, err := tx.Exec(`UPDATE audit_log SET seq = $1, prev_hash = $2, hash = $3 WHERE seq = $4`, seq, prev, h, -x.seq); err != nil {
				return err
			}
			prev = h
		}
		if _, err := tx.Exec(`UPDATE audit_head SET seq = $1, hash = $2, tree = NULL`, len(es), prev); err != nil {
			return err
		}
		_, err := audit.Rebuild(ctx, tx)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := audit.Verify(ctx, db.Read); err != nil || n != int64(len(es)) {
		t.Fatalf("the rewrite should pass the chain check: %d %v", n, err)
	}
}
