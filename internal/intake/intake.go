// Package intake registers reports from every channel — the public web form,
// clerks' entry of calls, letters and visits, e-mail — as cases, durably and
// in one way: validated, given a receipt code and a key (stored only as a
// hash), the reporter's identity sealed, the acceptance deadline set, the
// registration recorded in the case's history and the audit log, all in one
// group-committed transaction. It also serves the reporter's side
// afterwards (tracking, messages) and the staff's view of the reporter
// (masked identity, recorded reveal, repeat reporters, attachments).
package intake

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"mashang/internal/access"
	"mashang/internal/attach"
	"mashang/internal/audit"
	"mashang/internal/calendar"
	"mashang/internal/catalog"
	"mashang/internal/civil"
	"mashang/internal/clock"
	"mashang/internal/docket"
	"mashang/internal/identity"
	"mashang/internal/office"
	"mashang/internal/problem"
	"mashang/internal/ratelimit"
	"mashang/internal/receipt"
	"mashang/internal/store"
)

// MaxContentRunes is the longest content a report may have.
const MaxContentRunes = 20000

// MaxAddressRunes is the longest postal address a reporter may give.
const MaxAddressRunes = 200

var errAddressLong = problem.Invalid("address", "too_long", fmt.Sprintf("回信地址过长（最多 %d 个字）", MaxAddressRunes),
	fmt.Sprintf("the postal address is too long (at most %d characters)", MaxAddressRunes))

// MaxMessageRunes is the longest message between office and reporter.
const MaxMessageRunes = 20000

// ClockSkew is how far in the future a received_at may be and still be
// taken as "now" (clients' clocks drift).
const ClockSkew = 5 * time.Second

// Attachment sources.
const (
	SourceReporter   = "reporter"
	SourceStaff      = "staff"
	SourceEmail      = "email"
	SourceInspection = "inspection"
)

// Deps are what the service needs; app.New fills them.
type Deps struct {
	DB      *store.DB
	Clock   clock.Clock
	Loc     *time.Location
	Catalog *catalog.Catalog
	// OfficeCatalog is the catalogue version an office judges its new cases
	// under (app.Catalogs.Office); nil: Catalog for every office.
	OfficeCatalog func(ctx context.Context, officeID int64) (*catalog.Catalog, error)
	Localizer     *catalog.Localizer // for zh-TW; nil: Simplified text is shown
	Calendar      func() *calendar.Calendar
	// OfficeCalendar is the calendar of an office (app.Calendars.Office:
	// the national one with the office's own days); nil: Calendar for all.
	OfficeCalendar func(ctx context.Context, officeID int64) (*calendar.Calendar, error)
	Limits         calendar.Limits
	Vault          *identity.Vault
	Files          *attach.Store
	// Record writes the case row and its history.
	Record *docket.Store
	// Policy says who may know a case's reporter (the staff's views).
	Policy *access.Policy
	// PerReportTx makes Submit use one transaction per report (db.Tx)
	// instead of group commit (db.Batch): for the benchmark's comparison.
	PerReportTx bool
	// NoRateLimit turns off the per-address limit of wrong receipt/key
	// pairs (load tests on loopback).
	NoRateLimit bool
	// Rand is the randomness for receipts and keys; nil: crypto/rand.
	Rand io.Reader
	// Offices say which office a case belongs to, and its time limits (nil:
	// no offices, Limits for every case).
	Offices *office.Service
	// Counter holds the flood limits' counts; nil: no flood limits.
	Counter ratelimit.Counter
	// Flood are the public doors' limits.
	Flood FloodLimits
	// The attachment limits of a report, applied to e-mail (the web applies
	// them as it reads a request); zero: no limit.
	AttachFileMax, AttachReportMax int64
	AttachMaxFiles                 int
}

// Service registers and serves reports. Safe for concurrent use.
type Service struct {
	d           Deps
	perReportTx atomic.Bool
	lim         limiter
	group       registrations
	// insertAttachment is prepared once on SQLite's writer connection (the
	// case's own inserts are the record's, see docket.New).
	insertAttachment *sql.Stmt
}

