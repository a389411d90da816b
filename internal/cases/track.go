package cases

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"mashang/internal/audit"
	"mashang/internal/civil"
	"mashang/internal/docket"
	"mashang/internal/problem"
	"mashang/internal/receipt"
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
	CaseID   int64        `json:"-"`
	Round    int          `json:"round"`     // 1: 复查, 2: 复核
	Kind     string       `json:"kind"`      // review (复查) | re_examination (复核)
	KindZH   string       `json:"kind_zh"`   // 复查 | 复核
	State    docket.State `json:"state"`     // review
	AnswerBy civil.Date   `json:"answer_by"` // the office answers by then
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
	var res ReviewResult
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		res, err = s.ReviewInTx(ctx, tx, id, reason, "reporter")
		return err
	})
	return res, err
}

// ReviewInTx opens the review of case id in tx, as RequestReview does once
// the reporter is known: actor is "reporter", or the staff member who asks
// on the reporter's behalf (a clerk's callback: the reporter, dissatisfied,
// asked for it on the telephone).
func (s *Service) ReviewInTx(ctx context.Context, tx *sql.Tx, id int64, reason, actor string) (ReviewResult, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return ReviewResult{}, problem.Required("reason")
	}
	if utf8.RuneCountInString(reason) > MaxTextLen {
		return ReviewResult{}, problem.Invalid("reason", "too_long", "理由过长", "the reason is too long")
	}
	now, today := s.now(), s.today()
	var res ReviewResult
	err := func() error {
		var state docket.State
		var version int64
		var count int
		var requestBy civil.Date
		var limits string
		if err := tx.QueryRowContext(ctx, `SELECT state, version, review_count, review_request_by, time_limits FROM cases WHERE id = $1`, id).
			Scan(&state, &version, &count, &requestBy, &limits); err != nil {
			return fmt.Errorf("cases: read case for review: %w", err)
		}
		switch {
		case count >= 2:
			return problem.Conflict("review_exhausted", "本事项已经复核，不再受理复查或复核申请", "this matter has already been re-examined (复核); it is not reviewed again")
		case state != docket.Closed || requestBy.IsZero():
			return problem.Conflict("review_not_open", "只有已书面答复并结案的事项才能申请复查或复核", "a review can be asked for only after the written reply, once the case is closed")
		case today.After(requestBy):
			return problem.Conflict("review_window_passed", fmt.Sprintf("申请期限已于 %s 届满（答复后 %s）", requestBy, s.caseLimits(limits).ReviewRequest),
				fmt.Sprintf("the time to ask for a review ended on %s (%s after the reply)", requestBy, s.caseLimits(limits).ReviewRequest))
		}
		res = ReviewResult{CaseID: id, Round: count + 1, State: docket.Review}
		res.Kind, res.KindZH = "review", "复查"
		if res.Round == 2 {
			res.Kind, res.KindZH = "re_examination", "复核"
		}
		ch := new(docket.Change).State(docket.Review).ReviewRound(res.Round, today).Replied(false, civil.Date{}).ClosedAt(time.Time{})
		if err := s.record.Update(ctx, tx, id, version, ch, now); err != nil {
			return err
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
			id, formatInstant(now), reason); err != nil {
			return fmt.Errorf("cases: store review reason: %w", err)
		}
		data := map[string]any{"round": res.Round, "kind": res.Kind, "reason": reason, "answer_by": d.ReviewBy}
		if actor != "reporter" {
			data["on_behalf_of_reporter"] = true
		}
		if err := s.record.Append(ctx, tx, docket.Event{Case: id, At: now, Actor: actor, Action: docket.ReviewRequest, Data: data}); err != nil {
			return err
		}
		kindEN := "a review (复查)"
		if res.Round == 2 {
			kindEN = "a re-examination (复核)"
		}
		pub := docket.Words{ZH: fmt.Sprintf("已收到您的%s申请，本办将于 %s 前答复。", res.KindZH, d.ReviewBy),
			EN: fmt.Sprintf("Your request for %s was received; the office will answer by %s.", kindEN, d.ReviewBy)}
		if err := s.record.Append(ctx, tx, docket.Event{Case: id, At: now, Actor: "office", Action: docket.ReviewRequest, Data: pub, Public: true}); err != nil {
			return err
		}
		return audit.Append(ctx, tx, now, audit.Record{Actor: actor, Action: "case.review_request", Subject: fmt.Sprintf("case:%d", id),
			Data: map[string]any{"round": res.Round, "answer_by": d.ReviewBy}})
	}()
	return res, err
}

// Rate stores the reporter's rating of the reply (satisfied,
// basically_satisfied or dissatisfied); a later rating replaces an earlier
// one. 409 before there is a reply.
func (s *Service) Rate(ctx context.Context, addr, code, key string, rating docket.Rating) error {
	switch {
	case rating == "":
		return problem.Required("rating")
	case !rating.Valid():
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
		if err := s.record.Update(ctx, tx, id, 0, new(docket.Change).Rating(rating, now), now); err != nil {
			return err
		}
		if err := s.record.Append(ctx, tx, docket.Event{Case: id, At: now, Actor: "reporter", Action: docket.Rate, Data: map[string]any{"rating": rating}}); err != nil {
			return err
		}
		return audit.Append(ctx, tx, now, audit.Record{Actor: "reporter", Action: "case.rating", Subject: fmt.Sprintf("case:%d", id), Data: map[string]any{"rating": rating}})
	})
}
