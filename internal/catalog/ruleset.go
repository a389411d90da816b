package catalog

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
)

// DefaultRuleSet is the code of the rule set a jurisdiction uses unless it
// picks another.
const DefaultRuleSet = "fuzhou-2015"

// Kinds of promotion bar.
const (
	BarNone          = "none"           // no bar
	BarMonths        = "months"         // N months from the effective date
	BarYears         = "years"          // N years from the effective date
	BarPermanent     = "permanent"      // never again
	BarProbationPlus = "probation_plus" // the decision's probation years, plus N years
)

// Bar is how long a sanction bars promotion, counted from the date the
// decision takes effect.
type Bar struct {
	Kind string `json:"kind"`
	N    int    `json:"n,omitempty"`
}

// Describe is a short human text for the bar in lang, e.g. "2年内不得提拔" or
// "no promotion for 2 years". probationYears is used for BarProbationPlus.
func (b Bar) Describe(lang string, probationYears int) string {
	en := NormalizeLang(lang) == LangEn
	switch b.Kind {
	case BarNone:
		if en {
			return "no promotion bar"
		}
		return "不影响提拔"
	case BarMonths:
		if en {
			return fmt.Sprintf("no promotion for %d months", b.N)
		}
		return fmt.Sprintf("%d个月内不得提拔", b.N)
	case BarYears:
		if en {
			return fmt.Sprintf("no promotion for %d %s", b.N, plural(b.N, "year"))
		}
		return fmt.Sprintf("%d年内不得提拔", b.N)
	case BarProbationPlus:
		if en {
			return fmt.Sprintf("no promotion during the %d-year probation and %d %s after it",
				probationYears, b.N, plural(b.N, "year"))
		}
		return fmt.Sprintf("察看期%d年及其后%d年内不得提拔", probationYears, b.N)
	case BarPermanent:
		if en {
			return "never to be promoted"
		}
		return "永久不得提拔"
	}
	return b.Kind
}

func plural(n int, w string) string {
	if n == 1 {
		return w
	}
	return w + "s"
}

func (b Bar) validate() error {
	switch b.Kind {
	case BarNone, BarPermanent:
		if b.N != 0 {
			return fmt.Errorf("bar %q takes no n", b.Kind)
		}
	case BarMonths, BarYears:
		if b.N < 1 || b.N > 600 {
			return fmt.Errorf("bar %q needs n between 1 and 600, got %d", b.Kind, b.N)
		}
	case BarProbationPlus:
		if b.N < 0 || b.N > 50 {
			return fmt.Errorf("bar %q needs n between 0 and 50, got %d", b.Kind, b.N)
		}
	default:
		return fmt.Errorf("unknown bar kind %q", b.Kind)
	}
	return nil
}

// Rule is what one sanction entails under a rule set.
type Rule struct {
	// Promotion is the bar on promotion (to a higher post or level).
	Promotion Bar `json:"promotion"`
	// RemovesExcellence: no "excellent" rating (评优) and no selection as
	// "advanced" (评先) in the calendar year the decision takes effect.
	RemovesExcellence bool `json:"removes_excellence"`
	// LeadershipPost, when set, is a further bar on holding any leadership
	// post at all (national-2019: one year). Informational: Eligibility
	// answers for promotion, which the longer Promotion bar covers.
	LeadershipPost *Bar `json:"leadership_post,omitempty"`
	// Note explains anything the bars do not say.
	Note *Text `json:"note,omitempty"`
}

// RuleSet is a named set of rules, one per sanction code.
type RuleSet struct {
	Code   string          `json:"code"`
	Name   Text            `json:"name"`
	Source Text            `json:"source"`
	Rules  map[string]Rule `json:"rules"`
}

// Rule returns the rule for a sanction code.
func (rs *RuleSet) Rule(sanction string) (Rule, bool) {
	r, ok := rs.Rules[sanction]
	return r, ok
}

