package notify

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"mashang/internal/access"
	"mashang/internal/audit"
	"mashang/internal/auth"
	"mashang/internal/civil"
	"mashang/internal/mailout"
	"mashang/internal/problem"
	"mashang/internal/store"
)

// MaxAttempts is how often a row is tried before it is left failed.
const MaxAttempts = 8

// batch is how many rows one claim takes.
const batch = 20

// backoff is the pause after the n-th failed try: 30 s, 1 min, 2 min, …,
// at most an hour.
func backoff(n int) time.Duration {
	d := 30 * time.Second
	for i := 1; i < n && d < time.Hour; i++ {
		d *= 2
	}
	return min(d, time.Hour)
}

// counters count what this process did, for /metrics.
type counters struct {
	sent, failures, gaveUp atomic.Int64
}

// Result is what one run of the sender did.
type Result struct {
	Sent      int // handed to the relay or gateway
	Retried   int // failed, to be tried again later
	Failed    int // failed for good (the tries used up)
	Cancelled int // no address any more, or the consent withdrawn
	Digests   int // daily digests made
	Reminders int // appeals soon due, reminded
}

// row is a claimed outbox row.
type row struct {
	id       int64
	kind     Kind
	caseID   sql.NullInt64
	userID   sql.NullInt64
	channel  Channel
	data     map[string]any
	token    string
	attempts int
}

// SendDue sends every row that is due now: each is claimed for a while by
// this instance alone (an UPDATE that only one of several instances on one
// database can win), sent, then marked. It also makes the day's digests and
// the reminders of appeals soon due.
func (s *Service) SendDue(ctx context.Context) (Result, error) {
	var res Result
	if !s.can(Email) && !s.can(SMS) {
		return res, nil
	}
	now := s.d.Clock.Now()
	var err error
	if res.Reminders, err = s.remindAppeals(ctx, now); err != nil {
		return res, err
	}
	if res.Digests, err = s.makeDigests(ctx, now); err != nil {
		return res, err
	}
	for {
		rows, err := s.claim(ctx, now)
		if err != nil {
			return res, err
		}
		if len(rows) == 0 {
			return res, nil
		}
		for _, r := range rows {
			if err := s.deliver(ctx, r, now, &res); err != nil {
				return res, err
			}
		}
	}
}

// RunEvery runs SendDue every interval until ctx ends.
func (s *Service) RunEvery(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		res, err := s.SendDue(ctx)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			s.d.Log.Error("notifications", "err", err)
		case res != Result{}:
			s.d.Log.Info("notifications", "sent", res.Sent, "retried", res.Retried, "failed", res.Failed, "cancelled", res.Cancelled, "digests", res.Digests)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// claim takes up to batch due rows for this instance until now + 2×Timeout.
func (s *Service) claim(ctx context.Context, now time.Time) ([]row, error) {
	at := store.FormatInstant(now)
	var out []row
	err := s.d.DB.Tx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `UPDATE outbox SET claimed_by = $1, claim_until = $2, attempts = attempts + 1
			WHERE id IN (SELECT id FROM outbox WHERE status = $3 AND next_at <= $4 AND claim_until < $4 ORDER BY next_at, id LIMIT `+strconv.Itoa(batch)+`)
			AND status = $3 AND claim_until < $4
			RETURNING id, kind, case_id, user_id, channel, data, token, attempts`,
			s.holder, store.FormatInstant(now.Add(2*s.d.Timeout)), string(Pending), at)
		if err != nil {
			return fmt.Errorf("notify: claim: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var r row
			var kind, ch, data string
			if err := rows.Scan(&r.id, &kind, &r.caseID, &r.userID, &ch, &data, &r.token, &r.attempts); err != nil {
				return err
			}
			r.kind, r.channel = Kind(kind), Channel(ch)
			if err := json.Unmarshal([]byte(data), &r.data); err != nil {
				return fmt.Errorf("notify: row %d: %w", r.id, err)
			}
			out = append(out, r)
		}
		return rows.Err()
	})
	return out, err
}

