// Package textsearch is the pure text side of Chinese full-text search:
// folding text to one searchable form, cutting it into index tokens, parsing
// queries, verifying matches exactly, ranking, and showing the hit in context.
// It does no I/O; storing tokens (a token table or an FTS index, on SQLite or
// PostgreSQL) is the caller's business.
//
// # Folding
//
// [Folder.Fold] maps every rune of its input to exactly one rune of output
// (rune-aligned), applying in order, until the rune no longer changes:
//
//  1. Unicode NFKC of the single rune, when that yields exactly one rune
//     (full-width ＡＢＣ１２３ → ABC123, the ideographic space → space,
//     half-width katakana → katakana, Kangxi radicals ⼈ → 人, CJK
//     compatibility ideographs → unified ideographs, ① → 1);
//  2. Traditional → Simplified, character by character, with OpenCC's "t2s"
//     character table (網 → 网, 處 → 处, 鎮 → 镇, 諉 → 诿, 擾 → 扰);
//  3. lower-casing (unicode.ToLower);
//  4. every rune that is then neither a CJK character (Han, kana, Hangul) nor
//     a letter, number or mark becomes a space: ASCII and CJK punctuation,
//     symbols, emoji, whitespace, control and format characters, and each
//     byte of invalid UTF-8.
//
// OpenCC's own phrase tables are deliberately not used: they convert some
// multi-character phrases as a unit (and may keep a character in one phrase,
// 乾隆, that they convert elsewhere, 乾燥 → 干燥), which would change lengths and
// make the fold of a word depend on its neighbours. Converting per character
// makes Fold a homomorphism, Fold(a+b) == Fold(a)+Fold(b), so a query folds
// exactly as the same words fold inside any document, and so positions in the
// folded text are positions in the original text (rune i of Fold(s) comes from
// rune i of s, counting runes as `for range s` and []rune(s) do). Where a
// Traditional character has several Simplified forms, the first one OpenCC
// lists is used. Fold is idempotent: Fold(Fold(s)) == Fold(s).
//
// Separators are not collapsed (that would break alignment); matching treats
// any run of spaces in the folded text as one separator.
//
// # Tokens and queries
//
// [Folder.IndexTokens] gives, for a document, every single CJK character,
// every pair of adjacent CJK characters within a run (bigrams), and every
// Latin/digit word (letters, numbers and marks between separators or CJK
// characters; words longer than [MaxWordRunes] are cut to that length). A
// query term needs the tokens [Folder.ParseQuery] lists; candidates found by
// the tokens are then verified with [Query.Matches], so results are exact:
// the candidates never miss a true match (tested against a brute-force scan),
// and Matches removes the false ones.
package textsearch

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/longbridgeapp/opencc"
	"golang.org/x/text/unicode/norm"
)

// Folder folds text to its searchable form. Build one with [NewFolder] at
// start-up (it takes about a tenth of a second) and share it: a Folder is
// immutable after construction and safe for concurrent use by any number of
// goroutines. The OpenCC converter is used only inside NewFolder, to read its
// character table, and is not kept.
type Folder struct {
	// bmp holds the fold of every rune of the Basic Multilingual Plane.
	bmp []rune
	// cjk marks the BMP runes that are CJK characters (after folding).
	cjk []bool
	// t2s maps each Traditional character OpenCC converts to its
	// Simplified form (one rune to one rune), for the supplementary planes
	// that bmp does not cover.
	t2s map[rune]rune
}

// maxFoldSteps bounds the fold-until-stable loop; every rune settles in at
// most three steps (OpenCC's longest chain is 薴 → 苧 → 苎), which the tests check.
const maxFoldSteps = 8

