// Package catalog holds the accountability catalogue — the 30 situations of
// Fuzhou's 2015 interim measures and the 21 sanctions — and the rule sets that
// say how long each sanction bars promotion. Both are versioned data embedded
// in the binary; an administrator may load a new version with Parse and
// ParseRuleSet. Nothing here touches a database.
package catalog

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"mashang/internal/civil"
)

//go:embed data/catalog-fuzhou-2015.json data/rulesets/*.json
var dataFS embed.FS

// DefaultFile is the embedded catalogue Load reads.
const DefaultFile = "data/catalog-fuzhou-2015.json"

// Subjects of a situation.
const (
	SubjectUnit   = "unit"
	SubjectPerson = "person"
)

// Sanction groups.
const (
	GroupEfficiency = "efficiency" // 效能问责
	GroupDismissal  = "dismissal"  // "下课"处理
	GroupGovernment = "government" // 政务处分
	GroupParty      = "party"      // 党纪处分
)

// Languages a catalogue can be shown in.
const (
	LangZhCN = "zh-CN"
	LangZhTW = "zh-TW"
	LangEn   = "en"
)

// NormalizeLang maps a language tag to one of LangZhCN, LangZhTW or LangEn.
// Traditional-script tags (zh-TW, zh-HK, zh-MO, zh-Hant…) give LangZhTW, any
// English tag gives LangEn, and everything else (unknown or empty) LangZhCN.
func NormalizeLang(lang string) string {
	l := strings.ToLower(strings.TrimSpace(lang))
	switch {
	case l == "en" || strings.HasPrefix(l, "en-") || strings.HasPrefix(l, "en_"):
		return LangEn
	case strings.HasPrefix(l, "zh-hant"), strings.HasPrefix(l, "zh_hant"),
		l == "zh-tw" || l == "zh_tw" || l == "zh-hk" || l == "zh_hk" || l == "zh-mo" || l == "zh_mo":
		return LangZhTW
	}
	return LangZhCN
}

// Text is a short text in Simplified Chinese and English; ZhTW holds the
// Traditional (Taiwan) form, filled by a Localizer unless the data gives it.
type Text struct {
	Zh   string `json:"zh"`
	En   string `json:"en"`
	ZhTW string `json:"zh_tw,omitempty"`
}

// In returns the text in lang (see NormalizeLang). zh-TW falls back to the
// Simplified text when no Traditional form is known.
func (t Text) In(lang string) string {
	switch NormalizeLang(lang) {
	case LangEn:
		return t.En
	case LangZhTW:
		if t.ZhTW != "" {
			return t.ZhTW
		}
	}
	return t.Zh
}

func (t Text) complete() bool { return strings.TrimSpace(t.Zh) != "" && strings.TrimSpace(t.En) != "" }

// Situation is one of the catalogue's situations for which a unit or a person
// is held accountable.
type Situation struct {
	Code         string // stable code, e.g. "P1.2"
	Subject      string // SubjectUnit or SubjectPerson
	Category     string // e.g. "P1"
	Names        Text   // the situation's own name, e.g. 群众
	CategoryName Text   // the category's name, e.g. 消极应付
	Example      Text   // one plain sentence a member of the public understands
	Initials     string // pinyin initials of category and name, e.g. "xjyf qz"
}

// Name is the situation's name in lang ("zh-CN", "zh-TW", "en").
func (s Situation) Name(lang string) string { return s.Names.In(lang) }

// Sanction is an accountability method or disciplinary sanction.
type Sanction struct {
	Code  string // e.g. "demotion"
	Group string // GroupEfficiency, GroupDismissal, GroupGovernment or GroupParty
	Names Text
}

// Name is the sanction's name in lang.
func (s Sanction) Name(lang string) string { return s.Names.In(lang) }

// SanctionGroup names a group of sanctions.
type SanctionGroup struct {
	Code  string
	Names Text
}

// Catalog is one version of the catalogue. Treat it as read-only once built.
type Catalog struct {
	Version       string
	EffectiveFrom civil.Date
	Source        Text
	Situations    []Situation
	Sanctions     []Sanction
	Groups        []SanctionGroup
}

// Situation looks a situation up by code.
func (c *Catalog) Situation(code string) (Situation, bool) {
	for _, s := range c.Situations {
		if s.Code == code {
			return s, true
		}
	}
	return Situation{}, false
}

// Sanction looks a sanction up by code.
func (c *Catalog) Sanction(code string) (Sanction, bool) {
	for _, s := range c.Sanctions {
		if s.Code == code {
			return s, true
		}
	}
	return Sanction{}, false
}

// Group looks a sanction group up by code.
func (c *Catalog) Group(code string) (SanctionGroup, bool) {
	for _, g := range c.Groups {
		if g.Code == code {
			return g, true
		}
	}
	return SanctionGroup{}, false
}

