package web

import (
	"fmt"
	"html/template"
	"net/http"
	"strings"

	"mashang/internal/cases"
	"mashang/internal/catalog"
	"mashang/internal/civil"
	"mashang/internal/docket"
	"mashang/internal/identity"
	"mashang/internal/intake"
	"mashang/internal/office"
	"mashang/internal/org"
	"mashang/internal/problem"
)

// channelData is how the public can reach the office (its profile's
// channels, in the shape the public templates read).
type channelData struct {
	Hotlines []struct {
		Name   catalog.Text `json:"name"`
		Number string       `json:"number"`
	} `json:"hotlines"`
	Boxes []catalog.Text `json:"boxes"`
	Email string         `json:"email"`
}

type homeSubject struct {
	Key        string
	Categories []homeCategory
}

type homeCategory struct {
	Code, Name string
	Situations []homeSituation
}

type homeSituation struct{ Code, Name, Example string }

// subjects groups cat's situations by subject and category.
func subjects(cat *catalog.Catalog, lang string) []homeSubject {
	out := []homeSubject{{Key: "home.subject_unit"}, {Key: "home.subject_person"}}
	for _, s := range cat.Situations {
		i := 0
		if s.Subject == catalog.SubjectPerson {
			i = 1
		}
		cats := &out[i].Categories
		if n := len(*cats); n == 0 || (*cats)[n-1].Code != s.Category {
			*cats = append(*cats, homeCategory{Code: s.Category, Name: s.CategoryName.In(lang)})
		}
		c := &(*cats)[len(*cats)-1]
		c.Situations = append(c.Situations, homeSituation{Code: s.Code, Name: s.Name(lang), Example: s.Example.In(lang)})
	}
	return out
}

type homePage struct {
	Subjects []homeSubject
	Channels channelData
	Words    publicWords
	// Intro is the office's own introduction in the page's language, or
	// on an English page without one the Chinese, in IntroLang ("": the
	// page's); none: the page's own words only.
	Intro     string
	IntroLang string
}

func (p *pageServer) home(w http.ResponseWriter, r *http.Request, v *view) error {
	words, err := p.homeWords(r.Context())
	if err != nil {
		return err
	}
	// The office's introduction in the page's language; on an English
	// page without the English text, the Chinese, marked as such (as the
	// office's contacts are).
	intro, introLang := words.Texts.Intro, ""
	switch v.Lang {
	case LangEn:
		if words.Texts.IntroEn != "" {
			intro = words.Texts.IntroEn
		} else if intro != "" {
			introLang = LangZhCN
		}
	case LangZhTW:
		intro = p.s.tw.convert(intro)
	}
	// The situations of the catalogue version the top office classifies
	// reports under (those that name no unit of another office).
	t, err := p.s.app.Offices.Tree(r.Context())
	if err != nil {
		return err
	}
	cat, err := p.s.app.Catalogs.Office(r.Context(), t.Home().ID)
	if err != nil {
		return err
	}
	return p.render(w, http.StatusOK, v, "home", homePage{Subjects: subjects(cat, v.Lang), Channels: words.Channels, Words: words, Intro: intro, IntroLang: introLang})
}

// sitOption is one situation in a picker.
type sitOption struct {
	Code, Name, Label, Search string
}

type sitGroup struct {
	Code    string // the category's code
	Label   string
	Options []sitOption
}

// situationGroupsOf lists cat's situations by category for a <select> or a
// picker.
func situationGroupsOf(cat *catalog.Catalog, lang string) []sitGroup {
	var out []sitGroup
	for _, s := range cat.Situations {
		if n := len(out); n == 0 || out[n-1].Code != s.Category {
			out = append(out, sitGroup{Code: s.Category, Label: s.Category + " " + s.CategoryName.In(lang)})
		}
		g := &out[len(out)-1]
		g.Options = append(g.Options, sitOption{
			Code: s.Code, Name: s.Name(lang), Label: s.Code + " " + s.CategoryName.In(lang) + " · " + s.Name(lang),
			Search: strings.ReplaceAll(s.Initials, " ", "") + " " + s.Initials + " " + s.Names.Zh + " " + s.CategoryName.Zh + " " + s.Names.En,
		})
	}
	return out
}