// NewService returns the intake service.
func NewService(d Deps) *Service {
	if d.Rand == nil {
		d.Rand = rand.Reader
	}
	if d.Loc == nil {
		d.Loc = time.UTC
	}
	s := &Service{d: d}
	s.group = registrations{s: s}
	s.perReportTx.Store(d.PerReportTx)
	counter := d.Counter
	if counter == nil {
		counter = ratelimit.NewMemory(d.Clock.Now)
	}
	s.lim.f = ratelimit.Failures{Policy: ratelimit.DefaultPolicy, Counter: counter, Now: d.Clock.Now}
	s.lim.off = d.NoRateLimit
	if d.DB != nil && d.DB.Engine == store.SQLite {
		// Prepared now, while the single writer connection is free (inside
		// a transaction it is taken). A failure only means unprepared SQL.
		if st, err := d.DB.Write.PrepareContext(context.Background(), insertAttachmentSQL); err == nil {
			s.insertAttachment = st
		}
	}
	return s
}

// SetPerReportTx switches between group commit (false, the default) and one
// transaction per report (true). For the benchmark.
func (s *Service) SetPerReportTx(on bool) { s.perReportTx.Store(on) }

// File is an attachment already stored in the attachment store (Put before
// Submit, so it is on disk before the case is acknowledged).
type File struct {
	attach.Blob
	Filename string
	Source   string // SourceReporter, SourceStaff, SourceEmail, SourceInspection
}

// Submission is one report, from any channel.
type Submission struct {
	Channel    docket.Channel // one of docket.ClientChannels
	ReceivedAt time.Time      // zero: now; never in the future, never before civil.Earliest
	Content    string
	Situation  string // catalogue code, "" unknown
	Unit       string // unit code, "" unknown
	PersonID   int64  // 0 unknown
	PersonText string // the person concerned as the reporter named them (free text)
	Anonymous  bool
	Reporter   identity.Identity
	Files      []File
	MessageID  string // e-mail Message-ID: a second submission with it returns the first case
	Actor      string // who registers it: "reporter", "user:NAME", "system:email"
	// ClientAddr is the network address a public report came from (the web
	// form and API): the flood limits count it (hashed, never stored).
	ClientAddr string
	// CovertPlanID names the covert inspection whose finding this is, while
	// the plan is not done (the case stays covert until then).
	CovertPlanID int64
	// Office is the office the report came in by — the clerk's, the one
	// whose mailbox or form it reached (0: none). The case belongs to the
	// office whose jurisdiction holds its unit, else to this one, else to
	// the top office.
	Office int64
	// Notify: the reporter agrees to be told of progress at the phone or
	// e-mail address they give (needs one of them); Lang is the language
	// they wrote in (zh-CN, zh-TW, en), the messages' language.
	Notify bool
	Lang   string
}

// notifyLang keeps one of the languages messages are written in ("": zh-CN).
func notifyLang(l string) string {
	switch l {
	case "zh-CN", "zh-TW", "en":
		return l
	}
	return ""
}

// ActorEmail registers the reports received by e-mail.
const ActorEmail = "system:email"

// Receipt is what a registered report gives back. Key is shown once and
// never stored; it is "" when Existing (a repeated e-mail).
type Receipt struct {
	CaseID   int64  `json:"case_id"`
	Receipt  string `json:"receipt"`
	Key      string `json:"key,omitempty"`
	Existing bool   `json:"-"`
}

