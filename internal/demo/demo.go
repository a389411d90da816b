// Package demo fills a database with a demo county (`mashang demo`): the
// unit tree of Minqing county (闽清县), people in every unit, one staff
// account per role, and months of cases in every state and channel with
// Chinese report texts built from the catalogue's 30 situations, with
// messages, replies, conclusions and ratings; then it builds the search index.
//
// The same seed (and the same last day) gives the same data: every random
// choice comes from one ChaCha8 stream seeded with the seed, in a fixed order.
// Only the sealed identities differ between runs (sealing draws a fresh
// nonce), and ids continue after whatever the database already holds.
//
// It is fast enough for load tests: a million cases go in with multi-row
// INSERTs of a few hundred rows in transactions of twenty thousand cases,
// with explicit ids (PostgreSQL's identity sequences are moved past them at
// the end).
package demo

import (
	"context"
	"database/sql"
	_ "embed"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"sort"
	"strings"
	"time"

	"mashang/internal/app"
	"mashang/internal/audit"
	"mashang/internal/auth"
	"mashang/internal/calendar"
	"mashang/internal/cases"
	"mashang/internal/catalog"
	"mashang/internal/civil"
	"mashang/internal/docket"
	"mashang/internal/identity"
	"mashang/internal/intake"
	"mashang/internal/office"
	"mashang/internal/problem"
	"mashang/internal/receipt"
	"mashang/internal/store"
)

//go:embed minqing-units.csv
var unitsCSV []byte

// DemoPassword is every demo account's password. It is for a demo only.
const DemoPassword = "mashang-demo-only"

// Options say what to generate.
type Options struct {
	Cases int   // number of cases; 0: DefaultCases
	Seed  int64 // random seed; the same seed gives the same data
	// Until is the last day of the data (default: today in the app's zone).
	Until civil.Date
	// Months is how far back cases go (0: 6, or 12 for more than 100,000 cases).
	Months int
	// NoIndex skips building the search index (CatchUp does it later).
	NoIndex bool
	// Progress receives a line now and then (nil: none).
	Progress io.Writer
	// City builds 福州市 with its city office over Minqing and two more
	// counties (永泰县, 连江县), each with its office, staff and cases, and
	// one Minqing case sent up to the city.
	City bool
}

// cityUnits are the city's units beyond Minqing's (Minqing is put under 福州市).
const cityUnits = `code,name,parent,kind
FZ,福州市,,city
FZ-XZ,福州市行政服务中心,FZ,service_centre
FZ-ZJ,福州市住房和城乡建设局,FZ,department
MQ,闽清县,FZ,county
YT,永泰县,FZ,county
YT-ZX,永泰县行政服务中心,YT,service_centre
YT-ZC,永泰县樟城镇人民政府,YT,town
YT-ZCZX,樟城镇便民服务中心,YT-ZC,service_centre
YT-GT,永泰县国土资源局,YT,department
LJ,连江县,FZ,county
LJ-ZX,连江县行政服务中心,LJ,service_centre
LJ-FC,连江县凤城镇人民政府,LJ,town
LJ-FCZX,凤城镇便民服务中心,LJ-FC,service_centre
LJ-SC,连江县市场监督管理局,LJ,department
`

// cityOffices are the offices of the demo city: the top office becomes the
// city's; each county gets its own, with its staff.
var cityOffices = []struct{ code, name, unit, prefix string }{
	{"MQ", "闽清县整肃办", "MQ", "mq"}, {"YT", "永泰县整肃办", "YT", "yt"}, {"LJ", "连江县整肃办", "LJ", "lj"},
}

// DefaultCases is the number of cases without --cases.
const DefaultCases = 600

// Result counts what Run made.
type Result struct {
	Units, People, Users, Cases, Messages int
	// What follows the cases (see aftermath.go): accountability decisions
	// (the varied appeal's replacement included), appeals, cases the
	// two-complaints rule opened, inspections with their visits, and
	// published exposures and exemplars.
	Decisions, Appeals, RuleCases, Inspections, Visits, Exposures, Exemplars int
	Password                                                                 string
	Elapsed                                                                  time.Duration
}

