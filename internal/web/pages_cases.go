package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"mashang/internal/access"
	"mashang/internal/accountability"
	"mashang/internal/auth"
	"mashang/internal/cases"
	"mashang/internal/catalog"
	"mashang/internal/civil"
	"mashang/internal/docket"
	"mashang/internal/identity"
	"mashang/internal/intake"
	"mashang/internal/letters"
	"mashang/internal/org"
	"mashang/internal/problem"
)

// actionForm describes one action the user may take, for the case page.
type actionForm struct {
	Name   docket.Action
	Fields []string // reason, unit, office, user, days, finding, person_ids, body, into, deadline, instructions
	// Label, when set, names a form that is not an action of its own: a
	// transfer to another office, a take-over (the action transfer).
	Label string
	Hint  string // a line under the form's title (the objection's last day)
}

// The page's own forms for the action transfer between offices.
const (
	actTransferOffice docket.Action = "transfer_office" // to another office: up, down or across
	actTakeOver       docket.Action = "take_over"       // the office above takes a lower office's case
)

var actionFields = map[docket.Action][]string{
	docket.Accept: nil, docket.Refuse: {"reason"}, docket.Transfer: {"unit", "reason"}, docket.Return: {"reason"},
	docket.Assign: {"user"}, docket.Extend: {"days", "reason"}, docket.Conclude: {"finding", "person_ids"},
	docket.Reply: {"body"}, docket.Close: nil, docket.Merge: {"into"}, docket.Note: {"body"},
	docket.Supervise: {"deadline", "instructions"}, docket.Answer: {"body"}, docket.Object: {"reason"},
	actTransferOffice: {"office", "reason"}, actTakeOver: {"reason"},
}

// The order actions are offered in: the usual next step first.
var actionOrder = []docket.Action{docket.Answer, docket.Object, docket.Accept, docket.Assign, docket.Conclude, docket.Reply, docket.Close,
	docket.Refuse, docket.Transfer, docket.Return, docket.Extend, docket.Merge, docket.Supervise, docket.Note}

// nextAction is the usual next step in the case's state, offered first (open).
func nextAction(c *cases.Case) docket.Action {
	replied := false
	for _, e := range c.History {
		if e.Action == docket.Reply && !e.Public {
			replied = true
		}
	}
	switch c.State {
	case docket.Registered:
		return docket.Accept
	case docket.Accepted:
		return docket.Assign
	case docket.Investigating:
		return docket.Conclude
	case docket.Concluded, docket.Review, docket.Transferred:
		if replied && c.State != docket.Review {
			return docket.Close
		}
		return docket.Reply
	}
	return docket.Note
}

type eventLine struct {
	At     any
	Actor  string
	Action docket.Action
	Public bool
	Detail string
}

type casePage struct {
	C         *cases.Case
	Decisions []accountability.Decision
	// DefaultVersion is the default catalogue's version (a case kept
	// under another shows its version beside its situation).
	DefaultVersion string
	Actions        []actionForm
	Events         []eventLine
	Reporter       *intake.ReporterView
	Revealed       *identity.Identity
	Anonymous      bool            // the reporter left no identity (shown only when CanSee)
	Messages       []cases.Message // the reporter thread, when the user may read it
	CanSee         bool            // may know the reporter (masked)
	CanThread      bool            // may read the reporter thread
	CanReveal      bool
	CanMessage     bool
	CanDecide      bool
	CanPublish     bool // a director may propose exposing the case: a decision is in force
	Users          []auth.User
	Staff          staffNames // usernames to the names colleagues know
	Units          []org.Unit
	Findings       []docket.Finding
	Sanctions      []sanctionOption
	Today          string
	MaxExtension   int
	PersonIDs      string
	People         []org.Person // the people of the case's unit, to pick from
	Picked         map[int64]bool
	Done           docket.Action // the action just taken (a marker for tests and scripts)
	// Offices a case may be transferred to (not its own), with the
	// direction from the case's office: up, down or across.
	Offices []officeChoice
	// Notices are the case's formal notices (受理告知书 …), to print: the
	// office's copy, and the reporter's copy for those who may know the
	// reporter (CanSee).
	Notices []letters.Notice
}

type officeChoice struct {
	Code, Name, Direction string
}

type sanctionOption struct{ Code, Name, Group string }