type reportPage struct {
	// Office is the office the report goes to when it names no unit of
	// another's (the one the visitor chose, or the top office): its
	// catalogue version gives Situations. Offices are the others to
	// choose from (a deployment of several).
	Office     officeChoice
	Offices    []officeChoice
	Situations []sitGroup
	Units      []org.Unit
	Form       map[string]string
	MaxFiles   int
	MaxMB      int64
	// Check is the human check, asked of an address that has filed several
	// reports lately (nil: not asked).
	Check *humanCheckView
}

type humanCheckView struct {
	Token string
	Image template.URL // a data: URL of the picture, made here
}

var errHumanCheck = problem.Invalid("hc_answer", "human_check_failed", "图中数字输入不对或已过期，请看新图重新输入", "the digits do not match the picture, or it has expired; type the digits of the new picture")

// humanCheck issues a challenge when the address must answer one.
func (p *pageServer) humanCheck(r *http.Request) (*humanCheckView, error) {
	need, err := p.s.app.Intake.HumanCheckNeeded(r.Context(), clientAddr(r))
	if err != nil || !need {
		return nil, err
	}
	ch, err := p.check.Issue()
	if err != nil {
		return nil, err
	}
	return &humanCheckView{Token: ch.Token, Image: template.URL(ch.Image)}, nil
}

// reportOffice is the office a public report is made to: ?office=CODE
// (or the form's office field), else the top office; an unknown code is
// 404 (the field named).
func (p *pageServer) reportOffice(r *http.Request, code string) (office.Office, *office.Tree, error) {
	t, err := p.s.app.Offices.Tree(r.Context())
	if err != nil {
		return office.Office{}, nil, err
	}
	code = strings.TrimSpace(code)
	if code == "" {
		return t.Home(), t, nil
	}
	o, ok := t.ByCode(code)
	if !ok {
		return o, t, problem.NotFound("office_not_found", "没有这个整肃办", "no such office").WithField("office")
	}
	return o, t, nil
}

func (p *pageServer) reportData(r *http.Request, lang string, form map[string]string) (reportPage, error) {
	us, err := p.s.app.Org.Units(r.Context())
	if err != nil {
		return reportPage{}, err
	}
	if form == nil {
		form = map[string]string{"anonymous": "yes", "office": r.URL.Query().Get("office")}
	}
	o, tree, err := p.reportOffice(r, form["office"])
	if err != nil {
		return reportPage{}, err
	}
	// The situations of the catalogue version the office classifies under.
	cat, err := p.s.app.Catalogs.Office(r.Context(), o.ID)
	if err != nil {
		return reportPage{}, err
	}
	d := reportPage{Office: officeChoice{Code: o.Code, Name: p.zhText(o.Name, lang)}, Situations: situationGroupsOf(cat, lang)}
	if all := tree.All(); len(all) > 1 {
		form["office"] = o.Code
		for _, x := range all {
			if x.ID != o.ID {
				d.Offices = append(d.Offices, officeChoice{Code: x.Code, Name: p.zhText(x.Name, lang)})
			}
		}
	}
	if form["form_token"] == "" {
		form["form_token"] = newFormToken()
	}
	check, err := p.humanCheck(r)
	if err != nil {
		return reportPage{}, err
	}
	cfg := p.s.app.Config
	d.Units, d.Form, d.MaxFiles, d.MaxMB, d.Check = us, form, cfg.AttachMaxFiles, cfg.AttachReportMax>>20, check
	return d, nil
}

func (p *pageServer) reportForm(w http.ResponseWriter, r *http.Request, v *view) error {
	d, err := p.reportData(r, v.Lang, nil)
	if err != nil {
		return err
	}
	return p.render(w, http.StatusOK, v, "report", d)
}

