// Package inspection keeps the inspection group's announced and covert
// inspections (明察暗访): a plan with a checklist, visits recorded on site
// with answers, notes, photos and videos, and findings, each of which may
// open a case on channel "inspection" in the office's normal workflow.
//
// A covert plan is seen only by those the access policy gives covert.read
// (inspectors, leaders, admins, auditors) until it is marked done; to anyone
// else it does not exist (not found, absent from lists and counts), and
// neither do the cases its findings open (docket: cases.covert_plan_id),
// which join the office's queue when the plan is done.
package inspection

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"mashang/internal/access"
	"mashang/internal/attach"
	"mashang/internal/audit"
	"mashang/internal/auth"
	"mashang/internal/catalog"
	"mashang/internal/civil"
	"mashang/internal/clock"
	"mashang/internal/docket"
	"mashang/internal/problem"
	"mashang/internal/store"
)

// States of a plan.
const (
	StatePlanned = "planned"
	StateDone    = "done"
)

// ChecklistItem is one question of the checklist, answered by one of its options.
type ChecklistItem struct {
	Key     string   `json:"key"`
	Label   string   `json:"label"`
	Options []string `json:"options"`
}

// UnmarshalJSON takes an item as an object, or as a person first writes
// it: a plain label ("一次性告知"), a question answered 是/否/不适用 whose key
// CompleteChecklist gives.
func (c *ChecklistItem) UnmarshalJSON(b []byte) error {
	var label string
	if err := json.Unmarshal(b, &label); err == nil {
		*c = ChecklistItem{Label: label}
		return nil
	}
	type object ChecklistItem
	var o object
	if err := json.Unmarshal(b, &o); err != nil {
		return err
	}
	*c = ChecklistItem(o)
	return nil
}

// CompleteChecklist fills what a person may leave out of an item: a label of
// the default checklist takes that item's key and options; another gets
// the key item_N (N its place) and the options 是/否/不适用.
func CompleteChecklist(items []ChecklistItem) []ChecklistItem {
	defaults := DefaultChecklist()
	out := make([]ChecklistItem, len(items))
	taken := map[string]bool{}
	for _, it := range items {
		taken[it.Key] = true
	}
	for i, it := range items {
		label := strings.TrimSpace(it.Label)
		if it.Key == "" {
			if j := slices.IndexFunc(defaults, func(d ChecklistItem) bool { return d.Label == label }); j >= 0 && !taken[defaults[j].Key] {
				it.Key = defaults[j].Key
				if len(it.Options) == 0 {
					it.Options = defaults[j].Options
				}
			} else {
				it.Key = fmt.Sprintf("item_%d", i+1)
				for n := 2; taken[it.Key]; n++ {
					it.Key = fmt.Sprintf("item_%d_%d", i+1, n)
				}
			}
			taken[it.Key] = true
			it.Label = label
		}
		if len(it.Options) == 0 {
			it.Options = []string{"是", "否", "不适用"}
		}
		out[i] = it
	}
	return out
}

// DefaultChecklist is used when a plan gives none.
func DefaultChecklist() []ChecklistItem {
	yn := []string{"是", "否", "不适用"}
	return []ChecklistItem{
		{Key: "staff_at_post", Label: "工作人员在岗", Options: yn},
		{Key: "attitude", Label: "服务态度", Options: []string{"好", "一般", "差"}},
		{Key: "one_time_notice", Label: "一次性告知", Options: yn},
		{Key: "time_limits_kept", Label: "按时办结", Options: yn},
		{Key: "fees_posted", Label: "收费公示", Options: yn},
		{Key: "guidance_posted", Label: "办事指南公开", Options: yn},
		{Key: "complaint_channel", Label: "投诉渠道公示", Options: yn},
	}
}

// Inspection is a plan with what was recorded under it.
type Inspection struct {
	ID        int64           `json:"id"`
	Title     string          `json:"title"`
	Covert    bool            `json:"covert"`
	Units     []string        `json:"units"`
	From      civil.Date      `json:"from"`
	To        civil.Date      `json:"to"`
	Checklist []ChecklistItem `json:"checklist"`
	State     string          `json:"state"`
	CreatedBy string          `json:"created_by"`
	CreatedAt time.Time       `json:"created_at"`
	DoneAt    *time.Time      `json:"done_at,omitempty"`
	// Counts, in lists and details.
	VisitCount   int `json:"visits_count"`
	FindingCount int `json:"findings_count"`
	// Visits, in details only.
	Visits []Visit `json:"visits,omitempty"`
}