// sanctionOptions lists cat's sanctions, each with its group's name, for a
// decision's or an appeal outcome's choices.
func sanctionOptions(cat *catalog.Catalog, lang string) []sanctionOption {
	var out []sanctionOption
	for _, s := range cat.Sanctions {
		g, _ := cat.Group(s.Group)
		out = append(out, sanctionOption{Code: s.Code, Name: s.Name(lang), Group: g.Names.In(lang)})
	}
	return out
}

func (p *pageServer) caseID(r *http.Request) (int64, error) { return pathID(r, "id") }

func (p *pageServer) casePage(w http.ResponseWriter, r *http.Request, v *view) error {
	id, err := p.caseID(r)
	if err != nil {
		return err
	}
	switch done := doneKey(r); done {
	case "":
	case actMessage:
		v.Flash = p.T(v.Lang, "case.done") + " " + p.T(v.Lang, "action.message")
	default:
		v.Flash = p.T(v.Lang, "case.done") + " " + done.Label(v.Lang)
	}
	return p.showCase(w, r, v, id, http.StatusOK, nil)
}

// doneKey is the request's ?done= when it names something we did.
func doneKey(r *http.Request) docket.Action {
	d := docket.Action(r.URL.Query().Get("done"))
	if _, ok := actionFields[d]; ok || d == actMessage || d == docket.Decide {
		return d
	}
	return ""
}

// actMessage marks a message sent to the reporter from the case page.
const actMessage docket.Action = "message"

func (p *pageServer) showCase(w http.ResponseWriter, r *http.Request, v *view, id int64, status int, revealed *identity.Identity) error {
	ctx, pr := r.Context(), me(r)
	c, err := p.s.app.Cases.Get(ctx, pr, id)
	if err != nil {
		return err
	}
	d := casePage{C: c, Revealed: revealed, Findings: docket.Findings,
		Today: civil.In(p.s.app.Clock.Now(), p.s.app.Loc).String(), MaxExtension: p.s.app.Limits.Extension.Days, Done: doneKey(r)}
	allowedSet := map[docket.Action]bool{}
	for _, a := range c.AllowedActions {
		allowedSet[a] = true
	}
	first := nextAction(c)
	if allowedSet[first] {
		d.Actions = append(d.Actions, actionForm{Name: first, Fields: actionFields[first]})
	}
	for _, a := range actionOrder {
		if allowedSet[a] && a != first {
			f := actionForm{Name: a, Fields: actionFields[a]}
			if a == docket.Object && c.OfficeTransfer != nil {
				f.Hint = fmt.Sprintf(p.T(v.Lang, "case.object_hint"), p.zhText(c.OfficeTransfer.FromName, v.Lang), c.OfficeTransfer.ObjectBy)
			}
			d.Actions = append(d.Actions, f)
		}
	}
	if err := p.officeForms(ctx, pr, v, c, &d); err != nil {
		return err
	}
	names, err := p.historyNames(ctx, v.Lang)
	if err != nil {
		return err
	}
	if d.Staff, err = p.staffNames(ctx, v.Lang); err != nil {
		return err
	}
	for _, e := range c.History {
		d.Events = append(d.Events, eventLine{At: e.At, Actor: p.zhText(docket.ActorLabel(e.Actor, v.Lang, names), v.Lang), Action: e.Action, Public: e.Public,
			Detail: p.zhText(docket.Describe(e.Action, e.Data, false, v.Lang, names), v.Lang)})
	}
	// What the user may know and do about the reporter of this case is the
	// access policy's answer (cases.Case.Can).
	d.CanSee, d.CanThread, d.CanReveal, d.CanMessage = c.Can.Identity, c.Can.Thread, c.Can.Reveal, c.Can.Write
	d.Messages = c.Thread()
	if d.Notices, err = p.s.app.Letters.List(ctx, pr, id); err != nil {
		return err
	}
	if c.Anonymous != nil {
		d.Anonymous = *c.Anonymous
	}
	if d.CanSee && !d.Anonymous {
		rv, err := p.s.app.Intake.Reporter(ctx, pr, id)
		if err != nil {
			return err
		}
		d.Reporter = &rv
	}
	pol := p.s.app.Policy
	// The decisions recorded on a case are part of it (as in the API).
	if d.Decisions, err = p.s.app.Accountability.DecisionsForCase(ctx, id); err != nil {
		return err
	}
	if pol.Allows(pr, access.PublicationPropose) {
		for _, dc := range d.Decisions {
			if dc.Status == accountability.StatusInForce {
				d.CanPublish = true
			}
		}
	}
	d.CanDecide = pol.Allows(pr, access.DecisionCreate) && c.Finding.Substantiated() && len(c.PersonIDs) > 0
	if allowedSet[docket.Assign] {
		if d.Users, err = p.assignees(r); err != nil {
			return err
		}
	}
	if allowedSet[docket.Transfer] {
		if d.Units, err = p.s.app.Org.Units(ctx); err != nil {
			return err
		}
	}
	ids := make([]string, 0, len(c.PersonIDs))
	for _, pid := range c.PersonIDs {
		ids = append(ids, strconv.FormatInt(pid, 10))
	}
	if len(ids) == 0 && c.Person != nil {
		ids = append(ids, strconv.FormatInt(c.Person.ID, 10))
	}
	d.PersonIDs = strings.Join(ids, ", ")
	if allowedSet[docket.Conclude] {
		// The people of the case's unit (with its sub-units) to pick from;
		// anyone else by number.
		f := org.PeopleFilter{Limit: 200}
		if c.Unit != nil {
			f.Unit = c.Unit.Code
		}
		if d.People, err = p.s.app.Org.People(ctx, f); err != nil {
			return err
		}
		d.Picked = map[int64]bool{}
		for _, pid := range c.PersonIDs {
			d.Picked[pid] = true
		}
		if c.Person != nil {
			d.Picked[c.Person.ID] = true
		}
		var typed []string
		for _, pid := range c.PersonIDs {
			if !slices.ContainsFunc(d.People, func(pe org.Person) bool { return pe.ID == pid }) {
				typed = append(typed, strconv.FormatInt(pid, 10))
			}
		}
		d.PersonIDs = strings.Join(typed, ", ")
	}
	if d.CanDecide {
		// The sanctions of the catalogue version the case is judged under.
		d.Sanctions = sanctionOptions(p.s.app.Catalogs.Naming(ctx, c.CatalogVersion, c.Facts.OfficeID), v.Lang)
	}
	d.DefaultVersion = p.s.app.Catalog.Version
	return p.render(w, status, v, "case", d)
}