var (
	errContentEmpty = problem.Invalid("content", "content_empty", "举报内容不能为空", "the report's content is empty")
	errContentLong  = problem.Invalid("content", "content_too_long", fmt.Sprintf("举报内容不能超过 %d 字", MaxContentRunes), fmt.Sprintf("the content is longer than %d characters", MaxContentRunes))
	errBadUTF8      = problem.Malformed("invalid_utf8", "请求不是有效的 UTF-8 文本", "the request is not valid UTF-8")
	errSituation    = problem.Invalid("situation", "unknown_situation", "没有这个情形代码", "no such situation code in the catalogue")
	errUnit         = problem.Invalid("unit", "unknown_unit", "没有这个单位", "no such unit")
	errPerson       = problem.Invalid("person_id", "unknown_person", "没有这个人员", "no such person")
	errChannel      = problem.Invalid("channel", "invalid_channel", "渠道无效（可用：web, hotline, letter, walkin, email, inspection, media, superior）", "invalid channel (one of web, hotline, letter, walkin, email, inspection, media, superior)")
	errFuture       = problem.Invalid("received_at", civil.InvalidCode, "收到时间不能晚于现在", "received_at must not be later than now")
	errPhone        = problem.Invalid("phone", "invalid_phone", "电话号码无效", "the phone number is not valid")
	// errAnonymousWithIdentity refuses a report that asks for anonymity and sends an identity.
	errAnonymousWithIdentity = problem.Invalid("anonymous", "anonymous_with_identity",
		"匿名举报不能同时提供姓名、电话、电子邮箱、身份证号或通信地址：请删去这些信息，或取消匿名",
		"an anonymous report cannot also give a name, phone, e-mail, ID number or postal address: remove them, or do not ask for anonymity")
	errNotifyWithoutContact = problem.Invalid("notify", "notify_without_contact",
		"要接收办理进展通知，请留下电话或电子邮箱", "to be told of progress, give a phone number or an e-mail address")
	errEmail     = problem.Invalid("email", "invalid_email", "电子邮箱地址无效", "the e-mail address is not valid")
	errFieldLong = func(f string) *problem.Error {
		return problem.Invalid(f, "too_long", "字段 "+f+" 过长", "the field "+f+" is too long")
	}
)

// prepared is a validated submission with everything computed that does not
// need the database transaction.
type prepared struct {
	sub        Submission
	now        time.Time
	receivedAt time.Time
	receivedOn civil.Date
	acceptBy   civil.Date
	provis     bool
	category   string
	catVersion string
	unitID     int64
	officeID   int64
	limits     calendar.Limits
	cal        *calendar.Calendar // the office's: national plus its own days
	personID   int64
	mask       string
	phoneHash  string
	emailHash  string
	messageID  string
	anonymous  bool
}

