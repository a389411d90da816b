// Package office holds the offices (整肃办) of one deployment, in levels, and
// their settings.
//
// An office covers a jurisdiction: the subtree of a unit of kind province,
// city or county. Offices form a tree that follows the units' tree: the
// office above another is the nearest one whose jurisdiction holds the
// other's. A single-office deployment has one office, made by the migration
// on first start (code "main", no jurisdiction: it covers every unit), and
// nobody needs to know the word; a city names that office's jurisdiction
// (Update) and adds its counties' offices (Create).
//
// # Reading offices
//
//	tree, err := offices.Tree(ctx)      // a snapshot of every office (cached, cheap)
//	o, ok := tree.ByCode("MQ")          // or tree.ByID(id)
//	home := tree.Home()                 // the top office: the one office of a county deployment
//	o = tree.ForUnit(unitPath)          // the office whose jurisdiction holds a unit (units.path)
//	tree.Above(o.ID), tree.Below(o.ID)  // the office above; the offices under it
//
// # Settings, inherited from the office above
//
// Every setting is a typed Key naming a JSON value stored per office. An
// office that leaves a key unset inherits it from the office above, and so
// on up to the top, where the caller's base value applies:
//
//	lim, err := office.Get(ctx, offices, officeID, office.LimitsKey, calendar.LimitsPatch{})
//	err = office.Set(ctx, offices, p, officeID, office.ChannelsKey, office.Channels{…})
//	err = offices.Unset(ctx, p, officeID, office.ChannelsKey.Name)   // inherit again
//
// A Key with Merge combines an office's own value with the inherited one
// (limits: the office's limits replace the inherited ones they name, the
// rest are inherited); without Merge the nearest value wins whole. Other
// packages declare their own keys the same way (a Key is a plain value: no
// registration), e.g. the public pages' texts or notice templates:
//
//	var PublicTexts = office.Key[Texts]{Name: "public_texts", Check: Texts.Validate}
//
// Settings (Service.Settings) resolves the keys of this package at once:
// time limits, consequence rule set, the decision-approval step, catalogue
// version, channels (hotlines, mailbox, complaint boxes), letterhead and
// calendar overrides, and says which office set each.
//
// Office writes are audited. The snapshot Tree and the settings are cached
// for CacheTTL and dropped at once by this instance's own writes; another
// instance sharing a PostgreSQL database sees a change within CacheTTL.
package office

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"mashang/internal/audit"
	"mashang/internal/auth"
	"mashang/internal/calendar"
	"mashang/internal/clock"
	"mashang/internal/problem"
	"mashang/internal/store"
)

// HomeCode is the code of the office the first start makes.
const HomeCode = "main"

// JurisdictionKinds are the kinds of unit an office's jurisdiction may be.
var JurisdictionKinds = []string{"province", "city", "county"}

// Office is one office.
type Office struct {
	ID   int64  `json:"-"`
	Code string `json:"code"`
	Name string `json:"name"`
	// Jurisdiction is the code of the unit whose subtree it covers ("":
	// every unit).
	Jurisdiction     string `json:"jurisdiction"`
	JurisdictionName string `json:"jurisdiction_name,omitempty"`
	// Level is the jurisdiction unit's kind (province, city, county; "" for
	// an office covering everything).
	Level string `json:"level,omitempty"`
	// Parent is the code of the office above ("": none).
	Parent   string `json:"parent,omitempty"`
	ParentID int64  `json:"-"`
	// Path is the materialised path of office ids ('/1/3/').
	Path string `json:"-"`
	// UnitID and UnitPath are the jurisdiction unit's id and units.path.
	UnitID   int64  `json:"-"`
	UnitPath string `json:"-"`
}

// Covers reports whether the office's jurisdiction holds the unit with
// materialised path unitPath.
func (o Office) Covers(unitPath string) bool {
	return o.UnitPath == "" || unitPath != "" && strings.HasPrefix(unitPath, o.UnitPath)
}

// CacheTTL is how long a snapshot of the offices and their settings is used.
const CacheTTL = 2 * time.Second

// Service keeps the offices. Safe for concurrent use.
type Service struct {
	db    *store.DB
	clock clock.Clock

	mu   sync.Mutex
	snap *Tree
	at   time.Time
	base Base

	// CatalogVersions lists the catalogue versions an office may choose
	// (app.Catalogs.Known); nil: only the base's.
	CatalogVersions func(ctx context.Context) ([]string, error)
}

