package textsearch

import (
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"
)

// folder builds one Folder for all tests of the package.
var folder = sync.OnceValues(NewFolder)

func mustFolder(tb testing.TB) *Folder {
	tb.Helper()
	f, err := folder()
	if err != nil {
		tb.Fatalf("NewFolder: %v", err)
	}
	return f
}

func TestFold(t *testing.T) {
	f := mustFolder(t)
	cases := []struct{ in, want string }{
		{"網", "网"},
		{"處", "处"},
		{"鎮", "镇"},
		{"諉", "诿"},
		{"擾", "扰"},
		{"网", "网"},
		{"推諉扯皮", "推诿扯皮"},
		{"ＡＢＣ１２３", "abc123"},
		{"Ｈｅｌｌｏ　Ｗｏｒｌｄ", "hello world"},
		{"ABC def", "abc def"},
		{"推诿，扯皮。", "推诿 扯皮 "},
		{"《条例》「第三条」", " 条例  第三条 "},
		{"a-b_c/d", "a b c d"},
		{"\t\n\r", "   "},
		{"😀网", " 网"},
		{"⼈民", "人民"},         // Kangxi radical
		{"①②", "12"},         // circled digits
		{"ｶﾀｶﾅ", "カタカナ"},     // half-width katakana
		{"薴", "苎"},           // two-step OpenCC chain 薴 → 苧 → 苎
		{"乾隆", "干隆"},         // per character, not per phrase
		{"\xff网\xfe", " 网 "}, // invalid bytes are separators
		{"ÉCOLE", "école"},
		{"", ""},
	}
	for _, c := range cases {
		if got := f.Fold(c.in); got != c.want {
			t.Errorf("Fold(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// TestFoldTableStable checks that every BMP rune settles within three fold
// steps (never reaching the fallback) and that its fold is a fixed point,
// which makes Fold idempotent on any text; and that every Traditional
// character of OpenCC's table is converted.
func TestFoldTableStable(t *testing.T) {
	f := mustFolder(t)
	for r := rune(0); r < 0x10000; r++ {
		x := r
		steps := 0
		for ; steps < 4 && f.step(x) != x; steps++ {
			x = f.step(x)
		}
		if steps > 3 {
			t.Fatalf("%U does not settle", r)
		}
		fr := f.bmp[r]
		if fr != x {
			t.Fatalf("table fold(%U) = %U, steps give %U", r, fr, x)
		}
		if f.foldRune(fr) != fr {
			t.Fatalf("fold(%U) = %U, fold of that = %U", r, fr, f.foldRune(fr))
		}
	}
	if len(f.t2s) < 4000 {
		t.Errorf("only %d t2s characters", len(f.t2s))
	}
	for tr := range f.t2s {
		if got := f.foldRune(tr); got == tr {
			t.Errorf("Traditional %c not converted", tr)
		} else if f.foldRune(got) != got {
			t.Errorf("%c → %c not stable", tr, got)
		}
	}
}

func TestFolderConcurrent(t *testing.T) {
	f := mustFolder(t)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 200 {
				if got := f.Fold("中華人民共和國網絡"); got != "中华人民共和国网络" {
					t.Errorf("Fold = %q", got)
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestIndexTokens(t *testing.T) {
	f := mustFolder(t)
	cases := []struct {
		in   string
		want []string
	}{
		{"推諉扯皮", []string{"推", "诿", "推诿", "扯", "诿扯", "皮", "扯皮"}},
		{"推诿，推诿", []string{"推", "诿", "推诿"}},
		{"网ABC 2024年", []string{"网", "abc", "2024", "年"}},
		{"乡镇", []string{"乡", "镇", "乡镇"}},
		{"！？", nil},
		{"Ｘ", []string{"x"}},
	}
	for _, c := range cases {
		if got := f.IndexTokens(c.in); !slices.Equal(got, c.want) {
			t.Errorf("IndexTokens(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	long := strings.Repeat("a", MaxWordRunes+10)
	got := f.IndexTokens(long + " b")
	if want := []string{strings.Repeat("a", MaxWordRunes), "b"}; !slices.Equal(got, want) {
		t.Errorf("long word tokens = %q", got)
	}
}

func TestParseQuery(t *testing.T) {
	f := mustFolder(t)
	cases := []struct {
		in   string
		want []Term
	}{
		{"网", []Term{{Text: "网", Tokens: []string{"网"}}}},
		{"推諉", []Term{{Text: "推诿", Tokens: []string{"推诿"}}}},
		{"推诿扯皮", []Term{{Text: "推诿扯皮", Tokens: []string{"推诿", "诿扯", "扯皮"}}}},
		{"推诿  扯皮", []Term{
			{Text: "推诿", Tokens: []string{"推诿"}},
			{Text: "扯皮", Tokens: []string{"扯皮"}},
		}},
		{`"推诿 扯皮"`, []Term{{Text: "推诿 扯皮", Tokens: []string{"推诿", "扯皮"}, Phrase: true}}},
		{"“推诿，扯皮” 乡", []Term{
			{Text: "推诿 扯皮", Tokens: []string{"推诿", "扯皮"}, Phrase: true},
			{Text: "乡", Tokens: []string{"乡"}},
		}},
		{"推诿,扯皮", []Term{
			{Text: "推诿", Tokens: []string{"推诿"}},
			{Text: "扯皮", Tokens: []string{"扯皮"}},
		}},
		{"网 网 網", []Term{{Text: "网", Tokens: []string{"网"}}}},
		{"Ｅ-mail网站", []Term{
			{Text: "e", Tokens: []string{"e"}},
			{Text: "mail网站", Tokens: []string{"mail", "网站"}},
		}},
		{"镇a", []Term{{Text: "镇a", Tokens: []string{"镇", "a"}}}},
		{`"未闭合 引号`, []Term{{Text: "未闭合 引号", Tokens: []string{"未闭", "闭合", "引号"}, Phrase: true}}},
		{"，。！？……", nil},
		{`""`, nil},
		{"", nil},
		{"   ", nil},
	}
	for _, c := range cases {
		q, err := f.ParseQuery(c.in)
		if err != nil {
			t.Errorf("ParseQuery(%q): %v", c.in, err)
			continue
		}
		if len(q.Terms) != len(c.want) {
			t.Errorf("ParseQuery(%q) = %+v, want %+v", c.in, q.Terms, c.want)
			continue
		}
		for i := range c.want {
			g, w := q.Terms[i], c.want[i]
			if g.Text != w.Text || g.Phrase != w.Phrase || !slices.Equal(g.Tokens, w.Tokens) {
				t.Errorf("ParseQuery(%q) term %d = %+v, want %+v", c.in, i, g, w)
			}
		}
		if q.Empty() != (len(c.want) == 0) {
			t.Errorf("ParseQuery(%q).Empty() = %v", c.in, q.Empty())
		}
	}
}

func TestParseQueryTooLong(t *testing.T) {
	f := mustFolder(t)
	if _, err := f.ParseQuery(strings.Repeat("网", MaxQueryRunes)); err != nil {
		t.Fatalf("query of MaxQueryRunes: %v", err)
	}
	for _, n := range []int{MaxQueryRunes + 1, 10000} {
		_, err := f.ParseQuery(strings.Repeat("网", n))
		if !errors.Is(err, ErrQueryTooLong) {
			t.Errorf("query of %d runes: err = %v, want ErrQueryTooLong", n, err)
		}
	}
}

func TestMatches(t *testing.T) {
	f := mustFolder(t)
	cases := []struct {
		q, doc string
		want   bool
	}{
		{"網", "互联网平台", true},
		{"网", "互聯網平臺", true},
		{"推诿", "推诿扯皮", true},
		{"推诿", "推諉", true},
		{"推諉", "工作中推诿", true},
		{"推诿", "推", false},
		{"推诿", "诿推", false},
		{"推诿", "推，诿", false},
		{"推", "诿推", true},
		{"推诿 扯皮", "扯皮又推诿", true},    // AND: any order
		{`"推诿 扯皮"`, "扯皮又推诿", false}, // phrase: in order
		{`"推诿 扯皮"`, "推诿、扯皮", true},
		{`"推诿 扯皮"`, "推诿 ，  扯皮", true},
		{`"推诿 扯皮"`, "推诿扯皮", false}, // the phrase has a separator
		{"推诿 扯皮", "推诿", false},
		{"abc", "x abc y", true},
		{"abc", "xabc", false},
		{"abc", "ABCD", false},
		{"ABC", "网abc网", true},
		{"2024", "2024年", true},
		{"ＡＢＣ１２３", "abc123", true},
		{"，。", "，。", false}, // empty query matches nothing
	}
	for _, c := range cases {
		q, err := f.ParseQuery(c.q)
		if err != nil {
			t.Fatal(err)
		}
		folded := f.Fold(c.doc)
		got := q.Matches(folded)
		if got != c.want {
			t.Errorf("%q Matches %q = %v, want %v", c.q, c.doc, got, c.want)
		}
		if got && !hasAll(f.IndexTokens(c.doc), q.Tokens()) {
			t.Errorf("%q matches %q but the token filter would miss it", c.q, c.doc)
		}
	}
}

func hasAll(have, need []string) bool {
	set := make(map[string]bool, len(have))
	for _, h := range have {
		set[h] = true
	}
	for _, n := range need {
		if !set[n] {
			return false
		}
	}
	return true
}

// TestBruteForce compares token filter + Matches against a brute-force
// scan on generated Chinese text. The oracle folds with its own small
// Traditional→Simplified table, independent of Fold.
func TestBruteForce(t *testing.T) {
	f := mustFolder(t)
	oracle := strings.NewReplacer("網", "网", "諉", "诿", "處", "处", "鎮", "镇", "擾", "扰")
	docPool := []rune("推诿諉扯皮网網络处處理镇鎮乡扰擾民，。 、")
	queryPool := []rune("推诿諉扯皮网網络处處理镇鎮乡扰擾民")
	rng := rand.New(rand.NewPCG(1, 2))
	docs := make([]string, 400)
	tokens := make([][]string, len(docs))
	folded := make([]string, len(docs))
	for i := range docs {
		n := 1 + rng.IntN(30)
		rs := make([]rune, n)
		for j := range rs {
			rs[j] = docPool[rng.IntN(len(docPool))]
		}
		docs[i] = string(rs)
		tokens[i] = f.IndexTokens(docs[i])
		folded[i] = f.Fold(docs[i])
	}
	for range 2000 {
		n := 1 + rng.IntN(4)
		rs := make([]rune, n)
		for j := range rs {
			rs[j] = queryPool[rng.IntN(len(queryPool))]
		}
		query := string(rs)
		q, err := f.ParseQuery(query)
		if err != nil || len(q.Terms) != 1 {
			t.Fatalf("ParseQuery(%q) = %+v, %v", query, q, err)
		}
		want := oracle.Replace(query)
		for i, doc := range docs {
			brute := strings.Contains(oracle.Replace(doc), want)
			byFold := strings.Contains(folded[i], f.Fold(query))
			filtered := hasAll(tokens[i], q.Tokens())
			found := filtered && q.Matches(folded[i])
			if brute != byFold {
				t.Fatalf("fold disagrees with oracle: doc %q query %q", doc, query)
			}
			if brute && !filtered {
				t.Fatalf("false negative from token filter: doc %q query %q", doc, query)
			}
			if found != brute {
				t.Fatalf("doc %q query %q: found %v, brute force %v", doc, query, found, brute)
			}
		}
	}
}

func TestSnippet(t *testing.T) {
	f := mustFolder(t)
	cases := []struct {
		doc, q string
		radius int
		want   Snippet
	}{
		{"某镇干部對群眾訴求推諉扯皮，長期不辦。", "推诿", 4,
			Snippet{Before: "群眾訴求", Hit: "推諉", After: "扯皮，長", CutBefore: true, CutAfter: true}},
		{"推諉", "推诿", 10, Snippet{Hit: "推諉"}},
		{"ＡＢＣ公司\n網站", "abc", 3, Snippet{Hit: "ＡＢＣ", After: "公司 ", CutAfter: true}},
		{"他们推诿、扯皮", `"推诿 扯皮"`, 2, Snippet{Before: "他们", Hit: "推诿、扯皮"}},
		{"甲乙丙丁戊己", "庚", 2, Snippet{After: "甲乙丙丁", CutAfter: true}},
		{"扯皮在前，推诿在后", "推诿 扯皮", 1, Snippet{Hit: "扯皮", After: "在", CutAfter: true}},
		{"\xff網", "网", 1, Snippet{Before: "\uFFFD", Hit: "網"}},
	}
	for _, c := range cases {
		q, err := f.ParseQuery(c.q)
		if err != nil {
			t.Fatal(err)
		}
		if got := f.Snippet(c.doc, q, c.radius); got != c.want {
			t.Errorf("Snippet(%q, %q, %d) = %+v, want %+v", c.doc, c.q, c.radius, got, c.want)
		}
	}
}

func TestScore(t *testing.T) {
	f := mustFolder(t)
	q, _ := f.ParseQuery("推诿")
	score := func(doc string) float64 { return Score(f.Fold(doc), q) }
	if s := score("没有"); s != 0 {
		t.Errorf("no hit scored %v", s)
	}
	early, late := score("推诿扯皮"+strings.Repeat("。", 200)), score(strings.Repeat("。", 200)+"推诿扯皮")
	if !(early > late && late > 0) {
		t.Errorf("early %v, late %v: want early > late > 0", early, late)
	}
	once, thrice := score(strings.Repeat("。", 50)+"推诿"), score(strings.Repeat("。", 50)+"推诿推诿推诿")
	if !(thrice > once) {
		t.Errorf("three hits %v, one hit %v", thrice, once)
	}
	q2, _ := f.ParseQuery("推诿 扯皮")
	if Score(f.Fold("推诿"), q2) != 0 {
		t.Error("doc missing a term scored above 0")
	}
	if Score(f.Fold("推诿"), Query{}) != 0 {
		t.Error("empty query scored above 0")
	}
}

func FuzzFold(f *testing.F) {
	for _, s := range []string{"網", "推諉扯皮", "ＡＢＣ１２３", "a\xffb", "⼈①ｶ", "😀 İ K", "薴", ""} {
		f.Add(s)
	}
	fo := mustFolder(f)
	f.Fuzz(func(t *testing.T, s string) {
		got := fo.Fold(s)
		if !utf8.ValidString(got) {
			t.Fatalf("Fold(%q) = %q, invalid UTF-8", s, got)
		}
		if n, m := len([]rune(s)), utf8.RuneCountInString(got); n != m {
			t.Fatalf("Fold(%q) = %q: %d runes from %d", s, got, m, n)
		}
		if again := fo.Fold(got); again != got {
			t.Fatalf("Fold not idempotent: %q → %q → %q", s, got, again)
		}
		// Homomorphism at every rune boundary: a term folds alike
		// alone and inside a document.
		// (every boundary of short inputs, about 64 of long ones).
		step := max(1, len(s)/64)
		for i := range s {
			if i%step != 0 && i != len(s)-1 {
				continue
			}
			if fo.Fold(s[:i])+fo.Fold(s[i:]) != got {
				t.Fatalf("Fold(%q) differs from folding halves split at %d", s, i)
			}
		}
	})
}

func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{"网", "推諉 扯皮", `"推诿 扯皮" 乡`, "“a，b”「c」", `"`, "，。", "Ｅ-mail网站", "a\xff网"} {
		f.Add(s)
	}
	fo := mustFolder(f)
	f.Fuzz(func(t *testing.T, s string) {
		q, err := fo.ParseQuery(s)
		if err != nil {
			if !errors.Is(err, ErrQueryTooLong) {
				t.Fatalf("ParseQuery(%q): %v", s, err)
			}
			return
		}
		for _, term := range q.Terms {
			if term.Text == "" || strings.HasPrefix(term.Text, " ") || strings.HasSuffix(term.Text, " ") || strings.Contains(term.Text, "  ") {
				t.Fatalf("ParseQuery(%q): bad term text %q", s, term.Text)
			}
			if fo.Fold(term.Text) != term.Text {
				t.Fatalf("ParseQuery(%q): term %q not folded", s, term.Text)
			}
			if len(term.Tokens) == 0 {
				t.Fatalf("ParseQuery(%q): term %q has no tokens", s, term.Text)
			}
			for _, tok := range term.Tokens {
				if tok == "" || !utf8.ValidString(tok) || strings.ContainsAny(tok, " \x00") {
					t.Fatalf("ParseQuery(%q): bad token %q", s, tok)
				}
			}
		}
		// The query text itself, as a document, matches its own query
		// (quotes fold to separators) and has all its tokens.
		if !q.Empty() {
			if !q.Matches(fo.Fold(s)) {
				t.Fatalf("ParseQuery(%q) = %+v does not match its own text", s, q.Terms)
			}
			if !hasAll(fo.IndexTokens(s), q.Tokens()) {
				t.Fatalf("ParseQuery(%q): tokens %q not all in IndexTokens %q", s, q.Tokens(), fo.IndexTokens(s))
			}
			sn := fo.Snippet(s, q, 5)
			if sn.Hit == "" {
				t.Fatalf("ParseQuery(%q): Snippet found no hit", s)
			}
		}
		_ = Score(fo.Fold(s), q)
	})
}

// chineseDoc is a 500-rune document of case-like Chinese text.
func chineseDoc() string {
	base := []rune("群众反映某镇干部對辦事群眾推諉扯皮，長期不予受理，要求上級部門督促整改。网络平台投诉多次無果，" +
		"街道办事处工作人员态度冷漠，2024年3月至今仍未解决。")
	rs := make([]rune, 0, 500)
	for len(rs) < 500 {
		rs = append(rs, base...)
	}
	return string(rs[:500])
}

func BenchmarkIndexTokens(b *testing.B) {
	f := mustFolder(b)
	doc := chineseDoc()
	b.SetBytes(int64(len(doc)))
	for b.Loop() {
		f.IndexTokens(doc)
	}
}

func BenchmarkFold(b *testing.B) {
	f := mustFolder(b)
	doc := chineseDoc()
	b.SetBytes(int64(len(doc)))
	for b.Loop() {
		f.Fold(doc)
	}
}
