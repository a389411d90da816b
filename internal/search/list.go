package search

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"mashang/internal/access"
	"mashang/internal/auth"
	"mashang/internal/calendar"
	"mashang/internal/catalog"
	"mashang/internal/civil"
	"mashang/internal/clock"
	"mashang/internal/docket"
	"mashang/internal/problem"
	"mashang/internal/receipt"
	"mashang/internal/store"
	"mashang/internal/textsearch"
)

// Page sizes.
const (
	DefaultLimit = 50
	MaxLimit     = 200
	// CountCap bounds count=true: up to it the total is exact; beyond it the
	// answer is CountCap with total_exact false ("more than").
	CountCap = 10000
	// QueryCountCap is CountCap for a list with q (every candidate is
	// verified against its text).
	QueryCountCap = 1000
	// RankCap is how many of the newest matching cases sort=relevance ranks
	// (each is read and scored on its text: a thousand answer in tens of
	// milliseconds at a million cases, five thousand did not); the page says
	// so when more matched.
	RankCap = 1000
	// NoDeadline is the deadline column's value when no deadline runs.
	NoDeadline = docket.NoDeadline
	// SnippetRadius is the context shown on each side of a hit, in runes.
	SnippetRadius = 30
)

// ExportPage is the page an export reads at a time: larger than a screen's
// list (each page is one round trip, a dozen milliseconds on a loaded
// PostgreSQL: 200,000 cases in pages of 200 took minutes), small enough that
// one page of rows stays a few megabytes.
const ExportPage = 1000

// DefaultProbeWindow is Service.ProbeWindow as New sets it.
const DefaultProbeWindow = 500

// DefaultSortFew is Service.SortFew as New sets it.
const DefaultSortFew = 3000

// DefaultWithinCap is Service.WithinCap as New sets it.
const DefaultWithinCap = 100000

// Sorts are the orders a list may have.
var Sorts = []string{"received", "deadline", "relevance"}

// Options configure a Service.
type Options struct {
	Policy   *access.Policy // which cases, and which of their fields, a caller may know
	Clock    clock.Clock
	Loc      *time.Location
	Calendar func() *calendar.Calendar
	// OfficeCalendars are the offices' calendars by id (app.Calendars.Offices:
	// the national one with each office's own days), for the working days
	// left and the due filters; nil: Calendar for every office.
	OfficeCalendars func(ctx context.Context) (map[int64]*calendar.Calendar, error)
	// Catalog is the catalogue whose codes a caller's situation filter
	// accepts (app.Catalogs.Names: its office's version with every other
	// one, since a case keeps the version it was classified under); nil:
	// any code.
	Catalog func(ctx context.Context, p auth.Principal) (*catalog.Catalog, error)
	Log     *slog.Logger
}

// Service answers the staff's case lists and searches.
type Service struct {
	db     *store.DB
	folder *textsearch.Folder
	Index  *Index
	// Deadline is where a search by deadline changes its way (tests walk).
	Deadline DeadlineTuning
	// SortFew is the number of matches up to which a list without q reads
	// every match and sorts it rather than walk its order's index (0: it
	// always walks; tests try both).
	SortFew int
	// ProbeWindow is how many of each of its units' transferred cases, in
	// the list's order, a liaison's list reads for its page on PostgreSQL
	// before it counts its matches (0: none, the count alone).
	ProbeWindow int
	// WithinCap is the most cases a liaison's search reads as its scope
	// (Service.within); beyond it, or at 0, its candidates are verified as
	// anyone's (tests try both).
	WithinCap int
	o         Options
}

// New builds the service and its index.
func New(db *store.DB, f *textsearch.Folder, o Options) *Service {
	if o.Clock == nil {
		o.Clock = clock.System{}
	}
	if o.Loc == nil {
		o.Loc = time.UTC
	}
	if o.Calendar == nil {
		o.Calendar = func() *calendar.Calendar { return nil }
	}
	return &Service{db: db, folder: f, Index: NewIndex(db, f, o.Log, o.Clock.Now), Deadline: DefaultDeadlineTuning(), SortFew: DefaultSortFew, ProbeWindow: DefaultProbeWindow, WithinCap: DefaultWithinCap, o: o}
}

// Folder returns the text folder the index uses.
func (s *Service) Folder() *textsearch.Folder { return s.folder }

// ListQuery is a parsed GET /api/v1/cases.
type ListQuery struct {
	States    []docket.State // "open" in the query stands for docket.OpenStates
	Unit      string         // code; the unit and its sub-units
	Channels  []docket.Channel
	PersonID  int64
	Situation string // a situation code (P1.2) or a category (P1)
	Assignee  string // username, numeric user id, or "me"
	Due       docket.Due
	// Supervised: "any" the cases an office above supervises (督办),
	// "overdue" those of them open past the supervision's deadline.
	Supervised   string
	ReceivedFrom civil.Date
	ReceivedTo   civil.Date
	Q            string
	Sort         string // received (default), deadline, relevance (with q)
	Cursor       string
	Limit        int
	Count        bool
}

func invalid(field, code, zh, en string) error { return problem.Invalid(field, code, zh, en) }

