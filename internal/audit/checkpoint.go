package audit

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"mashang/internal/clock"
	"mashang/internal/store"

	tlogfmt "github.com/transparency-dev/formats/log"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Checkpoints. The server signs the tree's size and root hash, with the time,
// as a checkpoint (the transparency-dev/C2SP format: origin line, decimal
// size, base64 root hash, then one extension line "time RFC3339") inside a
// signed note (golang.org/x/mod/sumdb/note, Ed25519). Anyone holding the
// verifier key (`mashang audit key`, shown on the portal) can check a
// checkpoint with any note implementation, and anyone who kept an older
// checkpoint can check, with a consistency proof, that the newer tree
// extends it: a rewritten history no longer matches what others hold.

// Key is the log's signing key, read from a key file that holds the
// signed-note private key (PRIVATE+KEY+NAME+HASH+DATA). NAME is the log's
// origin and stays the same across key rotations.
type Key struct {
	Signer note.Signer
	// Verifier is the public key in the signed-note format NAME+HASH+BASE64.
	Verifier     string
	noteVerifier note.Verifier
}

// Origin is the log's name (the checkpoint's first line).
func (k *Key) Origin() string { return k.Signer.Name() }

// NoteVerifier checks signatures of this key.
func (k *Key) NoteVerifier() note.Verifier { return k.noteVerifier }

// ParseKey reads a signed-note private key.
func ParseKey(skey string) (*Key, error) {
	skey = strings.TrimSpace(skey)
	s, err := note.NewSigner(skey)
	if err != nil {
		return nil, fmt.Errorf("audit: log key: %w", err)
	}
	// PRIVATE+KEY+NAME+HASH+BASE64(alg ‖ seed): the public key follows from the seed.
	// (NAME and HASH hold no '+'; the base64 may.)
	parts := strings.SplitN(skey, "+", 5)
	raw, err := base64.StdEncoding.DecodeString(parts[4])
	if err != nil || len(raw) != 1+ed25519.SeedSize || raw[0] != 1 {
		return nil, errors.New("audit: log key is not an Ed25519 signed-note key")
	}
	pub := ed25519.NewKeyFromSeed(raw[1:]).Public().(ed25519.PublicKey)
	vkey, err := note.NewEd25519VerifierKey(s.Name(), pub)
	if err != nil {
		return nil, fmt.Errorf("audit: log key: %w", err)
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, fmt.Errorf("audit: log key: %w", err)
	}
	return &Key{Signer: s, Verifier: vkey, noteVerifier: v}, nil
}

// NewKey makes a fresh key for the log named origin.
func NewKey(origin string) (skey string, k *Key, err error) {
	skey, _, err = note.GenerateKey(rand.Reader, origin)
	if err != nil {
		return "", nil, fmt.Errorf("audit: new log key %q: %w", origin, err)
	}
	k, err = ParseKey(skey)
	return skey, k, err
}

// ReadKeyFile loads the key at path. It refuses a file that group or others
// may read.
func ReadKeyFile(path string) (*Key, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("audit: log key file: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("audit: log key file %s: %w", path, err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("audit: log key file %s is not a regular file", path)
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("audit: log key file %s has mode %04o: it is readable or writable by group or others; run chmod 600 on it", path, perm)
	}
	b, err := io.ReadAll(io.LimitReader(f, 4096))
	if err != nil {
		return nil, fmt.Errorf("audit: reading log key file %s: %w", path, err)
	}
	k, err := ParseKey(string(b))
	if err != nil {
		return nil, fmt.Errorf("%w (in %s)", err, path)
	}
	return k, nil
}