// Visit is one visit on site.
type Visit struct {
	ID          int64             `json:"id"`
	At          time.Time         `json:"at"`
	Place       string            `json:"place"`
	Unit        string            `json:"unit,omitempty"`
	UnitName    string            `json:"unit_name,omitempty"`
	Answers     map[string]string `json:"answers"`
	Notes       string            `json:"notes"`
	RecordedBy  string            `json:"recorded_by"`
	Findings    []Finding         `json:"findings"`
	Attachments []Attachment      `json:"attachments"`
}

// Finding is something a visit found.
type Finding struct {
	ID         int64  `json:"id"`
	Text       string `json:"text"`
	Situation  string `json:"situation,omitempty"`
	Unit       string `json:"unit,omitempty"`
	PersonID   *int64 `json:"person_id,omitempty"`
	PersonName string `json:"person_name,omitempty"`
	CaseID     *int64 `json:"case_id,omitempty"`
	Receipt    string `json:"receipt,omitempty"`
	CaseState  string `json:"case_state,omitempty"`
}

// Attachment is a stored photo or video of a visit.
type Attachment struct {
	ID          int64  `json:"id"`
	SHA256      string `json:"sha256"`
	Filename    string `json:"filename"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
}

// PlanInput is the body of a new plan.
type PlanInput struct {
	Title     string          `json:"title"`
	Covert    bool            `json:"covert"`
	Units     []string        `json:"units"`
	From      civil.Date      `json:"from"`
	To        civil.Date      `json:"to"`
	Checklist []ChecklistItem `json:"checklist"`
}

// VisitInput is the record of a visit.
type VisitInput struct {
	At       time.Time         `json:"at"`
	Place    string            `json:"place"`
	Unit     string            `json:"unit"`
	Answers  map[string]string `json:"answers"`
	Notes    string            `json:"notes"`
	Findings []FindingInput    `json:"findings"`
}

// FindingInput is one finding of a visit; OpenCase asks for a case.
type FindingInput struct {
	Text      string `json:"text"`
	Situation string `json:"situation,omitempty"`
	PersonID  *int64 `json:"person_id,omitempty"`
	OpenCase  bool   `json:"open_case"`
}

// Upload is a file already put into the attachment store.
type Upload struct {
	Filename string
	Blob     attach.Blob
}

// NewCase is what a finding asks the intake to register.
type NewCase struct {
	// CovertPlanID is the covert plan the finding belongs to (0: an
	// announced one): its case stays covert until the plan is done.
	CovertPlanID int64
	ReceivedAt   time.Time
	Content      string
	Situation    string
	Unit         string // unit code, "" none
	PersonID     *int64
	Actor        string
	Files        []Upload // the visit's photos and videos, as evidence
}

// CaseRef names a case opened for a finding.
type CaseRef struct {
	ID      int64
	Receipt string
}

// CaseOpener registers a case on channel "inspection" in the normal workflow.
type CaseOpener func(ctx context.Context, c NewCase) (CaseRef, error)

// Service plans inspections and records visits.
type Service struct {
	db      *store.DB
	record  *docket.Store
	pol     *access.Policy
	clock   clock.Clock
	catalog *catalog.Catalog
	loc     *time.Location
	// OpenCase opens the case of a finding; nil refuses open_case with 503.
	OpenCase CaseOpener
	// Known, when set, is the catalogue a finding's situation is looked
	// for in (app.Catalogs.Held: every version held, since the visited
	// unit's office may judge under its own; the case a finding opens is
	// then classified under that office's version); nil: the catalogue
	// NewService was given.
	Known func() *catalog.Catalog
}

func (s *Service) known() *catalog.Catalog {
	if s.Known != nil {
		return s.Known()
	}
	return s.catalog
}

// NewService returns an inspection service.
func NewService(db *store.DB, record *docket.Store, pol *access.Policy, c clock.Clock, cat *catalog.Catalog, loc *time.Location, open CaseOpener) *Service {
	if loc == nil {
		loc = time.UTC
	}
	return &Service{db: db, record: record, pol: pol, clock: c, catalog: cat, loc: loc, OpenCase: open}
}

// seesCovert reports whether p may see covert plans before they are done.
func (s *Service) seesCovert(p auth.Principal) bool { return s.pol.Allows(p, access.CovertRead) }

var (
	errNotFound = problem.NotFound("inspection_not_found", "未找到该检查", "no such inspection")
	errDone     = problem.Conflict("inspection_done", "该检查已结束，不能再记录", "the inspection is done; nothing more can be recorded")
)

const (
	maxTitle    = 200
	maxText     = 10000
	maxItems    = 50
	maxOptions  = 20
	maxFindings = 50
)

func invalid(field, code, zh, en string) error { return problem.Invalid(field, code, zh, en) }

func tooLong(field string, n int) error {
	return invalid(field, "too_long", fmt.Sprintf("%s 过长（最多 %d 字）", field, n), fmt.Sprintf("%s is too long (at most %d characters)", field, n))
}

func validKey(k string) bool {
	if k == "" || len(k) > 64 {
		return false
	}
	for _, r := range k {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

// ValidateChecklist checks keys (unique, [a-z0-9_-]), labels and options.
func ValidateChecklist(items []ChecklistItem) error {
	if len(items) > maxItems {
		return invalid("checklist", "too_many", fmt.Sprintf("检查项最多 %d 项", maxItems), fmt.Sprintf("at most %d checklist items", maxItems))
	}
	seen := map[string]bool{}
	for i, it := range items {
		f := fmt.Sprintf("checklist[%d]", i)
		if !validKey(it.Key) {
			return invalid(f+".key", "invalid_key", "检查项的 key 只能用小写字母、数字、下划线和连字符", "a checklist key may hold only a-z, 0-9, _ and -")
		}
		if seen[it.Key] {
			return invalid(f+".key", "duplicate_key", "检查项 key 重复："+it.Key, "duplicate checklist key "+it.Key)
		}
		seen[it.Key] = true
		if strings.TrimSpace(it.Label) == "" {
			return problem.Required(f + ".label")
		}
		if utf8.RuneCountInString(it.Label) > maxTitle {
			return tooLong(f+".label", maxTitle)
		}
		if len(it.Options) < 2 || len(it.Options) > maxOptions {
			return invalid(f+".options", "invalid_options", fmt.Sprintf("每个检查项应有 2 到 %d 个选项", maxOptions), fmt.Sprintf("each checklist item needs 2 to %d options", maxOptions))
		}
		opts := map[string]bool{}
		for _, o := range it.Options {
			if strings.TrimSpace(o) == "" || utf8.RuneCountInString(o) > 100 || opts[o] {
				return invalid(f+".options", "invalid_options", "选项不能为空、过长或重复", "options must be non-empty, short and distinct")
			}
			opts[o] = true
		}
	}
	return nil
}

// Plan creates a plan for p.
func (s *Service) Plan(ctx context.Context, p auth.Principal, in PlanInput) (Inspection, error) {
	actor := p.Actor()
	in.Title = strings.TrimSpace(in.Title)
	switch {
	case in.Title == "":
		return Inspection{}, problem.Required("title")
	case utf8.RuneCountInString(in.Title) > maxTitle:
		return Inspection{}, tooLong("title", maxTitle)
	case in.From.IsZero():
		return Inspection{}, problem.Required("from")
	case in.To.IsZero():
		return Inspection{}, problem.Required("to")
	}
	today := civil.In(s.clock.Now(), s.loc)
	for _, f := range []struct {
		name string
		d    civil.Date
	}{{"from", in.From}, {"to", in.To}} {
		if err := civil.CheckInput(f.name, f.d, today); err != nil {
			return Inspection{}, err
		}
	}
	if err := civil.NotBefore("to", in.To, in.From, "开始日期", "from"); err != nil {
		return Inspection{}, err
	}
	switch {
	case in.From.DaysUntil(in.To) > 366:
		return Inspection{}, invalid("to", "invalid_period", "检查期限不能超过一年", "an inspection may not last more than a year")
	}
	if in.Checklist == nil {
		in.Checklist = DefaultChecklist()
	}
	in.Checklist = CompleteChecklist(in.Checklist)
	if err := ValidateChecklist(in.Checklist); err != nil {
		return Inspection{}, err
	}
	units := []string{}
	for _, u := range in.Units {
		u = strings.TrimSpace(u)
		if u != "" && !slices.Contains(units, u) {
			units = append(units, u)
		}
	}
	now := s.clock.Now()
	var id int64
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		for i, code := range units {
			if _, err := unitID(ctx, tx, code); err != nil {
				if errors.Is(err, sql.ErrNoRows) {
					return invalid(fmt.Sprintf("units[%d]", i), "unknown_unit", "未知单位："+code, "unknown unit "+code)
				}
				return err
			}
		}
		ub, _ := json.Marshal(units)
		cb, _ := json.Marshal(in.Checklist)
		if err := tx.QueryRowContext(ctx, `INSERT INTO inspections (title, covert, units, from_on, to_on, checklist, state, created_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, 'planned', $7, $8) RETURNING id`,
			in.Title, in.Covert, string(ub), in.From, in.To, string(cb), actor, store.FormatInstant(now)).Scan(&id); err != nil {
			return fmt.Errorf("inspection: insert plan: %w", err)
		}
		return audit.Append(ctx, tx, now, audit.Record{Actor: actor, Action: "inspection.plan", Subject: fmt.Sprintf("inspection:%d", id),
			Data: map[string]any{"title": in.Title, "covert": in.Covert, "units": units, "from": in.From, "to": in.To}})
	})
	if err != nil {
		return Inspection{}, err
	}
	return Inspection{ID: id, Title: in.Title, Covert: in.Covert, Units: units, From: in.From, To: in.To, Checklist: in.Checklist,
		State: StatePlanned, CreatedBy: actor, CreatedAt: now.UTC()}, nil
}

type querier interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}

func unitID(ctx context.Context, q querier, code string) (int64, error) {
	var id int64
	err := q.QueryRowContext(ctx, `SELECT id FROM units WHERE code = $1`, code).Scan(&id)
	return id, err
}

const planCols = `i.id, i.title, i.covert, i.units, i.from_on, i.to_on, i.checklist, i.state, i.created_by, i.created_at, i.done_at,
	(SELECT COUNT(*) FROM inspection_visits v WHERE v.inspection_id = i.id),
	(SELECT COUNT(*) FROM inspection_findings f WHERE f.inspection_id = i.id)`

func scanPlan(sc interface{ Scan(...any) error }) (Inspection, error) {
	var in Inspection
	var units, checklist string
	var created store.Instant
	var done sql.NullString
	if err := sc.Scan(&in.ID, &in.Title, &in.Covert, &units, &in.From, &in.To, &checklist, &in.State, &in.CreatedBy, &created, &done,
		&in.VisitCount, &in.FindingCount); err != nil {
		return Inspection{}, err
	}
	in.CreatedAt = created.Time
	if done.Valid {
		var d store.Instant
		if err := d.Scan(done.String); err == nil {
			in.DoneAt = &d.Time
		}
	}
	if err := json.Unmarshal([]byte(units), &in.Units); err != nil {
		return Inspection{}, fmt.Errorf("inspection %d: units: %w", in.ID, err)
	}
	if err := json.Unmarshal([]byte(checklist), &in.Checklist); err != nil {
		return Inspection{}, fmt.Errorf("inspection %d: checklist: %w", in.ID, err)
	}
	return in, nil
}

// visible reports whether p may see the plan.
func (s *Service) visible(p auth.Principal, in Inspection) bool {
	return !in.Covert || in.State == StateDone || s.seesCovert(p)
}

// List returns the plans p may see, newest first.
func (s *Service) List(ctx context.Context, p auth.Principal) ([]Inspection, error) {
	q := `SELECT ` + planCols + ` FROM inspections i`
	if !s.seesCovert(p) {
		q += ` WHERE i.covert = FALSE OR i.state = 'done'`
	}
	q += ` ORDER BY i.from_on DESC, i.id DESC`
	rows, err := s.db.Read.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("inspection: list: %w", err)
	}
	defer rows.Close()
	out := []Inspection{}
	for rows.Next() {
		in, err := scanPlan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, in)
	}
	return out, rows.Err()
}

// Get returns a plan with its visits and findings, or not found when p may
// not see it (a covert plan's existence is never revealed).
func (s *Service) Get(ctx context.Context, p auth.Principal, id int64) (Inspection, error) {
	in, err := scanPlan(s.db.Read.QueryRowContext(ctx, `SELECT `+planCols+` FROM inspections i WHERE i.id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Inspection{}, errNotFound
	}
	if err != nil {
		return Inspection{}, fmt.Errorf("inspection: get %d: %w", id, err)
	}
	if !s.visible(p, in) {
		return Inspection{}, errNotFound
	}
	in.Visits, err = s.visits(ctx, id)
	return in, err
}

