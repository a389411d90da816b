package receipt

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"math"
	mrand "math/rand/v2"
	"strings"
	"testing"
)

// seeded returns a deterministic byte source for reproducible tests.
func seeded(seed byte) *mrand.ChaCha8 {
	var s [32]byte
	s[0] = seed
	return mrand.NewChaCha8(s)
}

func TestAlphabetHasNoLookAlikes(t *testing.T) {
	if len(Alphabet) != 25 || base%2 == 0 {
		t.Fatalf("alphabet size %d; the check symbol needs an odd size", len(Alphabet))
	}
	for _, c := range "BDGILOQSUVZ" {
		if strings.ContainsRune(Alphabet, c) {
			t.Errorf("alphabet contains look-alike %q", c)
		}
	}
	// Each confusable pair from the brief: at most one member may be a symbol.
	for _, pair := range []string{"0O", "0Q", "0D", "1I", "1L", "IL", "5S", "2Z", "8B", "UV", "6G"} {
		n := 0
		for _, c := range pair {
			if strings.ContainsRune(Alphabet, c) {
				n++
			}
		}
		if n > 1 {
			t.Errorf("alphabet holds both of %q", pair)
		}
	}
	seen := map[rune]bool{}
	for _, c := range Alphabet {
		if seen[c] {
			t.Errorf("duplicate symbol %q", c)
		}
		seen[c] = true
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z') {
			t.Errorf("symbol %q is not a digit or upper-case letter", c)
		}
	}
	// Documented entropy.
	if got := math.Floor(CodeDataSymbols * math.Log2(float64(base))); int(got) != CodeBits || CodeBits < 40 {
		t.Errorf("code bits = %v, constant says %d", got, CodeBits)
	}
	if got := math.Floor(KeyLength * math.Log2(float64(base))); int(got) != KeyBits || KeyBits < 72 {
		t.Errorf("key bits = %v, constant says %d", got, KeyBits)
	}
}

