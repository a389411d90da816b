// Package mailin is the e-mail intake of mashang: it turns raw Internet mail
// (RFC 5322/MIME) received over SMTP or polled from an IMAP mailbox into a
// Message and hands it, with the raw bytes, to a Sink that stores it as a
// report. It does not know the case store; the Sink is wired to it elsewhere.
//
// Decoding covers what Chinese mail really looks like: GBK, GB2312 (decoded
// as its superset GB18030, since mail labelled gb2312 often holds GBK-only
// characters), GB18030 with four-byte sequences, Big5 (with labels such as
// big5_tw), UTF-8, quoted-printable and base64, RFC 2047 encoded-words split
// inside a character, RFC 2231 file names in any of those charsets, and
// HTML-only mail turned into text. A message that cannot be fully parsed is
// still a Message: Malformed is set, the text says what could be read, and
// the raw message is kept as an attachment "original.eml".
//
// Nothing in this package logs a reporter's address, name or message text.
package mailin

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"mime"
	"net/mail"
	"regexp"
	"runtime"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jhillyerd/enmime"
)

// Message is a parsed e-mail, ready to become a report.
type Message struct {
	// MessageID identifies the message for de-duplication: the Message-ID
	// header without angle brackets, or, when that is missing or unusable,
	// "sha256:" followed by the hex SHA-256 of the raw message with CRLF
	// line ends normalised to LF. It is never empty.
	MessageID string
	// From is the sender's address (addr-spec only). It identifies a
	// reporter: never log it.
	From string
	// FromName is the sender's display name, decoded. Never log it.
	FromName string
	// Subject is the decoded subject, unfolded and trimmed.
	Subject string
	// Text is the body as plain text: the text/plain parts, or the HTML
	// parts turned into text when there is no text/plain. Line ends are LF,
	// leading and trailing space is trimmed. For a Malformed message it
	// begins with a notice saying what went wrong.
	Text string
	// Date is the Date header; zero when missing or unreadable.
	Date time.Time
	// Attachments are every non-body part, with decoded file names. A
	// Malformed message also carries the whole raw message as
	// "original.eml" (message/rfc822).
	Attachments []Attachment
	// Malformed is true when some part of the message could not be decoded.
	Malformed bool
	// Problems says, in English, what could not be decoded. It never
	// contains addresses.
	Problems []string
}

// Attachment is a file carried by a message. ContentType is the declared
// type (lower case, without parameters); callers that store files must sniff
// the real type from Data.
type Attachment struct {
	Filename    string
	ContentType string
	Data        []byte
}

// OriginalFilename is the name of the attachment that keeps the raw message
// of a Malformed Message.
const OriginalFilename = "original.eml"

const problemPanic = "internal error while parsing MIME structure"

// Parse decodes a raw message within DefaultLimits. It never fails and never
// panics: whatever cannot be decoded is reported in Problems, and the
// message is marked Malformed with its raw bytes attached.
func Parse(raw []byte) Message { return NewParser(DefaultLimits()).Parse(raw) }

// Parser parses messages within its Limits. At most one MIME parse per
// processor runs at a time: a parse cut off by ParseTimeout keeps its slot
// until it ends, so runaway parses cannot pile up. Safe for concurrent use;
// the SMTP server and the IMAP poller each keep one.
type Parser struct {
	limits Limits
	slots  chan struct{}
	full   func([]byte) Message // the full parse (parseMIME; tests block it)
}

// NewParser returns a parser with limits l.
func NewParser(l Limits) *Parser {
	return &Parser{limits: l, slots: make(chan struct{}, runtime.NumCPU()), full: parseMIME}
}

// Parse decodes a raw message as the package-level Parse does, within p's
// limits: a message over a limit, or whose parse takes too long, becomes
// what a linear skim could read of it (headers and plain-text parts),
// Malformed, with the raw message kept.
func (p *Parser) Parse(raw []byte) Message {
	sk := skimMessage(raw, p.limits)
	if sk.over != "" {
		return fromSkim(raw, sk, sk.over)
	}
	timer := time.NewTimer(p.limits.ParseTimeout)
	defer timer.Stop()
	select {
	case p.slots <- struct{}{}:
	case <-timer.C:
		return fromSkim(raw, sk, "the MIME parser was busy for longer than "+p.limits.ParseTimeout.String())
	}
	done := make(chan Message, 1)
	go func() {
		defer func() { <-p.slots }()
		done <- p.full(raw)
	}()
	select {
	case m := <-done:
		return m
	case <-timer.C:
		return fromSkim(raw, sk, "parsing took longer than "+p.limits.ParseTimeout.String())
	}
}

