// Package receipt makes the receipt codes and keys that let an anonymous
// reporter follow up a report without giving a name.
//
// A receipt code identifies a report; it is meant to be read aloud over the
// phone, written on a slip of paper and typed back. It is short, grouped,
// drawn from an alphabet without look-alike characters, random (never
// sequential) and carries a check symbol so that a misheard or mistyped code
// is caught before any lookup.
//
// A key is the secret that goes with a receipt. It is shown to the reporter
// once (and read out on the phone by a clerk) and stored only as a hash
// bound to its receipt (see HashKey, VerifyKey and DummyHash).
//
// # Alphabet
//
// Both codes and keys use the 25 symbols
//
//	0123456789ACEFHJKMNPRTWXY
//
// Every digit is kept (digits are the easiest to read aloud); every letter
// that can be taken for a digit or for another letter is left out: B (8),
// D (0), G (6), I and L (1), O and Q (0), S (5), U and V (each other), Z (2).
// When a code or key is typed back, those left-out letters are read as the
// symbol they resemble (O, Q, D → 0; I, L → 1; Z → 2; S → 5; G → 6; B → 8;
// U, V → Y), lower case is accepted, full-width characters are folded to
// ASCII, and spaces, dashes and dots are ignored. A code's check symbol then
// tells whether the guess was right.
//
// # Entropy
//
// A code has 9 random symbols and 1 check symbol, shown as XXXX-XXX-XXX:
// 9·log2(25) ≈ 41.8 bits. Codes are identifiers, not secrets (tracking needs
// the key as well); 41.8 bits only makes them impossible to enumerate. They
// are not guaranteed unique: the store must keep a unique index on the code
// and draw a new one on the (about one in 4·10¹² per pair) collision.
//
// A key has 16 random symbols, shown in four groups of four
// (XXXX-XXXX-XXXX-XXXX), short enough to read out on the phone:
// 16·log2(25) ≈ 74.3 bits. That is ample for what a key guards: guessing
// online is limited per receipt and per address (a million guesses a day
// for a century reach about 2⁴⁵), and offline, from a stolen database, each
// hash is bound to its receipt code, so every guess tests one case only:
// 2⁷⁴ SHA-256 computations for one case is some 600 years at 10¹² a second
// — and whoever holds the database already holds what the key would show.
//
// Keys made before (28 symbols in seven groups of four, ≈130 bits, hashed
// without the code) stay valid: NormalizeKey accepts both lengths and
// HashKey hashes each as it was made.
//
// # Check symbol
//
// The check symbol is a Damm check over the quasigroup x∘y = (2x + y) mod 25:
// 2 and 2−1 are both units mod 25, so the quasigroup is totally
// anti-symmetric and the check detects every single wrong symbol and every
// swap of two neighbouring symbols, the check symbol included.
package receipt

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"io"
	"strings"

	"mashang/internal/problem"
)

// Alphabet is the set of symbols used in codes and keys, in value order.
const Alphabet = "0123456789ACEFHJKMNPRTWXY"

const (
	base = len(Alphabet) // 25; must be odd for the check symbol to work

	// CodeDataSymbols is the number of random symbols in a code.
	CodeDataSymbols = 9
	// CodeLength is the number of symbols in a code, check symbol included.
	CodeLength = CodeDataSymbols + 1
	// CodeBits is the entropy of a code, rounded down (9·log2 25 ≈ 41.79).
	CodeBits = 41

	// KeyLength is the number of symbols in a key.
	KeyLength = 16
	// KeyBits is the entropy of a key, rounded down (16·log2 25 ≈ 74.30).
	KeyBits = 74
	// LegacyKeyLength is the length of the keys made before: still valid.
	LegacyKeyLength = 28

	keyGroup = 4
)

// codeGroups returns the lengths of the dash-separated groups of a shown code.
func codeGroups() []int { return []int{4, 3, 3} }

