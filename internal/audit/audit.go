// Package audit keeps the tamper-evident log of every change to mashang's
// data. Each entry is written in the same transaction as the change it
// records, and holds the SHA-256 of the previous entry and of its own
// canonical content, so that editing, removing or inserting any entry breaks
// the chain at that point. Verify walks the chain and names the first bad
// entry.
package audit

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"mashang/internal/store"

	"golang.org/x/mod/sumdb/tlog"
)

// Entry is one line of the log.
type Entry struct {
	Seq      int64           `json:"seq"`
	At       time.Time       `json:"at"`
	Actor    string          `json:"actor"`
	Action   string          `json:"action"`
	Subject  string          `json:"subject"`
	Data     json.RawMessage `json:"data"`
	PrevHash string          `json:"prev_hash"`
	Hash     string          `json:"hash"`
}

// Record is what a caller appends: who did what to which thing, with the
// fields given. Data must not hold reporters' identities in clear.
type Record struct {
	Actor   string // "user:wang", "reporter", "system:sweep"
	Action  string // "case.accept", "user.add", "identity.reveal", …
	Subject string // "case:42", "user:7", "calendar:2027"
	Data    any    // marshalled to canonical JSON
}

// canonical returns the exact bytes hashed for an entry.
func canonical(seq int64, at, actor, action, subject string, data []byte, prev string) []byte {
	// JSON array: unambiguous field boundaries, stable order.
	b, _ := json.Marshal([]any{seq, at, actor, action, subject, json.RawMessage(data), prev})
	return b
}

func hashOf(c []byte) string {
	s := sha256.Sum256(c)
	return hex.EncodeToString(s[:])
}

// Data is a record's data already in the form the log hashes and stores
// (compact JSON, object keys sorted), made by PrepareData. A Record whose
// Data is one is appended without marshalling it again: intake prepares
// its reports' data on their own goroutines, outside the group commit's
// one writer.
type Data []byte

// MarshalJSON returns d as it is.
func (d Data) MarshalJSON() ([]byte, error) { return d, nil }

// PrepareData returns v in the log's form: appending a Record whose Data is
// PrepareData(v) writes the same entry, hash for hash, as with v.
func PrepareData(v any) (Data, error) {
	b, err := compactJSON(v)
	return Data(b), err
}

// compactJSON normalises data so that its hash does not depend on spacing.
func compactJSON(v any) ([]byte, error) {
	if d, ok := v.(Data); ok && len(d) > 0 {
		return d, nil
	}
	if v == nil {
		return []byte("{}"), nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("audit: marshal data: %w", err)
	}
	// Round-trip through a generic value so map keys are sorted.
	var g any
	if err := json.Unmarshal(b, &g); err != nil {
		return nil, err
	}
	return json.Marshal(g)
}

// Append adds r to the log inside tx, and its leaf to the Merkle tree. The
// chain head row is updated in the same statement sequence; on PostgreSQL its
// row lock serialises concurrent appenders, on SQLite the single writer does.
// It returns the entry's sequence number (its leaf is seq−1).
func Append(ctx context.Context, tx *sql.Tx, at time.Time, r Record) error {
	_, err := AppendSeq(ctx, tx, at, r)
	return err
}

// AppendSeq is Append returning the new entry's sequence number.
func AppendSeq(ctx context.Context, tx *sql.Tx, at time.Time, r Record) (int64, error) {
	data, err := compactJSON(r.Data)
	if err != nil {
		return 0, err
	}
	var seq int64
	var prev string
	var tree []byte
	// One statement takes the head's row lock (serialising appenders on
	// PostgreSQL; SQLite has one writer), numbers this entry and reads the
	// previous entry's hash and the tree's frontier, which the last
	// statement below replaces.
	if err := tx.QueryRowContext(ctx, `UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash, tree`).Scan(&seq, &prev, &tree); err != nil {
		return 0, fmt.Errorf("audit: take the chain head: %w", err)
	}
	f, err := parseFrontier(seq-1, tree)
	if err != nil {
		return 0, fmt.Errorf("%w (run mashang audit verify)", err)
	}
	atS := store.FormatInstant(at)
	h := hashOf(canonical(seq, atS, r.Actor, r.Action, r.Subject, data, prev))
	leaf, err := leafOf(h)
	if err != nil {
		return 0, err
	}
	f, stored, err := f.push(leaf)
	if err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO audit_log (seq, at, actor, action, subject, data, prev_hash, hash, tree) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)`,
		seq, atS, r.Actor, r.Action, r.Subject, string(data), prev, h, joinHashes(stored)); err != nil {
		return 0, fmt.Errorf("audit: append: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE audit_head SET hash = $1, tree = $2 WHERE id = 1`, h, f.bytes()); err != nil {
		return 0, fmt.Errorf("audit: move head: %w", err)
	}
	return seq, nil
}

