package audit_test

import (
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"mashang/internal/audit"
	"mashang/internal/audit/audittest"
	"mashang/internal/clock"
	"mashang/internal/store"
	"mashang/internal/store/storetest"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// leaves computes the tree independently of the package: each leaf is the
// record hash of the entry's 32-byte chain hash, read back from the table.
type leaves []tlog.Hash

func (l leaves) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	// A full in-memory store of every stored hash, built with tlog alone.
	all := map[int64]tlog.Hash{}
	var r tlog.HashReaderFunc = func(ix []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(ix))
		for i, x := range ix {
			h, ok := all[x]
			if !ok {
				return nil, fmt.Errorf("no hash %d", x)
			}
			out[i] = h
		}
		return out, nil
	}
	for n, h := range l {
		hs, err := tlog.StoredHashesForRecordHash(int64(n), h, r)
		if err != nil {
			return nil, err
		}
		for i, x := range hs {
			all[tlog.StoredHashIndex(0, int64(n))+int64(i)] = x
		}
	}
	return r(idx)
}

func readLeaves(t *testing.T, db *store.DB) leaves {
	t.Helper()
	rows, err := db.Read.Query(`SELECT hash FROM audit_log ORDER BY seq`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out leaves
	for rows.Next() {
		var h string
		rows.Scan(&h)
		b, _ := hex.DecodeString(h)
		out = append(out, tlog.RecordHash(b))
	}
	return out
}

// The tree the log keeps, and the proofs it serves, agree with tlog's own
// computation over the entries at every size, on both engines.
func TestTreeAndProofs(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		appendN(t, db, 37)
		ls := readLeaves(t, db)
		if len(ls) != 37 {
			t.Fatalf("%d leaves", len(ls))
		}
		roots := map[int64]tlog.Hash{}
		for n := int64(1); n <= 37; n++ {
			want, err := tlog.TreeHash(n, ls)
			if err != nil {
				t.Fatal(err)
			}
			roots[n] = want
			got, err := audit.TreeHashAt(ctx, db.Read, n)
			if err != nil || got != want {
				t.Fatalf("root at %d: %v %v, want %v", n, got, err, want)
			}
		}
		for _, p := range [][2]int64{{1, 37}, {5, 8}, {8, 9}, {13, 37}, {36, 37}, {37, 37}, {16, 32}} {
			proof, err := audit.ConsistencyProof(ctx, db.Read, p[0], p[1])
			if err != nil {
				t.Fatal(err)
			}
			if err := tlog.CheckTree(proof, p[1], roots[p[1]], p[0], roots[p[0]]); err != nil {
				t.Fatalf("consistency %v: %v", p, err)
			}
			// A proof against another tree's root fails.
			if p[0] != p[1] {
				if err := tlog.CheckTree(proof, p[1], roots[p[1]], p[0], roots[p[0]+1]); err == nil {
					t.Fatalf("consistency %v accepted a wrong old root", p)
				}
			}
		}
		for _, p := range [][2]int64{{1, 1}, {1, 37}, {20, 37}, {37, 37}, {8, 16}} {
			leaf, proof, err := audit.InclusionProof(ctx, db.Read, p[0], p[1])
			if err != nil {
				t.Fatal(err)
			}
			if leaf != ls[p[0]-1] {
				t.Fatalf("leaf %d", p[0])
			}
			if err := tlog.CheckRecord(proof, p[1], roots[p[1]], p[0]-1, leaf); err != nil {
				t.Fatalf("inclusion %v: %v", p, err)
			}
		}
		if _, err := audit.ConsistencyProof(ctx, db.Read, 3, 38); !errors.Is(err, audit.ErrBeyondLog) {
			t.Fatalf("proof beyond the log: %v", err)
		}
		if _, _, err := audit.InclusionProof(ctx, db.Read, 3, 38); !errors.Is(err, audit.ErrBeyondLog) {
			t.Fatalf("inclusion beyond the log: %v", err)
		}
		if _, err := audit.ConsistencyProof(ctx, db.Read, 9, 3); err == nil || errors.Is(err, audit.ErrBeyondLog) {
			t.Fatalf("from > to: %v", err)
		}

		// A log from before the tree: no tree hashes anywhere. Rebuild gives
		// back exactly what appending had stored.
		var before string
		db.Read.QueryRow(`SELECT tree FROM audit_head`).Scan(&before)
		if _, err := db.Write.Exec(`UPDATE audit_log SET tree = NULL`); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Write.Exec(`UPDATE audit_head SET tree = NULL`); err != nil {
			t.Fatal(err)
		}
		if need, err := audit.NeedsRebuild(ctx, db.Read); err != nil || !need {
			t.Fatalf("needs rebuild: %v %v", need, err)
		}
		if _, err := audit.Verify(ctx, db.Read); !audit.IsBreak(err) {
			t.Fatalf("verify without tree hashes: %v", err)
		}
		if err := db.Tx(ctx, func(tx *sql.Tx) error { _, err := audit.Rebuild(ctx, tx); return err }); err != nil {
			t.Fatal(err)
		}
		var after string
		db.Read.QueryRow(`SELECT tree FROM audit_head`).Scan(&after)
		if after != before {
			t.Fatal("rebuilt head differs")
		}
		if n, err := audit.Verify(ctx, db.Read); err != nil || n != 37 {
			t.Fatalf("verify after rebuild: %d %v", n, err)
		}
		appendN(t, db, 1)
		if got, _ := audit.TreeHashAt(ctx, db.Read, 37); got != roots[37] {
			t.Fatal("the tree of 37 changed when the log grew")
		}
	})
}

