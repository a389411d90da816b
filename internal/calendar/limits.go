package calendar

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"

	"mashang/internal/civil"
)

// Units of a Limit.
const (
	UnitCalendar = "calendar" // calendar days, with the 民法典 201–203 roll-forward
	UnitWorkday  = "workday"  // working days
)

// MaxLimitDays is the longest limit ParseLimits accepts.
const MaxLimitDays = 366

// Limit is a time limit: Days in Unit ("calendar" or "workday"; empty means
// "calendar").
type Limit struct {
	Days int    `json:"days"`
	Unit string `json:"unit"`
}

// Validate checks 1 ≤ Days ≤ MaxLimitDays and a known Unit.
func (l Limit) Validate() error {
	if l.Days < 1 || l.Days > MaxLimitDays {
		return fmt.Errorf("days must be between 1 and %d, not %d", MaxLimitDays, l.Days)
	}
	if l.Unit != UnitCalendar && l.Unit != UnitWorkday {
		return fmt.Errorf("unit must be %q or %q, not %q", UnitCalendar, UnitWorkday, l.Unit)
	}
	return nil
}

// String reads "15 calendar days" or "5 working days".
func (l Limit) String() string {
	if l.Unit == UnitWorkday {
		return fmt.Sprintf("%d working days", l.Days)
	}
	return fmt.Sprintf("%d calendar days", l.Days)
}

// Due is the deadline of limit l counted from start: DueWorkdays for unit
// "workday", otherwise DueCalendarDays. The bool is provisional, as there.
func (c *Calendar) Due(start civil.Date, l Limit) (civil.Date, bool) {
	if l.Unit == UnitWorkday {
		return c.DueWorkdays(start, l.Days)
	}
	return c.DueCalendarDays(start, l.Days)
}

// Limits is one jurisdiction's set of time limits (信访工作条例 2022 and the
// 2009 accountability rules by default). JSON keys are snake_case.
type Limits struct {
	// Name identifies the set, e.g. "national".
	Name string `json:"name"`
	// Accept: tell the reporter whether the matter is accepted, from receipt (art. 23).
	Accept Limit `json:"accept"`
	// Finish: settle the matter, from acceptance (art. 34).
	Finish Limit `json:"finish"`
	// Extension: the most one extension of Finish may add (art. 34).
	Extension Limit `json:"extension"`
	// TransferObjection: object to a matter transferred by mistake, from its arrival (art. 23).
	TransferObjection Limit `json:"transfer_objection"`
	// ReviewRequest: the reporter may ask for 复查/复核, from the written reply (arts. 35–36).
	ReviewRequest Limit `json:"review_request"`
	// ReviewAnswer: answer a 复查/复核 request, from receiving it (arts. 35–36).
	ReviewAnswer Limit `json:"review_answer"`
	// AppealFile: a cadre may appeal (申诉) a decision, from receiving it (2009 rules art. 22).
	AppealFile Limit `json:"appeal_file"`
	// AppealDecide: decide an appeal, from its filing (2009 rules art. 23).
	AppealDecide Limit `json:"appeal_decide"`
}

// DefaultLimits is the national set: accept 15, finish 60, extension at most
// 30, review request 30, review answer 30, appeal 15, appeal decision 30
// calendar days; objection to a mistaken transfer 5 working days. It equals
// the embedded data/limits.json.
func DefaultLimits() Limits {
	cal := func(n int) Limit { return Limit{Days: n, Unit: UnitCalendar} }
	return Limits{
		Name:              "national",
		Accept:            cal(15),
		Finish:            cal(60),
		Extension:         cal(30),
		TransferObjection: Limit{Days: 5, Unit: UnitWorkday},
		ReviewRequest:     cal(30),
		ReviewAnswer:      cal(30),
		AppealFile:        cal(15),
		AppealDecide:      cal(30),
	}
}

// ParseLimits reads a jurisdiction's limits file, e.g.
//
//	{"name": "example-province", "accept": {"days": 5, "unit": "workday"}}
//
// Limits the file leaves out keep their DefaultLimits value; unknown keys are
// an error (a misspelt key must not silently leave the national number in
// place); each given limit must pass Limit.Validate.
func ParseLimits(data []byte) (Limits, error) {
	p, err := ParseLimitsPatch(data)
	if err != nil {
		return Limits{}, err
	}
	return p.Apply(DefaultLimits()), nil
}

// LimitsPatch is a set of limits in the shape of a limits file, each one
// present or not: what an office sets over the limits it inherits. Its JSON
// form is the limits file's.
type LimitsPatch struct {
	Name              *string `json:"name,omitempty"`
	Accept            *Limit  `json:"accept,omitempty"`
	Finish            *Limit  `json:"finish,omitempty"`
	Extension         *Limit  `json:"extension,omitempty"`
	TransferObjection *Limit  `json:"transfer_objection,omitempty"`
	ReviewRequest     *Limit  `json:"review_request,omitempty"`
	ReviewAnswer      *Limit  `json:"review_answer,omitempty"`
	AppealFile        *Limit  `json:"appeal_file,omitempty"`
	AppealDecide      *Limit  `json:"appeal_decide,omitempty"`
}

