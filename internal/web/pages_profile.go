package web

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"mashang/internal/auth"
	"mashang/internal/calendar"
	"mashang/internal/catalog"
	"mashang/internal/letters"
	"mashang/internal/office"
	"mashang/internal/problem"
	"mashang/internal/profile"
)

// publicWords are what the public pages say of the office: its name,
// channels, address and opening hours, each in Chinese and English (En ""
// when the office gives none: the page shows the Chinese, marked as such by
// the template function said), and its texts.
type publicWords struct {
	Name     catalog.Text
	Channels channelData
	Texts    profile.Texts
	Address  catalog.Text
	Hours    catalog.Text
	Phone    string
}

// wordsOf turns an office's profile into what the public pages show.
func wordsOf(pr profile.Profile) publicWords {
	w := publicWords{Name: catalog.Text{Zh: pr.Name, En: pr.NameEn}, Texts: pr.Texts,
		Address: catalog.Text{Zh: pr.Letterhead.Address, En: pr.Letterhead.AddressEn},
		Hours:   catalog.Text{Zh: pr.Texts.Hours, En: pr.Texts.HoursEn}, Phone: pr.Letterhead.Phone}
	for _, h := range pr.Channels.Hotlines {
		w.Channels.Hotlines = append(w.Channels.Hotlines, struct {
			Name   catalog.Text `json:"name"`
			Number string       `json:"number"`
		}{catalog.Text{Zh: h.Name, En: h.NameEn}, h.Number})
	}
	for i, b := range pr.Channels.Boxes {
		w.Channels.Boxes = append(w.Channels.Boxes, catalog.Text{Zh: b, En: pr.Channels.BoxEn(i)})
	}
	w.Channels.Email = pr.Channels.Email
	return w
}

// homeWords are the public site's words: the top office's.
func (p *pageServer) homeWords(ctx context.Context) (publicWords, error) {
	pr, err := p.s.app.Profile.Home(ctx)
	if err != nil {
		return publicWords{}, err
	}
	return wordsOf(pr), nil
}

// adminOfficePage is the page where an admin sets an office's words.
type adminOfficePage struct {
	Offices []office.Office
	Code    string
	Profile profile.Profile
	Form    map[string]string
	Steps   []profile.Step
	Done    bool
	Rules   officeRulesForm
}

// officeRulesForm is the page's form of the office's own calendar days and
// catalogue version.
type officeRulesForm struct {
	// Form holds "calendar" (a day a line: date, off or work, name) and
	// "catalog_version" ("": inherited).
	Form map[string]string
	// Inherited are the days the office has from the offices above, as
	// lines; Version the version it judges under without its own.
	Inherited string
	Version   string
	Versions  []string
}

// dayLines writes days a line each: "2027-03-15 off 本地节日".
func dayLines(days []calendar.Day) string {
	var b strings.Builder
	for _, d := range days {
		b.WriteString(strings.TrimSpace(d.Date.String() + " " + string(d.Kind) + " " + d.Name))
		b.WriteString("\n")
	}
	return b.String()
}

// parseDayLines reads the form's days: a date, off or work, and a name (the
// rest of the line); blank lines are skipped.
func parseDayLines(s string) []office.DayInput {
	out := []office.DayInput{}
	for _, line := range strings.Split(s, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		d := office.DayInput{Date: f[0]}
		if len(f) > 1 {
			d.Kind = f[1]
		}
		if len(f) > 2 {
			d.Name = strings.Join(f[2:], " ")
		}
		out = append(out, d)
	}
	return out
}

// officeRules fills the rules form of the office with code (form: the
// values sent, shown again after a refusal; nil: the office's own).
func (p *pageServer) officeRules(r *http.Request, code string, form map[string]string) (officeRulesForm, error) {
	v, err := p.s.app.Offices.ViewOf(r.Context(), code)
	if err != nil {
		return officeRulesForm{}, err
	}
	versions, err := p.s.app.Catalogs.Known(r.Context())
	if err != nil {
		return officeRulesForm{}, err
	}
	own := map[string]bool{}
	for _, d := range v.OwnCalendar {
		own[d.Date.String()] = true
	}
	var inherited []calendar.Day
	for _, d := range v.Calendar {
		if !own[d.Date.String()] {
			inherited = append(inherited, d)
		}
	}
	out := officeRulesForm{Form: form, Inherited: strings.TrimSpace(dayLines(inherited)), Version: p.s.app.Catalog.Version, Versions: versions}
	if v.Parent != "" {
		above, err := p.s.app.Offices.ViewOf(r.Context(), v.Parent)
		if err != nil {
			return officeRulesForm{}, err
		}
		out.Version = above.CatalogVersion
	}
	if out.Form == nil {
		out.Form = map[string]string{"calendar": dayLines(v.OwnCalendar), "catalog_version": v.OwnCatalogVersion}
	}
	return out, nil
}

