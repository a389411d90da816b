// Package search is mashang's Chinese full-text search over cases and the
// staff's case lists (GET /api/v1/cases): filters, sorting, keyset
// pagination and counts, on SQLite and PostgreSQL alike.
//
// # The index
//
// The index is decoupled from the writers: intake and case handling write
// cases and messages as they always do, and Index.CatchUp reads what is new
// since a high-water mark per source (cases by id, messages by id) and
// indexes it in batches. CatchUp runs in a background loop of `mashang
// serve` (every 500 ms) and synchronously at the start of every search
// request, so a case is findable as soon as its creating request has been
// answered.
//
// A case's document is its content, then its messages and replies in order,
// joined by newlines (the reporter's name, phone and e-mail live elsewhere
// and are never indexed). The text side (folding Traditional to Simplified,
// full-width to half-width; single characters, bigrams and Latin words as
// tokens; exact verification, scoring and snippets) is package textsearch,
// in Go, so both engines index and match identically.
//
// Storage: posting lists per token and block of 4096 case ids
// (search_postings; see BlockSize), a document frequency per token
// (search_terms, so a query starts from its rarest token), and the folded
// text of each case (search_docs, so verification does not fold again). A
// million cases of a hundred-odd distinct tokens each take a few hundred
// megabytes rather than the gigabytes of one row per token and case.
//
// High-water marks and PostgreSQL: a transaction may commit a lower id after
// a higher one. CatchUp therefore also looks back LookBack ids below each
// mark for rows it has not indexed yet; indexing a case twice is harmless
// (tokens are merged as sets, counted once per case).
package search

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"mashang/internal/store"
	"mashang/internal/textsearch"
)

// LookBack is how far below a high-water mark CatchUp looks for rows that
// committed late.
const LookBack = 1000

// DefaultBatch is the number of cases (and of messages) CatchUp takes per
// transaction.
const DefaultBatch = 2048

// Index maintains the search index.
type Index struct {
	db     *store.DB
	folder *textsearch.Folder
	log    *slog.Logger
	now    func() time.Time
	mu     sync.Mutex
	// Batch is the number of new cases (and messages) per transaction.
	Batch int
}

// NewIndex returns the index over db, reading the time (for its job lease)
// from now.
func NewIndex(db *store.DB, f *textsearch.Folder, log *slog.Logger, now func() time.Time) *Index {
	if log == nil {
		log = slog.Default()
	}
	return &Index{db: db, folder: f, log: log, now: now, Batch: DefaultBatch}
}

// IndexJob names the background catch-up's job lease.
const IndexJob = "search-index"

// IndexLease is how long the background catch-up's lease lasts unrenewed.
const IndexLease = 15 * time.Second