// EmbeddedDocument is the embedded default catalogue as written.
func EmbeddedDocument() ([]byte, error) {
	b, err := dataFS.ReadFile(DefaultFile)
	if err != nil {
		return nil, fmt.Errorf("catalog: read embedded %s: %w", DefaultFile, err)
	}
	return b, nil
}

// Load parses the embedded default catalogue.
func Load() (*Catalog, error) {
	b, err := dataFS.ReadFile(DefaultFile)
	if err != nil {
		return nil, fmt.Errorf("catalog: read embedded %s: %w", DefaultFile, err)
	}
	c, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("catalog: embedded %s: %w", DefaultFile, err)
	}
	return c, nil
}

// The file format.
type fileCatalog struct {
	Version       string         `json:"version"`
	EffectiveFrom civil.Date     `json:"effective_from"`
	Source        Text           `json:"source"`
	Categories    []fileCategory `json:"categories"`
	Groups        []fileGroup    `json:"sanction_groups"`
	Sanctions     []fileSanction `json:"sanctions"`
}

type fileCategory struct {
	Code       string          `json:"code"`
	Subject    string          `json:"subject"`
	Zh         string          `json:"zh"`
	En         string          `json:"en"`
	ZhTW       string          `json:"zh_tw,omitempty"`
	Initials   string          `json:"initials"`
	Situations []fileSituation `json:"situations"`
}

type fileSituation struct {
	Code     string `json:"code"`
	Zh       string `json:"zh"`
	En       string `json:"en"`
	ZhTW     string `json:"zh_tw,omitempty"`
	Initials string `json:"initials"`
	Example  Text   `json:"example"`
}

type fileGroup struct {
	Code string `json:"code"`
	Zh   string `json:"zh"`
	En   string `json:"en"`
	ZhTW string `json:"zh_tw,omitempty"`
}

type fileSanction struct {
	Code  string `json:"code"`
	Group string `json:"group"`
	Zh    string `json:"zh"`
	En    string `json:"en"`
	ZhTW  string `json:"zh_tw,omitempty"`
}

var (
	categoryCode  = regexp.MustCompile(`^[UP][1-9][0-9]?$`)
	situationCode = regexp.MustCompile(`^([UP][1-9][0-9]?)\.[1-9][0-9]?$`)
	sanctionCode  = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)
	initialsRe    = regexp.MustCompile(`^[a-z]+( [a-z]+)*$`)
)

// MaxSize is the largest catalogue or rule-set document Parse accepts.
const MaxSize = 1 << 20

