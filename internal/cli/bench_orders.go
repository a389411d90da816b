package cli

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"mashang/internal/app"
	"mashang/internal/auth"
	"mashang/internal/civil"
	"mashang/internal/docket"
	"mashang/internal/search"
)

// listTarget is the first page's budget at a million cases, in every order
// on every filter the pages and the API offer.
const listTarget = 50 * time.Millisecond

// benchListOrders times the first page (50) of the case list in each order
// it offers (newest first, by deadline) on each kind of filter the queue
// page and GET /api/v1/cases offer, alone and in the combinations the
// pages make, and prints one table row per filter: p50 and p99 per order.
func benchListOrders(ctx context.Context, w io.Writer, a *app.App, p auth.Principal, runs int, unit, only string) (slowest time.Duration, err error) {
	pick := func(q string) string {
		var v sql.NullString
		if err := a.DB.Read.QueryRowContext(ctx, q).Scan(&v); err != nil {
			return ""
		}
		return v.String
	}
	// A person, an assignee and a situation that many cases name (looked
	// up on the newest 20,000 cases, so the pick costs little).
	recent := `(SELECT * FROM cases ORDER BY received_at DESC, id DESC LIMIT 20000) r`
	person := pick(`SELECT person_id FROM ` + recent + ` WHERE person_id IS NOT NULL GROUP BY person_id ORDER BY COUNT(*) DESC, person_id LIMIT 1`)
	assignee := pick(`SELECT assignee_id FROM ` + recent + ` WHERE assignee_id IS NOT NULL GROUP BY assignee_id ORDER BY COUNT(*) DESC, assignee_id LIMIT 1`)
	situation := pick(`SELECT situation FROM ` + recent + ` WHERE situation <> '' GROUP BY situation ORDER BY COUNT(*) DESC, situation LIMIT 1`)
	today := civil.In(a.Clock.Now(), a.Loc)
	type filter struct {
		name string
		q    search.ListQuery
	}
	open := docket.OpenStates
	filters := []filter{
		{"no filter", search.ListQuery{}},
		{"state=open", search.ListQuery{States: open}},
		{"state=registered", search.ListQuery{States: []docket.State{docket.Registered}}},
		{"state=investigating", search.ListQuery{States: []docket.State{docket.Investigating}}},
		{"state=closed", search.ListQuery{States: []docket.State{docket.Closed}}},
		{"state=refused,transferred,merged", search.ListQuery{States: []docket.State{docket.Refused, docket.Transferred, docket.Merged}}},
		{"due=overdue", search.ListQuery{Due: docket.Overdue}},
		{"due=due_soon", search.ListQuery{Due: docket.DueSoon}},
		{"due=on_time", search.ListQuery{Due: docket.OnTime}},
		{"state=open&due=overdue", search.ListQuery{States: open, Due: docket.Overdue}},
		{"unit=" + unit + " (with sub-units)", search.ListQuery{Unit: unit}},
		{"unit=" + unit + "&state=open", search.ListQuery{Unit: unit, States: open}},
		{"unit=" + unit + "&due=overdue", search.ListQuery{Unit: unit, Due: docket.Overdue}},
		{"channel=web", search.ListQuery{Channels: []docket.Channel{docket.Web}}},
		{"channel=rule (rare)", search.ListQuery{Channels: []docket.Channel{docket.Rule}}},
		{"channel=hotline,letter,walkin", search.ListQuery{Channels: []docket.Channel{docket.Hotline, docket.Letter, docket.Walkin}}},
		{"received_from/to (last 30 days)", search.ListQuery{ReceivedFrom: today.AddDays(-30), ReceivedTo: today}},
	}
	if situation != "" {
		filters = append(filters, filter{"situation=" + situation, search.ListQuery{Situation: situation}},
			filter{"category=" + situation[:strings.IndexByte(situation+".", '.')], search.ListQuery{Situation: situation[:strings.IndexByte(situation+".", '.')]}},
			filter{"situation=" + situation + "&state=open", search.ListQuery{Situation: situation, States: open}})
	}
	if person != "" {
		id, _ := strconv.ParseInt(person, 10, 64)
		filters = append(filters, filter{"person_id (the most named)", search.ListQuery{PersonID: id}})
	}
	if assignee != "" {
		filters = append(filters, filter{"assignee (the busiest handler)", search.ListQuery{Assignee: assignee}},
			filter{"assignee&state=open (a handler's open cases)", search.ListQuery{Assignee: assignee, States: open}},
			filter{"assignee&due=overdue", search.ListQuery{Assignee: assignee, Due: docket.Overdue}})
	}
	filters = append(filters,
		filter{"supervised=any", search.ListQuery{Supervised: "any"}},
		filter{"supervised=overdue", search.ListQuery{Supervised: "overdue"}},
		filter{"channel=web&state=open", search.ListQuery{Channels: []docket.Channel{docket.Web}, States: open}},
		filter{"received_from/to (last 30 days)&state=open", search.ListQuery{ReceivedFrom: today.AddDays(-30), ReceivedTo: today, States: open}},
		filter{"received_from/to (a month, a year ago)", search.ListQuery{ReceivedFrom: today.AddDays(-365), ReceivedTo: today.AddDays(-335)}},
		filter{"q=推诿", search.ListQuery{Q: "推诿"}},
		filter{"q=推诿&state=open", search.ListQuery{Q: "推诿", States: open}},
		filter{"q=推诿&due=overdue", search.ListQuery{Q: "推诿", Due: docket.Overdue}},
		filter{"q=推诿&unit=" + unit, search.ListQuery{Q: "推诿", Unit: unit}},
		filter{"q=林权证 (rarer)", search.ListQuery{Q: "林权证"}},
		filter{"q=吃拿卡要", search.ListQuery{Q: "吃拿卡要"}},
	)
	if situation != "" {
		filters = append(filters, filter{"situation=" + situation + "&due=overdue", search.ListQuery{Situation: situation, Due: docket.Overdue}})
	}

	// The same lists as other roles see them: a director (every case but
	// a covert plan's), a handler (its own cases), a liaison (the cases
	// transferred to its unit's subtree).
	type asRole struct {
		name string
		p    auth.Principal
		q    search.ListQuery
	}
	var roles []asRole
	for _, r := range []struct {
		role auth.Role
		name string
	}{{auth.Director, "director"}, {auth.Handler, "handler"}, {auth.Liaison, "liaison"}} {
		rp, err := benchPrincipal(ctx, a, r.role, assignee)
		if err != nil {
			return slowest, err
		}
		if rp.Role == "" {
			continue
		}
		roles = append(roles, asRole{r.name + ": no filter", rp, search.ListQuery{}}, asRole{r.name + ": state=open (the queue's default)", rp, search.ListQuery{States: open}},
			asRole{r.name + ": due=overdue", rp, search.ListQuery{Due: docket.Overdue}}, asRole{r.name + ": q=推诿", rp, search.ListQuery{Q: "推诿"}})
	}
	for _, r := range roles {
		filters = append(filters, filter{r.name, r.q})
	}
	who := map[string]auth.Principal{}
	for _, r := range roles {
		who[r.name] = r.p
	}

	fmt.Fprintf(w, "\nEvery order on every filter: the first page (50), %d runs each after one warm-up, as the API lists for an admin (or the role named).\n\n", runs)
	fmt.Fprintln(w, "| filter | newest first p50 | p99 | by deadline p50 | p99 | by relevance p50 | p99 | rows | under 50 ms |")
	fmt.Fprintln(w, "| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
	for _, f := range filters {
		if only != "" && !strings.Contains(f.name, only) {
			continue
		}
		sorts := []string{"received", "deadline"}
		if f.q.Q != "" {
			sorts = append(sorts, "relevance")
		}
		cells := []string{f.name}
		rows := 0
		ok := true
		for _, srt := range []string{"received", "deadline", "relevance"} {
			if !slices.Contains(sorts, srt) {
				cells = append(cells, "–", "–")
				continue
			}
			q := f.q
			q.Sort, q.Limit = srt, 50
			var n int
			t, err := timeIt(ctx, measure{name: f.name + " " + srt, runs: runs, fn: func(ctx context.Context) error {
				pp, ok := who[f.name]
				if !ok {
					pp = p
				}
				pg, err := a.Search.List(ctx, pp, q)
				n = len(pg.Cases)
				return err
			}})
			if err != nil {
				return slowest, fmt.Errorf("%s, sort=%s: %w", f.name, srt, err)
			}
			rows = max(rows, n)
			slowest = max(slowest, t.p99)
			ok = ok && t.p99 < listTarget
			cells = append(cells, fmtMS(t.p50), fmtMS(t.p99))
		}
		verdict := "yes"
		if !ok {
			verdict = "**no**"
		}
		cells = append(cells, strconv.Itoa(rows), verdict)
		fmt.Fprintln(w, "| "+strings.Join(cells, " | ")+" |")
	}
	return slowest, nil
}

// benchPrincipal is a principal of role as the server would make it for a
// demo account: the handler is the busiest assignee (id assignee), the
// liaison the demo's liaison account with its unit; every one of the home
// office, which reads every office. The zero Principal when there is none.
func benchPrincipal(ctx context.Context, a *app.App, role auth.Role, assignee string) (auth.Principal, error) {
	q := `SELECT u.id, u.username, COALESCE(un.code, ''), COALESCE(un.path, ''), COALESCE(u.office_id, 0), COALESCE(o.path, '')
		FROM users u LEFT JOIN units un ON un.id = u.unit_id LEFT JOIN offices o ON o.id = u.office_id WHERE u.role = $1 ORDER BY u.id LIMIT 1`
	args := []any{string(role)}
	if role == auth.Handler && assignee != "" {
		q = strings.Replace(q, "u.role = $1", "u.id = $1", 1)
		id, _ := strconv.ParseInt(assignee, 10, 64)
		args = []any{id}
	}
	p := auth.Principal{Role: role}
	err := a.DB.Read.QueryRowContext(ctx, q, args...).Scan(&p.UserID, &p.Username, &p.UnitCode, &p.UnitPath, &p.OfficeID, &p.OfficePath)
	if errors.Is(err, sql.ErrNoRows) {
		return auth.Principal{}, nil
	} else if err != nil {
		return p, fmt.Errorf("bench: %s: %w", role, err)
	}
	if role == auth.Liaison && p.UnitPath == "" {
		return auth.Principal{}, nil
	}
	if p.OfficeID != 0 {
		p.Offices, p.OfficeAll = []int64{p.OfficeID}, true
	}
	return p, nil
}
