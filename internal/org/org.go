// Package org holds the organisation the office oversees: units as a tree
// (county, departments, towns, service centres …) and the people in them.
package org

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"mashang/internal/audit"
	"mashang/internal/auth"
	"mashang/internal/clock"
	"mashang/internal/problem"
	"mashang/internal/store"
)

// Kinds of unit.
var Kinds = []string{"county", "city", "province", "department", "office", "town", "township", "village", "service_centre", "enterprise", "other"}

// Unit is one node of the tree.
type Unit struct {
	ID     int64  `json:"id"`
	Code   string `json:"code"`
	Name   string `json:"name"`
	Parent string `json:"parent,omitempty"`
	Kind   string `json:"kind"`
	Depth  int    `json:"depth"`
}

// Person is an official who may be named in a report.
type Person struct {
	ID       int64  `json:"id"`
	Name     string `json:"name"`
	Unit     string `json:"unit"`
	UnitName string `json:"unit_name,omitempty"`
	Position string `json:"position"`
	Rank     string `json:"rank"`
	Active   bool   `json:"active"`
}

// Service reads and changes the organisation.
type Service struct {
	db    *store.DB
	clock clock.Clock
	// OfficesChanged, when set, is told that an import made or moved
	// offices (the office column), so that their cache is dropped.
	OfficesChanged func()
}

// NewService returns an organisation service.
func NewService(db *store.DB, c clock.Clock) *Service { return &Service{db: db, clock: c} }

type querier interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
	ExecContext(context.Context, string, ...any) (sql.Result, error)
}

// UnitInput is what creates or changes a unit.
type UnitInput struct {
	Code   string  `json:"code"`
	Name   string  `json:"name"`
	Parent *string `json:"parent"`
	Kind   string  `json:"kind"`
}

func validCode(c string) bool {
	if c == "" || len(c) > 40 {
		return false
	}
	for _, r := range c {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}

func (in *UnitInput) validate(creating bool) error {
	in.Code, in.Name, in.Kind = strings.TrimSpace(in.Code), strings.TrimSpace(in.Name), strings.TrimSpace(in.Kind)
	if creating {
		if in.Code == "" {
			return problem.Required("code")
		}
		if !validCode(in.Code) {
			return problem.Invalid("code", "invalid_unit_code", "单位代码只能由字母、数字、连字符组成，最长 40 个字符", "a unit code is letters, digits, '-', '_' or '.', at most 40 characters")
		}
		if in.Name == "" {
			return problem.Required("name")
		}
		if in.Kind == "" {
			in.Kind = "department"
		}
	}
	if utf8.RuneCountInString(in.Name) > 200 {
		return problem.Invalid("name", "name_too_long", "名称最长 200 个字符", "a name has at most 200 characters")
	}
	if in.Kind != "" && !slices.Contains(Kinds, in.Kind) {
		return problem.Invalid("kind", "unknown_unit_kind", "未知的单位类型 "+in.Kind, "unknown unit kind "+in.Kind+"; one of "+strings.Join(Kinds, ", "))
	}
	return nil
}

func unknownUnit(field, code string) error {
	return problem.Invalid(field, "unknown_unit", "单位代码 "+code+" 不存在", "no unit has the code "+code)
}

// lookupUnit returns id and path of a unit by code.
func lookupUnit(ctx context.Context, q querier, code string) (int64, string, error) {
	var id int64
	var path string
	err := q.QueryRowContext(ctx, `SELECT id, path FROM units WHERE code = $1`, code).Scan(&id, &path)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, "", errNoUnit
	}
	return id, path, err
}

var errNoUnit = errors.New("org: no such unit")

// CreateUnit adds a unit under its parent.
func (s *Service) CreateUnit(ctx context.Context, who auth.Principal, in UnitInput) (Unit, error) {
	actor := who.Actor()
	if err := in.validate(true); err != nil {
		return Unit{}, err
	}
	var u Unit
	now := s.clock.Now()
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		u, err = createUnit(ctx, tx, in, now)
		if err != nil {
			return err
		}
		return audit.Append(ctx, tx, now, audit.Record{Actor: actor, Action: "unit.create", Subject: "unit:" + u.Code, Data: u})
	})
	return u, err
}

