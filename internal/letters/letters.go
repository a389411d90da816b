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
// carries the reporter's name, opened from the sealed identity for those
// who may know it, and the printing is recorded in the audit log.
package letters

import (
	"bytes"
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
	// Office is the office's full name on the letters; Prefix starts the
	// document numbers (e.g. 闽整肃 gives 闽整肃受〔2026〕37号).
	Office, Prefix string
}

// Service numbers and prints the notices.
type Service struct {
	d    Deps
	tmpl *template.Template
}

//go:embed letter.html
var files embed.FS

// New returns the service.
func New(d Deps) (*Service, error) {
	if d.Loc == nil {
		d.Loc = time.UTC
	}
	if d.Office == "" {
		d.Office = "整治“为官不为”问题办公室"
	}
	if d.Prefix == "" {
		d.Prefix = "整肃"
	}
	t, err := template.ParseFS(files, "letter.html")
	if err != nil {
		return nil, fmt.Errorf("letters: template: %w", err)
	}
	return &Service{d: d, tmpl: t}, nil
}

// OnEvent is the hook on the case record's history: the staff line of an
// accept, refuse, transfer or reply takes the next number of its kind.
func (s *Service) OnEvent(ctx context.Context, tx *sql.Tx, e docket.Event) error {
	kind, ok := byAction[e.Action]
	if !ok || e.Public {
		return nil
	}
	var id int64
	if err := tx.QueryRowContext(ctx, `SELECT MAX(id) FROM case_events WHERE case_id = $1 AND action = $2`, e.Case, string(e.Action)).Scan(&id); err != nil {
		return fmt.Errorf("letters: the line of case %d: %w", e.Case, err)
	}
	on := civil.In(e.At, s.d.Loc)
	var seq int
	err := tx.QueryRowContext(ctx, `INSERT INTO notice_counters (office, kind, year, seq) VALUES ('', $1, $2, 1)
		ON CONFLICT (office, kind, year) DO UPDATE SET seq = notice_counters.seq + 1 RETURNING seq`, string(kind), on.Year).Scan(&seq)
	if err != nil {
		return fmt.Errorf("letters: number a %s notice: %w", kind, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO notice_numbers (event_id, case_id, office, kind, year, seq, issued_on) VALUES ($1, $2, '', $3, $4, $5, $6)`,
		id, e.Case, string(kind), on.Year, seq, on.String()); err != nil {
		return fmt.Errorf("letters: keep the number of a %s notice: %w", kind, err)
	}
	return nil
}

// Number renders a document number.
func (s *Service) Number(kind Kind, year, seq int) string {
	return fmt.Sprintf("%s%s〔%d〕%d号", s.d.Prefix, mark[kind], year, seq)
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
	rows, err := s.d.DB.Read.QueryContext(ctx, `SELECT event_id, kind, year, seq, issued_on FROM notice_numbers WHERE case_id = $1 ORDER BY event_id`, caseID)
	if err != nil {
		return nil, fmt.Errorf("letters: list: %w", err)
	}
	defer rows.Close()
	out := []Notice{}
	for rows.Next() {
		var n Notice
		var kind string
		var year, seq int
		if err := rows.Scan(&n.ID, &kind, &year, &seq, &n.IssuedOn); err != nil {
			return nil, err
		}
		n.Kind = Kind(kind)
		n.Title, n.Number = titles[n.Kind], s.Number(n.Kind, year, seq)
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

// letter is what the template fills in.
type letter struct {
	Office, Title, Number, Issued string
	Reporter                      string // the reporter's copy: their name; "" the office's copy
	ReporterCopy                  bool
	Received, Receipt             string
	Kind                          Kind
	Reason, Unit, Body            string
	FinishBy, ReviewBy            string
	ReviewDays                    string
	Finding                       string
	Round                         int
}

func chineseDate(d civil.Date) string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%d年%d月%d日", d.Year, int(d.Month), d.Day)
}

// HTML renders notice id of the case; reporterCopy puts the reporter's name
// on it (reporter.identity, recorded in the audit log).
func (s *Service) HTML(ctx context.Context, p auth.Principal, caseID, id int64, reporterCopy bool) ([]byte, Notice, error) {
	list, err := s.List(ctx, p, caseID)
	if err != nil {
		return nil, Notice{}, err
	}
	var n Notice
	for _, x := range list {
		if x.ID == id {
			n = x
		}
	}
	if n.ID == 0 {
		return nil, n, errNotice
	}
	l := letter{Office: s.d.Office, Title: n.Title, Number: n.Number, Issued: chineseDate(n.IssuedOn), Kind: n.Kind, ReporterCopy: reporterCopy}
	var receivedOn civil.Date
	var sealed []byte
	var data, finding string
	var facts access.Facts
	err = s.d.DB.Read.QueryRowContext(ctx, `SELECT c.receipt, c.received_on, c.identity, c.finding, e.data, `+access.FactsSQL("c")+`
		FROM cases c JOIN case_events e ON e.case_id = c.id WHERE c.id = $1 AND e.id = $2`, caseID, id).
		Scan(append([]any{&l.Receipt, &receivedOn, &sealed, &finding, &data}, facts.Dest()...)...)
	if err != nil {
		return nil, n, fmt.Errorf("letters: read notice %d: %w", id, err)
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
	l.Reason, l.Unit, l.Body = get("reason"), get("unit_name"), get("body")
	if v, err := civil.Parse(get("finish_by")); err == nil {
		l.FinishBy = chineseDate(v)
	}
	if v, err := civil.Parse(get("review_request_by")); err == nil {
		l.ReviewBy = chineseDate(v)
	}
	if finding != "" {
		l.Finding = docket.Finding(finding).Label("zh-CN")
	}
	l.ReviewDays = fmt.Sprint(s.d.Limits.ReviewRequest.Days)
	if s.d.Limits.ReviewRequest.Unit == calendar.UnitWorkday {
		l.ReviewDays += " 个工作日"
	} else {
		l.ReviewDays += " 日"
	}
	if reporterCopy {
		if !s.d.Policy.On(p, access.ReporterIdentity, facts) {
			return nil, n, errCopy
		}
		if len(sealed) > 0 {
			who, err := s.d.Vault.OpenIdentity(sealed, s.d.IdentityAAD(l.Receipt))
			if err != nil {
				return nil, n, fmt.Errorf("letters: open the identity of case %d: %w", caseID, err)
			}
			l.Reporter = who.Name
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
	var b bytes.Buffer
	if err := s.tmpl.ExecuteTemplate(&b, "letter.html", l); err != nil {
		return nil, n, fmt.Errorf("letters: render: %w", err)
	}
	return b.Bytes(), n, nil
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
