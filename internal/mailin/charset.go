package mailin

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/ianaindex"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
)

// lookupCharset maps a MIME charset label to a decoder. It returns
// (nil, true) for UTF-8 and ASCII (no conversion needed) and
// (nil, false) for labels it does not know.
//
// Every GB label (gb2312, gbk, cp936, ...) is decoded as GB18030: real mail
// labelled gb2312 routinely holds GBK-only characters (堃, 镕) and GB18030 is
// a strict superset of both.
func lookupCharset(label string) (encoding.Encoding, bool) {
	l := strings.ToLower(strings.Trim(strings.TrimSpace(label), `"'`))
	switch l {
	case "", "utf-8", "utf8", "utf8mb4", "unicode-1-1-utf-8", "us-ascii", "ascii", "ansi_x3.4-1968", "iso-646-us", "646":
		return nil, true
	case "gb2312", "gb_2312", "gb_2312-80", "gbk", "gb18030", "gb-18030", "cp936", "ms936", "windows-936",
		"x-gbk", "euc-cn", "x-euc-cn", "csgb2312", "csgbk", "csgb18030", "chinese", "iso-ir-58", "csiso58gb231280", "936":
		return simplifiedchinese.GB18030, true
	case "big5", "big5_tw", "big5-tw", "x-big5", "cn-big5", "csbig5", "big5-hkscs", "big5hkscs", "cp950",
		"ms950", "windows-950", "x-x-big5", "zh_tw-big5", "950":
		return traditionalchinese.Big5, true
	case "hz-gb-2312", "hz":
		return simplifiedchinese.HZGB2312, true
	}
	for _, cand := range []string{l, strings.ReplaceAll(l, "_", "-")} {
		if enc, err := htmlindex.Get(cand); err == nil && enc != nil {
			return enc, true
		}
		if enc, err := ianaindex.MIME.Encoding(cand); err == nil && enc != nil {
			return enc, true
		}
	}
	return nil, false
}

// decodeText converts b from the given charset label to UTF-8. It never
// fails: bytes that cannot be decoded become U+FFFD. problem is non-empty
// when the label was unknown or the bytes did not fit it.
func decodeText(b []byte, label string) (text string, problem string) {
	enc, known := lookupCharset(label)
	switch {
	case !known:
		if utf8.Valid(b) {
			return string(b), fmt.Sprintf("unknown charset %s, read as UTF-8", quoteShort(label))
		}
		return gb18030(b), fmt.Sprintf("unknown charset %s, read as GB18030", quoteShort(label))
	case enc == nil:
		if utf8.Valid(b) {
			return string(b), ""
		}
		l := strings.ToLower(strings.TrimSpace(label))
		if l == "utf-8" || l == "utf8" {
			return strings.ToValidUTF8(string(b), "\uFFFD"), "invalid UTF-8 in text declared as UTF-8"
		}
		// Undeclared or "us-ascii" 8-bit text: in this office's mail that is
		// almost always GB2312/GBK from an old client.
		return gb18030(b), ""
	default:
		out, err := enc.NewDecoder().Bytes(b)
		if err != nil {
			return strings.ToValidUTF8(string(b), "\uFFFD"), fmt.Sprintf("text does not decode as %s", quoteShort(label))
		}
		return string(out), ""
	}
}

func gb18030(b []byte) string {
	out, err := simplifiedchinese.GB18030.NewDecoder().Bytes(b)
	if err != nil {
		return strings.ToValidUTF8(string(b), "\uFFFD")
	}
	return string(out)
}

// quoteShort quotes s for a problem description, cut to a sane length.
func quoteShort(s string) string {
	const max = 40
	s = strings.ToValidUTF8(s, "?")
	if r := []rune(s); len(r) > max {
		s = string(r[:max]) + "…"
	}
	return fmt.Sprintf("%q", s)
}