// validate checks a submission and resolves its references. Errors are
// problems (422/400).
func (s *Service) validate(ctx context.Context, sub Submission) (*prepared, error) {
	p := &prepared{sub: sub, now: s.d.Clock.Now()}
	for _, f := range []struct{ name, v string }{{"content", sub.Content}, {"situation", sub.Situation}, {"unit", sub.Unit},
		{"person", sub.PersonText}, {"name", sub.Reporter.Name}, {"phone", sub.Reporter.Phone}, {"email", sub.Reporter.Email},
		{"id_number", sub.Reporter.IDNumber}, {"address", sub.Reporter.Address}, {"message_id", sub.MessageID}} {
		if !utf8.ValidString(f.v) || strings.ContainsRune(f.v, 0) {
			return nil, errBadUTF8.WithField(f.name)
		}
	}
	content := strings.TrimSpace(sub.Content)
	if content == "" {
		return nil, errContentEmpty
	}
	if utf8.RuneCountInString(content) > MaxContentRunes {
		return nil, errContentLong
	}
	p.sub.Content = content
	if !slices.Contains(docket.ClientChannels, sub.Channel) {
		return nil, errChannel
	}
	p.receivedAt = sub.ReceivedAt
	if p.receivedAt.IsZero() {
		p.receivedAt = p.now
	}
	if p.receivedAt.After(p.now.Add(ClockSkew)) {
		return nil, errFuture
	}
	if p.receivedAt.After(p.now) {
		p.receivedAt = p.now
	}
	if err := civil.CheckInput("received_at", civil.In(p.receivedAt, s.d.Loc), civil.In(p.now, s.d.Loc)); err != nil {
		return nil, err
	}
	var unitPath string
	if code := strings.TrimSpace(sub.Unit); code != "" {
		var id int64
		err := s.d.DB.Read.QueryRowContext(ctx, `SELECT id, path FROM units WHERE code = $1`, code).Scan(&id, &unitPath)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, errUnit
		}
		if err != nil {
			return nil, fmt.Errorf("intake: look up unit: %w", err)
		}
		p.unitID = id
	}
	// The case's office, and the time limits and calendar days it is counted
	// by from now on: that office's (inherited from the office above where
	// it sets none), kept on the case as its own.
	p.limits = s.d.Limits
	p.cal = s.d.Calendar()
	if s.d.Offices != nil {
		offices, err := s.d.Offices.Tree(ctx)
		if err != nil {
			return nil, err
		}
		p.officeID = offices.Of(unitPath, sub.Office).ID
		st, err := s.d.Offices.Settings(ctx, p.officeID)
		if err != nil {
			return nil, err
		}
		p.limits = st.Limits
		if s.d.OfficeCalendar != nil {
			if p.cal, err = s.d.OfficeCalendar(ctx, p.officeID); err != nil {
				return nil, err
			}
		}
	}
	// The situation, in the catalogue version of the case's office; the
	// case keeps that version.
	if code := strings.TrimSpace(sub.Situation); code != "" {
		cat := s.d.Catalog
		if s.d.OfficeCatalog != nil && s.d.Offices != nil {
			var err error
			if cat, err = s.d.OfficeCatalog(ctx, p.officeID); err != nil {
				return nil, err
			}
		}
		sit, ok := cat.Situation(code)
		if !ok {
			// Named with the version (an office's may differ from the
			// catalogue the reporter read), never with the text sent.
			return nil, problem.Invalid("situation", errSituation.Code, "目录（"+cat.Version+"）中没有这个情形代码", "no such situation code in the catalogue ("+cat.Version+")")
		}
		p.sub.Situation = sit.Code
		p.category = sit.Category
		p.catVersion = cat.Version
	}
	if sub.PersonID != 0 {
		var one int
		err := s.d.DB.Read.QueryRowContext(ctx, `SELECT 1 FROM people WHERE id = $1`, sub.PersonID).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) || sub.PersonID < 0 {
			return nil, errPerson
		}
		if err != nil {
			return nil, fmt.Errorf("intake: look up person: %w", err)
		}
		p.personID = sub.PersonID
	}
	if utf8.RuneCountInString(sub.PersonText) > 200 {
		return nil, errFieldLong("person")
	}
	p.sub.PersonText = strings.TrimSpace(sub.PersonText)

	id := identity.Identity{
		Name:     strings.TrimSpace(sub.Reporter.Name),
		Phone:    strings.TrimSpace(sub.Reporter.Phone),
		Email:    strings.TrimSpace(sub.Reporter.Email),
		IDNumber: strings.TrimSpace(sub.Reporter.IDNumber),
		Address:  strings.TrimSpace(sub.Reporter.Address),
	}
	for _, f := range []struct {
		name string
		v    string
		max  int
	}{{"name", id.Name, 100}, {"phone", id.Phone, 40}, {"email", id.Email, 254}, {"id_number", id.IDNumber, 40}} {
		if utf8.RuneCountInString(f.v) > f.max {
			return nil, errFieldLong(f.name)
		}
	}
	if utf8.RuneCountInString(id.Address) > MaxAddressRunes {
		return nil, errAddressLong
	}
	if id.Phone != "" && len(identity.NormalizePhone(id.Phone)) < 3 {
		return nil, errPhone
	}
	if id.Email != "" && !plausibleEmail(id.Email) {
		return nil, errEmail
	}
	p.sub.Reporter = id
	// Anonymous means anonymous: a report that asks for it and names its
	// reporter is refused, whatever sent it (a page that offers the choice
	// drops the fields itself); a report without any identity is anonymous.
	if sub.Anonymous && !id.IsZero() {
		return nil, errAnonymousWithIdentity
	}
	p.anonymous = id.IsZero()
	if sub.Notify && id.Phone == "" && id.Email == "" {
		return nil, errNotifyWithoutContact
	}
	if !id.IsZero() {
		m, err := json.Marshal(id.Masked())
		if err != nil {
			return nil, fmt.Errorf("intake: mask identity: %w", err)
		}
		p.mask = string(m)
	}
	p.phoneHash = s.d.Vault.PhoneHash(id.Phone)
	p.emailHash = s.d.Vault.EmailHash(id.Email)
	if len(sub.MessageID) > 1000 {
		return nil, errFieldLong("message_id")
	}
	p.messageID = sub.MessageID
	p.receivedOn = civil.In(p.receivedAt, s.d.Loc)
	p.acceptBy, p.provis = p.cal.Due(p.receivedOn, p.limits.Accept)
	if p.sub.Actor == "" {
		p.sub.Actor = "reporter"
	}
	for _, f := range sub.Files {
		if !attach.ValidSHA(f.SHA256) {
			return nil, fmt.Errorf("intake: attachment without a stored digest")
		}
	}
	return p, nil
}