// officeForms adds the forms that move a case between offices, where the
// access policy allows them: its own office's director transfers it to
// another office (up, down or across) while it is registered or accepted;
// the office above, which supervises it, takes it over.
func (p *pageServer) officeForms(ctx context.Context, pr auth.Principal, v *view, c *cases.Case, d *casePage) error {
	if c.State != docket.Registered && c.State != docket.Accepted || pr.OfficeID == 0 {
		return nil
	}
	pol := p.s.app.Policy
	mine := pol.On(pr, access.CaseTransfer, c.Facts)
	takeOver := !mine && pol.On(pr, access.CaseSupervise, c.Facts) && pol.Allows(pr, access.CaseTransfer)
	if !mine && !takeOver {
		return nil
	}
	if takeOver {
		d.Actions = append(d.Actions, actionForm{Name: actTakeOver, Fields: actionFields[actTakeOver], Label: p.T(v.Lang, "case.take_over")})
		return nil
	}
	t, err := p.s.app.Offices.Tree(ctx)
	if err != nil {
		return err
	}
	here, ok := t.ByID(c.Facts.OfficeID)
	if !ok || len(t.All()) < 2 {
		return nil
	}
	for _, o := range t.All() {
		if o.ID == here.ID {
			continue
		}
		dir := "across"
		switch {
		case t.IsAbove(o.ID, here.ID):
			dir = "up"
		case t.IsAbove(here.ID, o.ID):
			dir = "down"
		}
		d.Offices = append(d.Offices, officeChoice{Code: o.Code, Name: p.zhText(o.Name, v.Lang), Direction: p.T(v.Lang, "case.dir_"+dir)})
	}
	d.Actions = append(d.Actions, actionForm{Name: actTransferOffice, Fields: actionFields[actTransferOffice], Label: p.T(v.Lang, "case.transfer_office")})
	return nil
}

