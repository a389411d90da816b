// Package letters makes the office's formal notices to the reporter as
// printable letters (A4, HTML and PDF): the acceptance notice (受理告知书),
// the refusal notice (不予受理告知书) with the reason and the review rights,
// the transfer notice (转送告知书) naming where the matter went, and the
// reply (处理意见书) with the review rights and their time limit.
//
// Each is numbered when the action is taken, in its transaction (the hook
// on the case record's history), per office, kind and year — 闽整肃受〔2026〕37号
// — so that a number is never given twice and never changes. The office's
// copy carries no name; the reporter's copy (the one posted or handed over)
// carries the reporter's name and postal address, opened from the sealed
// identity for those who may know it, and the printing is recorded in the
// audit log.
package letters

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"strings"
	"time"

	"mashang/internal/access"
	"mashang/internal/audit"
	"mashang/internal/auth"
	"mashang/internal/calendar"
	"mashang/internal/civil"
	"mashang/internal/clock"
	"mashang/internal/docket"
	"mashang/internal/identity"
	"mashang/internal/office"
	"mashang/internal/problem"
	"mashang/internal/store"
)

// Kind is a notice's kind.
type Kind string

// The kinds, with the action that issues each.
const (
	Acceptance Kind = "acceptance" // 受理告知书, on accept
	Refusal    Kind = "refusal"    // 不予受理告知书, on refuse
	Transfer   Kind = "transfer"   // 转送告知书, on transfer
	Reply      Kind = "reply"      // 处理意见书, on reply
)

var byAction = map[docket.Action]Kind{docket.Accept: Acceptance, docket.Refuse: Refusal, docket.Transfer: Transfer, docket.Reply: Reply}

// mark is the character of each kind in the document number.
var mark = map[Kind]string{Acceptance: "受", Refusal: "不受", Transfer: "转", Reply: "复"}

var titles = map[Kind]string{Acceptance: "受理告知书", Refusal: "不予受理告知书", Transfer: "转送告知书", Reply: "处理意见书"}

// Printer prints a whole HTML document to PDF (reports.PDFPrinter).
type Printer interface {
	Print(ctx context.Context, html []byte) ([]byte, error)
}

// Deps are what the service needs; app.New fills them.
type Deps struct {
	DB     *store.DB
	Policy *access.Policy
	Clock  clock.Clock
	Loc    *time.Location
	Vault  *identity.Vault
	// IdentityAAD is the additional data of a case's sealed identity.
	IdentityAAD func(receipt string) string
	Limits      calendar.Limits
	Printer     Printer
	// Words are the name office officeID prints at the head of its letters
	// and the prefix of its document numbers (e.g. 闽整肃 gives
	// 闽整肃受〔2026〕37号); nil: DefaultOffice and DefaultPrefix.
	Words func(ctx context.Context, officeID int64) (name, prefix string, err error)
	// Offices resolves an office's own notice templates (nil: the
	// shipped ones).
	Offices *office.Service
}

// The name and prefix of letters where Deps.Words is not given.
const (
	DefaultOffice = "整治“为官不为”问题办公室"
	DefaultPrefix = "整肃"
)

// Service numbers and prints the notices.
type Service struct {
	d    Deps
	tmpl *template.Template
}

//go:embed letter.html templates
var files embed.FS

// New returns the service.
func New(d Deps) (*Service, error) {
	if d.Loc == nil {
		d.Loc = time.UTC
	}
	if d.Words == nil {
		d.Words = func(context.Context, int64) (string, string, error) { return DefaultOffice, DefaultPrefix, nil }
	}
	t, err := template.ParseFS(files, "letter.html")
	if err != nil {
		return nil, fmt.Errorf("letters: template: %w", err)
	}
	return &Service{d: d, tmpl: t}, nil
}