// recipient is where a row goes and in what language.
type recipient struct {
	email, phone, lang string
	staff              bool
}

// deliver sends r and marks the result.
func (s *Service) deliver(ctx context.Context, r row, now time.Time, res *Result) error {
	to, vals, err := s.address(ctx, r)
	if errors.Is(err, errNoAddress) {
		res.Cancelled++
		return s.mark(ctx, r, Cancelled, now, err.Error())
	}
	if err != nil {
		return err
	}
	m := s.texts.render(r.kind, to.lang, vals)
	sctx, cancel := context.WithTimeout(ctx, s.d.Timeout)
	sendErr := s.send(sctx, r, to, m)
	cancel()
	if sendErr == nil && s.afterSend != nil {
		// A test's crash between sending and marking.
		if err := s.afterSend(r.id); err != nil {
			return err
		}
	}
	switch {
	case sendErr == nil:
		res.Sent++
		s.stats.sent.Add(1)
		return s.mark(ctx, r, Sent, now, "")
	case r.attempts >= MaxAttempts:
		res.Failed++
		s.stats.failures.Add(1)
		s.stats.gaveUp.Add(1)
		s.d.Log.Warn("notification failed for good", "id", r.id, "kind", r.kind, "channel", r.channel, "attempts", r.attempts, "err", s.scrub(sendErr, to))
		return s.mark(ctx, r, Failed, now, s.scrub(sendErr, to))
	default:
		res.Retried++
		s.stats.failures.Add(1)
		return s.retryLater(ctx, r, now, s.scrub(sendErr, to))
	}
}

// scrub is a send error as it may be stored and shown: without the address.
func (s *Service) scrub(err error, to recipient) string {
	msg := mailout.Scrub(err.Error(), to.email)
	if to.phone != "" {
		msg = strings.ReplaceAll(msg, to.phone, "[phone]")
	}
	if utf8.RuneCountInString(msg) > 500 {
		msg = string([]rune(msg)[:500]) + "…"
	}
	return msg
}

func (s *Service) send(ctx context.Context, r row, to recipient, m message) error {
	ref := fmt.Sprintf("%d.%s", r.id, r.token)
	switch r.channel {
	case Email:
		if s.d.Mail == nil {
			return errors.New("no mail relay is configured")
		}
		return s.d.Mail.SendMessage(ctx, mailout.Message{To: []string{to.email}, Subject: m.Subject, Text: m.Text, HTML: m.HTML,
			MessageID: "notify." + ref + "@" + s.d.Mail.Domain(), Lang: m.Lang,
			Headers: map[string]string{"X-Mashang-Notification": string(r.kind) + "; ref=" + ref}})
	case SMS:
		if s.d.SMS == nil {
			return errors.New("no SMS gateway is configured")
		}
		return s.d.SMS.Send(ctx, to.phone, m.SMS, ref)
	}
	return fmt.Errorf("unknown channel %q", r.channel)
}

func (s *Service) mark(ctx context.Context, r row, st Status, now time.Time, lastErr string) error {
	sentAt := sql.NullString{}
	if st == Sent {
		sentAt = sql.NullString{String: store.FormatInstant(now), Valid: true}
	}
	return s.d.DB.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE outbox SET status = $1, sent_at = $2, last_error = $3, claimed_by = '', claim_until = '' WHERE id = $4 AND claimed_by = $5`,
			string(st), sentAt, lastErr, r.id, s.holder)
		if err != nil {
			return fmt.Errorf("notify: mark %d %s: %w", r.id, st, err)
		}
		return nil
	})
}

func (s *Service) retryLater(ctx context.Context, r row, now time.Time, lastErr string) error {
	return s.d.DB.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE outbox SET next_at = $1, last_error = $2, claimed_by = '', claim_until = '' WHERE id = $3 AND claimed_by = $4`,
			store.FormatInstant(now.Add(backoff(r.attempts))), lastErr, r.id, s.holder)
		if err != nil {
			return fmt.Errorf("notify: reschedule %d: %w", r.id, err)
		}
		return nil
	})
}