// historyNames looks up the names a case's history mentions: staff by
// their user name and role, people by name, sanctions in the page's language.
func (p *pageServer) historyNames(ctx context.Context, lang string) (docket.Names, error) {
	us, err := p.s.app.Auth.ListUsers(ctx)
	if err != nil {
		return docket.Names{}, err
	}
	staff := make(map[string]string, len(us))
	for _, u := range us {
		staff[u.Username] = displayName(u) + "（" + p.T(lang, "role."+string(u.Role)) + "）"
		if lang == LangEn {
			staff[u.Username] = displayName(u) + " (" + p.T(lang, "role."+string(u.Role)) + ")"
		}
	}
	people := map[int64]string{}
	return docket.Names{
		Staff: func(u string) string { return staff[u] },
		Person: func(id int64) string {
			if n, ok := people[id]; ok {
				return n
			}
			if pe, err := p.s.app.Org.Person(ctx, id); err == nil {
				people[id] = pe.Name
			} else {
				people[id] = ""
			}
			return people[id]
		},
		Sanction: func(code string) string {
			if sc, ok := p.s.app.Catalogs.Held().Sanction(code); ok {
				return sc.Name(lang)
			}
			return ""
		},
	}, nil
}

// zhText shows a text written in Simplified Chinese in the page's script.
func (p *pageServer) zhText(s, lang string) string {
	if lang == LangZhTW {
		return p.s.tw.convert(s)
	}
	return s
}

// caseAct takes one action from the case page's forms.
func (p *pageServer) caseAct(w http.ResponseWriter, r *http.Request, v *view) error {
	id, err := p.caseID(r)
	if err != nil {
		return err
	}
	f := formMap(r, "action", "reason", "unit", "office", "user", "days", "finding", "person_ids", "into", "version", "deadline")
	in := cases.ActionInput{Action: docket.Action(f["action"]), Reason: f["reason"], Unit: unitCode(f["unit"]), User: f["user"], Finding: docket.Finding(f["finding"]),
		Body: strings.TrimSpace(r.PostFormValue("body")), Instructions: strings.TrimSpace(r.PostFormValue("instructions"))}
	switch in.Action {
	case actTransferOffice:
		in.Action, in.Office = docket.Transfer, f["office"]
		if in.Office == "" {
			return p.failCase(w, r, v, id, problem.Required("office"))
		}
	case actTakeOver:
		in.Action, in.Office = docket.Transfer, me(r).OfficeCode
	}
	if s := f["deadline"]; s != "" {
		d, err := civil.Parse(s)
		if err != nil {
			return p.failCase(w, r, v, id, problem.Invalid("deadline", "invalid_date", "督办期限应为日期（YYYY-MM-DD）", "the deadline must be a date (YYYY-MM-DD)"))
		}
		in.Deadline = &d
	}
	bad := func(field string) error {
		return p.failCase(w, r, v, id, problem.Invalid(field, "invalid_"+field, "字段 "+field+" 的值无效", "the value of "+field+" is not valid"))
	}
	if s := f["days"]; s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			return bad("days")
		}
		in.Days = &n
	}
	if s := f["into"]; s != "" {
		n, err := strconv.ParseInt(strings.TrimPrefix(s, "#"), 10, 64)
		if err != nil {
			return bad("into")
		}
		in.Into = n
	}
	if s := f["version"]; s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return bad("version")
		}
		in.Version = n
	}
	if in.Action == docket.Conclude {
		if in.Finding == "" {
			return p.failCase(w, r, v, id, errNoFinding)
		}
		ids, err := parseIDs(f["person_ids"])
		if err != nil {
			return p.failCase(w, r, v, id, errPersonIDs)
		}
		// The people chosen from the list, then any numbers typed.
		var picked []int64
		for _, s := range r.PostForm["person_pick"] {
			if n, err := strconv.ParseInt(s, 10, 64); err == nil && n > 0 && !slices.Contains(picked, n) {
				picked = append(picked, n)
			}
		}
		for _, n := range ids {
			if !slices.Contains(picked, n) {
				picked = append(picked, n)
			}
		}
		in.PersonIDs = picked
	}
	if _, err := p.s.app.Cases.Act(r.Context(), me(r), id, in); err != nil {
		return p.failCase(w, r, v, id, err)
	}
	http.Redirect(w, r, fmt.Sprintf("/staff/cases/%d?done=%s", id, url.QueryEscape(string(in.Action))), http.StatusSeeOther)
	return nil
}

