package office

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"mashang/internal/audit"
	"mashang/internal/auth"
	"mashang/internal/calendar"
	"mashang/internal/civil"
	"mashang/internal/problem"
	"mashang/internal/store"
)

// Key names a per-office setting whose value is a T, stored as JSON.
type Key[T any] struct {
	// Name is the stored key (snake_case, unique across the program).
	Name string
	// Merge combines a value an office sets with the value it inherits
	// (what the offices above resolve to, or the base); nil: the office's
	// own value replaces the inherited one whole.
	Merge func(own, inherited T) T
	// Check validates (and may normalise) a value before Set stores it;
	// its error should be a problem naming the field.
	Check func(v *T) error
}

// Get resolves key k for office officeID: base, then the value of each
// office from the top down to officeID that sets it (merged over what it
// inherits when k.Merge is set). An unknown office gets base.
func Get[T any](ctx context.Context, s *Service, officeID int64, k Key[T], base T) (T, error) {
	t, err := s.Tree(ctx)
	if err != nil {
		return base, err
	}
	v, _, err := resolve(t, officeID, k, base)
	return v, err
}

// Own is the value office officeID itself sets for k, and whether it sets one.
func Own[T any](ctx context.Context, s *Service, officeID int64, k Key[T]) (T, bool, error) {
	var v T
	t, err := s.Tree(ctx)
	if err != nil {
		return v, false, err
	}
	raw, ok := t.settings[officeID][k.Name]
	if !ok {
		return v, false, nil
	}
	if err := json.Unmarshal([]byte(raw), &v); err != nil {
		return v, false, fmt.Errorf("office: setting %s of office %d: %w", k.Name, officeID, err)
	}
	return v, true, nil
}

// resolve is Get on a snapshot; it also returns the code of the nearest
// office that sets k ("": none, the base applies).
func resolve[T any](t *Tree, officeID int64, k Key[T], base T) (T, string, error) {
	v, from := base, ""
	chain := t.Chain(officeID)
	for i := len(chain) - 1; i >= 0; i-- {
		raw, ok := t.settings[chain[i].ID][k.Name]
		if !ok {
			continue
		}
		var own T
		if err := json.Unmarshal([]byte(raw), &own); err != nil {
			return base, "", fmt.Errorf("office: setting %s of %s: %w", k.Name, chain[i].Code, err)
		}
		if k.Merge != nil {
			v = k.Merge(own, v)
		} else {
			v = own
		}
		from = chain[i].Code
	}
	return v, from, nil
}

// Set stores v as office officeID's own value of k (checked by k.Check) and
// audits the change.
func Set[T any](ctx context.Context, s *Service, p auth.Principal, officeID int64, k Key[T], v T) error {
	if k.Check != nil {
		if err := k.Check(&v); err != nil {
			return err
		}
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("office: setting %s: %w", k.Name, err)
	}
	return s.store(ctx, p, officeID, k.Name, string(b))
}

