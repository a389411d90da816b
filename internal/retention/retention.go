// Package retention erases what the retention periods say may no longer be
// kept: a set number of days after a case is closed, its reporter's identity
// (the sealed identity, its masked form, the phone and e-mail lookup hashes
// and the e-mail Message-ID), its attachments (rows, and the files no other
// record uses), and the bodies of its messages with the reporter (the
// office's formal written reply is the office's own record and stays).
// Statistics, decisions, eligibility and the audit log survive: the audit
// holds hashes and counts, never the erased text.
//
// A case counts as closed from its closed_at (closed or refused); a merged
// case follows the case it was merged into. A case is never erased early:
// not while the reporter may still ask for a review of the reply (the
// review window is open), nor while a decision on it awaits approval or an
// appeal against one is undecided, nor in review.
//
// Every erasure is audited (one entry per case and kind) and noted in the
// case's staff history. `mashang jobs run retention` runs it (with
// --dry-run, it only lists), and serve runs it on an interval, under a lease
// so that one instance at a time does.
package retention

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"mashang/internal/attach"
	"mashang/internal/audit"
	"mashang/internal/civil"
	"mashang/internal/clock"
	"mashang/internal/docket"
	"mashang/internal/store"
)

// Job is the job's name (`mashang jobs run retention`).
const Job = "retention"

// Lease is how long a run may hold the job's lease.
const Lease = 30 * time.Minute

// Never is a period that keeps for ever (config.Never).
const Never = -1

// Periods are the days after closing until each kind goes.
type Periods struct {
	Identities  int
	Attachments int
	Messages    int
}

// Service runs the retention job.
type Service struct {
	DB      *store.DB
	Record  *docket.Store // writes the case record
	Clock   clock.Clock
	Loc     *time.Location
	Files   *attach.Store
	Periods Periods
	// Refresh rebuilds the search documents of cases whose messages were
	// emptied (search.Index.Refresh), inside the erasing transaction.
	Refresh func(ctx context.Context, tx *sql.Tx, ids []int64) error
	Log     *slog.Logger
	holder  string
}

// Case is one case the job erased something of (or would).
type Case struct {
	ID          int64  `json:"id"`
	ClosedAt    string `json:"closed_at"`
	Identity    bool   `json:"identity"`
	Attachments int    `json:"attachments"`
	Bytes       int64  `json:"bytes"`
	Messages    int    `json:"messages"`
}

// Held is a case past a period that is kept for now, and why.
type Held struct {
	ID     int64  `json:"id"`
	Reason string `json:"reason"`
}

// Result says what a run did.
type Result struct {
	Ran    bool   `json:"ran"` // false: another instance holds the lease
	DryRun bool   `json:"dry_run"`
	Cases  []Case `json:"cases"`
	Held   []Held `json:"held"`
	Files  int    `json:"files"` // attachment files removed from disk
}

// Line renders c as the job prints it: one line per case, with its id.
func (c Case) Line(dry bool) string {
	var what []string
	if c.Identity {
		what = append(what, "identity")
	}
	if c.Attachments > 0 {
		what = append(what, fmt.Sprintf("%d attachments (%d bytes)", c.Attachments, c.Bytes))
	}
	if c.Messages > 0 {
		what = append(what, fmt.Sprintf("%d message bodies", c.Messages))
	}
	verb := "erased"
	if dry {
		verb = "would erase"
	}
	return fmt.Sprintf("case %d (closed %s): %s %s", c.ID, c.ClosedAt[:10], verb, strings.Join(what, ", "))
}

// cutoff returns the instant before which a case closed is past period
// days, and whether the period is in force at all.
func (s *Service) cutoff(days int) (string, bool) {
	if days < 0 {
		return "", false
	}
	return store.FormatInstant(s.Clock.Now().Add(-time.Duration(days) * 24 * time.Hour)), true
}

// The states of a case that is over: closed or refused, and merged into one.
var (
	merged        = "'" + string(docket.Merged) + "'"
	ended         = docket.SQLList(docket.Closed, docket.Refused)
	endedOrMerged = docket.SQLList(docket.Closed, docket.Refused, docket.Merged)
)

