package app

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"sync"

	"mashang/internal/audit"
	"mashang/internal/auth"
	"mashang/internal/catalog"
	"mashang/internal/clock"
	"mashang/internal/office"
	"mashang/internal/problem"
	"mashang/internal/store"
)

// Catalogs are the versions of the catalogue in force: the embedded one
// (the deployment's default) and those an admin loaded (catalog_versions).
// A version, once loaded, never changes: cases and decisions keep the
// version they were judged under. Each office judges its new cases under its
// version (office.CatalogKey, inherited from the office above; the default
// where none is set). Safe for concurrent use.
type Catalogs struct {
	db    *store.DB
	clock clock.Clock
	loc   *catalog.Localizer
	def   *catalog.Catalog

	mu       sync.RWMutex
	versions map[string]*catalog.Catalog
	held     *catalog.Catalog // the default completed with versions (nil: to be made again)
	offices  *office.Service
}

// NewCatalogs holds def (the embedded catalogue, localised) and, when load
// is set, the versions stored in db (otherwise they are read when first
// asked for: a schema not yet migrated has no table of them).
func NewCatalogs(ctx context.Context, db *store.DB, clk clock.Clock, def *catalog.Catalog, loc *catalog.Localizer, load bool) (*Catalogs, error) {
	c := &Catalogs{db: db, clock: clk, loc: loc, def: def, versions: map[string]*catalog.Catalog{def.Version: def}}
	if load {
		if err := c.reload(ctx); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// SetOffices makes Office answer with each office's version (app.New).
func (c *Catalogs) SetOffices(o *office.Service) {
	c.mu.Lock()
	c.offices = o
	c.mu.Unlock()
}

// Default is the embedded catalogue, the version where no office sets one.
func (c *Catalogs) Default() *catalog.Catalog { return c.def }

// reload reads the stored versions (another instance may have loaded one).
// A version never changes once loaded, so only the documents of versions not
// held yet are read and parsed: a look for new ones is one read of names.
func (c *Catalogs) reload(ctx context.Context) error {
	names, err := c.storedNames(ctx)
	if err != nil {
		return err
	}
	c.mu.RLock()
	var missing []string
	for _, v := range names {
		if _, ok := c.versions[v]; !ok {
			missing = append(missing, v)
		}
	}
	c.mu.RUnlock()
	got := map[string]*catalog.Catalog{}
	for _, version := range missing {
		var data string
		if err := c.db.Read.QueryRowContext(ctx, `SELECT data FROM catalog_versions WHERE version = $1`, version).Scan(&data); err != nil {
			return fmt.Errorf("app: read catalogue version %s: %w", version, err)
		}
		cat, err := c.parse([]byte(data))
		if err != nil {
			return fmt.Errorf("app: stored catalogue %s: %w", version, err)
		}
		got[cat.Version] = cat
	}
	if len(got) == 0 {
		return nil
	}
	c.mu.Lock()
	for v, cat := range got {
		c.versions[v] = cat
	}
	c.held = nil
	c.mu.Unlock()
	return nil
}

func (c *Catalogs) storedNames(ctx context.Context) ([]string, error) {
	rows, err := c.db.Read.QueryContext(ctx, `SELECT version FROM catalog_versions`)
	if err != nil {
		return nil, fmt.Errorf("app: read catalogue versions: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("app: read catalogue versions: %w", err)
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

func (c *Catalogs) parse(data []byte) (*catalog.Catalog, error) {
	cat, err := catalog.Parse(data)
	if err != nil {
		return nil, err
	}
	if c.loc != nil {
		return c.loc.Localize(cat)
	}
	return cat, nil
}

// Get is the catalogue of version ("": the default); ok is false for an
// unknown version. A version not held yet is looked for in the database
// (loaded on another instance).
func (c *Catalogs) Get(ctx context.Context, version string) (*catalog.Catalog, bool, error) {
	if version == "" {
		return c.def, true, nil
	}
	c.mu.RLock()
	cat, ok := c.versions[version]
	c.mu.RUnlock()
	if ok {
		return cat, true, nil
	}
	if err := c.reload(ctx); err != nil {
		return nil, false, err
	}
	c.mu.RLock()
	cat, ok = c.versions[version]
	c.mu.RUnlock()
	return cat, ok, nil
}

// Held is the default catalogue completed (catalog.Merge) with every other
// version this instance holds, by name: what the pages call a code they show
// without a version at hand (a list's situations, whichever office's).
func (c *Catalogs) Held() *catalog.Catalog {
	c.mu.RLock()
	h := c.held
	c.mu.RUnlock()
	if h != nil {
		return h
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.held == nil {
		names := slices.Sorted(maps.Keys(c.versions))
		others := make([]*catalog.Catalog, 0, len(names))
		for _, n := range names {
			others = append(others, c.versions[n])
		}
		c.held = c.def.Merge(others...)
	}
	return c.held
}

// HeldVersion is version as this instance holds it, without looking in the
// database ("": the default); else Held.
func (c *Catalogs) HeldVersion(version string) *catalog.Catalog {
	if version == "" {
		return c.def
	}
	c.mu.RLock()
	cat, ok := c.versions[version]
	c.mu.RUnlock()
	if ok {
		return cat
	}
	return c.Held()
}

// Versions lists the versions held, sorted (after looking for new ones in
// the database).
func (c *Catalogs) Versions(ctx context.Context) ([]*catalog.Catalog, error) {
	if err := c.reload(ctx); err != nil {
		return nil, err
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := make([]*catalog.Catalog, 0, len(c.versions))
	for _, cat := range c.versions {
		out = append(out, cat)
	}
	slices.SortFunc(out, func(a, b *catalog.Catalog) int { return strings.Compare(a.Version, b.Version) })
	return out, nil
}

// Known lists the codes of the versions held, for office.Service's check of
// an office's version.
func (c *Catalogs) Known(ctx context.Context) ([]string, error) {
	vs, err := c.Versions(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = v.Version
	}
	return out, nil
}

// Office is the catalogue office officeID judges its new cases under: its
// version, or the nearest office above's, or the default.
func (c *Catalogs) Office(ctx context.Context, officeID int64) (*catalog.Catalog, error) {
	c.mu.RLock()
	offices := c.offices
	c.mu.RUnlock()
	if offices == nil {
		return c.def, nil
	}
	version, err := office.Get(ctx, offices, officeID, office.CatalogKey, c.def.Version)
	if err != nil {
		return nil, err
	}
	cat, ok, err := c.Get(ctx, version)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("app: office %d judges under catalogue %q, which is not loaded", officeID, version)
	}
	return cat, nil
}

// ForCase is the catalogue a case is judged under: version, the one it
// keeps, or ("" for a case registered without a situation) its office's.
func (c *Catalogs) ForCase(ctx context.Context, version string, officeID int64) (*catalog.Catalog, error) {
	if version == "" && officeID == 0 {
		return c.def, nil
	}
	if version == "" {
		return c.Office(ctx, officeID)
	}
	cat, ok, err := c.Get(ctx, version)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("app: a case keeps catalogue %q, which is not loaded", version)
	}
	return cat, nil
}

// Caller is the catalogue a caller works under: a staff member's office's
// version; the public's and the program's own (no office) the default. The
// catalogue without parameters (GET /api/v1/catalog), the clerk's intake
// form, the decision form's choices: what the caller may pick from.
func (c *Catalogs) Caller(ctx context.Context, p auth.Principal) (*catalog.Catalog, error) {
	if p.OfficeID == 0 {
		return c.def, nil
	}
	return c.Office(ctx, p.OfficeID)
}

// Scope is the catalogue of the cases a caller sees: its office's version
// completed (catalog.Merge) with the versions of the offices below it, so
// that a city's filter offers the situation only one of its counties knows.
// The choices of the staff's filters.
func (c *Catalogs) Scope(ctx context.Context, p auth.Principal) (*catalog.Catalog, error) {
	return c.merged(ctx, p.OfficeID, p.Offices, false)
}

// Names is Scope completed with every other version held: a case keeps the
// version it was classified under after its office moved on, so a code on a
// case, a decision or a figure is named from the caller's version first,
// else from whichever version has it. The codes a filter accepts.
func (c *Catalogs) Names(ctx context.Context, p auth.Principal) (*catalog.Catalog, error) {
	return c.merged(ctx, p.OfficeID, p.Offices, true)
}

// Public is Names for the public portal's figures of office officeID (0:
// the whole deployment, under the default) with the offices below it.
func (c *Catalogs) Public(ctx context.Context, officeID int64, below []int64) (*catalog.Catalog, error) {
	return c.merged(ctx, officeID, below, true)
}

// merged is the catalogue of office first (0: the default) completed with
// the versions of offices, then, when every is set, of every version held.
func (c *Catalogs) merged(ctx context.Context, first int64, offices []int64, every bool) (*catalog.Catalog, error) {
	head := c.def
	if first != 0 {
		var err error
		if head, err = c.Office(ctx, first); err != nil {
			return nil, err
		}
	}
	var rest []*catalog.Catalog
	for _, id := range offices {
		if id == first {
			continue
		}
		cat, err := c.Office(ctx, id)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(rest, cat) {
			rest = append(rest, cat)
		}
	}
	if every {
		all, err := c.Versions(ctx)
		if err != nil {
			return nil, err
		}
		// The default first, then the others by name.
		rest = append(rest, c.def)
		rest = append(rest, all...)
	}
	if len(rest) == 0 {
		return head, nil
	}
	return head.Merge(rest...), nil
}

// Categories lists the categories of every version held, sorted: what the
// statistics count cases by.
func (c *Catalogs) Categories(ctx context.Context) ([]string, error) {
	all, err := c.Versions(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, v := range all {
		for _, k := range v.Categories() {
			if !slices.Contains(out, k) {
				out = append(out, k)
			}
		}
	}
	slices.Sort(out)
	return out, nil
}

// Naming is ForCase for showing a case's codes: where the version is not to
// be had (a version this deployment never loaded, a database that does not
// answer) it is Held, so that a page or list still names what it can.
func (c *Catalogs) Naming(ctx context.Context, version string, officeID int64) *catalog.Catalog {
	cat, err := c.ForCase(ctx, version, officeID)
	if err != nil {
		return c.Held()
	}
	return cat
}

// versionRe is what a catalogue version may be called (it appears in
// settings, URLs and on cases).
var versionRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// Import loads a catalogue document (the embedded file's format, checked by
// catalog.Parse) as a new version, stored in the database and audited. A
// bad document is 422 invalid_catalog; a version already held is 409
// catalog_version_exists, unless the document is the same (then nothing
// happens and created is false). The catalogue is returned.
func (c *Catalogs) Import(ctx context.Context, p auth.Principal, data []byte) (*catalog.Catalog, bool, error) {
	cat, err := c.parse(data)
	if err != nil {
		msg := strings.TrimPrefix(err.Error(), "catalog: ")
		return nil, false, problem.Invalid("file", "invalid_catalog", "目录文件有误："+msg, "the catalogue document is not valid: "+msg)
	}
	if !versionRe.MatchString(cat.Version) {
		return nil, false, problem.Invalid("version", "invalid_catalog_version", "目录版本号 "+cat.Version+" 无效（字母、数字、点、横线，最多 64 个）",
			"the catalogue version "+cat.Version+" is not valid (letters, digits, dots and dashes, at most 64)")
	}
	exists := func(same bool) (*catalog.Catalog, bool, error) {
		if same {
			return cat, false, nil
		}
		return nil, false, problem.Conflict("catalog_version_exists", "目录版本 "+cat.Version+" 已存在，内容不同；已载入的版本不能更改，请用新的版本号",
			"the catalogue version "+cat.Version+" exists with other contents; a loaded version never changes: give the document a new version")
	}
	if cat.Version == c.def.Version {
		raw, err := catalog.EmbeddedDocument()
		if err != nil {
			return nil, false, err
		}
		return exists(sameJSON(raw, data))
	}
	at := c.clock.Now()
	err = c.db.Tx(ctx, func(tx *sql.Tx) error {
		var stored string
		err := tx.QueryRowContext(ctx, `SELECT data FROM catalog_versions WHERE version = $1`, cat.Version).Scan(&stored)
		if err == nil {
			_, _, err = exists(sameJSON([]byte(stored), data))
			if err == nil {
				err = errSame
			}
			return err
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("app: look up catalogue version: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO catalog_versions (version, data, loaded_at, loaded_by) VALUES ($1, $2, $3, $4)`,
			cat.Version, string(data), store.FormatInstant(at), p.Actor()); err != nil {
			if store.IsUniqueViolation(err) {
				return problem.Conflict("catalog_version_exists", "目录版本 "+cat.Version+" 刚被载入", "the catalogue version "+cat.Version+" was loaded a moment ago").Wrap(err)
			}
			return fmt.Errorf("app: store catalogue version: %w", err)
		}
		return audit.Append(ctx, tx, at, audit.Record{Actor: p.Actor(), Action: "catalog.import", Subject: "catalog:" + cat.Version,
			Data: map[string]any{"version": cat.Version, "effective_from": cat.EffectiveFrom, "situations": len(cat.Situations), "sanctions": len(cat.Sanctions)}})
	})
	if errors.Is(err, errSame) {
		return cat, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	c.mu.Lock()
	c.versions[cat.Version] = cat
	c.held = nil
	c.mu.Unlock()
	return cat, true, nil
}

var errSame = errors.New("app: the same catalogue document")

// sameJSON reports whether two catalogue documents say the same (parsed
// alike, whatever their spacing).
func sameJSON(a, b []byte) bool {
	ca, errA := catalog.Parse(a)
	cb, errB := catalog.Parse(b)
	if errA != nil || errB != nil {
		return false
	}
	return fmt.Sprintf("%+v", *ca) == fmt.Sprintf("%+v", *cb)
}
