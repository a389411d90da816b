package audit

import (
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"math/bits"
	"strings"

	"mashang/internal/store"

	"golang.org/x/mod/sumdb/tlog"
)

// The Merkle tree (RFC 6962 hashing, as golang.org/x/mod/sumdb/tlog computes
// it) has one leaf per entry: leaf n (0-based) is entry n+1, and its record
// data is the entry's 32-byte chain hash, so a leaf holds a hash and nothing
// else. The tree's stored hashes (tlog's stored hash indexes: each leaf's own
// hash and the hash of every complete subtree that ends with it, two per
// entry on average) are kept with their entry in audit_log.tree, so a proof
// reads O(log n) rows and never the whole log. audit_head.tree holds the
// hashes of the complete subtrees that make up the whole tree (at most one
// per bit of its size), which is all an append needs: appending costs no
// statement beyond those of the chain.

// leafOf returns the record hash of the entry whose chain hash is hexHash.
func leafOf(hexHash string) (tlog.Hash, error) {
	b, err := hex.DecodeString(hexHash)
	if err != nil || len(b) != tlog.HashSize {
		return tlog.Hash{}, fmt.Errorf("audit: entry hash %q is not 32 hexadecimal bytes", hexHash)
	}
	return tlog.RecordHash(b), nil
}

// frontier is the list of complete subtrees that make up a tree of size n:
// one hash for each set bit of n, the largest subtree first.
type frontier struct {
	n      int64
	hashes []tlog.Hash
}

// parseFrontier reads audit_head.tree (the hashes, 32 bytes each, largest
// subtree first) for a tree of size n.
func parseFrontier(n int64, b []byte) (frontier, error) {
	want := bits.OnesCount64(uint64(n))
	if len(b) != want*tlog.HashSize {
		return frontier{}, fmt.Errorf("audit: the head holds %d bytes of tree hashes, a tree of %d entries needs %d hashes", len(b), n, want)
	}
	f := frontier{n: n, hashes: make([]tlog.Hash, want)}
	for i := range f.hashes {
		copy(f.hashes[i][:], b[i*tlog.HashSize:])
	}
	return f, nil
}

// bytes renders the frontier as audit_head.tree holds it.
func (f frontier) bytes() []byte { return joinHashes(f.hashes) }

// indexes returns the stored hash index of each frontier hash.
func (f frontier) indexes() []int64 {
	out := make([]int64, 0, len(f.hashes))
	var start int64
	for l := 62; l >= 0; l-- {
		if f.n&(1<<l) != 0 {
			out = append(out, tlog.StoredHashIndex(l, start>>l))
			start += 1 << l
		}
	}
	return out
}

// ReadHashes serves the frontier's hashes to tlog (TreeHash and
// StoredHashesForRecordHash read only those).
func (f frontier) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	have := f.indexes()
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		j := -1
		for k, y := range have {
			if x == y {
				j = k
				break
			}
		}
		if j < 0 {
			return nil, fmt.Errorf("audit: tree hash %d is not on the frontier of a tree of %d", x, f.n)
		}
		out[i] = f.hashes[j]
	}
	return out, nil
}

// root is the tree hash of the whole tree.
func (f frontier) root() (tlog.Hash, error) {
	if f.n == 0 {
		return tlog.Hash{}, nil
	}
	return tlog.TreeHash(f.n, f)
}

// push appends leaf n = f.n with record hash leaf and returns the hashes to
// store with it (its own hash, then every subtree it completes).
func (f frontier) push(leaf tlog.Hash) (frontier, []tlog.Hash, error) {
	stored, err := tlog.StoredHashesForRecordHash(f.n, leaf, f)
	if err != nil {
		return f, nil, fmt.Errorf("audit: tree hashes of entry %d: %w", f.n+1, err)
	}
	// The subtrees the new leaf completes replace as many frontier entries
	// as it has trailing one bits; the largest of them joins the frontier.
	drop := bits.TrailingZeros64(^uint64(f.n))
	next := frontier{n: f.n + 1, hashes: make([]tlog.Hash, 0, len(f.hashes)+1)}
	next.hashes = append(next.hashes, f.hashes[:len(f.hashes)-drop]...)
	next.hashes = append(next.hashes, stored[len(stored)-1])
	return next, stored, nil
}

