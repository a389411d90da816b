package web

import (
	"fmt"
	"mashang/internal/access"
	"net/http"
	"strconv"
	"strings"
	"time"

	"mashang/internal/civil"
	"mashang/internal/inspection"
	"mashang/internal/org"
	"mashang/internal/problem"
)

// Inspection pages, made for an inspector's phone: the list of
// plans (covert ones only for those who may see them, as the API), the plan
// form, the plan's page with its visits, findings and the cases they opened,
// and the visit form with checklist answers, findings, photos and videos.
// Everything works without JavaScript.

// inspFindingSlots is how many findings one visit form offers.
const inspFindingSlots = 3

// inspVisitTime is the layout of a datetime-local input.
const inspVisitTime = "2006-01-02T15:04"

type inspListPage struct {
	Items     []inspection.Inspection
	UnitNames map[string]string
	CanPlan   bool
}

// unitNames maps unit codes to names.
func (p *pageServer) unitNames(r *http.Request) ([]org.Unit, map[string]string, error) {
	us, err := p.s.app.Org.Units(r.Context())
	if err != nil {
		return nil, nil, err
	}
	m := make(map[string]string, len(us))
	for _, u := range us {
		m[u.Code] = u.Name
	}
	return us, m, nil
}

func (p *pageServer) inspections(w http.ResponseWriter, r *http.Request, v *view) error {
	list, err := p.s.app.Inspections.List(r.Context(), me(r))
	if err != nil {
		return err
	}
	_, names, err := p.unitNames(r)
	if err != nil {
		return err
	}
	if r.URL.Query().Get("ok") == "planned" {
		v.Flash = p.T(v.Lang, "insp.flash_planned")
	}
	v.Title = p.T(v.Lang, "insp.title")
	return p.render(w, http.StatusOK, v, "inspection_list", inspListPage{Items: list, UnitNames: names, CanPlan: p.s.may(r, access.InspectionPlan)})
}

type inspPlanPage struct {
	Units []org.Unit
	Form  map[string]string
	// Chosen are the unit codes picked in the multi-select.
	Chosen map[string]bool
}

// checklistText writes a checklist as the plan form's lines:
// "key | label | option / option / …".
func checklistText(items []inspection.ChecklistItem) string {
	var b strings.Builder
	for _, it := range items {
		fmt.Fprintf(&b, "%s | %s | %s\n", it.Key, it.Label, strings.Join(it.Options, " / "))
	}
	return b.String()
}

// parseChecklist reads the plan form's checklist lines. A line is
// "key | label | options", "label | options" (the key is then item_N) or a
// label alone (a 是/否/不适用 question); options are separated by "/" (or
// "、" or ",").
func parseChecklist(text string) ([]inspection.ChecklistItem, error) {
	var out []inspection.ChecklistItem
	for n, line := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		parts := strings.Split(strings.NewReplacer("｜", "|").Replace(line), "|")
		for i := range parts {
			parts[i] = strings.TrimSpace(parts[i])
		}
		var it inspection.ChecklistItem
		switch len(parts) {
		case 1:
			out = append(out, inspection.ChecklistItem{Label: parts[0]})
			continue
		case 2:
			it = inspection.ChecklistItem{Key: fmt.Sprintf("item_%d", len(out)+1), Label: parts[0]}
		case 3:
			it = inspection.ChecklistItem{Key: strings.ToLower(parts[0]), Label: parts[1]}
		default:
			return nil, problem.Invalid("checklist", "invalid_checklist",
				fmt.Sprintf("检查清单第 %d 行应为“名称”“名称 | 选项/选项”或“代码 | 名称 | 选项/选项”", n+1),
				fmt.Sprintf("checklist line %d must read “label”, “label | option/option” or “key | label | option/option”", n+1))
		}
		opts := strings.FieldsFunc(parts[len(parts)-1], func(r rune) bool { return r == '/' || r == '、' || r == ',' || r == '，' })
		for _, o := range opts {
			if o = strings.TrimSpace(o); o != "" {
				it.Options = append(it.Options, o)
			}
		}
		out = append(out, it)
	}
	return out, nil
}

