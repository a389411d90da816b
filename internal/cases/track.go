package cases

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"mashang/internal/audit"
	"mashang/internal/civil"
	"mashang/internal/problem"
	"mashang/internal/receipt"
	"mashang/internal/store"
)

// ErrUnknownReceipt answers an unknown receipt and a wrong key alike (the
// same code and text as intake's).
var ErrUnknownReceipt = receipt.ErrUnknown

// Authenticator checks a reporter's receipt and key presented from addr and
// returns the case id they open (before following merged_into).
type Authenticator func(ctx context.Context, addr, code, key string) (int64, error)

// VerifyReceipt is the plain receipt+key check (no per-address limit): an
// unknown receipt and a wrong key take the same work and give the same
// ErrUnknownReceipt. Service.Authenticate, when set (to intake's check with
// its per-address limit), is used instead.
func VerifyReceipt(ctx context.Context, db *sql.DB, code, key string) (int64, error) {
	var id int64
	_, ok, err := receipt.Check(code, key, func(c string) ([]byte, bool, error) {
		var h []byte
		err := db.QueryRowContext(ctx, `SELECT id, key_hash FROM cases WHERE receipt = $1`, c).Scan(&id, &h)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, false, nil
		}
		return h, err == nil, err
	})
	if err != nil {
		return 0, fmt.Errorf("cases: look up receipt: %w", err)
	}
	if !ok {
		return 0, ErrUnknownReceipt
	}
	return id, nil
}

func (s *Service) reporterCase(ctx context.Context, addr, code, key string) (int64, error) {
	var id int64
	var err error
	if s.Authenticate != nil {
		id, err = s.Authenticate(ctx, addr, code, key)
	} else {
		id, err = VerifyReceipt(ctx, s.db.Read, code, key)
	}
	if err != nil {
		return 0, err
	}
	return s.survivor(ctx, s.db.Read, id)
}

// survivor follows merged_into (bounded) to the case that carries on.
func (s *Service) survivor(ctx context.Context, q interface {
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}, id int64) (int64, error) {
	for hop := 0; hop < 8; hop++ {
		var into sql.NullInt64
		if err := q.QueryRowContext(ctx, `SELECT merged_into FROM cases WHERE id = $1`, id).Scan(&into); err != nil {
			return 0, fmt.Errorf("cases: follow merge: %w", err)
		}
		if !into.Valid {
			return id, nil
		}
		id = into.Int64
	}
	return id, nil
}

// ReviewResult answers a review request.
type ReviewResult struct {
	CaseID   int64      `json:"-"`
	Round    int        `json:"round"`     // 1: 复查, 2: 复核
	Kind     string     `json:"kind"`      // review (复查) | re_examination (复核)
	KindZH   string     `json:"kind_zh"`   // 复查 | 复核
	State    string     `json:"state"`     // review
	AnswerBy civil.Date `json:"answer_by"` // the office answers by then
}