func joinHashes(hs []tlog.Hash) []byte {
	out := make([]byte, 0, len(hs)*tlog.HashSize)
	for _, h := range hs {
		out = append(out, h[:]...)
	}
	return out
}

// dbHashes reads stored tree hashes from audit_log: the hash with stored
// index i at level l over leaves k·2^l … (k+1)·2^l − 1 is kept with the last
// of those leaves, as its l-th hash.
type dbHashes struct {
	ctx context.Context
	q   interface {
		QueryContext(context.Context, string, ...any) (*sql.Rows, error)
	}
}

func (r dbHashes) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	type pos struct {
		seq   int64
		level int
	}
	want := make([]pos, len(idx))
	seqs := make([]any, 0, len(idx))
	var ph []string
	seen := map[int64]bool{}
	for i, x := range idx {
		level, k := tlog.SplitStoredHashIndex(x)
		seq := (k + 1) << level // the entry of the subtree's last leaf
		want[i] = pos{seq, level}
		if !seen[seq] {
			seen[seq] = true
			seqs = append(seqs, seq)
			ph = append(ph, fmt.Sprintf("$%d", len(seqs)))
		}
	}
	got := map[int64][]byte{}
	if len(seqs) > 0 {
		rows, err := r.q.QueryContext(r.ctx, `SELECT seq, tree FROM audit_log WHERE seq IN (`+strings.Join(ph, ",")+`)`, seqs...)
		if err != nil {
			return nil, fmt.Errorf("audit: read tree hashes: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var seq int64
			var tree []byte
			if err := rows.Scan(&seq, &tree); err != nil {
				return nil, fmt.Errorf("audit: read tree hashes: %w", err)
			}
			got[seq] = tree
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("audit: read tree hashes: %w", err)
		}
	}
	out := make([]tlog.Hash, len(idx))
	for i, p := range want {
		t := got[p.seq]
		if len(t) < (p.level+1)*tlog.HashSize {
			return nil, fmt.Errorf("audit: entry %d holds no tree hash at level %d", p.seq, p.level)
		}
		copy(out[i][:], t[p.level*tlog.HashSize:])
	}
	return out, nil
}

// ErrBeyondLog is returned for a proof that names a tree larger than the log.
var ErrBeyondLog = errors.New("audit: the log is not that large")

// Size is the number of entries in the log (the tree's size).
func Size(ctx context.Context, db *sql.DB) (int64, error) {
	var n int64
	if err := db.QueryRowContext(ctx, `SELECT seq FROM audit_head WHERE id = 1`).Scan(&n); err != nil {
		return 0, fmt.Errorf("audit: read head: %w", err)
	}
	return n, nil
}

// ConsistencyProof proves that the tree of size from is a prefix of the tree
// of size to (RFC 6962 consistency proof, as tlog.ProveTree).
func ConsistencyProof(ctx context.Context, db *sql.DB, from, to int64) (tlog.TreeProof, error) {
	n, err := Size(ctx, db)
	if err != nil {
		return nil, err
	}
	if from < 0 || to < 1 || from > to {
		return nil, fmt.Errorf("audit: a consistency proof needs 0 ≤ from ≤ to and to ≥ 1")
	}
	if to > n {
		return nil, ErrBeyondLog
	}
	if from == 0 {
		return tlog.TreeProof{}, nil
	}
	return tlog.ProveTree(to, from, dbHashes{ctx, db})
}

// InclusionProof proves that entry seq is leaf seq−1 of the tree of size
// size, and returns the leaf's record hash with the proof.
func InclusionProof(ctx context.Context, db *sql.DB, seq, size int64) (tlog.Hash, tlog.RecordProof, error) {
	n, err := Size(ctx, db)
	if err != nil {
		return tlog.Hash{}, nil, err
	}
	if seq < 1 || size < seq {
		return tlog.Hash{}, nil, fmt.Errorf("audit: an inclusion proof needs 1 ≤ seq ≤ size")
	}
	if size > n {
		return tlog.Hash{}, nil, ErrBeyondLog
	}
	r := dbHashes{ctx, db}
	leaf, err := r.ReadHashes([]int64{tlog.StoredHashIndex(0, seq-1)})
	if err != nil {
		return tlog.Hash{}, nil, err
	}
	p, err := tlog.ProveRecord(size, seq-1, r)
	if err != nil {
		return tlog.Hash{}, nil, fmt.Errorf("audit: inclusion proof: %w", err)
	}
	return leaf[0], p, nil
}

