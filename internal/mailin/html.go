package mailin

import (
	"regexp"
	"strings"

	"golang.org/x/net/html"
)

var metaCharsetRE = regexp.MustCompile(`(?i)<meta[^>]*charset\s*=\s*["']?([A-Za-z0-9_.:-]+)`)

// htmlCharset finds a charset declared in an HTML document's <meta>.
func htmlCharset(b []byte) string {
	if len(b) > 4096 {
		b = b[:4096]
	}
	if m := metaCharsetRE.FindSubmatch(b); m != nil {
		return string(m[1])
	}
	return ""
}

// blockTags end a line when they open or close.
var blockTags = map[string]bool{
	"address": true, "article": true, "aside": true, "blockquote": true, "body": true, "br": true,
	"dd": true, "div": true, "dl": true, "dt": true, "footer": true, "form": true, "h1": true,
	"h2": true, "h3": true, "h4": true, "h5": true, "h6": true, "header": true, "hr": true,
	"html": true, "li": true, "main": true, "nav": true, "ol": true, "p": true, "pre": true,
	"section": true, "table": true, "td": true, "th": true, "tr": true, "ul": true,
}

// rawTextTags hold content that is not shown to a reader.
var rawTextTags = map[string]bool{"script": true, "style": true, "title": true, "template": true}

var spacesRE = regexp.MustCompile(`[ \t\f\r\n\x{00A0}]+`)

// htmlToText turns an HTML body into plain text: tags removed, entities
// decoded, scripts and styles dropped, one line per block element, no empty
// lines. A non-breaking space becomes an ordinary space.
func htmlToText(s string) string {
	z := html.NewTokenizer(strings.NewReader(s))
	var b strings.Builder
	skip := ""
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return tidyLines(b.String())
		case html.TextToken:
			if skip != "" {
				continue
			}
			b.WriteString(spacesRE.ReplaceAllString(string(z.Text()), " "))
		case html.StartTagToken, html.EndTagToken, html.SelfClosingTagToken:
			name, _ := z.TagName()
			tag := string(name)
			if skip != "" {
				if tt == html.EndTagToken && tag == skip {
					skip = ""
				}
				continue
			}
			if tt == html.StartTagToken && rawTextTags[tag] {
				skip = tag
				continue
			}
			if blockTags[tag] {
				b.WriteByte('\n')
			}
		}
	}
}

// tidyLines trims every line, collapses inner runs of spaces and drops
// empty lines.
func tidyLines(s string) string {
	lines := strings.Split(s, "\n")
	out := lines[:0]
	for _, l := range lines {
		l = strings.TrimSpace(spacesRE.ReplaceAllString(l, " "))
		if l != "" {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
