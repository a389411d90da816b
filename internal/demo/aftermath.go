package demo

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"mashang/internal/accountability"
	"mashang/internal/accountability/rules"
	"mashang/internal/auth"
	"mashang/internal/civil"
	"mashang/internal/docket"
	"mashang/internal/inspection"
	"mashang/internal/problem"
	"mashang/internal/publication"
)

// MaxDecisions bounds the accountability decisions one run records: they go
// through the accountability service one transaction each, so a demo of a
// million cases still finishes in minutes.
const MaxDecisions = 2000

// decisionShare is the share (per mille) of the people named by a verified
// conclusion who get a decision.
const decisionShare = 650

// maxRulePeople bounds the people the two-complaints rule is applied to.
const maxRulePeople = 3

// Demo actors of what the services record.
const (
	actorDirector = "user:director"
	actorLeader   = "user:leader"
	actorOrgDept  = "user:orgdept"
)

// aftermath records what follows the cases, through the services so that
// every check and side effect is the real one: the two-complaints rule,
// accountability decisions and appeals, two inspections and the published
// exposures and exemplars. Every choice is drawn from the demo's stream,
// after the cases, in a fixed order.
func (g *gen) aftermath(ctx context.Context, res *Result) error {
	var err error
	g.say("applying the two-complaints rule …")
	if res.RuleCases, err = g.twoComplaints(ctx); err != nil {
		return err
	}
	g.say("recording accountability decisions …")
	ds, err := g.decisions(ctx)
	if err != nil {
		return err
	}
	res.Decisions = len(ds)
	appealed, varied, err := g.appeals(ctx, ds)
	if err != nil {
		return err
	}
	res.Appeals = len(appealed)
	res.Decisions += varied
	g.say("recording inspections …")
	if res.Inspections, res.Visits, err = g.inspections(ctx); err != nil {
		return err
	}
	g.say("publishing exposures and exemplars …")
	if res.Exposures, res.Exemplars, err = g.publications(ctx, ds, appealed); err != nil {
		return err
	}
	return nil
}

// lastDay is the last day the services accept dates on: the demo's last day,
// or today if that is earlier.
func (g *gen) lastDay() civil.Date {
	t := civil.In(g.a.Clock.Now(), g.a.Loc)
	if g.today.Before(t) {
		return g.today
	}
	return t
}

// counting is one case naming a person that counts for the two-complaints rule.
type counting struct {
	person, id, unit    int64
	received, concluded civil.Date
}

