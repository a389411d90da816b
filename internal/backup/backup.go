// Package backup writes and restores mashang's backups: one archive holding
// a consistent snapshot of the database, the attachment files it
// references, optionally the keys, and a manifest.
//
// # The archive
//
// A tar file, so that `tar tf` lists it:
//
//	db/<table>.jsonl.gz      one member per table of the schema
//	files/<sha256>           each attachment file the snapshot references
//	keys/<name>              only with WithKeys: the identity key and the like
//	manifest.json            last: versions, audit head, counts, members' SHA-256
//
// The database part is logical and the same for both engines: each table's
// first line names its columns and their portable kinds (store.Kind), and
// each further line is one row as a JSON array (blobs in base64). A backup
// of SQLite therefore restores into PostgreSQL and the other way round.
// Tables are found in the engine's catalogue (store.Tables), so a table a
// migration adds is backed up without anyone listing it.
//
// # Consistency
//
// Every table is read inside one read-only transaction: on SQLite a WAL read
// transaction, which sees one snapshot while the server keeps writing; on
// PostgreSQL REPEATABLE READ, the same. Attachment files are content
// addressed and never change, so copying those the snapshot names gives the
// files of that moment. Reports acknowledged before the backup started are
// in it; reports acknowledged while it runs may or may not be.
package backup

import (
	"archive/tar"
	"bufio"
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
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"mashang/internal/attach"
	"mashang/internal/config"
	"mashang/internal/store"
)

// Format is the archive format's version; Restore refuses a newer one.
const Format = 1

// ManifestName is the manifest's member name (the archive's last member).
const ManifestName = "manifest.json"

// Manifest describes one backup.
type Manifest struct {
	Format    int       `json:"format"`
	Version   string    `json:"version"` // the mashang that made it
	CreatedAt time.Time `json:"created_at"`
	Engine    string    `json:"engine"` // the engine it was taken from
	Schema    int64     `json:"schema"` // migration version of the snapshot
	// AuditHead is the audit chain's head in the snapshot: the restored
	// copy must verify and end exactly there.
	AuditHead AuditHead `json:"audit_head"`
	// Checkpoint is the audit log's latest signed checkpoint in the
	// snapshot (a signed note; empty before the first): a restore must
	// extend it.
	Checkpoint string `json:"checkpoint,omitempty"`
	// Tables lists every table with its columns; Rows counts each.
	Tables []store.Table     `json:"tables"`
	Rows   map[string]int64  `json:"rows"`
	Files  FileCount         `json:"files"`
	Years  []int             `json:"calendar_years"` // imported calendar years
	Keys   map[string]string `json:"keys"`           // key name → fingerprint (SHA-256 of the file, 16 hex digits)
	// WithKeys says the keys themselves are in the archive (keys/NAME).
	WithKeys bool `json:"with_keys"`
	// Missing lists attachment files the snapshot references that were not
	// on disk when the backup ran (erased by retention meanwhile, or lost).
	Missing []string `json:"missing_files,omitempty"`
	Members []Member `json:"members"`
}

// AuditHead is the last entry of the audit chain.
type AuditHead struct {
	Seq  int64  `json:"seq"`
	Hash string `json:"hash"`
}

// FileCount counts the attachment files in an archive.
type FileCount struct {
	Count int   `json:"count"`
	Bytes int64 `json:"bytes"`
}

// Member is one member of the archive with its checksum.
type Member struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Key is a key file the configuration names.
type Key struct {
	Name string // member name under keys/, e.g. "identity.key"
	Path string
}

// Source is what Create backs up.
type Source struct {
	DB       *store.DB
	Files    *attach.Store
	Keys     []Key
	WithKeys bool
	Version  string
	Now      func() time.Time
}