// ParseLimitsPatch reads limits in the limits file's shape, refusing unknown
// keys and invalid limits (see ParseLimits).
func ParseLimitsPatch(data []byte) (LimitsPatch, error) {
	var p LimitsPatch
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return LimitsPatch{}, fmt.Errorf("calendar: limits: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return LimitsPatch{}, errors.New("calendar: limits: unexpected data after the JSON object")
	}
	if err := p.Validate(); err != nil {
		return LimitsPatch{}, err
	}
	return p, nil
}

type patchField struct {
	key string
	src *Limit
	dst *Limit
}

func (p *LimitsPatch) fields(out *Limits) []patchField {
	return []patchField{
		{"accept", p.Accept, &out.Accept},
		{"finish", p.Finish, &out.Finish},
		{"extension", p.Extension, &out.Extension},
		{"transfer_objection", p.TransferObjection, &out.TransferObjection},
		{"review_request", p.ReviewRequest, &out.ReviewRequest},
		{"review_answer", p.ReviewAnswer, &out.ReviewAnswer},
		{"appeal_file", p.AppealFile, &out.AppealFile},
		{"appeal_decide", p.AppealDecide, &out.AppealDecide},
	}
}

// LimitError is an invalid limit of a patch: its key and what is wrong.
type LimitError struct {
	Key string
	Err error
}

func (e *LimitError) Error() string { return "calendar: limits: " + e.Key + ": " + e.Err.Error() }

// Validate checks every limit the patch holds (a *LimitError names the first bad one).
func (p LimitsPatch) Validate() error {
	for _, f := range p.fields(&Limits{}) {
		if f.src == nil {
			continue
		}
		if err := f.src.Validate(); err != nil {
			return &LimitError{Key: f.key, Err: err}
		}
	}
	return nil
}

// Apply returns base with the patch's limits (and name) in place of its own.
func (p LimitsPatch) Apply(base Limits) Limits {
	out := base
	if p.Name != nil {
		out.Name = strings.TrimSpace(*p.Name)
	}
	for _, f := range p.fields(&out) {
		if f.src != nil {
			*f.dst = *f.src
		}
	}
	return out
}

// Over returns the patch that sets what p sets and, for the rest, what
// under sets: p laid over under.
func (p LimitsPatch) Over(under LimitsPatch) LimitsPatch {
	out := under
	if p.Name != nil {
		out.Name = p.Name
	}
	for _, f := range []struct{ src, dst **Limit }{
		{&p.Accept, &out.Accept}, {&p.Finish, &out.Finish}, {&p.Extension, &out.Extension},
		{&p.TransferObjection, &out.TransferObjection}, {&p.ReviewRequest, &out.ReviewRequest},
		{&p.ReviewAnswer, &out.ReviewAnswer}, {&p.AppealFile, &out.AppealFile}, {&p.AppealDecide, &out.AppealDecide},
	} {
		if *f.src != nil {
			*f.dst = *f.src
		}
	}
	return out
}

// Empty reports whether the patch sets nothing.
func (p LimitsPatch) Empty() bool { return p == LimitsPatch{} }

// EmbeddedLimitNames lists the limit sets shipped in the binary: "default"
// (data/limits.json) and one name per data/limits-NAME.json.
func EmbeddedLimitNames() []string {
	names := []string{"default"}
	files, _ := fs.Glob(dataFS, "data/limits-*.json") // the pattern is valid
	for _, f := range files {
		names = append(names, strings.TrimSuffix(strings.TrimPrefix(path.Base(f), "limits-"), ".json"))
	}
	sort.Strings(names[1:])
	return names
}

// EmbeddedLimits loads a shipped limit set by name ("" or "default" for
// data/limits.json, otherwise data/limits-NAME.json).
func EmbeddedLimits(name string) (Limits, error) {
	file := "data/limits.json"
	if name != "" && name != "default" {
		if strings.ContainsAny(name, "/\\.") {
			return Limits{}, fmt.Errorf("calendar: no embedded limit set %q", name)
		}
		file = "data/limits-" + name + ".json"
	}
	b, err := dataFS.ReadFile(file)
	if err != nil {
		return Limits{}, fmt.Errorf("calendar: no embedded limit set %q: %w", name, err)
	}
	l, err := ParseLimits(b)
	if err != nil {
		return Limits{}, fmt.Errorf("calendar: embedded %s: %w", file, err)
	}
	return l, nil
}