// twoComplaints applies the rule (accountability.Service.OnConcluded, the
// conclude hook the SQL-written conclusions skipped) to the people with two
// counting P1 cases received within a year, at most maxRulePeople of them,
// preferring people with exactly two such cases (one rule case each). When
// no person has such a pair, the later of two counting cases of one unit is
// moved to the earlier one's person first, so the rule fires at least once.
// It returns the number of rule cases opened.
func (g *gen) twoComplaints(ctx context.Context) (int, error) {
	rows, err := g.db.Read.QueryContext(ctx, `SELECT cp.person_id, c.id, c.unit_id, c.received_on, c.concluded_on
		FROM cases c JOIN case_people cp ON cp.case_id = c.id
		WHERE c.id >= $1 AND c.id <= $2 AND c.category = $3 AND c.channel <> $4
		  AND c.finding IN `+docket.SQLList(docket.Verified, docket.PartlyVerified)+` AND c.state IN `+docket.SQLList(docket.ConclusionStates...)+`
		ORDER BY cp.person_id, c.received_on, c.id`, g.firstCase, g.lastCase, rules.TwoComplaintsCategory, docket.Rule)
	if err != nil {
		return 0, fmt.Errorf("demo: counting cases: %w", err)
	}
	var all []counting
	for rows.Next() {
		var c counting
		var unit sql.NullInt64
		if err := rows.Scan(&c.person, &c.id, &unit, &c.received, &c.concluded); err != nil {
			rows.Close()
			return 0, fmt.Errorf("demo: counting cases: %w", err)
		}
		c.unit = unit.Int64
		all = append(all, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("demo: counting cases: %w", err)
	}
	var exact, more [][]counting
	for i := 0; i < len(all); {
		j := i
		for j < len(all) && all[j].person == all[i].person {
			j++
		}
		group := all[i:j]
		paired := false
		for k := 1; k < len(group); k++ {
			if rules.WithinOneYear(group[k-1].received, group[k].received) {
				paired = true
			}
		}
		if paired && len(group) == 2 {
			exact = append(exact, group)
		} else if paired {
			more = append(more, group)
		}
		i = j
	}
	picked, most := exact, maxRulePeople
	if len(picked) == 0 {
		// Everyone paired has several cases (a big demo): each opens a rule
		// case per pair, so take one person, with the fewest.
		picked, most = more, 1
	}
	g.r.Shuffle(len(picked), func(i, j int) { picked[i], picked[j] = picked[j], picked[i] })
	sort.SliceStable(picked, func(i, j int) bool { return len(picked[i]) < len(picked[j]) })
	if len(picked) > most {
		picked = picked[:most]
	}
	if len(picked) == 0 {
		group, err := g.makePair(ctx, all)
		if err != nil || group == nil {
			return 0, err
		}
		picked = [][]counting{group}
	}
	var before int
	if err := g.db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM rule_case_links`).Scan(&before); err != nil {
		return 0, fmt.Errorf("demo: rule links: %w", err)
	}
	for _, group := range picked {
		// The hook runs when the later of the cases is concluded.
		last := group[0]
		for _, c := range group[1:] {
			if c.concluded.After(last.concluded) || c.concluded == last.concluded && c.id > last.id {
				last = c
			}
		}
		if err := g.db.Tx(ctx, func(tx *sql.Tx) error {
			return g.a.Accountability.OnConcluded(ctx, tx, last.id)
		}); err != nil {
			return 0, fmt.Errorf("demo: two-complaints rule on case %d: %w", last.id, err)
		}
	}
	var after int
	if err := g.db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM rule_case_links`).Scan(&after); err != nil {
		return 0, fmt.Errorf("demo: rule links: %w", err)
	}
	return after - before, nil
}

// makePair finds two counting cases of one unit, received within a year,
// about different people, and names the earlier case's person in the later
// one too; nil when there are none.
func (g *gen) makePair(ctx context.Context, all []counting) ([]counting, error) {
	byUnit := map[int64][]counting{}
	var units []int64
	for _, c := range all {
		if c.unit == 0 {
			continue
		}
		if _, ok := byUnit[c.unit]; !ok {
			units = append(units, c.unit)
		}
		byUnit[c.unit] = append(byUnit[c.unit], c)
	}
	sort.Slice(units, func(i, j int) bool { return units[i] < units[j] })
	for _, u := range units {
		cs := byUnit[u]
		sort.Slice(cs, func(i, j int) bool { return cs[i].id < cs[j].id })
		for i := range cs {
			for j := i + 1; j < len(cs); j++ {
				a, b := cs[i], cs[j]
				if a.person == b.person || !rules.WithinOneYear(a.received, b.received) {
					continue
				}
				err := g.db.Tx(ctx, func(tx *sql.Tx) error {
					return g.a.Record.ReplacePerson(ctx, tx, b.id, b.person, a.person, g.a.Clock.Now())
				})
				if err != nil {
					return nil, fmt.Errorf("demo: pair cases %d and %d: %w", a.id, b.id, err)
				}
				b.person = a.person
				g.say("no person had two counting cases; case %d now names the person of case %d", b.id, a.id)
				return []counting{a, b}, nil
			}
		}
	}
	return nil, nil
}

// made is a decision the demo recorded.
type made struct {
	accountability.Decision
	category string
	unitID   int64
}

// weighted draws one of codes by weight.
func (g *gen) weighted(codes []string, weights []int) string {
	total := 0
	for _, w := range weights {
		total += w
	}
	n := g.r.IntN(total)
	for i, w := range weights {
		if n < w {
			return codes[i]
		}
		n -= w
	}
	return codes[len(codes)-1]
}

