package textsearch

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// MaxQueryRunes is the longest query ParseQuery accepts, in runes.
const MaxQueryRunes = 1000

// ErrQueryTooLong is returned (wrapped; test with errors.Is) by
// [Folder.ParseQuery] for a query of more than [MaxQueryRunes] runes. An HTTP
// handler answers it with 422.
var ErrQueryTooLong = errors.New("textsearch: query too long")

// Query is a parsed search query: a document matches when it matches every
// term. The zero Query (no terms) is what a query of only punctuation or
// whitespace parses to; it matches nothing, and the caller answers it with an
// empty list.
type Query struct {
	Terms []Term
}

// Term is one part of a query that a document must contain.
type Term struct {
	// Text is the folded term. For a phrase it may hold single spaces
	// between words; it never starts or ends with a space.
	Text string
	// Tokens are the index tokens a document must all have to contain
	// Text (bigrams of each CJK run of two or more characters, the
	// character of a one-character run, and each Latin/digit word).
	Tokens []string
	// Phrase is true for a term the user put in quotes.
	Phrase bool
}

// quoteRune reports whether r opens or closes a phrase: ASCII and full-width
// double quotes, Chinese curly quotes and corner brackets.
func quoteRune(r rune) bool {
	switch r {
	case '"', '＂', '“', '”', '「', '」', '『', '』':
		return true
	}
	return false
}

// ParseQuery parses a user's query. Text in double quotes (", ＂, “…”, 「…」 or
// 『…』) is a phrase, whose words must appear in that order with only
// separators between them; everything else is split at whitespace and
// punctuation into terms that must all appear, anywhere. An unclosed quote
// runs to the end of the query. Duplicate terms are dropped.
//
// A query of more than [MaxQueryRunes] runes is an error wrapping
// [ErrQueryTooLong]; a query with no letters, numbers or CJK characters is the
// empty Query and no error.
func (f *Folder) ParseQuery(q string) (Query, error) {
	if n := utf8.RuneCountInString(q); n > MaxQueryRunes {
		return Query{}, fmt.Errorf("%w: %d characters, at most %d", ErrQueryTooLong, n, MaxQueryRunes)
	}
	var out Query
	seen := make(map[termKey]bool)
	addTerm := func(text string, phrase bool) {
		k := termKey{text, phrase}
		if text == "" || seen[k] {
			return
		}
		seen[k] = true
		t := Term{Text: text, Phrase: phrase}
		dup := make(map[string]bool)
		f.scan(text, true, func(tok string) {
			if !dup[tok] {
				dup[tok] = true
				t.Tokens = append(t.Tokens, tok)
			}
		})
		out.Terms = append(out.Terms, t)
	}
	inQuote := false
	segStart := 0
	flush := func(seg string) {
		folded := f.Fold(seg)
		if inQuote {
			addTerm(strings.Join(strings.Fields(folded), " "), true)
			return
		}
		for _, w := range strings.Fields(folded) {
			addTerm(w, false)
		}
	}
	for i, r := range q {
		if quoteRune(r) {
			flush(q[segStart:i])
			inQuote = !inQuote
			segStart = i + utf8.RuneLen(r)
		}
	}
	flush(q[segStart:])
	return out, nil
}

// termKey is the identity of a term for de-duplication.
type termKey struct {
	text   string
	phrase bool
}

// Empty reports whether the query has no terms (nothing to search for).
func (q Query) Empty() bool { return len(q.Terms) == 0 }

// Tokens returns the distinct tokens of all terms: the index tokens a
// candidate document must all have. Candidates must still pass [Query.Matches].
func (q Query) Tokens() []string {
	seen := make(map[string]bool)
	var out []string
	for _, t := range q.Terms {
		for _, tok := range t.Tokens {
			if !seen[tok] {
				seen[tok] = true
				out = append(out, tok)
			}
		}
	}
	return out
}

// Matches reports whether a folded document (the output of [Folder.Fold])
// contains every term: the term's text occurs in it, where a space in a
// phrase stands for one or more separators, and a term that begins or ends
// with a Latin/digit word is not matched inside a longer word (so "ab" does
// not match "abc", as the word tokens would not either). CJK characters
// match anywhere: 推诿 matches 推诿扯皮. The empty Query matches nothing.
func (q Query) Matches(foldedDoc string) bool {
	if len(q.Terms) == 0 {
		return false
	}
	for _, t := range q.Terms {
		if s, _ := findTerm(foldedDoc, t.Text, 0); s < 0 {
			return false
		}
	}
	return true
}

// findTerm finds the first occurrence of the folded term text in the folded
// doc at or after byte offset from, returning its byte span or -1, -1.
func findTerm(doc, text string, from int) (start, end int) {
	if text == "" {
		return -1, -1
	}
	first, rest := text, ""
	if i := strings.IndexByte(text, ' '); i >= 0 {
		first, rest = text[:i], text[i+1:]
	}
	for pos := from; pos <= len(doc); {
		i := strings.Index(doc[pos:], first)
		if i < 0 {
			return -1, -1
		}
		start = pos + i
		end = start + len(first)
		ok := true
		for r := rest; ok && r != ""; {
			seg := r
			if j := strings.IndexByte(r, ' '); j >= 0 {
				seg, r = r[:j], r[j+1:]
			} else {
				r = ""
			}
			k := end
			for k < len(doc) && doc[k] == ' ' {
				k++
			}
			if k == end || !strings.HasPrefix(doc[k:], seg) {
				ok = false
				break
			}
			end = k + len(seg)
		}
		if ok && wordBoundary(doc, start, end) {
			return start, end
		}
		_, size := utf8.DecodeRuneInString(doc[start:])
		pos = start + size
	}
	return -1, -1
}

// wordBoundary reports whether doc[start:end] does not cut a Latin/digit
// word at either end.
func wordBoundary(doc string, start, end int) bool {
	if start > 0 {
		first, _ := utf8.DecodeRuneInString(doc[start:])
		before, _ := utf8.DecodeLastRuneInString(doc[:start])
		if runeClass(first) == classWord && runeClass(before) == classWord {
			return false
		}
	}
	if end < len(doc) {
		last, _ := utf8.DecodeLastRuneInString(doc[:end])
		after, _ := utf8.DecodeRuneInString(doc[end:])
		if runeClass(last) == classWord && runeClass(after) == classWord {
			return false
		}
	}
	return true
}