func plausibleEmail(e string) bool {
	at := strings.LastIndexByte(e, '@')
	return at > 0 && at < len(e)-1 && !strings.ContainsAny(e, " \t\r\n<>")
}

// Submit validates and registers a report, answering only after its case is
// committed: a returned Receipt is durable. A submission whose MessageID was
// registered before returns that case (Existing, no Key) and no error.
// Files must already be in the attachment store (see File).
func (s *Service) Submit(ctx context.Context, sub Submission) (Receipt, error) {
	p, err := s.validate(ctx, sub)
	if err != nil {
		return Receipt{}, err
	}
	if p.messageID != "" {
		if r, ok, err := s.byMessageID(ctx, p.messageID); err != nil || ok {
			return r, err
		}
	}
	if err := s.admitReport(ctx, s.floodKey(p.sub)); err != nil {
		return Receipt{}, err
	}
	for attempt := 0; ; attempt++ {
		r, err := s.insert(ctx, p)
		if err == nil {
			return r, nil
		}
		if !store.IsUniqueViolation(err) || attempt >= 5 {
			return Receipt{}, err
		}
		// Either the Message-ID arrived meanwhile (return that case) or the
		// receipt code clashed (draw another).
		if p.messageID != "" {
			if r, ok, err := s.byMessageID(ctx, p.messageID); err != nil || ok {
				return r, err
			}
		}
	}
}

func (s *Service) byMessageID(ctx context.Context, mid string) (Receipt, bool, error) {
	var r Receipt
	err := s.d.DB.Read.QueryRowContext(ctx, `SELECT id, receipt FROM cases WHERE message_id = $1`, mid).Scan(&r.CaseID, &r.Receipt)
	if errors.Is(err, sql.ErrNoRows) {
		// The reader may lag a just-committed write on PostgreSQL replicas;
		// here Read and Write see the same data once committed.
		return Receipt{}, false, nil
	}
	if err != nil {
		return Receipt{}, false, fmt.Errorf("intake: look up message id: %w", err)
	}
	r.Existing = true
	return r, true, nil
}

const insertAttachmentSQL = `INSERT INTO attachments (case_id, sha256, filename, content_type, size, source, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7)`

// insert draws a receipt and key, seals the identity and writes the case in
// one transaction (shared by group commit unless per-report mode is on).
func (s *Service) insert(ctx context.Context, p *prepared) (Receipt, error) {
	code, err := receipt.NewCode(s.d.Rand)
	if err != nil {
		return Receipt{}, fmt.Errorf("intake: draw receipt: %w", err)
	}
	key, err := receipt.NewKey(s.d.Rand)
	if err != nil {
		return Receipt{}, fmt.Errorf("intake: draw key: %w", err)
	}
	var sealed []byte
	if !p.sub.Reporter.IsZero() {
		if sealed, err = s.d.Vault.SealIdentity(p.sub.Reporter, IdentityAAD(code)); err != nil {
			return Receipt{}, err
		}
	}
	nowS := store.FormatInstant(p.now)
	// The audit entry's data in the log's form now, not in the writer's turn.
	auditData, err := audit.PrepareData(map[string]any{"receipt": code, "channel": p.sub.Channel, "situation": p.sub.Situation, "attachments": len(p.sub.Files), "anonymous": p.anonymous})
	if err != nil {
		return Receipt{}, err
	}
	nc := docket.NewCase{Receipt: code, KeyHash: receipt.HashKey(code, key), Channel: p.sub.Channel, ReceivedAt: p.receivedAt, ReceivedOn: p.receivedOn,
		Content: p.sub.Content, Situation: p.sub.Situation, Category: p.category, CatalogVersion: p.catVersion, UnitID: p.unitID, PersonID: p.personID,
		PersonText: p.sub.PersonText, Anonymous: p.anonymous, Identity: sealed, IdentityMask: p.mask, PhoneHash: p.phoneHash, EmailHash: p.emailHash,
		MessageID: p.messageID, AcceptBy: p.acceptBy, Provisional: p.provis, CreatedBy: p.sub.Actor, CovertPlanID: p.sub.CovertPlanID, OfficeID: p.officeID, Limits: p.limits, CalendarDays: p.cal.Local(),
		Notify: p.sub.Notify && !p.anonymous, Lang: notifyLang(p.sub.Lang), Now: p.now}
	reg := &registration{nc: nc, files: p.sub.Files, audit: audit.Change{At: p.now, Record: audit.Record{Actor: p.sub.Actor, Action: "case.register", Data: auditData}}}
	fn := func(ctx context.Context, tx *sql.Tx) error {
		var err error
		if reg.caseID, err = s.d.Record.Insert(ctx, tx, nc); err != nil {
			return fmt.Errorf("intake: %w", err)
		}
		for _, f := range p.sub.Files {
			args := []any{reg.caseID, f.SHA256, f.Filename, f.ContentType, f.Size, f.Source, nowS}
			if s.insertAttachment != nil {
				_, err = tx.StmtContext(ctx, s.insertAttachment).ExecContext(ctx, args...)
			} else {
				_, err = tx.ExecContext(ctx, insertAttachmentSQL, args...)
			}
			if err != nil {
				return fmt.Errorf("intake: insert attachment: %w", err)
			}
		}
		rec := reg.audit.Record
		rec.Subject = fmt.Sprintf("case:%d", reg.caseID)
		return audit.Append(ctx, tx, p.now, rec)
	}
	if s.perReportTx.Load() {
		err = s.d.DB.Tx(ctx, func(tx *sql.Tx) error { return fn(ctx, tx) })
	} else {
		err = s.d.DB.BatchGroup(ctx, s.group, reg, fn)
	}
	if err != nil {
		return Receipt{}, err
	}
	return Receipt{CaseID: reg.caseID, Receipt: code, Key: key}, nil
}

