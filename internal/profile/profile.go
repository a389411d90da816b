// Package profile is what an office says to the public and on paper: its
// printed name and letterhead, its contact details (hotlines, the mailbox
// reports come to, complaint boxes, address, opening hours) and the public
// texts of its home page. An admin sets them in the pages or the API; they
// are stored per office in the database (package office's settings, so an
// office that leaves one unset inherits it from the office above) and every
// change is audited there.
//
// It also holds the first-start checklist: what a fresh install still lacks
// (the office's name, its contacts, a first staff account, the units) for
// the admin to see until each is done.
package profile

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"mashang/internal/auth"
	"mashang/internal/office"
	"mashang/internal/problem"
)

// DefaultName is the name the first start gives the one office.
const DefaultName = "整肃办"

// Texts are an office's own public words.
type Texts struct {
	// Hours are its opening hours for walk-ins and the hotline; HoursEn
	// in English ("": none, the Chinese shows).
	Hours   string `json:"hours"`
	HoursEn string `json:"hours_en,omitempty"`
	// Intro opens the public home page (Chinese; zh-TW is converted from
	// it); IntroEn is its English text. Empty: the page's own words.
	Intro   string `json:"intro"`
	IntroEn string `json:"intro_en"`
}

func (t Texts) empty() bool { return t == Texts{} }

func check(field, v string, max int) error {
	if strings.ContainsRune(v, 0) || !utf8.ValidString(v) {
		return problem.Invalid(field, "invalid_text", field+" 不是有效的文本", field+" is not valid text")
	}
	if n := len([]rune(v)); n > max {
		return problem.Invalid(field, "too_long", fmt.Sprintf("%s 过长（最多 %d 字）", field, max), fmt.Sprintf("%s is longer than %d characters", field, max))
	}
	return nil
}

// TextsKey is the setting of an office's public texts (the nearest office
// that sets them wins whole).
var TextsKey = office.Key[Texts]{Name: "public_texts", Check: func(t *Texts) error {
	for _, f := range []struct {
		name string
		v    *string
		max  int
	}{{"texts.hours", &t.Hours, 200}, {"texts.hours_en", &t.HoursEn, 300}, {"texts.intro", &t.Intro, 2000}, {"texts.intro_en", &t.IntroEn, 4000}} {
		*f.v = strings.TrimSpace(strings.ReplaceAll(*f.v, "\r\n", "\n"))
		if err := check(f.name, *f.v, f.max); err != nil {
			return err
		}
	}
	if t.HoursEn != "" && t.Hours == "" {
		return problem.Invalid("texts.hours_en", "english_without_chinese", "texts.hours_en：英文须与它所译的中文一同填写", "texts.hours_en: an English text needs the Chinese text it translates")
	}
	return nil
}}

// Profile is an office's words as they apply to it, inherited ones included.
type Profile struct {
	Office office.Office `json:"office"`
	// Name is the office's name as printed at the head of its letters;
	// NameEn is its English name ("": none, the Chinese shows). Neither is
	// inherited.
	Name       string            `json:"name"`
	NameEn     string            `json:"name_en"`
	Letterhead office.Letterhead `json:"letterhead"`
	Channels   office.Channels   `json:"channels"`
	Texts      Texts             `json:"texts"`
	// Own holds what the office sets itself (empty parts: inherited).
	Own Own `json:"own"`
	// From names, for each part set on the office or above, the office
	// whose value applies.
	From map[string]string `json:"from"`
}

// Own is what an office sets itself.
type Own struct {
	Letterhead office.Letterhead `json:"letterhead"`
	Channels   office.Channels   `json:"channels"`
	Texts      Texts             `json:"texts"`
}

// Input is a change to an office's words (PUT …/profile and the page):
// a part left nil is unchanged; a part given empty is no longer the
// office's own (it inherits the office above's again).
type Input struct {
	Name       *string            `json:"name"`
	Letterhead *office.Letterhead `json:"letterhead"`
	Channels   *office.Channels   `json:"channels"`
	Texts      *Texts             `json:"texts"`
}

