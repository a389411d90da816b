package demo

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"mashang/internal/app"
	"mashang/internal/audit"
	"mashang/internal/auth"
	"mashang/internal/civil"
	"mashang/internal/docket"
	"mashang/internal/search"
	"mashang/internal/store"
)

// GrowOptions say how much to grow a database (`mashang bench grow`).
type GrowOptions struct {
	// Times is how many times as many cases the database holds afterwards
	// (2 to 20): five turns a million cases into five million.
	Times int
	// Chunk is the number of cases copied per transaction (0: 100,000).
	Chunk int
	// Progress receives a line per step (nil: none).
	Progress io.Writer
}

// GrowResult counts what Grow added.
type GrowResult struct {
	Cases, Messages int64
	// Span is how far back the oldest copy's dates were moved.
	Span    time.Duration
	Elapsed time.Duration
}

// GrowShiftDays is how far each older copy's dates are moved back: 52
// weeks, so every date keeps its weekday (reports keep coming on working
// days, deadlines keep falling on them).
const GrowShiftDays = 364

// growDateCols are the columns of cases that hold a date or an instant
// (YYYY-MM-DD, optionally followed by the time of day): a copy's are moved
// back with its received date. updated_at (when a row was last written)
// is left alone.
var growDateCols = []string{"received_at", "received_on", "accept_by", "finish_by", "accepted_on", "base_finish_by",
	"transferred_on", "return_by", "concluded_on", "replied_on", "review_request_by", "review_requested_on", "review_by",
	"closed_at", "rated_at", "due_run", "callback_at", "supervision_deadline", "office_object_by", "supervision_answered_at"}

