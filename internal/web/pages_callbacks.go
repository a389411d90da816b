package web

import (
	"net/http"
	"strings"

	"mashang/internal/access"
	"mashang/internal/callback"
	"mashang/internal/docket"
)

// The clerks' callback page (回访): the calls to make, oldest due first,
// each with a form that works by keyboard alone — Tab to a call, the arrow
// keys through the results, Tab to the note, Enter to save. A dissatisfied
// reporter whose review window is open may have the review opened for them.

type callbacksPage struct {
	Items     []callback.Callback
	Results   []docket.CallbackResult
	CanRecord bool
	Form      map[string]string // the refused form's values
	FormID    int64             // the callback the refused form was for
}

func (p *pageServer) callbacksData(r *http.Request) (callbacksPage, error) {
	pr := me(r)
	d := callbacksPage{Results: docket.CallbackResults, CanRecord: p.s.app.Policy.Allows(pr, access.CallbackRecord), Form: map[string]string{}}
	list, err := p.s.app.Callbacks.List(r.Context(), pr)
	d.Items = list
	return d, err
}

func (p *pageServer) callbacks(w http.ResponseWriter, r *http.Request, v *view) error {
	d, err := p.callbacksData(r)
	if err != nil {
		return err
	}
	switch r.URL.Query().Get("ok") {
	case "review":
		v.Flash = p.T(v.Lang, "callback.flash_review")
	case "1":
		v.Flash = p.T(v.Lang, "callback.flash")
	}
	v.Title = p.T(v.Lang, "callback.title")
	return p.render(w, http.StatusOK, v, "callbacks", d)
}

func (p *pageServer) callbackSave(w http.ResponseWriter, r *http.Request, v *view) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	in := callback.Input{Result: docket.CallbackResult(r.PostFormValue("result")), Note: r.PostFormValue("note"),
		OpenReview: r.PostFormValue("open_review") == "yes"}
	out, err := p.s.app.Callbacks.Record(r.Context(), me(r), id, in)
	if err != nil {
		st, ferr := p.formError(r, v, err)
		if ferr != nil {
			return ferr
		}
		d, derr := p.callbacksData(r)
		if derr != nil {
			return derr
		}
		d.FormID = id
		d.Form = map[string]string{"result": string(in.Result), "note": strings.TrimSpace(in.Note)}
		if in.OpenReview {
			d.Form["open_review"] = "yes"
		}
		v.Title = p.T(v.Lang, "callback.title")
		return p.render(w, st, v, "callbacks", d)
	}
	dest := "/staff/callbacks?ok=1"
	if out.Review != nil {
		dest = "/staff/callbacks?ok=review"
	}
	http.Redirect(w, r, dest, http.StatusSeeOther)
	return nil
}