func (p *pageServer) planData(r *http.Request, form map[string]string, chosen []string) (inspPlanPage, error) {
	us, err := p.s.app.Org.Units(r.Context())
	if err != nil {
		return inspPlanPage{}, err
	}
	if form == nil {
		today := civil.In(p.s.app.Clock.Now(), p.s.app.Loc)
		form = map[string]string{"from": today.String(), "to": today.AddDays(30).String(),
			"checklist": checklistText(inspection.DefaultChecklist())}
	}
	d := inspPlanPage{Units: us, Form: form, Chosen: map[string]bool{}}
	for _, c := range chosen {
		d.Chosen[c] = true
	}
	return d, nil
}

func (p *pageServer) inspectionNew(w http.ResponseWriter, r *http.Request, v *view) error {
	d, err := p.planData(r, nil, nil)
	if err != nil {
		return err
	}
	v.Title = p.T(v.Lang, "insp.plan_title")
	return p.render(w, http.StatusOK, v, "inspection_plan", d)
}

// fieldRoot marks the form control of an indexed field ("units[2]" → "units").
func fieldRoot(f string) string {
	if i := strings.IndexAny(f, "[."); i > 0 {
		return f[:i]
	}
	return f
}

func (p *pageServer) inspectionCreate(w http.ResponseWriter, r *http.Request, v *view) error {
	f := formMap(r, "title", "covert", "from", "to")
	f["checklist"] = r.PostFormValue("checklist")
	units := r.PostForm["units"]
	v.Title = p.T(v.Lang, "insp.plan_title")
	fail := func(err error) error {
		st, ferr := p.formError(r, v, err)
		if ferr != nil {
			return ferr
		}
		v.Field = fieldRoot(v.Field)
		d, derr := p.planData(r, f, units)
		if derr != nil {
			return derr
		}
		return p.render(w, st, v, "inspection_plan", d)
	}
	in := inspection.PlanInput{Title: f["title"], Covert: f["covert"] == "yes", Units: units}
	var err error
	for _, k := range []string{"from", "to"} {
		if f[k] == "" {
			continue
		}
		d, perr := civil.Parse(f[k])
		if perr != nil {
			return fail(problem.Invalid(k, "invalid_date", "日期格式应为 年-月-日", "a date must be year-month-day"))
		}
		if k == "from" {
			in.From = d
		} else {
			in.To = d
		}
	}
	if in.Checklist, err = parseChecklist(f["checklist"]); err != nil {
		return fail(err)
	}
	if len(in.Checklist) == 0 {
		return fail(problem.Required("checklist"))
	}
	plan, err := p.s.app.Inspections.Plan(r.Context(), me(r), in)
	if err != nil {
		return fail(err)
	}
	http.Redirect(w, r, fmt.Sprintf("/staff/inspections/%d?ok=planned", plan.ID), http.StatusSeeOther)
	return nil
}

// inspAnswer is one checklist answer as the plan page shows it.
type inspAnswer struct{ Label, Value string }

type inspVisitView struct {
	inspection.Visit
	Answers []inspAnswer
}

type inspPage struct {
	Plan      inspection.Inspection
	Visits    []inspVisitView
	UnitNames map[string]string
	CanRecord bool // may record visits and mark done
	SeesFiles bool // may open the visits' photos and videos
	// Created lists the findings of the visit just recorded.
	Created []inspection.Finding
	Staff   staffNames // usernames to the names colleagues know
}