func createUnit(ctx context.Context, tx querier, in UnitInput, now time.Time) (Unit, error) {
	u := Unit{Code: in.Code, Name: in.Name, Kind: in.Kind}
	var parentID sql.NullInt64
	parentPath := "/"
	if in.Parent != nil && *in.Parent != "" {
		pid, ppath, err := lookupUnit(ctx, tx, *in.Parent)
		if errors.Is(err, errNoUnit) {
			return Unit{}, unknownUnit("parent", *in.Parent)
		}
		if err != nil {
			return Unit{}, err
		}
		parentID, parentPath, u.Parent = sql.NullInt64{Int64: pid, Valid: true}, ppath, *in.Parent
	}
	ts := store.FormatInstant(now)
	err := tx.QueryRowContext(ctx, `INSERT INTO units (code, name, parent_id, kind, path, created_at, updated_at) VALUES ($1,$2,$3,$4,'',$5,$5) RETURNING id`,
		u.Code, u.Name, parentID, u.Kind, ts).Scan(&u.ID)
	if store.IsUniqueViolation(err) {
		return Unit{}, problem.Conflict("duplicate_unit_code", "单位代码 "+u.Code+" 已存在", "the unit code "+u.Code+" is taken")
	}
	if err != nil {
		return Unit{}, fmt.Errorf("org: insert unit: %w", err)
	}
	path := parentPath + strconv.FormatInt(u.ID, 10) + "/"
	if _, err := tx.ExecContext(ctx, `UPDATE units SET path = $1 WHERE id = $2`, path, u.ID); err != nil {
		return Unit{}, err
	}
	u.Depth = strings.Count(path, "/") - 2
	return u, nil
}

// UpdateUnit changes a unit's name, kind or parent (moving its subtree).
func (s *Service) UpdateUnit(ctx context.Context, who auth.Principal, code string, in UnitInput) (Unit, error) {
	actor := who.Actor()
	if err := in.validate(false); err != nil {
		return Unit{}, err
	}
	now := s.clock.Now()
	var u Unit
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := updateUnit(ctx, tx, code, in, now); err != nil {
			return err
		}
		var err error
		u, err = getUnit(ctx, tx, code)
		if err != nil {
			return err
		}
		return audit.Append(ctx, tx, now, audit.Record{Actor: actor, Action: "unit.update", Subject: "unit:" + code, Data: in})
	})
	return u, err
}

func updateUnit(ctx context.Context, tx querier, code string, in UnitInput, now time.Time) error {
	id, path, err := lookupUnit(ctx, tx, code)
	if errors.Is(err, errNoUnit) {
		return problem.NotFound("unknown_unit", "单位代码 "+code+" 不存在", "no unit has the code "+code)
	}
	if err != nil {
		return err
	}
	ts := store.FormatInstant(now)
	if in.Name != "" {
		if _, err := tx.ExecContext(ctx, `UPDATE units SET name = $1, updated_at = $2 WHERE id = $3`, in.Name, ts, id); err != nil {
			return err
		}
	}
	if in.Kind != "" {
		if _, err := tx.ExecContext(ctx, `UPDATE units SET kind = $1, updated_at = $2 WHERE id = $3`, in.Kind, ts, id); err != nil {
			return err
		}
	}
	if in.Parent != nil {
		var parentID sql.NullInt64
		newPath := "/" + strconv.FormatInt(id, 10) + "/"
		if *in.Parent != "" {
			pid, ppath, err := lookupUnit(ctx, tx, *in.Parent)
			if errors.Is(err, errNoUnit) {
				return unknownUnit("parent", *in.Parent)
			}
			if err != nil {
				return err
			}
			if strings.HasPrefix(ppath, path) {
				return problem.Invalid("parent", "unit_cycle", "不能把单位移到它自己或它的下级之下", "a unit cannot be moved under itself or one of its sub-units")
			}
			parentID = sql.NullInt64{Int64: pid, Valid: true}
			newPath = ppath + strconv.FormatInt(id, 10) + "/"
		}
		if _, err := tx.ExecContext(ctx, `UPDATE units SET parent_id = $1, updated_at = $2 WHERE id = $3`, parentID, ts, id); err != nil {
			return err
		}
		if newPath != path {
			if _, err := tx.ExecContext(ctx, `UPDATE units SET path = $1 || substr(path, $2) WHERE path LIKE $3`, newPath, len(path)+1, path+"%"); err != nil {
				return fmt.Errorf("org: move subtree: %w", err)
			}
		}
	}
	return nil
}

