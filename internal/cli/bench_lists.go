package cli

import (
	"context"
	"flag"
	"fmt"
	"runtime"
	"slices"
	"time"

	"mashang/internal/app"
	"mashang/internal/auth"
	"mashang/internal/civil"
	"mashang/internal/config"
	"mashang/internal/docket"
	"mashang/internal/search"
)

type benchListsFlags struct {
	runs   *int
	unit   *string
	orders *bool
	only   *string
}

func benchListsCommand() *command {
	return &command{
		name:  "bench lists",
		short: "time the case lists, full-text search, stats and sweep on the database in place, beside their naive forms",
		long: "Run it on a database filled by `mashang demo --cases N`. Prints a Markdown table of p50/p99 per measure;\n" +
			"the naive forms are OFFSET paging and LIKE '%…%' scans (and one GROUP BY per dimension for stats).\n" +
			"Then a table of the list's first page in every order it offers on every kind of filter, each marked\n" +
			"whether its p99 is under 50 ms (--orders: that table alone).",
		flags: func(fs *flag.FlagSet) any {
			return &benchListsFlags{runs: fs.Int("runs", 100, "repetitions of each fast measure"), unit: fs.String("unit", "MQ-MC", "the unit whose open cases are listed"),
				orders: fs.Bool("orders", false, "only the table of every order on every filter"),
				only:   fs.String("only", "", "with --orders: only the filters whose name contains this text")}
		},
		run: runBenchLists,
	}
}

type measure struct {
	name string
	runs int
	fn   func(ctx context.Context) error
}

type timing struct{ p50, p99, max time.Duration }

func timeIt(ctx context.Context, m measure) (timing, error) {
	if err := m.fn(ctx); err != nil { // warm-up
		return timing{}, err
	}
	ds := make([]time.Duration, 0, m.runs)
	for i := 0; i < m.runs; i++ {
		t := time.Now()
		if err := m.fn(ctx); err != nil {
			return timing{}, err
		}
		ds = append(ds, time.Since(t))
	}
	slices.Sort(ds)
	pct := func(p float64) time.Duration { return ds[min(len(ds)-1, int(p*float64(len(ds))))] }
	return timing{pct(0.50), pct(0.99), ds[len(ds)-1]}, nil
}