func (p *pageServer) inspectionData(r *http.Request, lang string, id int64) (inspPage, error) {
	plan, err := p.s.app.Inspections.Get(r.Context(), me(r), id)
	if err != nil {
		return inspPage{}, err
	}
	_, names, err := p.unitNames(r)
	if err != nil {
		return inspPage{}, err
	}
	d := inspPage{Plan: plan, UnitNames: names,
		CanRecord: plan.State == inspection.StatePlanned && p.s.may(r, access.InspectionRecord),
		SeesFiles: p.s.may(r, access.InspectionFiles)}
	if d.Staff, err = p.staffNames(r.Context(), lang); err != nil {
		return inspPage{}, err
	}
	for _, vis := range plan.Visits {
		vv := inspVisitView{Visit: vis}
		for _, it := range plan.Checklist {
			if a, ok := vis.Answers[it.Key]; ok {
				vv.Answers = append(vv.Answers, inspAnswer{Label: it.Label, Value: a})
			}
		}
		d.Visits = append(d.Visits, vv)
	}
	return d, nil
}

func (p *pageServer) inspectionPage(w http.ResponseWriter, r *http.Request, v *view) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	d, err := p.inspectionData(r, v.Lang, id)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	switch q.Get("ok") {
	case "planned":
		v.Flash = p.T(v.Lang, "insp.flash_planned")
	case "done":
		v.Flash = p.T(v.Lang, "insp.flash_done")
	}
	if vid, _ := strconv.ParseInt(q.Get("visit"), 10, 64); vid > 0 {
		for _, vis := range d.Plan.Visits {
			if vis.ID != vid {
				continue
			}
			v.Flash = p.T(v.Lang, "insp.flash_visit")
			for _, f := range vis.Findings {
				if f.CaseID != nil {
					d.Created = append(d.Created, f)
				}
			}
		}
	}
	v.Title = d.Plan.Title
	return p.render(w, http.StatusOK, v, "inspection_page", d)
}

func (p *pageServer) inspectionMarkDone(w http.ResponseWriter, r *http.Request, v *view) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if _, err := p.s.app.Inspections.Done(r.Context(), me(r), id); err != nil {
		st, ferr := p.formError(r, v, err)
		if ferr != nil {
			return ferr
		}
		if pe := mustProblem(err); pe != nil && pe.Kind == problem.KindNotFound {
			return err
		}
		d, derr := p.inspectionData(r, v.Lang, id)
		if derr != nil {
			return derr
		}
		v.Title = d.Plan.Title
		return p.render(w, st, v, "inspection_page", d)
	}
	http.Redirect(w, r, fmt.Sprintf("/staff/inspections/%d?ok=done", id), http.StatusSeeOther)
	return nil
}

// inspSlot is one finding of the visit form, with its field names.
type inspSlot struct {
	N                                     int
	Text, Situation, Person, OpenCase     string // values
	TextF, SituationF, PersonF, OpenCaseF string // field names
	// Open shows the slot unfolded: the first one, one in use, one in error.
	Open bool
}

type inspItem struct {
	inspection.ChecklistItem
	Field  string // the radio group's name: answers.KEY
	Answer string
}

type inspVisitPage struct {
	Plan       inspection.Inspection
	PlanUnits  []org.Unit // the plan's units, first in the picker
	Units      []org.Unit // all units
	People     []org.Person
	Situations []sitGroup
	Items      []inspItem
	Slots      []inspSlot
	Form       map[string]string
	MaxFiles   int
	MaxMB      int64
}

func slotFields(i int) inspSlot {
	pre := fmt.Sprintf("findings[%d].", i)
	return inspSlot{N: i + 1, TextF: pre + "text", SituationF: pre + "situation", PersonF: pre + "person_id", OpenCaseF: pre + "open_case"}
}