// parseMIME is the full parse, with enmime.
func parseMIME(raw []byte) (m Message) {
	defer func() {
		if r := recover(); r != nil {
			m = parseFallback(raw, problemPanic)
		}
	}()
	parser := enmime.NewParser(
		enmime.DisableCharacterDetection(true),
		enmime.DisableTextConversion(true),
		enmime.SetCustomParseMediaType(keepRawText),
	)
	root, err := parser.ReadParts(bytes.NewReader(raw))
	if err != nil || root == nil {
		return parseFallback(raw, "unreadable MIME structure")
	}
	m = headerFields(root.Header.Get, raw)
	w := walker{}
	w.problems = append(w.problems, m.Problems...)
	w.walk(root, false, 0)
	m.Problems = w.problems
	m.Attachments = w.attachments
	switch {
	case len(w.plains) > 0:
		m.Text = strings.Join(w.plains, "\n\n")
		for _, h := range w.htmls { // HTML beside text/plain, not an alternative: keep it
			m.Attachments = append(m.Attachments, h.att)
		}
	case len(w.htmls) > 0:
		texts := make([]string, 0, len(w.htmls))
		for _, h := range w.htmls {
			texts = append(texts, htmlToText(h.text))
		}
		m.Text = strings.Join(texts, "\n\n")
	}
	m.Text = normaliseText(m.Text)
	return finish(m, raw)
}

// keepRawText parses a media type like enmime does but declares every
// text/* part UTF-8, so that enmime only undoes the transfer encoding and
// leaves charset conversion to decodeText (which knows more labels and
// reads gb2312 as GB18030). The declared charset is read again from the
// part's header.
func keepRawText(ctype string) (string, map[string]string, []string, error) {
	mtype, params, invalid, err := enmime.ParseMediaType(ctype)
	if err == nil && strings.HasPrefix(strings.ToLower(mtype), "text/") {
		if params == nil {
			params = map[string]string{}
		}
		params["charset"] = "utf-8"
	}
	return mtype, params, invalid, err
}

// ignoredPartErrors are enmime findings that do not make a message
// malformed.
var ignoredPartErrors = map[string]bool{
	enmime.ErrorMissingContentType: true, // plain RFC 822 mail without MIME
	enmime.ErrorCharsetDeclaration: true, // charset detection, which is off
	enmime.ErrorPlainTextFromHTML:  true,
}

type htmlPart struct {
	text string
	att  Attachment
}

type walker struct {
	plains      []string
	htmls       []htmlPart
	attachments []Attachment
	problems    []string
	n           int
}

// maxDepth backs up Limits.MaxDepth, which the skim checks first.
const maxDepth = 50

func (w *walker) walk(p *enmime.Part, skipHTML bool, depth int) {
	for _, e := range p.Errors {
		if !ignoredPartErrors[e.Name] {
			w.problems = append(w.problems, e.Name+": "+cleanProblem(e.Detail))
		}
	}
	ctype := strings.ToLower(p.ContentType)
	if p.FirstChild != nil || strings.HasPrefix(ctype, "multipart/") {
		if depth >= maxDepth {
			w.problems = append(w.problems, "MIME parts nested too deeply")
			return
		}
		altWithPlain := ctype == "multipart/alternative" && hasPlainChild(p)
		for c := p.FirstChild; c != nil; c = c.NextSibling {
			w.walk(c, skipHTML || altWithPlain, depth+1)
		}
		return
	}
	if ctype == "" {
		ctype = "text/plain"
	}
	params := headerParams(p.Header.Get("Content-Type"))
	name, probs := partFilename(p)
	w.problems = append(w.problems, probs...)
	isBody := (ctype == "text/plain" || ctype == "text/html") &&
		!strings.EqualFold(p.Disposition, "attachment") && name == ""
	if isBody {
		charset := params["charset"]
		if charset == "" && ctype == "text/html" {
			charset = htmlCharset(p.Content)
		}
		text, problem := decodeText(p.Content, charset)
		if problem != "" {
			w.problems = append(w.problems, "body: "+problem)
		}
		if ctype == "text/plain" {
			w.plains = append(w.plains, text)
			return
		}
		if skipHTML {
			return // the same content as the text/plain alternative
		}
		w.n++
		w.htmls = append(w.htmls, htmlPart{text: text, att: Attachment{
			Filename: fmt.Sprintf("part-%d.html", w.n), ContentType: ctype, Data: p.Content,
		}})
		return
	}
	w.n++
	if name == "" {
		name = fmt.Sprintf("attachment-%d%s", w.n, extensionFor(ctype))
	}
	data := p.Content
	if data == nil {
		data = []byte{}
	}
	w.attachments = append(w.attachments, Attachment{Filename: name, ContentType: ctype, Data: data})
}

