package catalog

import "mashang/internal/civil"

// CatalogView is the JSON answer of GET /api/v1/catalog, in one language.
type CatalogView struct {
	Version       string          `json:"version"`
	EffectiveFrom civil.Date      `json:"effective_from"`
	Lang          string          `json:"lang"`
	Situations    []SituationView `json:"situations"`
	Sanctions     []SanctionView  `json:"sanctions"`
}

// SituationView is one situation of a CatalogView.
type SituationView struct {
	Code         string `json:"code"`
	Subject      string `json:"subject"`
	Category     string `json:"category"`
	Name         string `json:"name"`
	CategoryName string `json:"category_name"`
	Example      string `json:"example"`
	Initials     string `json:"initials"`
}

// SanctionView is one sanction of a CatalogView.
type SanctionView struct {
	Code      string `json:"code"`
	Group     string `json:"group"`
	GroupName string `json:"group_name"`
	Name      string `json:"name"`
}

// View renders the catalogue in lang ("zh-CN" default; "zh-TW"; "en"; unknown
// → zh-CN). Traditional texts come from the catalogue when it was Localized;
// otherwise they are converted with loc (nil loc: Simplified is shown).
func (c *Catalog) View(lang string, loc *Localizer) CatalogView {
	lang = NormalizeLang(lang)
	text := func(t Text) string {
		if lang == LangZhTW && t.ZhTW == "" && loc != nil {
			if tw, err := loc.Traditional(t.Zh); err == nil {
				return tw
			}
		}
		return t.In(lang)
	}
	v := CatalogView{
		Version: c.Version, EffectiveFrom: c.EffectiveFrom, Lang: lang,
		Situations: make([]SituationView, 0, len(c.Situations)),
		Sanctions:  make([]SanctionView, 0, len(c.Sanctions)),
	}
	for _, s := range c.Situations {
		v.Situations = append(v.Situations, SituationView{
			Code: s.Code, Subject: s.Subject, Category: s.Category,
			Name: text(s.Names), CategoryName: text(s.CategoryName),
			Example: text(s.Example), Initials: s.Initials,
		})
	}
	for _, s := range c.Sanctions {
		g, _ := c.Group(s.Group)
		v.Sanctions = append(v.Sanctions, SanctionView{
			Code: s.Code, Group: s.Group, GroupName: text(g.Names), Name: text(s.Names),
		})
	}
	return v
}
