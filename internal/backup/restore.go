package backup

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"mashang/internal/attach"
	"mashang/internal/audit"
	"mashang/internal/store"
)

// ErrNotEmpty is returned (wrapped) when the restore target already holds
// data; nothing is changed then.
var ErrNotEmpty = errors.New("backup: the restore target is not empty")

// ErrDamaged is returned (wrapped) when the archive fails a check: a
// member's checksum, a missing member, an unreadable manifest.
var ErrDamaged = errors.New("backup: the archive is damaged")

// ErrMismatch is returned (wrapped) when the restored copy does not match
// its manifest (counts, audit chain).
var ErrMismatch = errors.New("backup: the restored copy does not match the backup")

// Target says where to restore.
type Target struct {
	URL     string // empty: SQLite in DataDir
	DataDir string // SQLite file and attachments
	// FilesInDatabase puts the attachment files in the database (the
	// attachments option) instead of DataDir/attachments.
	FilesInDatabase bool
	Keys            []Key
	Logger          *slog.Logger
	// Say receives one line per step, for the person running the restore.
	Say func(format string, args ...any)
}

// Report says what a restore did and found.
type Report struct {
	Manifest     *Manifest
	Rows         int64
	Files        int
	Schema       int64 // after migrating
	AuditEntries int64
	KeysWritten  []string
	KeyWarnings  []string
}