// Grow multiplies the cases of a database filled by Run (and everything the
// case lists and the search read: their messages, people named, and search
// index) so a benchmark can run on five million cases without generating
// them one by one. The cases there become the oldest year of Times years:
// copy k (k = 1 … Times-1) takes the ids of the originals plus k·S (S the
// first multiple of search.BlockSize above the highest case id, so a
// copy's posting blocks are the originals' moved by k·S/BlockSize, their
// bytes unchanged) and their dates moved back (Times-1-k)·52 weeks; the
// newest copy keeps the original dates, and the originals, in place, are
// moved back (Times-1)·52 weeks. Ids grow with time as in a real office,
// which the search's newest-first walk counts on.
//
// In every copy but the newest, the cases still running (a deadline
// pending) are closed, as a year-old case would be: the overdue fraction,
// the open cases and the per-unit queues stay those of one year while
// every closed-case list, date range and search grows. Receipts and mail
// Message-IDs get "/k" appended (unique; a copy cannot be tracked by its
// reporter, and its sealed identity, bound to the original receipt, does
// not open). Case history, decisions and publications are not copied.
func Grow(ctx context.Context, a *app.App, o GrowOptions) (GrowResult, error) {
	start := time.Now()
	var res GrowResult
	if o.Times < 2 || o.Times > 20 {
		return res, fmt.Errorf("demo: grow: times must be 2 to 20, not %d", o.Times)
	}
	if o.Chunk <= 0 {
		o.Chunk = 100000
	}
	say := func(format string, args ...any) {
		if o.Progress != nil {
			fmt.Fprintf(o.Progress, "%s "+format+"\n", append([]any{time.Since(start).Round(time.Second)}, args...)...)
		}
	}
	db := a.DB
	// Only a database that mashang demo filled: the copies bypass the case
	// record's owner and the audit log's entry per change, which is fine
	// for a benchmark's data and never for an office's.
	var demos int64
	if err := db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_log WHERE actor = 'cli:demo' AND subject = 'demo'`).Scan(&demos); err != nil {
		return res, fmt.Errorf("demo: grow: look for the demo's entry: %w", err)
	}
	if demos == 0 {
		return res, errors.New("demo: grow: the database was not filled by mashang demo (grow copies benchmark data, never an office's cases)")
	}
	// The index first covers every case and message, so its rows can be
	// copied with them.
	if _, err := a.Search.Index.CatchUp(ctx); err != nil {
		return res, err
	}
	var minCase, maxCase, maxMsg, nCases int64
	if err := db.Read.QueryRowContext(ctx, `SELECT COALESCE(MIN(id), 0), COALESCE(MAX(id), 0), COUNT(*) FROM cases`).Scan(&minCase, &maxCase, &nCases); err != nil {
		return res, fmt.Errorf("demo: grow: count cases: %w", err)
	}
	if nCases == 0 {
		return res, errors.New("demo: grow: the database has no cases (fill it with mashang demo first)")
	}
	if err := db.Read.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM messages`).Scan(&maxMsg); err != nil {
		return res, fmt.Errorf("demo: grow: count messages: %w", err)
	}
	runs, err := idRuns(ctx, db, maxCase)
	if err != nil {
		return res, err
	}
	stride := (maxCase/search.BlockSize + 1) * search.BlockSize
	blocks := stride / search.BlockSize
	pg := db.Engine == store.Postgres
	caseCols, err := growColumns(ctx, db, "cases")
	if err != nil {
		return res, err
	}
	msgCols, err := growColumns(ctx, db, "messages")
	if err != nil {
		return res, err
	}
	if db.Engine == store.SQLite {
		// A large page cache for the copies: 27 indexes of cases are written
		// at once.
		if _, err := db.Write.ExecContext(ctx, `PRAGMA cache_size = -2000000`); err != nil {
			return res, fmt.Errorf("demo: grow: cache: %w", err)
		}
		defer db.Write.ExecContext(context.WithoutCancel(ctx), `PRAGMA cache_size = -2000`)
	}
	tx := func(fn func(tx *sql.Tx) error) error {
		return db.Tx(ctx, func(tx *sql.Tx) error {
			if pg {
				// A lost copy is made again; no report is at stake.
				if _, err := tx.ExecContext(ctx, `SET LOCAL synchronous_commit = off`); err != nil {
					return err
				}
			}
			return fn(tx)
		})
	}
	open := docket.SQLList(docket.OpenStates...)
	last := int64(o.Times - 1)
	for k := int64(1); k <= last; k++ {
		days := (last - k) * GrowShiftDays
		off, moff := k*stride, k*maxMsg
		sel := make([]string, len(caseCols))
		for i, c := range caseCols {
			sel[i] = growCaseExpr(pg, c, days, off, k, open)
		}
		msel := make([]string, len(msgCols))
		for i, c := range msgCols {
			switch c {
			case "id":
				msel[i] = fmt.Sprintf("id + %d", moff)
			case "case_id":
				msel[i] = fmt.Sprintf("case_id + %d", off)
			case "at":
				msel[i] = shiftDate(pg, "at", days)
			default:
				msel[i] = c
			}
		}
		for lo := minCase; lo <= maxCase; lo += int64(o.Chunk) {
			hi := min(lo+int64(o.Chunk)-1, maxCase)
			err := tx(func(tx *sql.Tx) error {
				for _, q := range []string{
					`INSERT INTO cases (` + strings.Join(caseCols, ", ") + `) SELECT ` + strings.Join(sel, ", ") + fmt.Sprintf(` FROM cases WHERE id BETWEEN %d AND %d ORDER BY id`, lo, hi),
					`INSERT INTO messages (` + strings.Join(msgCols, ", ") + `) SELECT ` + strings.Join(msel, ", ") + fmt.Sprintf(` FROM messages WHERE case_id BETWEEN %d AND %d AND id <= %d ORDER BY id`, lo, hi, maxMsg),
					fmt.Sprintf(`INSERT INTO case_people (case_id, person_id) SELECT case_id + %d, person_id FROM case_people WHERE case_id BETWEEN %d AND %d`, off, lo, hi),
					fmt.Sprintf(`INSERT INTO search_docs (id, folded, msg_mark) SELECT id + %d, folded, CASE WHEN msg_mark > 0 THEN msg_mark + %d ELSE 0 END
						FROM search_docs WHERE id BETWEEN %d AND %d`, off, moff, lo, hi),
				} {
					if _, err := tx.ExecContext(ctx, q); err != nil {
						return fmt.Errorf("demo: grow: copy %d, cases %d–%d: %w", k, lo, hi, err)
					}
				}
				return nil
			})
			if err != nil {
				return res, err
			}
			say("copy %d of %d: cases %d–%d (+%d), dates %d days back", k, last, lo, hi, off, days)
		}
		if err := tx(func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, fmt.Sprintf(`INSERT INTO search_postings (token, block, ids) SELECT token, block + %d, ids FROM search_postings WHERE block < %d`, k*blocks, blocks))
			return err
		}); err != nil {
			return res, fmt.Errorf("demo: grow: copy %d's postings: %w", k, err)
		}
		say("copy %d of %d: search postings", k, last)
	}
	// The originals become the oldest year.
	days := last * GrowShiftDays
	set := []string{}
	for _, c := range caseCols {
		if e := growCaseExpr(pg, c, days, 0, 0, open); e != c {
			set = append(set, c+" = "+e)
		}
	}
	for lo := minCase; lo <= maxCase; lo += int64(o.Chunk) {
		hi := min(lo+int64(o.Chunk)-1, maxCase)
		err := tx(func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, `UPDATE cases SET `+strings.Join(set, ", ")+fmt.Sprintf(` WHERE id BETWEEN %d AND %d`, lo, hi)); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `UPDATE messages SET at = `+shiftDate(pg, "at", days)+fmt.Sprintf(` WHERE case_id BETWEEN %d AND %d AND id <= %d`, lo, hi, maxMsg))
			return err
		})
		if err != nil {
			return res, fmt.Errorf("demo: grow: move cases %d–%d back: %w", lo, hi, err)
		}
		say("originals: cases %d–%d moved %d days back", lo, hi, days)
	}
	if err := tx(func(tx *sql.Tx) error {
		for _, q := range []string{
			fmt.Sprintf(`UPDATE search_terms SET n = n * %d`, o.Times),
			fmt.Sprintf(`UPDATE search_state SET mark = %d WHERE source = 'cases'`, last*stride+maxCase),
			fmt.Sprintf(`UPDATE search_state SET mark = %d WHERE source = 'messages'`, last*maxMsg+maxMsg),
		} {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return err
			}
		}
		if pg {
			for _, t := range []string{"cases", "messages"} {
				if _, err := tx.ExecContext(ctx, `SELECT setval(pg_get_serial_sequence('`+t+`', 'id'), (SELECT MAX(id) FROM `+t+`))`); err != nil {
					return fmt.Errorf("move %s sequence: %w", t, err)
				}
			}
		}
		// One entry per copy and run of consecutive ids: audit verify
		// counts every range recorded as written in bulk.
		for k := int64(1); k <= last; k++ {
			for _, r := range runs {
				if err := audit.Append(ctx, tx, a.Clock.Now(), audit.Record{Actor: "cli:bench", Action: audit.BulkAction, Subject: "grow",
					Data: map[string]any{"times": o.Times, "copy": k, "bulk": audit.Bulk{"cases": {r[0] + k*stride, r[1] + k*stride}}}}); err != nil {
					return err
				}
			}
		}
		return nil
	}); err != nil {
		return res, fmt.Errorf("demo: grow: finish: %w", err)
	}
	res.Cases = last * nCases
	if err := db.Read.QueryRowContext(ctx, fmt.Sprintf(`SELECT COUNT(*) FROM messages WHERE id > %d`, maxMsg)).Scan(&res.Messages); err != nil {
		return res, err
	}
	res.Span = time.Duration(days) * 24 * time.Hour
	if a.Stats != nil {
		say("computing the statistics cache …")
		var from, to string
		if err := db.Read.QueryRowContext(ctx, `SELECT MIN(received_on), MAX(received_on) FROM cases`).Scan(&from, &to); err != nil {
			return res, err
		}
		f, err1 := civil.Parse(from)
		t, err2 := civil.Parse(to)
		if err := errors.Join(err1, err2); err != nil {
			return res, err
		}
		if _, err := a.Stats.Compute(ctx, auth.System("cli:bench"), f, t); err != nil {
			return res, err
		}
	}
	say("analysing …")
	q := `ANALYZE`
	if pg {
		q = `VACUUM ANALYZE`
	}
	if _, err := db.Write.ExecContext(ctx, q); err != nil {
		return res, fmt.Errorf("demo: grow: %s: %w", q, err)
	}
	res.Elapsed = time.Since(start)
	return res, nil
}