var (
	efficiencySanctions = []string{"admonishing_talk", "circulated_criticism", "efficiency_admonition", "written_review"}
	efficiencyWeights   = []int{30, 30, 28, 12}
	dismissalSanctions  = []string{"reassignment", "suspension", "removal", "demotion", "resign_blame"}
	dismissalWeights    = []int{45, 28, 18, 6, 3}
	governmentSanctions = []string{"gov_warning", "gov_demerit", "gov_major_demerit", "gov_downgrade", "gov_dismissal"}
	governmentWeights   = []int{40, 33, 15, 8, 4}
	partySanctions      = []string{"party_warning", "party_serious_warning", "party_post_removal", "party_probation", "party_expulsion"}
	partyWeights        = []int{40, 28, 12, 15, 5}
)

// sanctions draws a decision's sanctions for a situation category: P1
// (消极应付) mostly efficiency sanctions with some of the dismissal group,
// P2 (作风不严) a little heavier, P3 (为政不廉) more often government and
// party sanctions, sometimes with a dismissal-group measure beside them.
func (g *gen) sanctions(category string) ([]string, int) {
	// Group thresholds (per cent): efficiency, dismissal, government; the rest party.
	th := map[string][3]int{"P1": {82, 97, 100}, "P2": {68, 88, 96}, "P3": {25, 42, 72}}[category]
	if th == [3]int{} {
		th = [3]int{80, 95, 100}
	}
	var out []string
	probation := 0
	switch n := g.r.IntN(100); {
	case n < th[0]:
		out = []string{g.weighted(efficiencySanctions, efficiencyWeights)}
	case n < th[1]:
		out = []string{g.weighted(dismissalSanctions, dismissalWeights)}
		if g.r.IntN(10) < 3 {
			out = append(out, "circulated_criticism")
		}
	case n < th[2]:
		out = []string{g.weighted(governmentSanctions, governmentWeights)}
	default:
		out = []string{g.weighted(partySanctions, partyWeights)}
		if out[0] == rules.SanctionPartyProbation {
			probation = 1 + g.r.IntN(2)
		}
	}
	if len(out) == 1 && (strings.HasPrefix(out[0], "gov_") || strings.HasPrefix(out[0], "party_")) &&
		out[0] != "gov_expulsion" && out[0] != "party_expulsion" && out[0] != "gov_dismissal" && g.r.IntN(10) < 3 {
		out = append(out, g.weighted([]string{"removal", "reassignment"}, []int{1, 1}))
	}
	return out, probation
}

var decisionNotes = []string{
	"经调查核实，依据《福州市机关效能建设工作问责办法》作出处理。",
	"经集体研究，作出如下处理。",
	"本人对问题认识较好，已作书面检讨。",
	"责令限期整改，整改情况报县效能办。",
	"",
}

