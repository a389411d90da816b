package web

import (
	"context"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"mashang/internal/access"
	"mashang/internal/auth"
	"mashang/internal/docket"
	"mashang/internal/org"
	"mashang/internal/search"
)

type stateCount struct {
	State string // "" for all open cases
	N     int
	Href  string
	On    bool
}

type queuePage struct {
	// Supervised are, for an office with offices below it, the cases it
	// supervises that are overdue (open past the deadline, unanswered):
	// first on its default list.
	Supervised []search.Row
	// Situations are the filter's choices: each category of the caller's
	// catalogue versions (its office's, then those of the offices below it)
	// with its situations; SituationOther is a filter value given that is
	// none of them (shown chosen, as given).
	Situations     []sitGroup
	SituationOther string
	Rows           []search.Row
	Counts         []stateCount
	Q              url.Values
	Next           string
	States         []docket.State
	Channels       []docket.Channel
	Dues           []docket.Due
	Sorts          []string
	Units          []org.Unit
	Total          int
	// RankedPartial: ordered by relevance, only the RankCap newest of
	// more matches were ranked (the page says so).
	RankedPartial bool
	RankCap       int
	// Page is the page shown (1 first), of Pages; From and To number its
	// rows. Next and First are links (query strings) to the next and the
	// first page: the list pages by keyset (next=), page= only counts.
	Page, Pages, From, To int
	First                 string
	Assignees             []auth.User // staff cases may be assigned to, for the filter
	Staff                 staffNames  // usernames to the names colleagues know
	// ExportCSV and ExportXLSX export the list with its filters
	// (/api/v1/cases/export); built here from url.Values, so safe as URLs.
	ExportCSV, ExportXLSX template.URL
}

// queue is the office's case list: open cases, overdue first, then due
// soon, each with its working days left; filters and search are the list
// API's (package search).
func (p *pageServer) queue(w http.ResponseWriter, r *http.Request, v *view) error {
	qv := r.URL.Query()
	if !qv.Has("state") {
		qv.Set("state", "open")
	}
	if !qv.Has("sort") {
		if strings.TrimSpace(qv.Get("q")) != "" {
			qv.Set("sort", "relevance")
		} else {
			qv.Set("sort", "deadline")
		}
	}
	if qv.Get("sort") == "relevance" && strings.TrimSpace(qv.Get("q")) == "" {
		qv.Set("sort", "deadline")
	}
	for _, k := range []string{"lang"} {
		qv.Del(k)
	}
	d := queuePage{Q: qv, States: docket.States, Channels: docket.Channels, Dues: docket.Dues, Sorts: search.Sorts}
	if pr := me(r); len(pr.Offices) > 1 && qv.Get("next") == "" && strings.TrimSpace(qv.Get("q")) == "" {
		// The office above sees the overdue supervised cases first.
		sq := search.ListQuery{Supervised: "overdue", Sort: "deadline", Limit: 20, States: docket.OpenStates}
		if page, err := p.s.app.Search.List(r.Context(), pr, sq); err != nil {
			return err
		} else {
			d.Supervised = page.Cases
		}
	}
	lq, err := search.ParseListQuery(qv)
	if err != nil {
		if _, ferr := p.formError(r, v, err); ferr != nil {
			return ferr
		}
	} else {
		lq.Limit = 50
		lq.Count = true
		page, err := p.s.app.Search.List(r.Context(), me(r), lq)
		if err != nil {
			if _, ferr := p.formError(r, v, err); ferr != nil {
				return ferr
			}
		}
		d.Rows = page.Cases
		d.RankedPartial, d.RankCap = page.RankedPartial, search.RankCap
		d.Page = max(1, atoiOr(qv.Get("page"), 1))
		if qv.Get("next") == "" {
			d.Page = 1
		}
		if page.Next != nil {
			nq := cloneValues(qv)
			nq.Set("next", *page.Next)
			nq.Set("page", strconv.Itoa(d.Page+1))
			d.Next = "?" + nq.Encode()
		}
		if d.Page > 1 {
			fq := cloneValues(qv)
			fq.Del("next")
			fq.Del("page")
			d.First = "?" + fq.Encode()
		}
		if page.Total != nil {
			d.Total = *page.Total
			d.Pages = (d.Total + lq.Limit - 1) / lq.Limit
		}
		d.From = (d.Page-1)*lq.Limit + 1
		d.To = d.From + len(d.Rows) - 1
	}
	// Counts by state, with the other filters as they are.
	states := []string{"open"}
	for _, st := range docket.States {
		states = append(states, string(st))
	}
	for _, st := range states {
		cq := cloneValues(qv)
		cq.Set("state", st)
		cq.Del("next")
		cq.Set("sort", "received")
		lq, err := search.ParseListQuery(cq)
		if err != nil {
			break
		}
		lq.Limit, lq.Count = 1, true
		page, err := p.s.app.Search.List(r.Context(), me(r), lq)
		if err != nil {
			break
		}
		n := 0
		if page.Total != nil {
			n = *page.Total
		}
		cq.Set("sort", qv.Get("sort"))
		d.Counts = append(d.Counts, stateCount{State: st, N: n, Href: "?" + cq.Encode(), On: qv.Get("state") == st})
	}
	if d.Units, err = p.s.app.Org.Units(r.Context()); err != nil {
		return err
	}
	scope, err := p.s.app.Catalogs.Scope(r.Context(), me(r))
	if err != nil {
		return err
	}
	d.Situations = situationGroupsOf(scope, v.Lang)
	if sit := qv.Get("situation"); sit != "" {
		if _, ok := scope.Situation(sit); !ok && !slices.Contains(scope.Categories(), sit) {
			d.SituationOther = sit
		}
	}
	if d.Assignees, err = p.assignees(r); err != nil {
		return err
	}
	if d.Staff, err = p.staffNames(r.Context(), v.Lang); err != nil {
		return err
	}
	eq := cloneValues(qv)
	eq.Del("next")
	eq.Del("lang")
	eq.Set("format", "csv")
	d.ExportCSV = template.URL("/api/v1/cases/export?" + eq.Encode())
	eq.Set("format", "xlsx")
	d.ExportXLSX = template.URL("/api/v1/cases/export?" + eq.Encode())
	return p.render(w, http.StatusOK, v, "cases", d)
}