// New returns the offices of db; base applies where no office sets a key.
func New(db *store.DB, c clock.Clock, base Base) *Service {
	if c == nil {
		c = clock.System{}
	}
	return &Service{db: db, clock: c, base: base}
}

// Tree is a snapshot of every office and its settings. Read-only.
type Tree struct {
	list     []Office // by path (parents before children), then id
	byID     map[int64]int
	byCode   map[string]int
	settings map[int64]map[string]string // office → key → JSON value
}

// Tree returns a snapshot of the offices (cached for CacheTTL).
func (s *Service) Tree(ctx context.Context) (*Tree, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
	if s.snap != nil && now.Sub(s.at) < CacheTTL && !now.Before(s.at) {
		return s.snap, nil
	}
	t, err := load(ctx, s.db.Read)
	if err != nil {
		return nil, err
	}
	s.snap, s.at = t, now
	return t, nil
}

// Forget drops the cached snapshot, after offices were written outside this
// service (the org import's office column).
func (s *Service) Forget() { s.forget() }

// forget drops the cached snapshot (after a write of this instance).
func (s *Service) forget() {
	s.mu.Lock()
	s.snap = nil
	s.mu.Unlock()
}

type querier interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

// load reads every office and setting.
func load(ctx context.Context, q querier) (*Tree, error) {
	rows, err := q.QueryContext(ctx, `SELECT o.id, o.code, o.name, COALESCE(o.unit_id, 0), COALESCE(u.code, ''), COALESCE(u.name, ''),
		COALESCE(u.kind, ''), COALESCE(u.path, ''), COALESCE(o.parent_id, 0), o.path
		FROM offices o LEFT JOIN units u ON u.id = o.unit_id`)
	if err != nil {
		return nil, fmt.Errorf("office: read offices: %w", err)
	}
	var list []Office
	for rows.Next() {
		var o Office
		if err := rows.Scan(&o.ID, &o.Code, &o.Name, &o.UnitID, &o.Jurisdiction, &o.JurisdictionName, &o.Level, &o.UnitPath, &o.ParentID, &o.Path); err != nil {
			rows.Close()
			return nil, fmt.Errorf("office: read offices: %w", err)
		}
		if o.UnitID == 0 {
			o.Level = ""
		}
		list = append(list, o)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("office: read offices: %w", err)
	}
	t := newTree(list)
	rows, err = q.QueryContext(ctx, `SELECT office_id, key, value FROM office_settings`)
	if err != nil {
		return nil, fmt.Errorf("office: read settings: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var k, v string
		if err := rows.Scan(&id, &k, &v); err != nil {
			return nil, fmt.Errorf("office: read settings: %w", err)
		}
		if t.settings[id] == nil {
			t.settings[id] = map[string]string{}
		}
		t.settings[id][k] = v
	}
	return t, rows.Err()
}

func newTree(list []Office) *Tree {
	sort.Slice(list, func(i, j int) bool {
		if len(list[i].Path) != len(list[j].Path) {
			return len(list[i].Path) < len(list[j].Path)
		}
		return list[i].ID < list[j].ID
	})
	t := &Tree{list: list, byID: map[int64]int{}, byCode: map[string]int{}, settings: map[int64]map[string]string{}}
	for i, o := range list {
		t.byID[o.ID] = i
		t.byCode[o.Code] = i
	}
	for i := range t.list {
		if p, ok := t.byID[t.list[i].ParentID]; ok {
			t.list[i].Parent = t.list[p].Code
		}
	}
	return t
}

// All lists every office, those above before those below.
func (t *Tree) All() []Office { return append([]Office(nil), t.list...) }

// ByID finds an office by id.
func (t *Tree) ByID(id int64) (Office, bool) {
	i, ok := t.byID[id]
	if !ok {
		return Office{}, false
	}
	return t.list[i], true
}

// ByCode finds an office by code.
func (t *Tree) ByCode(code string) (Office, bool) {
	i, ok := t.byCode[strings.TrimSpace(code)]
	if !ok {
		return Office{}, false
	}
	return t.list[i], true
}

// Home is the top office: the one office of a single-office deployment,
// the city's (or province's) office of a larger one. Cases that name no
// unit and come by no office's channel belong to it.
func (t *Tree) Home() Office {
	for _, o := range t.list {
		if o.ParentID == 0 {
			return o
		}
	}
	return Office{}
}

// ForUnit is the office whose jurisdiction holds the unit with path
// unitPath: the deepest office covering it, else Home.
func (t *Tree) ForUnit(unitPath string) Office {
	if o, ok := t.Covering(unitPath); ok {
		return o
	}
	return t.Home()
}

// Covering is the deepest office with a jurisdiction that holds the unit
// with path unitPath, if any.
func (t *Tree) Covering(unitPath string) (Office, bool) {
	var best Office
	found := false
	for _, o := range t.list {
		if o.UnitPath != "" && o.Covers(unitPath) && (!found || len(o.UnitPath) > len(best.UnitPath)) {
			best, found = o, true
		}
	}
	return best, found
}

// Of is the office a case belongs to: the one whose jurisdiction holds its
// unit (unitPath, "" for none); else the office it came in by (viaOffice: the
// clerk's, the mailbox's or hotline's; 0 for none); else Home.
func (t *Tree) Of(unitPath string, viaOffice int64) Office {
	if unitPath != "" {
		if o, ok := t.Covering(unitPath); ok {
			return o
		}
	}
	if o, ok := t.ByID(viaOffice); ok {
		return o
	}
	return t.Home()
}

// Above is the office above id, if any.
func (t *Tree) Above(id int64) (Office, bool) {
	o, ok := t.ByID(id)
	if !ok || o.ParentID == 0 {
		return Office{}, false
	}
	return t.ByID(o.ParentID)
}

// Below lists the offices under id, at every depth (not id itself).
func (t *Tree) Below(id int64) []Office {
	o, ok := t.ByID(id)
	if !ok {
		return nil
	}
	var out []Office
	for _, x := range t.list {
		if x.ID != id && strings.HasPrefix(x.Path, o.Path) {
			out = append(out, x)
		}
	}
	return out
}

// Children lists the offices directly under id.
func (t *Tree) Children(id int64) []Office {
	var out []Office
	for _, x := range t.list {
		if x.ParentID == id && id != 0 {
			out = append(out, x)
		}
	}
	return out
}

// Chain is id and the offices above it, nearest first.
func (t *Tree) Chain(id int64) []Office {
	var out []Office
	for o, ok := t.ByID(id); ok && len(out) <= len(t.list); o, ok = t.ByID(o.ParentID) {
		out = append(out, o)
	}
	return out
}

// IsAbove reports whether office upper is above office lower (at any depth).
func (t *Tree) IsAbove(upper, lower int64) bool {
	u, ok1 := t.ByID(upper)
	l, ok2 := t.ByID(lower)
	return ok1 && ok2 && upper != lower && strings.HasPrefix(l.Path, u.Path)
}

// Input is a new office, or the changes to one (empty fields unchanged).
type Input struct {
	Code         string `json:"code"`
	Name         string `json:"name"`
	Jurisdiction string `json:"jurisdiction"`
}

var codeRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$`)

var (
	errNoOffice = func(code string) error {
		return problem.NotFound("office_not_found", "整肃办 "+code+" 不存在", "no office "+code)
	}
	errCode = problem.Invalid("code", "invalid_office_code", "整肃办代码为 1–32 个字母、数字、点、横线或下划线", "an office code is 1–32 letters, digits, dots, dashes or underscores")
	errName = problem.Invalid("name", "invalid_office_name", "整肃办名称不能为空，最长 100 个字符", "an office name is 1–100 characters")
)

// CheckCode validates an office code (422 naming field).
func CheckCode(field, code string) error {
	if !codeRe.MatchString(code) {
		return problem.Invalid(field, "invalid_office_code", "整肃办代码 "+code+" 无效：应为 1–32 个字母、数字、点、横线或下划线",
			"the office code "+code+" is not valid: 1–32 letters, digits, dots, dashes or underscores")
	}
	return nil
}

// ErrUnknownOffice answers a reference to an office that does not exist
// (422 naming field).
func ErrUnknownOffice(field, code string) error {
	return problem.Invalid(field, "unknown_office", "整肃办 "+code+" 不存在", "no office has the code "+code)
}

func checkName(n string) error {
	if n == "" || utf8.RuneCountInString(n) > 100 || !utf8.ValidString(n) {
		return errName
	}
	return nil
}

// jurisdiction resolves a unit code to a unit that may be one.
func jurisdiction(ctx context.Context, q querier, code string) (int64, error) {
	var id int64
	var kind string
	err := q.QueryRowContext(ctx, `SELECT id, kind FROM units WHERE code = $1`, code).Scan(&id, &kind)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, problem.Invalid("jurisdiction", "unknown_unit", "单位代码 "+code+" 不存在", "no unit has the code "+code)
	}
	if err != nil {
		return 0, fmt.Errorf("office: look up unit: %w", err)
	}
	ok := false
	for _, k := range JurisdictionKinds {
		ok = ok || k == kind
	}
	if !ok {
		return 0, problem.Invalid("jurisdiction", "not_a_jurisdiction",
			"管辖范围须为省、市或县（区）级单位，"+code+" 的类型是 "+kind,
			"a jurisdiction is a unit of kind province, city or county; "+code+" is of kind "+kind)
	}
	return id, nil
}

// Create adds an office covering the jurisdiction's subtree and places it
// in the tree (it may come between an office and those below it).
func (s *Service) Create(ctx context.Context, p auth.Principal, in Input) (Office, error) {
	in.Code, in.Name, in.Jurisdiction = strings.TrimSpace(in.Code), strings.TrimSpace(in.Name), strings.TrimSpace(in.Jurisdiction)
	if in.Code == "" {
		return Office{}, problem.Required("code")
	}
	if !codeRe.MatchString(in.Code) {
		return Office{}, errCode
	}
	if err := checkName(in.Name); err != nil {
		return Office{}, err
	}
	if in.Jurisdiction == "" {
		return Office{}, problem.Required("jurisdiction")
	}
	if p.OfficeID != 0 {
		// Only an office whose jurisdiction holds the new one's makes it.
		t, err := s.Tree(ctx)
		if err != nil {
			return Office{}, err
		}
		mine, _ := t.ByID(p.OfficeID)
		var path string
		err = s.db.Read.QueryRowContext(ctx, `SELECT path FROM units WHERE code = $1`, in.Jurisdiction).Scan(&path)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return Office{}, fmt.Errorf("office: look up unit: %w", err)
		}
		if err == nil && (!mine.Covers(path) || path == mine.UnitPath) {
			return Office{}, errNotYours(in.Code)
		}
	}
	now := s.clock.Now()
	var out Office
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		o, err := CreateTx(ctx, tx, in, p.Actor(), now)
		out = o
		return err
	})
	s.forget()
	return out, err
}

// CreateTx is Create inside tx (the org import's office column), input
// already trimmed; it links the tree and audits.
func CreateTx(ctx context.Context, tx *sql.Tx, in Input, actor string, now time.Time) (Office, error) {
	uid, err := jurisdiction(ctx, tx, in.Jurisdiction)
	if err != nil {
		return Office{}, err
	}
	errTaken := problem.Conflict("jurisdiction_taken", "单位 "+in.Jurisdiction+" 已有整肃办", "the unit "+in.Jurisdiction+" already has an office")
	errDup := problem.Conflict("duplicate_office", "整肃办代码 "+in.Code+" 已存在", "the office code "+in.Code+" is taken")
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM offices WHERE code = $1`, in.Code).Scan(&n); err != nil {
		return Office{}, fmt.Errorf("office: look up code: %w", err)
	} else if n > 0 {
		return Office{}, errDup
	}
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM offices WHERE unit_id = $1`, uid).Scan(&n); err != nil {
		return Office{}, fmt.Errorf("office: look up jurisdiction: %w", err)
	} else if n > 0 {
		return Office{}, errTaken
	}
	ts := store.FormatInstant(now)
	var id int64
	err = tx.QueryRowContext(ctx, `INSERT INTO offices (code, name, unit_id, path, created_at, updated_at) VALUES ($1, $2, $3, '', $4, $4) RETURNING id`,
		in.Code, in.Name, uid, ts).Scan(&id)
	if store.IsUniqueViolation(err) {
		return Office{}, errDup // made at the same moment by another request
	}
	if err != nil {
		return Office{}, fmt.Errorf("office: insert: %w", err)
	}
	t, err := relink(ctx, tx, now)
	if err != nil {
		return Office{}, err
	}
	o, _ := t.ByID(id)
	if err := audit.Append(ctx, tx, now, audit.Record{Actor: actor, Action: "office.create", Subject: "office:" + in.Code,
		Data: map[string]any{"name": in.Name, "jurisdiction": in.Jurisdiction, "parent": o.Parent}}); err != nil {
		return Office{}, err
	}
	return o, nil
}

// AssignTx makes the office with in.Code cover the jurisdiction
// in.Jurisdiction inside tx (the org import's office column): an existing
// office of that code with no jurisdiction yet (the one office of a
// deployment growing into a city) is given it; an existing office already
// covering it is left alone; another office of that code, or another
// office over that unit, is a conflict; otherwise the office is created
// (named in.Name). Input trimmed; the tree is linked again and audited.
func AssignTx(ctx context.Context, tx *sql.Tx, in Input, actor string, now time.Time) (Office, bool, error) {
	var id int64
	var unit sql.NullString
	err := tx.QueryRowContext(ctx, `SELECT o.id, u.code FROM offices o LEFT JOIN units u ON u.id = o.unit_id WHERE o.code = $1`, in.Code).Scan(&id, &unit)
	if errors.Is(err, sql.ErrNoRows) {
		o, err := CreateTx(ctx, tx, in, actor, now)
		return o, err == nil, err
	}
	if err != nil {
		return Office{}, false, fmt.Errorf("office: look up %s: %w", in.Code, err)
	}
	if unit.Valid && unit.String == in.Jurisdiction {
		t, err := load(ctx, tx)
		if err != nil {
			return Office{}, false, err
		}
		o, _ := t.ByID(id)
		return o, false, nil
	}
	if unit.Valid {
		return Office{}, false, problem.Conflict("office_elsewhere", "整肃办 "+in.Code+" 已管辖 "+unit.String+"，不能再管辖 "+in.Jurisdiction,
			"the office "+in.Code+" already covers "+unit.String+"; it cannot cover "+in.Jurisdiction+" too")
	}
	uid, err := jurisdiction(ctx, tx, in.Jurisdiction)
	if err != nil {
		return Office{}, false, err
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM offices WHERE unit_id = $1`, uid).Scan(&n); err != nil {
		return Office{}, false, fmt.Errorf("office: look up jurisdiction: %w", err)
	} else if n > 0 {
		return Office{}, false, problem.Conflict("jurisdiction_taken", "单位 "+in.Jurisdiction+" 已有整肃办", "the unit "+in.Jurisdiction+" already has an office")
	}
	if _, err := tx.ExecContext(ctx, `UPDATE offices SET unit_id = $1, updated_at = $2 WHERE id = $3`, uid, store.FormatInstant(now), id); err != nil {
		return Office{}, false, fmt.Errorf("office: set jurisdiction: %w", err)
	}
	t, err := relink(ctx, tx, now)
	if err != nil {
		return Office{}, false, err
	}
	o, _ := t.ByID(id)
	return o, true, audit.Append(ctx, tx, now, audit.Record{Actor: actor, Action: "office.update", Subject: "office:" + in.Code,
		Data: map[string]any{"jurisdiction": in.Jurisdiction}})
}

