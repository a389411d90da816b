// Package rules computes what accountability decisions entail for a person:
// whether they may be promoted on a given date and rated excellent (评优评先)
// in a given year, why not and until when; it also finds pairs of verified
// complaints that trigger the "twice within one year" rule. Everything here is
// a pure function of its arguments.
//
// Appeals (申诉) are represented by the caller: an appeal "upheld" changes
// nothing; "revoked" sets Decision.Revoked; "varied" is passed as a new
// Decision carrying the new sanctions and the new decided date, with the old
// decision marked Revoked.
package rules

import (
	"cmp"
	"fmt"
	"slices"

	"mashang/internal/catalog"
	"mashang/internal/civil"
)

// Decision is one accountability decision about one person.
type Decision struct {
	ID        int64
	PersonID  int64
	Sanctions []string // sanction codes of the catalogue
	DecidedOn civil.Date
	// EffectiveOn is the date the decision takes effect; zero means DecidedOn.
	EffectiveOn civil.Date
	// ProbationYears is the probation period of party_probation (1 or 2).
	ProbationYears int
	// RuleSet is the code of the rule set the decision was made under; empty
	// means catalog.DefaultRuleSet.
	RuleSet string
	// Revoked decisions (appeal outcome "revoked", or replaced by a "varied"
	// outcome) never count.
	Revoked bool
}

// Effective is the date the decision takes effect: EffectiveOn, or DecidedOn
// when EffectiveOn is zero.
func (d Decision) Effective() civil.Date {
	if d.EffectiveOn.IsZero() {
		return d.DecidedOn
	}
	return d.EffectiveOn
}

func (d Decision) ruleSet() string {
	if d.RuleSet == "" {
		return catalog.DefaultRuleSet
	}
	return d.RuleSet
}

// Reason is one bar in force: which decision and sanction, under which rule,
// from when and until when.
type Reason struct {
	DecisionID int64  `json:"decision_id"`
	Sanction   string `json:"sanction"`
	RuleSet    string `json:"rule_set"`
	// Rule is the rule set's code and the rule in words (Simplified Chinese),
	// e.g. "fuzhou-2015: 2年内不得提拔".
	Rule string `json:"rule"`
	// Text is the rule in words, in Chinese and English.
	Text catalog.Text `json:"text"`
	From civil.Date   `json:"from"`
	// Until is the first date the bar no longer holds; nil when permanent.
	Until     *civil.Date `json:"until"`
	Permanent bool        `json:"permanent"`
}

// Promotion answers "may this person be promoted on date On?".
type Promotion struct {
	Eligible bool `json:"eligible"`
	// Until is the first date promotion is allowed again; nil when not barred
	// or barred for good.
	Until     *civil.Date `json:"until"`
	Permanent bool        `json:"permanent"`
	// Reasons lists every bar in force on the date, the binding one first
	// (permanent bars, then the latest Until).
	Reasons []Reason `json:"reasons"`
}

// Excellence answers "may this person be rated excellent / selected as
// advanced for Year?".
type Excellence struct {
	Year     int      `json:"year"`
	Eligible bool     `json:"eligible"`
	Reasons  []Reason `json:"reasons"`
}

// Result is the answer of Eligibility; it marshals to the JSON of
// GET /api/v1/people/{id}/eligibility.
type Result struct {
	On         civil.Date `json:"on"`
	Promotion  Promotion  `json:"promotion"`
	Excellence Excellence `json:"excellence"`
}

// SanctionPartyProbation is the one sanction whose bar depends on the
// decision's ProbationYears.
const SanctionPartyProbation = "party_probation"

// ValidateDecision checks what Eligibility needs of a decision: a decided
// date, a known rule set, known sanctions (at least one, no repeats) and, for
// party_probation, a probation of 1 or 2 years. Call it before storing one.
func ValidateDecision(d Decision, sets map[string]*catalog.RuleSet) error {
	if d.DecidedOn.IsZero() {
		return fmt.Errorf("rules: decision %d has no decided date", d.ID)
	}
	if !d.EffectiveOn.IsZero() && d.EffectiveOn.Before(d.DecidedOn) {
		return fmt.Errorf("rules: decision %d takes effect %s, before it was decided %s", d.ID, d.EffectiveOn, d.DecidedOn)
	}
	rs, ok := sets[d.ruleSet()]
	if !ok || rs == nil {
		return fmt.Errorf("rules: decision %d uses unknown rule set %q", d.ID, d.ruleSet())
	}
	if len(d.Sanctions) == 0 {
		return fmt.Errorf("rules: decision %d has no sanctions", d.ID)
	}
	seen := make(map[string]bool, len(d.Sanctions))
	for _, s := range d.Sanctions {
		if seen[s] {
			return fmt.Errorf("rules: decision %d lists sanction %s twice", d.ID, s)
		}
		seen[s] = true
		r, ok := rs.Rule(s)
		if !ok {
			return fmt.Errorf("rules: decision %d: rule set %s has no rule for sanction %q", d.ID, rs.Code, s)
		}
		if r.Promotion.Kind == catalog.BarProbationPlus && (d.ProbationYears < 1 || d.ProbationYears > 2) {
			return fmt.Errorf("rules: decision %d: %s needs a probation of 1 or 2 years, got %d", d.ID, s, d.ProbationYears)
		}
	}
	return nil
}

