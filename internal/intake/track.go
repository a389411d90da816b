package intake

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"mashang/internal/audit"
	"mashang/internal/civil"
	"mashang/internal/docket"
	"mashang/internal/problem"
	"mashang/internal/ratelimit"
	"mashang/internal/receipt"
	"mashang/internal/store"
)

// Languages of the reporter's view.
const (
	LangZhCN = docket.LangZhCN
	LangZhTW = docket.LangZhTW
	LangEn   = docket.LangEn
)

// ErrUnknownReceipt is the one answer to an unknown receipt and to a wrong
// key alike: the two must not be told apart.
var ErrUnknownReceipt = receipt.ErrUnknown

var errTooManyTries = problem.TooMany("too_many_tries", "尝试次数过多，请稍后再试", "too many wrong tries; please wait and try again later")

// limiter is the per-address limit of wrong receipt/key pairs, counted on
// the shared counter (the database's on PostgreSQL).
type limiter struct {
	mu  sync.Mutex
	f   ratelimit.Failures
	off bool
}

// SetRatePolicy replaces the per-address policy for wrong receipt/key pairs
// (tests use short delays) and turns the limit on or off.
func (s *Service) SetRatePolicy(p ratelimit.Policy, on bool) {
	s.lim.mu.Lock()
	defer s.lim.mu.Unlock()
	s.lim.f.Policy = p
	s.lim.off = !on
}

func (s *Service) limiter() (ratelimit.Failures, bool) {
	s.lim.mu.Lock()
	defer s.lim.mu.Unlock()
	return s.lim.f, !s.lim.off
}

// caseRef is a case the reporter proved to be theirs.
type caseRef struct {
	id      int64
	receipt string
}

// Authenticate checks a receipt and key presented by a reporter from addr.
// An unknown receipt and a wrong key give the same error (ErrUnknownReceipt)
// after the same work; repeated failures from one address are slowed, then
// refused (429), unless the limit is off.
func (s *Service) authenticate(ctx context.Context, addr, code, key string) (caseRef, error) {
	if err := s.admitTrack(ctx, addr); err != nil {
		return caseRef{}, err
	}
	lim, on := s.limiter()
	limKey := "track:" + s.d.Vault.KeyedHash("flood-addr", addr)
	if on {
		v, err := lim.Check(ctx, limKey)
		if err != nil {
			return caseRef{}, fmt.Errorf("intake: %w", err)
		}
		if v.Blocked {
			return caseRef{}, errTooManyTries.RetryIn(v.Retry)
		}
		if v.Delay > 0 {
			t := time.NewTimer(v.Delay)
			select {
			case <-ctx.Done():
				t.Stop()
				return caseRef{}, ctx.Err()
			case <-t.C:
			}
		}
	}
	ref := caseRef{}
	c, ok, err := receipt.Check(code, key, func(c string) ([]byte, bool, error) {
		var h []byte
		err := s.d.DB.Read.QueryRowContext(ctx, `SELECT id, key_hash FROM cases WHERE receipt = $1`, c).Scan(&ref.id, &h)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, false, nil
		}
		return h, err == nil, err
	})
	if err != nil {
		return caseRef{}, fmt.Errorf("intake: look up receipt: %w", err)
	}
	ref.receipt = c
	if !ok {
		if on {
			if err := lim.Fail(ctx, limKey); err != nil {
				return caseRef{}, fmt.Errorf("intake: %w", err)
			}
		}
		return caseRef{}, ErrUnknownReceipt
	}
	return ref, nil
}

// Deadlines are a case's deadlines with a sentence saying them in plain words.
type Deadlines struct {
	AcceptBy    *civil.Date `json:"accept_by"`
	FinishBy    *civil.Date `json:"finish_by"`
	Provisional bool        `json:"provisional"`
	Text        string      `json:"text"`
}

// TimelineItem is one public step of a case, in the reporter's language.
type TimelineItem struct {
	At     time.Time `json:"at"`
	Action string    `json:"action"`
	Text   string    `json:"text"`
}

// ReporterMessage is a message as the reporter sees it: from "office" or
// "you", never a staff member's name.
type ReporterMessage struct {
	At   time.Time `json:"at"`
	From string    `json:"from"`
	Body string    `json:"body"`
}

// TrackView is what a reporter sees of their case.
type TrackView struct {
	Receipt    string            `json:"receipt"`
	State      docket.State      `json:"state"`
	StateText  string            `json:"state_text"`
	ReceivedAt time.Time         `json:"received_at"`
	Deadlines  Deadlines         `json:"deadlines"`
	Timeline   []TimelineItem    `json:"timeline"`
	Replies    []ReporterMessage `json:"replies"`
	Messages   []ReporterMessage `json:"messages"`
	// Merged is true when the office folded this report into another case
	// on the same matter; state, deadlines and replies are then that case's.
	Merged bool `json:"merged"`
	// LogEntry is the public audit log's entry that recorded the report's
	// registration (its leaf is LogEntry−1), and LogEntryHash that entry's
	// SHA-256 (the leaf is its RFC 6962 record hash). A reporter who keeps
	// both can later prove, with a signed checkpoint and an inclusion proof
	// from /public/log/inclusion, that the office had the report: the entry
	// records the receipt code, and no other entry has that hash.
	LogEntry     int64  `json:"log_entry"`
	LogEntryHash string `json:"log_entry_hash"`
	// CaseID is the reporter's own case (its formal notices are theirs);
	// OfficeID the office that now handles the matter (its contacts).
	CaseID   int64 `json:"-"`
	OfficeID int64 `json:"-"`
}

