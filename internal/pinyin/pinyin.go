// Package pinyin gives the pinyin initials of Chinese names, so that a clerk
// can pick a unit by typing "mxz" for 梅溪镇.
//
// The data (data/initials.txt, embedded) is compact: GB2312's level-1 hanzi
// are ordered by pinyin, so 23 range boundaries give the initial of each of
// them; a short list adds level-2 hanzi found in place names and the other
// readings of polyphones (行 is x in 行政 and h in 银行). A name's initials
// are therefore a small set of strings, one per combination of readings.
package pinyin

import (
	"bufio"
	"bytes"
	_ "embed"
	"fmt"
	"sort"
	"strings"
	"unicode"

	"golang.org/x/text/encoding/simplifiedchinese"
)

//go:embed data/initials.txt
var data []byte

// maxVariants bounds the combinations of polyphone readings of one name.
const maxVariants = 8

// Table maps hanzi to their initials. The zero value knows none; use Load.
type Table struct {
	bounds []bound         // level-1 ranges, ascending by GB2312 code
	extra  map[rune]string // level-2 hanzi and polyphones: every initial
}

type bound struct {
	code   uint16
	letter byte
}

// Load reads the embedded data. It fails only when the data file is broken,
// which the package's tests rule out.
func Load() (*Table, error) { return parse(data) }

func parse(b []byte) (*Table, error) {
	t := &Table{extra: map[rune]string{}}
	enc := simplifiedchinese.GBK.NewEncoder()
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		switch {
		case len(f) == 3 && f[0] == "range" && len(f[1]) == 1 && f[1][0] >= 'a' && f[1][0] <= 'z':
			gb, err := enc.String(f[2])
			if err != nil || len(gb) != 2 || gb[0] < 0xB0 || gb[0] > 0xD7 {
				return nil, fmt.Errorf("pinyin: line %d: %q is not a level-1 GB2312 hanzi", n, f[2])
			}
			c := uint16(gb[0])<<8 | uint16(gb[1])
			if k := len(t.bounds); k > 0 && t.bounds[k-1].code >= c {
				return nil, fmt.Errorf("pinyin: line %d: ranges must ascend", n)
			}
			t.bounds = append(t.bounds, bound{code: c, letter: f[1][0]})
		case len(f) == 2 && len([]rune(f[0])) == 1 && isLetters(f[1]):
			r := []rune(f[0])[0]
			if _, dup := t.extra[r]; dup {
				return nil, fmt.Errorf("pinyin: line %d: %c listed twice", n, r)
			}
			t.extra[r] = f[1]
		default:
			return nil, fmt.Errorf("pinyin: line %d: cannot read %q", n, line)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("pinyin: reading data: %w", err)
	}
	if len(t.bounds) == 0 {
		return nil, fmt.Errorf("pinyin: no ranges")
	}
	return t, nil
}

func isLetters(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 'a' || s[i] > 'z' {
			return false
		}
	}
	return s != ""
}

// Of returns every initial r is read with, most common first, or "" when
// the table does not know r.
func (t *Table) Of(r rune) string {
	if s, ok := t.extra[r]; ok {
		return s
	}
	if r < 0x4E00 || r > 0x9FFF {
		return ""
	}
	gb, err := simplifiedchinese.GBK.NewEncoder().String(string(r))
	if err != nil || len(gb) != 2 {
		return ""
	}
	c := uint16(gb[0])<<8 | uint16(gb[1])
	if c < t.bounds[0].code || c > 0xD7F9 {
		return ""
	}
	i := sort.Search(len(t.bounds), func(i int) bool { return t.bounds[i].code > c }) - 1
	return string(t.bounds[i].letter)
}

// Initials returns the initials of a name, one string per combination of
// readings (at most eight), the most common reading first. Letters and
// digits are kept in lower case; punctuation and hanzi the table does not
// know are left out. "闽清县行政服务中心" gives ["mqxxzfwzx", "mqxhzfwzx"].
func (t *Table) Initials(name string) []string {
	out := []string{""}
	for _, r := range name {
		var alts string
		switch {
		case r < 0x80 && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			alts = strings.ToLower(string(r))
		default:
			alts = t.Of(r)
		}
		if alts == "" {
			continue
		}
		next := make([]string, 0, len(out)*len(alts))
		for _, s := range out {
			for i := 0; i < len(alts); i++ {
				if i > 0 && len(next) >= maxVariants {
					break
				}
				next = append(next, s+alts[i:i+1])
			}
		}
		out = next
	}
	return out
}

// Matches reports whether typed initials q fit a name's initials: q is
// part of one of them ("xz" in 闽清县行政…), or q's letters appear in
// order in one of them from its first letter ("mxbm" for 梅溪镇便民服务中心,
// the 镇 skipped). q is compared in lower case without spaces.
func Matches(variants []string, q string) bool {
	q = strings.ToLower(strings.Join(strings.Fields(q), ""))
	if q == "" {
		return false
	}
	for _, v := range variants {
		if strings.Contains(v, q) || (len(q) >= 3 && v != "" && v[0] == q[0] && subsequence(v, q)) {
			return true
		}
	}
	return false
}

func subsequence(s, q string) bool {
	i := 0
	for j := 0; j < len(s) && i < len(q); j++ {
		if s[j] == q[i] {
			i++
		}
	}
	return i == len(q)
}
