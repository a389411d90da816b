package app

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
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
func (c *Catalogs) reload(ctx context.Context) error {
	rows, err := c.db.Read.QueryContext(ctx, `SELECT version, data FROM catalog_versions`)
	if err != nil {
		return fmt.Errorf("app: read catalogue versions: %w", err)
	}
	defer rows.Close()
	got := map[string]*catalog.Catalog{c.def.Version: c.def}
	for rows.Next() {
		var version, data string
		if err := rows.Scan(&version, &data); err != nil {
			return fmt.Errorf("app: read catalogue versions: %w", err)
		}
		cat, err := c.parse([]byte(data))
		if err != nil {
			return fmt.Errorf("app: stored catalogue %s: %w", version, err)
		}
		got[cat.Version] = cat
	}
	if err := rows.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	c.versions = got
	c.mu.Unlock()
	return nil
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
