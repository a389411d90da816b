// Package identity protects reporters' names, phone numbers, e-mail
// addresses and ID numbers at rest.
//
// A Vault holds one 32-byte master key, kept in a key file beside the data
// (or where MASHANG_IDENTITY_KEY_FILE says). Two subkeys are derived from it
// with HKDF-SHA256: one for AES-256-GCM encryption of the fields, one for the
// HMAC-SHA256 lookup hashes that let the office see that the same phone
// number or e-mail address reported before without storing it in clear.
//
// # Key file
//
// The key file holds the master key as 64 hexadecimal characters (a
// trailing newline and surrounding white space are ignored), which is what
// OpenVault writes on first start. A file of exactly 32 raw bytes is also
// accepted (e.g. `head -c 32 /dev/urandom > key`). The file must not be
// accessible to group or others (mode 0600 or stricter): OpenVault refuses
// it otherwise. Losing the file makes every sealed identity unreadable; back
// it up separately from the database.
//
// # Sealed format
//
// Seal returns version(1 byte) ‖ nonce(12 bytes) ‖ AES-256-GCM ciphertext and
// tag. Version 1 is the only one today; the byte lets a later version
// rotate keys or change the algorithm while old rows stay readable. The
// associated data authenticated with every seal is the version byte followed
// by the caller's aad string, which should name the record and field the
// ciphertext belongs to, e.g. "report:123:identity". A ciphertext copied to
// another record or field then fails to open instead of silently showing
// another reporter's details.
package identity

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

const (
	// EnvKeyFile names the environment variable that points at the key file.
	EnvKeyFile = "MASHANG_IDENTITY_KEY_FILE"
	// DefaultKeyFile is the key file's name inside the data directory.
	DefaultKeyFile = "identity.key"

	// KeySize is the length of the master key in bytes.
	KeySize = 32

	version1  byte = 1
	nonceSize      = 12
)

// ErrDecrypt is returned (wrapped) when a sealed value cannot be opened: a
// wrong key, a wrong aad, or altered bytes. It never carries the contents.
var ErrDecrypt = errors.New("identity: cannot open sealed value (wrong key, wrong record, or altered)")

// Vault seals and opens identity fields and computes lookup hashes. It is
// safe for concurrent use.
type Vault struct {
	aead    cipher.AEAD
	hmacKey []byte
}

// KeyPath returns where the key file lives: envValue (the value of
// MASHANG_IDENTITY_KEY_FILE) when it is not empty, otherwise
// dataDir/identity.key.
func KeyPath(dataDir, envValue string) string {
	if strings.TrimSpace(envValue) != "" {
		return envValue
	}
	return filepath.Join(dataDir, DefaultKeyFile)
}

// OpenVault loads the master key from the key file at path, creating the file
// (mode 0600, with any missing parent directories 0700) with a new random key
// when it does not exist. It refuses a key file that group or others may
// access, and a file that is not a 32-byte key.
func OpenVault(path string) (*Vault, error) {
	key, err := readKeyFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		if err := createKeyFile(path); err != nil {
			return nil, err
		}
		key, err = readKeyFile(path)
	}
	if err != nil {
		return nil, err
	}
	return NewVault(key)
}

// NewVault makes a Vault from a 32-byte master key (tests, or keys kept
// elsewhere than a file).
func NewVault(master []byte) (*Vault, error) {
	if len(master) != KeySize {
		return nil, fmt.Errorf("identity: master key is %d bytes, want %d", len(master), KeySize)
	}
	encKey, err := hkdf.Key(sha256.New, master, nil, "mashang identity v1 aes-256-gcm", 32)
	if err != nil {
		return nil, fmt.Errorf("identity: deriving encryption key: %w", err)
	}
	macKey, err := hkdf.Key(sha256.New, master, nil, "mashang identity v1 hmac-sha256 lookup", 32)
	if err != nil {
		return nil, fmt.Errorf("identity: deriving lookup key: %w", err)
	}
	block, err := aes.NewCipher(encKey)
	if err != nil {
		return nil, fmt.Errorf("identity: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("identity: %w", err)
	}
	return &Vault{aead: aead, hmacKey: macKey}, nil
}

func readKeyFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("identity: opening key file: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("identity: key file %s: %w", path, err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("identity: key file %s is not a regular file", path)
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("identity: key file %s has mode %04o: it is readable or writable by group or others; run chmod 600 on it", path, perm)
	}
	buf, err := io.ReadAll(io.LimitReader(f, 256))
	if err != nil {
		return nil, fmt.Errorf("identity: reading key file %s: %w", path, err)
	}
	if len(buf) == KeySize {
		return buf, nil
	}
	s := strings.TrimSpace(string(buf))
	if len(s) == 2*KeySize {
		if key, err := hex.DecodeString(s); err == nil {
			return key, nil
		}
	}
	return nil, fmt.Errorf("identity: key file %s holds neither 64 hex characters nor 32 raw bytes", path)
}

// NewKey returns a fresh random master key.
func NewKey() ([]byte, error) {
	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("identity: generating key: %w", err)
	}
	return key, nil
}

// createKeyFile writes a fresh key, never replacing one already there.
func createKeyFile(path string) error {
	key, err := NewKey()
	if err != nil {
		return err
	}
	return WriteKeyFile(path, key, false)
}