// growCaseExpr is what copy k (ids moved by off, dates days back) takes for
// column c of cases; k = 0 is the originals themselves, moved in place.
func growCaseExpr(pg bool, c string, days, off, k int64, open string) string {
	for _, d := range growDateCols {
		if c != d {
			continue
		}
		e := shiftDate(pg, c, days)
		if c == "closed_at" && days > 0 {
			// A case closed by the copy: a month after it came in.
			e = fmt.Sprintf(`CASE WHEN state IN %s THEN %s ELSE %s END`, open, shiftDate(pg, "received_at", days-30), e)
		}
		return e
	}
	suffix := fmt.Sprintf("'/%d'", k)
	switch c {
	case "id", "merged_into":
		if off == 0 {
			return c
		}
		return fmt.Sprintf("%s + %d", c, off)
	case "receipt", "message_id":
		if k == 0 {
			return c
		}
		return c + " || " + suffix
	case "state":
		if days > 0 {
			return fmt.Sprintf(`CASE WHEN state IN %s THEN '%s' ELSE state END`, open, docket.Closed)
		}
	}
	return c
}

// shiftDate moves a date or instant column days back (NULL and empty text stay).
func shiftDate(pg bool, c string, days int64) string {
	if days == 0 {
		return c
	}
	if pg {
		return fmt.Sprintf(`CASE WHEN %[1]s IS NULL OR %[1]s = '' THEN %[1]s ELSE to_char(substr(%[1]s, 1, 10)::date - %[2]d, 'YYYY-MM-DD') || substr(%[1]s, 11) END`, c, days)
	}
	return fmt.Sprintf(`CASE WHEN %[1]s IS NULL OR %[1]s = '' THEN %[1]s ELSE date(substr(%[1]s, 1, 10), '%[2]d days') || substr(%[1]s, 11) END`, c, -days)
}

// growColumns are the stored (not generated) columns of a table.
func growColumns(ctx context.Context, db *store.DB, table string) ([]string, error) {
	t, err := db.Table(ctx, db.Read, table)
	if err != nil {
		return nil, fmt.Errorf("demo: grow: %w", err)
	}
	if len(t.Columns) == 0 {
		return nil, fmt.Errorf("demo: grow: table %s has no columns", table)
	}
	cols := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		cols[i] = c.Name
	}
	return cols, nil
}

// idRuns are the runs of consecutive case ids up to max.
func idRuns(ctx context.Context, db *store.DB, max int64) ([][2]int64, error) {
	rows, err := db.Read.QueryContext(ctx, `SELECT MIN(id), MAX(id) FROM (SELECT id, id - ROW_NUMBER() OVER (ORDER BY id) AS g FROM cases WHERE id <= $1) r
		GROUP BY g ORDER BY 1`, max)
	if err != nil {
		return nil, fmt.Errorf("demo: grow: runs of ids: %w", err)
	}
	defer rows.Close()
	var out [][2]int64
	for rows.Next() {
		var r [2]int64
		if err := rows.Scan(&r[0], &r[1]); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