// PromotionBar is the bar one rule puts on a decision: the first date
// promotion is allowed again (until), or permanent; barred is false when the
// rule sets no bar.
func PromotionBar(d Decision, r catalog.Rule) (until civil.Date, permanent, barred bool) {
	eff := d.Effective()
	switch r.Promotion.Kind {
	case catalog.BarMonths:
		return eff.AddMonths(r.Promotion.N), false, true
	case catalog.BarYears:
		return eff.AddYears(r.Promotion.N), false, true
	case catalog.BarProbationPlus:
		return eff.AddYears(d.ProbationYears + r.Promotion.N), false, true
	case catalog.BarPermanent:
		return civil.Date{}, true, true
	}
	return civil.Date{}, false, false
}

// Eligibility answers, for one person's decisions, whether they may be
// promoted on date on and rated excellent in on's year.
//
// A bar of N years (months) from effective date d holds on every date D with
// d <= D < d.AddYears(N) (AddMonths), clamping 29 February; the longest bar
// gives Promotion.Until, and every bar in force is listed. The excellence bar
// covers the calendar year of the decision's *effective* date (DOMAIN: "that
// year"; for a decision decided in late December and taking effect in January
// it is the January year). Revoked decisions never count; a decision that
// takes effect after on does not bar yet. All decisions must be about the
// same person; an invalid decision (see ValidateDecision) is an error, never
// silently ignored.
func Eligibility(on civil.Date, decisions []Decision, sets map[string]*catalog.RuleSet) (Result, error) {
	res := Result{
		On:         on,
		Promotion:  Promotion{Eligible: true, Reasons: []Reason{}},
		Excellence: Excellence{Year: on.Year, Eligible: true, Reasons: []Reason{}},
	}
	if on.IsZero() {
		return res, fmt.Errorf("rules: no date to answer for")
	}
	person, havePerson := int64(0), false
	var latest civil.Date
	for _, d := range decisions {
		if d.Revoked {
			continue
		}
		if havePerson && d.PersonID != person {
			return res, fmt.Errorf("rules: decisions %d and others concern different people", d.ID)
		}
		person, havePerson = d.PersonID, true
		if err := ValidateDecision(d, sets); err != nil {
			return res, err
		}
		eff := d.Effective()
		if eff.After(on) {
			continue
		}
		rs := sets[d.ruleSet()]
		for _, s := range d.Sanctions {
			r, _ := rs.Rule(s)
			if until, permanent, barred := PromotionBar(d, r); barred && (permanent || on.Before(until)) {
				reason := Reason{
					DecisionID: d.ID, Sanction: s, RuleSet: rs.Code, From: eff, Permanent: permanent,
					Text: describe(r, d.ProbationYears),
				}
				reason.Rule = rs.Code + ": " + reason.Text.Zh
				if permanent {
					res.Promotion.Permanent = true
				} else {
					u := until
					reason.Until = &u
					if until.After(latest) {
						latest = until
					}
				}
				res.Promotion.Reasons = append(res.Promotion.Reasons, reason)
			}
			if r.RemovesExcellence && eff.Year == on.Year {
				next := civil.Date{Year: eff.Year + 1, Month: 1, Day: 1}
				res.Excellence.Reasons = append(res.Excellence.Reasons, Reason{
					DecisionID: d.ID, Sanction: s, RuleSet: rs.Code, From: eff, Until: &next,
					Rule: fmt.Sprintf("%s: %d年度不得评优评先", rs.Code, eff.Year),
					Text: catalog.Text{
						Zh: fmt.Sprintf("%d年度不得评优评先", eff.Year),
						En: fmt.Sprintf("no excellent rating or advanced selection for %d", eff.Year),
					},
				})
			}
		}
	}
	if len(res.Promotion.Reasons) > 0 {
		res.Promotion.Eligible = false
		if !res.Promotion.Permanent {
			res.Promotion.Until = &latest
		}
	}
	res.Excellence.Eligible = len(res.Excellence.Reasons) == 0
	slices.SortFunc(res.Promotion.Reasons, bindingFirst)
	slices.SortFunc(res.Excellence.Reasons, func(a, b Reason) int {
		return cmp.Or(a.From.Compare(b.From), cmp.Compare(a.DecisionID, b.DecisionID), cmp.Compare(a.Sanction, b.Sanction))
	})
	return res, nil
}

// bindingFirst orders permanent bars first, then the latest Until, then by
// decision and sanction.
func bindingFirst(a, b Reason) int {
	if a.Permanent != b.Permanent {
		if a.Permanent {
			return -1
		}
		return 1
	}
	if a.Until != nil && b.Until != nil {
		if c := b.Until.Compare(*a.Until); c != 0 {
			return c
		}
	}
	return cmp.Or(cmp.Compare(a.DecisionID, b.DecisionID), cmp.Compare(a.Sanction, b.Sanction))
}

func describe(r catalog.Rule, probationYears int) catalog.Text {
	t := catalog.Text{
		Zh: r.Promotion.Describe(catalog.LangZhCN, probationYears),
		En: r.Promotion.Describe(catalog.LangEn, probationYears),
	}
	if r.Note != nil {
		t.Zh += "（" + r.Note.Zh + "）"
		t.En += " (" + r.Note.En + ")"
	}
	return t
}