// Change is a record with the time of the change it records.
type Change struct {
	At time.Time
	Record
}

// AppendMany adds the changes to the log inside tx, in order, exactly as
// Append would one after another, in a few statements whatever their
// number: the head taken once for all of them, their entries inserted and
// the head moved once (on PostgreSQL in one statement, after which the
// transaction should commit soon: its lock on the head holds up every
// other appender until then). The group commit appends a batch of
// reports this way. It returns the first entry's sequence number.
func AppendMany(ctx context.Context, tx *sql.Tx, engine store.Engine, cs []Change) (int64, error) {
	if len(cs) == 0 {
		return 0, nil
	}
	var last int64
	var prev string
	var tree []byte
	if err := tx.QueryRowContext(ctx, `UPDATE audit_head SET seq = seq + $1 WHERE id = 1 RETURNING seq, hash, tree`, len(cs)).Scan(&last, &prev, &tree); err != nil {
		return 0, fmt.Errorf("audit: take the chain head: %w", err)
	}
	first := last - int64(len(cs)) + 1
	f, err := parseFrontier(first-1, tree)
	if err != nil {
		return 0, fmt.Errorf("%w (run mashang audit verify)", err)
	}
	// On PostgreSQL the entries and the head's move go in one statement (a
	// round trip fewer while the head's lock is held, which other instances'
	// group commits wait for); on SQLite, rows of at most maxRows per
	// statement, then the head.
	const maxRows = 500
	pg, per := engine == store.Postgres && len(cs) <= maxRows, maxRows
	if pg {
		per = len(cs) + 1 // never written by Add: sent below with the head
	}
	rows := store.NewBulk(engine, "audit_log", []string{"seq", "at", "actor", "action", "subject", "data", "prev_hash", "hash", "tree"}, per)
	for i, c := range cs {
		data, err := compactJSON(c.Data)
		if err != nil {
			return 0, err
		}
		seq := first + int64(i)
		atS := store.FormatInstant(c.At)
		h := hashOf(canonical(seq, atS, c.Actor, c.Action, c.Subject, data, prev))
		leaf, err := leafOf(h)
		if err != nil {
			return 0, err
		}
		var stored []tlog.Hash
		if f, stored, err = f.push(leaf); err != nil {
			return 0, err
		}
		if err := rows.Add(ctx, tx, seq, atS, c.Actor, c.Action, c.Subject, string(data), prev, h, joinHashes(stored)); err != nil {
			return 0, fmt.Errorf("audit: append: %w", err)
		}
		prev = h
	}
	if pg {
		q, args := rows.Statement()
		q = fmt.Sprintf("WITH entries AS (%s) UPDATE audit_head SET hash = $%d, tree = $%d WHERE id = 1", q, len(args)+1, len(args)+2)
		if _, err := tx.ExecContext(ctx, q, append(args, prev, f.bytes())...); err != nil {
			return 0, fmt.Errorf("audit: append: %w", err)
		}
		return first, nil
	}
	if err := rows.Flush(ctx, tx); err != nil {
		return 0, fmt.Errorf("audit: append: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE audit_head SET hash = $1, tree = $2 WHERE id = 1`, prev, f.bytes()); err != nil {
		return 0, fmt.Errorf("audit: move head: %w", err)
	}
	return first, nil
}

// Break describes the first place the chain fails.
type Break struct {
	Seq    int64
	Reason string
}

func (b *Break) Error() string {
	return fmt.Sprintf("audit chain broken at entry %d: %s", b.Seq, b.Reason)
}

// Verify walks the whole log in order, checking the chain and the Merkle
// tree's stored hashes. It returns the number of entries checked, and a
// *Break naming the first entry that was altered, removed or inserted. Check
// does this and everything else (checkpoints, cross-checks).
func Verify(ctx context.Context, db *sql.DB) (int64, error) {
	return walk(ctx, db, nil)
}

// walk is Verify; at calls at(n, root) each time the tree reaches one of the
// sizes in sizes (ascending), so that checkpoints are checked on the way.
func walk(ctx context.Context, db *sql.DB, at func(n int64, root tlog.Hash) error, sizes ...int64) (int64, error) {
	rows, err := db.QueryContext(ctx, `SELECT seq, at, actor, action, subject, data, prev_hash, hash, tree FROM audit_log ORDER BY seq`)
	if err != nil {
		return 0, fmt.Errorf("audit: read log: %w", err)
	}
	defer rows.Close()
	var n, want int64 = 0, 1
	prev := ""
	f := frontier{}
	reach := func() error {
		for len(sizes) > 0 && sizes[0] <= f.n {
			if sizes[0] == f.n {
				r, err := f.root()
				if err != nil {
					return err
				}
				if err := at(f.n, r); err != nil {
					return err
				}
			}
			sizes = sizes[1:]
		}
		return nil
	}
	if err := reach(); err != nil {
		return 0, err
	}
	for rows.Next() {
		var seq int64
		var at, actor, action, subject, data, ph, h string
		var tree []byte
		if err := rows.Scan(&seq, &at, &actor, &action, &subject, &data, &ph, &h, &tree); err != nil {
			return n, fmt.Errorf("audit: scan: %w", err)
		}
		switch {
		case seq != want:
			if seq > want {
				return n, &Break{Seq: want, Reason: fmt.Sprintf("entry %d is missing (next present is %d)", want, seq)}
			}
			return n, &Break{Seq: seq, Reason: "sequence out of order"}
		case ph != prev:
			return n, &Break{Seq: seq, Reason: "previous-hash does not match the entry before it (an entry was removed or inserted)"}
		case hashOf(canonical(seq, at, actor, action, subject, []byte(data), ph)) != h:
			return n, &Break{Seq: seq, Reason: "content does not match its hash (the entry was altered)"}
		}
		leaf, err := leafOf(h)
		if err != nil {
			return n, &Break{Seq: seq, Reason: err.Error()}
		}
		var stored []tlog.Hash
		if f, stored, err = f.push(leaf); err != nil {
			return n, err
		}
		if !bytes.Equal(joinHashes(stored), tree) {
			return n, &Break{Seq: seq, Reason: "its Merkle tree hashes do not match the entries (the tree was altered)"}
		}
		prev = h
		want++
		n++
		if err := reach(); err != nil {
			return n, err
		}
	}
	if err := rows.Err(); err != nil {
		return n, err
	}
	var headSeq int64
	var headHash string
	var headTree []byte
	if err := db.QueryRowContext(ctx, `SELECT seq, hash, tree FROM audit_head WHERE id = 1`).Scan(&headSeq, &headHash, &headTree); err != nil {
		return n, fmt.Errorf("audit: read head: %w", err)
	}
	if headSeq != n || headHash != prev {
		return n, &Break{Seq: n + 1, Reason: fmt.Sprintf("the log ends at entry %d but the head records %d (entries removed from the end)", n, headSeq)}
	}
	if !bytes.Equal(headTree, f.bytes()) {
		return n, &Break{Seq: n, Reason: "the head's tree hashes do not match the entries"}
	}
	if len(sizes) > 0 {
		return n, &Break{Seq: n + 1, Reason: fmt.Sprintf("a checkpoint covers %d entries but the log holds only %d (entries removed from the end)", sizes[0], n)}
	}
	return n, nil
}

// List returns entries, newest first, optionally for one subject, before a
// sequence number (0: from the end), at most limit.
func List(ctx context.Context, db *sql.DB, subject string, before int64, limit int) ([]Entry, error) {
	q := `SELECT seq, at, actor, action, subject, data, prev_hash, hash FROM audit_log WHERE ($1 = '' OR subject = $1) AND ($2 = 0 OR seq < $2) ORDER BY seq DESC LIMIT $3`
	rows, err := db.QueryContext(ctx, q, subject, before, limit)
	if err != nil {
		return nil, fmt.Errorf("audit: list: %w", err)
	}
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		var e Entry
		var at store.Instant
		var data string
		if err := rows.Scan(&e.Seq, &at, &e.Actor, &e.Action, &e.Subject, &data, &e.PrevHash, &e.Hash); err != nil {
			return nil, err
		}
		e.At = at.Time
		e.Data = json.RawMessage(data)
		out = append(out, e)
	}
	return out, rows.Err()
}

// ErrBroken matches any *Break with errors.As.
var _ error = (*Break)(nil)

// IsBreak reports whether err is a chain break.
func IsBreak(err error) bool {
	var b *Break
	return errors.As(err, &b)
}
