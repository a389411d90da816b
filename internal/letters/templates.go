package letters

import (
	"bytes"
	"context"
	"fmt"
	"html/template"
	"strings"
	"unicode/utf8"

	"mashang/internal/auth"
	"mashang/internal/office"
	"mashang/internal/problem"
)

// Fields are what a notice's text may name, and all it may name: an admin's
// template over anything else is refused.
type Fields struct {
	Office   string // the office's printed name
	Number   string // the document number
	Issued   string // the date of issue (2026年3月2日)
	Receipt  string // the receipt code
	Received string // the date the report came in
	Reason   string // refusal or transfer: the reason given
	Unit     string // transfer: the unit it went to
	Reply    string // reply: the written reply
	Finding  string // reply: the finding (属实 …)
	FinishBy string // acceptance: the date it is to be finished by
	ReviewBy string // reply: the last day to ask for a review
	// ReviewDays is the time limit of a review request (30 日).
	ReviewDays string
}

// Kinds are the kinds of notice, in the order an admin sees them.
var Kinds = []Kind{Acceptance, Refusal, Transfer, Reply}

// Title is the kind's title (受理告知书 …).
func (k Kind) Title() string { return titles[k] }

// MaxTemplate is the longest template text accepted.
const MaxTemplate = 8000

// templateKey is the office setting that holds an office's own text of a
// kind of notice (inherited from the office above unless set).
func templateKey(k Kind) office.Key[string] {
	return office.Key[string]{Name: "notice_template." + string(k)}
}

// Shipped is the text the program ships for a kind of notice.
func Shipped(k Kind) (string, error) {
	b, err := files.ReadFile("templates/" + string(k) + ".html")
	if err != nil {
		return "", fmt.Errorf("letters: no shipped template for %q", k)
	}
	return string(b), nil
}

var errKind = problem.NotFound("notice_kind_not_found", "没有这种告知书（应为 acceptance、refusal、transfer 或 reply）",
	"no such kind of notice (acceptance, refusal, transfer or reply)")

// ParseKind checks a kind named in a request.
func ParseKind(s string) (Kind, error) {
	if _, ok := titles[Kind(s)]; !ok {
		return "", errKind
	}
	return Kind(s), nil
}

func templateError(msg string) error { return templateError2(msg, msg) }

func templateError2(zh, en string) error {
	return problem.Invalid("template", "invalid_template", "模板有误："+zh+"。原模板未改动。", "the template is not valid: "+en+". The template in force is unchanged.")
}

// sample fills a template under test, every field set.
var sample = Fields{Office: "某县整治“为官不为”问题办公室", Number: "某整肃受〔2026〕1号", Issued: "2026年3月2日", Receipt: "K48C-MMT-2RY",
	Received: "2026年3月1日", Reason: "理由", Unit: "某单位", Reply: "处理意见", Finding: "属实", FinishBy: "2026年5月1日",
	ReviewBy: "2026年6月1日", ReviewDays: "30 日"}

// parse checks an admin's template text: html/template over Fields only,
// one template (no define or block), within MaxTemplate. The message of its
// error says what is wrong in the admin's words.
func parse(text string) (*template.Template, error) {
	if strings.TrimSpace(text) == "" {
		return nil, problem.Required("template")
	}
	if !utf8.ValidString(text) || strings.ContainsRune(text, 0) {
		return nil, templateError2("不是有效的文本", "not valid text")
	}
	if utf8.RuneCountInString(text) > MaxTemplate {
		return nil, templateError2(fmt.Sprintf("过长（最多 %d 字）", MaxTemplate), fmt.Sprintf("longer than %d characters", MaxTemplate))
	}
	t, err := template.New("notice").Option("missingkey=error").Parse(text)
	if err != nil {
		return nil, templateError(strings.TrimPrefix(err.Error(), "template: "))
	}
	if len(t.Templates()) > 1 {
		return nil, templateError2("不能定义子模板（define、block）", "it may not define templates (define, block)")
	}
	if err := t.Execute(&bytes.Buffer{}, sample); err != nil {
		msg := err.Error()
		if i := strings.Index(msg, "can't evaluate field "); i >= 0 {
			f := strings.Fields(msg[i+len("can't evaluate field "):])
			if len(f) > 0 {
				return nil, templateError2("没有字段 "+f[0]+"（可用："+strings.Join(FieldNames(), "、")+"）",
					"there is no field "+f[0]+" (the fields are "+strings.Join(FieldNames(), ", ")+")")
			}
		}
		return nil, templateError(strings.TrimPrefix(msg, "template: "))
	}
	return t, nil
}

// FieldNames lists the fields a template may name.
func FieldNames() []string {
	return []string{"Office", "Number", "Issued", "Receipt", "Received", "Reason", "Unit", "Reply", "Finding", "FinishBy", "ReviewBy", "ReviewDays"}
}

// Template is the text of a kind of notice that applies to office
// officeID, and the code of the office that set it ("": the shipped one).
func (s *Service) Template(ctx context.Context, officeID int64, k Kind) (text, from string, err error) {
	if s.d.Offices == nil {
		text, err = Shipped(k)
		return text, "", err
	}
	t, err := s.d.Offices.Tree(ctx)
	if err != nil {
		return "", "", err
	}
	for _, o := range t.Chain(officeID) {
		v, set, err := office.Own(ctx, s.d.Offices, o.ID, templateKey(k))
		if err != nil {
			return "", "", err
		}
		if set {
			return v, o.Code, nil
		}
	}
	text, err = Shipped(k)
	return text, "", err
}

// SetTemplate stores office officeID's own text of kind k, after checking
// it (a text that fails is refused and the one in force kept); the change
// is audited.
func (s *Service) SetTemplate(ctx context.Context, p auth.Principal, officeID int64, k Kind, text string) error {
	if _, err := parse(text); err != nil {
		return err
	}
	return office.Set(ctx, s.d.Offices, p, officeID, templateKey(k), text)
}

// ResetTemplate drops office officeID's own text of kind k: it inherits the
// office above's, or the shipped one.
func (s *Service) ResetTemplate(ctx context.Context, p auth.Principal, officeID int64, k Kind) error {
	return s.d.Offices.Unset(ctx, p, officeID, templateKey(k).Name)
}

// Preview renders text as a whole letter of kind k for office officeID,
// filled with sample values (nothing stored); a text that fails is refused
// as SetTemplate refuses it.
func (s *Service) Preview(ctx context.Context, officeID int64, k Kind, text string) ([]byte, error) {
	t, err := parse(text)
	if err != nil {
		return nil, err
	}
	name, prefix, err := s.d.Words(ctx, officeID)
	if err != nil {
		return nil, err
	}
	f := sample
	f.Office, f.Number = name, Number(prefix, k, 2026, 1)
	return s.page(t, letter{Fields: f, Title: titles[k], Kind: k})
}

// page renders the letter: its body from t, in the frame.
func (s *Service) page(t *template.Template, l letter) ([]byte, error) {
	var body bytes.Buffer
	if err := t.Execute(&body, l.Fields); err != nil {
		return nil, fmt.Errorf("letters: render the text: %w", err)
	}
	l.Body = template.HTML(body.String())
	var b bytes.Buffer
	if err := s.tmpl.ExecuteTemplate(&b, "letter.html", l); err != nil {
		return nil, fmt.Errorf("letters: render: %w", err)
	}
	return b.Bytes(), nil
}