func (p *pageServer) visitData(r *http.Request, v *view, plan inspection.Inspection, form map[string]string) (inspVisitPage, error) {
	lang := v.Lang
	us, err := p.s.app.Org.Units(r.Context())
	if err != nil {
		return inspVisitPage{}, err
	}
	cat, err := p.s.app.Catalogs.Scope(r.Context(), me(r))
	if err != nil {
		return inspVisitPage{}, err
	}
	d := inspVisitPage{Plan: plan, Units: us, Situations: situationGroupsOf(cat, lang), Form: form,
		MaxFiles: p.s.app.Config.AttachMaxFiles, MaxMB: p.s.app.Config.AttachReportMax >> 20}
	in := map[string]bool{}
	for _, c := range plan.Units {
		in[c] = true
	}
	for _, u := range us {
		if in[u.Code] {
			d.PlanUnits = append(d.PlanUnits, u)
		}
	}
	scopes := plan.Units
	if len(scopes) == 0 {
		scopes = []string{""}
	}
	seen := map[int64]bool{}
	for _, u := range scopes {
		ps, err := p.s.app.Org.People(r.Context(), org.PeopleFilter{Unit: u, Limit: 300})
		if err != nil {
			return inspVisitPage{}, err
		}
		for _, pe := range ps {
			if !seen[pe.ID] && pe.Active {
				seen[pe.ID] = true
				d.People = append(d.People, pe)
			}
		}
	}
	if form == nil {
		form = map[string]string{"at": p.s.app.Clock.Now().In(p.s.app.Loc).Format(inspVisitTime)}
		if len(plan.Units) == 1 {
			form["unit"] = plan.Units[0]
		}
		for i := 0; i < inspFindingSlots; i++ {
			form[slotFields(i).OpenCaseF] = "yes"
		}
		d.Form = form
	}
	for _, it := range plan.Checklist {
		f := "answers." + it.Key
		d.Items = append(d.Items, inspItem{ChecklistItem: it, Field: f, Answer: form[f]})
	}
	for i := 0; i < inspFindingSlots; i++ {
		s := slotFields(i)
		s.Text, s.Situation, s.Person, s.OpenCase = form[s.TextF], form[s.SituationF], form[s.PersonF], form[s.OpenCaseF]
		s.Open = i == 0 || s.Text != "" || s.Situation != "" || s.Person != "" || strings.HasPrefix(v.Field, fmt.Sprintf("findings[%d]", i))
		d.Slots = append(d.Slots, s)
	}
	return d, nil
}

// visitPlan loads the plan of a visit form; a done plan answers 409.
func (p *pageServer) visitPlan(r *http.Request) (inspection.Inspection, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return inspection.Inspection{}, err
	}
	return p.s.app.Inspections.Get(r.Context(), me(r), id)
}

func (p *pageServer) visitForm(w http.ResponseWriter, r *http.Request, v *view) error {
	plan, err := p.visitPlan(r)
	if err != nil {
		return err
	}
	if plan.State == inspection.StateDone {
		return problem.Conflict("inspection_done", "该检查已结束，不能再记录", "the inspection is done; nothing more can be recorded")
	}
	d, err := p.visitData(r, v, plan, nil)
	if err != nil {
		return err
	}
	v.Title = p.T(v.Lang, "insp.visit_title")
	return p.render(w, http.StatusOK, v, "inspection_visit", d)
}

var errVisitMultipart = problem.Invalid("attachment", "multipart_required", "请用本页表单提交（含照片）", "submit the visit with this page's form")

// visitFiles stores the visit's photos and videos as they are (location
// metadata kept: they are the inspectors' evidence), within the limits.
func (p *pageServer) visitFiles(r *http.Request) ([]inspection.Upload, error) {
	if r.MultipartForm == nil {
		return nil, nil
	}
	budget := p.s.newBudget(true)
	var out []inspection.Upload
	for _, fh := range r.MultipartForm.File["attachment"] {
		if fh.Size == 0 {
			continue
		}
		f, err := fh.Open()
		if err != nil {
			return nil, fmt.Errorf("visit file: %w", err)
		}
		blob, err := budget.put(r.Context(), f)
		f.Close()
		if err != nil {
			return nil, err
		}
		if !visitFileType(blob.ContentType) {
			return nil, errVisitFileType
		}
		out = append(out, inspection.Upload{Filename: inspFilename(fh.Filename), Blob: blob})
	}
	return out, nil
}