func hasPlainChild(p *enmime.Part) bool {
	for c := p.FirstChild; c != nil; c = c.NextSibling {
		ct := strings.ToLower(c.ContentType)
		if (ct == "text/plain" || ct == "") && c.FirstChild == nil &&
			!strings.EqualFold(c.Disposition, "attachment") {
			return true
		}
	}
	return false
}

// partFilename decodes the file name from Content-Disposition (filename)
// or Content-Type (name), in RFC 2231 or RFC 2047 form, and makes it safe:
// no directories, no control characters.
func partFilename(p *enmime.Part) (string, []string) {
	var problems []string
	for _, src := range []struct{ header, param string }{
		{"Content-Disposition", "filename"},
		{"Content-Type", "name"},
	} {
		v := p.Header.Get(src.header)
		if v == "" {
			continue
		}
		name, probs := paramValue(headerParams(v), src.param)
		problems = append(problems, probs...)
		if name = safeFilename(name); name != "" {
			return name, problems
		}
	}
	return safeFilename(p.FileName), problems
}

func safeFilename(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if i := strings.LastIndexAny(s, `/\`); i >= 0 {
		s = s[i+1:]
	}
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if s == "." || s == ".." {
		return ""
	}
	for len(s) > 200 {
		_, size := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-size]
	}
	return s
}

func extensionFor(ctype string) string {
	switch ctype {
	case "application/pdf":
		return ".pdf"
	case "image/jpeg":
		return ".jpg"
	case "image/png":
		return ".png"
	case "image/gif":
		return ".gif"
	case "message/rfc822":
		return ".eml"
	case "text/plain":
		return ".txt"
	case "text/html":
		return ".html"
	case "application/msword":
		return ".doc"
	case "application/vnd.openxmlformats-officedocument.wordprocessingml.document":
		return ".docx"
	}
	return ".bin"
}

// headerFields reads the top-level headers. get returns a raw header value.
func headerFields(get func(string) string, raw []byte) Message {
	var m Message
	subject, probs := decodeHeader(get("Subject"))
	m.Subject = strings.Join(strings.Fields(subject), " ")
	m.Problems = append(m.Problems, probs...)
	m.From, m.FromName = parseFrom(get("From"))
	if d := strings.TrimSpace(get("Date")); d != "" {
		if t, err := mail.ParseDate(d); err == nil {
			m.Date = t
		}
	}
	m.MessageID = messageID(get("Message-Id"), raw)
	return m
}

var addrSpecRE = regexp.MustCompile(`[^\s<>"(),;:@]+@[^\s<>"(),;:@]+`)

func parseFrom(v string) (addr, name string) {
	v = strings.TrimSpace(unfold(v))
	if v == "" {
		return "", ""
	}
	ap := mail.AddressParser{WordDecoder: &mime.WordDecoder{CharsetReader: charsetReader}}
	if list, err := ap.ParseList(v); err == nil && len(list) > 0 {
		addr, name = list[0].Address, list[0].Name
	} else if a := addrSpecRE.FindString(v); a != "" {
		addr = a
	}
	// Decode the display name ourselves when it is encoded: mime.WordDecoder
	// breaks characters split across encoded-words.
	if i := strings.LastIndex(v, "<"); i > 0 && (strings.Contains(v[:i], "=?") || name == "") {
		dn, _ := decodeHeader(v[:i])
		name = strings.Trim(strings.TrimSpace(dn), `"`)
	}
	return addr, strings.TrimSpace(name)
}