func (s *Service) visits(ctx context.Context, id int64) ([]Visit, error) {
	rows, err := s.db.Read.QueryContext(ctx, `SELECT v.id, v.at, v.place, COALESCE(u.code, ''), COALESCE(u.name, ''), v.answers, v.notes, v.recorded_by
		FROM inspection_visits v LEFT JOIN units u ON u.id = v.unit_id WHERE v.inspection_id = $1 ORDER BY v.at, v.id`, id)
	if err != nil {
		return nil, fmt.Errorf("inspection: visits: %w", err)
	}
	var out []Visit
	byID := map[int64]int{}
	for rows.Next() {
		var v Visit
		var at store.Instant
		var answers string
		if err := rows.Scan(&v.ID, &at, &v.Place, &v.Unit, &v.UnitName, &answers, &v.Notes, &v.RecordedBy); err != nil {
			rows.Close()
			return nil, err
		}
		v.At = at.Time
		if err := json.Unmarshal([]byte(answers), &v.Answers); err != nil {
			rows.Close()
			return nil, fmt.Errorf("inspection: visit %d answers: %w", v.ID, err)
		}
		v.Findings, v.Attachments = []Finding{}, []Attachment{}
		byID[v.ID] = len(out)
		out = append(out, v)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	frows, err := s.db.Read.QueryContext(ctx, `SELECT f.visit_id, f.id, f.text, f.situation, COALESCE(u.code, ''), f.person_id, COALESCE(p.name, ''),
		f.case_id, COALESCE(c.receipt, ''), COALESCE(c.state, '')
		FROM inspection_findings f LEFT JOIN units u ON u.id = f.unit_id LEFT JOIN people p ON p.id = f.person_id
		LEFT JOIN cases c ON c.id = f.case_id WHERE f.inspection_id = $1 ORDER BY f.id`, id)
	if err != nil {
		return nil, fmt.Errorf("inspection: findings: %w", err)
	}
	for frows.Next() {
		var vid int64
		var f Finding
		var pid, cid sql.NullInt64
		if err := frows.Scan(&vid, &f.ID, &f.Text, &f.Situation, &f.Unit, &pid, &f.PersonName, &cid, &f.Receipt, &f.CaseState); err != nil {
			frows.Close()
			return nil, err
		}
		if pid.Valid {
			f.PersonID = &pid.Int64
		}
		if cid.Valid {
			f.CaseID = &cid.Int64
		}
		if i, ok := byID[vid]; ok {
			out[i].Findings = append(out[i].Findings, f)
		}
	}
	frows.Close()
	if err := frows.Err(); err != nil {
		return nil, err
	}
	arows, err := s.db.Read.QueryContext(ctx, `SELECT a.visit_id, a.id, a.sha256, a.filename, a.content_type, a.size
		FROM inspection_attachments a JOIN inspection_visits v ON v.id = a.visit_id WHERE v.inspection_id = $1 ORDER BY a.id`, id)
	if err != nil {
		return nil, fmt.Errorf("inspection: attachments: %w", err)
	}
	defer arows.Close()
	for arows.Next() {
		var vid int64
		var a Attachment
		if err := arows.Scan(&vid, &a.ID, &a.SHA256, &a.Filename, &a.ContentType, &a.Size); err != nil {
			return nil, err
		}
		if i, ok := byID[vid]; ok {
			out[i].Attachments = append(out[i].Attachments, a)
		}
	}
	return out, arows.Err()
}

// Attachment returns a visit attachment of a plan p may see.
func (s *Service) Attachment(ctx context.Context, p auth.Principal, inspectionID, attachmentID int64) (Attachment, error) {
	if _, err := s.Get(ctx, p, inspectionID); err != nil {
		return Attachment{}, err
	}
	var a Attachment
	err := s.db.Read.QueryRowContext(ctx, `SELECT a.id, a.sha256, a.filename, a.content_type, a.size
		FROM inspection_attachments a JOIN inspection_visits v ON v.id = a.visit_id WHERE v.inspection_id = $1 AND a.id = $2`,
		inspectionID, attachmentID).Scan(&a.ID, &a.SHA256, &a.Filename, &a.ContentType, &a.Size)
	if errors.Is(err, sql.ErrNoRows) {
		return Attachment{}, problem.NotFound("attachment_not_found", "未找到该附件", "no such attachment")
	}
	return a, err
}

// RecordVisit stores a visit with its findings and files, then opens a case
// for each finding that asks for one. It returns the visit as stored.
func (s *Service) RecordVisit(ctx context.Context, p auth.Principal, id int64, in VisitInput, files []Upload) (Visit, error) {
	plan, err := s.Get(ctx, p, id)
	if err != nil {
		return Visit{}, err
	}
	if plan.State == StateDone {
		return Visit{}, errDone
	}
	now := s.clock.Now()
	in.Place = strings.TrimSpace(in.Place)
	in.Unit = strings.TrimSpace(in.Unit)
	switch {
	case in.At.IsZero():
		return Visit{}, problem.Required("at")
	case in.At.After(now):
		return Visit{}, invalid("at", "in_future", "走访时间不能晚于现在", "the visit time is in the future")
	case civil.In(in.At, s.loc).Before(plan.From) || civil.In(in.At, s.loc).After(plan.To):
		return Visit{}, invalid("at", "outside_period", "走访时间不在检查期限内", "the visit time is outside the inspection's period")
	case in.Place == "":
		return Visit{}, problem.Required("place")
	case utf8.RuneCountInString(in.Place) > maxTitle:
		return Visit{}, tooLong("place", maxTitle)
	case utf8.RuneCountInString(in.Notes) > maxText:
		return Visit{}, tooLong("notes", maxText)
	case len(in.Findings) > maxFindings:
		return Visit{}, invalid("findings", "too_many", fmt.Sprintf("每次走访最多 %d 条发现", maxFindings), fmt.Sprintf("at most %d findings per visit", maxFindings))
	}
	if in.Answers == nil {
		in.Answers = map[string]string{}
	}
	for k, v := range in.Answers {
		i := slices.IndexFunc(plan.Checklist, func(c ChecklistItem) bool { return c.Key == k })
		if i < 0 {
			return Visit{}, invalid("answers."+k, "unknown_item", "检查清单中没有此项："+k, "no such checklist item: "+k)
		}
		if !slices.Contains(plan.Checklist[i].Options, v) {
			return Visit{}, invalid("answers."+k, "invalid_option", fmt.Sprintf("“%s”的回答应为：%s", plan.Checklist[i].Label, strings.Join(plan.Checklist[i].Options, "、")),
				fmt.Sprintf("the answer to %s must be one of: %s", k, strings.Join(plan.Checklist[i].Options, ", ")))
		}
	}
	for i := range in.Findings {
		f := &in.Findings[i]
		field := fmt.Sprintf("findings[%d]", i)
		f.Text = strings.TrimSpace(f.Text)
		f.Situation = strings.TrimSpace(f.Situation)
		if f.Text == "" {
			return Visit{}, problem.Required(field + ".text")
		}
		if utf8.RuneCountInString(f.Text) > maxText {
			return Visit{}, tooLong(field+".text", maxText)
		}
		if cat := s.known(); f.Situation != "" && cat != nil {
			if _, ok := cat.Situation(f.Situation); !ok {
				return Visit{}, invalid(field+".situation", "unknown_situation", "未知情形代码："+f.Situation, "unknown situation "+f.Situation)
			}
		}
		if f.OpenCase && in.Unit == "" && f.PersonID == nil {
			return Visit{}, invalid(field+".open_case", "no_subject", "立案需指明被检查单位或人员", "a case needs the visited unit or a person")
		}
		if f.OpenCase && s.OpenCase == nil {
			return Visit{}, &problem.Error{Kind: problem.KindUnavailable, Code: "intake_unavailable", ZH: "暂时无法立案", EN: "cases cannot be opened at the moment"}
		}
	}
	var vid int64
	type pending struct {
		fid int64
		nc  NewCase
	}
	var opens []pending
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		opens = opens[:0]
		var uid sql.NullInt64
		if in.Unit != "" {
			n, err := unitID(ctx, tx, in.Unit)
			if errors.Is(err, sql.ErrNoRows) {
				return invalid("unit", "unknown_unit", "未知单位："+in.Unit, "unknown unit "+in.Unit)
			}
			if err != nil {
				return err
			}
			uid = sql.NullInt64{Int64: n, Valid: true}
		}
		ab, _ := json.Marshal(in.Answers)
		if err := tx.QueryRowContext(ctx, `INSERT INTO inspection_visits (inspection_id, at, place, unit_id, answers, notes, recorded_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
			id, store.FormatInstant(in.At), in.Place, uid, string(ab), in.Notes, p.Actor(), store.FormatInstant(now)).Scan(&vid); err != nil {
			return fmt.Errorf("inspection: insert visit: %w", err)
		}
		for i, f := range in.Findings {
			if f.PersonID != nil {
				var one int
				if err := tx.QueryRowContext(ctx, `SELECT 1 FROM people WHERE id = $1`, *f.PersonID).Scan(&one); err != nil {
					if errors.Is(err, sql.ErrNoRows) {
						return invalid(fmt.Sprintf("findings[%d].person_id", i), "unknown_person", "未知人员", "unknown person")
					}
					return err
				}
			}
			var fid int64
			if err := tx.QueryRowContext(ctx, `INSERT INTO inspection_findings (inspection_id, visit_id, text, situation, unit_id, person_id)
				VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, id, vid, f.Text, f.Situation, uid, f.PersonID).Scan(&fid); err != nil {
				return fmt.Errorf("inspection: insert finding: %w", err)
			}
			if f.OpenCase {
				content := fmt.Sprintf("【%s】%s（%s，%s）", plan.Title, f.Text, in.Place, in.At.In(s.loc).Format("2006-01-02 15:04"))
				nc := NewCase{ReceivedAt: in.At, Content: content, Situation: f.Situation, Unit: in.Unit, PersonID: f.PersonID, Actor: p.Actor(), Files: files}
				if plan.Covert {
					nc.CovertPlanID = plan.ID
				}
				opens = append(opens, pending{fid, nc})
			}
		}
		for _, u := range files {
			if _, err := tx.ExecContext(ctx, `INSERT INTO inspection_attachments (visit_id, sha256, filename, content_type, size, created_at)
				VALUES ($1, $2, $3, $4, $5, $6)`, vid, u.Blob.SHA256, u.Filename, u.Blob.ContentType, u.Blob.Size, store.FormatInstant(now)); err != nil {
				return fmt.Errorf("inspection: insert attachment: %w", err)
			}
		}
		return audit.Append(ctx, tx, now, audit.Record{Actor: p.Actor(), Action: "inspection.visit", Subject: fmt.Sprintf("inspection:%d", id),
			Data: map[string]any{"visit": vid, "place": in.Place, "unit": in.Unit, "findings": len(in.Findings), "files": len(files)}})
	})
	if err != nil {
		return Visit{}, err
	}
	// Cases are opened through the intake, each in its own transaction, and
	// linked to their finding afterwards.
	for _, o := range opens {
		ref, err := s.OpenCase(ctx, o.nc)
		if err != nil {
			return Visit{}, fmt.Errorf("inspection: open case for finding %d: %w", o.fid, err)
		}
		if err := s.db.Tx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, `UPDATE inspection_findings SET case_id = $1 WHERE id = $2`, ref.ID, o.fid); err != nil {
				return fmt.Errorf("inspection: link finding %d: %w", o.fid, err)
			}
			return audit.Append(ctx, tx, s.clock.Now(), audit.Record{Actor: p.Actor(), Action: "inspection.finding_case", Subject: fmt.Sprintf("inspection:%d", id),
				Data: map[string]any{"finding": o.fid, "case": ref.ID}})
		}); err != nil {
			return Visit{}, err
		}
	}
	full, err := s.visits(ctx, id)
	if err != nil {
		return Visit{}, err
	}
	for _, v := range full {
		if v.ID == vid {
			return v, nil
		}
	}
	return Visit{}, fmt.Errorf("inspection: visit %d vanished", vid)
}