// TreeHashAt is the root of the tree of size n, computed from the stored
// hashes.
func TreeHashAt(ctx context.Context, db *sql.DB, n int64) (tlog.Hash, error) {
	size, err := Size(ctx, db)
	if err != nil {
		return tlog.Hash{}, err
	}
	if n > size {
		return tlog.Hash{}, ErrBeyondLog
	}
	if n == 0 {
		return tlog.Hash{}, nil
	}
	return tlog.TreeHash(n, dbHashes{ctx, db})
}

// Rebuild recomputes every entry's stored tree hashes and the head's from
// the entries' chain hashes. It brings a log written before the tree existed
// up to date (app.New runs it when the head holds no tree yet), in one
// transaction that holds the head's lock.
func Rebuild(ctx context.Context, tx *sql.Tx) (int64, error) {
	var n int64
	if err := tx.QueryRowContext(ctx, `UPDATE audit_head SET seq = seq WHERE id = 1 RETURNING seq`).Scan(&n); err != nil {
		return 0, fmt.Errorf("audit: lock head: %w", err)
	}
	rows, err := tx.QueryContext(ctx, `SELECT seq, hash FROM audit_log ORDER BY seq`)
	if err != nil {
		return 0, fmt.Errorf("audit: read log: %w", err)
	}
	type upd struct {
		seq  int64
		tree []byte
	}
	var ups []upd
	f := frontier{}
	for rows.Next() {
		var seq int64
		var h string
		if err := rows.Scan(&seq, &h); err != nil {
			rows.Close()
			return 0, fmt.Errorf("audit: read log: %w", err)
		}
		if seq != f.n+1 {
			rows.Close()
			return 0, &Break{Seq: f.n + 1, Reason: "entry missing: the tree cannot be rebuilt over a broken chain"}
		}
		leaf, err := leafOf(h)
		if err != nil {
			rows.Close()
			return 0, err
		}
		var stored []tlog.Hash
		if f, stored, err = f.push(leaf); err != nil {
			rows.Close()
			return 0, err
		}
		ups = append(ups, upd{seq, joinHashes(stored)})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	if f.n != n {
		return 0, &Break{Seq: f.n + 1, Reason: fmt.Sprintf("the log ends at entry %d but the head records %d", f.n, n)}
	}
	st, err := tx.PrepareContext(ctx, `UPDATE audit_log SET tree = $1 WHERE seq = $2`)
	if err != nil {
		return 0, fmt.Errorf("audit: rebuild tree: %w", err)
	}
	defer st.Close()
	for _, u := range ups {
		if _, err := st.ExecContext(ctx, u.tree, u.seq); err != nil {
			return 0, fmt.Errorf("audit: rebuild tree: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE audit_head SET tree = $1 WHERE id = 1`, f.bytes()); err != nil {
		return 0, fmt.Errorf("audit: rebuild tree: %w", err)
	}
	return n, nil
}

// NeedsRebuild reports whether the head holds no tree for a non-empty log
// (a log written before the tree existed).
func NeedsRebuild(ctx context.Context, db *sql.DB) (bool, error) {
	var n int64
	var tree []byte
	if err := db.QueryRowContext(ctx, `SELECT seq, tree FROM audit_head WHERE id = 1`).Scan(&n, &tree); err != nil {
		return false, fmt.Errorf("audit: read head: %w", err)
	}
	return n > 0 && len(tree) == 0, nil
}

// EnsureTree builds the Merkle tree of a log written before it existed (a
// database from an older version, upgraded or restored), once; it returns
// how many entries it covered (0: nothing to do). Every start of the app
// runs it after migrating.
func EnsureTree(ctx context.Context, db *store.DB) (int64, error) {
	need, err := NeedsRebuild(ctx, db.Write)
	if err != nil || !need {
		return 0, err
	}
	var n int64
	err = db.Tx(ctx, func(tx *sql.Tx) error {
		// Another instance may have built it meanwhile.
		var tree []byte
		if err := tx.QueryRowContext(ctx, `SELECT tree FROM audit_head WHERE id = 1`).Scan(&tree); err != nil {
			return fmt.Errorf("audit: read head: %w", err)
		}
		if len(tree) > 0 {
			n = 0
			return nil
		}
		var err error
		n, err = Rebuild(ctx, tx)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("audit: build the Merkle tree over the existing entries: %w", err)
	}
	return n, nil
}