// value maps an (upper-case ASCII) input character to its symbol value, or
// -1. Look-alikes of symbols map to the symbol they resemble.
func value(c byte) int {
	if i := strings.IndexByte(Alphabet, c); i >= 0 {
		return i
	}
	switch c {
	case 'O', 'Q', 'D':
		return 0
	case 'I', 'L':
		return 1
	case 'Z':
		return 2
	case 'S':
		return 5
	case 'G':
		return 6
	case 'B':
		return 8
	case 'U', 'V':
		return strings.IndexByte(Alphabet, 'Y')
	}
	return -1
}

// checkSymbol returns the Damm check value for the given symbol values.
func checkSymbol(vals []int) int {
	interim := 0
	for _, v := range vals {
		interim = (2*interim + v) % base
	}
	// Find c with (2*interim + c) mod base == 0.
	return (base - (2*interim)%base) % base
}

// validCheck reports whether vals (data symbols followed by check symbol)
// reduce to zero.
func validCheck(vals []int) bool {
	interim := 0
	for _, v := range vals {
		interim = (2*interim + v) % base
	}
	return interim == 0
}

// randomSymbols draws n uniformly distributed symbol values from r by
// rejection sampling on bytes (values 250..255 are discarded).
func randomSymbols(r io.Reader, n int) ([]int, error) {
	const limit = 256 - 256%base // 250
	out := make([]int, 0, n)
	buf := make([]byte, n+8)
	for len(out) < n {
		if _, err := io.ReadFull(r, buf); err != nil {
			return nil, fmt.Errorf("receipt: reading random bytes: %w", err)
		}
		for _, b := range buf {
			if int(b) < limit && len(out) < n {
				out = append(out, int(b)%base)
			}
		}
	}
	return out, nil
}

// formatGroups writes symbol values as text, with a dash after each group.
func formatGroups(vals []int, groups []int) string {
	var sb strings.Builder
	i := 0
	for g, n := range groups {
		if g > 0 {
			sb.WriteByte('-')
		}
		for k := 0; k < n; k++ {
			sb.WriteByte(Alphabet[vals[i]])
			i++
		}
	}
	return sb.String()
}

// NewCode draws a new receipt code from r (pass crypto/rand.Reader), shown as
// "XXXX-XXX-XXX" with the check symbol last.
func NewCode(r io.Reader) (string, error) {
	vals, err := randomSymbols(r, CodeDataSymbols)
	if err != nil {
		return "", err
	}
	vals = append(vals, checkSymbol(vals))
	return formatGroups(vals, codeGroups()), nil
}

// fold turns what a person typed into upper-case ASCII symbol values,
// skipping separators. It returns ok=false on any other character.
func fold(input string) ([]int, bool) {
	vals := make([]int, 0, len(input))
	for _, r := range input {
		switch {
		case r >= 0xFF01 && r <= 0xFF5E: // full-width ASCII
			r -= 0xFEE0
		case r == 0x3000: // ideographic space
			r = ' '
		}
		switch r {
		case ' ', '\t', '\r', '\n', '-', '_', '.', '/', '\u00a0',
			'\u2010', '\u2011', '\u2012', '\u2013', '\u2014', '\u2212', '\u30fc', '\u3001', '\u3002':
			continue
		}
		if r >= 'a' && r <= 'z' {
			r -= 'a' - 'A'
		}
		if r > 0x7f {
			return nil, false
		}
		v := value(byte(r))
		if v < 0 {
			return nil, false
		}
		vals = append(vals, v)
		if len(vals) > 64 { // nothing valid is this long; stop early
			return nil, false
		}
	}
	return vals, true
}

// Normalize reads a receipt code as a person typed it — any case, with or
// without spaces and dashes, full-width characters, look-alike letters — and
// returns it in the shown form "XXXX-XXX-XXX". ok is false when the input
// is not a code: wrong length, a character outside the alphabet, or a check
// symbol that does not match (a misheard or mistyped symbol).
func Normalize(input string) (code string, ok bool) {
	vals, ok := fold(input)
	if !ok || len(vals) != CodeLength || !validCheck(vals) {
		return "", false
	}
	return formatGroups(vals, codeGroups()), true
}