// Done marks a plan done; a covert plan becomes visible to all staff.
func (s *Service) Done(ctx context.Context, p auth.Principal, id int64) (Inspection, error) {
	now := s.clock.Now()
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var state string
		var covert bool
		err := tx.QueryRowContext(ctx, `SELECT state, covert FROM inspections WHERE id = $1`, id).Scan(&state, &covert)
		if errors.Is(err, sql.ErrNoRows) || err == nil && covert && state != StateDone && !s.seesCovert(p) {
			return errNotFound
		}
		if err != nil {
			return err
		}
		if state == StateDone {
			return problem.Conflict("inspection_done", "该检查已经结束", "the inspection is already done")
		}
		if _, err := tx.ExecContext(ctx, `UPDATE inspections SET state = 'done', done_at = $1 WHERE id = $2`, store.FormatInstant(now), id); err != nil {
			return fmt.Errorf("inspection: done: %w", err)
		}
		// The cases a covert plan's findings opened join the office's queue.
		unveiled, err := s.record.Unveil(ctx, tx, id, p.Actor(), now)
		if err != nil {
			return err
		}
		return audit.Append(ctx, tx, now, audit.Record{Actor: p.Actor(), Action: "inspection.done", Subject: fmt.Sprintf("inspection:%d", id),
			Data: map[string]any{"cases_unveiled": unveiled}})
	})
	if err != nil {
		return Inspection{}, err
	}
	return s.Get(ctx, p, id)
}

