package web

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"mashang/internal/civil"
	"mashang/internal/docket"
	"mashang/internal/identity"
	"mashang/internal/intake"
	"mashang/internal/org"
	"mashang/internal/pinyin"
	"mashang/internal/problem"
)

// deskChannels are the channels a clerk registers, in shortcut order (Alt+1…8).
var deskChannels = []docket.Channel{docket.Hotline, docket.Letter, docket.Walkin, docket.Email,
	docket.Inspection, docket.Media, docket.Superior, docket.Web}

type deskPage struct {
	Channels   []docket.Channel
	Situations []sitGroup
	Units      []org.Unit
	Form       map[string]string
	// The caller's earlier reports (by the phone's keyed hash), when asked.
	EarlierAsked bool
	Earlier      []intake.Earlier
	EarlierTotal int
}

// earlierShown is how many of a caller's earlier reports the desk lists.
const earlierShown = 10

const deskTimeLayout = "2006-01-02T15:04"

func (p *pageServer) deskData(r *http.Request, lang string, form map[string]string) (deskPage, error) {
	us, err := p.s.app.Org.Units(r.Context())
	if err != nil {
		return deskPage{}, err
	}
	if form == nil {
		form = map[string]string{"channel": string(docket.Hotline), "anonymous": "yes"}
	}
	if form["received_at"] == "" {
		form["received_at"] = p.s.app.Clock.Now().In(p.s.app.Loc).Format(deskTimeLayout)
	}
	// The situations of the clerk's office's catalogue version, the one
	// its reports are classified under.
	cat, err := p.s.app.Catalogs.Caller(r.Context(), me(r))
	if err != nil {
		return deskPage{}, err
	}
	return deskPage{Channels: deskChannels, Situations: situationGroupsOf(cat, lang), Units: us, Form: form}, nil
}

func (p *pageServer) desk(w http.ResponseWriter, r *http.Request, v *view) error {
	d, err := p.deskData(r, v.Lang, nil)
	if err != nil {
		return err
	}
	return p.render(w, http.StatusOK, v, "desk", d)
}

// resolveSituation reads the desk's situation field: a code, a picker's
// "CODE name" text, pinyin initials (with or without spaces) or words of
// the name, as long as exactly one situation matches, in the catalogue
// version of the clerk's office.
func (p *pageServer) resolveSituation(r *http.Request, in, lang string) (string, error) {
	in = strings.TrimSpace(in)
	if in == "" {
		return "", nil
	}
	cat, err := p.s.app.Catalogs.Office(r.Context(), me(r).OfficeID)
	if err != nil {
		return "", err
	}
	first := in
	if i := strings.IndexAny(in, " \t"); i > 0 {
		first = in[:i]
	}
	if st, ok := cat.Situation(strings.ToUpper(first)); ok {
		return st.Code, nil
	}
	q := strings.ToLower(strings.ReplaceAll(in, " ", ""))
	var hits []string
	for _, st := range cat.Situations {
		ini := strings.ReplaceAll(st.Initials, " ", "")
		words := strings.ToLower(st.CategoryName.Zh + st.Names.Zh + st.CategoryName.ZhTW + st.Names.ZhTW + st.Names.En)
		if ini == q || strings.HasSuffix(ini, q) && len(q) >= 2 || strings.Contains(strings.ReplaceAll(words, " ", ""), q) {
			hits = append(hits, st.Code)
		}
	}
	if len(hits) == 1 {
		return hits[0], nil
	}
	if len(hits) == 0 {
		return "", problem.Invalid("situation", "unknown_situation", "没有与“"+in+"”相符的情形", "no situation matches “"+in+"”")
	}
	list := strings.Join(hits, ", ")
	return "", problem.Invalid("situation", "ambiguous_situation", "“"+in+"”对应多个情形："+list, "“"+in+"” matches several situations: "+list)
}

// deskEarlier answers the desk's "earlier reports" button (and its script):
// the desk as it was typed, with the reports given before from the same
// phone. The phone travels in the POST body only, never in a URL; it is
// compared by its keyed hash.
func (p *pageServer) deskEarlier(w http.ResponseWriter, r *http.Request, v *view) error {
	f := formMap(r, "channel", "received_at", "content", "situation", "unit", "person", "anonymous", "name", "phone", "email", "address", "notify")
	f["content"] = r.PostFormValue("content")
	d, err := p.deskData(r, v.Lang, f)
	if err != nil {
		return err
	}
	d.EarlierAsked = true
	if d.Earlier, d.EarlierTotal, err = p.s.app.Intake.EarlierReports(r.Context(), me(r), f["phone"], earlierShown); err != nil {
		return err
	}
	return p.render(w, http.StatusOK, v, "desk", d)
}

