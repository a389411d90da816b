package catalog

import (
	"fmt"
	"sync"

	"github.com/longbridgeapp/opencc"
)

// Localizer turns Simplified Chinese into Traditional Chinese (Taiwan
// standard with phrases, OpenCC "s2twp"). Building one loads OpenCC's
// dictionaries and is slow: make one at start-up and pass it around. It is
// safe for concurrent use; conversions are remembered.
type Localizer struct {
	mu    sync.Mutex
	cc    *opencc.OpenCC
	cache map[string]string
}

// NewLocalizer builds the s2twp converter.
func NewLocalizer() (*Localizer, error) {
	cc, err := opencc.New("s2twp")
	if err != nil {
		return nil, fmt.Errorf("catalog: build OpenCC s2twp converter: %w", err)
	}
	return &Localizer{cc: cc, cache: map[string]string{}}, nil
}

// Traditional converts s to Traditional Chinese (Taiwan).
func (l *Localizer) Traditional(s string) (string, error) {
	if s == "" {
		return "", nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if t, ok := l.cache[s]; ok {
		return t, nil
	}
	t, err := l.cc.Convert(s)
	if err != nil {
		return "", fmt.Errorf("catalog: convert to Traditional: %w", err)
	}
	l.cache[s] = t
	return t, nil
}

// Fill sets t.ZhTW from t.Zh unless the data already gives a Traditional form.
func (l *Localizer) Fill(t Text) (Text, error) {
	if t.ZhTW != "" {
		return t, nil
	}
	tw, err := l.Traditional(t.Zh)
	if err != nil {
		return t, err
	}
	t.ZhTW = tw
	return t, nil
}

// Localize returns a copy of c with the Traditional form of every text
// (names, category names, examples, sanction and group names, source)
// computed once, so that Name("zh-TW") and View("zh-TW", …) need no
// conversion per request.
func (l *Localizer) Localize(c *Catalog) (*Catalog, error) {
	out := *c
	var err error
	fill := func(t *Text) {
		if err == nil {
			*t, err = l.Fill(*t)
		}
	}
	fill(&out.Source)
	out.Situations = append([]Situation(nil), c.Situations...)
	for i := range out.Situations {
		fill(&out.Situations[i].Names)
		fill(&out.Situations[i].CategoryName)
		fill(&out.Situations[i].Example)
	}
	out.Sanctions = append([]Sanction(nil), c.Sanctions...)
	for i := range out.Sanctions {
		fill(&out.Sanctions[i].Names)
	}
	out.Groups = append([]SanctionGroup(nil), c.Groups...)
	for i := range out.Groups {
		fill(&out.Groups[i].Names)
	}
	if err != nil {
		return nil, fmt.Errorf("catalog: localize %s: %w", c.Version, err)
	}
	return &out, nil
}

// LocalizeRuleSet returns a copy of rs with Traditional forms of its name,
// source and notes.
func (l *Localizer) LocalizeRuleSet(rs *RuleSet) (*RuleSet, error) {
	out := *rs
	var err error
	if out.Name, err = l.Fill(rs.Name); err != nil {
		return nil, err
	}
	if out.Source, err = l.Fill(rs.Source); err != nil {
		return nil, err
	}
	out.Rules = make(map[string]Rule, len(rs.Rules))
	for code, r := range rs.Rules {
		if r.Note != nil {
			n, err := l.Fill(*r.Note)
			if err != nil {
				return nil, err
			}
			r.Note = &n
		}
		out.Rules[code] = r
	}
	return &out, nil
}
