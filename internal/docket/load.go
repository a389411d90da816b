package docket

import (
	"context"
	"database/sql"
	"time"

	"mashang/internal/civil"
	"mashang/internal/store"
)

// Loaded is a whole case as load data writes it (the demo county): every
// column, with its id given. Zero values are NULL for references and dates.
type Loaded struct {
	ID                int64
	Receipt           string
	KeyHash           []byte
	Channel           Channel
	State             State
	ReceivedAt        time.Time
	ReceivedOn        civil.Date
	Content           string
	Situation         string
	Category          string
	CatalogVersion    string
	UnitID, PersonID  int64
	Anonymous         bool
	Identity          []byte
	IdentityMask      string
	Deadlines         Deadlines
	AcceptedOn        civil.Date
	AssigneeID        int64
	TransferUnitID    int64
	TransferredOn     civil.Date
	Finding           Finding
	ConcludedOn       civil.Date
	MergedInto        int64
	ExtensionDays     int
	Replied           bool
	RepliedOn         civil.Date
	ReviewCount       int
	ReviewRequestedOn civil.Date
	ClosedAt          time.Time
	Rating            Rating
	RatedAt           time.Time
	CreatedBy         string
	UpdatedAt         time.Time
	OfficeID          int64
}

// LoadedEvent is a history line of load data, with its id given.
type LoadedEvent struct {
	ID int64
	Event
}

var loadCaseCols = []string{"id", "receipt", "key_hash", "channel", "state", "received_at", "received_on", "content", "situation", "category",
	"catalog_version", "unit_id", "person_id", "anonymous", "identity", "identity_mask", "accept_by", "finish_by", "provisional",
	"accepted_on", "assignee_id", "transfer_unit_id", "finding", "merged_into", "created_by", "version", "updated_at",
	"base_finish_by", "extension_days", "transferred_on", "return_by", "concluded_on", "replied", "replied_on", "review_request_by",
	"review_count", "review_requested_on", "review_by", "closed_at", "rating", "rated_at", "office_id"}

// Loader writes load data with multi-row INSERTs: cases, their history and
// the people their conclusions name. Flush before the transaction commits.
type Loader struct {
	cases, events, people *store.Bulk
}

// NewLoader returns a loader for engine.
func NewLoader(engine store.Engine) *Loader {
	return &Loader{
		cases:  store.NewBulk(engine, "cases", loadCaseCols, 500),
		events: store.NewBulk(engine, "case_events", []string{"id", "case_id", "at", "actor", "action", "data", "public"}, 1000),
		people: store.NewBulk(engine, "case_people", []string{"case_id", "person_id"}, 2000),
	}
}

// Reset forgets what is buffered (a retried transaction starts again).
func (l *Loader) Reset() {
	l.cases.Reset()
	l.events.Reset()
	l.people.Reset()
}

// Case buffers one case.
func (l *Loader) Case(ctx context.Context, tx *sql.Tx, c Loaded) error {
	d := c.Deadlines
	return l.cases.Add(ctx, tx, c.ID, c.Receipt, c.KeyHash, string(c.Channel), string(c.State), store.FormatInstant(c.ReceivedAt),
		c.ReceivedOn.String(), c.Content, c.Situation, c.Category, c.CatalogVersion, nullID(c.UnitID), nullID(c.PersonID), c.Anonymous,
		c.Identity, c.IdentityMask, d.AcceptBy, d.FinishBy, d.Provisional, c.AcceptedOn, nullID(c.AssigneeID), nullID(c.TransferUnitID),
		string(c.Finding), nullID(c.MergedInto), c.CreatedBy, 1, store.FormatInstant(c.UpdatedAt), d.BaseFinishBy, c.ExtensionDays,
		c.TransferredOn, d.ReturnBy, c.ConcludedOn, c.Replied, c.RepliedOn, d.ReviewRequestBy, c.ReviewCount, c.ReviewRequestedOn,
		d.ReviewBy, store.Instant{Time: c.ClosedAt}, string(c.Rating), store.Instant{Time: c.RatedAt}, officeOrHome(c.OfficeID))
}

// Event buffers one history line.
func (l *Loader) Event(ctx context.Context, tx *sql.Tx, e LoadedEvent) error {
	data, err := eventData(e.Data)
	if err != nil {
		return err
	}
	return l.events.Add(ctx, tx, e.ID, e.Case, store.FormatInstant(e.At), e.Actor, string(e.Action), data, e.Public)
}

// Person buffers one person a conclusion names.
func (l *Loader) Person(ctx context.Context, tx *sql.Tx, caseID, personID int64) error {
	return l.people.Add(ctx, tx, caseID, personID)
}

// CaseFlush writes the buffered cases (before lines that refer to them).
func (l *Loader) CaseFlush(ctx context.Context, tx *sql.Tx) error { return l.cases.Flush(ctx, tx) }

// Flush writes everything buffered.
func (l *Loader) Flush(ctx context.Context, tx *sql.Tx) error {
	for _, b := range []*store.Bulk{l.cases, l.events, l.people} {
		if err := b.Flush(ctx, tx); err != nil {
			return err
		}
	}
	return nil
}