// OnEvent is the hook on the case record's history: the staff line of an
// accept, refuse, transfer or reply takes the next number of its kind in
// the case's office and year, printed with the office's prefix now. A
// letter report's notice goes to the print queue, to be posted.
func (s *Service) OnEvent(ctx context.Context, tx *sql.Tx, e docket.Event) error {
	kind, ok := byAction[e.Action]
	if !ok || e.Public {
		return nil
	}
	var id, officeID int64
	var code, channel string
	if err := tx.QueryRowContext(ctx, `SELECT (SELECT MAX(id) FROM case_events WHERE case_id = c.id AND action = $2), c.office_id, o.code, c.channel
		FROM cases c JOIN offices o ON o.id = c.office_id WHERE c.id = $1`, e.Case, string(e.Action)).Scan(&id, &officeID, &code, &channel); err != nil {
		return fmt.Errorf("letters: the line of case %d: %w", e.Case, err)
	}
	_, prefix, err := s.d.Words(ctx, officeID)
	if err != nil {
		return fmt.Errorf("letters: the prefix of office %s: %w", code, err)
	}
	on := civil.In(e.At, s.d.Loc)
	var seq int
	err = tx.QueryRowContext(ctx, `INSERT INTO notice_counters (office, kind, year, seq) VALUES ($1, $2, $3, 1)
		ON CONFLICT (office, kind, year) DO UPDATE SET seq = notice_counters.seq + 1 RETURNING seq`, code, string(kind), on.Year).Scan(&seq)
	if err != nil {
		return fmt.Errorf("letters: number a %s notice: %w", kind, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO notice_numbers (event_id, case_id, office, kind, year, seq, issued_on, number, post) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		id, e.Case, code, string(kind), on.Year, seq, on.String(), Number(prefix, kind, on.Year, seq), channel == string(docket.Letter)); err != nil {
		return fmt.Errorf("letters: keep the number of a %s notice: %w", kind, err)
	}
	return nil
}

// Number renders a document number.
func Number(prefix string, kind Kind, year, seq int) string {
	return fmt.Sprintf("%s%s〔%d〕%d号", prefix, mark[kind], year, seq)
}

// Notice is one numbered letter of a case.
type Notice struct {
	ID       int64      `json:"id"` // the history line it prints
	Kind     Kind       `json:"kind"`
	Title    string     `json:"title"`
	Number   string     `json:"number"`
	IssuedOn civil.Date `json:"issued_on"`
	PDF      string     `json:"pdf"`  // the path of the printable letter (PDF)
	HTML     string     `json:"html"` // the same letter as a web page
}

var (
	errCase   = problem.NotFound("case_not_found", "没有这个案件", "no such case")
	errNotice = problem.NotFound("notice_not_found", "没有这份告知书", "no such notice")
	errCopy   = problem.Forbidden("forbidden", "您无权打印送达举报人的一联（含举报人姓名）", "you may not print the reporter's copy (it bears the reporter's name)")
)

// List returns the case's numbered notices, oldest first.
func (s *Service) List(ctx context.Context, p auth.Principal, caseID int64) ([]Notice, error) {
	if err := s.visible(ctx, p, caseID); err != nil {
		return nil, err
	}
	return s.list(ctx, caseID)
}

func (s *Service) list(ctx context.Context, caseID int64) ([]Notice, error) {
	rows, err := s.d.DB.Read.QueryContext(ctx, `SELECT n.event_id, n.kind, n.year, n.seq, n.issued_on, n.number, c.office_id
		FROM notice_numbers n JOIN cases c ON c.id = n.case_id WHERE n.case_id = $1 ORDER BY n.event_id`, caseID)
	if err != nil {
		return nil, fmt.Errorf("letters: list: %w", err)
	}
	defer rows.Close()
	out := []Notice{}
	for rows.Next() {
		var n Notice
		var kind string
		var year, seq int
		var officeID int64
		if err := rows.Scan(&n.ID, &kind, &year, &seq, &n.IssuedOn, &n.Number, &officeID); err != nil {
			return nil, err
		}
		n.Kind = Kind(kind)
		n.Title = titles[n.Kind]
		if n.Number == "" {
			// Numbered before numbers were kept as printed.
			_, prefix, err := s.d.Words(ctx, officeID)
			if err != nil {
				return nil, err
			}
			n.Number = Number(prefix, n.Kind, year, seq)
		}
		base := fmt.Sprintf("/api/v1/cases/%d/notices/%d", caseID, n.ID)
		n.PDF, n.HTML = base+"/pdf", base+"/html"
		out = append(out, n)
	}
	return out, rows.Err()
}

func (s *Service) visible(ctx context.Context, p auth.Principal, caseID int64) error {
	var facts access.Facts
	err := s.d.DB.Read.QueryRowContext(ctx, `SELECT `+access.FactsSQL("c")+` FROM cases c WHERE c.id = $1`, caseID).Scan(facts.Dest()...)
	if errors.Is(err, sql.ErrNoRows) || err == nil && !s.d.Policy.On(p, access.CaseRead, facts) {
		return errCase
	}
	if err != nil {
		return fmt.Errorf("letters: read case %d: %w", caseID, err)
	}
	return nil
}

// letter is what the frame fills in.
type letter struct {
	Fields
	Title        string
	Reporter     string // the reporter's copy: their name; "" the office's copy
	Address      string // the reporter's copy: their postal address, if given
	ReporterCopy bool
	Kind         Kind
	Body         template.HTML // the kind's text, rendered from its template
}

func chineseDate(d civil.Date) string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%d年%d月%d日", d.Year, int(d.Month), d.Day)
}