func (s *Service) store(ctx context.Context, p auth.Principal, officeID int64, key, value string) error {
	now := s.clock.Now()
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		code, err := codeOf(ctx, tx, officeID)
		if err != nil {
			return err
		}
		if value == "" {
			if _, err := tx.ExecContext(ctx, `DELETE FROM office_settings WHERE office_id = $1 AND key = $2`, officeID, key); err != nil {
				return fmt.Errorf("office: unset %s: %w", key, err)
			}
		} else if _, err := tx.ExecContext(ctx, `INSERT INTO office_settings (office_id, key, value, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (office_id, key) DO UPDATE SET value = excluded.value, updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
			officeID, key, value, p.Actor(), store.FormatInstant(now)); err != nil {
			return fmt.Errorf("office: set %s: %w", key, err)
		}
		data := map[string]any{"key": key}
		if value == "" {
			data["inherit"] = true
		} else {
			data["value"] = json.RawMessage(value)
		}
		return audit.Append(ctx, tx, now, audit.Record{Actor: p.Actor(), Action: "office.settings", Subject: "office:" + code, Data: data})
	})
	s.forget()
	return err
}

// SetOrInherit is Set of v, or Unset of k when inherit (the caller's empty
// value: the office takes the value from above again).
func SetOrInherit[T any](ctx context.Context, s *Service, p auth.Principal, officeID int64, k Key[T], v T, inherit bool) error {
	if inherit {
		return s.Unset(ctx, p, officeID, k.Name)
	}
	return Set(ctx, s, p, officeID, k, v)
}

// Unset removes office officeID's own value of key: it inherits again.
func (s *Service) Unset(ctx context.Context, p auth.Principal, officeID int64, key string) error {
	return s.store(ctx, p, officeID, key, "")
}

func codeOf(ctx context.Context, q querier, id int64) (string, error) {
	var code string
	err := q.QueryRowContext(ctx, `SELECT code FROM offices WHERE id = $1`, id).Scan(&code)
	if errors.Is(err, sql.ErrNoRows) {
		return "", errNoOffice(fmt.Sprint(id))
	}
	if err != nil {
		return "", fmt.Errorf("office: look up office %d: %w", id, err)
	}
	return code, nil
}

// Channels are the ways the public reaches an office (the seed: two
// hotlines, complaint boxes at four places, an e-mail address). The English
// texts travel with the Chinese ones they translate: an office inherits
// both or neither.
type Channels struct {
	Hotlines []Hotline `json:"hotlines"`
	// Email is the mailbox reports come to; mail addressed to it belongs to
	// the office.
	Email string `json:"email"`
	// Boxes are the places where the office's complaint boxes stand.
	Boxes []string `json:"boxes"`
	// BoxesEn are their English names, in the same order (one missing or
	// "": that box has none).
	BoxesEn []string `json:"boxes_en,omitempty"`
}

// Hotline is one reporting telephone line.
type Hotline struct {
	Name   string `json:"name"`
	Number string `json:"number"`
	// NameEn is the line's name in English ("": none).
	NameEn string `json:"name_en,omitempty"`
}

// BoxEn is the English name of box i ("": none).
func (c Channels) BoxEn(i int) string {
	if i < len(c.BoxesEn) {
		return c.BoxesEn[i]
	}
	return ""
}

// Letterhead is what an office's documents and reports carry at the top.
type Letterhead struct {
	// Name is the office's full name as printed (default: the office's
	// name). It is never inherited: a county's letters do not carry the
	// city's name.
	Name string `json:"name"`
	// Short is the prefix of its document numbers, e.g. 闽整肃 (闽整肃受〔2026〕37号).
	Short    string `json:"short"`
	Address  string `json:"address"`
	Postcode string `json:"postcode"`
	Phone    string `json:"phone"`
	// NameEn is the full name in English (never inherited, as Name);
	// AddressEn the address in English, inherited with the address it
	// translates.
	NameEn    string `json:"name_en,omitempty"`
	AddressEn string `json:"address_en,omitempty"`
}

func tooLong(field string, max int) error {
	return problem.Invalid(field, "too_long", fmt.Sprintf("%s 过长（最多 %d 字）", field, max), fmt.Sprintf("%s is longer than %d characters", field, max))
}

// errEnglishAlone refuses an English text given without the Chinese one it
// translates (it would never show: the Chinese decides what is shown, and
// whence it is inherited).
func errEnglishAlone(field string) error {
	return problem.Invalid(field, "english_without_chinese", field+"：英文须与它所译的中文一同填写", field+": an English text needs the Chinese text it translates")
}

func checkText(field, v string, max int) error {
	if !utf8.ValidString(v) || strings.ContainsRune(v, 0) {
		return problem.Invalid(field, "invalid_text", field+" 不是有效的文本", field+" is not valid text")
	}
	if utf8.RuneCountInString(v) > max {
		return tooLong(field, max)
	}
	return nil
}

// The keys of this package.
var (
	// LimitsKey: time limits in the limits file's shape; an office's limits
	// replace the ones they name, the rest are inherited.
	LimitsKey = Key[calendar.LimitsPatch]{Name: "limits",
		Merge: func(own, inherited calendar.LimitsPatch) calendar.LimitsPatch { return own.Over(inherited) },
		Check: func(v *calendar.LimitsPatch) error {
			var le *calendar.LimitError
			if err := v.Validate(); errors.As(err, &le) {
				return problem.Invalid("limits."+le.Key, "invalid_limit", "时限 "+le.Key+" 无效："+le.Err.Error(), "limit "+le.Key+": "+le.Err.Error())
			} else if err != nil {
				return err
			}
			return nil
		}}
	// RuleSetKey: the consequence rule set of new decisions.
	RuleSetKey = Key[string]{Name: "ruleset"}
	// ApprovalKey: whether a leader approves a decision before it counts.
	ApprovalKey = Key[bool]{Name: "decision_approval"}
	// CatalogKey: the catalogue version new cases are judged under.
	CatalogKey = Key[string]{Name: "catalog_version"}
	// ChannelsKey: hotlines, mailbox and complaint boxes.
	ChannelsKey = Key[Channels]{Name: "channels", Check: func(c *Channels) error {
		if len(c.Hotlines) > 20 || len(c.Boxes) > 50 {
			return problem.Invalid("channels", "too_many", "热线或投诉箱过多", "too many hotlines or boxes")
		}
		for i := range c.Hotlines {
			c.Hotlines[i].Name, c.Hotlines[i].Number = strings.TrimSpace(c.Hotlines[i].Name), strings.TrimSpace(c.Hotlines[i].Number)
			if c.Hotlines[i].Number == "" {
				return problem.Required("channels.hotlines.number")
			}
			if err := checkText("channels.hotlines.name", c.Hotlines[i].Name, 100); err != nil {
				return err
			}
			if err := checkText("channels.hotlines.number", c.Hotlines[i].Number, 40); err != nil {
				return err
			}
			c.Hotlines[i].NameEn = strings.TrimSpace(c.Hotlines[i].NameEn)
			if err := checkText("channels.hotlines.name_en", c.Hotlines[i].NameEn, 150); err != nil {
				return err
			}
		}
		c.Email = strings.TrimSpace(c.Email)
		if c.Email != "" && (!strings.Contains(c.Email, "@") || strings.ContainsAny(c.Email, " <>\t\r\n")) {
			return problem.Invalid("channels.email", "invalid_email", "电子邮箱地址无效", "the e-mail address is not valid")
		}
		for i, b := range c.Boxes {
			c.Boxes[i] = strings.TrimSpace(b)
			if err := checkText("channels.boxes", c.Boxes[i], 200); err != nil {
				return err
			}
		}
		if len(c.BoxesEn) > len(c.Boxes) {
			return problem.Invalid("channels.boxes_en", "too_many_translations", "投诉箱英文名称多于投诉箱", "there are more English box names than boxes")
		}
		for i, b := range c.BoxesEn {
			c.BoxesEn[i] = strings.TrimSpace(b)
			if err := checkText("channels.boxes_en", c.BoxesEn[i], 300); err != nil {
				return err
			}
			if c.BoxesEn[i] != "" && c.Boxes[i] == "" {
				return errEnglishAlone("channels.boxes_en")
			}
		}
		for len(c.BoxesEn) > 0 && c.BoxesEn[len(c.BoxesEn)-1] == "" {
			c.BoxesEn = c.BoxesEn[:len(c.BoxesEn)-1]
		}
		if len(c.BoxesEn) == 0 {
			c.BoxesEn = nil
		}
		return nil
	}}
	// LetterheadKey: the top of the office's documents; fields an office
	// leaves empty are inherited, its Name never is.
	LetterheadKey = Key[Letterhead]{Name: "letterhead",
		Merge: func(own, inherited Letterhead) Letterhead {
			out := inherited
			for _, f := range []struct{ src, dst *string }{{&own.Name, &out.Name}, {&own.Short, &out.Short},
				{&own.Address, &out.Address}, {&own.Postcode, &out.Postcode}, {&own.Phone, &out.Phone}} {
				if *f.src != "" {
					*f.dst = *f.src
				}
			}
			// An address and its English come from the same office; the
			// English name, as the name, is the office's own.
			if own.Address != "" {
				out.AddressEn = own.AddressEn
			}
			out.NameEn = own.NameEn
			return out
		},
		Check: func(l *Letterhead) error {
			for _, f := range []struct {
				name string
				v    *string
				max  int
			}{{"letterhead.name", &l.Name, 100}, {"letterhead.short", &l.Short, 20}, {"letterhead.address", &l.Address, 200},
				{"letterhead.postcode", &l.Postcode, 10}, {"letterhead.phone", &l.Phone, 40},
				{"letterhead.name_en", &l.NameEn, 200}, {"letterhead.address_en", &l.AddressEn, 300}} {
				*f.v = strings.TrimSpace(*f.v)
				if err := checkText(f.name, *f.v, f.max); err != nil {
					return err
				}
			}
			if l.AddressEn != "" && l.Address == "" {
				return errEnglishAlone("letterhead.address_en")
			}
			return nil
		}}
	// CalendarKey: the office's own days (a local holiday, a local make-up
	// working day) over the national calendar; an office's days are added
	// to those it inherits, its own winning on the same date.
	CalendarKey = Key[[]calendar.Day]{Name: "calendar",
		Merge: func(own, inherited []calendar.Day) []calendar.Day {
			byDate := map[string]bool{}
			for _, d := range own {
				byDate[d.Date.String()] = true
			}
			out := append([]calendar.Day(nil), own...)
			for _, d := range inherited {
				if !byDate[d.Date.String()] {
					out = append(out, d)
				}
			}
			return out
		},
		Check: func(days *[]calendar.Day) error {
			if len(*days) > 400 {
				return problem.Invalid("calendar", "too_many", "日期过多（最多 400 天）", "too many days (at most 400)")
			}
			seen := map[string]bool{}
			for i, d := range *days {
				if d.Date.IsZero() {
					return problem.Required(fmt.Sprintf("calendar[%d].date", i))
				}
				if d.Kind != calendar.Off && d.Kind != calendar.Work {
					return problem.Invalid(fmt.Sprintf("calendar[%d].kind", i), "invalid_day_kind",
						"日期 "+d.Date.String()+" 的类型 "+string(d.Kind)+" 无效：应为 off（放假）或 work（调休上班）",
						"the kind "+string(d.Kind)+" of "+d.Date.String()+" is not valid: it must be off (a day off) or work (a make-up working day)")
				}
				if seen[d.Date.String()] {
					return problem.Invalid(fmt.Sprintf("calendar[%d].date", i), "duplicate_day", d.Date.String()+" 重复", d.Date.String()+" is listed twice")
				}
				seen[d.Date.String()] = true
				if err := checkText(fmt.Sprintf("calendar[%d].name", i), d.Name, calendar.MaxNameLen); err != nil {
					return err
				}
			}
			slices.SortFunc(*days, func(a, b calendar.Day) int { return a.Date.Compare(b.Date) })
			return nil
		}}
)

// DayInput is one day of an office's calendar as a request gives it: the
// shape of the calendar import file's days ({"date","kind","name"}, kind
// "off" or "work").
type DayInput struct {
	Date string `json:"date"`
	Kind string `json:"kind"`
	Name string `json:"name"`
}

// ParseDays turns the days of a request into calendar days, refusing a
// missing or impossible date (422 invalid_date) and leaving the rest of the
// checks (kind, duplicates, names) to CalendarKey.Check. Each error names
// the entry, e.g. calendar[2].date.
func ParseDays(in []DayInput) ([]calendar.Day, error) {
	out := make([]calendar.Day, 0, len(in))
	for i, d := range in {
		field := fmt.Sprintf("calendar[%d].date", i)
		text := strings.TrimSpace(d.Date)
		if text == "" {
			return nil, problem.Required(field)
		}
		date, err := civil.Parse(text)
		if err != nil || date.Year < 1900 || date.Year > 9999 {
			return nil, problem.Invalid(field, "invalid_date", "日期 "+text+" 无效（应为 YYYY-MM-DD 格式的真实日期）",
				"the date "+text+" is not valid (a real date as YYYY-MM-DD)")
		}
		out = append(out, calendar.Day{Date: date, Kind: calendar.Kind(strings.TrimSpace(d.Kind)), Name: strings.TrimSpace(d.Name)})
	}
	return out, nil
}

// Base is what applies where no office sets a key: the server's own
// configuration (--limits-file, --ruleset) and the embedded catalogue.
type Base struct {
	Limits           calendar.Limits
	RuleSet          string
	CatalogVersion   string
	DecisionApproval bool
	// RuleSets are the codes of the rule sets an office may choose.
	RuleSets []string
}

// Settings are an office's settings as they apply to it, inherited ones
// included.
type Settings struct {
	Office           Office          `json:"office"`
	Limits           calendar.Limits `json:"limits"`
	RuleSet          string          `json:"ruleset"`
	DecisionApproval bool            `json:"decision_approval"`
	CatalogVersion   string          `json:"catalog_version"`
	Channels         Channels        `json:"channels"`
	Letterhead       Letterhead      `json:"letterhead"`
	Calendar         []calendar.Day  `json:"calendar"`
	// From names, for each key set on the office or above it, the code of
	// the office whose value applies (a key absent: the base applies).
	From map[string]string `json:"from"`
	// Own lists the keys the office sets itself.
	Own []string `json:"own"`
}

// SetBase sets what applies where no office sets a key (app.New does it
// from the configuration).
func (s *Service) SetBase(b Base) {
	s.mu.Lock()
	s.base = b
	s.mu.Unlock()
}

// Settings resolves the keys of this package for office officeID.
func (s *Service) Settings(ctx context.Context, officeID int64) (Settings, error) {
	t, err := s.Tree(ctx)
	if err != nil {
		return Settings{}, err
	}
	s.mu.Lock()
	base := s.base
	s.mu.Unlock()
	return t.settingsOf(officeID, base)
}

func (t *Tree) settingsOf(officeID int64, base Base) (Settings, error) {
	o, ok := t.ByID(officeID)
	if !ok {
		return Settings{}, errNoOffice(fmt.Sprint(officeID))
	}
	st := Settings{Office: o, From: map[string]string{}, Own: []string{}}
	var from string
	var err error
	var lp calendar.LimitsPatch
	record := func(key string) {
		if from != "" {
			st.From[key] = from
		}
		if _, own := t.settings[officeID][key]; own {
			st.Own = append(st.Own, key)
		}
	}
	if lp, from, err = resolve(t, officeID, LimitsKey, calendar.LimitsPatch{}); err != nil {
		return st, err
	}
	st.Limits = lp.Apply(base.Limits)
	record(LimitsKey.Name)
	if st.RuleSet, from, err = resolve(t, officeID, RuleSetKey, base.RuleSet); err != nil {
		return st, err
	}
	record(RuleSetKey.Name)
	if st.DecisionApproval, from, err = resolve(t, officeID, ApprovalKey, base.DecisionApproval); err != nil {
		return st, err
	}
	record(ApprovalKey.Name)
	if st.CatalogVersion, from, err = resolve(t, officeID, CatalogKey, base.CatalogVersion); err != nil {
		return st, err
	}
	record(CatalogKey.Name)
	if st.Channels, from, err = resolve(t, officeID, ChannelsKey, Channels{Hotlines: []Hotline{}, Boxes: []string{}}); err != nil {
		return st, err
	}
	record(ChannelsKey.Name)
	if st.Letterhead, from, err = resolve(t, officeID, LetterheadKey, Letterhead{}); err != nil {
		return st, err
	}
	record(LetterheadKey.Name)
	st.Letterhead.Name, st.Letterhead.NameEn = o.Name, ""
	if own, ok := t.settings[officeID][LetterheadKey.Name]; ok {
		var l Letterhead
		if json.Unmarshal([]byte(own), &l) == nil {
			if l.Name != "" {
				st.Letterhead.Name = l.Name
			}
			st.Letterhead.NameEn = l.NameEn
		}
	}
	if st.Calendar, from, err = resolve(t, officeID, CalendarKey, []calendar.Day{}); err != nil {
		return st, err
	}
	record(CalendarKey.Name)
	return st, nil
}