func newKey(t *testing.T, dir string) (*audit.Key, string) {
	t.Helper()
	path := filepath.Join(dir, "keys", "log.key")
	k, created, err := audit.OpenKey(path, "example.gov.cn/log")
	if err != nil || !created {
		t.Fatalf("key: %v %v", created, err)
	}
	return k, path
}

// A checkpoint verifies with Go's note.Open and the verifier key alone, and
// says the tree's size and root.
func TestCheckpointIsASignedNote(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		k, path := newKey(t, t.TempDir())
		if _, err := audit.Latest(ctx, db.Read); !errors.Is(err, audit.ErrNoCheckpoint) {
			t.Fatalf("no checkpoint yet: %v", err)
		}
		appendN(t, db, 5)
		at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
		cp, err := audit.Sign(ctx, db, k, at, nil)
		if err != nil {
			t.Fatal(err)
		}
		v, err := note.NewVerifier(k.Verifier)
		if err != nil {
			t.Fatal(err)
		}
		n, err := note.Open([]byte(cp.Note), note.VerifierList(v))
		if err != nil {
			t.Fatal(err)
		}
		root, _ := audit.TreeHashAt(ctx, db.Read, 5)
		want := "example.gov.cn/log\n5\n" + root.String() + "\ntime 2026-03-01T09:00:00Z\n"
		if n.Text != want {
			t.Fatalf("checkpoint text %q, want %q", n.Text, want)
		}
		if !strings.HasPrefix(k.Verifier, "example.gov.cn/log+") {
			t.Fatalf("verifier %q", k.Verifier)
		}
		latest, err := audit.Latest(ctx, db.Read)
		if err != nil || latest.Note != cp.Note || latest.Size != 5 || latest.Root != root {
			t.Fatalf("latest %+v %v", latest, err)
		}
		// Another key's verifier refuses it.
		other, _, _ := audit.NewKey("example.gov.cn/log")
		ok, _ := audit.ParseKey(other)
		if _, err := note.Open([]byte(cp.Note), note.VerifierList(ok.NoteVerifier())); err == nil {
			t.Fatal("another key accepted the checkpoint")
		}
		// The key file is private and reads back as the same key.
		k2, err := audit.ReadKeyFile(path)
		if err != nil || k2.Verifier != k.Verifier {
			t.Fatalf("reread %v", err)
		}
	})
}