const unitCols = `u.id, u.code, u.name, COALESCE(p.code, ''), u.kind, u.path`

func scanUnit(sc interface{ Scan(...any) error }) (Unit, error) {
	var u Unit
	var path string
	err := sc.Scan(&u.ID, &u.Code, &u.Name, &u.Parent, &u.Kind, &path)
	u.Depth = strings.Count(path, "/") - 2
	return u, err
}

func getUnit(ctx context.Context, q querier, code string) (Unit, error) {
	u, err := scanUnit(q.QueryRowContext(ctx, `SELECT `+unitCols+` FROM units u LEFT JOIN units p ON p.id = u.parent_id WHERE u.code = $1`, code))
	if errors.Is(err, sql.ErrNoRows) {
		return Unit{}, problem.NotFound("unknown_unit", "单位代码 "+code+" 不存在", "no unit has the code "+code)
	}
	return u, err
}

// Unit returns one unit by code.
func (s *Service) Unit(ctx context.Context, code string) (Unit, error) {
	return getUnit(ctx, s.db.Read, code)
}

// Units lists every unit in tree order (each parent before its children).
func (s *Service) Units(ctx context.Context) ([]Unit, error) {
	rows, err := s.db.Read.QueryContext(ctx, `SELECT `+unitCols+` FROM units u LEFT JOIN units p ON p.id = u.parent_id ORDER BY u.path`)
	if err != nil {
		return nil, fmt.Errorf("org: list units: %w", err)
	}
	defer rows.Close()
	var out []Unit
	for rows.Next() {
		u, err := scanUnit(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// UnitPath returns the materialised path of a unit ('/1/4/'), for queries
// over a unit and its sub-units (path LIKE '/1/4/%').
func (s *Service) UnitPath(ctx context.Context, code string) (int64, string, error) {
	id, p, err := lookupUnit(ctx, s.db.Read, code)
	if errors.Is(err, errNoUnit) {
		return 0, "", unknownUnit("unit", code)
	}
	return id, p, err
}

// PersonInput creates or changes a person.
type PersonInput struct {
	Name     string  `json:"name"`
	Unit     string  `json:"unit"`
	Position *string `json:"position"`
	Rank     *string `json:"rank"`
	Active   *bool   `json:"active"`
}

// CreatePerson adds a person to a unit.
func (s *Service) CreatePerson(ctx context.Context, who auth.Principal, in PersonInput) (Person, error) {
	actor := who.Actor()
	in.Name, in.Unit = strings.TrimSpace(in.Name), strings.TrimSpace(in.Unit)
	if in.Name == "" {
		return Person{}, problem.Required("name")
	}
	if utf8.RuneCountInString(in.Name) > 100 {
		return Person{}, problem.Invalid("name", "name_too_long", "姓名最长 100 个字符", "a name has at most 100 characters")
	}
	if in.Unit == "" {
		return Person{}, problem.Required("unit")
	}
	now := s.clock.Now()
	var p Person
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		p, err = createPerson(ctx, tx, in, now)
		if err != nil {
			return err
		}
		return audit.Append(ctx, tx, now, audit.Record{Actor: actor, Action: "person.create", Subject: fmt.Sprintf("person:%d", p.ID), Data: p})
	})
	return p, err
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return strings.TrimSpace(*s)
}

func createPerson(ctx context.Context, tx querier, in PersonInput, now time.Time) (Person, error) {
	uid, _, err := lookupUnit(ctx, tx, in.Unit)
	if errors.Is(err, errNoUnit) {
		return Person{}, unknownUnit("unit", in.Unit)
	}
	if err != nil {
		return Person{}, err
	}
	p := Person{Name: in.Name, Unit: in.Unit, Position: deref(in.Position), Rank: deref(in.Rank), Active: true}
	ts := store.FormatInstant(now)
	err = tx.QueryRowContext(ctx, `INSERT INTO people (name, unit_id, position, cadre_rank, active, created_at, updated_at) VALUES ($1,$2,$3,$4,TRUE,$5,$5) RETURNING id`,
		p.Name, uid, p.Position, p.Rank, ts).Scan(&p.ID)
	if err != nil {
		return Person{}, fmt.Errorf("org: insert person: %w", err)
	}
	return p, nil
}

// UpdatePerson changes a person's fields (empty or nil leaves one as it is).
func (s *Service) UpdatePerson(ctx context.Context, who auth.Principal, id int64, in PersonInput) (Person, error) {
	actor := who.Actor()
	now := s.clock.Now()
	var p Person
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := getPerson(ctx, tx, id); err != nil {
			return err
		}
		ts := store.FormatInstant(now)
		if n := strings.TrimSpace(in.Name); n != "" {
			if _, err := tx.ExecContext(ctx, `UPDATE people SET name = $1, updated_at = $2 WHERE id = $3`, n, ts, id); err != nil {
				return err
			}
		}
		if u := strings.TrimSpace(in.Unit); u != "" {
			uid, _, err := lookupUnit(ctx, tx, u)
			if errors.Is(err, errNoUnit) {
				return unknownUnit("unit", u)
			}
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE people SET unit_id = $1, updated_at = $2 WHERE id = $3`, uid, ts, id); err != nil {
				return err
			}
		}
		if in.Position != nil {
			if _, err := tx.ExecContext(ctx, `UPDATE people SET position = $1, updated_at = $2 WHERE id = $3`, deref(in.Position), ts, id); err != nil {
				return err
			}
		}
		if in.Rank != nil {
			if _, err := tx.ExecContext(ctx, `UPDATE people SET cadre_rank = $1, updated_at = $2 WHERE id = $3`, deref(in.Rank), ts, id); err != nil {
				return err
			}
		}
		if in.Active != nil {
			if _, err := tx.ExecContext(ctx, `UPDATE people SET active = $1, updated_at = $2 WHERE id = $3`, *in.Active, ts, id); err != nil {
				return err
			}
		}
		var err error
		p, err = getPerson(ctx, tx, id)
		if err != nil {
			return err
		}
		return audit.Append(ctx, tx, now, audit.Record{Actor: actor, Action: "person.update", Subject: fmt.Sprintf("person:%d", id), Data: p})
	})
	return p, err
}

const personCols = `p.id, p.name, u.code, u.name, p.position, p.cadre_rank, p.active`

func scanPerson(sc interface{ Scan(...any) error }) (Person, error) {
	var p Person
	err := sc.Scan(&p.ID, &p.Name, &p.Unit, &p.UnitName, &p.Position, &p.Rank, &p.Active)
	return p, err
}

func getPerson(ctx context.Context, q querier, id int64) (Person, error) {
	p, err := scanPerson(q.QueryRowContext(ctx, `SELECT `+personCols+` FROM people p JOIN units u ON u.id = p.unit_id WHERE p.id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Person{}, problem.NotFound("unknown_person", fmt.Sprintf("人员 %d 不存在", id), fmt.Sprintf("no person has the id %d", id))
	}
	return p, err
}

// Person returns one person.
func (s *Service) Person(ctx context.Context, id int64) (Person, error) {
	return getPerson(ctx, s.db.Read, id)
}

// PeopleFilter narrows People.
type PeopleFilter struct {
	Unit  string // with its sub-units
	Query string // substring of the name
	After int64  // keyset: ids greater than this
	Limit int
}

// People lists people by id.
func (s *Service) People(ctx context.Context, f PeopleFilter) ([]Person, error) {
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 100
	}
	path := ""
	if f.Unit != "" {
		_, p, err := s.UnitPath(ctx, f.Unit)
		if err != nil {
			return nil, err
		}
		path = p
	}
	rows, err := s.db.Read.QueryContext(ctx, `SELECT `+personCols+` FROM people p JOIN units u ON u.id = p.unit_id
		WHERE ($1 = '' OR u.path LIKE $1 || '%') AND ($2 = '' OR p.name LIKE '%' || $2 || '%') AND p.id > $3 ORDER BY p.id LIMIT $4`,
		path, f.Query, f.After, f.Limit)
	if err != nil {
		return nil, fmt.Errorf("org: list people: %w", err)
	}
	defer rows.Close()
	var out []Person
	for rows.Next() {
		p, err := scanPerson(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// PersonExists reports whether id names a person (for validating reports).
func (s *Service) PersonExists(ctx context.Context, id int64) (bool, error) {
	var n int
	err := s.db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM people WHERE id = $1`, id).Scan(&n)
	return n > 0, err
}
