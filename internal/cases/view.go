package cases

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"mashang/internal/access"
	"mashang/internal/attach"
	"mashang/internal/auth"
	"mashang/internal/civil"
	"mashang/internal/docket"
	"mashang/internal/store"
)

// Ref names a unit or a person.
type Ref struct {
	ID   int64  `json:"id,omitempty"`
	Code string `json:"code,omitempty"`
	Name string `json:"name"`
}

// DeadlinesView is a case's deadlines as the API shows them.
type DeadlinesView struct {
	Deadlines
	ExtensionDays   int        `json:"extension_days"`
	ExtensionReason string     `json:"extension_reason,omitempty"`
	Current         civil.Date `json:"current"`           // the deadline supervision watches in this state
	WorkingDaysLeft *int       `json:"working_days_left"` // to Current; negative when overdue; null when none
}

// Event is one line of a case's history.
type Event struct {
	At     time.Time       `json:"at"`
	Actor  string          `json:"actor"`
	Action docket.Action   `json:"action"`
	Public bool            `json:"public"`
	Data   json.RawMessage `json:"data"`
}

// Message is a message to or from the reporter, or a formal reply.
type Message struct {
	ID        int64     `json:"id"`
	CaseID    int64     `json:"case_id"`
	At        time.Time `json:"at"`
	Direction string    `json:"direction"`
	Author    string    `json:"author,omitempty"`
	Body      string    `json:"body"`
}

// Attachment is a stored file of a case.
type Attachment = attach.Info

// Case is a case as staff see it (GET /api/v1/cases/{id}).
type Case struct {
	ID              int64           `json:"id"`
	Receipt         string          `json:"receipt"`
	State           docket.State    `json:"state"`
	Channel         docket.Channel  `json:"channel"`
	ReceivedAt      time.Time       `json:"received_at"`
	ReceivedOn      civil.Date      `json:"received_on"`
	Situation       string          `json:"situation"`
	Category        string          `json:"category"`
	CatalogVersion  string          `json:"catalog_version"`
	Office          string          `json:"office"`      // the code of the office the case belongs to
	OfficeName      string          `json:"office_name"` // and its name
	Unit            *Ref            `json:"unit"`
	Person          *Ref            `json:"person"`
	Content         string          `json:"content"`
	Anonymous       *bool           `json:"anonymous,omitempty"` // whether the reporter left no identity: for those who may know the reporter
	Reporter        json.RawMessage `json:"reporter,omitempty"`  // the masked identity (never the clear one), for the same
	Deadlines       DeadlinesView   `json:"deadlines"`
	DueStatus       docket.Due      `json:"due_status"` // computed now; cases.due_status is the sweep's copy
	WorkingDaysLeft *int            `json:"working_days_left"`
	Assignee        *string         `json:"assignee"`
	TransferUnit    *Ref            `json:"transfer_unit"`
	Finding         docket.Finding  `json:"finding"`
	PersonIDs       []int64         `json:"person_ids"`
	MergedInto      *int64          `json:"merged_into"`
	MergedCases     []int64         `json:"merged_cases"` // duplicates merged into this case
	ReviewCount     int             `json:"review_count"` // 1: 复查 asked; 2: 复核 asked
	// Supervision is the office above's supervision (督办), if any.
	Supervision *Supervision `json:"supervision"`
	// OfficeTransfer: the office it came from, while an objection is open.
	OfficeTransfer *OfficeTransfer `json:"office_transfer,omitempty"`
	Rating         docket.Rating   `json:"rating,omitempty"`
	Version        int64           `json:"version"`
	AllowedActions []docket.Action `json:"allowed_actions"` // actions the caller may take now
	History        []Event         `json:"history"`
	Messages       *[]Message      `json:"messages,omitempty"` // the reporter thread (this case's and its merged duplicates', replies included), for those who may read it
	Attachments    []Attachment    `json:"attachments"`        // the reporter's files only for those who may see them
	// Can is what the caller may know and do about the reporter of this case.
	Can access.Fields `json:"-"`
	// Facts are what the access policy knows of the case.
	Facts access.Facts `json:"-"`
}

