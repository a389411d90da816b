// Package docket owns the case record: the cases row, its history
// (case_events) and the people a conclusion names (case_people). It is the
// only code that inserts or updates those tables, and it holds the one
// vocabulary of the record — states, channels, findings, actions, ratings,
// due statuses — with their labels in zh-CN, zh-TW and en (one wording for
// staff, one for the public).
//
// Intake and the two-complaints rule register cases with Insert; the state
// machine (package cases), the reporter's review and rating and the
// supervision sweep change them with Update and the other writers here; every
// change of note appends to the history with Append. Reading is free: lists,
// search, statistics and reports read the tables with their own SQL and
// spell states and channels with the constants of this package.
//
// The package sits low in the dependency graph (store, civil, calendar-free):
// the state machine, intake, accountability and inspection import it, never
// the other way round.
package docket

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"mashang/internal/calendar"
	"mashang/internal/civil"
	"mashang/internal/problem"
	"mashang/internal/store"
)

// Execer is what a transaction (or a database) offers the writers.
type Execer interface {
	ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error)
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

// Store writes the case record.
type Store struct {
	engine store.Engine
	// On SQLite the two inserts every report makes are prepared once, on the
	// single writer connection: parsing the long INSERT for every report
	// costs more than running it. PostgreSQL's driver caches them itself.
	insertCase, insertEvent *sql.Stmt
	hooks                   []Hook
}

// Hook runs inside the transaction of every line appended to a history,
// after the line is written: what must follow from a change in the same
// transaction (the notifications it causes, the callback a reply puts on
// the list) hangs here. An error aborts the change.
type Hook func(ctx context.Context, tx *sql.Tx, e Event) error

// OnAppend adds h to the hooks run by Append. Hooks are registered while
// the program is put together (app.New), before any change is made.
func (s *Store) OnAppend(h Hook) { s.hooks = append(s.hooks, h) }

// New returns the record's writer for db.
func New(ctx context.Context, db *store.DB) *Store {
	s := &Store{engine: db.Engine}
	if db.Engine == store.SQLite {
		// Prepared now, while the writer connection is free (inside a
		// transaction it is taken). A failure only means unprepared SQL.
		if st, err := db.Write.PrepareContext(ctx, insertCaseSQL); err == nil {
			s.insertCase = st
		}
		if st, err := db.Write.PrepareContext(ctx, insertEventSQL); err == nil {
			s.insertEvent = st
		}
	}
	return s
}

// ErrVersion answers a change made on a case that someone else changed meanwhile.
var ErrVersion = problem.Conflict("case_changed", "案件已被他人同时修改，请刷新后重试", "the case was changed by someone else at the same time; reload it and try again")

// NewCase is a case to register. Zero values mean "none" (NULL) for the
// optional references, hashes and dates.
type NewCase struct {
	Receipt        string
	KeyHash        []byte
	Channel        Channel
	ReceivedAt     time.Time
	ReceivedOn     civil.Date
	Content        string
	Situation      string
	Category       string
	CatalogVersion string
	UnitID         int64
	PersonID       int64
	PersonText     string
	Anonymous      bool
	Identity       []byte // sealed; nil for none
	IdentityMask   string // masked identity as JSON; "" for none
	PhoneHash      string
	EmailHash      string
	MessageID      string
	AcceptBy       civil.Date
	Provisional    bool
	CreatedBy      string // the actor registering it
	// CovertPlanID names the covert inspection whose finding opens the case
	// while the plan is not done (0: none); see Unveil.
	CovertPlanID int64
	// Notify: the reporter agreed to be told of progress (at the phone or
	// e-mail address of the sealed identity); Lang is the language they
	// wrote in (zh-CN, zh-TW, en; "": zh-CN).
	Notify bool
	Lang   string
	// OfficeID is the office the case belongs to (package office: the one
	// whose jurisdiction holds its unit); 0: HomeOfficeID.
	OfficeID int64
	// Limits are the time limits the case is counted by, fixed now (its
	// office's); the zero value: the server's limits (stored as '').
	Limits calendar.Limits
	// CalendarDays are the office's own days over the national calendar
	// that the case's deadlines are counted with, fixed now with Limits.
	CalendarDays []calendar.Day
	Now          time.Time
}