// NewKey draws a new key from r (pass crypto/rand.Reader): 16 symbols
// (≈74 bits) in four dash-separated groups of four. Show it once; store
// only HashKey(code, key).
func NewKey(r io.Reader) (string, error) {
	vals, err := randomSymbols(r, KeyLength)
	if err != nil {
		return "", err
	}
	return formatGroups(vals, keyGroups()), nil
}

func keyGroups() []int {
	g := make([]int, KeyLength/keyGroup)
	for i := range g {
		g[i] = keyGroup
	}
	return g
}

// NormalizeKey reads a key as a person typed it (any case, spaces, dashes,
// full-width characters, look-alike letters) and returns its canonical form:
// its 16 symbols (28 for a key made before) in upper case, without
// separators. It returns "" when the input cannot be a key.
func NormalizeKey(input string) string {
	vals, ok := fold(input)
	if !ok || len(vals) != KeyLength && len(vals) != LegacyKeyLength {
		return ""
	}
	b := make([]byte, len(vals))
	for i, v := range vals {
		b[i] = Alphabet[v]
	}
	return string(b)
}

// keyHashDomain separates key hashes from every other SHA-256 in the
// system; v1 is the hash of the 28-symbol keys made before, v2 that of the
// 16-symbol keys, bound to the receipt code.
const (
	keyHashDomain   = "mashang receipt key v1\x00"
	keyHashDomainV2 = "mashang receipt key v2\x00"
)

// HashKey returns the hash to store for the key of receipt code: SHA-256
// over a domain prefix, the canonical receipt code and the canonical key (so
// "abcd-..." and "ABCD ..." hash alike). Binding the code in makes each
// guess at a stolen database's hashes test one case only. The key carries
// ≈74 random bits, so a fast hash is enough (see the package's note on
// entropy). A 28-symbol key made before hashes as it always did, without
// the code, so the hashes stored for it still match.
func HashKey(code, key string) []byte {
	k := NormalizeKey(key)
	h := sha256.New()
	if len(k) == LegacyKeyLength {
		h.Write([]byte(keyHashDomain))
		h.Write([]byte(k))
		return h.Sum(nil)
	}
	if c, ok := Normalize(code); ok {
		code = c
	}
	h.Write([]byte(keyHashDomainV2))
	h.Write([]byte(code))
	h.Write([]byte{0})
	h.Write([]byte(k))
	return h.Sum(nil)
}

// VerifyKey reports whether key matches the hash stored for receipt code,
// in time that does not depend on where they differ. An input that cannot
// be a key never matches, and takes the same path as a wrong key.
func VerifyKey(code, key string, hash []byte) bool {
	canonical := NormalizeKey(key)
	got := HashKey(code, canonical)
	eq := subtle.ConstantTimeCompare(got, hash) == 1
	return eq && canonical != ""
}

// DummyHash returns a well-formed hash that no key matches. Compare a
// presented key against it when the receipt is unknown, so that an unknown
// receipt and a wrong key take the same work and time.
func DummyHash() []byte {
	h := sha256.Sum256([]byte("mashang receipt dummy v1\x00 matches no key"))
	return h[:]
}

// ErrUnknown is the one answer, on every endpoint a reporter uses, to an
// unknown receipt and to a wrong key: the same status, code and text.
var ErrUnknown = problem.NotFound("unknown_receipt", "受理编号或查询密码不正确", "the receipt or key is not correct")

// Lookup finds the stored key hash of a normalised receipt code; found is
// false for an unknown receipt.
type Lookup func(code string) (keyHash []byte, found bool, err error)

// Check is the whole reporter check: normalise the code, look it up, and
// compare the key in constant time — against DummyHash when the receipt is
// unknown or unreadable, so that an unknown receipt and a wrong key take the
// same work and give the same answer (ok false). code is the normalised
// receipt when ok.
func Check(input, key string, lookup Lookup) (code string, ok bool, err error) {
	hash := DummyHash()
	found := false
	c, valid := Normalize(input)
	if valid {
		h, f, err := lookup(c)
		if err != nil {
			return "", false, err
		}
		if f {
			code, hash, found = c, h, true
		}
	}
	if !VerifyKey(c, key, hash) || !found {
		return "", false, nil
	}
	return code, true, nil
}