// Service reads and changes the offices' words.
type Service struct {
	offices *office.Service
	// NoticeName is the name on the letters of the top office when it sets
	// none itself (--office-name); NoticePrefix starts the document numbers
	// of every office that sets no short name (--notice-prefix).
	noticeName, noticePrefix string
	staff, units             func(ctx context.Context) (int, error)
}

// Deps are what the service needs; app.New fills them.
type Deps struct {
	Offices                  *office.Service
	NoticeName, NoticePrefix string
	// Staff counts the accounts that are not admins; Units the units.
	Staff, Units func(ctx context.Context) (int, error)
}

// New returns the service.
func New(d Deps) *Service {
	if d.NoticePrefix == "" {
		d.NoticePrefix = "整肃"
	}
	return &Service{offices: d.Offices, noticeName: d.NoticeName, noticePrefix: d.NoticePrefix, staff: d.Staff, units: d.Units}
}

var errNoOffice = func(code string) error {
	return problem.NotFound("office_not_found", "没有这个整肃办："+code, "no such office: "+code)
}

// ErrNotYours refuses a change to an office neither the caller's nor below it.
func ErrNotYours(code string) error {
	return problem.Forbidden("office_not_yours", "只能管理本级及下级整肃办（"+code+" 不在其中）",
		"you may manage only your own office and the offices below it ("+code+" is not among them)")
}

// Of resolves office officeID's words.
func (s *Service) Of(ctx context.Context, officeID int64) (Profile, error) {
	t, err := s.offices.Tree(ctx)
	if err != nil {
		return Profile{}, err
	}
	st, err := s.offices.Settings(ctx, officeID)
	if err != nil {
		return Profile{}, err
	}
	pr := Profile{Office: st.Office, Letterhead: st.Letterhead, Channels: st.Channels, From: map[string]string{}}
	for _, k := range []string{office.ChannelsKey.Name, office.LetterheadKey.Name} {
		if f, ok := st.From[k]; ok {
			pr.From[k] = f
		}
	}
	if pr.Texts, err = office.Get(ctx, s.offices, officeID, TextsKey, Texts{}); err != nil {
		return Profile{}, err
	}
	for _, o := range t.Chain(officeID) {
		if _, set, err := office.Own(ctx, s.offices, o.ID, TextsKey); err != nil {
			return Profile{}, err
		} else if set {
			pr.From[TextsKey.Name] = o.Code
			break
		}
	}
	if pr.Own.Letterhead, _, err = office.Own(ctx, s.offices, officeID, office.LetterheadKey); err != nil {
		return Profile{}, err
	}
	if pr.Own.Channels, _, err = office.Own(ctx, s.offices, officeID, office.ChannelsKey); err != nil {
		return Profile{}, err
	}
	if pr.Own.Texts, _, err = office.Own(ctx, s.offices, officeID, TextsKey); err != nil {
		return Profile{}, err
	}
	if pr.Channels.Hotlines == nil {
		pr.Channels.Hotlines = []office.Hotline{}
	}
	if pr.Channels.Boxes == nil {
		pr.Channels.Boxes = []string{}
	}
	pr.Name = pr.Own.Letterhead.Name
	if pr.Name == "" && st.Office.ParentID == 0 && s.noticeName != "" {
		pr.Name = s.noticeName
	}
	if pr.Name == "" {
		pr.Name = st.Office.Name
	}
	pr.Letterhead.Name = pr.Name
	pr.NameEn = pr.Own.Letterhead.NameEn
	pr.Letterhead.NameEn = pr.NameEn
	if pr.Letterhead.Short == "" {
		pr.Letterhead.Short = s.noticePrefix
	}
	return pr, nil
}

// ByCode resolves the words of the office with code (404 when unknown).
func (s *Service) ByCode(ctx context.Context, code string) (Profile, error) {
	t, err := s.offices.Tree(ctx)
	if err != nil {
		return Profile{}, err
	}
	o, ok := t.ByCode(code)
	if !ok {
		return Profile{}, errNoOffice(code)
	}
	return s.Of(ctx, o.ID)
}

