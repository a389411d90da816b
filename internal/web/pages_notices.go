package web

import (
	"context"
	"net/http"
	"sort"
	"strconv"

	"mashang/internal/access"
	"mashang/internal/auth"
	"mashang/internal/cases"
	"mashang/internal/docket"
	"mashang/internal/problem"
)

// Supervision (督办) notices page: the sweep raises a notice when a case is
// due soon (to the directors) or overdue (to the leaders). Directors and
// leaders see their role's notices and mark them read; an auditor (and the
// administrator) sees them all. Overdue first, then due soon; newest first
// within each.

type noticesPage struct {
	Items     []cases.Notice
	UnreadIDs []int64 // the unread notices listed, for "mark all read"
	Unread    bool    // only unread ones are listed
	CanRead   bool    // may mark notices read
}

// noticeRank orders the kinds: overdue first, then due soon.
func noticeRank(kind string) int {
	if kind == string(docket.Overdue) {
		return 0
	}
	return 1
}

func (p *pageServer) noticesData(r *http.Request, unread bool) (noticesPage, error) {
	pr := me(r)
	d := noticesPage{Unread: unread, CanRead: p.s.app.Policy.Allows(pr, access.NoticeMark)}
	ns, err := p.s.app.Cases.Notices(r.Context(), pr, unread, 500)
	if err != nil {
		return d, err
	}
	// Overdue first; within a kind the unread ones, then the earliest
	// deadline (the most urgent), then the newest notice.
	sort.SliceStable(ns, func(i, j int) bool {
		a, b := ns[i], ns[j]
		if ra, rb := noticeRank(a.Kind), noticeRank(b.Kind); ra != rb {
			return ra < rb
		}
		if (a.ReadAt == nil) != (b.ReadAt == nil) {
			return a.ReadAt == nil
		}
		if a.Deadline != b.Deadline {
			return a.Deadline < b.Deadline
		}
		return a.At.After(b.At)
	})
	for _, n := range ns {
		if n.ReadAt == nil {
			d.UnreadIDs = append(d.UnreadIDs, n.ID)
		}
	}
	d.Items = ns
	return d, nil
}

func (p *pageServer) notices(w http.ResponseWriter, r *http.Request, v *view) error {
	d, err := p.noticesData(r, r.URL.Query().Get("unread") == "1")
	if err != nil {
		return err
	}
	if r.URL.Query().Get("ok") == "read" {
		v.Flash = p.T(v.Lang, "notice.flash_read")
	}
	v.Title = p.T(v.Lang, "notice.title")
	return p.render(w, http.StatusOK, v, "notices", d)
}

// noticeRead marks one notice read and returns to the list; an unknown
// notice (or another role's) shows the list again with the message.
func (p *pageServer) noticeRead(w http.ResponseWriter, r *http.Request, v *view) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	return p.afterMarking(w, r, v, p.s.app.Cases.MarkNoticeRead(r.Context(), me(r), id))
}

var errNoNotices = problem.Invalid("id", "no_notices", "没有要标记的通知", "there are no notices to mark")

// noticesRead marks read every unread notice the list showed (not those
// raised since), and returns to the list.
func (p *pageServer) noticesRead(w http.ResponseWriter, r *http.Request, v *view) error {
	var ids []int64
	for _, s := range r.PostForm["id"] {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			return problem.Invalid("id", "invalid_id", "通知编号无效", "invalid notice number")
		}
		ids = append(ids, id)
	}
	if len(ids) == 0 {
		return p.afterMarking(w, r, v, errNoNotices)
	}
	return p.afterMarking(w, r, v, p.s.app.Cases.MarkNoticesRead(r.Context(), me(r), ids))
}

// afterMarking returns to the list after marking notices read: a redirect,
// or on a refusal the list again with the message.
func (p *pageServer) afterMarking(w http.ResponseWriter, r *http.Request, v *view, err error) error {
	unread := r.PostFormValue("unread") == "1"
	if err != nil {
		st, ferr := p.formError(r, v, err)
		if ferr != nil {
			return ferr
		}
		d, derr := p.noticesData(r, unread)
		if derr != nil {
			return derr
		}
		v.Title = p.T(v.Lang, "notice.title")
		return p.render(w, st, v, "notices", d)
	}
	dest := "/staff/notices?ok=read"
	if unread {
		dest += "&unread=1"
	}
	http.Redirect(w, r, dest, http.StatusSeeOther)
	return nil
}

// maxNoticeBadge caps the unread count the navigation shows ("99+").
const maxNoticeBadge = 99

// noticeBadge is the unread count shown on the notices entry of the
// navigation, for those who deal with notices (notice.mark); "" when there
// are none. A failure only hides the badge.
func (p *pageServer) noticeBadge(ctx context.Context, pr auth.Principal) string {
	if !p.s.app.Policy.Allows(pr, access.NoticeMark) {
		return ""
	}
	ns, err := p.s.app.Cases.Notices(ctx, pr, true, maxNoticeBadge+1)
	if err != nil {
		p.s.log.Warn("notice badge", "err", err)
		return ""
	}
	switch n := len(ns); {
	case n == 0:
		return ""
	case n > maxNoticeBadge:
		return strconv.Itoa(maxNoticeBadge) + "+"
	default:
		return strconv.Itoa(n)
	}
}