func cloneValues(v url.Values) url.Values {
	c := url.Values{}
	for k, vv := range v {
		c[k] = append([]string(nil), vv...)
	}
	return c
}

// assignees are the active staff whose role may investigate (conclude) a
// case: the people a case is assigned to.
func (p *pageServer) assignees(r *http.Request) ([]auth.User, error) {
	us, err := p.s.app.Auth.ListUsers(r.Context())
	if err != nil {
		return nil, err
	}
	var out []auth.User
	for _, u := range us {
		if !u.Disabled && p.s.app.Policy.RoleHolds(u.Role, access.CaseConclude) {
			out = append(out, u)
		}
	}
	return out, nil
}

// atoiOr reads a decimal number, or gives def.
func atoiOr(s string, def int) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		return def
	}
	return n
}

// staffNames names staff on the pages: usernames to the names colleagues
// know them by (the display name, or the username when an account has
// none), and the other actors (the demo data, the system's jobs) in words.
type staffNames struct {
	m    map[string]string
	lang string
}

// Of names a username or an actor ("user:NAME", "cli:demo", …), given as a
// string or *string as rows carry it; an unknown username shows as it is.
func (n staffNames) Of(v any) string {
	var u string
	switch x := v.(type) {
	case string:
		u = x
	case *string:
		if x == nil {
			return ""
		}
		u = *x
	default:
		return fmt.Sprint(v)
	}
	if s, ok := n.m[u]; ok {
		return s
	}
	return docket.ActorLabel(u, n.lang, docket.Names{Staff: func(name string) string { return n.m[name] }})
}

func (p *pageServer) staffNames(ctx context.Context, lang string) (staffNames, error) {
	us, err := p.s.app.Auth.ListUsers(ctx)
	if err != nil {
		return staffNames{}, err
	}
	n := staffNames{m: make(map[string]string, len(us)), lang: lang}
	for _, u := range us {
		n.m[u.Username] = displayName(u)
	}
	return n, nil
}

// displayName is how an account is named on the pages.
func displayName(u auth.User) string {
	if u.DisplayName != "" {
		return u.DisplayName
	}
	return u.Username
}