// text picks zh or en for lang, converting to Traditional for zh-TW.
func (s *Service) text(lang, zh, en string) string {
	switch lang {
	case LangEn:
		if en != "" {
			return en
		}
		return zh
	case LangZhTW:
		if s.d.Localizer != nil && zh != "" {
			if t, err := s.d.Localizer.Traditional(zh); err == nil {
				return t
			}
		}
	}
	if zh == "" {
		return en
	}
	return zh
}

func zhDate(d civil.Date) string { return fmt.Sprintf("%d年%d月%d日", d.Year, int(d.Month), d.Day) }
func enDate(d civil.Date) string { return fmt.Sprintf("%d %s %d", d.Day, d.Month.String(), d.Year) }

// deadlineText says the deadlines in plain words.
func (s *Service) deadlineText(lang string, state docket.State, d Deadlines) string {
	var zh, en []string
	switch {
	case d.FinishBy != nil && (state == docket.Accepted || state == docket.Investigating || state == docket.Review):
		zh = append(zh, "办理期限："+zhDate(*d.FinishBy)+"前办结并书面答复。")
		en = append(en, "The office is to finish and answer you in writing by "+enDate(*d.FinishBy)+".")
	case d.AcceptBy != nil && state == docket.Registered:
		zh = append(zh, "我们将在"+zhDate(*d.AcceptBy)+"前告知是否受理。")
		en = append(en, "The office will tell you by "+enDate(*d.AcceptBy)+" whether your report is accepted.")
	case state == docket.Closed || state == docket.Concluded || state == docket.Refused || state == docket.Transferred:
		zh = append(zh, "本事项已有结果，见答复。")
		en = append(en, "This matter has an outcome; see the replies.")
	}
	if d.Provisional && len(zh) > 0 {
		zh = append(zh, "（该年度节假日安排尚未公布，日期可能调整。）")
		en = append(en, "(The holiday calendar for that year is not yet published; the date may change.)")
	}
	return s.text(lang, strings.Join(zh, ""), strings.Join(en, " "))
}