// Run calls CatchUp every interval until ctx ends, on one instance at a
// time among those sharing the database (the job lease IndexJob, kept from
// tick to tick); errors are logged and retried at the next tick. Searches
// still catch up themselves on whichever instance they reach. It returns
// when ctx is done.
func (x *Index) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	lease := &store.Lease{DB: x.db, Job: IndexJob, Holder: store.NewHolder(), For: IndexLease, Now: x.now}
	defer lease.Release(context.WithoutCancel(ctx))
	for {
		ok, err := lease.Hold(ctx)
		if err == nil && ok {
			_, err = x.CatchUp(ctx)
		}
		if err != nil && ctx.Err() == nil {
			x.log.Warn("search index catch-up failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// CatchUp indexes every case and message written since the last call, in
// batches of x.Batch, and returns the number of cases (re)indexed.
func (x *Index) CatchUp(ctx context.Context) (int, error) {
	total := 0
	for {
		n, more, err := x.step(ctx)
		total += n
		if err != nil {
			return total, err
		}
		if !more {
			return total, nil
		}
	}
}

// step indexes one batch in one transaction.
func (x *Index) step(ctx context.Context) (indexed int, more bool, err error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	batch := x.Batch
	if batch <= 0 {
		batch = DefaultBatch
	}
	// Cheap check first, outside any write transaction: is anything new?
	var cm, mm int64
	if err := x.db.Read.QueryRowContext(ctx, `SELECT
		(SELECT mark FROM search_state WHERE source = 'cases'),
		(SELECT mark FROM search_state WHERE source = 'messages')`).Scan(&cm, &mm); err != nil {
		return 0, false, fmt.Errorf("search: read marks: %w", err)
	}
	// Planned for its marks each time (store.DB.OneShot): a plan made
	// generic after five searches knows no mark and scanned the cases and
	// messages (40 ms a search at 100,000 cases on PostgreSQL).
	var pending bool
	if err := x.db.Read.QueryRowContext(ctx, `SELECT
		EXISTS (SELECT 1 FROM cases WHERE id > $1)
		OR EXISTS (SELECT 1 FROM messages WHERE id > $2)
		OR EXISTS (SELECT 1 FROM cases c WHERE c.id > $3 AND c.id <= $1 AND NOT EXISTS (SELECT 1 FROM search_docs d WHERE d.id = c.id))
		OR EXISTS (SELECT 1 FROM messages m JOIN search_docs d ON d.id = m.case_id WHERE m.id > $4 AND m.id <= $2 AND m.id > d.msg_mark)`,
		x.db.OneShot(cm, mm, cm-LookBack, mm-LookBack)...).Scan(&pending); err != nil {
		return 0, false, fmt.Errorf("search: look for new rows: %w", err)
	}
	if !pending {
		return 0, false, nil
	}
	err = x.db.Tx(ctx, func(tx *sql.Tx) error {
		indexed, more = 0, false
		lock := ""
		if x.db.Engine == store.Postgres {
			lock = " FOR UPDATE"
		}
		marks := map[string]int64{}
		rows, err := tx.QueryContext(ctx, `SELECT source, mark FROM search_state`+lock)
		if err != nil {
			return fmt.Errorf("search: lock marks: %w", err)
		}
		for rows.Next() {
			var s string
			var m int64
			if err := rows.Scan(&s, &m); err != nil {
				rows.Close()
				return err
			}
			marks[s] = m
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		cm, mm := marks["cases"], marks["messages"]

		ids := map[int64]bool{}
		newCM, err := collect(ctx, tx, ids, `SELECT id FROM cases WHERE id > $1 ORDER BY id LIMIT $2`, cm, batch)
		if err != nil {
			return err
		}
		newMM, err := collectPairs(ctx, tx, ids, `SELECT id, case_id FROM messages WHERE id > $1 ORDER BY id LIMIT $2`, mm, batch)
		if err != nil {
			return err
		}
		more = newCM.n == batch || newMM.n == batch
		if cm > 0 {
			if _, err := collect(ctx, tx, ids, `SELECT c.id FROM cases c WHERE c.id > $1 AND c.id <= $2
				AND NOT EXISTS (SELECT 1 FROM search_docs d WHERE d.id = c.id) ORDER BY c.id LIMIT $3`, cm-LookBack, cm, batch); err != nil {
				return err
			}
		}
		if mm > 0 {
			if _, err := collect(ctx, tx, ids, `SELECT DISTINCT m.case_id FROM messages m JOIN search_docs d ON d.id = m.case_id
				WHERE m.id > $1 AND m.id <= $2 AND m.id > d.msg_mark ORDER BY m.case_id LIMIT $3`, mm-LookBack, mm, batch); err != nil {
				return err
			}
		}
		if len(ids) > 0 {
			if err := x.reindex(ctx, tx, ids); err != nil {
				return err
			}
		}
		indexed = len(ids)
		if newCM.max > cm {
			if _, err := tx.ExecContext(ctx, `UPDATE search_state SET mark = $1 WHERE source = 'cases'`, newCM.max); err != nil {
				return fmt.Errorf("search: advance mark: %w", err)
			}
		}
		if newMM.max > mm {
			if _, err := tx.ExecContext(ctx, `UPDATE search_state SET mark = $1 WHERE source = 'messages'`, newMM.max); err != nil {
				return fmt.Errorf("search: advance mark: %w", err)
			}
		}
		return nil
	})
	return indexed, more, err
}

type seen struct {
	n   int
	max int64
}

// collect adds the ids the query returns (one column) to ids.
func collect(ctx context.Context, tx *sql.Tx, ids map[int64]bool, q string, args ...any) (seen, error) {
	var s seen
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return s, fmt.Errorf("search: find rows to index: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return s, err
		}
		ids[id] = true
		s.n++
		s.max = max(s.max, id)
	}
	return s, rows.Err()
}

// collectPairs reads (message id, case id) rows: the case ids go to ids, the
// message ids make the mark.
func collectPairs(ctx context.Context, tx *sql.Tx, ids map[int64]bool, q string, args ...any) (seen, error) {
	var s seen
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return s, fmt.Errorf("search: find messages to index: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var mid, cid int64
		if err := rows.Scan(&mid, &cid); err != nil {
			return s, err
		}
		ids[cid] = true
		s.n++
		s.max = max(s.max, mid)
	}
	return s, rows.Err()
}

// intList renders ids for an IN (…) list. The values are integers, so
// inlining them is safe.
func intList(ids []int64) string {
	var b strings.Builder
	for i, id := range ids {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatInt(id, 10))
	}
	return b.String()
}

// strList renders tokens as SQL string literals. Tokens hold only letters,
// digits, marks and CJK characters (textsearch folds everything else to a
// separator); the quote doubling is a second line of defence.
func strList(ts []string) string {
	var b strings.Builder
	for i, t := range ts {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('\'')
		b.WriteString(strings.ReplaceAll(t, "'", "''"))
		b.WriteByte('\'')
	}
	return b.String()
}

func sortedIDs(set map[int64]bool) []int64 {
	out := make([]int64, 0, len(set))
	for id := range set {
		out = append(out, id)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

type doc struct {
	text   strings.Builder
	mark   int64
	exists bool
	old    string
}

// reindex rebuilds the documents of ids and adds their new tokens.
func (x *Index) reindex(ctx context.Context, tx *sql.Tx, set map[int64]bool) error {
	ids := sortedIDs(set)
	docs := make(map[int64]*doc, len(ids))
	for start := 0; start < len(ids); start += 1000 {
		chunk := ids[start:min(start+1000, len(ids))]
		list := intList(chunk)
		rows, err := tx.QueryContext(ctx, `SELECT id, content FROM cases WHERE id IN (`+list+`)`)
		if err != nil {
			return fmt.Errorf("search: read cases: %w", err)
		}
		for rows.Next() {
			var id int64
			var content string
			if err := rows.Scan(&id, &content); err != nil {
				rows.Close()
				return err
			}
			d := &doc{}
			d.text.WriteString(content)
			docs[id] = d
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		rows, err = tx.QueryContext(ctx, `SELECT case_id, id, body FROM messages WHERE case_id IN (`+list+`) ORDER BY case_id, id`)
		if err != nil {
			return fmt.Errorf("search: read messages: %w", err)
		}
		for rows.Next() {
			var cid, mid int64
			var body string
			if err := rows.Scan(&cid, &mid, &body); err != nil {
				rows.Close()
				return err
			}
			if d := docs[cid]; d != nil {
				d.text.WriteByte('\n')
				d.text.WriteString(body)
				d.mark = mid
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		rows, err = tx.QueryContext(ctx, `SELECT id, folded FROM search_docs WHERE id IN (`+list+`)`)
		if err != nil {
			return fmt.Errorf("search: read indexed documents: %w", err)
		}
		for rows.Next() {
			var id int64
			var folded string
			if err := rows.Scan(&id, &folded); err != nil {
				rows.Close()
				return err
			}
			if d := docs[id]; d != nil {
				d.exists, d.old = true, folded
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}

	// New tokens per block.
	add := map[int64]map[string]*bitmap{}
	terms := map[string]int64{}
	type docRow struct {
		id     int64
		folded string
		mark   int64
	}
	var docRows []docRow
	for _, id := range ids {
		d := docs[id]
		if d == nil {
			continue // deleted meanwhile
		}
		folded := x.folder.Fold(d.text.String())
		if d.exists && folded == d.old {
			continue
		}
		var old map[string]bool
		if d.exists {
			ot := x.folder.IndexTokens(d.old)
			old = make(map[string]bool, len(ot))
			for _, t := range ot {
				old[t] = true
			}
		}
		block := id >> BlockBits
		bm := add[block]
		if bm == nil {
			bm = map[string]*bitmap{}
			add[block] = bm
		}
		for _, t := range x.folder.IndexTokens(folded) {
			if old[t] {
				continue
			}
			b := bm[t]
			if b == nil {
				b = &bitmap{}
				bm[t] = b
			}
			b.add(uint16(id & (BlockSize - 1)))
			terms[t]++
		}
		docRows = append(docRows, docRow{id, folded, d.mark})
	}

	// Merge into the stored blocks.
	for block, bm := range add {
		tokens := make([]string, 0, len(bm))
		for t := range bm {
			tokens = append(tokens, t)
		}
		sort.Strings(tokens)
		for start := 0; start < len(tokens); start += 500 {
			chunk := tokens[start:min(start+500, len(tokens))]
			rows, err := tx.QueryContext(ctx, `SELECT token, ids FROM search_postings WHERE block = $1 AND token IN (`+strList(chunk)+`)`, block)
			if err != nil {
				return fmt.Errorf("search: read postings: %w", err)
			}
			for rows.Next() {
				var t string
				var p []byte
				if err := rows.Scan(&t, &p); err != nil {
					rows.Close()
					return err
				}
				old, err := decode(p)
				if err != nil {
					rows.Close()
					return err
				}
				bm[t].or(old)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
		}
		if err := upsertRows(ctx, tx, x.db.Engine == store.SQLite, `INSERT INTO search_postings (token, block, ids) VALUES `,
			` ON CONFLICT (token, block) DO UPDATE SET ids = excluded.ids`, 3, len(tokens), func(i int) []any {
				return []any{tokens[i], block, bm[tokens[i]].encode()}
			}); err != nil {
			return fmt.Errorf("search: write postings: %w", err)
		}
	}
	termList := make([]string, 0, len(terms))
	for t := range terms {
		termList = append(termList, t)
	}
	sort.Strings(termList)
	if err := upsertRows(ctx, tx, x.db.Engine == store.SQLite, `INSERT INTO search_terms (token, n) VALUES `,
		` ON CONFLICT (token) DO UPDATE SET n = search_terms.n + excluded.n`, 2, len(termList), func(i int) []any {
			return []any{termList[i], terms[termList[i]]}
		}); err != nil {
		return fmt.Errorf("search: write terms: %w", err)
	}
	if err := upsertRows(ctx, tx, x.db.Engine == store.SQLite, `INSERT INTO search_docs (id, folded, msg_mark) VALUES `,
		` ON CONFLICT (id) DO UPDATE SET folded = excluded.folded, msg_mark = excluded.msg_mark`, 3, len(docRows), func(i int) []any {
			return []any{docRows[i].id, docRows[i].folded, docRows[i].mark}
		}); err != nil {
		return fmt.Errorf("search: write documents: %w", err)
	}
	return nil
}

// upsertRows runs a multi-row INSERT of n rows of width columns, a few
// hundred rows per statement.
//
// On SQLite it binds ? placeholders: SQLite looks $N names up one by one in
// a list, which makes a statement of thousands of them slow to prepare.
func upsertRows(ctx context.Context, tx *sql.Tx, qmark bool, head, tail string, width, n int, row func(i int) []any) error {
	per := 3000 / width
	for start := 0; start < n; start += per {
		end := min(start+per, n)
		var b strings.Builder
		b.WriteString(head)
		args := make([]any, 0, (end-start)*width)
		for i := start; i < end; i++ {
			if i > start {
				b.WriteByte(',')
			}
			b.WriteByte('(')
			for c := 0; c < width; c++ {
				if c > 0 {
					b.WriteByte(',')
				}
				if qmark {
					b.WriteByte('?')
				} else {
					b.WriteByte('$')
					b.WriteString(strconv.Itoa(len(args) + c + 1))
				}
			}
			b.WriteByte(')')
			args = append(args, row(i)...)
		}
		b.WriteString(tail)
		if _, err := tx.ExecContext(ctx, b.String(), args...); err != nil {
			return err
		}
	}
	return nil
}

// Refresh rebuilds the documents of ids inside tx, for text removed by
// someone other than the writers CatchUp follows (the retention job empties
// message bodies): their folded text, which verifies every match, no longer
// holds what was removed. It takes no lock of the Index: it runs inside the
// caller's write transaction.
func (x *Index) Refresh(ctx context.Context, tx *sql.Tx, ids []int64) error {
	set := make(map[int64]bool, len(ids))
	for _, id := range ids {
		set[id] = true
	}
	return x.reindex(ctx, tx, set)
}