func TestNewCodeShape(t *testing.T) {
	for i := 0; i < 1000; i++ {
		c, err := NewCode(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		if len(c) != 12 || c[4] != '-' || c[8] != '-' {
			t.Fatalf("code %q not shaped XXXX-XXX-XXX", c)
		}
		for _, r := range strings.ReplaceAll(c, "-", "") {
			if !strings.ContainsRune(Alphabet, r) {
				t.Fatalf("code %q has symbol %q outside the alphabet", c, r)
			}
		}
		if n, ok := Normalize(c); !ok || n != c {
			t.Fatalf("Normalize(%q) = %q, %v", c, n, ok)
		}
	}
}

func TestCodesUniqueAndUniform(t *testing.T) {
	const n = 100_000
	src := seeded(1)
	seen := make(map[string]bool, n)
	var counts [25]int
	for i := 0; i < n; i++ {
		c, err := NewCode(src)
		if err != nil {
			t.Fatal(err)
		}
		if seen[c] {
			t.Fatalf("duplicate code %q after %d", c, i)
		}
		seen[c] = true
		counts[strings.IndexByte(Alphabet, c[0])]++
	}
	// First symbol roughly uniform: 4000 expected per symbol.
	for i, k := range counts {
		if k < 3600 || k > 4400 {
			t.Errorf("symbol %q drawn %d times as first symbol of %d codes", Alphabet[i], k, n)
		}
	}
	// Consecutive codes from the real source are not sequential.
	a, _ := NewCode(rand.Reader)
	b, _ := NewCode(rand.Reader)
	if a == b || a[:9] == b[:9] {
		t.Errorf("consecutive codes too alike: %q %q", a, b)
	}
}

func TestNewCodeShortReader(t *testing.T) {
	if _, err := NewCode(bytes.NewReader([]byte{1, 2, 3})); err == nil {
		t.Error("expected error from exhausted random source")
	}
	if _, err := NewKey(bytes.NewReader(nil)); err == nil {
		t.Error("expected error from empty random source")
	}
}

func TestNormalize(t *testing.T) {
	// Build a known-valid code from fixed symbols.
	vals := []int{0, 1, 2, 3, 10, 11, 12, 13, 24}
	vals = append(vals, checkSymbol(vals))
	code := formatGroups(vals, codeGroups())
	compact := strings.ReplaceAll(code, "-", "")
	fullwidth := ""
	for _, r := range code {
		fullwidth += string(r + 0xFEE0)
	}
	lookalike := strings.NewReplacer("0", "O", "1", "l", "2", "z").Replace(code)
	tests := []struct {
		name, in string
		ok       bool
	}{
		{"canonical", code, true},
		{"compact", compact, true},
		{"lower", strings.ToLower(code), true},
		{"spaces", " " + compact[:4] + " " + compact[4:7] + "  " + compact[7:] + "\n", true},
		{"full-width", fullwidth, true},
		{"ideographic space", compact[:4] + "\u3000" + compact[4:], true},
		{"look-alikes", lookalike, true},
		{"too short", compact[:9], false},
		{"too long", compact + "0", false},
		{"foreign char", compact[:9] + "中", false},
		{"empty", "", false},
		{"punctuation", compact[:9] + "!", false},
	}
	for _, tt := range tests {
		got, ok := Normalize(tt.in)
		if ok != tt.ok {
			t.Errorf("%s: Normalize(%q) ok = %v, want %v", tt.name, tt.in, ok, tt.ok)
			continue
		}
		if ok && got != code {
			t.Errorf("%s: Normalize(%q) = %q, want %q", tt.name, tt.in, got, code)
		}
	}
}

// TestCheckSymbolCatchesErrors tries every single-symbol substitution and
// every adjacent transposition on many codes.
func TestCheckSymbolCatchesErrors(t *testing.T) {
	src := seeded(2)
	for n := 0; n < 300; n++ {
		code, err := NewCode(src)
		if err != nil {
			t.Fatal(err)
		}
		c := []byte(strings.ReplaceAll(code, "-", ""))
		for i := range c {
			for _, s := range []byte(Alphabet) {
				if s == c[i] {
					continue
				}
				m := append([]byte(nil), c...)
				m[i] = s
				if _, ok := Normalize(string(m)); ok {
					t.Fatalf("substitution %q -> %q at %d not caught", c, m, i)
				}
			}
			if i+1 < len(c) && c[i] != c[i+1] {
				m := append([]byte(nil), c...)
				m[i], m[i+1] = m[i+1], m[i]
				if _, ok := Normalize(string(m)); ok {
					t.Fatalf("transposition %q -> %q at %d not caught", c, m, i)
				}
			}
		}
	}
}

func TestKeys(t *testing.T) {
	code, _ := NewCode(rand.Reader)
	seen := map[string]bool{}
	for i := 0; i < 1000; i++ {
		k, err := NewKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		if len(k) != 19 || strings.Count(k, "-") != 3 || k[4] != '-' || k[9] != '-' || k[14] != '-' {
			t.Fatalf("key %q not four groups of four", k)
		}
		if seen[k] {
			t.Fatalf("duplicate key %q", k)
		}
		seen[k] = true
		canon := NormalizeKey(k)
		if len(canon) != KeyLength || strings.Contains(canon, "-") {
			t.Fatalf("NormalizeKey(%q) = %q", k, canon)
		}
		for _, variant := range []string{
			strings.ToLower(k),
			strings.ReplaceAll(k, "-", " "),
			canon,
			" " + strings.ReplaceAll(k, "-", "\u3000") + " ",
		} {
			if got := NormalizeKey(variant); got != canon {
				t.Fatalf("NormalizeKey(%q) = %q, want %q", variant, got, canon)
			}
			if !VerifyKey(code, variant, HashKey(code, k)) {
				t.Fatalf("VerifyKey(%q) false for its own hash", variant)
			}
		}
	}
	for _, bad := range []string{"", "short", strings.Repeat("A", 15), strings.Repeat("A", 17), strings.Repeat("A", 27), strings.Repeat("A", 29), strings.Repeat("中", 16)} {
		if got := NormalizeKey(bad); got != "" {
			t.Errorf("NormalizeKey(%q) = %q, want empty", bad, got)
		}
	}
}

func TestVerifyKey(t *testing.T) {
	k1, _ := NewKey(rand.Reader)
	k2, _ := NewKey(rand.Reader)
	code, _ := NewCode(rand.Reader)
	other, _ := NewCode(rand.Reader)
	h1 := HashKey(code, k1)
	if len(h1) != 32 {
		t.Fatalf("hash length %d", len(h1))
	}
	if bytes.Contains(h1, []byte(NormalizeKey(k1))) {
		t.Error("hash contains key")
	}
	cases := []struct {
		name string
		key  string
		hash []byte
		want bool
	}{
		{"right", k1, h1, true},
		{"wrong key", k2, h1, false},
		{"empty key", "", h1, false},
		{"garbage key", "not a key", HashKey(code, "not a key"), false},
		{"dummy", k1, DummyHash(), false},
		{"empty hash", k1, nil, false},
		{"truncated hash", k1, h1[:16], false},
	}
	for _, c := range cases {
		if got := VerifyKey(code, c.key, c.hash); got != c.want {
			t.Errorf("%s: VerifyKey = %v, want %v", c.name, got, c.want)
		}
	}
	// The hash is bound to its receipt: the same key under another code
	// hashes otherwise, so one guess tests one case.
	if bytes.Equal(HashKey(other, k1), h1) || VerifyKey(other, k1, h1) {
		t.Error("a key's hash does not depend on its receipt code")
	}
	// The code is read as typed, like the key.
	if !VerifyKey(strings.ToLower(strings.ReplaceAll(code, "-", "")), k1, h1) {
		t.Error("a loosely typed code does not verify its key")
	}
	if !bytes.Equal(DummyHash(), DummyHash()) || len(DummyHash()) != 32 {
		t.Error("DummyHash not a stable 32-byte hash")
	}
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"", "0123-ACE-FH4", "abcd efg hij", "ＡＢＣＤ－１２３－４５６", "OIL0-SZB-UVG", "\xff\xfe", strings.Repeat("7", 100)} {
		f.Add(s)
	}
	good, _ := NewCode(seeded(3))
	f.Add(good)
	f.Fuzz(func(t *testing.T, in string) {
		code, ok := Normalize(in)
		if !ok {
			if code != "" {
				t.Fatalf("not ok but code %q", code)
			}
			return
		}
		if len(code) != 12 || code[4] != '-' || code[8] != '-' {
			t.Fatalf("Normalize(%q) = %q: bad shape", in, code)
		}
		again, ok2 := Normalize(code)
		if !ok2 || again != code {
			t.Fatalf("Normalize not idempotent: %q -> %q -> %q, %v", in, code, again, ok2)
		}
		k := NormalizeKey(in)
		if k != "" && NormalizeKey(k) != k {
			t.Fatalf("NormalizeKey not idempotent on %q", in)
		}
	})
}

// Keys made before (28 symbols, ≈130 bits, hashed without the code) stay
// valid: a hash stored for one, as the old HashKey computed it, verifies.
func TestLegacyKeysStayValid(t *testing.T) {
	const legacy = "K4HC-MMT2-RY7X-9AEF-W0PN-3JC5-TXA1" // 28 symbols, as keys were made
	canon := NormalizeKey(legacy)
	if len(canon) != LegacyKeyLength {
		t.Fatalf("NormalizeKey(legacy) = %q", canon)
	}
	old := sha256.Sum256([]byte("mashang receipt key v1\x00" + canon)) // the stored hash
	for _, code := range []string{"K48C-MMT-2RY", "anything"} {
		if !VerifyKey(code, legacy, old[:]) || !VerifyKey(code, strings.ToLower(canon), old[:]) {
			t.Errorf("a legacy key no longer verifies (code %q)", code)
		}
	}
	short := legacy[:19]
	if VerifyKey("K48C-MMT-2RY", short, old[:]) {
		t.Error("the first groups of a legacy key verify as a short key")
	}
}