// ParseListQuery reads the list's query parameters. Unknown values of
// closed sets are 422, a limit over MaxLimit is 422, bad dates 400.
func ParseListQuery(v url.Values) (ListQuery, error) {
	q := ListQuery{Limit: DefaultLimit, Sort: "received"}
	for _, st := range splitList(v.Get("state")) {
		if st == "open" {
			q.States = append(q.States, docket.OpenStates...)
			continue
		}
		if !docket.State(st).Valid() {
			return q, invalid("state", "unknown_state", "未知的案件状态："+st, "unknown state: "+st)
		}
		q.States = append(q.States, docket.State(st))
	}
	slices.Sort(q.States)
	q.States = slices.Compact(q.States)
	for _, ch := range splitList(v.Get("channel")) {
		if !docket.Channel(ch).Valid() {
			return q, invalid("channel", "unknown_channel", "未知的渠道："+ch, "unknown channel: "+ch)
		}
		q.Channels = append(q.Channels, docket.Channel(ch))
	}
	q.Unit = strings.TrimSpace(v.Get("unit"))
	if p := v.Get("person_id"); p != "" {
		n, err := strconv.ParseInt(p, 10, 64)
		if err != nil || n <= 0 {
			return q, invalid("person_id", "invalid_person_id", "person_id 应为正整数", "person_id must be a positive integer")
		}
		q.PersonID = n
	}
	q.Situation = strings.TrimSpace(v.Get("situation"))
	if c := strings.TrimSpace(v.Get("category")); c != "" {
		if q.Situation != "" && !strings.HasPrefix(q.Situation, c) {
			return q, invalid("category", "conflicting_filters", "situation 与 category 不一致", "situation and category disagree")
		}
		if q.Situation == "" {
			q.Situation = c
		}
	}
	q.Assignee = strings.TrimSpace(v.Get("assignee"))
	q.Due = docket.Due(v.Get("due"))
	if q.Due != "" && !slices.Contains(docket.Dues, q.Due) {
		return q, invalid("due", "unknown_due", "due 应为 on_time、due_soon 或 overdue", "due must be on_time, due_soon or overdue")
	}
	q.Supervised = v.Get("supervised")
	if q.Supervised != "" && q.Supervised != "any" && q.Supervised != "overdue" {
		return q, invalid("supervised", "unknown_supervised", "supervised 应为 any 或 overdue", "supervised must be any or overdue")
	}
	var err error
	if q.ReceivedFrom, err = dateParam(v, "received_from"); err != nil {
		return q, err
	}
	if q.ReceivedTo, err = dateParam(v, "received_to"); err != nil {
		return q, err
	}
	if !q.ReceivedFrom.IsZero() && !q.ReceivedTo.IsZero() && q.ReceivedTo.Before(q.ReceivedFrom) {
		return q, civil.NotBefore("received_to", q.ReceivedTo, q.ReceivedFrom, "received_from", "received_from")
	}
	q.Q = v.Get("q")
	if utf8.RuneCountInString(q.Q) > textsearch.MaxQueryRunes {
		return q, invalid("q", "query_too_long", fmt.Sprintf("检索词不能超过 %d 个字", textsearch.MaxQueryRunes), fmt.Sprintf("the query may not be longer than %d characters", textsearch.MaxQueryRunes))
	}
	if s := v.Get("sort"); s != "" {
		if !slices.Contains(Sorts, s) {
			return q, invalid("sort", "unknown_sort", "sort 应为 received、deadline 或 relevance", "sort must be received, deadline or relevance")
		}
		q.Sort = s
	}
	if q.Sort == "relevance" && strings.TrimSpace(q.Q) == "" {
		return q, invalid("sort", "relevance_needs_q", "按相关度排序需要检索词 q", "sort=relevance needs a query q")
	}
	if l := v.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > MaxLimit {
			return q, invalid("limit", "invalid_limit", fmt.Sprintf("limit 应在 1 到 %d 之间", MaxLimit), fmt.Sprintf("limit must be between 1 and %d", MaxLimit))
		}
		q.Limit = n
	}
	q.Cursor = v.Get("next")
	if q.Cursor == "" {
		q.Cursor = v.Get("cursor")
	}
	switch v.Get("count") {
	case "", "false", "0":
	case "true", "1":
		q.Count = true
	default:
		return q, invalid("count", "invalid_count", "count 应为 true 或 false", "count must be true or false")
	}
	return q, nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func dateParam(v url.Values, name string) (civil.Date, error) {
	s := v.Get(name)
	if s == "" {
		return civil.Date{}, nil
	}
	d, err := civil.Parse(s)
	if err != nil {
		return civil.Date{}, civil.NotADate(name)
	}
	return d, nil
}

// cursor is the opaque next-page token: the last row's sort key and id.
type cursor struct {
	Sort  string  `json:"s"`
	Key   string  `json:"k,omitempty"`
	Score float64 `json:"x,omitempty"`
	ID    int64   `json:"i"`
}

var errCursor = problem.Malformed("invalid_cursor", "分页游标无效", "the page cursor is not valid")

func (c cursor) encode() string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s, sort string) (*cursor, error) {
	if s == "" {
		return nil, nil
	}
	if len(s) > 512 {
		return nil, errCursor
	}
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
	if err != nil {
		return nil, errCursor
	}
	var c cursor
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil || c.ID <= 0 || c.Sort != sort {
		return nil, errCursor
	}
	switch sort {
	case "received":
		if c.Key != "" {
			if _, err := time.Parse(store.InstantLayout, c.Key); err != nil {
				return nil, errCursor
			}
		}
	case "deadline":
		if c.Key != NoDeadline {
			if _, err := civil.Parse(c.Key); err != nil {
				return nil, errCursor
			}
		}
	}
	return &c, nil
}

// Deadlines are a case's deadlines.
type Deadlines struct {
	AcceptBy    *civil.Date `json:"accept_by"`
	FinishBy    *civil.Date `json:"finish_by"`
	Provisional bool        `json:"provisional"`
}

// Snippet is a hit in context (plain text; the page escapes and marks Hit).
type Snippet struct {
	Before    string `json:"before"`
	Hit       string `json:"hit"`
	After     string `json:"after"`
	CutBefore bool   `json:"cut_before"`
	CutAfter  bool   `json:"cut_after"`
}

// Row is one case in a list. The reporter appears only masked.
type Row struct {
	ID         int64           `json:"id"`
	State      docket.State    `json:"state"`
	Channel    docket.Channel  `json:"channel"`
	ReceivedAt time.Time       `json:"received_at"`
	Office     string          `json:"office"` // the code of the office the case belongs to
	Unit       *string         `json:"unit"`
	UnitName   *string         `json:"unit_name"`
	Situation  string          `json:"situation"`
	Category   string          `json:"category"`
	Deadlines  Deadlines       `json:"deadlines"`
	Deadline   *civil.Date     `json:"deadline"`
	Due        *docket.Due     `json:"due"`
	DaysLeft   *int            `json:"days_left"`
	Assignee   *string         `json:"assignee"`
	Reporter   json.RawMessage `json:"reporter,omitempty"` // masked, and only for those who may know the reporter of the case
	Summary    string          `json:"summary"`
	Snippet    *Snippet        `json:"snippet,omitempty"`
	// Supervision is the office above's supervision (督办), if any.
	Supervision *Supervision `json:"supervision,omitempty"`
	Score       *float64     `json:"score,omitempty"`

	receivedRaw string
	deadlineRaw string
	content     string
	folded      string
	mask        string
	supOffice   sql.NullInt64
	supAnswered bool
	facts       access.Facts
}

// Supervision is a case's supervision by an office above (督办): the
// deadline, the supervising office's code, and whether the case is open
// past the deadline.
type Supervision struct {
	Deadline civil.Date `json:"deadline"`
	Office   string     `json:"office"`
	Overdue  bool       `json:"overdue"`
	// Answered: the supervised office has answered.
	Answered bool `json:"answered"`
}

// Page is one page of a list.
type Page struct {
	Cases      []Row   `json:"cases"`
	Next       *string `json:"next,omitempty"`
	Total      *int    `json:"total,omitempty"`
	TotalExact *bool   `json:"total_exact,omitempty"`
	// RankedPartial: sort=relevance ranked only the RankCap newest matches.
	RankedPartial bool `json:"ranked_partial,omitempty"`
}

// builder collects WHERE clauses and arguments.
type builder struct {
	where []string
	args  []any
	// splits are the filters on several values of one column (the states
	// asked for, the units of a subtree): a plain list reads one ordered
	// index range per combination of values and merges them.
	splits []split
	// narrow: another filter has an ordered index range of its own (one
	// unit, assignee, person, situation, channel or state, the due
	// filters' running cases, a scope narrower than all cases): reading it
	// with the several values as an IN filter beats one range per value.
	narrow bool
	// sortFew: the filters are of the kind that often match few cases
	// spread thinly over the order's index (supervision, a liaison's
	// transferred cases): count them first, and sort them when few.
	sortFew bool
	// transferUnits are a liaison's units (its scope): a search looks only
	// among the cases transferred to them (see Service.within).
	transferUnits []int64
	// within, when set, holds every case that may pass the filters: a
	// search's candidates outside it are dropped before any is verified.
	within *candidateSet
	// sortAll: the matches are few by nature (the cases due soon): sort
	// them without counting.
	sortAll bool
	// dues are the due filters' dates (and each office's calendar).
	dues dues
	// thread and identity are the cases whose reporter thread, and whose
	// reporter, the caller may know: a search matches the thread only on
	// the first, a row shows the masked reporter only on the second.
	thread, identity access.CaseFilter
}

