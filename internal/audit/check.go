package audit

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Mismatch is a disagreement between the log and something else: a stored
// or external checkpoint, or the tables whose changes the log records.
type Mismatch struct {
	What string
}

func (m *Mismatch) Error() string { return m.What }

// CheckOptions say what Check trusts and compares against.
type CheckOptions struct {
	// Keys are verifier keys trusted to sign checkpoints (the configured key
	// file's, or one given on the command line). The keys the log records
	// itself are added.
	Keys []string
	// External is a signed checkpoint kept elsewhere (a witness's, or a
	// backup manifest's); the log must extend it.
	External []byte
}

// CheckReport says what Check looked at.
type CheckReport struct {
	Entries     int64
	Checkpoints int
	// ExternalSize is the size of the external checkpoint (0: none given).
	ExternalSize int64
	// CrossChecked counts the rows and entries compared.
	CrossChecked int64
}

// Check is `mashang audit verify`: the chain, the Merkle tree, every stored
// checkpoint (signature by a known key, root equal to the tree's at its
// size), the external checkpoint when given, and the cross-checks between
// the log and the tables (every case, event, decision, appeal, publication
// and identity reveal has its entry; every such entry's object still exists
// as recorded). It returns the first thing that does not match, as a *Break
// (an entry) or a *Mismatch.
func Check(ctx context.Context, db *sql.DB, o CheckOptions) (CheckReport, error) {
	var rep CheckReport
	recorded, err := Keys(ctx, db)
	if err != nil {
		return rep, err
	}
	var vs []note.Verifier
	seen := map[string]bool{}
	for _, k := range append(append([]string{}, o.Keys...), recorded...) {
		if seen[k] {
			continue
		}
		seen[k] = true
		v, err := note.NewVerifier(k)
		if err != nil {
			return rep, fmt.Errorf("audit: verifier key %q: %w", k, err)
		}
		vs = append(vs, v)
	}
	// Every stored checkpoint, oldest first, read as a stream: its signature
	// and columns are checked here, and one root per size is kept for the
	// walk (two different roots for one size are a fork).
	type signed struct {
		id   int64
		root tlog.Hash
	}
	roots := map[int64]signed{}
	rows, err := db.QueryContext(ctx, `SELECT `+checkpointCols+` FROM audit_checkpoints ORDER BY id`)
	if err != nil {
		return rep, fmt.Errorf("audit: read checkpoints: %w", err)
	}
	var sizes []int64
	nCheckpoints := 0
	for rows.Next() {
		c, err := scanCheckpoint(rows)
		if err != nil {
			rows.Close()
			return rep, fmt.Errorf("audit: read checkpoints: %w", err)
		}
		got, _, err := ParseCheckpoint([]byte(c.Note), vs...)
		if err != nil {
			rows.Close()
			return rep, &Mismatch{fmt.Sprintf("stored checkpoint %d (size %d) does not verify with the log's keys: %v", c.ID, c.Size, err)}
		}
		if got.Size != c.Size || got.Root != c.Root {
			rows.Close()
			return rep, &Mismatch{fmt.Sprintf("stored checkpoint %d: its columns (size %d) differ from its signed text (size %d)", c.ID, c.Size, got.Size)}
		}
		if prev, ok := roots[c.Size]; ok {
			if prev.root != c.Root {
				rows.Close()
				return rep, &Mismatch{fmt.Sprintf("stored checkpoints %d and %d sign different trees of %d entries (a fork)", prev.id, c.ID, c.Size)}
			}
		} else {
			roots[c.Size] = signed{c.ID, c.Root}
			sizes = append(sizes, c.Size)
		}
		nCheckpoints++
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return rep, fmt.Errorf("audit: read checkpoints: %w", err)
	}
	var ext Checkpoint
	if len(o.External) > 0 {
		if ext, _, err = ParseCheckpoint(o.External, vs...); err != nil {
			return rep, &Mismatch{fmt.Sprintf("the checkpoint given does not verify with this log's keys: %v", err)}
		}
		rep.ExternalSize = ext.Size
		if _, ok := roots[ext.Size]; !ok {
			sizes = append(sizes, ext.Size)
		}
	}
	sortInt64(sizes)
	size, err := Size(ctx, db)
	if err != nil {
		return rep, err
	}
	if len(o.External) > 0 && ext.Size > size {
		return rep, &Mismatch{fmt.Sprintf("the checkpoint given covers %d entries but the log holds only %d: entries were removed from the end", ext.Size, size)}
	}
	if len(sizes) > 0 && sizes[len(sizes)-1] > size {
		return rep, &Mismatch{fmt.Sprintf("a stored checkpoint covers %d entries but the log holds only %d: entries were removed from the end", sizes[len(sizes)-1], size)}
	}
	rep.Entries, err = walk(ctx, db, func(n int64, root tlog.Hash) error {
		if c, ok := roots[n]; ok && c.root != root {
			return &Mismatch{fmt.Sprintf("stored checkpoint %d signed a tree of %d entries with root %s, but the log's first %d entries hash to %s (the log was rewritten)", c.id, n, c.root, n, root)}
		}
		if len(o.External) > 0 && ext.Size == n && ext.Root != root {
			return &Mismatch{fmt.Sprintf("the checkpoint given signed a tree of %d entries with root %s, but the log's first %d entries now hash to %s: the log was rewritten", n, ext.Root, n, root)}
		}
		return nil
	}, sizes...)
	if err != nil {
		return rep, err
	}
	rep.Checkpoints = nCheckpoints
	n, err := crossCheck(ctx, db)
	rep.CrossChecked = n
	return rep, err
}