// The signer signs within its poll of a change, once for all changes
// meanwhile, hourly when nothing changes, and only while it holds the lease.
func TestSignerSchedule(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		_, path := newKey(t, t.TempDir())
		c := clock.NewFixed(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
		s := &audit.Signer{DB: db, KeyFile: path, Clock: c, Log: storetest.Quiet()}
		appendN(t, db, 3)
		cp, ok, err := s.SignIfDue(ctx)
		// The first checkpoint covers the entry that records the key too.
		if err != nil || !ok || cp.Size != 4 {
			t.Fatalf("first: %+v %v %v", cp, ok, err)
		}
		c.Advance(2 * time.Second)
		if _, ok, _ := s.SignIfDue(ctx); ok {
			t.Fatal("signed again with nothing new")
		}
		appendN(t, db, 4) // several changes, one checkpoint
		cp, ok, err = s.SignIfDue(ctx)
		if err != nil || !ok || cp.Size != 8 {
			t.Fatalf("after changes: %+v %v %v", cp, ok, err)
		}
		c.Advance(59 * time.Minute)
		if _, ok, _ := s.SignIfDue(ctx); ok {
			t.Fatal("signed before the hour")
		}
		c.Advance(time.Minute)
		cp, ok, err = s.SignIfDue(ctx)
		if err != nil || !ok || cp.Size != 8 {
			t.Fatalf("hourly: %+v %v %v", cp, ok, err)
		}
		// Another instance holds the lease: this one does not sign.
		appendN(t, db, 1)
		if ok, err := db.AcquireLease(ctx, audit.CheckpointJob, "other-instance", c.Now(), time.Minute); err != nil || !ok {
			t.Fatal(ok, err)
		}
		if _, ok, err := s.SignIfDue(ctx); ok || err != nil {
			t.Fatalf("signed while another instance held the lease: %v", err)
		}
		c.Advance(2 * time.Minute) // the other instance died; its lease expires
		if cp, ok, err := s.SignIfDue(ctx); !ok || err != nil || cp.Size != 9 {
			t.Fatalf("after the lease expired: %+v %v %v", cp, ok, err)
		}
		list, err := audit.Checkpoints(ctx, db.Read, 0, 10)
		if err != nil || len(list) != 4 || list[0].Size != 9 || list[3].Size != 4 {
			t.Fatalf("history %v %v", list, err)
		}
		// Run stops when its context ends.
		rc, stop := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { s.Run(rc); close(done) }()
		stop()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("Run did not stop")
		}
	})
}

