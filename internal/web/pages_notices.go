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
)

// Supervision (督办) notices page: the sweep raises a notice when a case is
// due soon (to the directors) or overdue (to the leaders). Directors and
// leaders see their role's notices and mark them read; an auditor (and the
// administrator) sees them all. Overdue first, then due soon; newest first
// within each.

type noticesPage struct {
	Items   []cases.Notice
	Unread  bool // only unread ones are listed
	CanRead bool // may mark notices read
}

// noticeRank orders the kinds: overdue first.
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
	// Notices come newest first; a stable sort keeps that within a kind.
	sort.SliceStable(ns, func(i, j int) bool { return noticeRank(ns[i].Kind) < noticeRank(ns[j].Kind) })
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
	unread := r.PostFormValue("unread") == "1"
	if err := p.s.app.Cases.MarkNoticeRead(r.Context(), me(r), id); err != nil {
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