type unitInfo struct {
	id         int64
	code, name string
	kind       string
	town       string
	path       string
	office     int64 // the office whose jurisdiction holds it (set by cases)
	people     []int64
}

type gen struct {
	a     *app.App
	db    *store.DB
	o     Options
	r     *rand.Rand
	cha   *rand.ChaCha8
	cal   *calendar.Calendar
	lim   calendar.Limits
	sits  []catalog.Situation
	units []*unitInfo
	// handlers are the user ids cases are assigned to; with City, by office.
	handlers   []int64
	handlersBy map[int64][]int64
	today      civil.Date
	progress   io.Writer
	// firstCase and lastCase bound the ids of the cases this run wrote.
	firstCase, lastCase int64
	// bulk names the rows written in bulk, without an audit entry each; the
	// run's one entry records their ranges for audit verify's cross-checks.
	bulk audit.Bulk
}

// Run generates the demo county into a's database.
func Run(ctx context.Context, a *app.App, o Options) (Result, error) {
	start := time.Now()
	if o.Cases <= 0 {
		o.Cases = DefaultCases
	}
	if o.Until.IsZero() {
		o.Until = civil.In(a.Clock.Now(), a.Loc)
	}
	if o.Months <= 0 {
		o.Months = 6
		if o.Cases > 100000 {
			o.Months = 12
		}
	}
	var seed [32]byte
	binary.LittleEndian.PutUint64(seed[:], uint64(o.Seed))
	copy(seed[8:], "mashang demo county")
	cha := rand.NewChaCha8(seed)
	g := &gen{a: a, db: a.DB, o: o, r: rand.New(cha), cha: cha, cal: a.Calendar.Get(), lim: a.Limits,
		sits: a.Catalog.Situations, today: o.Until, progress: o.Progress}
	res := Result{Password: DemoPassword}
	var err error
	if res.Units, err = g.loadUnits(ctx); err != nil {
		return res, err
	}
	if o.City {
		if err := g.city(ctx); err != nil {
			return res, err
		}
	}
	if err := g.setProfile(ctx); err != nil {
		return res, err
	}
	if res.People, err = g.loadPeople(ctx); err != nil {
		return res, err
	}
	if res.Users, err = g.users(ctx); err != nil {
		return res, err
	}
	if res.Cases, res.Messages, err = g.cases(ctx); err != nil {
		return res, err
	}
	if o.City {
		if err := g.sendUp(ctx); err != nil {
			return res, err
		}
	}
	if err := g.aftermath(ctx, &res); err != nil {
		return res, err
	}
	if err := g.db.Tx(ctx, func(tx *sql.Tx) error {
		return audit.Append(ctx, tx, a.Clock.Now(), audit.Record{Actor: "cli:demo", Action: audit.BulkAction, Subject: "demo",
			Data: map[string]any{"cases": res.Cases, "messages": res.Messages, "decisions": res.Decisions, "seed": o.Seed, "until": o.Until.String(), "bulk": g.bulk}})
	}); err != nil {
		return res, err
	}
	if !o.NoIndex {
		g.say("building the search index …")
		a.Search.Index.Batch = 4096
		defer func() { a.Search.Index.Batch = 0 }()
		if _, err := a.Search.Index.CatchUp(ctx); err != nil {
			return res, err
		}
	}
	if a.Stats != nil {
		g.say("computing the statistics cache …")
		if _, err := a.Stats.Compute(ctx, auth.System("cli:demo"), o.Until.AddMonths(-o.Months), o.Until); err != nil {
			return res, err
		}
	}
	if a.DB.Engine == store.Postgres {
		g.say("analysing …")
		if _, err := a.DB.Write.ExecContext(ctx, `VACUUM ANALYZE`); err != nil {
			return res, fmt.Errorf("demo: vacuum: %w", err)
		}
	} else {
		if _, err := a.DB.Write.ExecContext(ctx, `ANALYZE`); err != nil {
			return res, fmt.Errorf("demo: analyze: %w", err)
		}
	}
	res.Elapsed = time.Since(start)
	return res, nil
}