// RequestReview records the reporter's request for review of the reply
// (复查 the first time, 复核 the second) and reopens the closed case into
// state review with an answer deadline of Limits.ReviewAnswer. It is 409 when
// the case is not closed after a reply, when the request comes after
// Limits.ReviewRequest from the reply, and the third time.
func (s *Service) RequestReview(ctx context.Context, addr, code, key, reason string) (ReviewResult, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return ReviewResult{}, problem.Required("reason")
	}
	if utf8.RuneCountInString(reason) > MaxTextLen {
		return ReviewResult{}, problem.Invalid("reason", "too_long", "理由过长", "the reason is too long")
	}
	id, err := s.reporterCase(ctx, addr, code, key)
	if err != nil {
		return ReviewResult{}, err
	}
	now, today := s.now(), s.today()
	var res ReviewResult
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		var state string
		var version int64
		var count int
		var requestBy civil.Date
		if err := tx.QueryRowContext(ctx, `SELECT state, version, review_count, review_request_by FROM cases WHERE id = $1`, id).
			Scan(&state, &version, &count, &requestBy); err != nil {
			return fmt.Errorf("cases: read case for review: %w", err)
		}
		switch {
		case count >= 2:
			return problem.Conflict("review_exhausted", "本事项已经复核，不再受理复查或复核申请", "this matter has already been re-examined (复核); it is not reviewed again")
		case state != Closed || requestBy.IsZero():
			return problem.Conflict("review_not_open", "只有已书面答复并结案的事项才能申请复查或复核", "a review can be asked for only after the written reply, once the case is closed")
		case today.After(requestBy):
			return problem.Conflict("review_window_passed", fmt.Sprintf("申请期限已于 %s 届满（答复后 %s）", requestBy, s.limits.ReviewRequest),
				fmt.Sprintf("the time to ask for a review ended on %s (%s after the reply)", requestBy, s.limits.ReviewRequest))
		}
		res = ReviewResult{CaseID: id, Round: count + 1, State: Review}
		res.Kind, res.KindZH = "review", "复查"
		if res.Round == 2 {
			res.Kind, res.KindZH = "re_examination", "复核"
		}
		r, err := tx.ExecContext(ctx, `UPDATE cases SET state = 'review', review_count = $3, review_requested_on = $4, replied = FALSE,
			closed_at = NULL, updated_at = $5, version = version + 1 WHERE id = $1 AND version = $2`,
			id, version, res.Round, today, store.FormatInstant(now))
		if err != nil {
			return fmt.Errorf("cases: open review: %w", err)
		}
		if n, _ := r.RowsAffected(); n != 1 {
			return errVersion
		}
		d, err := s.recompute(ctx, tx, s.calendar(), id)
		if err != nil {
			return err
		}
		res.AnswerBy = d.ReviewBy
		if err := s.markDue(ctx, tx, id, now); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO messages (case_id, at, direction, author, body) VALUES ($1, $2, 'from_reporter', '', $3)`,
			id, store.FormatInstant(now), reason); err != nil {
			return fmt.Errorf("cases: store review reason: %w", err)
		}
		if err := addEvent(ctx, tx, id, now, "reporter", "review_request", map[string]any{"round": res.Round, "kind": res.Kind, "reason": reason, "answer_by": d.ReviewBy}, false); err != nil {
			return err
		}
		pub := words("已收到您的%s申请，本办将于 %s 前答复。", "Your request for %s was received; the office will answer by %s.",
			[]any{res.KindZH, d.ReviewBy}, []any{map[int]string{1: "a review (复查)", 2: "a re-examination (复核)"}[res.Round], d.ReviewBy})
		if err := addEvent(ctx, tx, id, now, "office", "review_request", pub, true); err != nil {
			return err
		}
		return audit.Append(ctx, tx, now, audit.Record{Actor: "reporter", Action: "case.review_request", Subject: fmt.Sprintf("case:%d", id),
			Data: map[string]any{"round": res.Round, "answer_by": d.ReviewBy}})
	})
	return res, err
}

// Rate stores the reporter's rating of the reply (satisfied,
// basically_satisfied or dissatisfied); a later rating replaces an earlier
// one. 409 before there is a reply.
func (s *Service) Rate(ctx context.Context, addr, code, key, rating string) error {
	switch rating {
	case Satisfied, BasicallySatisfied, Dissatisfied:
	case "":
		return problem.Required("rating")
	default:
		return problem.Invalid("rating", "invalid_rating", "评价应为 satisfied、basically_satisfied 或 dissatisfied", "rating must be satisfied, basically_satisfied or dissatisfied")
	}
	id, err := s.reporterCase(ctx, addr, code, key)
	if err != nil {
		return err
	}
	now := s.now()
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		var repliedOn civil.Date
		if err := tx.QueryRowContext(ctx, `SELECT replied_on FROM cases WHERE id = $1`, id).Scan(&repliedOn); err != nil {
			return fmt.Errorf("cases: read case for rating: %w", err)
		}
		if repliedOn.IsZero() {
			return problem.Conflict("no_reply_yet", "本办尚未作出书面答复，暂不能评价", "there is no written reply to rate yet")
		}
		if _, err := tx.ExecContext(ctx, `UPDATE cases SET rating = $2, rated_at = $3 WHERE id = $1`, id, rating, store.FormatInstant(now)); err != nil {
			return fmt.Errorf("cases: store rating: %w", err)
		}
		if err := addEvent(ctx, tx, id, now, "reporter", "rating", map[string]any{"rating": rating}, false); err != nil {
			return err
		}
		return audit.Append(ctx, tx, now, audit.Record{Actor: "reporter", Action: "case.rating", Subject: fmt.Sprintf("case:%d", id), Data: map[string]any{"rating": rating}})
	})
}
