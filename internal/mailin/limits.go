package mailin

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"mime/quotedprintable"
	"strings"
	"time"
)

// Limits bound the work of parsing one message. The MIME parser's cost grows
// with the nesting of multipart parts (twice as much for each level, for
// some shapes), so a message is first skimmed in one linear pass and handed
// to the parser only when it is within every limit; otherwise, or when the
// parser takes longer than ParseTimeout, the message becomes what the skim
// could read (the top-level headers and the plain-text parts), marked
// Malformed, with the raw message kept.
type Limits struct {
	MaxDepth       int           // multipart parts nested in one another
	MaxParts       int           // MIME parts in all
	MaxHeaderBytes int           // one header block (the message's or a part's)
	ParseTimeout   time.Duration // the MIME parser's time, after the skim
}

// DefaultLimits are generous for real mail (a signed reply with inline
// images and attachments nests 4 or 5 deep) and keep one message's parse to
// milliseconds.
func DefaultLimits() Limits {
	return Limits{MaxDepth: 12, MaxParts: 500, MaxHeaderBytes: 100 << 10, ParseTimeout: 5 * time.Second}
}

// skim is what one linear pass over a raw message learned.
type skim struct {
	depth, parts, maxHeader int
	over                    string   // the first limit passed ("" when none)
	texts                   []string // the decoded text/plain parts, in order
	problems                []string // what could not be decoded in them
}

type skimPart struct {
	plain    bool   // a text/plain body part: its lines are kept
	charset  string // of a plain part
	encoding string // its Content-Transfer-Encoding, lower case
	body     bytes.Buffer
}

// skimMessage reads raw once, line by line: header blocks, multipart
// boundaries (a stack as deep as the nesting), and the text/plain parts'
// bodies. It stops at the first limit passed.
func skimMessage(raw []byte, l Limits) *skim {
	s := &skim{parts: 1}
	var stack []string // the open multipart boundaries, innermost last
	inHeader := true
	var header bytes.Buffer
	var cur *skimPart
	endPart := func() {
		if cur != nil && cur.plain {
			s.addText(cur)
		}
		cur = nil
	}
	rest := raw
	for len(rest) > 0 && s.over == "" {
		line := rest
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			line, rest = rest[:i+1], rest[i+1:]
		} else {
			rest = nil
		}
		trimmed := bytes.TrimRight(line, "\r\n")
		if inHeader {
			if len(bytes.TrimSpace(trimmed)) > 0 {
				header.Write(line)
				if header.Len() > l.MaxHeaderBytes {
					s.over = fmt.Sprintf("a header block is larger than %d bytes", l.MaxHeaderBytes)
				}
				continue
			}
			s.maxHeader = max(s.maxHeader, header.Len())
			inHeader = false
			cur = &skimPart{}
			ctype, params, enc, attachment := partHeader(header.String())
			header.Reset()
			if strings.HasPrefix(ctype, "multipart/") && params["boundary"] != "" {
				stack = append(stack, params["boundary"])
				s.depth = max(s.depth, len(stack))
				if len(stack) > l.MaxDepth {
					s.over = fmt.Sprintf("MIME parts are nested more than %d deep", l.MaxDepth)
				}
				cur = nil
				continue
			}
			if (ctype == "" || ctype == "text/plain") && !attachment {
				cur.plain, cur.charset, cur.encoding = true, params["charset"], enc
			}
			continue
		}
		if bytes.HasPrefix(trimmed, []byte("--")) && len(stack) > 0 {
			tb := bytes.TrimRight(trimmed, " \t")
			if level, closing := matchBoundary(tb, stack); level >= 0 {
				endPart()
				if closing {
					stack = stack[:level]
					continue
				}
				stack = stack[:level+1]
				s.parts++
				if s.parts > l.MaxParts {
					s.over = fmt.Sprintf("the message has more than %d MIME parts", l.MaxParts)
				}
				inHeader = true
				continue
			}
		}
		if cur != nil && cur.plain {
			cur.body.Write(line)
		}
	}
	if s.over == "" {
		endPart()
	} else if cur != nil && cur.plain {
		s.addText(cur) // what was read of the part the limit cut
	}
	return s
}

// matchBoundary finds the innermost open boundary that line (without its
// line end) delimits: level is its index in stack (-1 for none), closing
// whether it is the close delimiter "--b--".
func matchBoundary(line []byte, stack []string) (level int, closing bool) {
	for i := len(stack) - 1; i >= 0; i-- {
		b := stack[i]
		if len(line) < 2+len(b) || string(line[2:2+len(b)]) != b {
			continue
		}
		switch tail := line[2+len(b):]; {
		case len(tail) == 0:
			return i, false
		case string(tail) == "--":
			return i, true
		}
	}
	return -1, false
}

// partHeader reads what the skim needs of a header block: the media type
// (lower case) with its parameters, the transfer encoding and whether the
// part is an attachment.
func partHeader(block string) (ctype string, params map[string]string, encoding string, attachment bool) {
	fields := map[string]string{}
	var key string
	for _, line := range strings.Split(crlfReplacer.Replace(block), "\n") {
		if line != "" && (line[0] == ' ' || line[0] == '\t') && key != "" {
			fields[key] += " " + strings.TrimSpace(line)
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			key = ""
			continue
		}
		key = strings.ToLower(strings.TrimSpace(k))
		if _, seen := fields[key]; seen {
			key = "" // the first of repeated fields counts
			continue
		}
		fields[key] = strings.TrimSpace(v)
	}
	params = map[string]string{}
	if v := fields["content-type"]; v != "" {
		mt, p, err := mime.ParseMediaType(v)
		if err != nil {
			mt = strings.ToLower(strings.TrimSpace(strings.Split(v, ";")[0]))
			p = headerParams(v)
		}
		ctype, params = strings.ToLower(mt), p
	}
	disp := strings.ToLower(fields["content-disposition"])
	attachment = strings.HasPrefix(disp, "attachment") || strings.Contains(disp, "filename") || params["name"] != ""
	return ctype, params, strings.ToLower(strings.TrimSpace(fields["content-transfer-encoding"])), attachment
}

// addText decodes a plain part's body: transfer encoding, then charset.
func (s *skim) addText(p *skimPart) {
	body := p.body.Bytes()
	switch p.encoding {
	case "base64":
		clean := bytes.Map(func(r rune) rune {
			if r == ' ' || r == '\t' || r == '\r' || r == '\n' {
				return -1
			}
			return r
		}, body)
		dec := make([]byte, base64.StdEncoding.DecodedLen(len(clean)))
		n, err := base64.StdEncoding.Decode(dec, clean)
		if err != nil {
			s.problems = append(s.problems, "body: base64 text could not be fully decoded")
		}
		body = dec[:n]
	case "quoted-printable":
		dec, err := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(body)))
		if err != nil {
			s.problems = append(s.problems, "body: quoted-printable text could not be fully decoded")
		}
		body = dec
	}
	text, problem := decodeText(body, p.charset)
	if problem != "" {
		s.problems = append(s.problems, "body: "+problem)
	}
	if t := normaliseText(text); t != "" {
		s.texts = append(s.texts, t)
	}
}