func (b *builder) arg(v any) string {
	b.args = append(b.args, v)
	return "$" + strconv.Itoa(len(b.args))
}

func (b *builder) add(clause string) { b.where = append(b.where, clause) }

// split is a filter "col IN list" that may be read value by value.
type split struct {
	clause, col string
	vals        []any
}

// addSplit adds the filter col IN list (list written out, of checked
// values), to be read value by value where that helps.
func (b *builder) addSplit(col, list string, vals []any) {
	clause := col + " IN " + list
	b.add(clause)
	b.splits = append(b.splits, split{clause: clause, col: col, vals: vals})
}

func anys[T any](vs []T) []any {
	out := make([]any, len(vs))
	for i, v := range vs {
		out[i] = v
	}
	return out
}

// after adds the condition of the cases past cur in q's order (none when
// cur is nil) and returns it.
func (b *builder) after(q ListQuery, cur *cursor) string {
	if cur == nil {
		return ""
	}
	if q.Sort == "deadline" {
		b.add("(c.deadline, c.id) > (" + b.arg(cur.Key) + ", " + b.arg(cur.ID) + ")")
	} else {
		b.add("(c.received_at, c.id) < (" + b.arg(cur.Key) + ", " + b.arg(cur.ID) + ")")
	}
	return b.where[len(b.where)-1]
}

// parts returns b as one builder per value of the filter it reads value by
// value, with "col = value" in place of "col IN list"; b alone when none is.
// A unit's subtree is read unit by unit (cases_unit, cases_unit_deadline);
// several states or channels value by value only when they are the one
// filter with several values and no other filter narrows the list (one
// range per state of "state=open" and an assignee would each walk the
// state's cases for the assignee's few).
func (b *builder) parts() []*builder {
	var sp *split
	for i := range b.splits {
		if b.splits[i].col == "c.unit_id" || b.splits[i].col == "c.transfer_unit_id" && sp == nil {
			sp = &b.splits[i]
		}
	}
	if sp == nil && len(b.splits) == 1 && !b.narrow {
		sp = &b.splits[0]
	}
	if sp == nil {
		return []*builder{b}
	}
	out := make([]*builder, 0, len(sp.vals))
	for _, v := range sp.vals {
		nb := b.clone()
		for i, w := range nb.where {
			if w == sp.clause {
				nb.where[i] = sp.col + " = " + nb.arg(v)
			}
		}
		out = append(out, nb)
	}
	return out
}

func (b *builder) sql() string {
	if len(b.where) == 0 {
		return "TRUE"
	}
	return strings.Join(b.where, " AND ")
}

func (b *builder) clone() *builder {
	return &builder{where: slices.Clone(b.where), args: slices.Clone(b.args), splits: b.splits, narrow: b.narrow, sortFew: b.sortFew, transferUnits: b.transferUnits, within: b.within, sortAll: b.sortAll, thread: b.thread, identity: b.identity, dues: b.dues}
}

var rowColumns = `c.id, c.state, c.channel, c.received_at, u.code, u.name, c.situation, c.category,
	c.accept_by, c.finish_by, c.provisional, c.deadline, a.username, c.identity_mask, c.content,
	c.supervision_deadline, c.supervision_office_id, c.supervision_answered_at IS NOT NULL, ` + access.FactsSQL("c")

// bareColumns are rowColumns without the joins, for verifying candidates.
var bareColumns = `c.id, c.state, c.channel, c.received_at, NULL, NULL, c.situation, c.category, NULL, NULL, c.provisional, c.deadline, NULL, '', c.content, NULL, NULL, FALSE, ` +
	access.FactsSQL("c")

const rowFrom = ` FROM cases c LEFT JOIN units u ON u.id = c.unit_id LEFT JOIN users a ON a.id = c.assignee_id`

func scanRow(sc scanner, extra ...any) (Row, error) {
	var r Row
	var unit, unitName, acceptBy, finishBy, assignee, supDeadline sql.NullString
	dst := []any{&r.ID, &r.State, &r.Channel, &r.receivedRaw, &unit, &unitName, &r.Situation, &r.Category,
		&acceptBy, &finishBy, r.Provisional(), &r.deadlineRaw, &assignee, &r.mask, &r.content, &supDeadline, &r.supOffice, &r.supAnswered}
	dst = append(dst, r.facts.Dest()...)
	if err := sc.Scan(append(dst, extra...)...); err != nil {
		return r, err
	}
	t, err := time.Parse(store.InstantLayout, r.receivedRaw)
	if err != nil {
		if t, err = time.Parse(time.RFC3339Nano, r.receivedRaw); err != nil {
			return r, fmt.Errorf("search: case %d: bad received_at %q", r.ID, r.receivedRaw)
		}
	}
	r.ReceivedAt = t
	if unit.Valid {
		r.Unit, r.UnitName = &unit.String, &unitName.String
	}
	if assignee.Valid {
		r.Assignee = &assignee.String
	}
	if d := civil.FromNull(supDeadline); d != nil {
		r.Supervision = &Supervision{Deadline: *d}
	}
	r.Deadlines.AcceptBy = civil.FromNull(acceptBy)
	r.Deadlines.FinishBy = civil.FromNull(finishBy)
	return r, nil
}

// Provisional gives scanRow the address of the provisional flag.
func (r *Row) Provisional() *bool { return &r.Deadlines.Provisional }

// List answers GET /api/v1/cases for p: the cases p may read
// (access.CaseRead), each with the masked reporter only where p may know it.
func (s *Service) List(ctx context.Context, p auth.Principal, q ListQuery) (Page, error) {
	return s.list(ctx, p, access.CaseRead, q)
}

// Export is List for the exports (access.CaseExport).
func (s *Service) Export(ctx context.Context, p auth.Principal, q ListQuery) (Page, error) {
	return s.list(ctx, p, access.CaseExport, q)
}

func (s *Service) list(ctx context.Context, p auth.Principal, perm access.Perm, q ListQuery) (Page, error) {
	cur, err := decodeCursor(q.Cursor, q.Sort)
	if err != nil {
		return Page{}, err
	}
	b, err := s.filters(ctx, p, perm, q)
	if err != nil {
		return Page{}, err
	}
	var page Page
	if strings.TrimSpace(q.Q) == "" && q.Q != "" {
		// Only white space: an empty result, not an error.
		page.Cases = []Row{}
		if q.Count {
			page.setTotal(0, true)
		}
	} else if code, ok := receipt.Normalize(q.Q); ok && s.hasReceipt(ctx, b, code) {
		// A receipt code, however it was typed (with or without dashes,
		// lower case, full-width): its case, by the unique index on receipt.
		rb := b.clone()
		rb.add("c.receipt = " + rb.arg(code))
		if page, err = s.plain(ctx, rb, q, cur); err != nil {
			return Page{}, err
		}
	} else if q.Q != "" {
		query, err := s.folder.ParseQuery(q.Q)
		if errors.Is(err, textsearch.ErrQueryTooLong) {
			return Page{}, invalid("q", "query_too_long", "检索词过长", "the query is too long")
		} else if err != nil {
			return Page{}, invalid("q", "invalid_query", "检索词无效", "the query is not valid")
		}
		if query.Empty() {
			page.Cases = []Row{}
			if q.Count {
				page.setTotal(0, true)
			}
			return page, nil
		}
		if _, err := s.Index.CatchUp(ctx); err != nil {
			return Page{}, err
		}
		if page, err = s.search(ctx, b, q, query, cur); err != nil {
			return Page{}, err
		}
	} else {
		if page, err = s.plain(ctx, b, q, cur); err != nil {
			return Page{}, err
		}
	}
	codes, err := s.officeCodes(ctx)
	if err != nil {
		return Page{}, err
	}
	s.decorate(b, page.Cases, codes)
	return page, nil
}