// HTML renders notice id of the case; reporterCopy puts the reporter's name
// and postal address on it (reporter.identity, recorded in the audit log).
func (s *Service) HTML(ctx context.Context, p auth.Principal, caseID, id int64, reporterCopy bool) ([]byte, Notice, error) {
	list, err := s.List(ctx, p, caseID)
	if err != nil {
		return nil, Notice{}, err
	}
	return s.render(ctx, &p, caseID, id, list, reporterCopy)
}

// ForReporter is the case's list of notices as the reporter who tracks it
// by receipt and key sees it (the caller has checked the pair).
func (s *Service) ForReporter(ctx context.Context, caseID int64) ([]Notice, error) {
	return s.list(ctx, caseID)
}

// ReporterHTML renders notice id of the case for the reporter who tracks
// it by receipt and key (the caller has checked the pair): the copy without
// any name, since whoever holds the pair may not be the reporter.
func (s *Service) ReporterHTML(ctx context.Context, caseID, id int64) ([]byte, Notice, error) {
	list, err := s.list(ctx, caseID)
	if err != nil {
		return nil, Notice{}, err
	}
	return s.render(ctx, nil, caseID, id, list, false)
}

func (s *Service) render(ctx context.Context, p *auth.Principal, caseID, id int64, list []Notice, reporterCopy bool) ([]byte, Notice, error) {
	var n Notice
	for _, x := range list {
		if x.ID == id {
			n = x
		}
	}
	if n.ID == 0 {
		return nil, n, errNotice
	}
	l := letter{Fields: Fields{Number: n.Number, Issued: chineseDate(n.IssuedOn)}, Title: n.Title, Kind: n.Kind, ReporterCopy: reporterCopy}
	var receivedOn civil.Date
	var sealed []byte
	var data, finding, rules string
	var facts access.Facts
	err := s.d.DB.Read.QueryRowContext(ctx, `SELECT c.receipt, c.received_on, c.identity, c.finding, e.data, c.time_limits, `+access.FactsSQL("c")+`
		FROM cases c JOIN case_events e ON e.case_id = c.id WHERE c.id = $1 AND e.id = $2`, caseID, id).
		Scan(append([]any{&l.Receipt, &receivedOn, &sealed, &finding, &data, &rules}, facts.Dest()...)...)
	if err != nil {
		return nil, n, fmt.Errorf("letters: read notice %d: %w", id, err)
	}
	if l.Office, _, err = s.d.Words(ctx, facts.OfficeID); err != nil {
		return nil, n, err
	}
	l.Received = chineseDate(receivedOn)
	var d map[string]any
	json.Unmarshal([]byte(data), &d)
	get := func(k string) string {
		if v, ok := d[k].(string); ok {
			return v
		}
		return ""
	}
	l.Reason, l.Unit, l.Reply = get("reason"), get("unit_name"), get("body")
	if v, err := civil.Parse(get("finish_by")); err == nil {
		l.FinishBy = chineseDate(v)
	}
	if v, err := civil.Parse(get("review_request_by")); err == nil {
		l.ReviewBy = chineseDate(v)
	}
	if finding != "" {
		l.Finding = docket.Finding(finding).Label("zh-CN")
	}
	// The review window the case's own limits give (its office's, fixed
	// when it was registered).
	review := docket.CaseLimits(rules, s.d.Limits).ReviewRequest
	l.ReviewDays = fmt.Sprint(review.Days)
	if review.Unit == calendar.UnitWorkday {
		l.ReviewDays += " 个工作日"
	} else {
		l.ReviewDays += " 日"
	}
	if reporterCopy {
		if p == nil || !s.d.Policy.On(*p, access.ReporterIdentity, facts) {
			return nil, n, errCopy
		}
		if len(sealed) > 0 {
			who, err := s.d.Vault.OpenIdentity(sealed, s.d.IdentityAAD(l.Receipt))
			if err != nil {
				return nil, n, fmt.Errorf("letters: open the identity of case %d: %w", caseID, err)
			}
			l.Reporter, l.Address = who.Name, who.Address
		}
		if l.Reporter == "" {
			l.Reporter = "举报人"
		}
		err := s.d.DB.Tx(ctx, func(tx *sql.Tx) error {
			return audit.Append(ctx, tx, s.d.Clock.Now(), audit.Record{Actor: p.Actor(), Action: "notice.print_reporter_copy",
				Subject: fmt.Sprintf("case:%d", caseID), Data: map[string]any{"notice": n.Number}})
		})
		if err != nil {
			return nil, n, err
		}
	}
	text, _, err := s.Template(ctx, facts.OfficeID, n.Kind)
	if err != nil {
		return nil, n, err
	}
	// A stored text was checked on the sample when it was set; one that
	// no longer parses (a field since removed) or fails on this letter's
	// values (an index past a short name) prints with the shipped text.
	if t, err := parse(text); err == nil {
		if b, err := s.page(t, l); err == nil {
			return b, n, nil
		}
	}
	if text, err = Shipped(n.Kind); err != nil {
		return nil, n, err
	}
	t, err := parse(text)
	if err != nil {
		return nil, n, err
	}
	b, err := s.page(t, l)
	return b, n, err
}

// ErrNoPrinter answers a PDF asked for where no PDF printer is installed.
var ErrNoPrinter = problem.Conflict("pdf_unavailable", "本机未安装打印 PDF 所需的 Chromium，请打印网页版", "Chromium, which prints PDFs, is not installed here; print the web page instead")

// PDF prints notice id of the case (as HTML does) to PDF.
func (s *Service) PDF(ctx context.Context, p auth.Principal, caseID, id int64, reporterCopy bool) ([]byte, Notice, error) {
	html, n, err := s.HTML(ctx, p, caseID, id, reporterCopy)
	if err != nil {
		return nil, n, err
	}
	if s.d.Printer == nil {
		return nil, n, ErrNoPrinter
	}
	pdf, err := s.d.Printer.Print(ctx, html)
	if err != nil {
		if strings.Contains(err.Error(), "not installed") {
			return nil, n, ErrNoPrinter
		}
		return nil, n, err
	}
	return pdf, n, nil
}