// address finds where r goes (opening a reporter's sealed identity) and the
// values its words are filled with.
func (s *Service) address(ctx context.Context, r row) (recipient, map[string]string, error) {
	var to recipient
	vals := map[string]string{}
	for k, v := range r.data {
		if t := str(v); t != "" {
			vals[k] = t
		}
	}
	if r.caseID.Valid {
		vals["case"] = "#" + strconv.FormatInt(r.caseID.Int64, 10)
	}
	base := strings.TrimRight(s.d.PublicURL, "/")
	if r.userID.Valid {
		to.staff = true
		var disabled bool
		err := s.d.DB.Read.QueryRowContext(ctx, `SELECT email, phone, lang, disabled FROM users WHERE id = $1`, r.userID.Int64).
			Scan(&to.email, &to.phone, &to.lang, &disabled)
		if errors.Is(err, sql.ErrNoRows) || disabled {
			return to, nil, errNoAddress
		}
		if err != nil {
			return to, nil, fmt.Errorf("notify: read user %d: %w", r.userID.Int64, err)
		}
		if base != "" {
			vals["link"] = base + "/staff/"
			if r.caseID.Valid {
				vals["link"] = fmt.Sprintf("%s/staff/cases/%d", base, r.caseID.Int64)
			}
		}
		if w, ok := whatLabels[vals["what"]]; ok {
			vals["what"] = w[lang(to.lang)]
		}
	} else {
		if !r.caseID.Valid {
			return to, nil, errNoAddress
		}
		var receiptCode string
		var sealed []byte
		var consent bool
		err := s.d.DB.Read.QueryRowContext(ctx, `SELECT receipt, identity, notify, lang FROM cases WHERE id = $1`, r.caseID.Int64).
			Scan(&receiptCode, &sealed, &consent, &to.lang)
		if err != nil {
			return to, nil, fmt.Errorf("notify: read case %d: %w", r.caseID.Int64, err)
		}
		if !consent || len(sealed) == 0 {
			return to, nil, errNoAddress
		}
		id, err := s.d.Vault.OpenIdentity(sealed, s.d.IdentityAAD(receiptCode))
		if err != nil {
			return to, nil, fmt.Errorf("notify: open the identity of case %d: %w", r.caseID.Int64, err)
		}
		to.email, to.phone = id.Email, id.Phone
		vals["receipt"] = receiptCode
		delete(vals, "case") // reporters know their receipt, not our numbers
		vals["office"] = s.officeName(lang(to.lang))
		if base != "" {
			vals["link"] = base + "/track"
		}
	}
	if r.channel == Email && to.email == "" || r.channel == SMS && to.phone == "" {
		return to, nil, errNoAddress
	}
	if r.kind == Digest {
		items, err := s.digestItems(ctx, r.id, to.lang)
		if err != nil {
			return to, nil, err
		}
		vals["items"], vals["count"] = strings.Join(items, "\n"), strconv.Itoa(len(items))
	}
	return to, vals, nil
}

var whatLabels = map[string]map[string]string{
	"decision":    {"zh-CN": "问责决定", "zh-TW": "問責決定", "en": "decision"},
	"publication": {"zh-CN": "公开发布", "zh-TW": "公開發佈", "en": "publication"},
}

// officeName names the office in a reporter's message.
func (s *Service) officeName(l string) string {
	if s.d.Office != "" {
		return s.d.Office
	}
	switch l {
	case "en":
		return "Accountability office"
	case "zh-TW":
		return "整肅辦"
	}
	return "整肃办"
}