// Stats counts plans, visits, findings and cases opened for a period (plans
// overlapping it; visits and findings made in it), for the reports.
type Stats struct {
	Plans       int `json:"plans"`
	Covert      int `json:"covert"`
	Visits      int `json:"visits"`
	Findings    int `json:"findings"`
	CasesOpened int `json:"cases_opened"`
}

// PeriodStats counts inspection work between from and to (dates, inclusive),
// with instants bounded by [fromAt, toAt). A covert plan that is not done
// counts nowhere — not its plan, visits, findings or cases — so that no
// report reveals it exists.
func (s *Service) PeriodStats(ctx context.Context, from, to civil.Date) (Stats, error) {
	var st Stats
	fromAt := store.FormatInstant(from.Time(s.loc))
	toAt := store.FormatInstant(to.AddDays(1).Time(s.loc))
	const shown = `(i.covert = FALSE OR i.state = 'done')`
	err := s.db.Read.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(CASE WHEN i.covert THEN 1 ELSE 0 END), 0) FROM inspections i
		WHERE i.from_on <= $2 AND i.to_on >= $1 AND `+shown, from, to).Scan(&st.Plans, &st.Covert)
	if err != nil {
		return st, fmt.Errorf("inspection: stats: %w", err)
	}
	err = s.db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM inspection_visits v JOIN inspections i ON i.id = v.inspection_id
		WHERE v.at >= $1 AND v.at < $2 AND `+shown, fromAt, toAt).Scan(&st.Visits)
	if err != nil {
		return st, fmt.Errorf("inspection: stats: %w", err)
	}
	err = s.db.Read.QueryRowContext(ctx, `SELECT COUNT(*), COUNT(f.case_id) FROM inspection_findings f JOIN inspection_visits v ON v.id = f.visit_id
		JOIN inspections i ON i.id = f.inspection_id WHERE v.at >= $1 AND v.at < $2 AND `+shown, fromAt, toAt).Scan(&st.Findings, &st.CasesOpened)
	if err != nil {
		return st, fmt.Errorf("inspection: stats: %w", err)
	}
	return st, nil
}
