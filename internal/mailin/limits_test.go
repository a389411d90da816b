package mailin

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"
)

// deepMessage nests depth multipart parts whose boundaries are prefixes of
// one another and are never closed: the shape whose parse cost doubles with
// each level (depth 40 kept a core busy for minutes before the limits).
// closed closes every part properly.
func deepMessage(depth int, closed bool) []byte {
	var b strings.Builder
	b.WriteString("From: =?UTF-8?B?5byg5LiJ?= <zhang@example.cn>\r\nSubject: =?UTF-8?B?5Li+5oql?=\r\nMessage-ID: <deep@example.cn>\r\nMIME-Version: 1.0\r\n")
	for i := range depth {
		fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=\"%s\"\r\n\r\n--%s\r\n", strings.Repeat("b", i+1), strings.Repeat("b", i+1))
	}
	b.WriteString("Content-Type: text/plain; charset=utf-8\r\n\r\n镇政府办事窗口推诿扯皮\r\n")
	for i := depth - 1; closed && i >= 0; i-- {
		fmt.Fprintf(&b, "--%s--\r\n", strings.Repeat("b", i+1))
	}
	return []byte(b.String())
}

// parseWithin fails the test when Parse does not return within d (it must
// never hang; the figures are in the benchmark, this only catches a hang).
func parseWithin(t *testing.T, p *Parser, raw []byte, d time.Duration) Message {
	t.Helper()
	done := make(chan Message, 1)
	go func() { done <- p.Parse(raw) }()
	select {
	case m := <-done:
		return m
	case <-time.After(d):
		t.Fatalf("parse did not return within %s", d)
	}
	return Message{}
}

func hasProblem(m Message, part string) bool {
	for _, p := range m.Problems {
		if strings.Contains(p, part) {
			return true
		}
	}
	return false
}

func original(m Message) []byte {
	for _, a := range m.Attachments {
		if a.Filename == OriginalFilename {
			return a.Data
		}
	}
	return nil
}

// TestDeepNestingRegression: the depth-40 message is skimmed, not parsed:
// it returns at once as a Malformed message with the sender, subject and
// the text it holds, and the raw message kept whole.
func TestDeepNestingRegression(t *testing.T) {
	raw := deepMessage(40, false)
	m := parseWithin(t, NewParser(DefaultLimits()), raw, 10*time.Second)
	if !m.Malformed || !hasProblem(m, "nested more than 12 deep") {
		t.Fatalf("problems %v", m.Problems)
	}
	if m.Subject != "举报" || m.FromName != "张三" || m.From != "zhang@example.cn" || m.MessageID != "deep@example.cn" {
		t.Fatalf("headers: %+v", m)
	}
	if !bytes.Equal(original(m), raw) {
		t.Fatal("the raw message is not kept")
	}
	// Within the limit the same shape parses fully.
	ok := parseWithin(t, NewParser(DefaultLimits()), deepMessage(8, true), 10*time.Second)
	if ok.Malformed || !strings.Contains(ok.Text, "镇政府办事窗口推诿扯皮") {
		t.Fatalf("depth 8: %v %q", ok.Problems, ok.Text)
	}
}

// TestEveryLimitKeepsWhatItRead: past each limit the message is still a
// message, with the plain text read up to there and the raw kept.
func TestEveryLimitKeepsWhatItRead(t *testing.T) {
	small := Limits{MaxDepth: 3, MaxParts: 5, MaxHeaderBytes: 2048, ParseTimeout: 5 * time.Second}
	head := "From: a@example.cn\r\nSubject: test\r\nMIME-Version: 1.0\r\n"
	var many strings.Builder
	many.WriteString(head + "Content-Type: multipart/mixed; boundary=\"x\"\r\n\r\n")
	for i := range 8 {
		fmt.Fprintf(&many, "--x\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n%s\r\n",
			b64(fmt.Sprintf("第%d段", i+1)))
	}
	many.WriteString("--x--\r\n")
	bigHeader := head + "X-Filler: " + strings.Repeat("a", 4000) + "\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n正文\r\n"
	qp := head + "Content-Type: multipart/alternative; boundary=\"y\"\r\n\r\n--y\r\nContent-Type: text/plain; charset=gbk\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n=D5=FD=CE=C4\r\n--y\r\nContent-Type: multipart/mixed; boundary=\"z\"\r\n\r\n--z\r\nContent-Type: multipart/mixed; boundary=\"w\"\r\n\r\n--w\r\nContent-Type: multipart/mixed; boundary=\"v\"\r\n\r\n--v\r\n\r\nx\r\n"
	for _, c := range []struct {
		name, raw, problem string
		texts              []string
	}{
		{"parts", many.String(), "more than 5 MIME parts", []string{"第1段", "第4段"}},
		{"header", bigHeader, "header block is larger than 2048", nil},
		{"depth", qp, "nested more than 3 deep", []string{"正文"}},
	} {
		m := parseWithin(t, NewParser(small), []byte(c.raw), 10*time.Second)
		if !m.Malformed || !hasProblem(m, c.problem) || !bytes.Equal(original(m), []byte(c.raw)) {
			t.Errorf("%s: malformed %t, problems %v", c.name, m.Malformed, m.Problems)
		}
		for _, want := range c.texts {
			if !strings.Contains(m.Text, want) {
				t.Errorf("%s: text %q lacks %q", c.name, m.Text, want)
			}
		}
		if m.Subject != "test" {
			t.Errorf("%s: subject %q", c.name, m.Subject)
		}
	}
}

// TestSlowParseIsCutOff forces a parse that outlasts ParseTimeout: the
// message becomes what the skim read, and while the slow parse holds the
// only slot, the next message is skimmed too instead of waiting.
func TestSlowParseIsCutOff(t *testing.T) {
	p := NewParser(Limits{MaxDepth: 12, MaxParts: 100, MaxHeaderBytes: 1 << 16, ParseTimeout: 50 * time.Millisecond})
	release := make(chan struct{})
	defer close(release)
	p.SetFullParse(func(raw []byte) Message { <-release; return Message{} }, 1)
	raw := []byte("From: a@example.cn\r\nSubject: slow\r\n\r\n正文在此\r\n")
	m := parseWithin(t, p, raw, 10*time.Second)
	if !hasProblem(m, "parsing took longer than 50ms") || m.Text == "" || !strings.Contains(m.Text, "正文在此") || m.Subject != "slow" {
		t.Fatalf("cut-off parse: %+v", m)
	}
	m = parseWithin(t, p, raw, 10*time.Second)
	if !hasProblem(m, "busy for longer than 50ms") {
		t.Fatalf("second parse while the slot is held: %v", m.Problems)
	}
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// BenchmarkParseHostile: the depth-40 message (skimmed, not parsed) and a
// depth-12 one of the same shape (the deepest that reaches the MIME parser).
func BenchmarkParseHostile(b *testing.B) {
	p := NewParser(DefaultLimits())
	for _, depth := range []int{12, 40} {
		raw := deepMessage(depth, false)
		b.Run(fmt.Sprintf("depth%d", depth), func(b *testing.B) {
			for b.Loop() {
				p.Parse(raw)
			}
		})
	}
}