// makeDigests gathers, once the day's digest time has come, each staff
// member's held notifications of before it into one digest row.
func (s *Service) makeDigests(ctx context.Context, now time.Time) (int, error) {
	local := now.In(s.d.Loc)
	at := time.Date(local.Year(), local.Month(), local.Day(), 0, s.d.DigestAt, 0, 0, s.d.Loc)
	if now.Before(at) {
		return 0, nil
	}
	day := civil.In(now, s.d.Loc).String()
	cut := store.FormatInstant(at)
	var users []int64
	rows, err := s.d.DB.Read.QueryContext(ctx, `SELECT DISTINCT user_id FROM outbox WHERE status = $1 AND created_at < $2 AND user_id IS NOT NULL ORDER BY user_id`,
		string(Held), cut)
	if err != nil {
		return 0, fmt.Errorf("notify: held notifications: %w", err)
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, err
		}
		users = append(users, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	n := 0
	for _, u := range users {
		err := s.d.DB.Tx(ctx, func(tx *sql.Tx) error {
			var id int64
			err := tx.QueryRowContext(ctx, `INSERT INTO outbox (kind, user_id, channel, dedupe, data, token, status, next_at, created_at)
				VALUES ($1, $2, $3, $4, '{}', $5, $6, $7, $7) ON CONFLICT (dedupe) DO NOTHING RETURNING id`,
				string(Digest), u, string(Email), fmt.Sprintf("digest:%s:user:%d", day, u), token(), string(Pending), store.FormatInstant(now)).Scan(&id)
			if errors.Is(err, sql.ErrNoRows) {
				// Today's digest went already: what was held since waits for tomorrow's.
				return nil
			}
			if err != nil {
				return fmt.Errorf("notify: make digest: %w", err)
			}
			n++
			_, err = tx.ExecContext(ctx, `UPDATE outbox SET status = $1, digest_id = $2 WHERE user_id = $3 AND status = $4 AND created_at < $5`,
				string(Digested), id, u, string(Held), cut)
			return err
		})
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// digestItems are the subjects of the notifications a digest gathers.
func (s *Service) digestItems(ctx context.Context, digestID int64, l string) ([]string, error) {
	rows, err := s.d.DB.Read.QueryContext(ctx, `SELECT kind, case_id, data FROM outbox WHERE digest_id = $1 ORDER BY id`, digestID)
	if err != nil {
		return nil, fmt.Errorf("notify: digest %d: %w", digestID, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var kind, data string
		var caseID sql.NullInt64
		if err := rows.Scan(&kind, &caseID, &data); err != nil {
			return nil, err
		}
		var d map[string]any
		json.Unmarshal([]byte(data), &d)
		vals := map[string]string{}
		for k, v := range d {
			vals[k] = str(v)
		}
		if caseID.Valid {
			vals["case"] = "#" + strconv.FormatInt(caseID.Int64, 10)
		}
		if w, ok := whatLabels[vals["what"]]; ok {
			vals["what"] = w[lang(l)]
		}
		out = append(out, "· "+s.texts.render(Kind(kind), l, vals).Subject)
	}
	return out, rows.Err()
}

// Entry is an outbox row as the administrator sees it: never the address.
type Entry struct {
	ID        int64      `json:"id"`
	Kind      Kind       `json:"kind"`
	CaseID    *int64     `json:"case_id,omitempty"`
	UserID    *int64     `json:"user_id,omitempty"`
	Reporter  bool       `json:"reporter"`
	Channel   Channel    `json:"channel"`
	Status    Status     `json:"status"`
	Attempts  int        `json:"attempts"`
	NextAt    time.Time  `json:"next_at"`
	LastError string     `json:"last_error,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
	SentAt    *time.Time `json:"sent_at,omitempty"`
}

var (
	errStatus    = problem.Invalid("status", "invalid_status", "状态无效（可用：pending, held, sent, failed, cancelled, digested）", "invalid status (one of pending, held, sent, failed, cancelled, digested)")
	errNotFound  = problem.NotFound("notification_not_found", "没有这条通知", "no such notification")
	errForbidden = problem.Forbidden("forbidden", "您的角色无权执行此操作", "your role may not do this")
	errNotRetry  = problem.Conflict("notification_not_failed", "只能重发发送失败的通知", "only a failed notification can be sent again")
)

// List returns the outbox rows of status ("" every status), newest first,
// at most limit, for the administrator.
func (s *Service) List(ctx context.Context, p auth.Principal, status string, limit int) ([]Entry, error) {
	if !s.d.Policy.Allows(p, access.AdminRead) {
		return nil, errForbidden
	}
	switch Status(status) {
	case "", Pending, Held, Sent, Failed, Cancelled, Digested:
	default:
		return nil, errStatus
	}
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	rows, err := s.d.DB.Read.QueryContext(ctx, `SELECT id, kind, case_id, user_id, channel, status, attempts, next_at, last_error, created_at, sent_at
		FROM outbox WHERE ($1 = '' OR status = $1) ORDER BY id DESC LIMIT `+strconv.Itoa(limit), status)
	if err != nil {
		return nil, fmt.Errorf("notify: list: %w", err)
	}
	defer rows.Close()
	out := []Entry{}
	for rows.Next() {
		var e Entry
		var caseID, userID sql.NullInt64
		var kind, ch, st string
		var next, created store.Instant
		var sent sql.Null[store.Instant]
		if err := rows.Scan(&e.ID, &kind, &caseID, &userID, &ch, &st, &e.Attempts, &next, &e.LastError, &created, &sent); err != nil {
			return nil, err
		}
		e.Kind, e.Channel, e.Status, e.NextAt, e.CreatedAt = Kind(kind), Channel(ch), Status(st), next.Time, created.Time
		if caseID.Valid {
			e.CaseID = &caseID.Int64
		}
		if userID.Valid {
			e.UserID = &userID.Int64
		} else {
			e.Reporter = true
		}
		if sent.Valid {
			e.SentAt = &sent.V.Time
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// Retry sends a failed row again (its tries start over), at once.
func (s *Service) Retry(ctx context.Context, p auth.Principal, id int64) error {
	if !s.d.Policy.Allows(p, access.JobRun) {
		return errForbidden
	}
	now := s.d.Clock.Now()
	return s.d.DB.Tx(ctx, func(tx *sql.Tx) error {
		var st string
		err := tx.QueryRowContext(ctx, `SELECT status FROM outbox WHERE id = $1`, id).Scan(&st)
		if errors.Is(err, sql.ErrNoRows) {
			return errNotFound
		}
		if err != nil {
			return err
		}
		if Status(st) != Failed {
			return errNotRetry
		}
		if _, err := tx.ExecContext(ctx, `UPDATE outbox SET status = $1, attempts = 0, next_at = $2 WHERE id = $3`, string(Pending), store.FormatInstant(now), id); err != nil {
			return err
		}
		return audit.Append(ctx, tx, now, audit.Record{Actor: p.Actor(), Action: "notification.retry", Subject: fmt.Sprintf("notification:%d", id)})
	})
}

// Counts are the outbox rows by status, and what this process sent.
type Counts struct {
	ByStatus map[Status]int
	Sent     int64 // sent by this process since it started
	Failures int64 // failed tries by this process
	GaveUp   int64 // rows this process left failed
}

// Count reads the outbox's rows by status (for /metrics).
func (s *Service) Count(ctx context.Context) (Counts, error) {
	c := Counts{ByStatus: map[Status]int{}, Sent: s.stats.sent.Load(), Failures: s.stats.failures.Load(), GaveUp: s.stats.gaveUp.Load()}
	rows, err := s.d.DB.Read.QueryContext(ctx, `SELECT status, COUNT(*) FROM outbox GROUP BY status`)
	if err != nil {
		return c, fmt.Errorf("notify: count: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var st string
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return c, err
		}
		c.ByStatus[Status(st)] = n
	}
	return c, rows.Err()
}