// Supervision is a case's supervision by an office above (督办): the
// deadline, the supervising office, and whether the case is open past it.
type Supervision struct {
	Deadline civil.Date `json:"deadline"`
	Office   string     `json:"office"`
	Overdue  bool       `json:"overdue"`
	// AnsweredAt and Answer: the supervised office's answer, if any.
	AnsweredAt *time.Time `json:"answered_at"`
	Answer     string     `json:"answer,omitempty"`
}

// OfficeTransfer is where a case transferred between offices came from,
// while the receiving office may still object (until ObjectBy).
type OfficeTransfer struct {
	From     string     `json:"from"`
	FromName string     `json:"from_name"`
	ObjectBy civil.Date `json:"object_by"`
}

// Thread returns the reporter thread, or nothing when the caller may not read it.
func (c *Case) Thread() []Message {
	if c.Messages == nil {
		return nil
	}
	return *c.Messages
}

// Get returns case id as p sees it: 404 when it does not exist or p may not
// read it (access.CaseRead: a liaison outside its unit subtree, anyone
// without covert.read on a covert plan's case); the reporter's identity,
// thread and files are absent for those who may not know them.
func (s *Service) Get(ctx context.Context, p auth.Principal, id int64) (*Case, error) {
	return s.get(ctx, p, id, true)
}