// adminOfficeRulesSave: POST /staff/admin/office/rules — the office's own
// calendar days and catalogue version (PATCH /api/v1/offices/{code}'s
// "calendar" and "catalog_version"); empty: inherited from the office above.
func (p *pageServer) adminOfficeRulesSave(w http.ResponseWriter, r *http.Request, v *view) error {
	f := map[string]string{"calendar": r.PostFormValue("calendar"), "catalog_version": r.PostFormValue("catalog_version")}
	pr, err := p.adminOfficeTarget(r, r.PostFormValue("office"))
	if err != nil {
		return err
	}
	days, err := office.ParseDays(parseDayLines(f["calendar"]))
	if err == nil {
		version := strings.TrimSpace(f["catalog_version"])
		_, err = p.s.app.Offices.Change(r.Context(), me(r), pr.Office.Code, office.Patch{Calendar: &days, CatalogVersion: &version})
	}
	if err != nil {
		st, ferr := p.formError(r, v, err)
		if ferr != nil {
			return ferr
		}
		if strings.HasPrefix(v.Field, "calendar") {
			v.Field = "calendar"
		}
		return p.renderAdminOfficeWith(w, r, v, st, pr, nil, f)
	}
	v.Flash = p.T(v.Lang, "common.saved")
	return p.renderAdminOffice(w, r, v, http.StatusOK, pr, nil)
}

// adminOfficeTarget is the office the page is about: ?office=CODE, else the
// admin's own (the top office for one of no office).
func (p *pageServer) adminOfficeTarget(r *http.Request, code string) (profile.Profile, error) {
	if code = strings.TrimSpace(code); code != "" {
		return p.s.app.Profile.ByCode(r.Context(), code)
	}
	id, err := p.s.officeOf(r)
	if err != nil {
		return profile.Profile{}, err
	}
	return p.s.app.Profile.Of(r.Context(), id)
}

func hotlineLines(hs []office.Hotline) string {
	var b strings.Builder
	for _, h := range hs {
		b.WriteString(strings.TrimSpace(h.Name + " " + h.Number))
		b.WriteString("\n")
	}
	return b.String()
}

// englishLines are the English names of a list, a line each in its order
// (an empty line: none), trailing empty lines left out.
func englishLines(names []string) string {
	return strings.TrimRight(strings.Join(names, "\n"), "\n")
}

// parseEnglishLines reads englishLines: a line per item, empty lines kept
// in place (that item has no English), trailing ones dropped.
func parseEnglishLines(s string) []string {
	out := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	for i := range out {
		out[i] = strings.TrimSpace(out[i])
	}
	for len(out) > 0 && out[len(out)-1] == "" {
		out = out[:len(out)-1]
	}
	return out
}

// withHotlineNamesEn gives the hotlines, in order, the English names of the
// form's lines; more names than hotlines is refused.
func withHotlineNamesEn(hs []office.Hotline, en []string) ([]office.Hotline, error) {
	if len(en) > len(hs) {
		return nil, problem.Invalid("channels.hotlines.name_en", "too_many_translations", "热线英文名称的行数多于热线", "there are more English hotline names than hotlines")
	}
	for i, n := range en {
		hs[i].NameEn = n
	}
	return hs, nil
}

// parseHotlines reads "name number" lines: the number is the last word.
func parseHotlines(s string) []office.Hotline {
	out := []office.Hotline{}
	for _, line := range strings.Split(s, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		out = append(out, office.Hotline{Name: strings.Join(f[:len(f)-1], " "), Number: f[len(f)-1]})
	}
	return out
}