func messageID(v string, raw []byte) string {
	id := strings.Join(strings.Fields(v), "")
	id = strings.TrimSuffix(strings.TrimPrefix(id, "<"), ">")
	if id != "" && len(id) <= 500 && utf8.ValidString(id) {
		return id
	}
	return rawID(raw)
}

// rawID is the MessageID of a message without a usable Message-ID header.
func rawID(raw []byte) string {
	sum := sha256.Sum256(bytes.ReplaceAll(raw, []byte("\r\n"), []byte("\n")))
	return "sha256:" + hex.EncodeToString(sum[:])
}

var crlfReplacer = strings.NewReplacer("\r\n", "\n", "\r", "\n")

func normaliseText(s string) string {
	return strings.TrimSpace(crlfReplacer.Replace(s))
}

// cleanProblem keeps an enmime error detail short and free of addresses.
func cleanProblem(s string) string {
	s = addrSpecRE.ReplaceAllString(strings.ToValidUTF8(s, "\uFFFD"), "<address>")
	if r := []rune(s); len(r) > 160 {
		s = string(r[:160]) + "…"
	}
	return s
}

// finish marks the message Malformed when there were problems, prefixes
// the notice and keeps the raw message.
func finish(m Message, raw []byte) Message {
	if len(m.Problems) == 0 {
		return m
	}
	m.Malformed = true
	notice := fmt.Sprintf("【邮件未能完整解析，以下为能够读取的内容；原始邮件已作为附件 %s 保存。】\n"+
		"[This message could not be fully decoded (%s); what could be read follows, the original is attached as %s.]",
		OriginalFilename, strings.Join(m.Problems, "; "), OriginalFilename)
	if m.Text == "" {
		m.Text = notice
	} else {
		m.Text = notice + "\n\n" + m.Text
	}
	m.Attachments = append(m.Attachments, Attachment{
		Filename:    OriginalFilename,
		ContentType: "message/rfc822",
		Data:        bytes.Clone(raw),
	})
	return m
}

// fromSkim is the message of what the skim read: the top-level headers and
// the plain-text parts, Malformed because of problem.
func fromSkim(raw []byte, sk *skim, problem string) Message {
	head, _ := splitHead(raw)
	m := rawHeaderFields(head, raw)
	m.Problems = append(append([]string{problem}, m.Problems...), sk.problems...)
	m.Text = strings.Join(sk.texts, "\n\n")
	return finish(m, raw)
}

// splitHead cuts raw at the first blank line (no blank line: maybe headers,
// maybe all text, so both).
func splitHead(raw []byte) (head, body []byte) {
	for _, sep := range []string{"\r\n\r\n", "\n\n"} {
		if i := bytes.Index(raw, []byte(sep)); i >= 0 {
			return raw[:i], raw[i+len(sep):]
		}
	}
	return raw, raw
}

// rawHeaderFields reads the header fields of head without the MIME parser.
func rawHeaderFields(head, raw []byte) Message {
	hdr := map[string]string{}
	var key string
	for _, line := range strings.Split(crlfReplacer.Replace(string(head)), "\n") {
		if line != "" && (line[0] == ' ' || line[0] == '\t') && key != "" {
			hdr[key] += " " + strings.TrimSpace(line)
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		key = strings.ToLower(strings.TrimSpace(k))
		if _, seen := hdr[key]; !seen {
			hdr[key] = strings.TrimSpace(v)
		} else {
			key = ""
		}
	}
	return headerFields(func(k string) string { return hdr[strings.ToLower(k)] }, raw)
}

// parseFallback reads what it can without the MIME parser: the headers (if
// any) and the rest as text.
func parseFallback(raw []byte, problem string) Message {
	head, body := splitHead(raw)
	m := rawHeaderFields(head, raw)
	m.Problems = append([]string{problem}, m.Problems...)
	text, _ := decodeText(body, "")
	m.Text = normaliseText(text)
	return finish(m, raw)
}

func charsetReader(label string, r io.Reader) (io.Reader, error) {
	enc, known := lookupCharset(label)
	if !known {
		return nil, fmt.Errorf("unknown charset %s", quoteShort(label))
	}
	if enc == nil {
		return r, nil
	}
	return enc.NewDecoder().Reader(r), nil
}