func (p *pageServer) deskSave(w http.ResponseWriter, r *http.Request, v *view) error {
	f := formMap(r, "channel", "received_at", "content", "situation", "unit", "person", "anonymous", "name", "phone", "email", "address", "notify")
	f["content"] = r.PostFormValue("content")
	fail := func(err error) error {
		st, ferr := p.formError(r, v, err)
		if ferr != nil {
			return ferr
		}
		d, derr := p.deskData(r, v.Lang, f)
		if derr != nil {
			return derr
		}
		return p.render(w, st, v, "desk", d)
	}
	sub := intake.Submission{Channel: docket.Channel(f["channel"]), Content: f["content"], Actor: me(r).Actor(),
		Anonymous: f["anonymous"] == "yes", Office: me(r).OfficeID, Notify: f["notify"] == "yes"}
	units, err := p.s.app.Org.Units(r.Context())
	if err != nil {
		return err
	}
	if sub.Unit, err = p.resolveUnit(f["unit"], units); err != nil {
		return fail(err)
	}
	if sub.Situation, err = p.resolveSituation(r, f["situation"], v.Lang); err != nil {
		return fail(err)
	}
	if at := f["received_at"]; at != "" {
		t, perr := time.ParseInLocation(deskTimeLayout, at, p.s.app.Loc)
		if perr != nil {
			return fail(problem.Invalid("received_at", civil.InvalidCode, "收到时间格式应为 年-月-日 时:分", "the time received must be year-month-day hour:minute"))
		}
		if t.IsZero() {
			return fail(civil.CheckInput("received_at", civil.Of(t), civil.In(p.s.app.Clock.Now(), p.s.app.Loc)))
		}
		sub.ReceivedAt = t
	}
	if pr := strings.TrimPrefix(f["person"], "#"); pr != "" {
		if id, perr := strconv.ParseInt(strings.Fields(pr)[0], 10, 64); perr == nil && id > 0 {
			sub.PersonID = id
		} else {
			sub.PersonText = f["person"]
		}
	}
	if !sub.Anonymous {
		sub.Reporter = identity.Identity{Name: f["name"], Phone: f["phone"], Email: f["email"], Address: f["address"]}
	}
	if sub.Files, err = p.files(r, intake.SourceStaff); err != nil {
		return fail(err)
	}
	rc, err := p.s.app.Intake.Submit(r.Context(), sub)
	if err != nil {
		return fail(err)
	}
	v.Flash = fmt.Sprintf(p.T(v.Lang, "desk.flash"), rc.Receipt)
	rp := newReceiptPage(rc.Receipt, rc.Key, civil.In(sub.ReceivedAt, p.s.app.Loc))
	rp.CaseID, rp.Staff = rc.CaseID, true
	return p.render(w, http.StatusCreated, v, "receipt", rp)
}

// unitSearch is what a unit picker matches besides the code and the name:
// the pinyin initials of the name (each reading of a polyphone) and the
// code without dashes ("mqmxbm").
func (p *pageServer) unitSearch(code, name string) string {
	return strings.Join(p.pinyin.Initials(name), " ") + " " + strings.ToLower(strings.ReplaceAll(code, "-", ""))
}

// resolveUnit reads a unit field typed without the picker's help: a code
// (kept as it is, intake checks it), or pinyin initials or words of a name
// that pick one unit — the one whose initials or name are exactly what was
// typed, else the only one matching. Several matches answer with their
// names, so the clerk can type more.
func (p *pageServer) resolveUnit(in string, units []org.Unit) (string, error) {
	in = unitCode(in)
	if in == "" {
		return "", nil
	}
	for _, u := range units {
		if strings.EqualFold(u.Code, in) {
			return u.Code, nil
		}
	}
	var exact, hits []org.Unit
	q := strings.ToLower(in)
	for _, u := range units {
		ini := p.pinyin.Initials(u.Name)
		switch {
		case u.Name == in || slices.Contains(ini, q):
			exact = append(exact, u)
		case strings.Contains(u.Name, in) || pinyin.Matches(ini, q) || strings.Contains(strings.ToLower(strings.ReplaceAll(u.Code, "-", "")), q):
			hits = append(hits, u)
		}
	}
	if len(exact) == 1 {
		return exact[0].Code, nil
	}
	if len(exact) == 0 && len(hits) == 1 {
		return hits[0].Code, nil
	}
	if len(exact)+len(hits) == 0 {
		return in, nil // not a unit's initials or name: intake names the unknown code
	}
	all := append(exact, hits...)
	names := make([]string, 0, 6)
	for i, u := range all {
		if i == 5 {
			names = append(names, "…")
			break
		}
		names = append(names, u.Code+" "+u.Name)
	}
	list := strings.Join(names, "、")
	return "", problem.Invalid("unit", "ambiguous_unit", "“"+in+"”对应多个单位："+list, "“"+in+"” matches several units: "+list)
}