// A rewritten or truncated log whose hashes were all recomputed passes the
// chain alone, but not a checkpoint kept elsewhere, nor the stored ones.
func TestCheckAgainstCheckpoints(t *testing.T) {
	tamper := []struct {
		name string
		sql  string
		want string
	}{
		{"truncated", `DELETE FROM audit_log WHERE seq > 6`, "covers 10 entries but the log holds only 9"},
		{"entry dropped", `DELETE FROM audit_log WHERE seq = 3`, "rewritten"},
		{"actor changed", `UPDATE audit_log SET actor = 'user:leader' WHERE seq = 9`, "rewritten"},
		{"entry added in the middle", `UPDATE audit_log SET seq = seq + 100 WHERE seq >= 5`, "rewritten"},
	}
	for _, tc := range tamper {
		t.Run(tc.name, func(t *testing.T) {
			storetest.Engines(t, func(t *testing.T, db *store.DB) {
				ctx := context.Background()
				k, _ := newKey(t, t.TempDir())
				if _, err := audit.RecordKey(ctx, db, k, time.Date(2026, 3, 1, 7, 0, 0, 0, time.UTC), "system"); err != nil {
					t.Fatal(err)
				}
				appendN(t, db, 9)
				kept, err := audit.Sign(ctx, db, k, time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC), nil)
				if err != nil {
					t.Fatal(err)
				}
				opts := audit.CheckOptions{Keys: []string{k.Verifier}, External: []byte(kept.Note)}
				if rep, err := audit.Check(ctx, db.Read, opts); err != nil || rep.Entries != 10 || rep.Checkpoints != 1 || rep.ExternalSize != 10 {
					t.Fatalf("intact: %+v %v", rep, err)
				}
				if _, err := db.Write.Exec(tc.sql); err != nil {
					t.Fatal(err)
				}
				if tc.name == "entry added in the middle" {
					if err := db.Tx(ctx, func(tx *sql.Tx) error {
						_, err := tx.Exec(`INSERT INTO audit_log (seq, at, actor, action, subject, data, prev_hash, hash) VALUES (5, '2026-03-01T08:03:30.000000Z', 'user:clerk', 'case.accept', 'case:99', '{}', '', '')`)
						return err
					}); err != nil {
						t.Fatal(err)
					}
				}
				audittest.Rewrite(t, db)
				appendN(t, db, 3) // and the office goes on working
				// The stored checkpoint still catches it …
				if _, err := audit.Check(ctx, db.Read, audit.CheckOptions{Keys: []string{k.Verifier}}); err == nil {
					t.Fatal("the stored checkpoint did not catch the rewrite")
				}
				// … and with the stored checkpoints deleted too, the one kept elsewhere does.
				if _, err := db.Write.Exec(`DELETE FROM audit_checkpoints`); err != nil {
					t.Fatal(err)
				}
				if _, err := audit.Check(ctx, db.Read, audit.CheckOptions{Keys: []string{k.Verifier}}); err != nil {
					t.Fatalf("without any checkpoint the rewrite is invisible to the log alone: %v", err)
				}
				_, err = audit.Check(ctx, db.Read, opts)
				var m *audit.Mismatch
				if !errors.As(err, &m) || !strings.Contains(m.What, tc.want) {
					t.Fatalf("want a mismatch containing %q, got %v", tc.want, err)
				}
			})
		})
	}
}

// A checkpoint signed by another key, or altered, is refused.
func TestCheckRefusesForeignCheckpoints(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		k, _ := newKey(t, t.TempDir())
		appendN(t, db, 3)
		cp, _ := audit.Sign(ctx, db, k, time.Now(), nil)
		_, other, _ := audit.NewKey("example.gov.cn/log")
		forged, _ := audit.Sign(ctx, db, other, time.Now(), nil)
		_, err := audit.Check(ctx, db.Read, audit.CheckOptions{Keys: []string{k.Verifier}})
		var m *audit.Mismatch
		if !errors.As(err, &m) || !strings.Contains(m.What, fmt.Sprintf("stored checkpoint %d", forged.ID)) {
			t.Fatalf("a stored checkpoint by an unknown key: %v", err)
		}
		db.Write.Exec(`DELETE FROM audit_checkpoints WHERE id = $1`, forged.ID)
		altered := strings.Replace(cp.Note, "\n3\n", "\n2\n", 1)
		if _, err := audit.Check(ctx, db.Read, audit.CheckOptions{Keys: []string{k.Verifier}, External: []byte(altered)}); !errors.As(err, &m) {
			t.Fatalf("an altered external checkpoint: %v", err)
		}
		if _, err := audit.Check(ctx, db.Read, audit.CheckOptions{Keys: []string{k.Verifier}, External: []byte(cp.Note)}); err != nil {
			t.Fatal(err)
		}
		// Someone with the key and the database rewrites the log and signs
		// it again at the same size: the two stored checkpoints are a fork.
		db.Write.Exec(`UPDATE audit_log SET actor = 'user:someone' WHERE seq = 2`)
		audittest.Rewrite(t, db)
		again, err := audit.Sign(ctx, db, k, time.Now(), nil)
		if err != nil {
			t.Fatal(err)
		}
		_, err = audit.Check(ctx, db.Read, audit.CheckOptions{Keys: []string{k.Verifier}})
		if !errors.As(err, &m) || !strings.Contains(m.What, fmt.Sprintf("stored checkpoints %d and %d sign different trees of 3 entries", cp.ID, again.ID)) {
			t.Fatalf("a fork in the stored checkpoints: %v", err)
		}
	})
}