// candidates selects, by id after after, cases closed before the latest
// cutoff in force that still hold something a period covers.
var candidates = `
SELECT c.id, x.closed_at,
       c.identity IS NOT NULL OR c.identity_mask <> '' OR c.phone_hash IS NOT NULL OR c.email_hash IS NOT NULL OR c.message_id IS NOT NULL,
       (SELECT COUNT(*) FROM attachments a WHERE a.case_id = c.id),
       (SELECT COUNT(*) FROM messages m WHERE m.case_id = c.id AND m.direction IN ('from_reporter', 'to_reporter') AND m.body <> ''),
       CASE
         WHEN COALESCE(x.review_request_by, '') >= $3 THEN 'the reporter may still ask for a review (until ' || x.review_request_by || ')'
         WHEN EXISTS (SELECT 1 FROM decisions d JOIN appeals ap ON ap.decision_id = d.id WHERE d.case_id IN (c.id, x.root) AND ap.outcome = '') THEN 'an appeal against a decision on it is undecided'
         WHEN EXISTS (SELECT 1 FROM decisions d WHERE d.case_id IN (c.id, x.root) AND d.status = 'pending') THEN 'a decision on it awaits approval'
         ELSE ''
       END
FROM cases c
JOIN (SELECT k.id,
             CASE WHEN k.state = ` + merged + ` THEN m.closed_at ELSE k.closed_at END AS closed_at,
             CASE WHEN k.state = ` + merged + ` THEN m.review_request_by ELSE k.review_request_by END AS review_request_by,
             COALESCE(m.id, k.id) AS root
      FROM cases k LEFT JOIN cases m ON m.id = k.merged_into AND m.state IN ` + ended + `
      WHERE k.state IN ` + endedOrMerged + ` AND k.id > $1) x ON x.id = c.id
WHERE x.closed_at IS NOT NULL AND x.closed_at < $2
ORDER BY c.id
LIMIT 500`

// Run erases (or, dry, lists) what the periods say is due. On a dry run it
// changes nothing and takes no lease.
func (s *Service) Run(ctx context.Context, dry bool) (Result, error) {
	res := Result{DryRun: dry, Cases: []Case{}, Held: []Held{}}
	now := s.Clock.Now()
	cuts := map[string]string{}
	latest := ""
	for kind, days := range map[string]int{"identity": s.Periods.Identities, "attachments": s.Periods.Attachments, "messages": s.Periods.Messages} {
		if c, ok := s.cutoff(days); ok {
			cuts[kind] = c
			latest = max(latest, c)
		}
	}
	if latest == "" {
		res.Ran = true
		return res, nil // every period is never
	}
	if !dry {
		if s.holder == "" {
			s.holder = store.NewHolder()
		}
		ok, err := s.DB.AcquireLease(ctx, Job, s.holder, now, Lease)
		if err != nil || !ok {
			return res, err
		}
		defer s.DB.ReleaseLease(context.WithoutCancel(ctx), Job, s.holder)
	}
	res.Ran = true
	today := civil.In(now, s.Loc).String()
	var after int64
	for {
		type cand struct {
			Case
			hasIdentity bool
			held        string
		}
		var batch []cand
		rows, err := s.DB.Read.QueryContext(ctx, candidates, after, latest, today)
		if err != nil {
			return res, fmt.Errorf("retention: find cases: %w", err)
		}
		for rows.Next() {
			var c cand
			if err := rows.Scan(&c.ID, &c.ClosedAt, &c.hasIdentity, &c.Attachments, &c.Messages, &c.held); err != nil {
				rows.Close()
				return res, fmt.Errorf("retention: find cases: %w", err)
			}
			batch = append(batch, c)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return res, err
		}
		if len(batch) == 0 {
			return res, nil
		}
		after = batch[len(batch)-1].ID
		for _, c := range batch {
			due := func(kind string) bool { cut, ok := cuts[kind]; return ok && c.ClosedAt < cut }
			one := Case{ID: c.ID, ClosedAt: c.ClosedAt, Identity: c.hasIdentity && due("identity")}
			if due("attachments") {
				one.Attachments = c.Attachments
			}
			if due("messages") {
				one.Messages = c.Messages
			}
			if !one.Identity && one.Attachments == 0 && one.Messages == 0 {
				continue
			}
			if c.held != "" {
				res.Held = append(res.Held, Held{ID: c.ID, Reason: c.held})
				continue
			}
			if dry {
				if one.Attachments > 0 {
					if err := s.DB.Read.QueryRowContext(ctx, `SELECT COALESCE(SUM(size), 0) FROM attachments WHERE case_id = $1`, c.ID).Scan(&one.Bytes); err != nil {
						return res, err
					}
				}
				res.Cases = append(res.Cases, one)
				continue
			}
			done, removed, err := s.erase(ctx, one, now)
			if err != nil {
				return res, err
			}
			res.Files += removed
			res.Cases = append(res.Cases, done)
		}
	}
}