// hasReceipt reports whether a case the caller may list (b's filters) has
// the receipt code. A query that only looks like a code (a ten-symbol word
// whose check symbol happens to fit) then falls back to the text search.
func (s *Service) hasReceipt(ctx context.Context, b *builder, code string) bool {
	rb := b.clone()
	rb.add("c.receipt = " + rb.arg(code))
	var one int
	err := s.db.Read.QueryRowContext(ctx, `SELECT 1 FROM cases c WHERE `+rb.sql()+` LIMIT 1`, s.db.OneShot(rb.args...)...).Scan(&one)
	return err == nil
}

func (p *Page) setTotal(n int, exact bool) {
	p.Total, p.TotalExact = &n, &exact
}

// filters turns q's filters and p's visibility into WHERE clauses.
func (s *Service) filters(ctx context.Context, p auth.Principal, perm access.Perm, q ListQuery) (*builder, error) {
	pol := s.o.Policy
	b := &builder{thread: pol.Cases(p, access.ReporterThread), identity: pol.Cases(p, access.ReporterIdentity)}
	var err error
	if b.dues, err = s.dueBounds(ctx); err != nil {
		return nil, err
	}
	scope := pol.Cases(p, perm)
	b.add(scope.SQL("c", b.arg))
	if scope.Scope() == access.Unit && p.UnitPath != "" {
		// A liaison's cases, those transferred to its unit's subtree: the
		// scope's condition again as the subtree's units, so that a list
		// reads each unit's transferred cases in order and merges them
		// (transfer_unit_id, received_at), or sorts them when few.
		ids, err := s.subUnits(ctx, p.UnitPath)
		if err != nil {
			return nil, err
		}
		b.addSplit("c.transfer_unit_id", "("+intList(ids)+")", anys(ids))
		b.sortFew = true
		b.transferUnits = ids
	}
	if q.Due != "" && len(q.States) > 0 {
		// A deadline runs only in the open states (the generated column
		// deadline): with a due filter, the states asked for count only as
		// far as they are open, and all of them open is no filter at all
		// (state=open&due=overdue reads as due=overdue).
		var running []docket.State
		for _, st := range q.States {
			if slices.Contains(docket.OpenStates, st) {
				running = append(running, st)
			}
		}
		switch {
		case len(running) == 0:
			b.add("FALSE")
		case len(running) == len(docket.OpenStates):
			running = nil
		}
		q.States = running
	}
	b.narrow = scope.Scope() != access.All || len(q.States) == 1 || len(q.Channels) == 1 || q.PersonID != 0 ||
		q.Situation != "" || q.Assignee != "" || q.Due != ""
	// Several states or channels: their values (checked against the closed
	// sets) are written into the SQL, and a plain list may read one ordered
	// index range per value (see builder.parts).
	if len(q.States) == 1 {
		b.add("c.state = " + b.arg(string(q.States[0])))
	} else if len(q.States) > 1 {
		b.addSplit("c.state", docket.SQLList(q.States...), anys(q.States))
	}
	if len(q.Channels) == 1 {
		b.add("c.channel = " + b.arg(string(q.Channels[0])))
	} else if len(q.Channels) > 1 {
		b.addSplit("c.channel", docket.SQLList(q.Channels...), anys(q.Channels))
	}
	if q.Unit != "" {
		var path string
		err := s.db.Read.QueryRowContext(ctx, `SELECT path FROM units WHERE code = $1`, q.Unit).Scan(&path)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, invalid("unit", "unknown_unit", "未知的单位："+q.Unit, "unknown unit: "+q.Unit)
		} else if err != nil {
			return nil, fmt.Errorf("search: unit: %w", err)
		}
		ids, err := s.subUnits(ctx, path)
		if err != nil {
			return nil, err
		}
		if len(ids) == 1 {
			b.add("c.unit_id = " + b.arg(ids[0]))
			b.narrow = true
		} else {
			b.addSplit("c.unit_id", "("+intList(ids)+")", anys(ids))
		}
	}
	if q.PersonID != 0 {
		b.add("c.person_id = " + b.arg(q.PersonID))
	}
	if q.Situation != "" {
		var cat *catalog.Catalog
		if s.o.Catalog != nil {
			if cat, err = s.o.Catalog(ctx, p); err != nil {
				return nil, err
			}
		}
		if strings.Contains(q.Situation, ".") {
			if cat != nil {
				if _, ok := cat.Situation(q.Situation); !ok {
					return nil, invalid("situation", "unknown_situation", "未知的情形："+q.Situation, "unknown situation: "+q.Situation)
				}
			}
			b.add("c.situation = " + b.arg(q.Situation))
		} else {
			if cat != nil && !slices.Contains(cat.Categories(), q.Situation) {
				return nil, invalid("category", "unknown_category", "未知的类别："+q.Situation, "unknown category: "+q.Situation)
			}
			b.add("c.category = " + b.arg(q.Situation))
		}
	}
	if q.Assignee != "" {
		var id int64
		var err error
		switch {
		case q.Assignee == "me":
			id = p.UserID
		default:
			if n, perr := strconv.ParseInt(q.Assignee, 10, 64); perr == nil {
				err = s.db.Read.QueryRowContext(ctx, `SELECT id FROM users WHERE id = $1`, n).Scan(&id)
			} else {
				err = s.db.Read.QueryRowContext(ctx, `SELECT id FROM users WHERE username = $1`, q.Assignee).Scan(&id)
			}
		}
		if errors.Is(err, sql.ErrNoRows) {
			return nil, invalid("assignee", "unknown_assignee", "未知的承办人", "unknown assignee")
		} else if err != nil {
			return nil, fmt.Errorf("search: assignee: %w", err)
		}
		b.add("c.assignee_id = " + b.arg(id))
	}
	if q.Due != "" {
		today := b.dues.today
		// runningCases, written as in the index cases_running_received, lets
		// both engines walk the running cases newest first. A liaison's
		// cases newest first walk its units' received index instead: the
		// running cases named as an expression, so that no engine reads
		// every running case of a unit by its deadline index
		// (cases_transfer_deadline) and sorts them.
		// So are an assignee's and a situation's or category's running cases
		// newest first: their received index carries them in order, while
		// the running range written plainly let SQLite (with its statistics
		// of five million cases, most of them closed) take their deadline
		// index for it and sort every running case of theirs (the busiest
		// handler's overdue cases: 110 ms against 8 ms).
		if q.Sort == "received" && (scope.Scope() == access.Unit || q.Assignee != "" || q.Situation != "") {
			b.add("(c.deadline || '') < '" + NoDeadline + "'")
		} else {
			b.add(runningCases)
		}
		// Newest first, the overdue and on-time cases are many: the running
		// cases' index is walked newest first, and their deadlines compared
		// as written so that no engine takes the deadline range instead
		// (and sorts a hundred thousand cases); the cases due soon are
		// those of a few days' deadlines: read by that range and sorted.
		dl := "c.deadline"
		if q.Sort == "received" {
			dl = "(c.deadline || '')"
		}
		switch q.Due {
		case docket.Overdue:
			b.add(dl + " < " + b.arg(today.String()))
		case docket.DueSoon:
			b.add("c.deadline >= " + b.arg(today.String()) + " AND c.deadline <= " + b.arg(b.dues.max.String()))
			if len(b.dues.soonOf) > 0 {
				b.add(b.dues.byOffice(b, "c.deadline <= "))
			}
			b.sortAll = q.Sort == "received"
		case docket.OnTime:
			b.add(dl + " > " + b.arg(b.dues.min.String()))
			if len(b.dues.soonOf) > 0 {
				b.add(b.dues.byOffice(b, "c.deadline > "))
			}
		}
	}
	// Supervised cases are few: they are counted and sorted by the partial
	// index of them (cases_supervised); the open states are written so
	// that no state index is taken for them.
	switch q.Supervised {
	case "any":
		b.add("c.supervision_deadline IS NOT NULL")
		b.sortFew = true
	case "overdue":
		b.add("c.supervision_deadline IS NOT NULL AND c.supervision_deadline < " + b.arg(s.Today().String()) + " AND c.supervision_answered_at IS NULL AND c.state || '' IN " + docket.SQLList(docket.OpenStates...))
		b.sortFew = true
	}
	// A date range, newest first, also bounds received_at, a day wider on
	// each side (the date is received_at's in the office's zone, never a
	// day off), and names the dates as an expression: the list walks the
	// received index over the range (a month a year ago, read by its
	// dates and sorted, took 0.4 s at a million cases). By deadline, the
	// range is read by its dates alone, from index entries that hold the
	// state and the deadline (cases_received_on_deadline), and sorted (the
	// deadline index walked for a range of last month passed a hundred
	// thousand older cases).
	if !q.ReceivedFrom.IsZero() || !q.ReceivedTo.IsZero() {
		on := "c.received_on || ''"
		if q.Sort == "deadline" {
			on = "c.received_on"
			b.sortAll = true
		}
		if !q.ReceivedFrom.IsZero() {
			b.add(on + " >= " + b.arg(q.ReceivedFrom.String()))
			if q.Sort != "deadline" {
				b.add("c.received_at >= " + b.arg(q.ReceivedFrom.AddDays(-1).String()))
			}
		}
		if !q.ReceivedTo.IsZero() {
			b.add(on + " <= " + b.arg(q.ReceivedTo.String()))
			if q.Sort != "deadline" {
				b.add("c.received_at < " + b.arg(q.ReceivedTo.AddDays(2).String()))
			}
		}
	}
	return b, nil
}