// Create writes a backup of src to path, which must not exist: the archive
// is written beside it under a temporary name, synced, and renamed into
// place, so a crash never leaves a half archive under the final name.
func Create(ctx context.Context, src Source, path string) (*Manifest, error) {
	if _, err := os.Lstat(path); err == nil {
		return nil, fmt.Errorf("backup: %s exists; name a new file", path)
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(0o600); err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	bw := bufio.NewWriterSize(tmp, 1<<20)
	m, err := write(ctx, src, bw, dir)
	if err != nil {
		return nil, err
	}
	if err := bw.Flush(); err != nil {
		return nil, fmt.Errorf("backup: write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		return nil, fmt.Errorf("backup: sync %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return nil, fmt.Errorf("backup: close %s: %w", path, err)
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	os.Remove(tmp.Name())
	syncDir(dir)
	ok = true
	return m, nil
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// archive writes tar members and records their checksums.
type archive struct {
	tw      *tar.Writer
	members []Member
	now     time.Time
}

// add copies size bytes of r into a member named name.
func (a *archive) add(name string, size int64, r io.Reader) (string, error) {
	h := sha256.New()
	if err := a.tw.WriteHeader(&tar.Header{Name: name, Mode: 0o600, Size: size, ModTime: a.now, Typeflag: tar.TypeReg, Format: tar.FormatPAX}); err != nil {
		return "", fmt.Errorf("backup: %s: %w", name, err)
	}
	n, err := io.Copy(io.MultiWriter(a.tw, h), r)
	if err != nil {
		return "", fmt.Errorf("backup: %s: %w", name, err)
	}
	if n != size {
		return "", fmt.Errorf("backup: %s changed while it was read (%d bytes, expected %d)", name, n, size)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	a.members = append(a.members, Member{Name: name, Size: size, SHA256: sum})
	return sum, nil
}

func write(ctx context.Context, src Source, w io.Writer, tmpDir string) (*Manifest, error) {
	now := time.Now
	if src.Now != nil {
		now = src.Now
	}
	m := &Manifest{Format: Format, Version: src.Version, CreatedAt: now().UTC(), Engine: string(src.DB.Engine),
		Rows: map[string]int64{}, Keys: map[string]string{}, WithKeys: src.WithKeys}
	a := &archive{tw: tar.NewWriter(w), now: m.CreatedAt}

	// One snapshot for every table.
	opts := &sql.TxOptions{ReadOnly: true}
	if src.DB.Engine == store.Postgres {
		opts.Isolation = sql.LevelRepeatableRead
	}
	tx, err := src.DB.Read.BeginTx(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("backup: begin snapshot: %w", err)
	}
	defer tx.Rollback()
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version_id), 0) FROM `+store.VersionTable+` WHERE is_applied`).Scan(&m.Schema); err != nil {
		return nil, fmt.Errorf("backup: schema version: %w", err)
	}
	if m.Schema == 0 {
		return nil, errors.New("backup: the database has no schema yet: nothing to back up")
	}
	if err := tx.QueryRowContext(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1`).Scan(&m.AuditHead.Seq, &m.AuditHead.Hash); err != nil {
		return nil, fmt.Errorf("backup: audit head: %w", err)
	}
	if m.Tables, err = Tables(ctx, src.DB, tx); err != nil {
		return nil, err
	}
	for _, t := range m.Tables {
		if t.Name != "audit_checkpoints" {
			continue
		}
		err := tx.QueryRowContext(ctx, `SELECT note FROM audit_checkpoints ORDER BY id DESC LIMIT 1`).Scan(&m.Checkpoint)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("backup: latest checkpoint: %w", err)
		}
	}
	for _, t := range m.Tables {
		n, err := dumpTable(ctx, tx, t, a, tmpDir)
		if err != nil {
			return nil, err
		}
		m.Rows[t.Name] = n
	}
	rows, err := tx.QueryContext(ctx, `SELECT year FROM calendar_years ORDER BY year`)
	if err != nil {
		return nil, fmt.Errorf("backup: calendar years: %w", err)
	}
	for rows.Next() {
		var y int
		if err := rows.Scan(&y); err != nil {
			rows.Close()
			return nil, err
		}
		m.Years = append(m.Years, y)
	}
	rows.Close()
	if err := copyFiles(ctx, tx, src, m, a); err != nil {
		return nil, err
	}
	for _, k := range src.Keys {
		data, err := os.ReadFile(k.Path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("backup: key %s: %w", k.Name, err)
		}
		m.Keys[k.Name] = Fingerprint(data)
		if src.WithKeys {
			if _, err := a.add("keys/"+k.Name, int64(len(data)), strings.NewReader(string(data))); err != nil {
				return nil, err
			}
		}
	}
	m.Members = a.members
	mj, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := a.tw.WriteHeader(&tar.Header{Name: ManifestName, Mode: 0o600, Size: int64(len(mj)), ModTime: a.now, Typeflag: tar.TypeReg, Format: tar.FormatPAX}); err != nil {
		return nil, err
	}
	if _, err := a.tw.Write(mj); err != nil {
		return nil, err
	}
	if err := a.tw.Close(); err != nil {
		return nil, fmt.Errorf("backup: finish archive: %w", err)
	}
	return m, nil
}

// Fingerprint names a key without revealing it: the first 16 hex digits of
// the SHA-256 of the key file's content (white space trimmed).
func Fingerprint(data []byte) string {
	s := sha256.Sum256([]byte(strings.TrimSpace(string(data))))
	return hex.EncodeToString(s[:8])
}

// Tables are the tables a backup carries as rows: every table of the
// schema, from the engine's catalogue, but those the database keeps
// attachment content in (a backup carries that content as files, whichever
// store it comes from).
func Tables(ctx context.Context, db *store.DB, q store.Querier) ([]store.Table, error) {
	all, err := db.Tables(ctx, q)
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, t := range all {
		if !slices.Contains(attach.DBTables(), t.Name) {
			out = append(out, t)
		}
	}
	return out, nil
}

// fileTables are the tables whose sha256 column names a file in the
// attachment store.
func fileTables(tables []store.Table) []string {
	var out []string
	for _, t := range tables {
		if !strings.HasSuffix(t.Name, "attachments") {
			continue
		}
		for _, c := range t.Columns {
			if c.Name == "sha256" {
				out = append(out, t.Name)
			}
		}
	}
	return out
}

// copyFiles adds every attachment file the snapshot references, each once.
func copyFiles(ctx context.Context, tx *sql.Tx, src Source, m *Manifest, a *archive) error {
	ft := fileTables(m.Tables)
	if len(ft) == 0 || src.Files == nil {
		return nil
	}
	var parts []string
	for _, t := range ft {
		parts = append(parts, `SELECT sha256 FROM `+t)
	}
	rows, err := tx.QueryContext(ctx, strings.Join(parts, " UNION ")+` ORDER BY 1`)
	if err != nil {
		return fmt.Errorf("backup: referenced files: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var sha string
		if err := rows.Scan(&sha); err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if !attach.ValidSHA(sha) {
			m.Missing = append(m.Missing, sha)
			continue
		}
		f, err := src.Files.Open(ctx, sha)
		if errors.Is(err, fs.ErrNotExist) {
			m.Missing = append(m.Missing, sha)
			continue
		}
		if err != nil {
			return fmt.Errorf("backup: %w", err)
		}
		size, err := f.Seek(0, io.SeekEnd)
		if err == nil {
			_, err = f.Seek(0, io.SeekStart)
		}
		if err != nil {
			f.Close()
			return fmt.Errorf("backup: file %s: %w", sha, err)
		}
		sum, err := a.add("files/"+sha, size, f)
		f.Close()
		if err != nil {
			return err
		}
		if sum != sha {
			return fmt.Errorf("backup: attachment file %s does not hold what its name says (SHA-256 %s): the store is damaged", sha, sum)
		}
		m.Files.Count++
		m.Files.Bytes += size
	}
	return rows.Err()
}

// header is the first line of a table member.
type header struct {
	Table   string         `json:"table"`
	Columns []store.Column `json:"columns"`
}

// dumpTable writes t's rows to a compressed temporary file, then into the
// archive (a tar member's size must be known before its content).
func dumpTable(ctx context.Context, tx *sql.Tx, t store.Table, a *archive, tmpDir string) (int64, error) {
	f, err := os.CreateTemp(tmpDir, ".mashang-backup-*")
	if err != nil {
		return 0, fmt.Errorf("backup: %w", err)
	}
	defer func() { f.Close(); os.Remove(f.Name()) }()
	zw, _ := gzip.NewWriterLevel(f, gzip.BestSpeed)
	bw := bufio.NewWriterSize(zw, 256<<10)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(header{Table: t.Name, Columns: t.Columns}); err != nil {
		return 0, err
	}
	cols := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		cols[i] = c.Name
	}
	q := `SELECT ` + strings.Join(cols, ", ") + ` FROM ` + t.Name
	if len(t.Key) > 0 {
		q += ` ORDER BY ` + strings.Join(t.Key, ", ")
	}
	rows, err := tx.QueryContext(ctx, q)
	if err != nil {
		return 0, fmt.Errorf("backup: read %s: %w", t.Name, err)
	}
	defer rows.Close()
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	out := make([]any, len(cols))
	var n int64
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return 0, fmt.Errorf("backup: read %s: %w", t.Name, err)
		}
		for i, c := range t.Columns {
			if out[i], err = portable(c.Kind, vals[i]); err != nil {
				return 0, fmt.Errorf("backup: %s.%s: %w", t.Name, c.Name, err)
			}
		}
		if err := enc.Encode(out); err != nil {
			return 0, err
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("backup: read %s: %w", t.Name, err)
	}
	if err := bw.Flush(); err != nil {
		return 0, err
	}
	if err := zw.Close(); err != nil {
		return 0, err
	}
	size, err := f.Seek(0, io.SeekCurrent)
	if err != nil {
		return 0, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return 0, err
	}
	if _, err := a.add("db/"+t.Name+".jsonl.gz", size, f); err != nil {
		return 0, err
	}
	return n, nil
}