func sortInt64(s []int64) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// Bulk is what a bulk loader (the demo county) records in its entry's data
// under "bulk": the id ranges of rows it wrote without an entry each. The
// cross-checks accept rows in those ranges, and check that none is missing.
type Bulk map[string][2]int64

// BulkAction is the action of entries whose data may carry a Bulk.
const BulkAction = "demo.generate"

type bulkRanges map[string][][2]int64

func (b bulkRanges) where(table, col string) string {
	var w strings.Builder
	for _, r := range b[table] {
		fmt.Fprintf(&w, " AND NOT (%s BETWEEN %d AND %d)", col, r[0], r[1])
	}
	return w.String()
}

func readBulk(ctx context.Context, db *sql.DB) (bulkRanges, error) {
	rows, err := db.QueryContext(ctx, `SELECT data FROM audit_log WHERE action = $1`, BulkAction)
	if err != nil {
		return nil, fmt.Errorf("audit: read bulk entries: %w", err)
	}
	defer rows.Close()
	out := bulkRanges{}
	for rows.Next() {
		var data string
		if err := rows.Scan(&data); err != nil {
			return nil, err
		}
		var d struct {
			Bulk Bulk `json:"bulk"`
		}
		if json.Unmarshal([]byte(data), &d) == nil {
			for t, r := range d.Bulk {
				out[t] = append(out[t], r)
			}
		}
	}
	return out, rows.Err()
}

// rowsWithoutEntry are the tables whose every row must have an entry.
var rowsWithoutEntry = []struct {
	table, col, what, query string
}{
	{"cases", "c.id", "case", `SELECT c.id FROM cases c WHERE NOT EXISTS (SELECT 1 FROM audit_log a WHERE a.subject = 'case:' || c.id AND a.action = 'case.register')`},
	{"decisions", "d.id", "decision", `SELECT d.id FROM decisions d WHERE NOT EXISTS (SELECT 1 FROM audit_log a WHERE a.subject = 'decision:' || d.id AND a.action = 'decision.create')
		AND NOT EXISTS (SELECT 1 FROM appeals p JOIN audit_log a ON a.subject = 'appeal:' || p.id AND a.action = 'appeal.outcome' WHERE p.new_decision_id = d.id)`},
	{"appeals", "p.id", "appeal", `SELECT p.id FROM appeals p WHERE NOT EXISTS (SELECT 1 FROM audit_log a WHERE a.subject = 'appeal:' || p.id AND a.action = 'appeal.file')`},
	{"publications", "p.id", "publication", `SELECT p.id FROM publications p WHERE NOT EXISTS (SELECT 1 FROM audit_log a WHERE a.subject = 'publication:' || p.id AND a.action = 'publication.propose')`},
	{"case_events", "e.id", "identity reveal (case event)", `SELECT e.id FROM case_events e WHERE e.action = 'identity_revealed' AND NOT EXISTS (SELECT 1 FROM audit_log a
		WHERE a.subject = 'case:' || e.case_id AND a.action = 'identity.reveal' AND a.at = e.at AND a.actor = e.actor)`},
}

