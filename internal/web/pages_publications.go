package web

import (
	"fmt"
	"mashang/internal/access"
	"net/http"
	"strconv"

	"mashang/internal/accountability"
	"mashang/internal/cases"
	"mashang/internal/problem"
	"mashang/internal/publication"
)

// Publication pages: a director proposes an exposure of a
// concluded case with a decision, or an exemplar, with the public text; a
// leader approves; a director or leader publishes or withdraws. The list
// shows each item with the steps the user's role may take in its state.

type pubRow struct {
	publication.Publication
	CanApprove, CanPublish, CanWithdraw bool
}

type pubListPage struct {
	Items      []pubRow
	Kind       string
	State      string
	CanPropose bool
	Kinds      []string
	States     []string
	Staff      staffNames // usernames to the names colleagues know
}

// pubFlash are the notes shown after a step, by the ok parameter.
var pubFlash = map[string]string{
	"proposed": "pub.flash_proposed", "approved": "pub.flash_approved",
	"published": "pub.flash_published", "withdrawn": "pub.flash_withdrawn",
}

func (p *pageServer) pubListData(r *http.Request, lang string) (pubListPage, error) {
	q := r.URL.Query()
	d := pubListPage{Kind: q.Get("kind"), State: q.Get("state"), CanPropose: p.s.may(r, access.PublicationPropose),
		Kinds:  []string{publication.KindExposure, publication.KindExemplar},
		States: []string{publication.StateProposed, publication.StateApproved, publication.StateWithdrawn}}
	if d.Kind != "" && d.Kind != publication.KindExposure && d.Kind != publication.KindExemplar {
		d.Kind = ""
	}
	list, err := p.s.app.Publications.List(r.Context(), publication.Filter{Kind: d.Kind, State: d.State})
	if err != nil {
		return d, err
	}
	if d.Staff, err = p.staffNames(r.Context(), lang); err != nil {
		return d, err
	}
	approve, publish := p.s.may(r, access.PublicationApprove), p.s.may(r, access.PublicationPublish)
	for _, it := range list {
		d.Items = append(d.Items, pubRow{Publication: it,
			CanApprove:  it.State == publication.StateProposed && approve,
			CanPublish:  it.State == publication.StateApproved && !it.Published && publish,
			CanWithdraw: it.State != publication.StateWithdrawn && publish,
		})
	}
	return d, nil
}

func (p *pageServer) publications(w http.ResponseWriter, r *http.Request, v *view) error {
	d, err := p.pubListData(r, v.Lang)
	if err != nil {
		return err
	}
	if k, ok := pubFlash[r.URL.Query().Get("ok")]; ok {
		v.Flash = p.T(v.Lang, k)
	}
	v.Title = p.T(v.Lang, "pub.title")
	return p.render(w, http.StatusOK, v, "publication_list", d)
}

type pubCase struct {
	*cases.Case
	InForce int // decisions in force
	Decided []accountability.Decision
}

type pubNewPage struct {
	Form map[string]string
	Case *pubCase
}

func (p *pageServer) pubNewData(r *http.Request, form map[string]string) (pubNewPage, error) {
	d := pubNewPage{Form: form}
	cid := form["case_id"]
	if cid == "" {
		return d, nil
	}
	id, err := strconv.ParseInt(cid, 10, 64)
	if err != nil || id <= 0 {
		return d, problem.Invalid("case_id", "invalid_case", "案件编号应为数字", "the case number must be a number")
	}
	c, err := p.s.app.Cases.Get(r.Context(), me(r), id)
	if err != nil {
		return d, err
	}
	pc := &pubCase{Case: c}
	ds, err := p.s.app.Accountability.DecisionsForCase(r.Context(), id)
	if err != nil {
		return d, err
	}
	for _, dc := range ds {
		if dc.Status == "in_force" {
			pc.InForce++
			pc.Decided = append(pc.Decided, dc)
		}
	}
	d.Case = pc
	return d, nil
}

func (p *pageServer) publicationNew(w http.ResponseWriter, r *http.Request, v *view) error {
	q := r.URL.Query()
	form := map[string]string{"case_id": q.Get("case"), "kind": q.Get("kind")}
	if form["kind"] != publication.KindExemplar {
		form["kind"] = publication.KindExposure
	}
	d, err := p.pubNewData(r, form)
	if err != nil {
		st, ferr := p.formError(r, v, err)
		if ferr != nil {
			return ferr
		}
		return p.render(w, st, v, "publication_new", d)
	}
	v.Title = p.T(v.Lang, "pub.new_title")
	return p.render(w, http.StatusOK, v, "publication_new", d)
}

func (p *pageServer) publicationCreate(w http.ResponseWriter, r *http.Request, v *view) error {
	f := formMap(r, "kind", "case_id", "title")
	f["body"] = r.PostFormValue("body")
	v.Title = p.T(v.Lang, "pub.new_title")
	fail := func(err error) error {
		st, ferr := p.formError(r, v, err)
		if ferr != nil {
			return ferr
		}
		d, derr := p.pubNewData(r, f)
		if derr != nil {
			d = pubNewPage{Form: f}
		}
		return p.render(w, st, v, "publication_new", d)
	}
	in := publication.Input{Kind: f["kind"], Title: f["title"], Body: f["body"]}
	if f["case_id"] != "" {
		id, err := strconv.ParseInt(f["case_id"], 10, 64)
		if err != nil || id <= 0 {
			return fail(problem.Invalid("case_id", "invalid_case", "案件编号应为数字", "the case number must be a number"))
		}
		in.CaseID = &id
	}
	pub, err := p.s.app.Publications.Propose(r.Context(), me(r), in)
	if err != nil {
		return fail(err)
	}
	http.Redirect(w, r, fmt.Sprintf("/staff/publications?ok=proposed#pub-%d", pub.ID), http.StatusSeeOther)
	return nil
}

// pubStep makes the page handler of one step (approve, publish, withdraw):
// success returns to the list with a note; a step out of order (409) shows
// the list again with the message.
func (p *pageServer) pubStep(ok string, step func(ps *publication.Service, r *http.Request, id int64) (publication.Publication, error)) pageFunc {
	return func(w http.ResponseWriter, r *http.Request, v *view) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		pub, err := step(p.s.app.Publications, r, id)
		if err != nil {
			st, ferr := p.formError(r, v, err)
			if ferr != nil {
				return ferr
			}
			d, derr := p.pubListData(r, v.Lang)
			if derr != nil {
				return derr
			}
			v.Title = p.T(v.Lang, "pub.title")
			return p.render(w, st, v, "publication_list", d)
		}
		http.Redirect(w, r, fmt.Sprintf("/staff/publications?ok=%s#pub-%d", ok, pub.ID), http.StatusSeeOther)
		return nil
	}
}