// get is Get; check false skips the check of access.CaseRead (the answer to
// a liaison's own return, after which the case is no longer theirs to see).
func (s *Service) get(ctx context.Context, p auth.Principal, id int64, check bool) (*Case, error) {
	c := &Case{ID: id}
	var receivedAt store.Instant
	var unitCode, unitName, personName, tuCode, tuName, assignee sql.NullString
	var personID, mergedInto, tuID sql.NullInt64
	var mask, supOffice string
	var supDeadline, supAnsweredAt, supAnswer, objectBy, fromCode, fromName sql.NullString
	var anonymous bool
	var st Starts
	var d Deadlines
	err := s.db.Read.QueryRowContext(ctx, `SELECT `+access.FactsSQL("c")+`, c.receipt, c.state, c.channel, c.received_at, c.situation, c.category, c.catalog_version,
			u.code, u.name, c.person_id, pe.name, c.content, c.anonymous, c.identity_mask,
			c.received_on, c.accepted_on, c.transferred_on, c.replied_on, c.review_requested_on, c.extension_days, c.extension_reason,
			c.accept_by, c.base_finish_by, c.finish_by, c.return_by, c.review_request_by, c.review_by, c.provisional,
			au.username, c.transfer_unit_id, tu.code, tu.name, c.finding, c.merged_into, c.review_count, c.rating, c.version,
			COALESCE(o.code, ''), COALESCE(o.name, ''), c.supervision_deadline, COALESCE((SELECT so.code FROM offices so WHERE so.id = c.supervision_office_id), ''),
			c.supervision_answered_at, c.supervision_answer, c.office_object_by, fo.code, fo.name
		FROM cases c LEFT JOIN offices fo ON fo.id = c.office_from_id LEFT JOIN units u ON u.id = c.unit_id LEFT JOIN offices o ON o.id = c.office_id LEFT JOIN people pe ON pe.id = c.person_id
			LEFT JOIN users au ON au.id = c.assignee_id LEFT JOIN units tu ON tu.id = c.transfer_unit_id
		WHERE c.id = $1`, id).Scan(&c.Facts.Assignee, &c.Facts.TransferUnitPath, &c.Facts.Covert, &c.Facts.OfficeID, &c.Receipt, &c.State, &c.Channel, &receivedAt, &c.Situation, &c.Category, &c.CatalogVersion,
		&unitCode, &unitName, &personID, &personName, &c.Content, &anonymous, &mask,
		&st.ReceivedOn, &st.AcceptedOn, &st.TransferredOn, &st.RepliedOn, &st.ReviewRequestedOn, &c.Deadlines.ExtensionDays, &c.Deadlines.ExtensionReason,
		&d.AcceptBy, &d.BaseFinishBy, &d.FinishBy, &d.ReturnBy, &d.ReviewRequestBy, &d.ReviewBy, &d.Provisional,
		&assignee, &tuID, &tuCode, &tuName, &c.Finding, &mergedInto, &c.ReviewCount, &c.Rating, &c.Version,
		&c.Office, &c.OfficeName, &supDeadline, &supOffice, &supAnsweredAt, &supAnswer, &objectBy, &fromCode, &fromName)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNoCase(id)
	}
	if err != nil {
		return nil, fmt.Errorf("cases: read case %d: %w", id, err)
	}
	if check && !s.pol.On(p, access.CaseRead, c.Facts) {
		return nil, errNoCase(id)
	}
	c.Can = s.pol.Fields(p, c.Facts)
	c.ReceivedAt, c.ReceivedOn = receivedAt.Time, st.ReceivedOn
	if unitCode.Valid {
		c.Unit = &Ref{Code: unitCode.String, Name: unitName.String}
	}
	if personID.Valid {
		c.Person = &Ref{ID: personID.Int64, Name: personName.String}
	}
	if tuCode.Valid {
		c.TransferUnit = &Ref{Code: tuCode.String, Name: tuName.String}
	}
	if assignee.Valid {
		c.Assignee = &assignee.String
	}
	if d := civil.FromNull(supDeadline); d != nil {
		c.Supervision = &Supervision{Deadline: *d, Office: supOffice, Answer: supAnswer.String}
		if supAnsweredAt.Valid {
			if t, err := time.Parse(store.InstantLayout, supAnsweredAt.String); err == nil {
				c.Supervision.AnsweredAt = &t
			}
		}
		// Overdue: open past the deadline with no answer.
		c.Supervision.Overdue = d.Before(s.today()) && slices.Contains(docket.OpenStates, c.State) && c.Supervision.AnsweredAt == nil
	}
	if by := civil.FromNull(objectBy); by != nil && fromCode.Valid {
		c.OfficeTransfer = &OfficeTransfer{From: fromCode.String, FromName: fromName.String, ObjectBy: *by}
	}
	if mergedInto.Valid {
		c.MergedInto = &mergedInto.Int64
	}
	if c.Can.Identity {
		c.Anonymous = &anonymous
		if m := strings.TrimSpace(mask); m != "" && json.Valid([]byte(m)) {
			c.Reporter = json.RawMessage(m)
		}
	}
	c.Deadlines.Deadlines = d
	c.Deadlines.Current = d.Current(c.State)
	c.DueStatus = docket.OnTime
	if !c.Deadlines.Current.IsZero() {
		cal, err := s.officeCalendar(ctx, c.Facts.OfficeID)
		if err != nil {
			return nil, err
		}
		left := cal.WorkdaysLeft(s.today(), c.Deadlines.Current)
		c.Deadlines.WorkingDaysLeft, c.WorkingDaysLeft = &left, &left
		c.DueStatus = DueStatus(cal, s.today(), c.Deadlines.Current)
	}
	for _, a := range Actions() {
		r := Machine()[a]
		if _, ok := r.From[c.State]; ok && s.pol.On(p, r.Perm, c.Facts) && (r.open == nil || r.open(c, s.today())) {
			c.AllowedActions = append(c.AllowedActions, a)
		}
	}
	if c.AllowedActions == nil {
		c.AllowedActions = []docket.Action{}
	}
	if err := s.fill(ctx, p, c); err != nil {
		return nil, err
	}
	return c, nil
}