// registration is one report waiting for the group commit: its case, its
// files, its audit entry (the subject set once the case has its id), and
// the id when written.
type registration struct {
	nc     docket.NewCase
	files  []File
	audit  audit.Change
	caseID int64
}

// registrations writes the reports waiting together for the group commit
// with a few statements for all of them (store.GroupWriter): the cases,
// their history lines, their files and their audit entries, each kind in
// one statement (the audit entries in two: the chain's head taken, the
// entries written with the head moved). Instead of seven statements a
// report, a group of any size takes four or five: the round trips that
// bound PostgreSQL's intake, and most of the statements SQLite's one writer
// ran.
type registrations struct{ s *Service }

// WriteAll implements store.GroupWriter.
func (g registrations) WriteAll(ctx context.Context, tx *sql.Tx, items []any) error {
	regs := make([]*registration, len(items))
	ncs := make([]docket.NewCase, len(items))
	for i, it := range items {
		regs[i] = it.(*registration)
		ncs[i] = regs[i].nc
	}
	ids, err := g.s.d.Record.InsertMany(ctx, tx, ncs)
	if err != nil {
		return fmt.Errorf("intake: %w", err)
	}
	files := store.NewBulk(g.s.d.DB.Engine, "attachments", []string{"case_id", "sha256", "filename", "content_type", "size", "source", "created_at"}, 256)
	changes := make([]audit.Change, len(regs))
	for i, r := range regs {
		for _, f := range r.files {
			if err := files.Add(ctx, tx, ids[i], f.SHA256, f.Filename, f.ContentType, f.Size, f.Source, store.FormatInstant(r.nc.Now)); err != nil {
				return fmt.Errorf("intake: insert attachments: %w", err)
			}
		}
		changes[i] = r.audit
		changes[i].Subject = fmt.Sprintf("case:%d", ids[i])
	}
	if err := files.Flush(ctx, tx); err != nil {
		return fmt.Errorf("intake: insert attachments: %w", err)
	}
	if _, err := audit.AppendMany(ctx, tx, g.s.d.DB.Engine, changes); err != nil {
		return err
	}
	for i, r := range regs {
		r.caseID = ids[i]
	}
	return nil
}

// IdentityAAD is the additional data a case's sealed identity is bound to:
// a sealed identity copied to another case does not open.
func IdentityAAD(receiptCode string) string { return "case:" + receiptCode + ":identity" }