// Covers checks that the rule set has a rule for every sanction of c and
// none for a sanction c does not know.
func (rs *RuleSet) Covers(c *Catalog) error {
	for _, s := range c.Sanctions {
		if _, ok := rs.Rules[s.Code]; !ok {
			return fmt.Errorf("catalog: rule set %s has no rule for sanction %s", rs.Code, s.Code)
		}
	}
	codes := make([]string, 0, len(rs.Rules))
	for code := range rs.Rules {
		codes = append(codes, code)
	}
	sort.Strings(codes)
	for _, code := range codes {
		if _, ok := c.Sanction(code); !ok {
			return fmt.Errorf("catalog: rule set %s has a rule for unknown sanction %s", rs.Code, code)
		}
	}
	return nil
}

// ParseRuleSet reads and validates one rule-set document (the format of the
// embedded data/rulesets/*.json).
func ParseRuleSet(b []byte) (*RuleSet, error) {
	if len(b) > MaxSize {
		return nil, fmt.Errorf("catalog: rule set of %d bytes exceeds %d", len(b), MaxSize)
	}
	var rs RuleSet
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rs); err != nil {
		return nil, fmt.Errorf("catalog: decode rule set: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("catalog: trailing data after the rule set")
	}
	rs.Code = strings.TrimSpace(rs.Code)
	if rs.Code == "" {
		return nil, fmt.Errorf("catalog: rule set code is missing")
	}
	if !rs.Name.complete() {
		return nil, fmt.Errorf("catalog: rule set %s needs zh and en names", rs.Code)
	}
	if !rs.Source.complete() {
		return nil, fmt.Errorf("catalog: rule set %s needs a zh and en source citation", rs.Code)
	}
	if len(rs.Rules) == 0 {
		return nil, fmt.Errorf("catalog: rule set %s has no rules", rs.Code)
	}
	for code, r := range rs.Rules {
		if !sanctionCode.MatchString(code) {
			return nil, fmt.Errorf("catalog: rule set %s: sanction code %q must be snake_case", rs.Code, code)
		}
		if err := r.Promotion.validate(); err != nil {
			return nil, fmt.Errorf("catalog: rule set %s, sanction %s: %w", rs.Code, code, err)
		}
		if r.LeadershipPost != nil {
			if err := r.LeadershipPost.validate(); err != nil {
				return nil, fmt.Errorf("catalog: rule set %s, sanction %s, leadership_post: %w", rs.Code, code, err)
			}
		}
		if r.Note != nil && !r.Note.complete() {
			return nil, fmt.Errorf("catalog: rule set %s, sanction %s: note needs zh and en", rs.Code, code)
		}
	}
	return &rs, nil
}

// RuleSets parses every embedded rule set, keyed by code. It always contains
// DefaultRuleSet.
func RuleSets() (map[string]*RuleSet, error) {
	const dir = "data/rulesets"
	entries, err := fs.ReadDir(dataFS, dir)
	if err != nil {
		return nil, fmt.Errorf("catalog: list embedded rule sets: %w", err)
	}
	out := make(map[string]*RuleSet, len(entries))
	for _, e := range entries {
		if e.IsDir() || path.Ext(e.Name()) != ".json" {
			continue
		}
		b, err := dataFS.ReadFile(path.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("catalog: read embedded rule set %s: %w", e.Name(), err)
		}
		rs, err := ParseRuleSet(b)
		if err != nil {
			return nil, fmt.Errorf("catalog: embedded %s: %w", e.Name(), err)
		}
		if _, dup := out[rs.Code]; dup {
			return nil, fmt.Errorf("catalog: embedded rule set %s defined twice", rs.Code)
		}
		out[rs.Code] = rs
	}
	if _, ok := out[DefaultRuleSet]; !ok {
		return nil, fmt.Errorf("catalog: default rule set %s is not embedded", DefaultRuleSet)
	}
	return out, nil
}