// portable turns a scanned value into its JSON form for the column's kind.
func portable(k store.Kind, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch k {
	case store.KindBool:
		switch x := v.(type) {
		case bool:
			return x, nil
		case int64:
			return x != 0, nil
		}
	case store.KindInteger:
		switch x := v.(type) {
		case int64:
			return x, nil
		case int32:
			return int64(x), nil
		case bool: // SQLite may type an integer column's value by its content
			if x {
				return int64(1), nil
			}
			return int64(0), nil
		}
	case store.KindReal:
		switch x := v.(type) {
		case float64:
			return x, nil
		case int64:
			return float64(x), nil
		}
	case store.KindBlob:
		switch x := v.(type) {
		case []byte:
			return base64.StdEncoding.EncodeToString(x), nil
		case string:
			return base64.StdEncoding.EncodeToString([]byte(x)), nil
		}
	case store.KindText:
		switch x := v.(type) {
		case string:
			return x, nil
		case []byte:
			return string(x), nil
		case time.Time:
			return store.FormatInstant(x), nil
		}
	}
	return nil, fmt.Errorf("a %T value in a %s column", v, k)
}

// KeysOf lists the key files the configuration names: what --with-keys
// puts in an archive and what restore checks or writes.
func KeysOf(cfg *config.Config) []Key {
	return []Key{{Name: "identity.key", Path: cfg.IdentityKeyFile}, {Name: "log.key", Path: cfg.LogKeyFile}}
}