// WriteKeyFile writes skey to path (mode 0600, missing parent directories
// 0700) through a temporary file, so that no reader sees half a key. With
// replace false it never overwrites a key that is already there (two
// processes starting at once agree on one key).
func WriteKeyFile(path, skey string, replace bool) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("audit: creating key directory: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".log-key-*")
	if err != nil {
		return fmt.Errorf("audit: creating key file: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("audit: creating key file: %w", err)
	}
	if _, err := tmp.WriteString(skey + "\n"); err != nil {
		tmp.Close()
		return fmt.Errorf("audit: writing key file: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("audit: writing key file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("audit: writing key file: %w", err)
	}
	if replace {
		err = os.Rename(tmp.Name(), path)
	} else if err = os.Link(tmp.Name(), path); errors.Is(err, fs.ErrExist) {
		err = nil
	}
	if err != nil {
		return fmt.Errorf("audit: installing key file: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// OpenKey loads the key file at path, creating it with a new key for origin
// when it does not exist. created reports whether it did.
func OpenKey(path, origin string) (k *Key, created bool, err error) {
	k, err = ReadKeyFile(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return k, false, err
	}
	skey, _, err := NewKey(origin)
	if err != nil {
		return nil, false, err
	}
	if err := WriteKeyFile(path, skey, false); err != nil {
		return nil, false, err
	}
	k, err = ReadKeyFile(path)
	return k, err == nil, err
}

// Key actions in the log: the first key, and each rotation, are entries, so
// the log itself says which keys signed it and from when.
const (
	ActionKey       = "log.key"
	ActionKeyRotate = "log.key_rotate"
)

// RecordKey appends a log.key entry for k unless the log already records
// it, and reports whether it did.
func RecordKey(ctx context.Context, db *store.DB, k *Key, now time.Time, actor string) (bool, error) {
	added := false
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		added = false
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_keys WHERE verifier = $1`, k.Verifier).Scan(&n); err != nil {
			return fmt.Errorf("audit: read keys: %w", err)
		}
		if n > 0 {
			return nil
		}
		seq, err := AppendSeq(ctx, tx, now, Record{Actor: actor, Action: ActionKey, Subject: "log:key", Data: map[string]string{"verifier": k.Verifier}})
		if err != nil {
			return err
		}
		added = true
		return addKey(ctx, tx, k.Verifier, seq, now)
	})
	return added, err
}

func addKey(ctx context.Context, tx *sql.Tx, verifier string, seq int64, now time.Time) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO audit_keys (verifier, seq, created_at) VALUES ($1, $2, $3)`, verifier, seq, store.FormatInstant(now)); err != nil {
		return fmt.Errorf("audit: record key: %w", err)
	}
	return nil
}

// Keys returns the verifier keys the log records, oldest first.
func Keys(ctx context.Context, db *sql.DB) ([]string, error) {
	rows, err := db.QueryContext(ctx, `SELECT verifier FROM audit_keys ORDER BY seq`)
	if err != nil {
		return nil, fmt.Errorf("audit: read keys: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// Checkpoint is one signed checkpoint.
type Checkpoint struct {
	ID     int64     `json:"id"`
	Origin string    `json:"origin"`
	Size   int64     `json:"size"`
	Root   tlog.Hash `json:"root"`
	At     time.Time `json:"at"`
	// Note is the signed note, exactly as served.
	Note string `json:"note"`
}

// ErrNoCheckpoint is returned when no checkpoint has been signed yet.
var ErrNoCheckpoint = errors.New("audit: no checkpoint signed yet")

// checkpointText is the note's text: the checkpoint format with the time
// as an extension line, and optionally the verifier key of a new key (a
// rotation's handover checkpoint, signed by the old key and the new).
func checkpointText(origin string, size int64, root tlog.Hash, at time.Time, newKey string) string {
	t := string(tlogfmt.Checkpoint{Origin: origin, Size: uint64(size), Hash: root[:]}.Marshal())
	t += "time " + at.UTC().Format(time.RFC3339) + "\n"
	if newKey != "" {
		t += "key " + newKey + "\n"
	}
	return t
}

// ParseCheckpoint opens a signed checkpoint with the given verifiers and
// returns it with the note (whose Sigs say which keys signed).
func ParseCheckpoint(msg []byte, verifiers ...note.Verifier) (Checkpoint, *note.Note, error) {
	n, err := note.Open(msg, note.VerifierList(verifiers...))
	if err != nil {
		return Checkpoint{}, nil, err
	}
	var c tlogfmt.Checkpoint
	rest, err := c.Unmarshal([]byte(n.Text))
	if err != nil {
		return Checkpoint{}, nil, err
	}
	if len(c.Hash) != tlog.HashSize || c.Size > 1<<62 {
		return Checkpoint{}, nil, errors.New("invalid checkpoint - bad hash or size")
	}
	cp := Checkpoint{Origin: c.Origin, Size: int64(c.Size), Note: string(msg)}
	copy(cp.Root[:], c.Hash)
	for _, line := range strings.Split(string(rest), "\n") {
		if v, ok := strings.CutPrefix(line, "time "); ok {
			cp.At, _ = time.Parse(time.RFC3339, v)
		}
	}
	return cp, n, nil
}

// HandoverKey returns the verifier key a rotation's handover checkpoint
// names ("" for an ordinary checkpoint).
func HandoverKey(n *note.Note) string {
	for _, line := range strings.Split(n.Text, "\n") {
		if v, ok := strings.CutPrefix(line, "key "); ok {
			return v
		}
	}
	return ""
}

// Sign signs a checkpoint of the log as it stands and stores it. newKey,
// when given, makes it a handover checkpoint signed by k and newKey.
func Sign(ctx context.Context, db *store.DB, k *Key, now time.Time, newKey *Key) (Checkpoint, error) {
	var n int64
	var tree []byte
	if err := db.Write.QueryRowContext(ctx, `SELECT seq, tree FROM audit_head WHERE id = 1`).Scan(&n, &tree); err != nil {
		return Checkpoint{}, fmt.Errorf("audit: read head: %w", err)
	}
	f, err := parseFrontier(n, tree)
	if err != nil {
		return Checkpoint{}, err
	}
	root, err := f.root()
	if err != nil {
		return Checkpoint{}, err
	}
	signers := []note.Signer{k.Signer}
	nk := ""
	if newKey != nil {
		signers, nk = append(signers, newKey.Signer), newKey.Verifier
	}
	msg, err := note.Sign(&note.Note{Text: checkpointText(k.Origin(), n, root, now, nk)}, signers...)
	if err != nil {
		return Checkpoint{}, fmt.Errorf("audit: sign checkpoint: %w", err)
	}
	cp := Checkpoint{Origin: k.Origin(), Size: n, Root: root, At: now.UTC(), Note: string(msg)}
	err = db.Write.QueryRowContext(ctx, `INSERT INTO audit_checkpoints (size, root, at, note) VALUES ($1, $2, $3, $4) RETURNING id`,
		n, base64.StdEncoding.EncodeToString(root[:]), store.FormatInstant(now), cp.Note).Scan(&cp.ID)
	if err != nil {
		return Checkpoint{}, fmt.Errorf("audit: store checkpoint: %w", err)
	}
	return cp, nil
}

const checkpointCols = `id, size, root, at, note`

func scanCheckpoint(sc interface{ Scan(...any) error }) (Checkpoint, error) {
	var c Checkpoint
	var root string
	var at store.Instant
	if err := sc.Scan(&c.ID, &c.Size, &root, &at, &c.Note); err != nil {
		return c, err
	}
	c.At = at.Time
	if b, err := base64.StdEncoding.DecodeString(root); err == nil && len(b) == tlog.HashSize {
		copy(c.Root[:], b)
	}
	if i := strings.IndexByte(c.Note, '\n'); i > 0 {
		c.Origin = c.Note[:i]
	}
	return c, nil
}

// Latest returns the newest signed checkpoint (ErrNoCheckpoint when none):
// what /public/log/checkpoint serves, and what a backup's manifest records.
func Latest(ctx context.Context, db *sql.DB) (Checkpoint, error) {
	c, err := scanCheckpoint(db.QueryRowContext(ctx, `SELECT `+checkpointCols+` FROM audit_checkpoints ORDER BY id DESC LIMIT 1`))
	if errors.Is(err, sql.ErrNoRows) {
		return c, ErrNoCheckpoint
	}
	if err != nil {
		return c, fmt.Errorf("audit: read checkpoint: %w", err)
	}
	return c, nil
}

// Checkpoints lists signed checkpoints newest first, those with id < before
// (0: from the newest), at most limit.
func Checkpoints(ctx context.Context, db *sql.DB, before int64, limit int) ([]Checkpoint, error) {
	rows, err := db.QueryContext(ctx, `SELECT `+checkpointCols+` FROM audit_checkpoints WHERE ($1 = 0 OR id < $1) ORDER BY id DESC LIMIT $2`, before, limit)
	if err != nil {
		return nil, fmt.Errorf("audit: list checkpoints: %w", err)
	}
	defer rows.Close()
	out := []Checkpoint{}
	for rows.Next() {
		c, err := scanCheckpoint(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// EntryOf returns the sequence number and chain hash (hex SHA-256 of the
// entry) of the first entry with the given subject and action (0 and ""
// when there is none), e.g. a report's registration.
func EntryOf(ctx context.Context, db *sql.DB, subject, action string) (int64, string, error) {
	var seq int64
	var hash string
	err := db.QueryRowContext(ctx, `SELECT seq, hash FROM audit_log WHERE subject = $1 AND action = $2 ORDER BY seq LIMIT 1`, subject, action).Scan(&seq, &hash)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, "", nil
	}
	if err != nil {
		return 0, "", fmt.Errorf("audit: find entry: %w", err)
	}
	return seq, hash, nil
}

// Signer is the background loop of `serve` that signs checkpoints: within
// Poll of any change (one checkpoint covers every change made meanwhile) and
// at least every MaxAge when nothing changed. Several instances on one
// PostgreSQL share the work through the job lease "checkpoint", so one signs
// at a time. The key file is read at each signing, so a rotation by
// `mashang keys rotate log` beside a running server takes effect at once.
type Signer struct {
	DB      *store.DB
	KeyFile string
	Clock   clock.Clock
	Log     *slog.Logger
	Poll    time.Duration // 0: 3 s
	MaxAge  time.Duration // 0: 1 h
	// Signed, when set, is called with each new checkpoint (e.g. to mail it).
	Signed func(context.Context, Checkpoint)
	holder string
}

// CheckpointJob names the signer's job lease.
const CheckpointJob = "checkpoint"

// SignIfDue signs a checkpoint when the log has grown since the last one,
// or the last one is older than MaxAge, and this instance holds the lease.
func (s *Signer) SignIfDue(ctx context.Context) (Checkpoint, bool, error) {
	if s.holder == "" {
		s.holder = store.NewHolder()
	}
	maxAge := s.MaxAge
	if maxAge <= 0 {
		maxAge = time.Hour
	}
	now := s.Clock.Now()
	size, err := Size(ctx, s.DB.Write)
	if err != nil {
		return Checkpoint{}, false, err
	}
	last, err := Latest(ctx, s.DB.Write)
	if err != nil && !errors.Is(err, ErrNoCheckpoint) {
		return Checkpoint{}, false, err
	}
	if err == nil && last.Size == size && now.Sub(last.At) < maxAge {
		return Checkpoint{}, false, nil
	}
	ok, err := s.DB.AcquireLease(ctx, CheckpointJob, s.holder, now, time.Minute)
	if err != nil || !ok {
		return Checkpoint{}, false, err
	}
	defer s.DB.ReleaseLease(context.WithoutCancel(ctx), CheckpointJob, s.holder)
	// Another instance may have signed while this one waited for the lease.
	if l, err := Latest(ctx, s.DB.Write); err == nil && l.ID != last.ID {
		if size, err = Size(ctx, s.DB.Write); err == nil && l.Size == size {
			return Checkpoint{}, false, nil
		}
	}
	k, err := ReadKeyFile(s.KeyFile)
	if err != nil {
		return Checkpoint{}, false, err
	}
	// The log names the key that signs it, from its first checkpoint on.
	if _, err := RecordKey(ctx, s.DB, k, now, "system:log"); err != nil {
		return Checkpoint{}, false, err
	}
	cp, err := Sign(ctx, s.DB, k, now, nil)
	if err != nil {
		return Checkpoint{}, false, err
	}
	if s.Signed != nil {
		s.Signed(ctx, cp)
	}
	return cp, true, nil
}

// Run signs at once when due, then checks every Poll until ctx ends.
func (s *Signer) Run(ctx context.Context) {
	poll := s.Poll
	if poll <= 0 {
		poll = 3 * time.Second
	}
	log := s.Log
	if log == nil {
		log = slog.Default()
	}
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		// One instance per poll signs, of those sharing the database.
		var cp Checkpoint
		claimed, err := s.DB.ClaimRun(ctx, CheckpointJob, s.Clock.Now(), poll)
		signed := false
		if err == nil && claimed {
			cp, signed, err = s.SignIfDue(ctx)
		}
		if err != nil && ctx.Err() == nil {
			log.Error("audit: signing a checkpoint failed", "err", err)
		} else if signed {
			log.Debug("audit: checkpoint signed", "size", cp.Size)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// RotateKey starts signing with a new key: the new key is written beside
// the key file, the rotation is recorded in the log (old and new verifier
// keys), a handover checkpoint signed by both keys is stored (a witness
// that knows only the old key follows it to the new one), and then the new
// key replaces the old in the key file. The old private key is not kept: the
// log's own entries name every public key that ever signed it.
func RotateKey(ctx context.Context, db *store.DB, path string, now time.Time, actor string) (*Key, Checkpoint, error) {
	old, err := ReadKeyFile(path)
	if err != nil {
		return nil, Checkpoint{}, err
	}
	if _, err := RecordKey(ctx, db, old, now, actor); err != nil {
		return nil, Checkpoint{}, err
	}
	skey, next, err := NewKey(old.Origin())
	if err != nil {
		return nil, Checkpoint{}, err
	}
	pending := path + ".new"
	if err := WriteKeyFile(pending, skey, true); err != nil {
		return nil, Checkpoint{}, err
	}
	err = db.Tx(ctx, func(tx *sql.Tx) error {
		seq, err := AppendSeq(ctx, tx, now, Record{Actor: actor, Action: ActionKeyRotate, Subject: "log:key",
			Data: map[string]string{"old": old.Verifier, "new": next.Verifier}})
		if err != nil {
			return err
		}
		return addKey(ctx, tx, next.Verifier, seq, now)
	})
	if err != nil {
		os.Remove(pending)
		return nil, Checkpoint{}, err
	}
	cp, err := Sign(ctx, db, old, now, next)
	if err != nil {
		return nil, Checkpoint{}, fmt.Errorf("%w (the new key is in %s: move it over %s by hand)", err, pending, path)
	}
	if err := os.Rename(pending, path); err != nil {
		return nil, Checkpoint{}, fmt.Errorf("audit: installing the new key (it is in %s: move it over %s by hand): %w", pending, path, err)
	}
	return next, cp, nil
}

// Mailer sends signed checkpoints by mail (to a discipline commission, a
// neighbouring office): the latest one at most once per Every, so a busy
// office does not flood the recipients; each extends the ones before, so a
// recipient who keeps them can check consistency later. Use Signed as the
// Signer's Signed.
type Mailer struct {
	Send  func(ctx context.Context, subject, body string) error
	Every time.Duration
	Log   *slog.Logger
	last  time.Time
}

// Signed mails cp when the last mail is at least Every old. A failure is
// logged and retried with the next checkpoint.
func (m *Mailer) Signed(ctx context.Context, cp Checkpoint) {
	if !m.last.IsZero() && cp.At.Sub(m.last) < m.Every {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	subject := fmt.Sprintf("公开日志检查点 %s：%d 条 / audit log checkpoint: %d entries", cp.Origin, cp.Size, cp.Size)
	body := "整肃办公开日志的签名检查点。请原样保存；以后可用 mashang audit verify --checkpoint 或 audit witness 核对日志未被改写。\n" +
		"A signed checkpoint of the office's public audit log. Keep it as it is: it lets you check later that the log was not rewritten.\n\n" + cp.Note
	if err := m.Send(ctx, subject, body); err != nil {
		if m.Log != nil {
			m.Log.Warn("audit: mailing a checkpoint failed; the next one will be tried", "err", err)
		}
		return
	}
	m.last = cp.At
}