// decisions records decisions on a share of the people named by verified
// conclusions (at most MaxDecisions), each after its case's conclusion and
// no later than lastDay, under the jurisdiction's rule set.
func (g *gen) decisions(ctx context.Context) ([]made, error) {
	last := g.lastDay()
	rows, err := g.db.Read.QueryContext(ctx, `SELECT c.id, cp.person_id, c.situation, c.category, c.concluded_on, COALESCE(c.unit_id, 0)
		FROM cases c JOIN case_people cp ON cp.case_id = c.id
		WHERE c.id >= $1 AND c.id <= $2 AND c.situation <> '' AND c.concluded_on IS NOT NULL
		  AND c.finding IN `+docket.SQLList(docket.Verified, docket.PartlyVerified)+` AND c.state IN `+docket.SQLList(docket.ConclusionStates...)+`
		ORDER BY c.id, cp.person_id`, g.firstCase, g.lastCase)
	if err != nil {
		return nil, fmt.Errorf("demo: decidable cases: %w", err)
	}
	type cand struct {
		caseID, person, unit int64
		situation, category  string
		concluded            civil.Date
	}
	var cands []cand
	for rows.Next() {
		var c cand
		if err := rows.Scan(&c.caseID, &c.person, &c.situation, &c.category, &c.concluded, &c.unit); err != nil {
			rows.Close()
			return nil, fmt.Errorf("demo: decidable cases: %w", err)
		}
		if c.concluded.Before(last) {
			cands = append(cands, c)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("demo: decidable cases: %w", err)
	}
	share := decisionShare
	if len(cands) > 0 && len(cands)*decisionShare/1000 > MaxDecisions {
		share = MaxDecisions * 1000 / len(cands)
	}
	var out []made
	for _, c := range cands {
		if len(out) >= MaxDecisions {
			break
		}
		if g.r.IntN(1000) >= share {
			continue
		}
		decided := c.concluded.AddDays(1 + g.r.IntN(20))
		if decided.After(last) {
			decided = last
		}
		sanctions, probation := g.sanctions(c.category)
		note := decisionNotes[g.r.IntN(len(decisionNotes))]
		d, err := g.a.Accountability.CreateDecision(ctx, auth.System(actorDirector), c.caseID, accountability.DecisionInput{
			PersonID: c.person, Situation: c.situation, Sanctions: sanctions, DecidedOn: decided,
			ProbationYears: probation, Note: note})
		if err != nil {
			return nil, fmt.Errorf("demo: decision on case %d: %w", c.caseID, err)
		}
		if d.Status == accountability.StatusPending { // the jurisdiction's approval step is on
			if d, err = g.a.Accountability.ApproveDecision(ctx, auth.System(actorLeader), d.ID); err != nil {
				return nil, fmt.Errorf("demo: approve decision %d: %w", d.ID, err)
			}
		}
		out = append(out, made{Decision: d, category: c.category, unitID: c.unit})
		if len(out)%500 == 0 {
			g.say("%d decisions recorded", len(out))
		}
	}
	return out, nil
}

var appealReasons = []string{
	"本人对事实认定有异议：群众所反映的延误系系统故障所致，并非本人推诿。",
	"处理偏重。本人已当场向群众致歉并补办，请求从轻处理。",
	"事发当日本人请假外出，窗口由他人代班，不应由本人承担责任。",
	"认可事实，但认为处理与情节不相当，请求重新考虑。",
}

// appeals files appeals against a few decisions: three upheld, one varied
// (lighter), one revoked, one still open past its decide-by date (so
// supervision shows it) and, when a recent decision allows, one open within
// its time. It returns the appealed decisions' ids and the number of
// replacement decisions made.
func (g *gen) appeals(ctx context.Context, ds []made) (map[int64]bool, int, error) {
	last := g.lastDay()
	appealed := map[int64]bool{}
	perm := g.r.Perm(len(ds))
	pick := func(ok func(made) bool) (made, bool) {
		for _, i := range perm {
			if d := ds[i]; !appealed[d.ID] && ok(d) {
				appealed[d.ID] = true
				return d, true
			}
		}
		return made{}, false
	}
	file := func(d made, filed civil.Date) (accountability.Appeal, error) {
		a, err := g.a.Accountability.FileAppeal(ctx, auth.System(actorOrgDept), d.ID, accountability.AppealInput{
			FiledOn: filed, Reason: appealReasons[g.r.IntN(len(appealReasons))]})
		if err != nil {
			return a, fmt.Errorf("demo: appeal against decision %d: %w", d.ID, err)
		}
		return a, nil
	}
	// Open and overdue: filed long enough ago that the AppealDecide limit has passed.
	if d, ok := pick(func(d made) bool { return d.DecidedOn.AddDays(50).Before(last) }); ok {
		if _, err := file(d, d.DecidedOn.AddDays(1+g.r.IntN(5))); err != nil {
			return nil, 0, err
		}
	}
	varied := 0
	for _, outcome := range []string{accountability.OutcomeUpheld, accountability.OutcomeUpheld, accountability.OutcomeUpheld,
		accountability.OutcomeVaried, accountability.OutcomeRevoked} {
		d, ok := pick(func(d made) bool { return d.DecidedOn.AddDays(10).Before(last) })
		if !ok {
			break
		}
		filed := d.DecidedOn.AddDays(1 + g.r.IntN(4))
		a, err := file(d, filed)
		if err != nil {
			return nil, 0, err
		}
		on := filed.AddDays(3 + g.r.IntN(20))
		if on.After(last) {
			on = last
		}
		in := accountability.OutcomeInput{Outcome: outcome, DecidedOn: on}
		switch outcome {
		case accountability.OutcomeUpheld:
			in.Note = "经复核，原处理决定认定事实清楚，处理适当，维持原决定。"
		case accountability.OutcomeRevoked:
			in.Note = "经复核，延误确系系统故障所致，撤销原处理决定。"
		case accountability.OutcomeVaried:
			in.Sanctions = lighter(d.Sanctions)
			in.Note = "经复核，原处理偏重，予以变更。"
		}
		if _, err := g.a.Accountability.DecideAppeal(ctx, auth.System(actorOrgDept), a.ID, in); err != nil {
			return nil, 0, fmt.Errorf("demo: appeal %d outcome: %w", a.ID, err)
		}
		if outcome == accountability.OutcomeVaried {
			varied++
		}
	}
	// Open and within its time: a decision recent enough to be appealed today.
	if d, ok := pick(func(d made) bool { return !d.DecidedOn.AddDays(10).Before(last) }); ok {
		if _, err := file(d, last); err != nil && !problem.Is(err, problem.KindInvalid) {
			return nil, 0, err
		} else if err != nil {
			delete(appealed, d.ID) // too late to appeal after all
		}
	}
	return appealed, varied, nil
}

// lighter is what an appeal varies sanctions to.
func lighter(s []string) []string {
	for _, c := range s {
		switch {
		case c == "removal" || c == "demotion" || c == "resign_blame":
			return []string{"reassignment"}
		case strings.HasPrefix(c, "gov_") || strings.HasPrefix(c, "party_") || c == "suspension" || c == "reassignment":
			return []string{"admonishing_talk"}
		}
	}
	if len(s) == 1 && s[0] == "written_review" {
		return []string{"efficiency_admonition"}
	}
	return []string{"written_review"}
}

// inspections plans an announced inspection, visited and done, and a covert
// one still in progress, with checklist answers and findings; one finding
// opens a case on channel "inspection". It returns plans and visits made.
func (g *gen) inspections(ctx context.Context) (int, int, error) {
	last := g.lastDay()
	var uid int64
	err := g.db.Read.QueryRowContext(ctx, `SELECT id FROM users WHERE username = 'inspector'`).Scan(&uid)
	if err != nil {
		return 0, 0, fmt.Errorf("demo: inspector account: %w", err)
	}
	p := auth.Principal{UserID: uid, Username: "inspector", Role: auth.Inspector}
	codes := map[string]*unitInfo{}
	for _, u := range g.units {
		codes[u.code] = u
	}
	answers := func(bad ...string) map[string]string {
		out := map[string]string{}
		for _, it := range inspection.DefaultChecklist() {
			out[it.Key] = it.Options[0]
			if it.Key == "attitude" && g.r.IntN(3) == 0 {
				out[it.Key] = "一般"
			}
		}
		for _, k := range bad {
			if k == "attitude" {
				out[k] = "差"
			} else {
				out[k] = "否"
			}
		}
		return out
	}
	at := func(d civil.Date, hour, minute int) time.Time {
		return d.Time(g.a.Loc).Add(time.Duration(hour)*time.Hour + time.Duration(minute)*time.Minute)
	}
	visits := 0
	// The announced inspection, six weeks ago, done.
	from := last.AddDays(-45)
	plan, err := g.a.Inspections.Plan(ctx, p, inspection.PlanInput{
		Title: fmt.Sprintf("%d年便民服务中心作风效能明察", from.Year), Units: []string{"MQ-XZFW", "MQ-MX-BM", "MQ-BZ-BM"},
		From: from, To: from.AddDays(14)})
	if err != nil {
		return 0, 0, fmt.Errorf("demo: plan inspection: %w", err)
	}
	var person *int64
	if u := codes["MQ-BZ-BM"]; u != nil && len(u.people) > 0 {
		pid := u.people[g.r.IntN(len(u.people))]
		person = &pid
	}
	announced := []inspection.VisitInput{
		{At: at(from.AddDays(1), 9, 20+g.r.IntN(30)), Place: "闽清县行政服务中心一楼大厅", Unit: "MQ-XZFW", Answers: answers(),
			Notes: "各窗口人员在岗，叫号有序，办事指南齐全。"},
		{At: at(from.AddDays(3), 10, g.r.IntN(50)), Place: "梅溪镇便民服务中心", Unit: "MQ-MX-BM", Answers: answers("guidance_posted"),
			Notes:    "社保窗口办事指南仍为旧版，现场要求更新。",
			Findings: []inspection.FindingInput{{Text: "社保窗口公示的办事指南未随政策调整更新。", Situation: "U1.1"}}},
		{At: at(from.AddDays(6), 14, 30+g.r.IntN(25)), Place: "白樟镇便民服务中心", Unit: "MQ-BZ-BM", Answers: answers("attitude", "staff_at_post"),
			Notes:    "下午两点半，不动产窗口无人，群众三人等候二十余分钟；工作人员回岗后态度生硬。",
			Findings: []inspection.FindingInput{{Text: "工作时间窗口无人值守，回岗后对等候群众态度生硬。", Situation: "P2.2", PersonID: person, OpenCase: true}}},
	}
	for _, v := range announced {
		if _, err := g.a.Inspections.RecordVisit(ctx, p, plan.ID, v, nil); err != nil {
			return 0, 0, fmt.Errorf("demo: inspection visit: %w", err)
		}
		visits++
	}
	if _, err := g.a.Inspections.Done(ctx, p, plan.ID); err != nil {
		return 0, 0, fmt.Errorf("demo: inspection done: %w", err)
	}
	// The covert inspection, under way.
	from = last.AddDays(-10)
	covert, err := g.a.Inspections.Plan(ctx, p, inspection.PlanInput{
		Title: "暗访：窗口服务“冷硬横推”问题", Covert: true, Units: []string{"MQ-MC-BM", "MQ-JS-BM"},
		From: from, To: last.AddDays(20)})
	if err != nil {
		return 0, 0, fmt.Errorf("demo: plan covert inspection: %w", err)
	}
	secret := []inspection.VisitInput{
		{At: at(last.AddDays(-7), 9, 5+g.r.IntN(40)), Place: "梅城镇便民服务中心", Unit: "MQ-MC-BM", Answers: answers(),
			Notes: "以办事群众身份咨询低保申请，一次性告知所需材料。"},
		{At: at(last.AddDays(-3), 15, 10+g.r.IntN(40)), Place: "金沙镇便民服务中心", Unit: "MQ-JS-BM", Answers: answers("one_time_notice"),
			Notes:    "咨询宅基地审批，工作人员未一次性告知材料，让“回去问村里”。",
			Findings: []inspection.FindingInput{{Text: "咨询宅基地审批时未一次性告知所需材料。", Situation: "P1.2"}}},
	}
	for _, v := range secret {
		if _, err := g.a.Inspections.RecordVisit(ctx, p, covert.ID, v, nil); err != nil {
			return 0, 0, fmt.Errorf("demo: covert visit: %w", err)
		}
		visits++
	}
	return 2, visits, nil
}

// publications proposes, approves and publishes two exposures of cases with
// a decision in force (not appealed; one P1 and one of another category
// where there is one) and two "马上就办" exemplars.
func (g *gen) publications(ctx context.Context, ds []made, appealed map[int64]bool) (int, int, error) {
	publish := func(in publication.Input) error {
		p, err := g.a.Publications.Propose(ctx, auth.System(actorDirector), in)
		if err != nil {
			return err
		}
		if _, err := g.a.Publications.Approve(ctx, auth.System(actorLeader), p.ID); err != nil {
			return err
		}
		_, err = g.a.Publications.Publish(ctx, auth.System(actorDirector), p.ID)
		return err
	}
	unitName := map[int64]string{}
	for _, u := range g.units {
		unitName[u.id] = u.name
	}
	exposures := 0
	usedCase := map[int64]bool{}
	for _, wantP1 := range []bool{true, false} {
		var pool []made
		for _, d := range ds {
			if !appealed[d.ID] && !usedCase[d.CaseID] && d.Status == accountability.StatusInForce && (d.category == "P1") == wantP1 {
				pool = append(pool, d)
			}
		}
		if !wantP1 { // the second exposure: a heavier sanction where there is one
			var heavy []made
			for _, d := range pool {
				if !slices.ContainsFunc(d.Sanctions, func(c string) bool { return slices.Contains(efficiencySanctions, c) }) {
					heavy = append(heavy, d)
				}
			}
			if len(heavy) > 0 {
				pool = heavy
			}
		}
		if len(pool) == 0 {
			continue
		}
		start := g.r.IntN(len(pool))
		for k := range pool {
			d := pool[(start+k)%len(pool)]
			in := g.exposure(d, unitName[d.unitID])
			err := publish(in)
			if problem.Is(err, problem.KindInvalid) {
				continue // the text would reveal the reporter: take another case
			}
			if err != nil {
				return 0, 0, fmt.Errorf("demo: exposure of case %d: %w", d.CaseID, err)
			}
			usedCase[d.CaseID] = true
			exposures++
			break
		}
	}
	exemplars := 0
	for _, in := range exemplarTexts {
		var n int
		if err := g.db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM publications WHERE kind = $1 AND title = $2`, in.Kind, in.Title).Scan(&n); err != nil {
			return 0, 0, fmt.Errorf("demo: exemplars: %w", err)
		}
		if n > 0 {
			continue // an earlier run published it
		}
		if err := publish(in); err != nil {
			return 0, 0, fmt.Errorf("demo: exemplar: %w", err)
		}
		exemplars++
	}
	return exposures, exemplars, nil
}

// exemplarTexts are the demo's exemplars (典型): each praises a unit of the
// demo county by its name (the test holds them to the unit list).
var exemplarTexts = []publication.Input{
	{Kind: publication.KindExemplar, Title: "梅溪镇便民服务中心：群众上午提交材料，当天办结",
		Body: "梅溪镇一位七旬老人到梅溪镇便民服务中心办理养老保险待遇认证。窗口工作人员发现老人行动不便，主动帮助填表、代为核对材料，" +
			"并协调闽清县人力资源和社会保障局当日审核，当天下午即办结，老人当场拿到回执。“马上就办”，让群众少跑腿。"},
	{Kind: publication.KindExemplar, Title: "白樟镇：汛前隐患当天排查、当天整改",
		Body: "群众反映白樟镇一处溪边护栏松动，存在安全隐患。白樟镇接报后一小时内派人赶到现场，当天完成临时加固并设置警示标志，" +
			"三日内完成护栏更换，并将整改情况向群众反馈。"},
}

// exposure writes the public text of a decision: the unit, the situation
// and the sanctions, the cadre by surname only, never the reporter.
func (g *gen) exposure(d made, unit string) publication.Input {
	if unit == "" {
		unit = "闽清县有关单位"
	}
	who := "工作人员"
	if r := []rune(d.PersonName); len(r) > 0 {
		who += string(r[0]) + "某某"
	}
	what := d.Situation
	if sit, ok := g.a.Catalog.Situation(d.Situation); ok {
		what = sit.CategoryName.Zh + "（" + sit.Names.Zh + "）"
	}
	var names []string
	for _, c := range d.Sanctions {
		if s, ok := g.a.Catalog.Sanction(c); ok {
			name := s.Names.Zh
			if c == rules.SanctionPartyProbation && d.ProbationYears > 0 {
				name += fmt.Sprintf("%d年", d.ProbationYears)
			}
			names = append(names, name)
		}
	}
	sanction := strings.Join(names, "、")
	caseID := d.CaseID
	return publication.Input{
		Kind:   publication.KindExposure,
		CaseID: &caseID,
		Title:  fmt.Sprintf("关于%s%s%s问题的通报", unit, who, sitShort(g, d.Situation)),
		Body: fmt.Sprintf("近日，闽清县整肃“为官不为”办公室接到群众反映，%s%s存在%s问题。经调查核实，反映问题属实。"+
			"%s，依据有关规定，给予%s%s处理。各单位要引以为戒，切实转变作风，提高办事效率。",
			unit, who, what, fmt.Sprintf("%d年%d月%d日", d.DecidedOn.Year, int(d.DecidedOn.Month), d.DecidedOn.Day), who, sanction),
	}
}

// sitShort is a short name of the situation for a title.
func sitShort(g *gen, code string) string {
	if sit, ok := g.a.Catalog.Situation(code); ok {
		return sit.CategoryName.Zh
	}
	return "为官不为"
}