const insertCaseSQL = `INSERT INTO cases (receipt, key_hash, channel, state, received_at, received_on, content, situation, category,
 catalog_version, unit_id, person_id, person_text, anonymous, identity, identity_mask, phone_hash, email_hash, message_id,
 accept_by, provisional, created_by, updated_at, covert_plan_id, notify, lang, office_id, time_limits)
 VALUES ($1,$2,$3,'registered',$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22,$23,$24,$25,$26,$27) RETURNING id`

const insertEventSQL = `INSERT INTO case_events (case_id, at, actor, action, data, public) VALUES ($1,$2,$3,$4,$5,$6)`

func nullID(id int64) sql.NullInt64 { return sql.NullInt64{Int64: id, Valid: id != 0} }

func nullText(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

// Insert registers c in state registered, with the public history line
// "registered", and returns its id. A clash of a unique column (the receipt,
// an e-mail's Message-ID) is returned as the driver's error, for the caller
// to retry or to look up (store.IsUniqueViolation).
func (s *Store) Insert(ctx context.Context, tx *sql.Tx, c NewCase) (int64, error) {
	var id int64
	args := []any{c.Receipt, c.KeyHash, string(c.Channel), store.FormatInstant(c.ReceivedAt), c.ReceivedOn.String(),
		c.Content, c.Situation, c.Category, c.CatalogVersion, nullID(c.UnitID), nullID(c.PersonID), c.PersonText, c.Anonymous,
		c.Identity, c.IdentityMask, nullText(c.PhoneHash), nullText(c.EmailHash), nullText(c.MessageID), c.AcceptBy, c.Provisional,
		c.CreatedBy, store.FormatInstant(c.Now), nullID(c.CovertPlanID), c.Notify, c.Lang, officeOrHome(c.OfficeID), limitsText(c.Limits, c.CalendarDays)}
	var err error
	if s.insertCase != nil {
		err = tx.StmtContext(ctx, s.insertCase).QueryRowContext(ctx, args...).Scan(&id)
	} else {
		err = tx.QueryRowContext(ctx, insertCaseSQL, args...).Scan(&id)
	}
	if err != nil {
		return 0, fmt.Errorf("docket: insert case: %w", err)
	}
	if err := s.Append(ctx, tx, registered(id, c)); err != nil {
		return 0, err
	}
	return id, nil
}

// newCaseCols are the columns InsertMany writes.
var newCaseCols = []string{"receipt", "key_hash", "channel", "state", "received_at", "received_on", "content", "situation", "category",
	"catalog_version", "unit_id", "person_id", "person_text", "anonymous", "identity", "identity_mask", "phone_hash", "email_hash", "message_id",
	"accept_by", "provisional", "created_by", "updated_at", "covert_plan_id", "notify", "lang", "office_id", "time_limits"}

// manyPer is how many cases one statement of InsertMany writes: 28
// parameters a case stay well under SQLite's 32,766 and PostgreSQL's 65,535.
const manyPer = 500

// InsertMany registers cs as Insert would each, in order, with one
// statement for the cases and one for their history lines (per 500 cases):
// the group commit writes a group of reports so. The OnAppend hooks run
// for each "registered" line once all of them are written. It returns the
// ids in the order of cs. A clash of a unique column fails the whole, as
// the driver's error (the caller then inserts them one by one).
func (s *Store) InsertMany(ctx context.Context, tx *sql.Tx, cs []NewCase) ([]int64, error) {
	ids := make([]int64, 0, len(cs))
	for len(cs) > 0 {
		n := min(len(cs), manyPer)
		part, err := s.insertMany(ctx, tx, cs[:n])
		if err != nil {
			return nil, err
		}
		ids, cs = append(ids, part...), cs[n:]
	}
	return ids, nil
}

func (s *Store) insertMany(ctx context.Context, tx *sql.Tx, cs []NewCase) ([]int64, error) {
	// per above len(cs): the rows are written by FlushReturning, not by Add.
	cases := store.NewBulk(s.engine, "cases", newCaseCols, len(cs)+1)
	at := make(map[string]int, len(cs))
	for i, c := range cs {
		at[c.Receipt] = i
		if err := cases.Add(ctx, tx, c.Receipt, c.KeyHash, string(c.Channel), string(Registered), store.FormatInstant(c.ReceivedAt), c.ReceivedOn.String(),
			c.Content, c.Situation, c.Category, c.CatalogVersion, nullID(c.UnitID), nullID(c.PersonID), c.PersonText, c.Anonymous,
			c.Identity, c.IdentityMask, nullText(c.PhoneHash), nullText(c.EmailHash), nullText(c.MessageID), c.AcceptBy, c.Provisional,
			c.CreatedBy, store.FormatInstant(c.Now), nullID(c.CovertPlanID), c.Notify, c.Lang, officeOrHome(c.OfficeID), limitsText(c.Limits, c.CalendarDays)); err != nil {
			return nil, fmt.Errorf("docket: insert cases: %w", err)
		}
	}
	if len(at) != len(cs) {
		return nil, fmt.Errorf("docket: insert cases: a receipt code twice in one group")
	}
	ids := make([]int64, len(cs))
	err := cases.FlushReturning(ctx, tx, "id, receipt", func(r *sql.Rows) error {
		var id int64
		var receipt string
		if err := r.Scan(&id, &receipt); err != nil {
			return err
		}
		if i, ok := at[receipt]; ok {
			ids[i] = id
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("docket: insert cases: %w", err)
	}
	events := store.NewBulk(s.engine, "case_events", []string{"case_id", "at", "actor", "action", "data", "public"}, len(cs)+1)
	lines := make([]Event, len(cs))
	for i, c := range cs {
		if ids[i] == 0 {
			return nil, fmt.Errorf("docket: insert cases: no id returned for case %d of %d", i+1, len(cs))
		}
		lines[i] = registered(ids[i], c)
		data, err := eventData(lines[i].Data)
		if err != nil {
			return nil, err
		}
		e := lines[i]
		if err := events.Add(ctx, tx, e.Case, store.FormatInstant(e.At), e.Actor, string(e.Action), data, e.Public); err != nil {
			return nil, fmt.Errorf("docket: add events: %w", err)
		}
	}
	if err := events.Flush(ctx, tx); err != nil {
		return nil, fmt.Errorf("docket: add events: %w", err)
	}
	for _, e := range lines {
		if err := s.runHooks(ctx, tx, e); err != nil {
			return nil, err
		}
	}
	return ids, nil
}

// registered is the history line "registered" of case id, registered as c.
func registered(id int64, c NewCase) Event {
	reg := registration{Words: Words{ZH: "已登记", EN: "Registered"}, Channel: c.Channel, AcceptBy: c.AcceptBy}
	return Event{Case: id, At: c.Now, Actor: c.CreatedBy, Action: Register, Data: reg, Public: true}
}

// registration is the data of the "registered" history line.
type registration struct {
	Words
	Channel  Channel    `json:"channel"`
	AcceptBy civil.Date `json:"accept_by"`
}

// Words is a text for the reporter in plain words, without staff names: the
// data of a public history line (zh-TW is made from ZH when shown).
type Words struct {
	ZH string `json:"zh"`
	EN string `json:"en"`
}

// Event is one line of a case's history.
type Event struct {
	Case   int64
	At     time.Time
	Actor  string // "user:NAME", "reporter", "office", "system:…"
	Action Action
	Data   any  // a JSON object; nil for {}
	Public bool // shown to the reporter (then Data is Words, or holds them)
}

// Append adds a line to a case's history, then runs the hooks (OnAppend)
// in the same transaction; q must then be a transaction.
func (s *Store) Append(ctx context.Context, q Execer, e Event) error {
	data, err := eventData(e.Data)
	if err != nil {
		return err
	}
	args := []any{e.Case, store.FormatInstant(e.At), e.Actor, string(e.Action), data, e.Public}
	if tx, ok := q.(*sql.Tx); ok && s.insertEvent != nil {
		_, err = tx.StmtContext(ctx, s.insertEvent).ExecContext(ctx, args...)
	} else {
		_, err = q.ExecContext(ctx, insertEventSQL, args...)
	}
	if err != nil {
		return fmt.Errorf("docket: add event to case %d: %w", e.Case, err)
	}
	if len(s.hooks) == 0 {
		return nil
	}
	tx, ok := q.(*sql.Tx)
	if !ok {
		return fmt.Errorf("docket: add event to case %d: the hooks need a transaction", e.Case)
	}
	return s.runHooks(ctx, tx, e)
}

// runHooks runs the OnAppend hooks for the line e, written in tx.
func (s *Store) runHooks(ctx context.Context, tx *sql.Tx, e Event) error {
	for _, h := range s.hooks {
		if err := h(ctx, tx, e); err != nil {
			return err
		}
	}
	return nil
}

func eventData(v any) (string, error) {
	if v == nil {
		return "{}", nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("docket: event data: %w", err)
	}
	return string(b), nil
}

// Change is a set of changes to one case's row, made with typed setters.
type Change struct {
	cols []string
	args []any
}

func (c *Change) set(col string, v any) *Change {
	c.args = append(c.args, v)
	c.cols = append(c.cols, col+" = $"+strconv.Itoa(len(c.args)+3))
	return c
}

// Empty reports whether nothing is to change.
func (c *Change) Empty() bool { return len(c.cols) == 0 }

// State moves the case to st.
func (c *Change) State(st State) *Change { return c.set("state", string(st)) }

// AcceptedOn records the acceptance date.
func (c *Change) AcceptedOn(d civil.Date) *Change { return c.set("accepted_on", d) }

// ClosedAt records when the case was closed (zero: reopened).
func (c *Change) ClosedAt(t time.Time) *Change { return c.set("closed_at", store.Instant{Time: t}) }

// TransferredTo records the unit the case went to and when (0 and a zero
// date: sent back).
func (c *Change) TransferredTo(unitID int64, on civil.Date) *Change {
	return c.set("transfer_unit_id", nullID(unitID)).set("transferred_on", on)
}

// Extension records the one extension (0 and "": none).
func (c *Change) Extension(days int, reason string) *Change {
	return c.set("extension_days", days).set("extension_reason", reason)
}

// Supervision records the office above's supervision: by office officeID,
// to be answered by deadline.
func (c *Change) Supervision(officeID int64, deadline civil.Date) *Change {
	return c.set("supervision_office_id", nullID(officeID)).set("supervision_deadline", deadline)
}

// SupervisionAnswered records the lower office's answer to the
// supervision (a zero time and "": not answered, as after a new supervision).
func (c *Change) SupervisionAnswered(at time.Time, answer string) *Change {
	v := sql.NullString{}
	if !at.IsZero() {
		v = sql.NullString{String: store.FormatInstant(at), Valid: true}
	}
	return c.set("supervision_answered_at", v).set("supervision_answer", nullText(answer))
}

// OfficeObjection opens the receiving office's window to object to a case
// transferred from office fromID, until the date by (0 and a zero date:
// none open).
func (c *Change) OfficeObjection(fromID int64, by civil.Date) *Change {
	v := sql.NullString{}
	if !by.IsZero() {
		v = sql.NullString{String: by.String(), Valid: true}
	}
	return c.set("office_from_id", nullID(fromID)).set("office_object_by", v)
}

// Office moves the case to another office.
func (c *Change) Office(id int64) *Change { return c.set("office_id", officeOrHome(id)) }

// Assignee records who investigates.
func (c *Change) Assignee(userID int64) *Change { return c.set("assignee_id", nullID(userID)) }

// Conclusion records the finding and the date it was reached.
func (c *Change) Conclusion(f Finding, on civil.Date) *Change {
	return c.set("finding", string(f)).set("concluded_on", on)
}

// Replied records whether the current round has its written reply, and the
// date of the latest one (a zero date leaves it as it is).
func (c *Change) Replied(replied bool, on civil.Date) *Change {
	c.set("replied", replied)
	if !on.IsZero() {
		c.set("replied_on", on)
	}
	return c
}

// MergedInto folds the case into another.
func (c *Change) MergedInto(id int64) *Change { return c.set("merged_into", nullID(id)) }

// ReviewRound records the reporter's review request (1: 复查, 2: 复核).
func (c *Change) ReviewRound(round int, on civil.Date) *Change {
	return c.set("review_count", round).set("review_requested_on", on)
}

// Rating records the reporter's rating of the reply.
func (c *Change) Rating(r Rating, at time.Time) *Change {
	return c.set("rating", string(r)).set("rated_at", store.Instant{Time: at})
}

// EraseIdentity removes everything that names or finds the reporter: the
// sealed identity, its mask, the lookup hashes, an e-mail's Message-ID and
// the consent to be told (with its language).
func (c *Change) EraseIdentity() *Change {
	return c.set("identity", []byte(nil)).set("identity_mask", "").set("phone_hash", sql.NullString{}).
		set("email_hash", sql.NullString{}).set("message_id", sql.NullString{}).set("notify", false).set("lang", "")
}

// Callback records the result of the callback (回访) after the latest reply.
func (c *Change) Callback(result string, at time.Time) *Change {
	return c.set("callback_result", result).set("callback_at", store.Instant{Time: at})
}

// Resealed replaces the sealed identity and its lookup hashes (the identity
// key's rotation).
func (c *Change) Resealed(sealed []byte, phoneHash, emailHash string) *Change {
	return c.set("identity", sealed).set("phone_hash", nullText(phoneHash)).set("email_hash", nullText(emailHash))
}

// Person records the person the case is about (0: none).
func (c *Change) Person(id int64) *Change { return c.set("person_id", nullID(id)) }

// Update applies ch to case id, bumps its version and sets updated_at. With
// version > 0 the case must still be at that version, else ErrVersion (the
// optimistic check of concurrent changes); version 0 skips the check.
func (s *Store) Update(ctx context.Context, q Execer, id, version int64, ch *Change, now time.Time) error {
	cols := append(append([]string(nil), ch.cols...), "updated_at = $3")
	args := append([]any{id, version, store.FormatInstant(now)}, ch.args...)
	res, err := q.ExecContext(ctx, `UPDATE cases SET `+strings.Join(cols, ", ")+`, version = version + 1
		WHERE id = $1 AND ($2 = 0 OR version = $2)`, args...)
	if err != nil {
		return fmt.Errorf("docket: update case %d: %w", id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n != 1 {
		if version == 0 {
			return fmt.Errorf("docket: update case %d: no such case", id)
		}
		return ErrVersion
	}
	return nil
}

// RepointMerged makes the cases merged into from follow it into into: no
// chains of merges.
func (s *Store) RepointMerged(ctx context.Context, q Execer, from, into int64) error {
	if _, err := q.ExecContext(ctx, `UPDATE cases SET merged_into = $1 WHERE merged_into = $2`, into, from); err != nil {
		return fmt.Errorf("docket: repoint merged cases of %d: %w", from, err)
	}
	return nil
}

// SetPeople replaces the people a conclusion names.
func (s *Store) SetPeople(ctx context.Context, q Execer, caseID int64, people []int64) error {
	if _, err := q.ExecContext(ctx, `DELETE FROM case_people WHERE case_id = $1`, caseID); err != nil {
		return fmt.Errorf("docket: clear people of case %d: %w", caseID, err)
	}
	for _, p := range people {
		if _, err := q.ExecContext(ctx, `INSERT INTO case_people (case_id, person_id) VALUES ($1, $2)`, caseID, p); err != nil {
			return fmt.Errorf("docket: store people of case %d: %w", caseID, err)
		}
	}
	return nil
}

// Unveil ends the covertness of the cases a covert plan's findings opened,
// once the plan is done: they join the office's queue and its figures. Each
// gets a line in its history. It returns the cases unveiled.
func (s *Store) Unveil(ctx context.Context, tx *sql.Tx, planID int64, actor string, now time.Time) ([]int64, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id FROM cases WHERE covert_plan_id = $1 ORDER BY id`, planID)
	if err != nil {
		return nil, fmt.Errorf("docket: cases of plan %d: %w", planID, err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, id := range ids {
		if err := s.Update(ctx, tx, id, 0, new(Change).set("covert_plan_id", sql.NullInt64{}), now); err != nil {
			return nil, err
		}
		if err := s.Append(ctx, tx, Event{Case: id, At: now, Actor: actor, Action: CovertLifted, Data: map[string]any{"inspection_id": planID}}); err != nil {
			return nil, err
		}
	}
	return ids, nil
}

// StripReviewReasons removes the reporter's words from the staff history of
// the case's review requests (they are kept in the messages, which
// retention empties).
func (s *Store) StripReviewReasons(ctx context.Context, tx *sql.Tx, caseID int64) error {
	rows, err := tx.QueryContext(ctx, `SELECT id, data FROM case_events WHERE case_id = $1 AND action = $2 AND public = FALSE`, caseID, string(ReviewRequest))
	if err != nil {
		return fmt.Errorf("docket: review requests of case %d: %w", caseID, err)
	}
	type line struct {
		id   int64
		data string
	}
	var lines []line
	for rows.Next() {
		var l line
		if err := rows.Scan(&l.id, &l.data); err != nil {
			rows.Close()
			return err
		}
		lines = append(lines, l)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, l := range lines {
		var m map[string]any
		if json.Unmarshal([]byte(l.data), &m) != nil || m["reason"] == nil {
			continue
		}
		delete(m, "reason")
		m["reason_removed"] = true
		b, err := json.Marshal(m)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE case_events SET data = $2 WHERE id = $1`, l.id, string(b)); err != nil {
			return fmt.Errorf("docket: strip review reason of case %d: %w", caseID, err)
		}
	}
	return nil
}

// ReplacePerson names newID instead of oldID in case caseID (its row and
// its conclusion): for the demo's pairing of complaints.
func (s *Store) ReplacePerson(ctx context.Context, tx *sql.Tx, caseID, oldID, newID int64, now time.Time) error {
	if _, err := tx.ExecContext(ctx, `UPDATE case_people SET person_id = $1 WHERE case_id = $2 AND person_id = $3`, newID, caseID, oldID); err != nil {
		return fmt.Errorf("docket: replace person of case %d: %w", caseID, err)
	}
	return s.Update(ctx, tx, caseID, 0, new(Change).Person(newID), now)
}

// Deadlines are a case's stored deadlines (zero: not running).
type Deadlines struct {
	AcceptBy        civil.Date `json:"accept_by"`
	BaseFinishBy    civil.Date `json:"base_finish_by,omitempty"`
	FinishBy        civil.Date `json:"finish_by"`
	ReturnBy        civil.Date `json:"return_by,omitempty"`
	ReviewRequestBy civil.Date `json:"review_request_by,omitempty"`
	ReviewBy        civil.Date `json:"review_by,omitempty"`
	Provisional     bool       `json:"provisional"`
}

// Current is the deadline supervision watches in state (the Go twin of
// CurrentDeadlineSQL): accept_by while registered, review_by in review,
// finish_by otherwise (accepted, investigating, concluded awaiting the reply,
// transferred); zero when the case is not open.
func (d Deadlines) Current(state State) civil.Date {
	switch state {
	case Registered:
		return d.AcceptBy
	case Review:
		return d.ReviewBy
	case Accepted, Investigating, Concluded, Transferred:
		return d.FinishBy
	}
	return civil.Date{}
}

// SetDeadlines stores d on case id (the deadlines are derived data: the
// version is not bumped).
func (s *Store) SetDeadlines(ctx context.Context, q Execer, id int64, d Deadlines) error {
	_, err := q.ExecContext(ctx, `UPDATE cases SET accept_by = $2, base_finish_by = $3, finish_by = $4, return_by = $5,
		review_request_by = $6, review_by = $7, provisional = $8 WHERE id = $1`,
		id, d.AcceptBy, d.BaseFinishBy, d.FinishBy, d.ReturnBy, d.ReviewRequestBy, d.ReviewBy, d.Provisional)
	if err != nil {
		return fmt.Errorf("docket: write deadlines of case %d: %w", id, err)
	}
	return nil
}

// The supervision SQL: the deadline watched in each state, the due status
// from two threshold dates ($1 today, $2 the first date that is no longer due
// soon), and the open states.
const (
	// CurrentDeadlineSQL is the deadline supervision watches, by state.
	CurrentDeadlineSQL = `CASE state WHEN 'registered' THEN accept_by WHEN 'review' THEN review_by ELSE finish_by END`
	dueStatusSQL       = `CASE WHEN (` + CurrentDeadlineSQL + `) IS NULL THEN 'on_time' WHEN (` + CurrentDeadlineSQL + `) < $1 THEN 'overdue' WHEN (` + CurrentDeadlineSQL + `) < $2 THEN 'due_soon' ELSE 'on_time' END`
	// OpenSQL is true for a case in an open state (docket.OpenStates; a test
	// holds the two together).
	OpenSQL = `state IN ('registered', 'accepted', 'transferred', 'investigating', 'concluded', 'review')`
)

// MarkDue sets the due status of every open case whose status changes as of
// today (soon: the first date no longer due soon), tagging the changed rows
// with run (cases.due_run) so that the caller can raise notices for exactly
// them. With offices, only the cases of those offices (whose calendars give
// this soon); nil: every case. It returns the number of rows changed.
func (s *Store) MarkDue(ctx context.Context, q Execer, today, soon civil.Date, run string, offices []int64) (int64, error) {
	in := ""
	if offices != nil {
		ids := make([]string, len(offices))
		for i, id := range offices {
			ids[i] = strconv.FormatInt(id, 10)
		}
		in = ` AND office_id IN (` + strings.Join(ids, ", ") + `)`
	}
	r, err := q.ExecContext(ctx, `UPDATE cases SET due_status = `+dueStatusSQL+`, due_run = $3 WHERE `+OpenSQL+in+` AND due_status <> `+dueStatusSQL, today, soon, run)
	if err != nil {
		return 0, fmt.Errorf("docket: mark due: %w", err)
	}
	return r.RowsAffected()
}

// MarkDueOne sets case id's due status as of today (on_time when closed).
func (s *Store) MarkDueOne(ctx context.Context, q Execer, id int64, today, soon civil.Date) error {
	if _, err := q.ExecContext(ctx, `UPDATE cases SET due_status = CASE WHEN `+OpenSQL+` THEN `+dueStatusSQL+` ELSE 'on_time' END WHERE id = $3`, today, soon, id); err != nil {
		return fmt.Errorf("docket: mark due status of case %d: %w", id, err)
	}
	return nil
}

// ErrNoCase is the answer about a case that does not exist (or that the
// caller may not know of).
func ErrNoCase(id int64) error {
	return problem.NotFound("case_not_found", fmt.Sprintf("案件 %d 不存在", id), fmt.Sprintf("no case %d", id))
}

// HomeOfficeID is the id of the office the first start makes (the one
// office of a county): the office of a case written without naming one.
const HomeOfficeID = 1

func officeOrHome(id int64) int64 {
	if id == 0 {
		return HomeOfficeID
	}
	return id
}

// caseRules is the stored form of a case's own counting rules
// (cases.time_limits): the time limits, and the calendar days its office
// laid over the national calendar when they were fixed.
type caseRules struct {
	calendar.Limits
	CalendarDays []calendar.Day `json:"calendar_days,omitempty"`
}

// limitsText is the stored form of a case's time limits and calendar days
// (empty for none).
func limitsText(l calendar.Limits, days []calendar.Day) string {
	if l == (calendar.Limits{}) && len(days) == 0 {
		return ""
	}
	b, err := json.Marshal(caseRules{Limits: l, CalendarDays: days})
	if err != nil {
		return ""
	}
	return string(b)
}

// CaseDays reads the calendar days a case's office laid over the national
// calendar when the case's rules were fixed (cases.time_limits; none for a
// case fixed before offices had their own days).
func CaseDays(stored string) []calendar.Day {
	if stored == "" {
		return nil
	}
	var r caseRules
	if err := json.Unmarshal([]byte(stored), &r); err != nil {
		return nil
	}
	return r.CalendarDays
}

// CaseLimits reads a case's stored time limits (cases.time_limits): those
// fixed when it was registered, else (a case registered before offices, or
// load data) def, the server's limits.
func CaseLimits(stored string, def calendar.Limits) calendar.Limits {
	if stored == "" {
		return def
	}
	l := def
	if err := json.Unmarshal([]byte(stored), &l); err != nil {
		return def
	}
	return l
}