// erase removes what is due of one case in one transaction, with its audit
// entries and history, then the files no record uses any more.
func (s *Service) erase(ctx context.Context, c Case, now time.Time) (Case, int, error) {
	var shas []string
	var out Case
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		out, shas = c, nil
		out.Bytes = 0
		subject := fmt.Sprintf("case:%d", c.ID)
		record := func(action docket.Action, data map[string]any) error {
			data["closed_at"] = c.ClosedAt
			if err := s.Record.Append(ctx, tx, docket.Event{Case: c.ID, At: now, Actor: "system:retention", Action: action, Data: data}); err != nil {
				return fmt.Errorf("retention: history of case %d: %w", c.ID, err)
			}
			return audit.Append(ctx, tx, now, audit.Record{Actor: "system:retention", Action: "retention." + string(action), Subject: subject, Data: data})
		}
		if c.Identity {
			if err := s.Record.Update(ctx, tx, c.ID, 0, new(docket.Change).EraseIdentity(), now); err != nil {
				return fmt.Errorf("retention: erase identity of case %d: %w", c.ID, err)
			}
			if err := record(docket.IdentityErased, map[string]any{"period_days": s.Periods.Identities}); err != nil {
				return err
			}
		}
		if c.Attachments > 0 {
			rows, err := tx.QueryContext(ctx, `SELECT sha256, size FROM attachments WHERE case_id = $1`, c.ID)
			if err != nil {
				return err
			}
			n := 0
			for rows.Next() {
				var sha string
				var size int64
				if err := rows.Scan(&sha, &size); err != nil {
					rows.Close()
					return err
				}
				shas = append(shas, sha)
				out.Bytes += size
				n++
			}
			rows.Close()
			if _, err := tx.ExecContext(ctx, `DELETE FROM attachments WHERE case_id = $1`, c.ID); err != nil {
				return fmt.Errorf("retention: remove attachments of case %d: %w", c.ID, err)
			}
			out.Attachments = n
			if err := record(docket.AttachmentsRemoved, map[string]any{"period_days": s.Periods.Attachments, "count": n, "bytes": out.Bytes, "sha256": shas}); err != nil {
				return err
			}
		}
		if c.Messages > 0 {
			r, err := tx.ExecContext(ctx, `UPDATE messages SET body = '' WHERE case_id = $1 AND direction IN ('from_reporter', 'to_reporter') AND body <> ''`, c.ID)
			if err != nil {
				return fmt.Errorf("retention: remove message bodies of case %d: %w", c.ID, err)
			}
			n, _ := r.RowsAffected()
			out.Messages = int(n)
			// The reporter's words also stand in their review requests' history.
			if err := s.Record.StripReviewReasons(ctx, tx, c.ID); err != nil {
				return err
			}
			if s.Refresh != nil {
				if err := s.Refresh(ctx, tx, []int64{c.ID}); err != nil {
					return err
				}
			}
			if err := record(docket.MessagesRemoved, map[string]any{"period_days": s.Periods.Messages, "count": n}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return out, 0, err
	}
	removed := 0
	for _, sha := range shas {
		var one int
		err := s.DB.Read.QueryRowContext(ctx, `SELECT 1 FROM attachments WHERE sha256 = $1 UNION ALL SELECT 1 FROM inspection_attachments WHERE sha256 = $1 LIMIT 1`, sha).Scan(&one)
		if !errors.Is(err, sql.ErrNoRows) || s.Files == nil {
			continue // still used elsewhere (the same content on another case), or unknown
		}
		ok, err := s.Files.Remove(ctx, sha)
		if ok {
			removed++
		} else if err != nil && s.Log != nil {
			s.Log.Warn("retention: could not remove an attachment file", "sha256", sha, "err", err)
		}
	}
	return out, removed, nil
}

// RunEvery runs the job now and every interval until ctx ends.
func (s *Service) RunEvery(ctx context.Context, interval time.Duration, log *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		// Once per interval across the instances sharing the database.
		claimed, err := s.DB.ClaimRun(ctx, Job, s.Clock.Now(), interval)
		var res Result
		if claimed {
			res, err = s.Run(ctx, false)
		}
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			log.Error("retention failed", "err", err)
		case res.Ran && (len(res.Cases) > 0 || len(res.Held) > 0):
			log.Info("retention", "cases", len(res.Cases), "held", len(res.Held), "files_removed", res.Files)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