// WriteKeyFile writes key to path (mode 0600, missing parent directories
// 0700) through a temporary file, so that no reader ever sees a
// half-written file. With replace false an existing file is kept (two
// processes starting at once agree on one key); with replace true it is
// replaced atomically (key rotation).
func WriteKeyFile(path string, key []byte, replace bool) error {
	if len(key) != KeySize {
		return fmt.Errorf("identity: key is %d bytes, want %d", len(key), KeySize)
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("identity: creating key directory: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".identity-key-*")
	if err != nil {
		return fmt.Errorf("identity: creating key file: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("identity: creating key file: %w", err)
	}
	if _, err := tmp.WriteString(hex.EncodeToString(key) + "\n"); err != nil {
		tmp.Close()
		return fmt.Errorf("identity: writing key file: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("identity: writing key file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("identity: writing key file: %w", err)
	}
	if replace {
		err = os.Rename(tmp.Name(), path)
	} else if err = os.Link(tmp.Name(), path); errors.Is(err, fs.ErrExist) {
		err = nil
	}
	if err != nil {
		return fmt.Errorf("identity: installing key file: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		err = d.Sync()
		d.Close()
		if err != nil {
			return fmt.Errorf("identity: syncing key directory: %w", err)
		}
	}
	return nil
}

// Seal encrypts plaintext bound to aad (see the package documentation for
// the format). Each call uses a fresh random 96-bit nonce.
func (v *Vault) Seal(plaintext string, aad string) ([]byte, error) {
	out := make([]byte, 1+nonceSize, 1+nonceSize+len(plaintext)+v.aead.Overhead())
	out[0] = version1
	if _, err := rand.Read(out[1 : 1+nonceSize]); err != nil {
		return nil, fmt.Errorf("identity: drawing nonce: %w", err)
	}
	return v.aead.Seal(out, out[1:1+nonceSize], []byte(plaintext), additional(version1, aad)), nil
}

// Open decrypts a value made by Seal with the same aad. Any mismatch yields
// an error wrapping ErrDecrypt.
func (v *Vault) Open(ciphertext []byte, aad string) (string, error) {
	if len(ciphertext) < 1+nonceSize+v.aead.Overhead() {
		return "", fmt.Errorf("%w: too short", ErrDecrypt)
	}
	if ciphertext[0] != version1 {
		return "", fmt.Errorf("%w: unknown format version %d", ErrDecrypt, ciphertext[0])
	}
	nonce := ciphertext[1 : 1+nonceSize]
	plain, err := v.aead.Open(nil, nonce, ciphertext[1+nonceSize:], additional(version1, aad))
	if err != nil {
		return "", ErrDecrypt
	}
	return string(plain), nil
}

func additional(version byte, aad string) []byte {
	b := make([]byte, 0, 1+len(aad))
	b = append(b, version)
	return append(b, aad...)
}

// Identity is what a named reporter gives about themselves. Every field is
// optional.
type Identity struct {
	Name     string `json:"name,omitempty"`
	Phone    string `json:"phone,omitempty"`
	Email    string `json:"email,omitempty"`
	IDNumber string `json:"id_number,omitempty"`
	// Address is the postal address a reply by post goes to (letter and
	// walk-in reports).
	Address string `json:"address,omitempty"`
}

// IsZero reports whether no field is set (an anonymous report).
func (id Identity) IsZero() bool { return id == Identity{} }

// Masked returns the identity with every field masked for staff lists.
func (id Identity) Masked() Identity {
	return Identity{
		Name:     MaskName(id.Name),
		Phone:    MaskPhone(id.Phone),
		Email:    MaskEmail(id.Email),
		IDNumber: MaskIDNumber(id.IDNumber),
		Address:  MaskAddress(id.Address),
	}
}

// SealIdentity seals the whole identity (as JSON) bound to aad.
func (v *Vault) SealIdentity(id Identity, aad string) ([]byte, error) {
	b, err := json.Marshal(id)
	if err != nil {
		return nil, fmt.Errorf("identity: encoding: %w", err)
	}
	return v.Seal(string(b), aad)
}

// OpenIdentity opens a value made by SealIdentity with the same aad.
func (v *Vault) OpenIdentity(ciphertext []byte, aad string) (Identity, error) {
	s, err := v.Open(ciphertext, aad)
	if err != nil {
		return Identity{}, err
	}
	var id Identity
	if err := json.Unmarshal([]byte(s), &id); err != nil {
		return Identity{}, fmt.Errorf("identity: sealed value is not an identity record")
	}
	return id, nil
}

// PhoneHash returns a keyed hash (HMAC-SHA256, hex) of the normalised phone
// number, equal for every way of writing the same number ("138 1234 5678",
// "+86 13812345678", full-width digits). It returns "" when the input holds
// no digits, so that absent numbers never match each other.
func (v *Vault) PhoneHash(phone string) string {
	n := NormalizePhone(phone)
	if n == "" {
		return ""
	}
	return v.lookup("phone", n)
}

// EmailHash returns a keyed hash (HMAC-SHA256, hex) of the normalised e-mail
// address (trimmed, full-width folded, lower case), or "" for an empty one.
func (v *Vault) EmailHash(email string) string {
	n := NormalizeEmail(email)
	if n == "" {
		return ""
	}
	return v.lookup("email", n)
}

// KeyedHash returns a keyed hash (HMAC-SHA256, hex) of value for purpose
// kind: the same on every instance sharing the key, unreadable without it
// (a client address counted by the flood limits, say).
func (v *Vault) KeyedHash(kind, value string) string { return v.lookup(kind, value) }

func (v *Vault) lookup(kind, value string) string {
	m := hmac.New(sha256.New, v.hmacKey)
	m.Write([]byte(kind))
	m.Write([]byte{0})
	m.Write([]byte(value))
	return hex.EncodeToString(m.Sum(nil))
}