func fmtMS(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

func runBenchLists(e *Env, cfg *config.Config, _ *flag.FlagSet, extra any) error {
	f := extra.(*benchListsFlags)
	a, err := e.open(cfg)
	if err != nil {
		return err
	}
	defer a.Close()
	ctx := e.Ctx
	var n int
	if err := a.DB.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM cases`).Scan(&n); err != nil {
		return err
	}
	if _, err := a.Search.Index.CatchUp(ctx); err != nil {
		return err
	}
	admin := auth.System("cli:bench")
	if *f.orders {
		fmt.Fprintf(e.Stdout, "%d cases on %s, %d CPUs (%s/%s), %s\n", n, a.DB.Engine, runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, time.Now().Format(time.DateOnly))
		_, err := benchListOrders(ctx, e.Stdout, a, admin, *f.runs, *f.unit, *f.only)
		return err
	}
	list := func(q search.ListQuery) func(context.Context) error {
		return func(ctx context.Context) error {
			if q.Limit == 0 {
				q.Limit = 50
			}
			if q.Sort == "" {
				q.Sort = "received"
			}
			_, err := a.Search.List(ctx, admin, q)
			return err
		}
	}
	raw := func(query string, args ...any) func(context.Context) error {
		return func(ctx context.Context) error {
			rows, err := a.DB.Read.QueryContext(ctx, query, args...)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
			}
			return rows.Err()
		}
	}
	// The cursor of page 201 (10,000 rows in) of the overdue queue, for the deep-page comparison.
	deep, err := cursorAt(ctx, a, admin, search.ListQuery{Due: "overdue", Sort: "deadline", Limit: 200}, 50)
	if err != nil {
		return err
	}
	today := civil.In(a.Clock.Now(), a.Loc).String()
	_, unitPath, err := a.Org.UnitPath(ctx, *f.unit)
	if err != nil {
		return err
	}
	subUnits := `(SELECT id FROM units WHERE path LIKE '` + unitPath + `%')`
	open := docket.SQLList(docket.OpenStates...)
	// The deadline computed in the query, as before the generated column.
	naiveDeadline := `(CASE WHEN c.state = '` + string(docket.Registered) + `' THEN c.accept_by WHEN c.state IN ` +
		docket.SQLList(docket.Accepted, docket.Investigating, docket.Concluded) + ` THEN c.finish_by END)`
	cols := `c.id, c.state, c.channel, c.received_at, c.unit_id, c.situation, c.accept_by, c.finish_by, c.content`
	yearTo := civil.In(a.Clock.Now(), a.Loc)
	yearFrom := yearTo.AddYears(-1).AddDays(1)
	slow := max(5, *f.runs/10)
	pairs := [][2]measure{
		{{"overdue queue, first page (50, by deadline)", *f.runs, list(search.ListQuery{Due: "overdue", Sort: "deadline"})},
			{"naive: same, SQL without the deadline index (ORDER BY the CASE expression)", slow, raw(`SELECT `+cols+` FROM cases c WHERE `+naiveDeadline+` < $1 ORDER BY `+naiveDeadline+`, c.id LIMIT 50`, today)}},
		{{"overdue queue, page 51 (keyset cursor, 10,000 rows in)", *f.runs, list(search.ListQuery{Due: "overdue", Sort: "deadline", Cursor: deep})},
			{"naive: same page by OFFSET 10000", slow, raw(`SELECT `+cols+` FROM cases c WHERE c.deadline < $1 ORDER BY c.deadline, c.id LIMIT 50 OFFSET 10000`, today)}},
		{{"unit " + *f.unit + " (with sub-units) open cases, first page (newest first)", *f.runs, list(search.ListQuery{Unit: *f.unit, States: docket.OpenStates})},
			{"naive: same by OFFSET 5000", slow, raw(`SELECT ` + cols + ` FROM cases c WHERE c.unit_id IN ` + subUnits + ` AND c.state IN ` + open + ` ORDER BY c.received_at DESC, c.id DESC LIMIT 50 OFFSET 5000`)}},
		{{"q=推诿 (2 characters), first page", *f.runs, list(search.ListQuery{Q: "推诿"})},
			{"naive: content LIKE '%推诿%', first page", slow, raw(`SELECT ` + cols + ` FROM cases c WHERE c.content LIKE '%推诿%' ORDER BY c.received_at DESC, c.id DESC LIMIT 50`)}},
		{{"q=推诿 with count=true (capped at 1000)", slow, list(search.ListQuery{Q: "推诿", Count: true})},
			{"naive: COUNT(*) WHERE content LIKE '%推诿%'", slow, raw(`SELECT COUNT(*) FROM cases c WHERE c.content LIKE '%推诿%'`)}},
		{{"q=吃拿卡要 (4 characters), first page", *f.runs, list(search.ListQuery{Q: "吃拿卡要"})},
			{"naive: content LIKE '%吃拿卡要%', first page", slow, raw(`SELECT ` + cols + ` FROM cases c WHERE c.content LIKE '%吃拿卡要%' ORDER BY c.received_at DESC, c.id DESC LIMIT 50`)}},
		{{"q=林权证 in unit " + *f.unit + ", first page", *f.runs, list(search.ListQuery{Q: "林权证", Unit: *f.unit})},
			{"naive: LIKE '%林权证%' in the unit", slow, raw(`SELECT ` + cols + ` FROM cases c WHERE c.unit_id IN ` + subUnits + ` AND c.content LIKE '%林权证%' ORDER BY c.received_at DESC, c.id DESC LIMIT 50`)}},
		{{"q=“不开发票” (rare phrase), first page", *f.runs, list(search.ListQuery{Q: `"不开发票" 窗口`})},
			{"naive: LIKE '%不开发票%' AND LIKE '%窗口%'", slow, raw(`SELECT ` + cols + ` FROM cases c WHERE c.content LIKE '%不开发票%' AND c.content LIKE '%窗口%' ORDER BY c.received_at DESC, c.id DESC LIMIT 50`)}},
		{{"stats for one year (day cache warm; today and yesterday rescanned)", max(5, *f.runs/20), func(ctx context.Context) error {
			_, err := a.Stats.Compute(ctx, admin, yearFrom, yearTo)
			return err
		}}, {"naive: one GROUP BY per dimension (7 queries)", 3, func(ctx context.Context) error {
			for _, g := range []string{"channel", "category", "state", "finding", "unit_id", "substr(received_on, 1, 7)", "rating"} {
				if err := raw(`SELECT `+g+`, COUNT(*), SUM(CASE WHEN accepted_on <= accept_by THEN 1 ELSE 0 END) FROM cases WHERE received_on BETWEEN $1 AND $2 GROUP BY `+g, yearFrom.String(), yearTo.String())(ctx); err != nil {
					return err
				}
			}
			return nil
		}}},
	}
	if a.Cases != nil {
		pairs = append(pairs, [2]measure{{"supervision sweep over every open case (cases.Sweep)", 3, func(ctx context.Context) error {
			_, err := a.Cases.Sweep(ctx)
			return err
		}}, {"naive: per-case deadline check in Go (read every open case)", 1, raw(`SELECT c.id, c.state, c.accept_by, c.finish_by, c.review_by FROM cases c WHERE c.state IN ` + open)}})
	}
	// Statistics: the first call over a year with an empty day cache.
	if _, err := a.DB.Write.ExecContext(ctx, `DELETE FROM stats_days`); err != nil {
		return err
	}
	coldStart := time.Now()
	if _, err := a.Stats.Compute(ctx, admin, yearFrom, yearTo); err != nil {
		return err
	}
	cold := time.Since(coldStart)
	fmt.Fprintf(e.Stdout, "%d cases on %s, %d CPUs (%s/%s), %s\n\n", n, a.DB.Engine, runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, time.Now().Format(time.DateOnly))
	fmt.Fprintln(e.Stdout, "| measure | runs | p50 | p99 | naive form | p50 | ratio |")
	fmt.Fprintln(e.Stdout, "| --- | --- | --- | --- | --- | --- | --- |")
	for _, p := range pairs {
		t1, err := timeIt(ctx, p[0])
		if err != nil {
			return fmt.Errorf("%s: %w", p[0].name, err)
		}
		t2, err := timeIt(ctx, p[1])
		if err != nil {
			return fmt.Errorf("%s: %w", p[1].name, err)
		}
		ratio := float64(t2.p50) / float64(max(t1.p50, 1))
		fmt.Fprintf(e.Stdout, "| %s | %d | %s | %s | %s | %s | %.1f× |\n", p[0].name, p[0].runs, fmtMS(t1.p50), fmtMS(t1.p99), p[1].name, fmtMS(t2.p50), ratio)
	}
	fmt.Fprintf(e.Stdout, "\nstats for one year with an empty day cache (first call after a restore; every later call recomputes only changed days): %s\n", fmtMS(cold))
	_, err = benchListOrders(ctx, e.Stdout, a, admin, *f.runs, *f.unit, *f.only)
	return err
}

// cursorAt walks pages of q and returns the cursor after page pages.
func cursorAt(ctx context.Context, a *app.App, p auth.Principal, q search.ListQuery, pages int) (string, error) {
	need := pages * 50
	cur := ""
	for seen := 0; seen < need; {
		q.Cursor = cur
		q.Limit = min(200, need-seen)
		pg, err := a.Search.List(ctx, p, q)
		if err != nil {
			return "", err
		}
		seen += len(pg.Cases)
		if pg.Next == nil {
			return cur, nil
		}
		cur = *pg.Next
	}
	return cur, nil
}