// files stores the uploaded attachments of a parsed multipart form, within
// the configured limits, before anything is written to the database.
func (p *pageServer) files(r *http.Request, source string) ([]intake.File, error) {
	if r.MultipartForm == nil {
		return nil, nil
	}
	budget := p.s.newBudget(false)
	var out []intake.File
	for _, fh := range r.MultipartForm.File["attachment"] {
		if fh.Size == 0 {
			continue
		}
		f, err := fh.Open()
		if err != nil {
			return nil, err
		}
		blob, err := budget.put(r.Context(), f)
		f.Close()
		if err != nil {
			return nil, err
		}
		out = append(out, intake.File{Blob: blob, Filename: strings.ToValidUTF8(fh.Filename, "_"), Source: source})
	}
	return out, nil
}

type receiptPage struct {
	Receipt, Key string
	KeyGroups    []string   // the key's groups, each kept on one line
	Received     civil.Date // the day the report was received
	CaseID       int64
	Staff        bool
	Again        bool   // the same form was sent before: the key was shown then
	TrackURL     string // where the reporter follows the report
}

func newReceiptPage(code, key string, received civil.Date) receiptPage {
	return receiptPage{Receipt: code, Key: key, KeyGroups: strings.Split(key, "-"), Received: received}
}

func (p *pageServer) report(w http.ResponseWriter, r *http.Request, v *view) error {
	f := formMap(r, "content", "situation", "unit", "person", "anonymous", "name", "phone", "email", "notify", "office")
	f["content"] = r.PostFormValue("content") // keep the reporter's line breaks and spacing
	token := formToken(r)
	f["form_token"] = token
	fail := func(err error) error {
		if pe, ok := problem.As(err); ok && pe.Kind == problem.KindTooMany {
			w.Header().Set("Retry-After", retryAfter(pe))
		}
		st, ferr := p.formError(r, v, err)
		if ferr != nil {
			return ferr
		}
		d, derr := p.reportData(r, v.Lang, f)
		if derr != nil {
			return derr
		}
		return p.render(w, st, v, "report", d)
	}
	ctx, addr := r.Context(), clientAddr(r)
	if token != "" {
		// The same form again: the first post's receipt.
		if sealed, ok := p.recent.get(token, p.s.app.Clock.Now()); ok {
			p.toReceipt(w, r, sealed)
			return nil
		}
	}
	if err := p.s.app.Intake.Admissible(ctx, addr); err != nil {
		return fail(err)
	}
	need, err := p.s.app.Intake.HumanCheckNeeded(ctx, addr)
	if err != nil {
		return err
	}
	if need {
		ok, err := p.check.Verify(ctx, r.PostFormValue("hc_token"), r.PostFormValue("hc_answer"))
		if err != nil {
			return err
		}
		if !ok {
			return fail(errHumanCheck)
		}
	}
	files, err := p.files(r, intake.SourceReporter)
	if err != nil {
		return fail(err)
	}
	// The office chosen takes the report unless it names a unit of another.
	to, _, err := p.reportOffice(r, f["office"])
	if err != nil {
		f["office"] = ""
		return fail(problem.Invalid("office", "unknown_office", "没有这个整肃办，请重新选择", "no such office: choose again"))
	}
	sub := intake.Submission{
		Channel: docket.Web, Actor: "reporter", Content: f["content"], Situation: f["situation"], Unit: unitCode(f["unit"]),
		PersonText: f["person"], Anonymous: f["anonymous"] != "no", Files: files, ClientAddr: addr, Office: to.ID,
	}
	if token != "" {
		sub.MessageID = formTokenPrefix + token
	}
	if !sub.Anonymous {
		sub.Reporter = identity.Identity{Name: f["name"], Phone: f["phone"], Email: f["email"]}
		sub.Notify, sub.Lang = f["notify"] == "yes", v.Lang
	}
	rc, err := p.s.app.Intake.Submit(ctx, sub)
	if err != nil {
		return fail(err)
	}
	if rc.Existing {
		// Filed before by another instance, or before a restart: the key
		// is not kept, so the page says the report is in and shows its
		// receipt (the form's holder is the one who sent it).
		w.Header().Set("Cache-Control", "no-store")
		return p.render(w, http.StatusOK, v, "receipt", receiptPage{Receipt: rc.Receipt, Again: true, TrackURL: p.trackURL(r)})
	}
	now := p.s.app.Clock.Now()
	sealed, err := p.sealReceipt(shownReceipt{Receipt: rc.Receipt, Key: rc.Key, At: now})
	if err != nil {
		return err
	}
	if token != "" {
		p.recent.put(token, sealed, now)
	}
	p.toReceipt(w, r, sealed)
	return nil
}