func lines(s string) []string {
	out := []string{}
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// profileForm is the office's own values as the form shows them.
func profileForm(pr profile.Profile) map[string]string {
	o := pr.Own
	hotlinesEn := make([]string, len(o.Channels.Hotlines))
	for i, h := range o.Channels.Hotlines {
		hotlinesEn[i] = h.NameEn
	}
	return map[string]string{"office": pr.Office.Code, "name": pr.Office.Name, "print_name": o.Letterhead.Name, "short": o.Letterhead.Short,
		"address": o.Letterhead.Address, "postcode": o.Letterhead.Postcode, "phone": o.Letterhead.Phone,
		"hotlines": hotlineLines(o.Channels.Hotlines), "email": o.Channels.Email, "boxes": strings.Join(o.Channels.Boxes, "\n"),
		"hours": o.Texts.Hours, "intro": o.Texts.Intro, "intro_en": o.Texts.IntroEn,
		"print_name_en": o.Letterhead.NameEn, "address_en": o.Letterhead.AddressEn, "hours_en": o.Texts.HoursEn,
		"hotlines_en": englishLines(hotlinesEn), "boxes_en": englishLines(o.Channels.BoxesEn)}
}

// governed lists the offices the caller runs: its own and those below it.
func (p *pageServer) governed(r *http.Request) ([]office.Office, error) {
	t, err := p.s.app.Offices.Tree(r.Context())
	if err != nil {
		return nil, err
	}
	var out []office.Office
	for _, o := range t.All() {
		if t.Governs(me(r), o.ID) {
			out = append(out, o)
		}
	}
	return out, nil
}

func (p *pageServer) renderAdminOffice(w http.ResponseWriter, r *http.Request, v *view, st int, pr profile.Profile, form map[string]string) error {
	return p.renderAdminOfficeWith(w, r, v, st, pr, form, nil)
}

// renderAdminOfficeWith renders the page with the profile form's values
// (form) and the rules form's (rules); nil: the office's own.
func (p *pageServer) renderAdminOfficeWith(w http.ResponseWriter, r *http.Request, v *view, st int, pr profile.Profile, form, rules map[string]string) error {
	rf, err := p.officeRules(r, pr.Office.Code, rules)
	if err != nil {
		return err
	}
	offices, err := p.governed(r)
	if err != nil {
		return err
	}
	if form == nil {
		form = profileForm(pr)
	}
	steps, done, err := p.s.app.Profile.Checklist(r.Context(), pr.Office.ID)
	if err != nil {
		return err
	}
	return p.render(w, st, v, "admin_office", adminOfficePage{Offices: offices, Code: pr.Office.Code, Profile: pr, Form: form, Steps: steps, Done: done, Rules: rf})
}

// adminOffice: GET /staff/admin/office[?office=CODE].
func (p *pageServer) adminOffice(w http.ResponseWriter, r *http.Request, v *view) error {
	pr, err := p.adminOfficeTarget(r, r.URL.Query().Get("office"))
	if err != nil {
		return err
	}
	return p.renderAdminOffice(w, r, v, http.StatusOK, pr, nil)
}

// adminOfficeSave: POST /staff/admin/office — the whole form at once; a
// field left empty is inherited from the office above.
func (p *pageServer) adminOfficeSave(w http.ResponseWriter, r *http.Request, v *view) error {
	f := map[string]string{}
	for _, n := range []string{"office", "name", "print_name", "short", "address", "postcode", "phone", "hotlines", "email", "boxes", "hours", "intro", "intro_en",
		"print_name_en", "address_en", "hotlines_en", "boxes_en", "hours_en"} {
		f[n] = r.PostFormValue(n)
	}
	pr, err := p.adminOfficeTarget(r, f["office"])
	if err != nil {
		return err
	}
	name := f["name"]
	hotlines, err := withHotlineNamesEn(parseHotlines(f["hotlines"]), parseEnglishLines(f["hotlines_en"]))
	var saved profile.Profile
	if err == nil {
		in := profile.Input{Name: &name,
			Letterhead: &office.Letterhead{Name: f["print_name"], Short: f["short"], Address: f["address"], Postcode: f["postcode"], Phone: f["phone"],
				NameEn: f["print_name_en"], AddressEn: f["address_en"]},
			Channels: &office.Channels{Hotlines: hotlines, Email: f["email"], Boxes: lines(f["boxes"]), BoxesEn: parseEnglishLines(f["boxes_en"])},
			Texts:    &profile.Texts{Hours: f["hours"], HoursEn: f["hours_en"], Intro: f["intro"], IntroEn: f["intro_en"]}}
		saved, err = p.s.app.Profile.Save(r.Context(), me(r), pr.Office.Code, in)
	}
	if err != nil {
		st, ferr := p.formError(r, v, err)
		if ferr != nil {
			return ferr
		}
		return p.renderAdminOffice(w, r, v, st, pr, f)
	}
	v.Flash = p.T(v.Lang, "common.saved")
	return p.renderAdminOffice(w, r, v, http.StatusOK, saved, nil)
}

// setupPage is the first-start checklist.
type setupPage struct {
	Steps []profile.Step
	Done  bool
}

// adminStart: GET /staff/admin/start — what a fresh install still lacks.
func (p *pageServer) adminStart(w http.ResponseWriter, r *http.Request, v *view) error {
	id, err := p.s.officeOf(r)
	if err != nil {
		return err
	}
	steps, done, err := p.s.app.Profile.Checklist(r.Context(), id)
	if err != nil {
		return err
	}
	return p.render(w, http.StatusOK, v, "admin_start", setupPage{Steps: steps, Done: done})
}

// setupPending reports whether an admin's office still lacks a first-start step.
func (p *pageServer) setupPending(r *http.Request) bool {
	if me(r).Role != auth.Admin {
		return false
	}
	id, err := p.s.officeOf(r)
	if err != nil {
		return false
	}
	_, done, err := p.s.app.Profile.Checklist(r.Context(), id)
	return err == nil && !done
}

// noticeTemplatesPage is the page of the formal notices' texts.
type noticeTemplatesPage struct {
	Offices   []office.Office
	Code      string
	Templates []noticeTemplate
	Fields    []string
	// Text holds a refused text per kind, shown again for correction.
	Text map[letters.Kind]string
}

func (p *pageServer) renderNoticeTemplates(w http.ResponseWriter, r *http.Request, v *view, st int, pr profile.Profile, text map[letters.Kind]string) error {
	offices, err := p.governed(r)
	if err != nil {
		return err
	}
	list, err := p.s.noticeTemplates(r, pr.Office.ID)
	if err != nil {
		return err
	}
	for i := range list {
		if s, ok := text[list[i].Kind]; ok {
			list[i].Template = s
		}
	}
	return p.render(w, st, v, "admin_notices", noticeTemplatesPage{Offices: offices, Code: pr.Office.Code, Templates: list, Fields: letters.FieldNames(), Text: text})
}

// adminNotices: GET /staff/admin/notices[?office=CODE].
func (p *pageServer) adminNotices(w http.ResponseWriter, r *http.Request, v *view) error {
	pr, err := p.adminOfficeTarget(r, r.URL.Query().Get("office"))
	if err != nil {
		return err
	}
	return p.renderNoticeTemplates(w, r, v, http.StatusOK, pr, nil)
}

// adminNoticeSave: POST /staff/admin/notices — op save, preview or reset
// of one kind's text.
func (p *pageServer) adminNoticeSave(w http.ResponseWriter, r *http.Request, v *view) error {
	pr, err := p.adminOfficeTarget(r, r.PostFormValue("office"))
	if err != nil {
		return err
	}
	t, err := p.s.app.Offices.Tree(r.Context())
	if err != nil {
		return err
	}
	if !t.Governs(me(r), pr.Office.ID) {
		return profile.ErrNotYours(pr.Office.Code)
	}
	k, err := letters.ParseKind(r.PostFormValue("kind"))
	if err != nil {
		return err
	}
	text := strings.ReplaceAll(r.PostFormValue("template"), "\r\n", "\n")
	switch r.PostFormValue("op") {
	case "preview":
		var b []byte
		if b, err = p.s.app.Letters.Preview(r.Context(), pr.Office.ID, k, text); err == nil {
			h := w.Header()
			h.Set("Content-Type", "text/html; charset=utf-8")
			h.Set("Cache-Control", "no-store")
			w.Write(b)
			return nil
		}
	case "reset":
		err = p.s.app.Letters.ResetTemplate(r.Context(), me(r), pr.Office.ID, k)
	default:
		err = p.s.app.Letters.SetTemplate(r.Context(), me(r), pr.Office.ID, k, text)
	}
	if err != nil {
		st, ferr := p.formError(r, v, err)
		if ferr != nil {
			return ferr
		}
		return p.renderNoticeTemplates(w, r, v, st, pr, map[letters.Kind]string{k: text})
	}
	v.Flash = p.T(v.Lang, "common.saved")
	return p.renderNoticeTemplates(w, r, v, http.StatusOK, pr, nil)
}

// postQueuePage lists the notices of letter reports to print and post.
type postQueuePage struct {
	Notices []letters.Posting
}

// postQueue: GET /staff/post.
func (p *pageServer) postQueue(w http.ResponseWriter, r *http.Request, v *view) error {
	list, err := p.s.app.Letters.ToPost(r.Context(), me(r))
	if err != nil {
		return err
	}
	return p.render(w, http.StatusOK, v, "post_queue", postQueuePage{Notices: list})
}

// postMark: POST /staff/post/{nid} — marked posted.
func (p *pageServer) postMark(w http.ResponseWriter, r *http.Request, v *view) error {
	nid, err := pathID(r, "nid")
	if err != nil {
		return err
	}
	if err := p.s.app.Letters.MarkPosted(r.Context(), me(r), nid); err != nil {
		return err
	}
	http.Redirect(w, r, "/staff/post", http.StatusSeeOther)
	return nil
}

// trackNoticePage: POST /track/notice — the reporter's notice, from the
// tracking page's form (receipt and key travel in the body, never the URL).
func (p *pageServer) trackNoticePage(w http.ResponseWriter, r *http.Request, v *view) error {
	nid, err := strconv.ParseInt(r.PostFormValue("notice"), 10, 64)
	if err != nil || nid <= 0 {
		return errBadID
	}
	return p.s.writeReporterNotice(w, r, strings.TrimSpace(r.PostFormValue("receipt")), strings.TrimSpace(r.PostFormValue("key")), nid)
}
