package textsearch

import (
	"math"
	"unicode"
	"unicode/utf8"
)

// Snippet is a hit shown in context, in the original (not folded) text. It
// is plain text: a template escapes each part and highlights Hit, e.g.
// {{.Before}}<mark>{{.Hit}}</mark>{{.After}}.
type Snippet struct {
	Before string // up to radius runes before the hit
	Hit    string // the matched text, as written in the document
	After  string // up to radius runes after the hit
	// CutBefore and CutAfter report that the document goes on beyond
	// Before and After (show an ellipsis).
	CutBefore, CutAfter bool
}

// Snippet returns the first hit of q in doc (the earliest occurrence of any
// term, as [Query.Matches] finds it) with up to radius runes of context on
// each side, all taken from the original doc; this works because Fold is
// rune-aligned, so rune i of the folded text is rune i of doc. Newlines, tabs
// and other control characters are shown as spaces; invalid UTF-8 as U+FFFD.
// When q has no hit in doc (or is empty), Hit is empty and After holds the
// start of the document, up to 2×radius runes. A negative radius counts as 0.
func (f *Folder) Snippet(doc string, q Query, radius int) Snippet {
	radius = max(radius, 0)
	folded := f.Fold(doc)
	start, end := -1, -1
	for _, t := range q.Terms {
		s, e := findTerm(folded, t.Text, 0)
		if s >= 0 && (start < 0 || s < start || (s == start && e > end)) {
			start, end = s, e
		}
	}
	runes := []rune(doc)
	if start < 0 {
		n := min(len(runes), 2*radius)
		return Snippet{After: display(runes[:n]), CutAfter: n < len(runes)}
	}
	rs := utf8.RuneCountInString(folded[:start])
	re := rs + utf8.RuneCountInString(folded[start:end])
	bs := max(0, rs-radius)
	ae := min(len(runes), re+radius)
	return Snippet{
		Before:    display(runes[bs:rs]),
		Hit:       display(runes[rs:re]),
		After:     display(runes[re:ae]),
		CutBefore: bs > 0,
		CutAfter:  ae < len(runes),
	}
}

// display turns runes into one line of text.
func display(rs []rune) string {
	out := make([]rune, len(rs))
	for i, r := range rs {
		if unicode.IsControl(r) {
			r = ' '
		}
		out[i] = r
	}
	return string(out)
}

// Score ranks a folded document that matches q; higher is better. Scores
// compare documents for the same query only. Each term adds
//
//	1 + ln(occurrences) + 1/(1 + position/32)
//
// where occurrences counts non-overlapping hits (up to 1000) and position is
// the rune offset of the term's first hit: more hits score higher but with
// diminishing returns, and a hit near the start (a title, the first
// sentence) adds up to 1 more than one far in. A document that misses any
// term scores 0.
func Score(foldedDoc string, q Query) float64 {
	if len(q.Terms) == 0 {
		return 0
	}
	var total float64
	for _, t := range q.Terms {
		first, end := findTerm(foldedDoc, t.Text, 0)
		if first < 0 {
			return 0
		}
		n := 1
		for n < 1000 {
			s, e := findTerm(foldedDoc, t.Text, end)
			if s < 0 {
				break
			}
			n++
			end = e
		}
		pos := float64(utf8.RuneCountInString(foldedDoc[:first]))
		total += 1 + math.Log(float64(n)) + 1/(1+pos/32)
	}
	return total
}