func (s *Service) subUnits(ctx context.Context, path string) ([]int64, error) {
	rows, err := s.db.Read.QueryContext(ctx, `SELECT id FROM units WHERE path LIKE $1 ORDER BY id`, path+"%")
	if err != nil {
		return nil, fmt.Errorf("search: sub-units: %w", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return []int64{-1}, nil
	}
	return ids, nil
}

// runningCases are the cases whose deadline runs (the others sort last,
// at NoDeadline), spelled as in the partial index cases_running_received.
const runningCases = "c.deadline < '" + NoDeadline + "'"

// Today is the current date in the office's zone.
func (s *Service) Today() civil.Date { return civil.In(s.o.Clock.Now(), s.o.Loc) }

// dues are today and the last date that is still due_soon, on the national
// calendar and on the calendars of the offices whose own days give another.
type dues struct {
	today, soon civil.Date
	cal         *calendar.Calendar // national
	// cals and soonOf are the offices whose calendars give another soon.
	cals   map[int64]*calendar.Calendar
	soonOf map[int64]civil.Date
	// min and max are the earliest and latest soon of all.
	min, max civil.Date
}

// of is office id's calendar and last due_soon date.
func (d dues) of(id int64) (*calendar.Calendar, civil.Date) {
	if soon, ok := d.soonOf[id]; ok {
		return d.cals[id], soon
	}
	return d.cal, d.soon
}

// byOffice is the condition cmp (a deadline compared with each office's
// soon: "c.deadline <= ", "c.deadline > ") with every office's own soon:
// the offices with another soon by their ids, the rest by the national one.
func (d dues) byOffice(b *builder, cmp string) string {
	groups := map[civil.Date][]int64{}
	var other []int64
	for id, soon := range d.soonOf {
		groups[soon] = append(groups[soon], id)
		other = append(other, id)
	}
	slices.Sort(other)
	parts := []string{"(c.office_id NOT IN (" + intList(other) + ") AND " + cmp + b.arg(d.soon.String()) + ")"}
	for _, soon := range slices.SortedFunc(maps.Keys(groups), civil.Date.Compare) {
		ids := groups[soon]
		slices.Sort(ids)
		parts = append(parts, "(c.office_id IN ("+intList(ids)+") AND "+cmp+b.arg(soon.String())+")")
	}
	return "(" + strings.Join(parts, " OR ") + ")"
}

// dueBounds computes the dues of today.
func (s *Service) dueBounds(ctx context.Context) (dues, error) {
	d := dues{today: s.Today(), cal: s.o.Calendar()}
	d.soon, _ = d.cal.DueWorkdays(d.today, docket.DueSoonWorkdays)
	d.min, d.max = d.soon, d.soon
	if s.o.OfficeCalendars == nil {
		return d, nil
	}
	cals, err := s.o.OfficeCalendars(ctx)
	if err != nil {
		return d, err
	}
	for id, cal := range cals {
		soon, _ := cal.DueWorkdays(d.today, docket.DueSoonWorkdays)
		if soon == d.soon {
			continue
		}
		if d.soonOf == nil {
			d.soonOf, d.cals = map[int64]civil.Date{}, map[int64]*calendar.Calendar{}
		}
		d.soonOf[id], d.cals[id] = soon, cal
		if soon.Before(d.min) {
			d.min = soon
		}
		if soon.After(d.max) {
			d.max = soon
		}
	}
	return d, nil
}

// officeCodes maps the offices' ids to their codes (a few dozen rows at
// most: cheaper than a lookup per listed case).
func (s *Service) officeCodes(ctx context.Context) (map[int64]string, error) {
	rows, err := s.db.Read.QueryContext(ctx, `SELECT id, code FROM offices`)
	if err != nil {
		return nil, fmt.Errorf("search: offices: %w", err)
	}
	defer rows.Close()
	out := map[int64]string{}
	for rows.Next() {
		var id int64
		var code string
		if err := rows.Scan(&id, &code); err != nil {
			return nil, fmt.Errorf("search: offices: %w", err)
		}
		out[id] = code
	}
	return out, rows.Err()
}

// decorate fills the computed fields of rows; codes are the offices' codes.
func (s *Service) decorate(b *builder, rows []Row, codes map[int64]string) {
	today := b.dues.today
	for i := range rows {
		r := &rows[i]
		cal, soon := b.dues.of(r.facts.OfficeID)
		r.ReceivedAt = r.ReceivedAt.In(s.o.Loc)
		if r.deadlineRaw != "" && r.deadlineRaw != NoDeadline {
			if d, err := civil.Parse(r.deadlineRaw); err == nil {
				r.Deadline = &d
				due := docket.OnTime
				switch {
				case d.Before(today):
					due = docket.Overdue
				case !d.After(soon):
					due = docket.DueSoon
				}
				left := cal.WorkdaysLeft(today, d)
				r.Due, r.DaysLeft = &due, &left
			}
		}
		r.Office = codes[r.facts.OfficeID]
		if r.Supervision != nil {
			r.Supervision.Office = codes[r.supOffice.Int64]
			r.Supervision.Answered = r.supAnswered
			r.Supervision.Overdue = r.Supervision.Deadline.Before(today) && slices.Contains(docket.OpenStates, r.State) && !r.supAnswered
		}
		r.Summary = cut(r.content, 60)
		if r.mask != "" && json.Valid([]byte(r.mask)) && b.identity.Admits(r.facts) {
			r.Reporter = json.RawMessage(r.mask)
		}
	}
}

func cut(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	rs := []rune(s)
	return string(rs[:n]) + "…"
}

// plain is a list without q: one SQL query with keyset pagination.
func (s *Service) plain(ctx context.Context, b *builder, q ListQuery, cur *cursor) (Page, error) {
	page := Page{Cases: []Row{}}
	if q.Count {
		cb := b.clone()
		var n int
		if err := s.db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM cases c WHERE `+cb.sql()+` LIMIT `+strconv.Itoa(CountCap+1)+`) t`, s.db.OneShot(cb.args...)...).Scan(&n); err != nil {
			return page, fmt.Errorf("search: count: %w", err)
		}
		page.setTotal(min(n, CountCap), n <= CountCap)
	}
	order := "c.received_at DESC, c.id DESC"
	if q.Sort == "deadline" {
		order = "c.deadline ASC, c.id ASC"
	}
	curClause := b.after(q, cur)
	// The order written as an expression is one no index gives: the page's
	// rows, found by id, are sorted, never an index walked for them.
	sorted := "c.received_at || '' DESC, c.id DESC"
	if q.Sort == "deadline" {
		sorted = "c.deadline || '' ASC, c.id ASC"
	}
	few := b.sortAll
	probed := false
	if b.sortFew && !few && len(b.transferUnits) > 0 && s.ProbeWindow > 0 && s.db.Engine == store.Postgres {
		// A liaison's list: its units' newest (or soonest due) cases first,
		// a window of each unit's order (Service.ProbeWindow); when it
		// holds the page, the count of every match is not needed. On
		// PostgreSQL that count read most of the units' transferred cases
		// (a bitmap over all of them, the closed ones first) before it found
		// enough open ones: 0.2-2 s at five million cases.
		rows, ok, err := s.probe(ctx, b, q, cur, curClause, order, sorted)
		if err != nil {
			return page, err
		}
		if ok {
			page.Cases, probed = rows, true
		}
	}
	if b.sortFew && !few && !probed {
		var err error
		if few, err = s.fewMatches(ctx, b); err != nil {
			return page, err
		}
	}
	if probed {
		// page.Cases holds the page already.
	} else if few {
		// Few matches: read them by the filters' own index and sort them,
		// rather than walk the order's index past many cases that do not
		// match (a handler's overdue cases newest first, the cases due
		// soon). The order as an expression, so that neither engine walks
		// an index for it.
		rows, err := s.firstRows(ctx, b, sorted, sorted, q.Limit+1)
		if err != nil {
			return page, err
		}
		page.Cases = rows
	} else if parts := b.parts(); len(parts) > 1 {
		// Several units (a subtree), states or channels: one ordered index
		// range per value (cases_unit, cases_state_received, …), each cut at
		// a page, merged here, rather than sorting every matching case.
		for _, pb := range parts {
			rows, err := s.firstRows(ctx, pb, order, sorted, q.Limit+1)
			if err != nil {
				return page, err
			}
			page.Cases = append(page.Cases, rows...)
		}
		sort.Slice(page.Cases, func(i, j int) bool {
			a, c := page.Cases[i], page.Cases[j]
			if q.Sort == "deadline" {
				return a.deadlineRaw < c.deadlineRaw || a.deadlineRaw == c.deadlineRaw && a.ID < c.ID
			}
			return a.receivedRaw > c.receivedRaw || a.receivedRaw == c.receivedRaw && a.ID > c.ID
		})
		if len(page.Cases) > q.Limit+1 {
			page.Cases = page.Cases[:q.Limit+1]
		}
	} else {
		rows, err := s.firstRows(ctx, b, order, sorted, q.Limit+1)
		if err != nil {
			return page, err
		}
		page.Cases = rows
	}
	if len(page.Cases) > q.Limit {
		page.Cases = page.Cases[:q.Limit]
		last := page.Cases[q.Limit-1]
		c := cursor{Sort: q.Sort, Key: last.receivedRaw, ID: last.ID}
		if q.Sort == "deadline" {
			c.Key = last.deadlineRaw
		}
		next := c.encode()
		page.Next = &next
	}
	return page, nil
}

// probe returns a liaison's page (q.Limit+1 rows at most) read from a window
// of each of its units' cases in the list's order, and whether the window
// was enough: each unit gave a full page of matches, or had no case beyond
// its window. The first matches within the first cases of a unit in order
// are its first matches, so the page is the one the full walk would give.
// curClause is b's condition for cur ("" on a first page); it and the unit
// bound the window, every other filter is applied within it.
func (s *Service) probe(ctx context.Context, b *builder, q ListQuery, cur *cursor, curClause, order, sorted string) ([]Row, bool, error) {
	n := q.Limit + 1
	var out []Row
	for _, pb := range b.parts() {
		var bound, rest []string
		for _, w := range pb.where {
			if w == curClause && curClause != "" || strings.HasPrefix(w, "c.transfer_unit_id = ") {
				bound = append(bound, w)
			} else {
				rest = append(rest, w)
			}
		}
		if !slices.ContainsFunc(bound, func(w string) bool { return strings.HasPrefix(w, "c.transfer_unit_id = ") }) {
			return nil, false, nil
		}
		if len(rest) == 0 {
			rest = []string{"TRUE"}
		}
		window := `SELECT * FROM cases c WHERE ` + strings.Join(bound, " AND ") + ` ORDER BY ` + order + ` LIMIT ` + strconv.Itoa(s.ProbeWindow)
		query := `SELECT ` + rowColumns + rowFrom + ` WHERE c.id IN (SELECT c.id FROM (` + window + `) c WHERE ` + strings.Join(rest, " AND ") + ` ORDER BY ` + order + ` LIMIT ` + strconv.Itoa(n) + `) ORDER BY ` + sorted
		rows, err := s.rows(ctx, s.db.Read, query, pb.args...)
		if err != nil {
			return nil, false, err
		}
		if len(rows) < n {
			// Fewer matches than a page: enough only if the unit has no
			// case past the window (the window again, with its own
			// arguments: the unit, the part's last, and the cursor's).
			wb := &builder{}
			wb.add("c.transfer_unit_id = " + wb.arg(pb.args[len(pb.args)-1]))
			wb.after(q, cur)
			var in int
			if err := s.db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM cases c WHERE `+wb.sql()+` ORDER BY `+order+` LIMIT `+strconv.Itoa(s.ProbeWindow)+`) t`, s.db.OneShot(wb.args...)...).Scan(&in); err != nil {
				return nil, false, fmt.Errorf("search: list: %w", err)
			}
			if in >= s.ProbeWindow {
				return nil, false, nil
			}
		}
		out = append(out, rows...)
	}
	sort.Slice(out, func(i, j int) bool {
		a, c := out[i], out[j]
		if q.Sort == "deadline" {
			return a.deadlineRaw < c.deadlineRaw || a.deadlineRaw == c.deadlineRaw && a.ID < c.ID
		}
		return a.receivedRaw > c.receivedRaw || a.receivedRaw == c.receivedRaw && a.ID > c.ID
	})
	if len(out) > n {
		out = out[:n]
	}
	return out, true, nil
}