func (p *pageServer) visitSave(w http.ResponseWriter, r *http.Request, v *view) error {
	plan, err := p.visitPlan(r)
	if err != nil {
		return err
	}
	v.Title = p.T(v.Lang, "insp.visit_title")
	form := formMap(r, "at", "place", "unit")
	form["notes"] = r.PostFormValue("notes")
	for _, it := range plan.Checklist {
		form["answers."+it.Key] = r.PostFormValue("answers." + it.Key)
	}
	for i := 0; i < inspFindingSlots; i++ {
		s := slotFields(i)
		for _, k := range []string{s.TextF, s.SituationF, s.PersonF, s.OpenCaseF} {
			form[k] = strings.TrimSpace(r.PostFormValue(k))
		}
	}
	// slotOf maps the index of a finding sent to the service to its slot.
	var slotOf []int
	fail := func(err error) error {
		st, ferr := p.formError(r, v, err)
		if ferr != nil {
			return ferr
		}
		if rest, ok := strings.CutPrefix(v.Field, "findings["); ok {
			if i, tail, ok := strings.Cut(rest, "]"); ok {
				if n, aerr := strconv.Atoi(i); aerr == nil && n >= 0 && n < len(slotOf) {
					v.Field = fmt.Sprintf("findings[%d]%s", slotOf[n], tail)
				}
			}
		}
		d, derr := p.visitData(r, v, plan, form)
		if derr != nil {
			return derr
		}
		return p.render(w, st, v, "inspection_visit", d)
	}
	if plan.State == inspection.StateDone {
		return fail(problem.Conflict("inspection_done", "该检查已结束，不能再记录", "the inspection is done; nothing more can be recorded"))
	}
	if r.MultipartForm == nil {
		return fail(errVisitMultipart)
	}
	in := inspection.VisitInput{Place: form["place"], Unit: unitCode(form["unit"]), Notes: form["notes"], Answers: map[string]string{}}
	if form["at"] != "" {
		t, perr := time.ParseInLocation(inspVisitTime, form["at"], p.s.app.Loc)
		if perr != nil {
			return fail(problem.Invalid("at", "invalid_at", "走访时间格式应为 年-月-日 时:分", "the visit time must be year-month-day hour:minute"))
		}
		in.At = t
	}
	for _, it := range plan.Checklist {
		if a := form["answers."+it.Key]; a != "" {
			in.Answers[it.Key] = a
		}
	}
	for i := 0; i < inspFindingSlots; i++ {
		s := slotFields(i)
		if form[s.TextF] == "" && form[s.SituationF] == "" && form[s.PersonF] == "" {
			continue // an empty slot
		}
		fi := inspection.FindingInput{Text: form[s.TextF], Situation: form[s.SituationF], OpenCase: form[s.OpenCaseF] == "yes"}
		if pid := form[s.PersonF]; pid != "" {
			n, perr := strconv.ParseInt(pid, 10, 64)
			if perr != nil || n <= 0 {
				return fail(problem.Invalid(s.PersonF, "invalid_person", "请从列表中选择人员", "choose the person from the list"))
			}
			fi.PersonID = &n
		}
		slotOf = append(slotOf, i)
		in.Findings = append(in.Findings, fi)
	}
	files, err := p.visitFiles(r)
	if err != nil {
		return fail(err)
	}
	vis, err := p.s.app.Inspections.RecordVisit(r.Context(), me(r), plan.ID, in, files)
	if err != nil {
		return fail(err)
	}
	http.Redirect(w, r, fmt.Sprintf("/staff/inspections/%d?visit=%d#visit-%d", plan.ID, vis.ID, vis.ID), http.StatusSeeOther)
	return nil
}