// Restore restores the archive at path into t, which must be empty: no
// SQLite database or attachments in DataDir (a key file the configuration
// names may already be there), no tables in the PostgreSQL database. It
// checks every member's SHA-256 against the manifest before touching the
// target, loads the database at the backup's schema version in one
// transaction, writes the files, migrates to this binary's schema, then
// verifies the audit chain and compares every table's count and the audit
// head with the manifest. When any step fails, what it created is removed.
func Restore(ctx context.Context, path string, t Target) (_ *Report, err error) {
	say := t.Say
	if say == nil {
		say = func(string, ...any) {}
	}
	log := t.Logger
	if log == nil {
		log = slog.Default()
	}
	if t.URL == "" {
		if err := emptyDir(t.DataDir, t.Keys); err != nil {
			return nil, err
		}
	} else if err := emptyDatabase(ctx, t.URL, log); err != nil {
		return nil, err
	}
	m, err := verifyArchive(path)
	if err != nil {
		return nil, err
	}
	say("archive %s: %d members, every SHA-256 matches the manifest (made %s by mashang %s from %s, schema %d)",
		path, len(m.Members), m.CreatedAt.Format("2006-01-02 15:04:05Z"), m.Version, m.Engine, m.Schema)
	rep := &Report{Manifest: m}
	if err := checkKeys(m, t, path, rep); err != nil {
		return nil, err
	}

	createdDir := false
	if t.URL == "" {
		if _, err := os.Stat(t.DataDir); errors.Is(err, fs.ErrNotExist) {
			createdDir = true
		}
	}
	db, err := store.Open(ctx, store.Options{URL: t.URL, DataDir: t.DataDir, Logger: log})
	if err != nil {
		return nil, err
	}
	loaded, keep := false, false
	defer func() {
		if err != nil && !keep {
			undo(context.WithoutCancel(ctx), db, t, createdDir, loaded, rep)
		}
		db.Close()
	}()
	_, newest, err := db.SchemaVersions(ctx)
	if err != nil {
		return nil, err
	}
	if m.Schema > newest {
		return nil, fmt.Errorf("backup: the backup has schema %d but this mashang knows migrations up to %d: restore it with a newer mashang", m.Schema, newest)
	}
	loaded = true // from here on the target holds our tables
	if err := db.MigrateTo(ctx, m.Schema); err != nil {
		return nil, err
	}
	if err := load(ctx, db, path, m, rep); err != nil {
		return nil, err
	}
	say("database: %d tables, %d rows loaded into %s at schema %d; every count matches the manifest", len(m.Tables), rep.Rows, db.Engine, m.Schema)
	if rep.Schema, err = db.Migrate(ctx); err != nil {
		return nil, err
	}
	say("schema: migrated from %d to %d", m.Schema, rep.Schema)
	// The files after migrating: an older backup's schema may lack the
	// tables the database keeps them in.
	files, err := targetFiles(db, t)
	if err != nil {
		return nil, err
	}
	if err := writeFiles(ctx, path, t, files, rep); err != nil {
		return nil, err
	}
	say("attachments: %d files (%d bytes) written to %s", rep.Files, m.Files.Bytes, files.Backend())
	if len(m.Missing) > 0 {
		say("warning: %d attachment files were missing when the backup was made (the manifest lists them)", len(m.Missing))
	}
	if _, err := audit.EnsureTree(ctx, db); err != nil { // a backup from before the log's Merkle tree
		return nil, err
	}
	// audit verify as the command runs it: chain, tree, the stored signed
	// checkpoints, the cross-checks with the tables, and the manifest's
	// checkpoint, which the restored log must extend.
	opts := audit.CheckOptions{}
	if m.Checkpoint != "" {
		opts.External = []byte(m.Checkpoint)
	}
	check, err := audit.Check(ctx, db.Read, opts)
	if err != nil {
		// Every row is back and counted: the copy is kept for inspection
		// (the original's log may have failed the same check).
		keep = true
		return rep, fmt.Errorf("%w: audit verify: %w (the restored data is kept for inspection; run mashang audit verify on the original too)", ErrMismatch, err)
	}
	rep.AuditEntries = check.Entries
	var head AuditHead
	if err := db.Read.QueryRowContext(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1`).Scan(&head.Seq, &head.Hash); err != nil {
		return nil, err
	}
	if head != m.AuditHead {
		return nil, fmt.Errorf("%w: the audit chain ends at entry %d, the manifest says %d", ErrMismatch, head.Seq, m.AuditHead.Seq)
	}
	say("audit verify: log intact, %d entries, head %s… as in the manifest; Merkle tree, %d signed checkpoints and %d rows and entries cross-checked",
		rep.AuditEntries, head.Hash[:min(12, len(head.Hash))], check.Checkpoints, check.CrossChecked)
	if check.ExternalSize > 0 {
		say("the restored log extends the manifest's signed checkpoint (%d entries)", check.ExternalSize)
	}
	for _, k := range rep.KeysWritten {
		say("key %s written", k)
	}
	for _, w := range rep.KeyWarnings {
		say("warning: %s", w)
	}
	return rep, nil
}

// emptyDatabase refuses a PostgreSQL database that has any table.
func emptyDatabase(ctx context.Context, url string, log *slog.Logger) error {
	db, err := store.Open(ctx, store.Options{URL: url, Logger: log})
	if err != nil {
		return err
	}
	defer db.Close()
	tables, err := db.Tables(ctx, db.Read)
	if err != nil {
		return err
	}
	var one int
	verr := db.Read.QueryRowContext(ctx, `SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = $1`, store.VersionTable).Scan(&one)
	if len(tables) > 0 || verr == nil {
		return fmt.Errorf("%w: the PostgreSQL database already has tables; restore into a new, empty database", ErrNotEmpty)
	}
	return nil
}

// emptyDir refuses a data directory that holds anything but the key files.
func emptyDir(dir string, keys []Key) error {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("backup: data directory: %w", err)
	}
	allowed := map[string]bool{}
	for _, k := range keys {
		if filepath.Clean(filepath.Dir(k.Path)) == filepath.Clean(dir) {
			allowed[filepath.Base(k.Path)] = true
		}
	}
	for _, e := range ents {
		if !allowed[e.Name()] {
			return fmt.Errorf("%w: %s holds %s; restore into an empty or new directory", ErrNotEmpty, dir, e.Name())
		}
	}
	return nil
}

// checkKeys compares the keys on the target with the manifest's before
// anything is written: a key the archive carries is written only where none
// is; a key already there must be the one the backup was made with.
func checkKeys(m *Manifest, t Target, path string, rep *Report) error {
	for _, k := range t.Keys {
		want, known := m.Keys[k.Name]
		have, err := os.ReadFile(k.Path)
		switch {
		case err == nil && known && Fingerprint(have) != want:
			return fmt.Errorf("backup: the key at %s (fingerprint %s) is not the one this backup was made with (%s): what it sealed or signed would not open or verify; move it away or point the configuration at the right key", k.Path, Fingerprint(have), want)
		case err == nil:
		case !errors.Is(err, fs.ErrNotExist):
			return fmt.Errorf("backup: key %s: %w", k.Path, err)
		case m.WithKeys && known:
			rep.KeysWritten = append(rep.KeysWritten, k.Path) // written after the database loads
		case known:
			rep.KeyWarnings = append(rep.KeyWarnings, fmt.Sprintf("the backup holds no keys (made without --with-keys): put the key with fingerprint %s at %s before starting mashang, or reporters' identities and TOTP secrets stay sealed", want, k.Path))
		}
	}
	return nil
}

// verifyArchive reads the whole archive once, checking each member against
// the manifest (which comes last), and returns the manifest.
func verifyArchive(path string) (*Manifest, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	defer f.Close()
	tr := tar.NewReader(bufio.NewReaderSize(f, 1<<20))
	sums := map[string]Member{}
	var mj []byte
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrDamaged, path, err)
		}
		if h.Name == ManifestName {
			if mj, err = io.ReadAll(io.LimitReader(tr, 64<<20)); err != nil {
				return nil, fmt.Errorf("%w: manifest: %w", ErrDamaged, err)
			}
			continue
		}
		hs := sha256.New()
		n, err := io.Copy(hs, tr)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrDamaged, h.Name, err)
		}
		sums[h.Name] = Member{Name: h.Name, Size: n, SHA256: hex.EncodeToString(hs.Sum(nil))}
	}
	if mj == nil {
		return nil, fmt.Errorf("%w: no %s (not a mashang backup, or cut short)", ErrDamaged, ManifestName)
	}
	var m Manifest
	if err := json.Unmarshal(mj, &m); err != nil {
		return nil, fmt.Errorf("%w: manifest: %w", ErrDamaged, err)
	}
	if m.Format < 1 || m.Format > Format {
		return nil, fmt.Errorf("backup: archive format %d; this mashang reads format %d", m.Format, Format)
	}
	for _, want := range m.Members {
		got, ok := sums[want.Name]
		if !ok {
			return nil, fmt.Errorf("%w: member %s is missing", ErrDamaged, want.Name)
		}
		if got != want {
			return nil, fmt.Errorf("%w: member %s has SHA-256 %s (%d bytes), the manifest says %s (%d bytes)", ErrDamaged, want.Name, got.SHA256, got.Size, want.SHA256, want.Size)
		}
		delete(sums, want.Name)
	}
	for name := range sums {
		return nil, fmt.Errorf("%w: member %s is not in the manifest", ErrDamaged, name)
	}
	for _, t := range m.Tables {
		if _, ok := m.Rows[t.Name]; !ok {
			return nil, fmt.Errorf("%w: the manifest has no count for table %s", ErrDamaged, t.Name)
		}
	}
	return &m, nil
}

// members calls fn for each member of the archive whose name has prefix.
func members(path, prefix string, fn func(name string, r io.Reader) error) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer f.Close()
	tr := tar.NewReader(bufio.NewReaderSize(f, 1<<20))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%w: %w", ErrDamaged, err)
		}
		if strings.HasPrefix(h.Name, prefix) {
			if err := fn(h.Name, tr); err != nil {
				return err
			}
		}
	}
}

// load fills the database in one transaction: constraints and triggers are
// set aside (rows reference each other in any order, and triggers would add
// rows of their own), every table emptied of the rows its migrations
// seeded, the rows inserted, the constraints checked again, and each table
// counted against the manifest before the commit.
func load(ctx context.Context, db *store.DB, path string, m *Manifest, rep *Report) error {
	target, err := db.Tables(ctx, db.Read)
	if err != nil {
		return err
	}
	tkinds := map[string]map[string]store.Kind{}
	for _, t := range target {
		tkinds[t.Name] = map[string]store.Kind{}
		for _, c := range t.Columns {
			tkinds[t.Name][c.Name] = c.Kind
		}
	}
	for _, t := range m.Tables {
		if tkinds[t.Name] == nil {
			return fmt.Errorf("%w: table %s is not in schema %d here", ErrDamaged, t.Name, m.Schema)
		}
	}
	if db.Engine == store.SQLite {
		if _, err := db.Write.ExecContext(ctx, `PRAGMA foreign_keys = OFF`); err != nil {
			return err
		}
		defer db.Write.ExecContext(context.WithoutCancel(ctx), `PRAGMA foreign_keys = ON`)
	}
	return db.Tx(ctx, func(tx *sql.Tx) error {
		rep.Rows = 0
		restoreConstraints, err := setAside(ctx, db, tx, target)
		if err != nil {
			return err
		}
		for _, t := range target {
			if _, err := tx.ExecContext(ctx, `DELETE FROM `+t.Name); err != nil {
				return fmt.Errorf("backup: empty %s: %w", t.Name, err)
			}
		}
		err = members(path, "db/", func(name string, r io.Reader) error {
			n, err := loadTable(ctx, tx, r, tkinds, db.Engine == store.SQLite)
			rep.Rows += n
			if err != nil {
				return fmt.Errorf("backup: %s: %w", name, err)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if err := restoreConstraints(); err != nil {
			return err
		}
		for _, t := range m.Tables {
			var n int64
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+t.Name).Scan(&n); err != nil {
				return err
			}
			if n != m.Rows[t.Name] {
				return fmt.Errorf("%w: table %s has %d rows, the manifest says %d", ErrMismatch, t.Name, n, m.Rows[t.Name])
			}
		}
		return nil
	})
}

// setAside disables what would get in the way of loading rows in any
// order, and returns the function that puts it back (and checks it).
func setAside(ctx context.Context, db *store.DB, tx *sql.Tx, tables []store.Table) (func() error, error) {
	type def struct{ table, name, sql string }
	var defs []def
	// readDefs reads (table, name, definition) rows: triggers or constraints.
	readDefs := func(q string) error {
		rows, err := tx.QueryContext(ctx, q)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var d def
			if err := rows.Scan(&d.table, &d.name, &d.sql); err != nil {
				return err
			}
			defs = append(defs, d)
		}
		return rows.Err()
	}
	if db.Engine == store.SQLite {
		if err := readDefs(`SELECT tbl_name, name, sql FROM sqlite_master WHERE type = 'trigger'`); err != nil {
			return nil, err
		}
		for _, d := range defs {
			if _, err := tx.ExecContext(ctx, `DROP TRIGGER `+d.name); err != nil {
				return nil, err
			}
		}
		return func() error {
			for _, d := range defs {
				if _, err := tx.ExecContext(ctx, d.sql); err != nil {
					return fmt.Errorf("backup: recreate trigger %s: %w", d.name, err)
				}
			}
			rows, err := tx.QueryContext(ctx, `PRAGMA foreign_key_check`)
			if err != nil {
				return err
			}
			defer rows.Close()
			if rows.Next() {
				var table string
				var rowid sql.NullInt64
				var parent string
				var fk int
				rows.Scan(&table, &rowid, &parent, &fk)
				return fmt.Errorf("%w: a row of %s refers to a missing row of %s", ErrMismatch, table, parent)
			}
			return rows.Err()
		}, nil
	}
	if err := readDefs(`SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint
		WHERE contype = 'f' AND connamespace = current_schema()::regnamespace`); err != nil {
		return nil, err
	}
	for _, d := range defs {
		if _, err := tx.ExecContext(ctx, `ALTER TABLE `+d.table+` DROP CONSTRAINT `+d.name); err != nil {
			return nil, err
		}
	}
	for _, t := range tables {
		if _, err := tx.ExecContext(ctx, `ALTER TABLE `+t.Name+` DISABLE TRIGGER USER`); err != nil {
			return nil, err
		}
	}
	return func() error {
		for _, t := range tables {
			if _, err := tx.ExecContext(ctx, `ALTER TABLE `+t.Name+` ENABLE TRIGGER USER`); err != nil {
				return err
			}
			for _, c := range t.Columns {
				var seq sql.NullString
				if err := tx.QueryRowContext(ctx, `SELECT pg_get_serial_sequence($1, $2)`, t.Name, c.Name).Scan(&seq); err != nil {
					return err
				}
				if seq.Valid {
					if _, err := tx.ExecContext(ctx, `SELECT setval($1, COALESCE((SELECT MAX(`+c.Name+`) FROM `+t.Name+`), 1), (SELECT COUNT(*) > 0 FROM `+t.Name+`))`, seq.String); err != nil {
						return fmt.Errorf("backup: sequence of %s: %w", t.Name, err)
					}
				}
			}
		}
		for _, d := range defs {
			if _, err := tx.ExecContext(ctx, `ALTER TABLE `+d.table+` ADD CONSTRAINT `+d.name+` `+d.sql); err != nil {
				return fmt.Errorf("%w: constraint %s on %s: %w", ErrMismatch, d.name, d.table, err)
			}
		}
		return nil
	}, nil
}

// loadTable inserts one table member's rows in batches of multi-row INSERTs.
//
// On SQLite it binds ? placeholders: SQLite looks $N names up one by one,
// which makes a statement of thousands of them slow to prepare.
func loadTable(ctx context.Context, tx *sql.Tx, r io.Reader, tkinds map[string]map[string]store.Kind, qmark bool) (int64, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return 0, err
	}
	dec := json.NewDecoder(bufio.NewReaderSize(zr, 256<<10))
	dec.UseNumber()
	var h header
	if err := dec.Decode(&h); err != nil {
		return 0, fmt.Errorf("header: %w", err)
	}
	kinds := tkinds[h.Table]
	if kinds == nil {
		return 0, fmt.Errorf("no table %s here", h.Table)
	}
	cols := make([]string, len(h.Columns))
	for i, c := range h.Columns {
		if _, ok := kinds[c.Name]; !ok {
			return 0, fmt.Errorf("table %s has no column %s here", h.Table, c.Name)
		}
		cols[i] = c.Name
	}
	per := max(1, min(500, 30000/max(1, len(cols))))
	var args []any
	var n int64
	inRows := 0
	flush := func() error {
		if inRows == 0 {
			return nil
		}
		var b strings.Builder
		b.WriteString(`INSERT INTO ` + h.Table + ` (` + strings.Join(cols, ", ") + `) VALUES `)
		p := 0
		for i := 0; i < inRows; i++ {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteByte('(')
			for j := range cols {
				if j > 0 {
					b.WriteString(", ")
				}
				p++
				if qmark {
					b.WriteByte('?')
				} else {
					b.WriteString("$" + strconv.Itoa(p))
				}
			}
			b.WriteByte(')')
		}
		if _, err := tx.ExecContext(ctx, b.String(), args...); err != nil {
			return err
		}
		args, inRows = args[:0], 0
		return nil
	}
	for {
		var row []any
		err := dec.Decode(&row)
		if err == io.EOF {
			break
		}
		if err != nil {
			return n, fmt.Errorf("row %d: %w", n+1, err)
		}
		if len(row) != len(cols) {
			return n, fmt.Errorf("row %d has %d values for %d columns", n+1, len(row), len(cols))
		}
		for i, v := range row {
			x, err := native(kinds[cols[i]], v)
			if err != nil {
				return n, fmt.Errorf("row %d, column %s: %w", n+1, cols[i], err)
			}
			args = append(args, x)
		}
		inRows++
		n++
		if inRows == per {
			if err := flush(); err != nil {
				return n, err
			}
		}
	}
	return n, flush()
}

// native turns a JSON value back into a database value of kind k.
func native(k store.Kind, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch k {
	case store.KindBool:
		switch x := v.(type) {
		case bool:
			return x, nil
		case json.Number:
			return x.String() != "0", nil
		}
	case store.KindInteger:
		switch x := v.(type) {
		case json.Number:
			return x.Int64()
		case bool:
			if x {
				return int64(1), nil
			}
			return int64(0), nil
		}
	case store.KindReal:
		if x, ok := v.(json.Number); ok {
			return x.Float64()
		}
	case store.KindBlob:
		if x, ok := v.(string); ok {
			return base64.StdEncoding.DecodeString(x)
		}
	case store.KindText:
		switch x := v.(type) {
		case string:
			return x, nil
		case json.Number:
			return x.String(), nil
		}
	}
	return nil, fmt.Errorf("a %T value for a %s column", v, k)
}

// targetFiles is the attachment store of the restored copy.
func targetFiles(db *store.DB, t Target) (*attach.Store, error) {
	if t.FilesInDatabase {
		return attach.New(attach.NewDB(db, time.Now), filepath.Join(t.DataDir, "spool"))
	}
	return attach.NewStore(filepath.Join(t.DataDir, "attachments"))
}

// writeFiles puts the archive's attachment files (and keys) in place.
func writeFiles(ctx context.Context, path string, t Target, files *attach.Store, rep *Report) error {
	keyPath := map[string]string{}
	for _, k := range t.Keys {
		keyPath["keys/"+k.Name] = k.Path
	}
	written := map[string]bool{}
	for _, p := range rep.KeysWritten {
		written[p] = true
	}
	return members(path, "", func(name string, r io.Reader) error {
		switch {
		case strings.HasPrefix(name, "files/"):
			sha := strings.TrimPrefix(name, "files/")
			b, err := files.PutKeepMetadata(ctx, r, 1<<40)
			if err != nil {
				return fmt.Errorf("backup: restore %s: %w", name, err)
			}
			if b.SHA256 != sha {
				return fmt.Errorf("%w: %s holds content with SHA-256 %s", ErrDamaged, name, b.SHA256)
			}
			rep.Files++
		case strings.HasPrefix(name, "keys/"):
			p, ok := keyPath[name]
			if !ok || !written[p] {
				return nil
			}
			var b bytes.Buffer
			if _, err := io.Copy(&b, io.LimitReader(r, 4096)); err != nil {
				return err
			}
			if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
				return err
			}
			if err := os.WriteFile(p, b.Bytes(), 0o600); err != nil {
				return fmt.Errorf("backup: write key %s: %w", p, err)
			}
		}
		return nil
	})
}

// undo removes what a failed restore created: the tables (PostgreSQL) or
// the data directory's new contents (SQLite).
func undo(ctx context.Context, db *store.DB, t Target, createdDir, loaded bool, rep *Report) {
	if t.URL == "" {
		db.Close()
		if createdDir {
			os.RemoveAll(t.DataDir)
			return
		}
		keep := map[string]bool{}
		for _, k := range t.Keys {
			if _, err := os.Stat(k.Path); err == nil && filepath.Dir(k.Path) == filepath.Clean(t.DataDir) {
				keep[filepath.Base(k.Path)] = true
			}
		}
		if rep != nil {
			for _, p := range rep.KeysWritten {
				keep[filepath.Base(p)] = false
				os.Remove(p)
			}
		}
		ents, _ := os.ReadDir(t.DataDir)
		for _, e := range ents {
			if !keep[e.Name()] {
				os.RemoveAll(filepath.Join(t.DataDir, e.Name()))
			}
		}
		return
	}
	if !loaded {
		return
	}
	tables, err := db.Tables(ctx, db.Write)
	if err != nil {
		return
	}
	var names []string
	for _, tb := range tables {
		names = append(names, tb.Name)
	}
	names = append(names, store.VersionTable)
	db.Write.ExecContext(ctx, `DROP TABLE IF EXISTS `+strings.Join(names, ", ")+` CASCADE`)
	// The migrations' trigger functions (the database held no tables
	// before, so these are ours).
	var fns []string
	if rows, err := db.Write.QueryContext(ctx, `SELECT p.oid::regprocedure::text FROM pg_proc p WHERE p.pronamespace = current_schema()::regnamespace`); err == nil {
		for rows.Next() {
			var f string
			if rows.Scan(&f) == nil {
				fns = append(fns, f)
			}
		}
		rows.Close()
	}
	for _, f := range fns {
		db.Write.ExecContext(ctx, `DROP FUNCTION IF EXISTS `+f+` CASCADE`)
	}
}