// fill reads the lists of a case: person ids, merged duplicates, history,
// messages and attachments (the duplicates' included).
func (s *Service) fill(ctx context.Context, p auth.Principal, c *Case) error {
	q := s.db.Read
	ids := func(query string, more ...any) ([]int64, error) {
		rows, err := q.QueryContext(ctx, query, append([]any{c.ID}, more...)...)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		out := []int64{}
		for rows.Next() {
			var n int64
			if err := rows.Scan(&n); err != nil {
				return nil, err
			}
			out = append(out, n)
		}
		return out, rows.Err()
	}
	var err error
	if c.PersonIDs, err = ids(`SELECT person_id FROM case_people WHERE case_id = $1 ORDER BY person_id`); err != nil {
		return fmt.Errorf("cases: read case people: %w", err)
	}
	// The duplicates merged into it that the caller may see.
	var args []any
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)+1) }
	seen := s.pol.Cases(p, access.CaseRead).SQL("c", arg)
	if c.MergedCases, err = ids(`SELECT c.id FROM cases c WHERE c.merged_into = $1 AND `+seen+` ORDER BY c.id`, args...); err != nil {
		return fmt.Errorf("cases: read merged cases: %w", err)
	}
	c.History = []Event{}
	rows, err := q.QueryContext(ctx, `SELECT at, actor, action, public, data FROM case_events WHERE case_id = $1 ORDER BY id`, c.ID)
	if err != nil {
		return fmt.Errorf("cases: read history: %w", err)
	}
	for rows.Next() {
		var e Event
		var at store.Instant
		var data string
		if err := rows.Scan(&at, &e.Actor, &e.Action, &e.Public, &data); err != nil {
			rows.Close()
			return err
		}
		e.At, e.Data = at.Time, json.RawMessage(data)
		if !json.Valid(e.Data) || hidesReporter(e, c.Can) {
			e.Data = json.RawMessage("{}")
		}
		c.History = append(c.History, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	// The case and the duplicates merged into it.
	all := append([]int64{c.ID}, c.MergedCases...)
	in := make([]string, len(all))
	args = make([]any, len(all))
	for i, id := range all {
		in[i] = fmt.Sprintf("$%d", i+1)
		args[i] = id
	}
	set := strings.Join(in, ",")
	if err := s.thread(ctx, c, set, args); err != nil {
		return err
	}
	c.Attachments = []Attachment{}
	rows, err = q.QueryContext(ctx, `SELECT id, case_id, sha256, filename, content_type, size, source, created_at FROM attachments WHERE case_id IN (`+set+`) ORDER BY id`, args...)
	if err != nil {
		return fmt.Errorf("cases: read attachments: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var a Attachment
		var at store.Instant
		if err := rows.Scan(&a.ID, &a.CaseID, &a.SHA256, &a.Filename, &a.ContentType, &a.Size, &a.Source, &at); err != nil {
			return err
		}
		a.CreatedAt = at.Time
		if access.ReporterFile(a.Source) && !c.Can.Files {
			continue
		}
		c.Attachments = append(c.Attachments, a)
	}
	return rows.Err()
}

// hidesReporter reports whether a history line holds what the caller may
// not know of the reporter: a reply's text, a review request's reasons (the
// reporter's words), the reason an identity was opened.
func hidesReporter(e Event, can access.Fields) bool {
	switch e.Action {
	case docket.Reply, docket.ReviewRequest:
		return !e.Public && !can.Thread
	case docket.IdentityRevealed:
		return !can.Identity
	}
	return false
}

// thread reads the reporter thread of the cases in set, for those who may read it.
func (s *Service) thread(ctx context.Context, c *Case, set string, args []any) error {
	if !c.Can.Thread {
		return nil
	}
	msgs := []Message{}
	rows, err := s.db.Read.QueryContext(ctx, `SELECT id, case_id, at, direction, author, body FROM messages WHERE case_id IN (`+set+`) ORDER BY at, id`, args...)
	if err != nil {
		return fmt.Errorf("cases: read messages: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var m Message
		var at store.Instant
		if err := rows.Scan(&m.ID, &m.CaseID, &at, &m.Direction, &m.Author, &m.Body); err != nil {
			return err
		}
		m.At = at.Time
		msgs = append(msgs, m)
	}
	c.Messages = &msgs
	return rows.Err()
}