// failCase shows the case page again with the problem above it.
func (p *pageServer) failCase(w http.ResponseWriter, r *http.Request, v *view, id int64, err error) error {
	st, ferr := p.formError(r, v, err)
	if ferr != nil {
		return ferr
	}
	return p.showCase(w, r, v, id, st, nil)
}

// parseIDs reads "1, 2 3" or a pasted column of ids.
var (
	errNoFinding = problem.Invalid("finding", "finding_required", "请选择调查结论", "choose the finding")
	errPersonIDs = problem.Invalid("person_ids", "invalid_person_ids", "涉及人员请从列表中选择，或填写人员编号（如 12 或 #12），多人用逗号分开",
		"choose the people from the list, or type their numbers (12 or #12), separated by commas")
)

// parseIDs reads the person numbers typed in a field: "12, #13 张三、14"
// (a number may be followed by the name, as the picker shows it).
func parseIDs(s string) ([]int64, error) {
	var out []int64
	for _, f := range strings.FieldsFunc(s, func(r rune) bool {
		return r == ',' || r == '，' || r == '\n' || r == '\r' || r == '、' || r == ';' || r == '；'
	}) {
		got := false
		for _, w := range strings.Fields(f) {
			n, err := strconv.ParseInt(strings.TrimPrefix(w, "#"), 10, 64)
			if err != nil {
				if got {
					break // a name after the number
				}
				return nil, fmt.Errorf("not an id: %q", f)
			}
			got = true
			if n <= 0 {
				return nil, fmt.Errorf("not an id: %q", f)
			}
			out = append(out, n)
		}
	}
	return out, nil
}

func (p *pageServer) caseMessage(w http.ResponseWriter, r *http.Request, v *view) error {
	id, err := p.caseID(r)
	if err != nil {
		return err
	}
	if _, err := p.s.app.Intake.WriteToReporter(r.Context(), me(r), id, r.PostFormValue("body")); err != nil {
		return p.failCase(w, r, v, id, err)
	}
	http.Redirect(w, r, fmt.Sprintf("/staff/cases/%d?done=message", id), http.StatusSeeOther)
	return nil
}

// caseReveal shows the reporter's identity once, on this answer only; the
// reason is recorded by the intake service.
func (p *pageServer) caseReveal(w http.ResponseWriter, r *http.Request, v *view) error {
	id, err := p.caseID(r)
	if err != nil {
		return err
	}
	ident, err := p.s.app.Intake.Reveal(r.Context(), me(r), id, r.PostFormValue("reason"))
	if err != nil {
		return p.failCase(w, r, v, id, err)
	}
	return p.showCase(w, r, v, id, http.StatusOK, &ident)
}

func (p *pageServer) caseDecision(w http.ResponseWriter, r *http.Request, v *view) error {
	id, err := p.caseID(r)
	if err != nil {
		return err
	}
	f := formMap(r, "person_id", "situation", "decided_on", "probation_years", "note")
	in := accountability.DecisionInput{Situation: strings.ToUpper(f["situation"]), Sanctions: r.PostForm["sanctions"], Note: f["note"]}
	if in.PersonID, err = strconv.ParseInt(strings.TrimPrefix(f["person_id"], "#"), 10, 64); err != nil {
		return p.failCase(w, r, v, id, problem.Invalid("person_id", "invalid_person_id", "请填写人员编号", "give the person's number"))
	}
	if in.DecidedOn, err = civil.Parse(f["decided_on"]); err != nil {
		return p.failCase(w, r, v, id, problem.Invalid("decided_on", "invalid_date", "决定日期应为 YYYY-MM-DD", "the decision date must be YYYY-MM-DD"))
	}
	if s := f["probation_years"]; s != "" && s != "0" {
		if in.ProbationYears, err = strconv.Atoi(s); err != nil {
			return p.failCase(w, r, v, id, problem.Invalid("probation_years", "invalid_probation", "察看期应为 1 或 2 年", "probation is 1 or 2 years"))
		}
	}
	if _, err := p.s.app.Accountability.CreateDecision(r.Context(), me(r), id, in); err != nil {
		return p.failCase(w, r, v, id, err)
	}
	http.Redirect(w, r, fmt.Sprintf("/staff/cases/%d?done=decision", id), http.StatusSeeOther)
	return nil
}