// Update renames an office or names its jurisdiction (the one office of a
// deployment that grows into a city names the city); the tree is linked
// again.
func (s *Service) Update(ctx context.Context, p auth.Principal, code string, in Input) (Office, error) {
	in.Name, in.Jurisdiction = strings.TrimSpace(in.Name), strings.TrimSpace(in.Jurisdiction)
	if in.Name != "" {
		if err := checkName(in.Name); err != nil {
			return Office{}, err
		}
	}
	now := s.clock.Now()
	var out Office
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var id int64
		err := tx.QueryRowContext(ctx, `SELECT id FROM offices WHERE code = $1`, code).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return errNoOffice(code)
		}
		if err != nil {
			return fmt.Errorf("office: look up %s: %w", code, err)
		}
		ts := store.FormatInstant(now)
		data := map[string]any{}
		if in.Name != "" {
			if _, err := tx.ExecContext(ctx, `UPDATE offices SET name = $1, updated_at = $2 WHERE id = $3`, in.Name, ts, id); err != nil {
				return fmt.Errorf("office: rename: %w", err)
			}
			data["name"] = in.Name
		}
		if in.Jurisdiction != "" {
			uid, err := jurisdiction(ctx, tx, in.Jurisdiction)
			if err != nil {
				return err
			}
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM offices WHERE unit_id = $1 AND id <> $2`, uid, id).Scan(&n); err != nil {
				return fmt.Errorf("office: look up jurisdiction: %w", err)
			}
			if n == 0 {
				_, err = tx.ExecContext(ctx, `UPDATE offices SET unit_id = $1, updated_at = $2 WHERE id = $3`, uid, ts, id)
			}
			if n > 0 || store.IsUniqueViolation(err) {
				return problem.Conflict("jurisdiction_taken", "单位 "+in.Jurisdiction+" 已有整肃办", "the unit "+in.Jurisdiction+" already has an office")
			}
			if err != nil {
				return fmt.Errorf("office: set jurisdiction: %w", err)
			}
			data["jurisdiction"] = in.Jurisdiction
		}
		t, err := relink(ctx, tx, now)
		if err != nil {
			return err
		}
		out, _ = t.ByID(id)
		if len(data) == 0 {
			return nil
		}
		return audit.Append(ctx, tx, now, audit.Record{Actor: p.Actor(), Action: "office.update", Subject: "office:" + code, Data: data})
	})
	s.forget()
	return out, err
}

// relink recomputes every office's parent and path from the units' tree:
// the parent is the deepest other office whose jurisdiction holds this
// one's (an office without a jurisdiction holds every other). It returns
// the linked tree.
func relink(ctx context.Context, tx *sql.Tx, now time.Time) (*Tree, error) {
	t, err := load(ctx, tx)
	if err != nil {
		return nil, err
	}
	list := t.All()
	parent := map[int64]int64{}
	for _, o := range list {
		var best *Office
		for i := range list {
			x := &list[i]
			if x.ID == o.ID {
				continue
			}
			var holds bool
			switch {
			case x.UnitPath == "":
				holds = o.UnitPath != "" || x.ID < o.ID // of two offices covering everything, the first is above
			case o.UnitPath != "":
				holds = len(o.UnitPath) > len(x.UnitPath) && strings.HasPrefix(o.UnitPath, x.UnitPath)
			}
			if holds && (best == nil || len(x.UnitPath) > len(best.UnitPath)) {
				best = x
			}
		}
		if best != nil {
			parent[o.ID] = best.ID
		}
	}
	path := map[int64]string{}
	var pathOf func(id int64, depth int) string
	pathOf = func(id int64, depth int) string {
		if p, ok := path[id]; ok {
			return p
		}
		p := "/"
		if par, ok := parent[id]; ok && depth < len(list) {
			p = pathOf(par, depth+1)
		}
		p += fmt.Sprint(id) + "/"
		path[id] = p
		return p
	}
	ts := store.FormatInstant(now)
	changed := false
	for _, o := range list {
		np := pathOf(o.ID, 0)
		if np == o.Path && parent[o.ID] == o.ParentID {
			continue
		}
		changed = true
		par := sql.NullInt64{Int64: parent[o.ID], Valid: parent[o.ID] != 0}
		if _, err := tx.ExecContext(ctx, `UPDATE offices SET parent_id = $1, path = $2, updated_at = $3 WHERE id = $4`, par, np, ts, o.ID); err != nil {
			return nil, fmt.Errorf("office: link %s: %w", o.Code, err)
		}
	}
	if !changed {
		return t, nil
	}
	return load(ctx, tx)
}

// Governs reports whether p may run office id: its own office or one below
// it (a principal of no office, such as the command line, runs every one).
func (t *Tree) Governs(p auth.Principal, id int64) bool {
	return p.OfficeID == 0 || p.OfficeID == id || t.IsAbove(p.OfficeID, id)
}

// errNotYours refuses a change to an office neither p's nor below it.
func errNotYours(code string) error {
	return problem.Forbidden("office_not_yours", "只能管理本级及下级整肃办（"+code+" 不在其中）",
		"you may manage only your own office and the offices below it ("+code+" is not among them)")
}

// Patch is a change to an office (PATCH /api/v1/offices/{code}): fields
// left nil are unchanged. Limits in the limits file's shape replace the
// office's own limits; an empty object clears them (the office inherits
// the limits of the office above again).
type Patch struct {
	Name         *string
	Jurisdiction *string
	Limits       *calendar.LimitsPatch
	// RuleSet names the consequence rule set of the office's new
	// decisions; "" clears it (the office above's, or the deployment's).
	RuleSet *string
	// DecisionApproval sets whether a leader approves a decision before it
	// counts, for the office and those below it that do not set it.
	DecisionApproval *bool
	// CatalogVersion names the catalogue version the office's new cases
	// are judged under; "" clears it (the office above's, or the default).
	CatalogVersion *string
	// Calendar are the office's own days over the national calendar (a
	// local holiday off, a local make-up working day); empty: none of its
	// own, it inherits the office above's again. New cases fix them.
	Calendar *[]calendar.Day
}

// Change applies patch to the office with code, for p (its own office or
// one below it), and returns the office.
func (s *Service) Change(ctx context.Context, p auth.Principal, code string, patch Patch) (Office, error) {
	t, err := s.Tree(ctx)
	if err != nil {
		return Office{}, err
	}
	o, ok := t.ByCode(code)
	if !ok {
		return Office{}, errNoOffice(code)
	}
	if !t.Governs(p, o.ID) {
		return Office{}, errNotYours(code)
	}
	if patch.Limits != nil {
		if err := LimitsKey.Check(patch.Limits); err != nil {
			return Office{}, err
		}
	}
	var days []calendar.Day
	if patch.Calendar != nil {
		days = slices.Clone(*patch.Calendar)
		if err := CalendarKey.Check(&days); err != nil {
			return Office{}, err
		}
	}
	var ruleSet string
	if patch.RuleSet != nil {
		ruleSet = strings.TrimSpace(*patch.RuleSet)
		s.mu.Lock()
		known := s.base.RuleSets
		s.mu.Unlock()
		if ruleSet != "" && !slices.Contains(known, ruleSet) {
			return Office{}, problem.Invalid("ruleset", "unknown_rule_set",
				"未知的规则集 "+ruleSet+"（可用："+strings.Join(known, "、")+"）",
				"unknown rule set "+ruleSet+" (known: "+strings.Join(known, ", ")+")")
		}
	}
	var catVersion string
	if patch.CatalogVersion != nil {
		catVersion = strings.TrimSpace(*patch.CatalogVersion)
		s.mu.Lock()
		known := []string{s.base.CatalogVersion}
		s.mu.Unlock()
		if s.CatalogVersions != nil {
			if known, err = s.CatalogVersions(ctx); err != nil {
				return Office{}, err
			}
		}
		if catVersion != "" && !slices.Contains(known, catVersion) {
			return Office{}, problem.Invalid("catalog_version", "unknown_catalog_version",
				"未知的目录版本 "+catVersion+"（可用："+strings.Join(known, "、")+"）",
				"unknown catalogue version "+catVersion+" (known: "+strings.Join(known, ", ")+")")
		}
	}
	if patch.Jurisdiction != nil && o.ID == p.OfficeID && strings.TrimSpace(*patch.Jurisdiction) != o.Jurisdiction {
		// Moving one's own office could take it out from under the office
		// that governs it; the office above does that.
		if _, above := t.Above(o.ID); above {
			return Office{}, errNotYours(code)
		}
	}
	in := Input{}
	if patch.Name != nil {
		if in.Name = strings.TrimSpace(*patch.Name); in.Name == "" {
			return Office{}, errName
		}
	}
	if patch.Jurisdiction != nil {
		in.Jurisdiction = strings.TrimSpace(*patch.Jurisdiction)
	}
	if in.Name != "" || in.Jurisdiction != "" {
		if o, err = s.Update(ctx, p, code, in); err != nil {
			return Office{}, err
		}
	}
	if patch.Limits != nil {
		if err := SetOrInherit(ctx, s, p, o.ID, LimitsKey, *patch.Limits, patch.Limits.Empty()); err != nil {
			return Office{}, err
		}
	}
	if patch.RuleSet != nil {
		if err := SetOrInherit(ctx, s, p, o.ID, RuleSetKey, ruleSet, ruleSet == ""); err != nil {
			return Office{}, err
		}
	}
	if patch.DecisionApproval != nil {
		if err := Set(ctx, s, p, o.ID, ApprovalKey, *patch.DecisionApproval); err != nil {
			return Office{}, err
		}
	}
	if patch.CatalogVersion != nil {
		if err := SetOrInherit(ctx, s, p, o.ID, CatalogKey, catVersion, catVersion == ""); err != nil {
			return Office{}, err
		}
	}
	if patch.Calendar != nil {
		if err := SetOrInherit(ctx, s, p, o.ID, CalendarKey, days, len(days) == 0); err != nil {
			return Office{}, err
		}
	}
	return o, nil
}

// View is an office as the API shows it: with the time limits that apply
// to its new cases and those it sets itself.
type View struct {
	Office
	Limits    calendar.Limits      `json:"limits"`
	OwnLimits calendar.LimitsPatch `json:"own_limits"`
	// RuleSet applies to the office's new decisions (its own setting, the
	// office above's, or the deployment's); DecisionApproval is there when
	// the office or one above it sets the approval step (absent: the
	// deployment's setting applies).
	RuleSet          string `json:"ruleset"`
	DecisionApproval *bool  `json:"decision_approval,omitempty"`
	// CatalogVersion is the catalogue version the office's new cases are
	// judged under (its own, inherited, or the default); OwnCatalogVersion
	// the one it sets itself ("": none).
	CatalogVersion    string `json:"catalog_version"`
	OwnCatalogVersion string `json:"own_catalog_version,omitempty"`
	// Calendar are the days the office's new cases count over the national
	// calendar (its own and those it inherits, by date); OwnCalendar those
	// it sets itself; CalendarFrom the office whose days apply ("": none).
	Calendar     []calendar.Day `json:"calendar"`
	OwnCalendar  []calendar.Day `json:"own_calendar"`
	CalendarFrom string         `json:"calendar_from,omitempty"`
}

// Views lists every office with its limits, those above first.
func (s *Service) Views(ctx context.Context) ([]View, error) {
	t, err := s.Tree(ctx)
	if err != nil {
		return nil, err
	}
	out := []View{}
	for _, o := range t.All() {
		v, err := s.view(t, o)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// ViewOf is the office with code, with its limits.
func (s *Service) ViewOf(ctx context.Context, code string) (View, error) {
	t, err := s.Tree(ctx)
	if err != nil {
		return View{}, err
	}
	o, ok := t.ByCode(code)
	if !ok {
		return View{}, errNoOffice(code)
	}
	return s.view(t, o)
}

func (s *Service) view(t *Tree, o Office) (View, error) {
	s.mu.Lock()
	base := s.base
	s.mu.Unlock()
	st, err := t.settingsOf(o.ID, base)
	if err != nil {
		return View{}, err
	}
	v := View{Office: o, Limits: st.Limits, RuleSet: st.RuleSet, Calendar: st.Calendar, OwnCalendar: []calendar.Day{},
		CalendarFrom: st.From[CalendarKey.Name], CatalogVersion: st.CatalogVersion}
	if raw, ok := t.settings[o.ID][CatalogKey.Name]; ok {
		if err := json.Unmarshal([]byte(raw), &v.OwnCatalogVersion); err != nil {
			return View{}, fmt.Errorf("office: catalogue version of %s: %w", o.Code, err)
		}
	}
	slices.SortFunc(v.Calendar, func(a, b calendar.Day) int { return a.Date.Compare(b.Date) })
	if raw, ok := t.settings[o.ID][CalendarKey.Name]; ok {
		if err := json.Unmarshal([]byte(raw), &v.OwnCalendar); err != nil {
			return View{}, fmt.Errorf("office: calendar of %s: %w", o.Code, err)
		}
	}
	if _, set := st.From[ApprovalKey.Name]; set {
		v.DecisionApproval = &st.DecisionApproval
	}
	if raw, ok := t.settings[o.ID][LimitsKey.Name]; ok {
		if err := json.Unmarshal([]byte(raw), &v.OwnLimits); err != nil {
			return View{}, fmt.Errorf("office: limits of %s: %w", o.Code, err)
		}
	}
	return v, nil
}