// trackURL is the tracking page's address as the reporter types it.
func (p *pageServer) trackURL(r *http.Request) string {
	if b := strings.TrimRight(p.s.app.Config.PublicBaseURL, "/"); b != "" {
		return b + "/track"
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + "/track"
}

// unitCode takes the code of a picker's "CODE name" text.
func unitCode(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, " \t"); i > 0 {
		return s[:i]
	}
	return s
}

type trackPage struct {
	Receipt, Key string
	View         *intake.TrackView
	Ratings      []docket.Rating
	// Notices are the report's formal notices, to download; Contact the
	// words of the office that handles it.
	Notices []trackNoticeItem
	Contact *publicWords
}

func (p *pageServer) trackForm(w http.ResponseWriter, r *http.Request, v *view) error {
	return p.render(w, http.StatusOK, v, "track", trackPage{})
}

// track shows a report to whoever holds its receipt and key, and takes the
// reporter's message, review request and rating (op) on the way.
func (p *pageServer) track(w http.ResponseWriter, r *http.Request, v *view) error {
	d := trackPage{Receipt: strings.TrimSpace(r.PostFormValue("receipt")), Key: strings.TrimSpace(r.PostFormValue("key")),
		Ratings: docket.Ratings}
	ctx, addr := r.Context(), clientAddr(r)
	var err error
	switch r.PostFormValue("op") {
	case "message":
		if err = p.s.app.Intake.ReporterWrite(ctx, addr, d.Receipt, d.Key, r.PostFormValue("body")); err == nil {
			v.Flash = p.T(v.Lang, "track.sent")
		}
	case "review":
		var res cases.ReviewResult
		if res, err = p.s.app.Cases.RequestReview(ctx, addr, d.Receipt, d.Key, r.PostFormValue("reason")); err == nil {
			v.Flash = fmt.Sprintf(p.T(v.Lang, "track.review_done"), res.AnswerBy.String())
		}
	case "rate":
		if err = p.s.app.Cases.Rate(ctx, addr, d.Receipt, d.Key, docket.Rating(r.PostFormValue("rating"))); err == nil {
			v.Flash = p.T(v.Lang, "track.rated")
		}
	}
	if err != nil {
		if _, ferr := p.formError(r, v, err); ferr != nil {
			return ferr
		}
	}
	tv, terr := p.s.app.Intake.Track(ctx, addr, d.Receipt, d.Key, intakeLang(r))
	if terr != nil {
		st, ferr := p.formError(r, v, terr)
		if ferr != nil {
			return ferr
		}
		d.Key = ""
		return p.render(w, st, v, "track", d)
	}
	d.View = &tv
	list, lerr := p.s.app.Letters.ForReporter(ctx, tv.CaseID)
	if lerr != nil {
		return lerr
	}
	for _, n := range list {
		d.Notices = append(d.Notices, trackNoticeItem{ID: n.ID, Kind: n.Kind, Title: n.Title, Number: n.Number, IssuedOn: n.IssuedOn.String()})
	}
	if pr, perr := p.s.app.Profile.Of(ctx, tv.OfficeID); perr == nil {
		words := wordsOf(pr)
		d.Contact = &words
	} else {
		return perr
	}
	st := http.StatusOK
	if err != nil {
		st = statusOf[mustProblem(err).Kind]
	}
	return p.render(w, st, v, "track", d)
}