// entriesWithoutObject are the entries whose object must still exist, with
// the fields of their data that must still equal the object's columns.
var entriesWithoutObject = []struct {
	action, what, table, prefix string
	fields, cols                []string
}{
	{"case.register", "case", "cases", "case:", []string{"receipt", "channel"}, []string{"receipt", "channel"}},
	{"decision.create", "decision", "decisions", "decision:", []string{"person_id", "situation"}, []string{"person_id", "situation"}},
	{"appeal.file", "appeal", "appeals", "appeal:", []string{"decision_id"}, []string{"decision_id"}},
	{"publication.propose", "publication", "publications", "publication:", []string{"kind"}, []string{"kind"}},
}

func crossCheck(ctx context.Context, db *sql.DB) (int64, error) {
	bulk, err := readBulk(ctx, db)
	if err != nil {
		return 0, err
	}
	var checked int64
	for _, c := range rowsWithoutEntry {
		var id int64
		err := db.QueryRowContext(ctx, c.query+bulk.where(c.table, c.col)+` ORDER BY 1 LIMIT 1`).Scan(&id)
		if err == nil {
			return checked, &Mismatch{fmt.Sprintf("%s %d has no entry in the audit log (it was added behind the log's back)", c.what, id)}
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return checked, fmt.Errorf("audit: cross-check %s: %w", c.table, err)
		}
	}
	for table, rs := range bulk {
		for _, r := range rs {
			var n int64
			if err := db.QueryRowContext(ctx, fmt.Sprintf(`SELECT COUNT(*) FROM %s WHERE id BETWEEN $1 AND $2`, pqIdent(table)), r[0], r[1]).Scan(&n); err != nil {
				return checked, fmt.Errorf("audit: cross-check bulk %s: %w", table, err)
			}
			if n != r[1]-r[0]+1 {
				return checked, &Mismatch{fmt.Sprintf("%s %d–%d were written in bulk (%d rows) but %d remain", table, r[0], r[1], r[1]-r[0]+1, n)}
			}
			checked += n
		}
	}
	erased, err := erasedSubjects(ctx, db)
	if err != nil {
		return checked, err
	}
	for _, c := range entriesWithoutObject {
		cols := "t.id"
		for _, col := range c.cols {
			cols += ", t." + col
		}
		rows, err := db.QueryContext(ctx, fmt.Sprintf(`SELECT a.seq, a.subject, a.data, %s FROM audit_log a LEFT JOIN %s t ON t.id = CAST(substr(a.subject, %d) AS BIGINT) WHERE a.action = $1 ORDER BY a.seq`,
			cols, c.table, len(c.prefix)+1), c.action)
		if err != nil {
			return checked, fmt.Errorf("audit: cross-check %s: %w", c.action, err)
		}
		err = func() error {
			defer rows.Close()
			for rows.Next() {
				var seq int64
				var subject, data string
				var id sql.NullInt64
				vals := make([]sql.NullString, len(c.cols))
				dest := []any{&seq, &subject, &data, &id}
				for i := range vals {
					dest = append(dest, &vals[i])
				}
				if err := rows.Scan(dest...); err != nil {
					return err
				}
				checked++
				if !id.Valid {
					if erased[subject] {
						continue
					}
					return &Break{Seq: seq, Reason: fmt.Sprintf("it records %s (%s) but %s no longer exists (deleted behind the log's back)", subject, c.action, subject)}
				}
				recorded := map[string]any{}
				d := json.NewDecoder(bytes.NewReader([]byte(data)))
				d.UseNumber()
				if err := d.Decode(&recorded); err != nil {
					return &Break{Seq: seq, Reason: "its data is not a JSON object"}
				}
				for i, f := range c.fields {
					want, ok := recorded[f]
					if !ok || want == nil {
						continue
					}
					if fmt.Sprint(want) != vals[i].String {
						return &Break{Seq: seq, Reason: fmt.Sprintf("it records %s with %s %q, but the row now holds %q (changed behind the log's back)", subject, f, fmt.Sprint(want), vals[i].String)}
					}
				}
			}
			return rows.Err()
		}()
		if err != nil {
			return checked, err
		}
	}
	// An identity reveal's entry and its case event must agree on who and when.
	var seq int64
	var subject string
	err = db.QueryRowContext(ctx, `SELECT a.seq, a.subject FROM audit_log a WHERE a.action = 'identity.reveal' AND NOT EXISTS (SELECT 1 FROM case_events e
		WHERE a.subject = 'case:' || e.case_id AND e.action = 'identity_revealed' AND e.at = a.at AND e.actor = a.actor) ORDER BY a.seq LIMIT 1`).Scan(&seq, &subject)
	if err == nil && !erased[subject] {
		return checked, &Break{Seq: seq, Reason: fmt.Sprintf("it records an identity reveal on %s that the case's history does not hold as recorded (who or when differ)", subject)}
	}
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return checked, fmt.Errorf("audit: cross-check identity reveals: %w", err)
	}
	n, err := eventsHaveEntries(ctx, db, bulk)
	return checked + n, err
}