// firstRows returns the first n cases passing b's filters in order: their
// ids first, by a query that names only the columns the filters and the
// order name (an index holding them all answers it from its entries, and a
// sort of many matches sorts ids, not rows), then those cases' rows,
// sorted by outer (the same order as an expression: no index is walked for
// a few rows).
func (s *Service) firstRows(ctx context.Context, b *builder, order, outer string, n int) ([]Row, error) {
	query := `SELECT ` + rowColumns + rowFrom + ` WHERE c.id IN (SELECT c.id FROM cases c WHERE ` + b.sql() + ` ORDER BY ` + order + ` LIMIT ` + strconv.Itoa(n) + `) ORDER BY ` + outer
	if s.db.Engine != store.Postgres || !b.sortAll {
		return s.rows(ctx, s.db.Read, query, b.args...)
	}
	// Sorting a range's matches (a month's cases by deadline): PostgreSQL
	// would start parallel workers for the index scan, which on a few
	// shared cores cost more than the scan (0.1-0.2 s against 20 ms
	// alone); the statement runs without them.
	tx, err := s.db.Read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("search: list: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // read-only; nothing to keep
	if _, err := tx.ExecContext(ctx, `SET LOCAL max_parallel_workers_per_gather = 0`); err != nil {
		return nil, fmt.Errorf("search: list: %w", err)
	}
	return s.rows(ctx, tx, query, b.args...)
}

// fewMatches reports whether at most Service.SortFew cases pass b's
// filters (counted on whichever index the engine finds best for them,
// without an order).
func (s *Service) fewMatches(ctx context.Context, b *builder) (bool, error) {
	if s.SortFew <= 0 {
		return false, nil
	}
	var n int
	if err := s.db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM cases c WHERE `+b.sql()+` LIMIT `+strconv.Itoa(s.SortFew+1)+`) t`, s.db.OneShot(b.args...)...).Scan(&n); err != nil {
		return false, fmt.Errorf("search: count: %w", err)
	}
	return n <= s.SortFew, nil
}

// querier is *sql.DB or *sql.Tx.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// rows runs a list query on db.
func (s *Service) rows(ctx context.Context, db querier, query string, args ...any) ([]Row, error) {
	rows, err := db.QueryContext(ctx, query, s.db.OneShot(args...)...)
	if err != nil {
		return nil, fmt.Errorf("search: list: %w", err)
	}
	defer rows.Close()
	out := []Row{}
	for rows.Next() {
		r, err := scanRow(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// search is a list with q.
func (s *Service) search(ctx context.Context, b *builder, q ListQuery, query textsearch.Query, cur *cursor) (Page, error) {
	page := Page{Cases: []Row{}}
	tokens, ok, err := s.tokenOrder(ctx, query.Tokens())
	if err != nil {
		return page, err
	}
	if !ok {
		if q.Count {
			page.setTotal(0, true)
		}
		return page, nil
	}
	// A liaison's candidates are narrowed to its cases for the count and the
	// orders walked; relevance ranks the RankCap newest candidates as for
	// anyone (its own thousand newest matches, each read and scored, took
	// 56-65 ms on PostgreSQL).
	if q.Count || q.Sort != "relevance" {
		if b.within, err = s.within(ctx, b); err != nil {
			return page, err
		}
	}
	if q.Count {
		n, exact, err := s.countMatches(ctx, b, query, tokens)
		if err != nil {
			return page, err
		}
		page.setTotal(n, exact)
	}
	switch q.Sort {
	case "received":
		err = s.searchByID(ctx, b, q, query, tokens, cur, &page)
	case "deadline":
		err = s.searchByDeadline(ctx, b, q, query, tokens, cur, &page)
	default:
		err = s.searchSorted(ctx, b, q, query, tokens, cur, &page)
	}
	if err != nil {
		return page, err
	}
	for i := range page.Cases {
		s.snippet(ctx, b, &page.Cases[i], query)
	}
	return page, nil
}

// verified loads the rows among ids that pass the filters and match query.
func (s *Service) verified(ctx context.Context, b *builder, ids []int64, query textsearch.Query, full bool) ([]Row, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	cb := b.clone()
	cols := rowColumns
	if !full {
		cols = bareColumns
	}
	where := cb.sql()
	from := strings.Replace(rowFrom, "FROM cases c", "FROM k c", 1)
	if !full {
		from = ` FROM k c`
	}
	rows, err := s.db.Read.QueryContext(ctx, byIDs(ids)+`SELECT `+cols+`, d.folded`+from+` JOIN search_docs d ON d.id = c.id WHERE `+where, s.db.OneShot(cb.args...)...)
	if err != nil {
		return nil, fmt.Errorf("search: candidates: %w", err)
	}
	defer rows.Close()
	var out []Row
	for rows.Next() {
		var folded string
		r, err := scanRow(rows, &folded)
		if err != nil {
			return nil, err
		}
		if !b.thread.Admits(r.facts) {
			// The indexed document holds the reporter thread too: who may
			// not read it finds a case by its content only.
			folded = s.folder.Fold(r.content)
		}
		if query.Matches(folded) {
			r.folded = folded
			out = append(out, r)
		}
	}
	return out, rows.Err()
}

// byIDs starts a statement that reads the cases ids as k (FROM k c): the
// cases are found by id first, whatever the statement's other filters. A
// filter with an index of its own (a liaison's units) otherwise led
// PostgreSQL to read every case of the units and compare each with a list
// of a thousand ids (0.6 s a statement at a million cases).
func byIDs(ids []int64) string {
	return `WITH k AS MATERIALIZED (SELECT * FROM cases WHERE id IN (` + intList(ids) + `)) `
}

// searchByID walks candidates newest first (by case id) until a page is full.
func (s *Service) searchByID(ctx context.Context, b *builder, q ListQuery, query textsearch.Query, tokens []string, cur *cursor, page *Page) error {
	var before int64
	if cur != nil {
		before = cur.ID
	}
	need := q.Limit + 1
	var out []Row
	// verify verifies ids (descending) until the page is full.
	verify := func(ids []int64) (bool, error) {
		for start := 0; start < len(ids); {
			step := verifyStep(b, need-len(out))
			end := min(start+step, len(ids))
			rows, err := s.verified(ctx, b, ids[start:end], query, true)
			if err != nil {
				return true, err
			}
			sort.Slice(rows, func(i, j int) bool { return rows[i].ID > rows[j].ID })
			out = append(out, rows...)
			if len(out) >= need {
				return true, nil
			}
			start = end
		}
		return false, nil
	}
	var err error
	if b.within != nil {
		// A liaison's candidates are few and spread over every block (its
		// cases are a few percent of all): gathered at once, not verified
		// block by block (a statement for a handful of ids each).
		cand, cerr := s.allCandidateSet(ctx, tokens, b.within)
		if cerr != nil {
			return cerr
		}
		ids := cand.ascending(0)
		slices.Reverse(ids)
		if before > 0 {
			ids = ids[sort.Search(len(ids), func(i int) bool { return ids[i] < before }):]
		}
		_, err = verify(ids)
	} else {
		err = s.candidates(ctx, tokens, before, nil, verify)
	}
	if err != nil {
		return err
	}
	scoredPage(q, query, out, page, func(last Row) cursor { return cursor{Sort: "received", ID: last.ID} })
	return nil
}

// verifyStep is how many candidates to verify in one statement when more
// matches are wanted: twice as many, at least 64, or, where the filters
// pass a few candidates in a hundred (supervision; a liaison's units when
// its candidates were not narrowed to its cases, see Service.within), a
// thousand (a liaison's search verified its candidates a hundred at a time,
// a statement planned anew for each: 50 ms to a second on PostgreSQL).
func verifyStep(b *builder, wanted int) int {
	if b.sortFew && b.within == nil {
		return 1000
	}
	return max(2*wanted, 64)
}

// scoredPage ends a search walked in its order: out (the matches found,
// one more than a page when there are more) is cut to the page, with a
// cursor made by at from its last row, each row is scored against query,
// and the rows are added to page.
func scoredPage(q ListQuery, query textsearch.Query, out []Row, page *Page, at func(last Row) cursor) {
	if len(out) > q.Limit {
		out = out[:q.Limit]
		next := at(out[q.Limit-1]).encode()
		page.Next = &next
	}
	for i := range out {
		sc := textsearch.Score(out[i].folded, query)
		out[i].Score = &sc
	}
	page.Cases = append(page.Cases, out...)
}

// searchSorted gathers every match, sorts by deadline or relevance and cuts
// the page after the cursor.
func (s *Service) searchSorted(ctx context.Context, b *builder, q ListQuery, query textsearch.Query, tokens []string, cur *cursor, page *Page) error {
	limit := 0
	if q.Sort == "relevance" {
		limit = RankCap
	}
	ids, capped, err := s.allCandidates(ctx, tokens, limit, nil)
	if err != nil {
		return err
	}
	page.RankedPartial = capped
	var all []Row
	for start := 0; start < len(ids); start += 1000 {
		rows, err := s.verified(ctx, b, ids[start:min(start+1000, len(ids))], query, false)
		if err != nil {
			return err
		}
		for i := range rows {
			sc := textsearch.Score(rows[i].folded, query)
			rows[i].Score = &sc
			rows[i].folded = ""
		}
		all = append(all, rows...)
	}
	less := func(a, b Row) bool {
		if q.Sort == "deadline" {
			if a.deadlineRaw != b.deadlineRaw {
				return a.deadlineRaw < b.deadlineRaw
			}
			return a.ID < b.ID
		}
		if *a.Score != *b.Score {
			return *a.Score > *b.Score
		}
		return a.ID > b.ID
	}
	sort.Slice(all, func(i, j int) bool { return less(all[i], all[j]) })
	if cur != nil {
		pivot := Row{ID: cur.ID, deadlineRaw: cur.Key, Score: &cur.Score}
		i := sort.Search(len(all), func(i int) bool { return less(pivot, all[i]) })
		all = all[i:]
	}
	var next *string
	if len(all) > q.Limit {
		all = all[:q.Limit]
		last := all[q.Limit-1]
		c := cursor{Sort: q.Sort, ID: last.ID}
		if q.Sort == "deadline" {
			c.Key = last.deadlineRaw
		} else {
			c.Score = *last.Score
		}
		n := c.encode()
		next = &n
	}
	if len(all) == 0 {
		return nil
	}
	// The page's full rows, in the order found.
	pageIDs := make([]int64, len(all))
	pos := map[int64]int{}
	for i, r := range all {
		pageIDs[i] = r.ID
		pos[r.ID] = i
	}
	full, err := s.verified(ctx, &builder{thread: b.thread, identity: b.identity}, pageIDs, query, true)
	if err != nil {
		return err
	}
	out := make([]Row, len(all))
	for _, r := range full {
		i := pos[r.ID]
		r.Score = all[i].Score
		out[i] = r
	}
	page.Cases = slices.DeleteFunc(out, func(r Row) bool { return r.ID == 0 })
	page.Next = next
	return nil
}

// within returns the cases transferred to a liaison's units (b's scope) as
// a candidate set, to be anded with a search's candidates: a liaison sees a
// few percent of the cases, and verifying the candidates of every case
// (most of them outside its scope, a statement per posting block) took 50 ms
// to a second for a common word at a million cases on PostgreSQL. The ids
// come as one text from the units' index (a row per id cost more). Nil when
// b has no such scope, or when more than Service.WithinCap cases are transferred to
// the units (then every candidate is verified, as for others).
func (s *Service) within(ctx context.Context, b *builder) (*candidateSet, error) {
	if len(b.transferUnits) == 0 || s.WithinCap <= 0 {
		return nil, nil
	}
	agg := "group_concat(t.id, ',')"
	if s.db.Engine == store.Postgres {
		agg = "string_agg(t.id::text, ',')"
	}
	var list sql.NullString
	err := s.db.Read.QueryRowContext(ctx, `SELECT `+agg+` FROM (SELECT c.id FROM cases c WHERE c.transfer_unit_id IN (`+intList(b.transferUnits)+`) LIMIT `+strconv.Itoa(s.WithinCap+1)+`) t`, s.db.OneShot()...).Scan(&list)
	if err != nil {
		return nil, fmt.Errorf("search: a liaison's cases: %w", err)
	}
	set := &candidateSet{blocks: map[int64]*bitmap{}}
	for f := range strings.SplitSeq(list.String, ",") {
		if f == "" {
			continue
		}
		id, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("search: a liaison's cases: %w", err)
		}
		bm := set.blocks[id>>BlockBits]
		if bm == nil {
			bm = &bitmap{}
			set.blocks[id>>BlockBits] = bm
		}
		bm.add(uint16(id & (BlockSize - 1)))
		set.n++
	}
	if set.n > s.WithinCap {
		return nil, nil
	}
	return set, nil
}

// countMatches counts the matches up to QueryCountCap.
func (s *Service) countMatches(ctx context.Context, b *builder, query textsearch.Query, tokens []string) (int, bool, error) {
	n := 0
	exact := true
	err := s.candidates(ctx, tokens, 0, b.within, func(ids []int64) (bool, error) {
		for start := 0; start < len(ids); start += 1000 {
			rows, err := s.verified(ctx, b, ids[start:min(start+1000, len(ids))], query, false)
			if err != nil {
				return true, err
			}
			n += len(rows)
			if n > QueryCountCap {
				n, exact = QueryCountCap, false
				return true, nil
			}
		}
		return false, nil
	})
	return n, exact, err
}

// snippet shows the first hit, from the content or else, for those who may
// read the reporter thread, from the messages.
func (s *Service) snippet(ctx context.Context, b *builder, r *Row, query textsearch.Query) {
	sn := s.folder.Snippet(r.content, query, SnippetRadius)
	if sn.Hit == "" && b.thread.Admits(r.facts) {
		var text strings.Builder
		text.WriteString(r.content)
		rows, err := s.db.Read.QueryContext(ctx, `SELECT body FROM messages WHERE case_id = $1 ORDER BY id`, r.ID)
		if err == nil {
			for rows.Next() {
				var body string
				if rows.Scan(&body) == nil {
					text.WriteByte('\n')
					text.WriteString(body)
				}
			}
			rows.Close()
		}
		sn = s.folder.Snippet(text.String(), query, SnippetRadius)
	}
	r.Snippet = &Snippet{Before: sn.Before, Hit: sn.Hit, After: sn.After, CutBefore: sn.CutBefore, CutAfter: sn.CutAfter}
}