// Track returns the reporter's view of the case with receipt code and key,
// presented from addr, in lang. A merged case shows the progress of the
// case it was merged into.
func (s *Service) Track(ctx context.Context, addr, code, key, lang string) (TrackView, error) {
	ref, err := s.authenticate(ctx, addr, code, key)
	if err != nil {
		return TrackView{}, err
	}
	v := TrackView{Receipt: ref.receipt, Timeline: []TimelineItem{}, Replies: []ReporterMessage{}, Messages: []ReporterMessage{}}
	var received store.Instant
	var state docket.State
	var mergedInto sql.NullInt64
	if err := s.d.DB.Read.QueryRowContext(ctx, `SELECT state, received_at, merged_into FROM cases WHERE id = $1`, ref.id).Scan(&state, &received, &mergedInto); err != nil {
		return TrackView{}, fmt.Errorf("intake: read case: %w", err)
	}
	v.ReceivedAt = received.In(s.d.Loc)
	if v.LogEntry, v.LogEntryHash, err = audit.EntryOf(ctx, s.d.DB.Read, fmt.Sprintf("case:%d", ref.id), "case.register"); err != nil {
		return TrackView{}, err
	}
	// Follow merged_into (bounded, in case of a cycle) to the surviving case.
	ids := []int64{ref.id}
	cur := ref.id
	for hop := 0; mergedInto.Valid && hop < 8; hop++ {
		v.Merged = true
		cur = mergedInto.Int64
		ids = append(ids, cur)
		if err := s.d.DB.Read.QueryRowContext(ctx, `SELECT state, merged_into FROM cases WHERE id = $1`, cur).Scan(&state, &mergedInto); err != nil {
			return TrackView{}, fmt.Errorf("intake: read merged case: %w", err)
		}
	}
	var acceptBy, finishBy sql.NullString
	if err := s.d.DB.Read.QueryRowContext(ctx, `SELECT accept_by, finish_by, provisional FROM cases WHERE id = $1`, cur).Scan(&acceptBy, &finishBy, &v.Deadlines.Provisional); err != nil {
		return TrackView{}, fmt.Errorf("intake: read deadlines: %w", err)
	}
	v.CaseID = ref.id
	if err := s.d.DB.Read.QueryRowContext(ctx, `SELECT office_id FROM cases WHERE id = $1`, cur).Scan(&v.OfficeID); err != nil {
		return TrackView{}, fmt.Errorf("intake: read the office: %w", err)
	}
	v.Deadlines.AcceptBy = civil.FromNull(acceptBy)
	v.Deadlines.FinishBy = civil.FromNull(finishBy)
	v.State = state
	v.StateText = state.PublicLabel(lang)
	v.Deadlines.Text = s.deadlineText(lang, state, v.Deadlines)

	// Public events of this case and of the cases it was merged into.
	for _, id := range ids {
		rows, err := s.d.DB.Read.QueryContext(ctx, `SELECT at, action, data FROM case_events WHERE case_id = $1 AND public = TRUE ORDER BY id`, id)
		if err != nil {
			return TrackView{}, fmt.Errorf("intake: read events: %w", err)
		}
		for rows.Next() {
			var at store.Instant
			var action, data string
			if err := rows.Scan(&at, &action, &data); err != nil {
				rows.Close()
				return TrackView{}, fmt.Errorf("intake: read events: %w", err)
			}
			var t docket.Words
			_ = json.Unmarshal([]byte(data), &t)
			txt := s.text(lang, t.ZH, t.EN)
			v.Timeline = append(v.Timeline, TimelineItem{At: at.In(s.d.Loc), Action: action, Text: txt})
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return TrackView{}, fmt.Errorf("intake: read events: %w", err)
		}
	}
	sortTimeline(v.Timeline)
	// Replies: of this case and the surviving ones; messages: this case's own
	// conversation only (another reporter's messages are not theirs to see).
	for i, id := range ids {
		rows, err := s.d.DB.Read.QueryContext(ctx, `SELECT at, direction, body FROM messages WHERE case_id = $1 ORDER BY id`, id)
		if err != nil {
			return TrackView{}, fmt.Errorf("intake: read messages: %w", err)
		}
		for rows.Next() {
			var at store.Instant
			var dir, body string
			if err := rows.Scan(&at, &dir, &body); err != nil {
				rows.Close()
				return TrackView{}, fmt.Errorf("intake: read messages: %w", err)
			}
			m := ReporterMessage{At: at.In(s.d.Loc), From: "office", Body: body}
			switch {
			case dir == DirReply:
				v.Replies = append(v.Replies, m)
			case i > 0:
			case dir == DirFromReporter:
				m.From = "you"
				v.Messages = append(v.Messages, m)
			case dir == DirToReporter:
				v.Messages = append(v.Messages, m)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return TrackView{}, fmt.Errorf("intake: read messages: %w", err)
		}
	}
	return v, nil
}

func sortTimeline(t []TimelineItem) {
	// insertion sort: short lists, stable by time
	for i := 1; i < len(t); i++ {
		for j := i; j > 0 && t[j].At.Before(t[j-1].At); j-- {
			t[j], t[j-1] = t[j-1], t[j]
		}
	}
}

// Message directions.
const (
	DirToReporter   = "to_reporter"
	DirFromReporter = "from_reporter"
	DirReply        = "reply"
)

var (
	errBodyEmpty = problem.Invalid("body", "body_empty", "消息内容不能为空", "the message is empty")
	errBodyLong  = problem.Invalid("body", "body_too_long", fmt.Sprintf("消息不能超过 %d 字", MaxMessageRunes), fmt.Sprintf("the message is longer than %d characters", MaxMessageRunes))
)

func checkBody(body string) (string, error) {
	if !utf8.ValidString(body) || strings.ContainsRune(body, 0) {
		return "", errBadUTF8.WithField("body")
	}
	b := strings.TrimSpace(body)
	if b == "" {
		return "", errBodyEmpty
	}
	if utf8.RuneCountInString(b) > MaxMessageRunes {
		return "", errBodyLong
	}
	return b, nil
}

// ReporterWrite stores a message from the reporter (proved by receipt and
// key, from addr) on their case. It is durable when it returns.
func (s *Service) ReporterWrite(ctx context.Context, addr, code, key, body string) error {
	b, err := checkBody(body)
	if err != nil {
		// Check the pair first so that a bad body does not reveal a receipt.
		if _, aerr := s.authenticate(ctx, addr, code, key); aerr != nil {
			return aerr
		}
		return err
	}
	ref, err := s.authenticate(ctx, addr, code, key)
	if err != nil {
		return err
	}
	now := s.d.Clock.Now()
	return s.d.DB.Batch(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO messages (case_id, at, direction, author, body) VALUES ($1,$2,$3,'',$4)`, ref.id, store.FormatInstant(now), DirFromReporter, b); err != nil {
			return fmt.Errorf("intake: insert message: %w", err)
		}
		return audit.Append(ctx, tx, now, audit.Record{Actor: "reporter", Action: "case.message.from_reporter", Subject: fmt.Sprintf("case:%d", ref.id), Data: map[string]any{"chars": utf8.RuneCountInString(b)}})
	})
}

// AuthenticateReporter checks a receipt and key presented from addr and
// returns the case id, with the same constant-time comparison and the same
// per-address slowing and refusing as tracking. The case handling service
// uses it for review requests and ratings.
func (s *Service) AuthenticateReporter(ctx context.Context, addr, code, key string) (int64, error) {
	ref, err := s.authenticate(ctx, addr, code, key)
	return ref.id, err
}
