package web

import (
	"net/http"
	"strconv"

	"mashang/internal/access"
	"mashang/internal/notify"
)

// The notification pages: each staff member's choices of how to be told
// (the same service as GET/PUT /api/v1/me/notifications), and the
// administrator's outbox of failed notifications, each with its last error
// and a button to send it again (as POST /api/v1/outbox/{id}/retry).

type myNotifyPage struct {
	C notify.Choices
}

func (p *pageServer) myNotifications(w http.ResponseWriter, r *http.Request, v *view) error {
	return p.renderMyNotifications(w, r, v, http.StatusOK)
}

func (p *pageServer) renderMyNotifications(w http.ResponseWriter, r *http.Request, v *view, st int) error {
	c, err := p.s.app.Notify.MyChoices(r.Context(), me(r))
	if err != nil {
		return err
	}
	return p.render(w, st, v, "notify_choices", myNotifyPage{C: c})
}

// myNotificationsSave takes the whole form: a channel per kind and the
// digest box (unticked: one mail each).
func (p *pageServer) myNotificationsSave(w http.ResponseWriter, r *http.Request, v *view) error {
	digest := r.PostFormValue("digest") == "yes"
	in := notify.ChoicesInput{Digest: &digest, Choices: map[notify.Kind]notify.Channel{}}
	for _, k := range notify.StaffKinds {
		if ch := r.PostFormValue("k_" + string(k)); ch != "" {
			in.Choices[k] = notify.Channel(ch)
		}
	}
	if _, err := p.s.app.Notify.SetMyChoices(r.Context(), me(r), in); err != nil {
		st, ferr := p.formError(r, v, err)
		if ferr != nil {
			return ferr
		}
		return p.renderMyNotifications(w, r, v, st)
	}
	v.Flash = p.T(v.Lang, "common.saved")
	return p.renderMyNotifications(w, r, v, http.StatusOK)
}

type outboxPage struct {
	Status   string
	Statuses []notify.Status
	Rows     []notify.Entry
	CanRetry bool
	Users    map[int64]string // a staff recipient's name
}

// outboxStatuses are the filters the page offers, failures first.
var outboxStatuses = []notify.Status{notify.Failed, notify.Pending, notify.Held, notify.Sent, notify.Cancelled, notify.Digested}

func (p *pageServer) outbox(w http.ResponseWriter, r *http.Request, v *view) error {
	return p.renderOutbox(w, r, v, http.StatusOK)
}

func (p *pageServer) renderOutbox(w http.ResponseWriter, r *http.Request, v *view, st int) error {
	d := outboxPage{Status: r.URL.Query().Get("status"), Statuses: outboxStatuses, CanRetry: p.s.may(r, access.JobRun), Users: map[int64]string{}}
	if d.Status == "" {
		d.Status = string(notify.Failed)
	}
	if d.Status == "all" {
		d.Status = ""
	}
	us, err := p.s.app.Auth.ListUsers(r.Context())
	if err != nil {
		return err
	}
	for _, u := range us {
		d.Users[u.ID] = displayName(u)
	}
	if d.Rows, err = p.s.app.Notify.List(r.Context(), me(r), d.Status, 200); err != nil {
		st, ferr := p.formError(r, v, err)
		if ferr != nil {
			return ferr
		}
		d.Status = string(notify.Failed)
		return p.render(w, st, v, "outbox", d)
	}
	if d.Status == "" {
		d.Status = "all"
	}
	return p.render(w, st, v, "outbox", d)
}

// outboxRetry sends a failed notification again and comes back to the list.
func (p *pageServer) outboxRetry(w http.ResponseWriter, r *http.Request, v *view) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return errBadID
	}
	if err := p.s.app.Notify.Retry(r.Context(), me(r), id); err != nil {
		st, ferr := p.failed(r, v, err)
		if ferr != nil {
			return ferr
		}
		return p.renderOutbox(w, r, v, st)
	}
	http.Redirect(w, r, "/staff/admin/outbox?status=failed&retried="+strconv.FormatInt(id, 10), http.StatusSeeOther)
	return nil
}