// erasedSubjects are subjects whose removal the log records (an action
// ending in ".erase", e.g. by retention): their rows may be gone.
func erasedSubjects(ctx context.Context, db *sql.DB) (map[string]bool, error) {
	rows, err := db.QueryContext(ctx, `SELECT subject FROM audit_log WHERE action LIKE '%.erase'`)
	if err != nil {
		return nil, fmt.Errorf("audit: read erasures: %w", err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out[s] = true
	}
	return out, rows.Err()
}

// eventsHaveEntries checks that every case event was written in the same
// transaction as an entry: each transaction stamps its rows and its entry
// with the same instant, so an event whose instant no entry has was added
// behind the log's back. Both lists are read in order and merged.
func eventsHaveEntries(ctx context.Context, db *sql.DB, bulk bulkRanges) (int64, error) {
	ats, err := db.QueryContext(ctx, `SELECT DISTINCT at FROM audit_log ORDER BY at`)
	if err != nil {
		return 0, fmt.Errorf("audit: cross-check events: %w", err)
	}
	defer ats.Close()
	evs, err := db.QueryContext(ctx, `SELECT e.id, e.case_id, e.at, e.action FROM case_events e WHERE 1 = 1`+bulk.where("case_events", "e.id")+` ORDER BY e.at, e.id`)
	if err != nil {
		return 0, fmt.Errorf("audit: cross-check events: %w", err)
	}
	defer evs.Close()
	var n int64
	cur, have := "", false
	for evs.Next() {
		var id, caseID int64
		var at, action string
		if err := evs.Scan(&id, &caseID, &at, &action); err != nil {
			return n, err
		}
		n++
		for (!have || cur < at) && ats.Next() {
			if err := ats.Scan(&cur); err != nil {
				return n, err
			}
			have = true
		}
		if cur != at {
			return n, &Mismatch{fmt.Sprintf("event %d (%s) of case %d at %s has no audit entry (it was added behind the log's back)", id, action, caseID, at)}
		}
	}
	if err := evs.Err(); err != nil {
		return n, err
	}
	return n, ats.Err()
}

// pqIdent accepts only the table names the cross-checks know.
func pqIdent(t string) string {
	switch t {
	case "cases", "case_events", "messages", "decisions", "appeals", "publications", "attachments":
		return t
	}
	return "no_such_table"
}