// Home resolves the words of the top office (the public site's).
func (s *Service) Home(ctx context.Context) (Profile, error) {
	t, err := s.offices.Tree(ctx)
	if err != nil {
		return Profile{}, err
	}
	return s.Of(ctx, t.Home().ID)
}

// Save applies in to the office with code for p (its own office or one
// below it). Every part is checked before any is stored, so a refused
// input changes nothing; each stored part is audited.
func (s *Service) Save(ctx context.Context, p auth.Principal, code string, in Input) (Profile, error) {
	t, err := s.offices.Tree(ctx)
	if err != nil {
		return Profile{}, err
	}
	o, ok := t.ByCode(code)
	if !ok {
		return Profile{}, errNoOffice(code)
	}
	if !t.Governs(p, o.ID) {
		return Profile{}, ErrNotYours(code)
	}
	if in.Name != nil && strings.TrimSpace(*in.Name) == "" {
		return Profile{}, problem.Invalid("name", "invalid_office_name", "整肃办名称不能为空，最长 100 个字符", "an office name is 1–100 characters")
	}
	if in.Letterhead != nil {
		if err := office.LetterheadKey.Check(in.Letterhead); err != nil {
			return Profile{}, err
		}
	}
	if in.Channels != nil {
		if err := office.ChannelsKey.Check(in.Channels); err != nil {
			return Profile{}, err
		}
	}
	if in.Texts != nil {
		if err := TextsKey.Check(in.Texts); err != nil {
			return Profile{}, err
		}
	}
	if in.Name != nil && strings.TrimSpace(*in.Name) != o.Name {
		if _, err := s.offices.Change(ctx, p, code, office.Patch{Name: in.Name}); err != nil {
			return Profile{}, err
		}
	}
	if in.Letterhead != nil {
		if err := office.SetOrInherit(ctx, s.offices, p, o.ID, office.LetterheadKey, *in.Letterhead, *in.Letterhead == (office.Letterhead{})); err != nil {
			return Profile{}, err
		}
	}
	if in.Channels != nil {
		c := *in.Channels
		if err := office.SetOrInherit(ctx, s.offices, p, o.ID, office.ChannelsKey, c, len(c.Hotlines) == 0 && len(c.Boxes) == 0 && c.Email == ""); err != nil {
			return Profile{}, err
		}
	}
	if in.Texts != nil {
		if err := office.SetOrInherit(ctx, s.offices, p, o.ID, TextsKey, *in.Texts, in.Texts.empty()); err != nil {
			return Profile{}, err
		}
	}
	return s.Of(ctx, o.ID)
}

// Step is one item of the first-start checklist.
type Step struct {
	// Key names it: office_name, contacts, staff, units.
	Key  string `json:"key"`
	Done bool   `json:"done"`
	// Href is the page that does it.
	Href string `json:"href"`
}

// Checklist says what the office officeID still lacks after a first start:
// its own name (not the default), a hotline or mailbox for the public, a
// staff account besides the admins, and units. Complete reports whether
// every step is done.
func (s *Service) Checklist(ctx context.Context, officeID int64) (steps []Step, complete bool, err error) {
	pr, err := s.Of(ctx, officeID)
	if err != nil {
		return nil, false, err
	}
	staff, err := s.staff(ctx)
	if err != nil {
		return nil, false, err
	}
	units, err := s.units(ctx)
	if err != nil {
		return nil, false, err
	}
	steps = []Step{
		{Key: "office_name", Done: pr.Office.Name != DefaultName || pr.Own.Letterhead.Name != "", Href: "/staff/admin/office"},
		{Key: "contacts", Done: len(pr.Channels.Hotlines) > 0 || pr.Channels.Email != "", Href: "/staff/admin/office#contacts"},
		{Key: "staff", Done: staff > 0, Href: "/staff/admin/users"},
		{Key: "units", Done: units > 0, Href: "/staff/admin/units"},
	}
	complete = true
	for _, st := range steps {
		complete = complete && st.Done
	}
	return steps, complete, nil
}