// NewFolder builds a Folder. It converts every Han character Unicode knows
// with OpenCC "t2s", one character at a time, and precomputes the fold of
// the whole Basic Multilingual Plane.
func NewFolder() (*Folder, error) {
	cc, err := opencc.New("t2s")
	if err != nil {
		return nil, fmt.Errorf("textsearch: load OpenCC t2s: %w", err)
	}
	var han []rune
	for _, r16 := range unicode.Han.R16 {
		for r := rune(r16.Lo); r <= rune(r16.Hi); r += rune(r16.Stride) {
			han = append(han, r)
		}
	}
	for _, r32 := range unicode.Han.R32 {
		for r := rune(r32.Lo); r <= rune(r32.Hi); r += rune(r32.Stride) {
			han = append(han, r)
		}
	}
	// One Convert call over all characters, each on its own line: no
	// dictionary entry contains a newline, so no phrase can span two
	// characters and each line is converted as a lone character.
	var b strings.Builder
	b.Grow(len(han) * 5)
	for _, r := range han {
		b.WriteRune(r)
		b.WriteByte('\n')
	}
	out, err := cc.Convert(b.String())
	if err != nil {
		return nil, fmt.Errorf("textsearch: OpenCC t2s convert: %w", err)
	}
	lines := strings.Split(out, "\n")
	if len(lines) != len(han)+1 {
		return nil, fmt.Errorf("textsearch: OpenCC t2s gave %d lines for %d characters", len(lines)-1, len(han))
	}
	f := &Folder{t2s: make(map[rune]rune, 4200)}
	for i, r := range han {
		s := lines[i]
		if utf8.RuneCountInString(s) != 1 {
			// Not one character: keep the original (never seen with
			// the shipped dictionaries; alignment matters more).
			continue
		}
		if o, _ := utf8.DecodeRuneInString(s); o != r && o != utf8.RuneError {
			f.t2s[r] = o
		}
	}
	f.bmp = make([]rune, 0x10000)
	f.cjk = make([]bool, 0x10000)
	for r := rune(0); r < 0x10000; r++ {
		fr := f.foldSlow(r)
		f.bmp[r] = fr
		f.cjk[r] = isCJK(r)
	}
	return f, nil
}

// Fold returns the searchable form of s: one rune for each rune of s (see
// the package documentation). The result is valid UTF-8.
func (f *Folder) Fold(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		b.WriteRune(f.foldRune(r))
	}
	return b.String()
}

// foldRune folds one rune; r may be utf8.RuneError for an invalid byte.
func (f *Folder) foldRune(r rune) rune {
	if r >= 0 && r < 0x10000 {
		return f.bmp[r]
	}
	return f.foldSlow(r)
}

// foldSlow applies the fold step until the rune is stable.
func (f *Folder) foldSlow(r rune) rune {
	for range maxFoldSteps {
		n := f.step(r)
		if n == r {
			return r
		}
		r = n
	}
	// No fixed point (never seen): a separator is always stable.
	return ' '
}

// step is one round of the fold: NFKC, t2s, lower-case, classify.
func (f *Folder) step(r rune) rune {
	if r == utf8.RuneError || !utf8.ValidRune(r) {
		return ' '
	}
	if r >= utf8.RuneSelf {
		if n, ok := nfkc1(r); ok {
			r = n
		}
		if s, ok := f.t2s[r]; ok {
			r = s
		}
	}
	r = unicode.ToLower(r)
	if r == ' ' || !(isCJK(r) || unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.IsMark(r)) {
		return ' '
	}
	return r
}

// nfkc1 is the NFKC form of r when it is a single rune.
func nfkc1(r rune) (rune, bool) {
	var buf [utf8.UTFMax]byte
	n := utf8.EncodeRune(buf[:], r)
	if norm.NFKC.IsNormal(buf[:n]) {
		return r, false
	}
	s := norm.NFKC.String(string(buf[:n]))
	if utf8.RuneCountInString(s) != 1 {
		return r, false
	}
	o, _ := utf8.DecodeRuneInString(s)
	return o, o != utf8.RuneError
}

// isCJK reports whether r is a character of a script written without spaces
// between words, which is indexed by single characters and bigrams.
func isCJK(r rune) bool {
	if r < 0x1100 {
		return false
	}
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul)
}

// class of a folded rune.
const (
	classSep = iota
	classCJK
	classWord
)

// runeClass classifies a rune of folded text.
func runeClass(r rune) int {
	switch {
	case r == ' ':
		return classSep
	case isCJK(r):
		return classCJK
	default:
		return classWord
	}
}

// class is runeClass using the Folder's table for the BMP.
func (f *Folder) class(r rune) int {
	switch {
	case r == ' ':
		return classSep
	case r >= 0 && r < 0x10000:
		if f.cjk[r] {
			return classCJK
		}
		return classWord
	default:
		return runeClass(r)
	}
}