// city makes the demo city's offices (loadUnits made its units): the top office becomes 福州市整肃办 and each
// county gets its own (idempotent).
func (g *gen) city(ctx context.Context) error {
	sys := auth.System("cli:demo")
	t, err := g.a.Offices.Tree(ctx)
	if err != nil {
		return err
	}
	if _, err := g.a.Offices.Update(ctx, sys, t.Home().Code, office.Input{Name: "福州市整肃办", Jurisdiction: "FZ"}); err != nil {
		return fmt.Errorf("demo: the city office: %w", err)
	}
	for _, o := range cityOffices {
		if _, err := g.a.Offices.Create(ctx, sys, office.Input{Code: o.code, Name: o.name, Jurisdiction: o.unit}); err != nil && !problem.Is(err, problem.KindConflict) {
			return fmt.Errorf("demo: office %s: %w", o.code, err)
		}
	}
	return nil
}

// sendUp sends the newest open Minqing case that can move up to the city
// (it concerns the county's own leaders), as a county director would.
func (g *gen) sendUp(ctx context.Context) error {
	var id int64
	err := g.db.Read.QueryRowContext(ctx, `SELECT c.id FROM cases c JOIN offices o ON o.id = c.office_id
		WHERE o.code = 'MQ' AND c.state IN `+docket.SQLList(docket.Registered, docket.Accepted)+` AND c.id BETWEEN $1 AND $2 ORDER BY c.id DESC LIMIT 1`, g.firstCase, g.lastCase).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil // too few cases to have an open one
	}
	if err != nil {
		return fmt.Errorf("demo: a case to send up: %w", err)
	}
	home := "main"
	if t, err := g.a.Offices.Tree(ctx); err == nil {
		home = t.Home().Code
	}
	_, err = g.a.Cases.Act(ctx, auth.System("cli:demo"), id, cases.ActionInput{Action: docket.Transfer, Office: home,
		Reason: "反映事项涉及县领导干部，超出县级权限，报送市整肃办办理"})
	if err != nil {
		return fmt.Errorf("demo: send case %d up: %w", id, err)
	}
	return nil
}

func (g *gen) say(format string, args ...any) {
	if g.progress != nil {
		fmt.Fprintf(g.progress, format+"\n", args...)
	}
}