// Parse reads and validates a catalogue document (the format of the embedded
// data/catalog-fuzhou-2015.json). It rejects unknown fields, missing texts,
// duplicate codes, codes whose category prefix does not match, and subjects
// that do not match the category (U… is "unit", P… is "person").
func Parse(b []byte) (*Catalog, error) {
	if len(b) > MaxSize {
		return nil, fmt.Errorf("catalog: document of %d bytes exceeds %d", len(b), MaxSize)
	}
	var f fileCatalog
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("catalog: decode: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("catalog: trailing data after the document")
	}
	c := &Catalog{Version: strings.TrimSpace(f.Version), EffectiveFrom: f.EffectiveFrom, Source: f.Source}
	if c.Version == "" {
		return nil, fmt.Errorf("catalog: version is missing")
	}
	if c.EffectiveFrom.IsZero() {
		return nil, fmt.Errorf("catalog: effective_from is missing")
	}
	if len(f.Categories) == 0 {
		return nil, fmt.Errorf("catalog: no categories")
	}
	seenCat := map[string]bool{}
	seenSit := map[string]bool{}
	for _, cat := range f.Categories {
		if !categoryCode.MatchString(cat.Code) {
			return nil, fmt.Errorf("catalog: category code %q is not like U1 or P3", cat.Code)
		}
		if seenCat[cat.Code] {
			return nil, fmt.Errorf("catalog: duplicate category %s", cat.Code)
		}
		seenCat[cat.Code] = true
		want := SubjectUnit
		if cat.Code[0] == 'P' {
			want = SubjectPerson
		}
		if cat.Subject != want {
			return nil, fmt.Errorf("catalog: category %s has subject %q, want %q", cat.Code, cat.Subject, want)
		}
		catName := Text{Zh: cat.Zh, En: cat.En, ZhTW: cat.ZhTW}
		if !catName.complete() {
			return nil, fmt.Errorf("catalog: category %s needs zh and en names", cat.Code)
		}
		if !initialsRe.MatchString(cat.Initials) {
			return nil, fmt.Errorf("catalog: category %s initials %q must be lower-case letters", cat.Code, cat.Initials)
		}
		if len(cat.Situations) == 0 {
			return nil, fmt.Errorf("catalog: category %s has no situations", cat.Code)
		}
		for _, s := range cat.Situations {
			m := situationCode.FindStringSubmatch(s.Code)
			if m == nil {
				return nil, fmt.Errorf("catalog: situation code %q is not like P1.2", s.Code)
			}
			if m[1] != cat.Code {
				return nil, fmt.Errorf("catalog: situation %s listed under category %s", s.Code, cat.Code)
			}
			if seenSit[s.Code] {
				return nil, fmt.Errorf("catalog: duplicate situation %s", s.Code)
			}
			seenSit[s.Code] = true
			name := Text{Zh: s.Zh, En: s.En, ZhTW: s.ZhTW}
			if !name.complete() {
				return nil, fmt.Errorf("catalog: situation %s needs zh and en names", s.Code)
			}
			if !s.Example.complete() {
				return nil, fmt.Errorf("catalog: situation %s needs a zh and en example", s.Code)
			}
			if !initialsRe.MatchString(s.Initials) {
				return nil, fmt.Errorf("catalog: situation %s initials %q must be lower-case letters", s.Code, s.Initials)
			}
			c.Situations = append(c.Situations, Situation{
				Code: s.Code, Subject: cat.Subject, Category: cat.Code,
				Names: name, CategoryName: catName, Example: s.Example,
				Initials: cat.Initials + " " + s.Initials,
			})
		}
	}
	for _, g := range f.Groups {
		switch g.Code {
		case GroupEfficiency, GroupDismissal, GroupGovernment, GroupParty:
		default:
			return nil, fmt.Errorf("catalog: unknown sanction group %q", g.Code)
		}
		if _, dup := c.Group(g.Code); dup {
			return nil, fmt.Errorf("catalog: duplicate sanction group %s", g.Code)
		}
		t := Text{Zh: g.Zh, En: g.En, ZhTW: g.ZhTW}
		if !t.complete() {
			return nil, fmt.Errorf("catalog: sanction group %s needs zh and en names", g.Code)
		}
		c.Groups = append(c.Groups, SanctionGroup{Code: g.Code, Names: t})
	}
	if len(f.Sanctions) == 0 {
		return nil, fmt.Errorf("catalog: no sanctions")
	}
	for _, s := range f.Sanctions {
		if !sanctionCode.MatchString(s.Code) {
			return nil, fmt.Errorf("catalog: sanction code %q must be snake_case", s.Code)
		}
		if _, dup := c.Sanction(s.Code); dup {
			return nil, fmt.Errorf("catalog: duplicate sanction %s", s.Code)
		}
		if _, ok := c.Group(s.Group); !ok {
			return nil, fmt.Errorf("catalog: sanction %s has unknown group %q", s.Code, s.Group)
		}
		t := Text{Zh: s.Zh, En: s.En, ZhTW: s.ZhTW}
		if !t.complete() {
			return nil, fmt.Errorf("catalog: sanction %s needs zh and en names", s.Code)
		}
		c.Sanctions = append(c.Sanctions, Sanction{Code: s.Code, Group: s.Group, Names: t})
	}
	return c, nil
}

// Merge is c completed with the codes of others that c lacks, for naming
// codes that several versions use (a list spanning offices that judge under
// different versions, a case keeping an earlier version): c's texts win, then
// the earlier of others. A situation from another version stands after the
// last of its category's (its category's texts then those of c, when c has
// that category), else at the end; sanctions and groups missing from c come
// after c's. The result carries c's version and date; c and others are left
// as they are.
func (c *Catalog) Merge(others ...*Catalog) *Catalog {
	out := *c
	out.Situations = slices.Clone(c.Situations)
	out.Sanctions = slices.Clone(c.Sanctions)
	out.Groups = slices.Clone(c.Groups)
	for _, o := range others {
		if o == nil || o == c {
			continue
		}
		for _, s := range o.Situations {
			if _, ok := out.Situation(s.Code); ok {
				continue
			}
			at := len(out.Situations)
			for i, x := range out.Situations {
				if x.Category == s.Category {
					s.CategoryName = x.CategoryName
					at = i + 1
				}
			}
			out.Situations = slices.Insert(out.Situations, at, s)
		}
		for _, g := range o.Groups {
			if _, ok := out.Group(g.Code); !ok {
				out.Groups = append(out.Groups, g)
			}
		}
		for _, s := range o.Sanctions {
			if _, ok := out.Sanction(s.Code); !ok {
				out.Sanctions = append(out.Sanctions, s)
			}
		}
	}
	return &out
}

// Categories lists the codes of the catalogue's categories, in its order.
func (c *Catalog) Categories() []string {
	var out []string
	for _, s := range c.Situations {
		if !slices.Contains(out, s.Category) {
			out = append(out, s.Category)
		}
	}
	return out
}
