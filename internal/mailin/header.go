package mailin

import (
	"encoding/base64"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

var encodedWordRE = regexp.MustCompile(`=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=`)

// decodeHeader decodes an RFC 2047 header value. Unlike mime.WordDecoder it
// joins the bytes of adjacent encoded-words in the same charset before
// converting them, so a multi-byte character split across two words (as
// some mailers do) comes out whole, and it knows every charset of
// lookupCharset (big5_tw, gb2312-as-GB18030, ...). Raw 8-bit text that is
// not UTF-8 is read as GB18030. Folding is undone.
func decodeHeader(s string) (string, []string) {
	s = unfold(s)
	var (
		out         strings.Builder
		problems    []string
		pend        []byte
		pendCharset string
		prevEncoded bool
		last        int
	)
	flush := func() {
		if len(pend) > 0 {
			text, p := decodeText(pend, pendCharset)
			out.WriteString(text)
			if p != "" {
				problems = append(problems, "header: "+p)
			}
		}
		pend, pendCharset = nil, ""
	}
	for _, m := range encodedWordRE.FindAllStringSubmatchIndex(s, -1) {
		between := s[last:m[0]]
		if !(prevEncoded && strings.TrimLeft(between, " \t") == "") {
			flush()
			out.WriteString(decodeLiteral(between))
		}
		last = m[1]
		charset := s[m[2]:m[3]]
		if i := strings.IndexByte(charset, '*'); i >= 0 { // RFC 2231 language suffix
			charset = charset[:i]
		}
		b, ok := decodeWord(s[m[4]:m[5]], s[m[6]:m[7]])
		if !ok {
			flush()
			// Kept as written, read as the literal text around it is
			// (raw 8-bit bytes there are GB18030, never invalid UTF-8).
			out.WriteString(decodeLiteral(s[m[0]:m[1]]))
			problems = append(problems, "header: undecodable encoded-word")
			prevEncoded = false
			continue
		}
		if len(pend) > 0 && !strings.EqualFold(charset, pendCharset) {
			flush()
		}
		pendCharset = charset
		pend = append(pend, b...)
		prevEncoded = true
	}
	flush()
	out.WriteString(decodeLiteral(s[last:]))
	return strings.TrimSpace(out.String()), problems
}

func unfold(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "")
	s = strings.ReplaceAll(s, "\n", "")
	return strings.ReplaceAll(s, "\r", "")
}

func decodeLiteral(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return gb18030([]byte(s))
}

func decodeWord(enc, text string) ([]byte, bool) {
	switch enc {
	case "B", "b":
		b, err := base64.RawStdEncoding.DecodeString(strings.TrimRight(text, "="))
		return b, err == nil
	default: // Q
		out := make([]byte, 0, len(text))
		for i := 0; i < len(text); i++ {
			c := text[i]
			switch {
			case c == '_':
				out = append(out, ' ')
			case c == '=' && i+2 < len(text) && isHex(text[i+1]) && isHex(text[i+2]):
				out = append(out, unhex(text[i+1])<<4|unhex(text[i+2]))
				i += 2
			default:
				out = append(out, c)
			}
		}
		return out, true
	}
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

// headerParams splits the parameters of a Content-Type or
// Content-Disposition value ("type; a=b; c*=utf-8'zh'x") into a map with
// lower-case keys. Quoted strings are unquoted. It is deliberately lenient.
func headerParams(v string) map[string]string {
	params := map[string]string{}
	v = unfold(v)
	parts := splitParams(v)
	for _, p := range parts[1:] {
		k, val, ok := strings.Cut(p, "=")
		if !ok {
			continue
		}
		k = strings.ToLower(strings.TrimSpace(k))
		val = strings.TrimSpace(val)
		if len(val) >= 2 && val[0] == '"' && val[len(val)-1] == '"' {
			val = strings.ReplaceAll(val[1:len(val)-1], `\"`, `"`)
			val = strings.ReplaceAll(val, `\\`, `\`)
		}
		if _, dup := params[k]; !dup {
			params[k] = val
		}
	}
	return params
}

// splitParams splits on ';' outside quoted strings.
func splitParams(v string) []string {
	var parts []string
	var cur strings.Builder
	inQuote, esc := false, false
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case esc:
			esc = false
		case c == '\\' && inQuote:
			esc = true
		case c == '"':
			inQuote = !inQuote
		case c == ';' && !inQuote:
			parts = append(parts, cur.String())
			cur.Reset()
			continue
		}
		cur.WriteByte(c)
	}
	return append(parts, cur.String())
}

// paramValue returns parameter name from params, honouring RFC 2231
// extended values (name*=charset'lang'%XX..) and continuations
// (name*0*=..., name*1=...) in any charset lookupCharset knows, and RFC 2047
// encoded-words inside plain values (not standard, but what many Chinese
// mailers send).
func paramValue(params map[string]string, name string) (string, []string) {
	if v, ok := params[name+"*"]; ok {
		return decode2231(v)
	}
	if _, ok := params[name+"*0*"]; ok || params[name+"*0"] != "" {
		var raw strings.Builder
		charset := ""
		for i := 0; i < 100; i++ {
			k := name + "*" + strconv.Itoa(i)
			if v, ok := params[k+"*"]; ok {
				if i == 0 {
					cs, rest, lang := splitCharsetPrefix(v)
					if lang {
						charset, v = cs, rest
					}
				}
				raw.WriteString(percentDecode(v))
			} else if v, ok := params[k]; ok {
				raw.WriteString(v)
			} else {
				break
			}
		}
		text, p := decodeText([]byte(raw.String()), charset)
		if p != "" {
			return text, []string{"file name: " + p}
		}
		return text, nil
	}
	if v, ok := params[name]; ok {
		return decodeHeader(v)
	}
	return "", nil
}

func decode2231(v string) (string, []string) {
	cs, rest, ok := splitCharsetPrefix(v)
	if !ok {
		return decodeHeader(v)
	}
	text, p := decodeText([]byte(percentDecode(rest)), cs)
	if p != "" {
		return text, []string{"file name: " + p}
	}
	return text, nil
}

func splitCharsetPrefix(v string) (charset, rest string, ok bool) {
	i := strings.IndexByte(v, '\'')
	if i < 0 {
		return "", v, false
	}
	j := strings.IndexByte(v[i+1:], '\'')
	if j < 0 {
		return "", v, false
	}
	return v[:i], v[i+1+j+1:], true
}

func percentDecode(s string) string {
	if u, err := url.PathUnescape(s); err == nil {
		return u
	}
	var out []byte
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			out = append(out, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
			continue
		}
		out = append(out, s[i])
	}
	return string(out)
}