// loadUnits imports the embedded unit tree (idempotent) and reads it back.
func (g *gen) loadUnits(ctx context.Context) (int, error) {
	if _, err := g.a.Org.Import(ctx, auth.System("cli:demo"), unitsCSV); err != nil {
		return 0, fmt.Errorf("demo: import units: %w", err)
	}
	if g.o.City {
		// The city over Minqing (whose parent becomes 福州市) and two more counties.
		if _, err := g.a.Org.Import(ctx, auth.System("cli:demo"), []byte(cityUnits)); err != nil {
			return 0, fmt.Errorf("demo: import the city's units: %w", err)
		}
	}
	rows, err := g.db.Read.QueryContext(ctx, `SELECT u.id, u.code, u.name, u.kind, u.path, COALESCE(p.name, '') FROM units u LEFT JOIN units p ON p.id = u.parent_id ORDER BY u.id`)
	if err != nil {
		return 0, fmt.Errorf("demo: read units: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		u := &unitInfo{}
		var parent string
		if err := rows.Scan(&u.id, &u.code, &u.name, &u.kind, &u.path, &parent); err != nil {
			return 0, err
		}
		u.town = "闽清县"
		switch {
		case strings.HasPrefix(u.code, "YT"):
			u.town = "永泰县"
		case strings.HasPrefix(u.code, "LJ"):
			u.town = "连江县"
		case strings.HasPrefix(u.code, "FZ"):
			u.town = "福州市"
		}
		if u.kind == "town" {
			u.town = u.name
		} else if strings.HasSuffix(parent, "镇") || strings.HasSuffix(parent, "乡") {
			u.town = parent
		}
		g.units = append(g.units, u)
	}
	return len(g.units), rows.Err()
}

var positions = map[string][]string{
	"county":         {"县长", "副县长"},
	"town":           {"镇长", "副镇长", "党委委员", "农业服务中心主任", "村镇建设办主任", "综治办主任"},
	"service_centre": {"中心主任", "副主任", "窗口工作人员", "窗口工作人员", "窗口工作人员"},
	"office":         {"主任", "副主任", "科员"},
	"department":     {"局长", "副局长", "办公室主任", "股长", "科员", "窗口工作人员"},
}

// loadPeople creates people in every unit on the first run and reads them.
func (g *gen) loadPeople(ctx context.Context) (int, error) {
	var n int
	if err := g.db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM people`).Scan(&n); err != nil {
		return 0, fmt.Errorf("demo: count people: %w", err)
	}
	if n == 0 {
		now := store.FormatInstant(g.a.Clock.Now())
		err := g.db.Tx(ctx, func(tx *sql.Tx) error {
			for _, u := range g.units {
				ps := positions[u.kind]
				if len(ps) == 0 {
					ps = positions["department"]
				}
				k := 4 + g.r.IntN(8)
				for i := 0; i < k; i++ {
					if _, err := tx.ExecContext(ctx, `INSERT INTO people (name, unit_id, position, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)`,
						name(g.r), u.id, ps[i%len(ps)], now); err != nil {
						return fmt.Errorf("demo: insert person: %w", err)
					}
				}
			}
			return nil
		})
		if err != nil {
			return 0, err
		}
	}
	byID := map[int64]*unitInfo{}
	for _, u := range g.units {
		byID[u.id] = u
	}
	rows, err := g.db.Read.QueryContext(ctx, `SELECT id, unit_id FROM people ORDER BY id`)
	if err != nil {
		return 0, fmt.Errorf("demo: read people: %w", err)
	}
	defer rows.Close()
	total := 0
	for rows.Next() {
		var id, unit int64
		if err := rows.Scan(&id, &unit); err != nil {
			return 0, err
		}
		if u := byID[unit]; u != nil {
			u.people = append(u.people, id)
		}
		total++
	}
	return total, rows.Err()
}

// users adds one account per role (and three handlers), all with DemoPassword.
func (g *gen) users(ctx context.Context) (int, error) {
	type acct struct {
		name  string
		role  auth.Role
		unit  string
		shown string // the display name
	}
	accts := []acct{{"admin", auth.Admin, "", "林建国"}, {"clerk", auth.Clerk, "", "张丽"}, {"handler", auth.Handler, "", "陈志强"}, {"handler2", auth.Handler, "", "黄秀英"},
		{"handler3", auth.Handler, "", "刘伟"}, {"director", auth.Director, "", "王海峰"}, {"leader", auth.Leader, "", "郑明"}, {"orgdept", auth.OrgDept, "", "吴芳"},
		{"inspector", auth.Inspector, "", "周斌"}, {"liaison", auth.Liaison, "MQ-MC", "许丽华"}, {"auditor", auth.Auditor, "", "何静"}}
	made := 0
	for _, ac := range accts {
		_, err := g.a.Auth.Add(ctx, auth.System("cli:demo"), auth.NewUser{Username: ac.name, Password: DemoPassword, Role: ac.role, Unit: ac.unit, DisplayName: ac.shown})
		if err != nil && !problem.Is(err, problem.KindConflict) && !store.IsUniqueViolation(err) {
			return made, fmt.Errorf("demo: add user %s: %w", ac.name, err)
		}
		if err == nil {
			made++
		}
	}
	if g.o.City {
		// Each county office's own staff.
		for _, o := range cityOffices {
			for _, ac := range []struct {
				suffix string
				role   auth.Role
			}{{"director", auth.Director}, {"clerk", auth.Clerk}, {"handler", auth.Handler}, {"handler2", auth.Handler}, {"leader", auth.Leader}} {
				_, err := g.a.Auth.Add(ctx, auth.System("cli:demo"), auth.NewUser{Username: o.prefix + "-" + ac.suffix, Password: DemoPassword, Role: ac.role, Office: o.code})
				if err != nil && !problem.Is(err, problem.KindConflict) && !store.IsUniqueViolation(err) {
					return made, fmt.Errorf("demo: add user %s-%s: %w", o.prefix, ac.suffix, err)
				}
				if err == nil {
					made++
				}
			}
		}
	}
	g.handlersBy = map[int64][]int64{}
	rows, err := g.db.Read.QueryContext(ctx, `SELECT id, office_id FROM users WHERE role = 'handler' ORDER BY id`)
	if err != nil {
		return made, err
	}
	defer rows.Close()
	for rows.Next() {
		var id, office int64
		if err := rows.Scan(&id, &office); err != nil {
			return made, err
		}
		if !g.o.City || office == 1 {
			g.handlers = append(g.handlers, id)
		}
		g.handlersBy[office] = append(g.handlersBy[office], id)
	}
	return made, rows.Err()
}

// Channel weights (per mille).
var channels = []struct {
	name docket.Channel
	w    int
}{{docket.Web, 300}, {docket.Hotline, 250}, {docket.Letter, 100}, {docket.Walkin, 100}, {docket.Email, 110}, {docket.Inspection, 50},
	{docket.Media, 40}, {docket.Superior, 48}, {docket.Rule, 2}}

func (g *gen) channel() docket.Channel {
	n := g.r.IntN(1000)
	for _, c := range channels {
		if n < c.w {
			return c.name
		}
		n -= c.w
	}
	return docket.Web
}

var msgCols = []string{"id", "case_id", "at", "direction", "author", "body"}

// message is one message of the demo's conversations.
type message struct {
	id, caseID        int64
	at                time.Time
	direction, author string
	body              string
}

func maxID(ctx context.Context, db *sql.DB, table string) (int64, error) {
	var n sql.NullInt64
	if err := db.QueryRowContext(ctx, `SELECT MAX(id) FROM `+table).Scan(&n); err != nil {
		return 0, fmt.Errorf("demo: max id of %s: %w", table, err)
	}
	return n.Int64, nil
}

// one case's life, decided before it is written.
type life struct {
	state                                  docket.State
	deadlines                              docket.Deadlines
	acceptedOn, transferredOn, concludedOn civil.Date
	repliedOn, reviewRequestedOn           civil.Date
	closedAt, ratedAt                      time.Time
	assignee, transferUnit, mergedInto     int64
	finding                                docket.Finding
	rating                                 docket.Rating
	replied                                bool
	extension, reviewCount                 int
	events                                 []lifeEvent
	reply                                  string
}

// lifeEvent is a public line of a case's history the demo writes.
type lifeEvent struct {
	at     time.Time
	action docket.Action
	zh     string
}

func (g *gen) due(from civil.Date, l calendar.Limit) civil.Date {
	d, _ := g.cal.Due(from, l)
	return d
}

func (g *gen) cases(ctx context.Context) (int, int, error) {
	n := g.o.Cases
	first := g.today.AddMonths(-g.o.Months)
	span := first.DaysUntil(g.today) + 1
	// Received instants, ascending, mostly in office hours.
	when := make([]time.Time, n)
	for i := range when {
		d := first.AddDays(g.r.IntN(span))
		sec := 8*3600 + g.r.IntN(10*3600)
		if g.r.IntN(10) == 0 {
			sec = g.r.IntN(24 * 3600) // web and e-mail reports come at any hour
		}
		when[i] = d.Time(g.a.Loc).Add(time.Duration(sec) * time.Second)
	}
	sort.Slice(when, func(i, j int) bool { return when[i].Before(when[j]) })
	now := g.a.Clock.Now()
	if last := g.today.Time(g.a.Loc).Add(24*time.Hour - time.Second); now.After(last) {
		now = last
	}
	for i := range when {
		if when[i].After(now) {
			when[i] = now
		}
	}

	caseID, err := maxID(ctx, g.db.Read, "cases")
	if err != nil {
		return 0, 0, err
	}
	msgID, err := maxID(ctx, g.db.Read, "messages")
	if err != nil {
		return 0, 0, err
	}
	evID, err := maxID(ctx, g.db.Read, "case_events")
	if err != nil {
		return 0, 0, err
	}
	firstCase, firstEv := caseID+1, evID+1
	g.firstCase, g.lastCase = firstCase, caseID+int64(n)
	var targets []*unitInfo
	for _, u := range g.units {
		if u.kind != "office" && u.kind != "county" {
			targets = append(targets, u)
		}
	}
	seenReceipt := map[string]bool{}
	nowT := g.a.Clock.Now()
	version := g.a.Catalog.Version
	offices, err := g.a.Offices.Tree(ctx)
	if err != nil {
		return 0, 0, err
	}
	home := offices.Home().ID
	for _, u := range g.units {
		u.office = home
		if g.o.City {
			u.office = offices.ForUnit(u.path).ID
		}
	}
	messages := 0
	const perTx = 20000
	for lo := 0; lo < n; lo += perTx {
		hi := min(lo+perTx, n)
		ld := docket.NewLoader(g.db.Engine)
		mt := store.NewBulk(g.db.Engine, "messages", msgCols, 1000)
		// Draw everything for this transaction first, so a retried
		// transaction writes the same rows.
		type drawn struct {
			c    docket.Loaded
			msgs []message
			evs  []docket.LoadedEvent
			ppl  []int64
		}
		var batch []drawn
		for i := lo; i < hi; i++ {
			caseID++
			var d drawn
			rcv := when[i]
			rcvOn := civil.In(rcv, g.a.Loc)
			sit := g.sits[g.r.IntN(len(g.sits))]
			u := targets[g.r.IntN(len(targets))]
			w := &words{r: g.r, town: u.town, unit: u.name, received: rcvOn}
			var person int64
			if sit.Subject == catalog.SubjectPerson && len(u.people) > 0 && g.r.IntN(10) < 7 {
				person = u.people[g.r.IntN(len(u.people))]
			}
			w.person = surnames[g.r.IntN(len(surnames))] + "某"
			content := w.content(sit.Category, sit.Example.Zh)
			if g.r.IntN(20) == 0 && g.a.Localizer != nil {
				if t, err := g.a.Localizer.Traditional(content); err == nil {
					content = t // some reporters write in Traditional characters
				}
			}
			ch := g.channel()
			situation, category := sit.Code, sit.Category
			if g.r.IntN(12) == 0 {
				situation, category = "", "" // not yet classified
			}
			code := ""
			for code == "" || seenReceipt[code] {
				if code, err = receipt.NewCode(g.cha); err != nil {
					return 0, 0, err
				}
			}
			seenReceipt[code] = true
			key, err := receipt.NewKey(g.cha)
			if err != nil {
				return 0, 0, err
			}
			anonymous := g.r.IntN(10) < 6
			var sealed []byte
			mask := ""
			if !anonymous {
				id := identity.Identity{Name: name(g.r), Phone: phone(g.r)}
				m, _ := json.Marshal(id.Masked())
				mask = string(m)
				if g.a.Vault != nil {
					if sealed, err = g.a.Vault.SealIdentity(id, intake.IdentityAAD(code)); err != nil {
						return 0, 0, err
					}
				}
			}
			l := g.live(rcvOn, caseID, firstCase, u)
			d.c = docket.Loaded{ID: caseID, Receipt: code, KeyHash: receipt.HashKey(code, key), Channel: ch, State: l.state, ReceivedAt: rcv,
				ReceivedOn: rcvOn, Content: content, Situation: situation, Category: category, CatalogVersion: version, UnitID: u.id,
				PersonID: person, Anonymous: anonymous, Identity: sealed, IdentityMask: mask, Deadlines: l.deadlines, AcceptedOn: l.acceptedOn,
				AssigneeID: l.assignee, TransferUnitID: l.transferUnit, TransferredOn: l.transferredOn, Finding: l.finding,
				ConcludedOn: l.concludedOn, MergedInto: l.mergedInto, ExtensionDays: l.extension, Replied: l.replied, RepliedOn: l.repliedOn,
				ReviewCount: l.reviewCount, ReviewRequestedOn: l.reviewRequestedOn, ClosedAt: l.closedAt, Rating: l.rating, RatedAt: l.ratedAt,
				CreatedBy: "cli:demo", UpdatedAt: nowT, OfficeID: u.office}
			evID++
			reg := map[string]any{"zh": "已登记", "en": "Registered", "channel": ch}
			d.evs = append(d.evs, docket.LoadedEvent{ID: evID, Event: docket.Event{Case: caseID, At: rcv, Actor: "cli:demo", Action: docket.Register, Data: reg, Public: true}})
			for _, e := range l.events {
				evID++
				d.evs = append(d.evs, docket.LoadedEvent{ID: evID, Event: docket.Event{Case: caseID, At: e.at, Actor: "cli:demo", Action: e.action,
					Data: docket.Words{ZH: e.zh}, Public: true}})
			}
			// Messages: questions and answers on a third of the cases, and the formal reply.
			if g.r.IntN(3) == 0 {
				k := 1 + g.r.IntN(3)
				t := rcv
				for j := 0; j < k; j++ {
					t = t.Add(time.Duration(1+g.r.IntN(72)) * time.Hour)
					if t.After(now) {
						break
					}
					msgID++
					m := message{id: msgID, caseID: caseID, at: t, direction: "to_reporter", author: "director", body: w.message(toReporter)}
					if j%2 == 1 {
						m.direction, m.author, m.body = "from_reporter", "", w.message(fromReporter)
					}
					d.msgs = append(d.msgs, m)
				}
			}
			if l.reply != "" {
				msgID++
				d.msgs = append(d.msgs, message{id: msgID, caseID: caseID, at: l.repliedOn.Time(g.a.Loc).Add(10 * time.Hour), direction: "reply",
					author: "director", body: w.fill(l.reply)})
			}
			if person != 0 && l.finding.Substantiated() {
				d.ppl = append(d.ppl, person)
			}
			batch = append(batch, d)
		}
		err := g.db.Tx(ctx, func(tx *sql.Tx) error {
			ld.Reset()
			mt.Reset()
			for _, d := range batch {
				if err := ld.Case(ctx, tx, d.c); err != nil {
					return err
				}
			}
			if err := ld.CaseFlush(ctx, tx); err != nil {
				return err
			}
			for _, d := range batch {
				for _, m := range d.msgs {
					if err := mt.Add(ctx, tx, m.id, m.caseID, store.FormatInstant(m.at), m.direction, m.author, m.body); err != nil {
						return err
					}
				}
				for _, e := range d.evs {
					if err := ld.Event(ctx, tx, e); err != nil {
						return err
					}
				}
				for _, p := range d.ppl {
					if err := ld.Person(ctx, tx, d.c.ID, p); err != nil {
						return err
					}
				}
			}
			if err := ld.Flush(ctx, tx); err != nil {
				return err
			}
			return mt.Flush(ctx, tx)
		})
		if err != nil {
			return 0, 0, err
		}
		messages += mt.N
		g.say("%d of %d cases written", hi, n)
	}
	if g.db.Engine == store.Postgres {
		for _, t := range []string{"cases", "messages", "case_events"} {
			if _, err := g.db.Write.ExecContext(ctx, `SELECT setval(pg_get_serial_sequence('`+t+`', 'id'), (SELECT MAX(id) FROM `+t+`))`); err != nil {
				return 0, 0, fmt.Errorf("demo: move %s sequence: %w", t, err)
			}
		}
	}
	lastEv, err := maxID(ctx, g.db.Read, "case_events")
	if err != nil {
		return 0, 0, err
	}
	g.bulk = audit.Bulk{"cases": {firstCase, g.lastCase}}
	if lastEv >= firstEv {
		g.bulk["case_events"] = [2]int64{firstEv, lastEv}
	}
	return n, messages, nil
}

// live decides what has happened to a case received on rcv by today.
func (g *gen) live(rcv civil.Date, id, firstID int64, u *unitInfo) life {
	l := life{state: docket.Registered}
	l.deadlines.AcceptBy, l.deadlines.Provisional = g.cal.Due(rcv, g.lim.Accept)
	age := rcv.DaysUntil(g.today)
	delay := 1 + g.r.IntN(12)
	if g.r.IntN(8) == 0 {
		delay = 14 + g.r.IntN(10) // late
	}
	fate := g.r.IntN(100)
	if delay > age {
		return l
	}
	d1 := rcv.AddDays(delay)
	ev := func(d civil.Date, action docket.Action, zh string) {
		l.events = append(l.events, lifeEvent{at: d.Time(g.a.Loc).Add(9 * time.Hour), action: action, zh: zh})
	}
	switch {
	case fate < 7:
		l.state = docket.Refused
		ev(d1, docket.Refuse, "不予受理")
		return l
	case fate < 16:
		l.state = docket.Transferred
		l.transferredOn = d1
		l.deadlines.ReturnBy = g.due(d1, g.lim.TransferObjection)
		tu := g.units[g.r.IntN(len(g.units))]
		if g.r.IntN(3) == 0 {
			for _, x := range g.units {
				if x.code == "MQ-MC" {
					tu = x // the demo liaison's unit gets its share
				}
			}
		}
		l.transferUnit = tu.id
		ev(d1, docket.Transfer, "已转交有关单位办理")
		return l
	case fate < 18 && id > firstID:
		l.state = docket.Merged
		l.mergedInto = firstID + g.r.Int64N(id-firstID)
		ev(d1, docket.Merge, "已与相同事项合并办理")
		return l
	}
	l.state = docket.Accepted
	l.acceptedOn = d1
	finish, fp := g.cal.Due(d1, g.lim.Finish)
	l.deadlines.Provisional = l.deadlines.Provisional || fp
	l.deadlines.BaseFinishBy, l.deadlines.FinishBy = finish, finish
	ev(d1, docket.Accept, "已受理")
	if g.r.IntN(20) == 0 {
		l.extension = 30
		ext, _ := g.cal.DueCalendarDays(finish, 30)
		finish = ext
		l.deadlines.FinishBy = finish
	}
	d2 := d1.AddDays(g.r.IntN(4))
	if d2.After(g.today) {
		return l
	}
	l.state = docket.Investigating
	hs := g.handlers
	if g.o.City && len(g.handlersBy[u.office]) > 0 {
		hs = g.handlersBy[u.office]
	}
	l.assignee = hs[g.r.IntN(len(hs))]
	concl := d1.AddDays(10 + g.r.IntN(75))
	if concl.After(g.today) {
		return l
	}
	l.state = docket.Concluded
	l.concludedOn = concl
	switch f := g.r.IntN(100); {
	case f < 35:
		l.finding = docket.Verified
	case f < 55:
		l.finding = docket.PartlyVerified
	default:
		l.finding = docket.Unfounded
	}
	ev(concl, docket.Conclude, "调查已结束")
	reply := concl.AddDays(g.r.IntN(6))
	if reply.After(g.today) {
		return l
	}
	l.replied, l.repliedOn = true, reply
	if l.finding == docket.Unfounded {
		l.reply = replyUnfounded[g.r.IntN(len(replyUnfounded))]
	} else {
		l.reply = replyVerified[g.r.IntN(len(replyVerified))]
	}
	l.deadlines.ReviewRequestBy = g.due(reply, g.lim.ReviewRequest)
	ev(reply, docket.Reply, "本办已作出书面答复")
	closed := reply.AddDays(g.r.IntN(3))
	if closed.After(g.today) {
		return l
	}
	l.state = docket.Closed
	l.closedAt = closed.Time(g.a.Loc).Add(17 * time.Hour)
	ev(closed, docket.Close, "已办结")
	if g.r.IntN(10) < 6 {
		switch r := g.r.IntN(100); {
		case r < 55:
			l.rating = docket.Satisfied
		case r < 80:
			l.rating = docket.BasicallySatisfied
		default:
			l.rating = docket.Dissatisfied
		}
		l.ratedAt = l.closedAt
	}
	if g.r.IntN(25) == 0 {
		req := reply.AddDays(1 + g.r.IntN(20))
		if !req.After(g.today) {
			l.state = docket.Review
			l.reviewCount = 1
			l.reviewRequestedOn = req
			l.deadlines.ReviewBy = g.due(req, g.lim.ReviewAnswer)
			l.replied = false
			l.closedAt = time.Time{}
			ev(req, docket.ReviewRequest, "已申请复查")
		}
	}
	return l
}
