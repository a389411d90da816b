package textsearch

import "unicode/utf8"

// MaxWordRunes is the longest Latin/digit word token; a longer word is
// indexed (and queried) by its first MaxWordRunes runes, and the exact check
// of [Query.Matches] does the rest. It keeps every token under 256 bytes, well
// inside any index key limit.
const MaxWordRunes = 64

// IndexTokens returns the distinct index tokens of a document, in order of
// first appearance: each CJK character, each pair of adjacent CJK characters
// within a run, and each Latin/digit word (cut to [MaxWordRunes] runes), all
// over the folded text. Tokens are non-empty, valid UTF-8, and contain no
// whitespace, control characters or NUL, so they can be stored as plain
// strings (for instance one row per case and token in a token table).
//
// To index several fields of one case (content, messages, replies) together,
// join them with a newline, or call IndexTokens on each and merge the sets:
// a separator keeps a bigram from spanning two fields.
func (f *Folder) IndexTokens(s string) []string {
	folded := f.Fold(s)
	seen := make(map[string]struct{}, len(folded)/2)
	var out []string
	add := func(t string) {
		if _, ok := seen[t]; !ok {
			seen[t] = struct{}{}
			out = append(out, t)
		}
	}
	f.scan(folded, false, add)
	return out
}

// scan walks folded text and calls emit with its tokens. With query set, a
// CJK run of two or more characters gives only its bigrams (a document with
// the bigrams has the characters too), and a lone CJK character gives itself;
// otherwise (indexing) every character and every bigram is given.
func (f *Folder) scan(folded string, query bool, emit func(string)) {
	// State of the current CJK run: byte offsets of the previous character.
	runStart, prevStart, runLen := -1, -1, 0
	// State of the current word.
	wordStart, wordRunes, wordCut := -1, 0, -1
	flushRun := func() {
		if query && runLen == 1 {
			emit(folded[runStart:prevStartEnd(folded, prevStart)])
		}
		runStart, prevStart, runLen = -1, -1, 0
	}
	flushWord := func(end int) {
		if wordStart < 0 {
			return
		}
		if wordCut >= 0 {
			end = wordCut
		}
		emit(folded[wordStart:end])
		wordStart, wordRunes, wordCut = -1, 0, -1
	}
	for i, r := range folded {
		switch f.class(r) {
		case classCJK:
			flushWord(i)
			size := utf8.RuneLen(r)
			if !query {
				emit(folded[i : i+size])
			}
			if runLen > 0 {
				emit(folded[prevStart : i+size])
			} else {
				runStart = i
			}
			prevStart = i
			runLen++
		case classWord:
			if runLen > 0 {
				flushRun()
			}
			if wordStart < 0 {
				wordStart = i
			}
			wordRunes++
			if wordRunes == MaxWordRunes+1 {
				wordCut = i
			}
		default:
			if runLen > 0 {
				flushRun()
			}
			flushWord(i)
		}
	}
	if runLen > 0 {
		flushRun()
	}
	flushWord(len(folded))
}

// prevStartEnd is the end of the rune starting at byte i.
func prevStartEnd(s string, i int) int {
	_, size := utf8.DecodeRuneInString(s[i:])
	return i + size
}
