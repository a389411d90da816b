package mailin

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatalf("read fixture: %v", err)
	}
	return b
}

// collapse folds every run of white space to one space, so that the
// one-line expectations of the fixtures README can be compared with text
// that has line breaks.
func collapse(s string) string { return strings.Join(strings.Fields(s), " ") }

func TestParseFixtures(t *testing.T) {
	tests := []struct {
		file      string
		subject   string
		body      string // must be contained in the collapsed Text
		from      string
		id        string
		malformed bool
		files     []string // attachment file names, in order
	}{
		{file: "01-gbk-base64.eml", subject: "举报梅溪镇便民服务中心",
			body: "梅溪镇便民服务中心社保窗口工作人员上班时间玩手机，群众排队一个多小时无人办理。",
			from: "reporter1@example.org", id: "fixture-1@example.org"},
		{file: "02-gb2312-label-gbk-content-qp.eml", subject: "未一次性告知",
			body: "坂东镇国土所王堃多次要求补交材料，未一次性告知，审批拖了三个月。",
			from: "reporter2@example.org", id: "fixture-2@example.org"},
		{file: "03-big5.eml", subject: "舉報推諉扯皮",
			body: "雄江鎮社保窗口推諉扯皮，要求群眾跑了三次還沒辦成。",
			from: "reporter3@example.org", id: "fixture-3@example.org"},
		{file: "04-gb18030-four-byte.eml", subject: "低保审核无人答复",
			body: "池园镇村民𠮷某某反映：低保审核材料递交后两个月无人答复。",
			from: "reporter4@example.org", id: "fixture-4@example.org"},
		{file: "05-html-only-utf8.eml", subject: "不动产登记重复提交材料",
			body: "县行政服务中心 不动产登记窗口 要求重复提交材料<三次>。",
			from: "reporter5@example.org", id: "fixture-5@example.org"},
		{file: "06-attachment-rfc2231-gbk-name.eml", subject: "附件举报：收费单据",
			body: "白樟镇某站所乱收费，收费单据见附件。",
			from: "reporter6@example.org", id: "fixture-6@example.org", files: []string{"收费单据.pdf"}},
		{file: "07-malformed.eml", subject: "broken",
			body: "Tazhuang town service centre staff absent.",
			from: "reporter7@example.org", id: "fixture-7@example.org", malformed: true,
			files: []string{"attachment-1.bin", OriginalFilename}},
		{file: "08-split-encoded-word-subject.eml", subject: "金沙镇干部吃拿卡要",
			body: "金沙镇某站所干部办事要好处费。",
			from: "reporter8@example.org", id: "fixture-8@example.org"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			raw := readFixture(t, tt.file)
			m := Parse(raw)
			if m.Subject != tt.subject {
				t.Errorf("Subject = %q, want %q", m.Subject, tt.subject)
			}
			if !strings.Contains(collapse(m.Text), tt.body) {
				t.Errorf("Text = %q, want it to contain %q", m.Text, tt.body)
			}
			if m.From != tt.from {
				t.Errorf("From = %q, want %q", m.From, tt.from)
			}
			if m.MessageID != tt.id {
				t.Errorf("MessageID = %q, want %q", m.MessageID, tt.id)
			}
			if m.Malformed != tt.malformed {
				t.Errorf("Malformed = %v, want %v (problems %q)", m.Malformed, tt.malformed, m.Problems)
			}
			if tt.malformed != (len(m.Problems) > 0) {
				t.Errorf("Problems = %q with Malformed %v", m.Problems, tt.malformed)
			}
			var names []string
			for _, a := range m.Attachments {
				names = append(names, a.Filename)
			}
			if strings.Join(names, "|") != strings.Join(tt.files, "|") {
				t.Errorf("attachments = %q, want %q", names, tt.files)
			}
			if strings.Contains(m.Text, "\r") || m.Text != strings.TrimSpace(m.Text) {
				t.Errorf("Text not normalised: %q", m.Text)
			}
			if !utf8.ValidString(m.Text) || strings.ContainsRune(m.Text, utf8.RuneError) {
				t.Errorf("Text has invalid or replaced characters: %q", m.Text)
			}
			if want := time.Date(2026, 11, 2, 9, 30, 0, 0, time.FixedZone("", 8*3600)); m.Date.Sub(want) < 0 || m.Date.Sub(want) > 10*time.Second {
				t.Errorf("Date = %v", m.Date)
			}
		})
	}
}

func TestParseHTMLOnly(t *testing.T) {
	m := Parse(readFixture(t, "05-html-only-utf8.eml"))
	want := "县行政服务中心 不动产登记窗口\n要求重复提交材料<三次>。"
	if m.Text != want {
		t.Errorf("Text = %q, want %q", m.Text, want)
	}
	if len(m.Attachments) != 0 {
		t.Errorf("HTML body kept as attachment: %v", m.Attachments)
	}
}

func TestParseAttachmentData(t *testing.T) {
	m := Parse(readFixture(t, "06-attachment-rfc2231-gbk-name.eml"))
	if len(m.Attachments) != 1 {
		t.Fatalf("attachments: %d", len(m.Attachments))
	}
	a := m.Attachments[0]
	if a.ContentType != "application/pdf" || !bytes.HasPrefix(a.Data, []byte("%PDF-1.4")) {
		t.Errorf("attachment = %q %q", a.ContentType, a.Data)
	}
}

func TestParseMalformedKeepsRaw(t *testing.T) {
	raw := readFixture(t, "07-malformed.eml")
	m := Parse(raw)
	last := m.Attachments[len(m.Attachments)-1]
	if last.Filename != OriginalFilename || last.ContentType != "message/rfc822" || !bytes.Equal(last.Data, raw) {
		t.Errorf("original not kept: %q %q %d bytes", last.Filename, last.ContentType, len(last.Data))
	}
	for _, want := range []string{"原始邮件", "x-unknown-charset", "Malformed Base64", "Missing Boundary"} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("Text does not mention %q: %q", want, m.Text)
		}
	}
}

func TestParseEdgeCases(t *testing.T) {
	gbkSubject := []byte("Subject: \xbe\xd9\xb1\xa8\r\n\r\nbody") // raw 8-bit GBK 举报
	tests := []struct {
		name      string
		raw       []byte
		subject   string
		text      string
		fromName  string
		malformed bool
		idPrefix  string
	}{
		{name: "empty", raw: nil, malformed: false, idPrefix: "sha256:"},
		{name: "no headers", raw: []byte("just some words"), text: "just some words", malformed: true, idPrefix: "sha256:"},
		{name: "raw 8-bit GBK subject", raw: gbkSubject, subject: "举报", text: "body", idPrefix: "sha256:"},
		{name: "Q encoding big5_tw label",
			raw:     []byte("Subject: =?big5_tw?Q?=C1|=B3=F8?=\r\nMessage-ID: <a@b>\r\n\r\nx"),
			subject: "舉報", text: "x", idPrefix: "a@b"},
		{name: "encoded display name split across words",
			raw:      []byte("From: =?UTF-8?B?6YeR5rKZ6Q==?= =?UTF-8?B?lYc=?= <r@example.org>\r\n\r\nx"),
			fromName: "金沙镇", text: "x", idPrefix: "sha256:"},
		{name: "gb2312 rfc2231 continuation",
			raw: []byte("Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain; charset=gb2312\r\n\r\n\xd2\xbb\r\n--b\r\n" +
				"Content-Type: application/pdf\r\nContent-Disposition: attachment; filename*0*=gb2312''%CA%D5%B7%D1; filename*1=.pdf\r\n\r\nPDF\r\n--b--\r\n"),
			text: "一", idPrefix: "sha256:"},
		{name: "unknown charset in subject",
			raw:     []byte("Subject: =?x-nope?B?YWJj?=\r\n\r\nbody"),
			subject: "abc", text: "body", malformed: true, idPrefix: "sha256:"},
		{name: "alternative prefers plain, keeps inline image",
			raw: []byte("Content-Type: multipart/alternative; boundary=a\r\n\r\n--a\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n纯文本\r\n" +
				"--a\r\nContent-Type: multipart/related; boundary=r\r\n\r\n--r\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>纯文本</p>\r\n" +
				"--r\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n--r--\r\n--a--\r\n"),
			text: "纯文本", idPrefix: "sha256:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := Parse(tt.raw)
			if m.Subject != tt.subject {
				t.Errorf("Subject = %q, want %q", m.Subject, tt.subject)
			}
			if tt.text != "" && !strings.HasSuffix(m.Text, tt.text) {
				t.Errorf("Text = %q, want suffix %q", m.Text, tt.text)
			}
			if m.FromName != tt.fromName {
				t.Errorf("FromName = %q, want %q", m.FromName, tt.fromName)
			}
			if m.Malformed != tt.malformed {
				t.Errorf("Malformed = %v, want %v (%q)", m.Malformed, tt.malformed, m.Problems)
			}
			if !strings.HasPrefix(m.MessageID, tt.idPrefix) {
				t.Errorf("MessageID = %q, want prefix %q", m.MessageID, tt.idPrefix)
			}
		})
	}
}

func TestParseEdgeAttachments(t *testing.T) {
	m := Parse([]byte("Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b\r\n" +
		"Content-Type: application/pdf\r\nContent-Disposition: attachment; filename*0*=gb2312''%CA%D5%B7%D1; filename*1=.pdf\r\n\r\nPDF\r\n--b\r\n" +
		"Content-Type: application/octet-stream; name=\"=?gbk?B?ytW30Q==?=\"\r\n\r\nbin\r\n--b\r\n" +
		"Content-Type: image/jpeg\r\nContent-Disposition: attachment; filename=\"../../etc/passwd\"\r\n\r\nj\r\n--b--\r\n"))
	var names []string
	for _, a := range m.Attachments {
		names = append(names, a.Filename)
	}
	if got, want := strings.Join(names, "|"), "收费.pdf|收费|passwd"; got != want {
		t.Errorf("attachments = %q, want %q", got, want)
	}
}

func TestMessageIDFromRawIsStable(t *testing.T) {
	a := Parse([]byte("Subject: x\r\n\r\nbody\r\n"))
	b := Parse([]byte("Subject: x\n\nbody\n"))
	c := Parse([]byte("Subject: y\n\nbody\n"))
	if a.MessageID != b.MessageID || a.MessageID == c.MessageID || len(a.MessageID) != len("sha256:")+64 {
		t.Errorf("ids %q %q %q", a.MessageID, b.MessageID, c.MessageID)
	}
}

func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.eml"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("Subject: =?gbk?B?\r\n\r\n"))
	f.Add([]byte("Content-Type: multipart/mixed; boundary=\"\"\r\n\r\n--\r\n"))
	f.Add([]byte("Content-Disposition: attachment; filename*0*=x'y'%; filename*1*=%ZZ\r\n\r\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		m := Parse(raw)
		if m.MessageID == "" {
			t.Fatal("empty MessageID")
		}
		if !utf8.ValidString(m.Subject) || !utf8.ValidString(m.Text) || !utf8.ValidString(m.FromName) {
			t.Fatal("invalid UTF-8 in output")
		}
		if m.Malformed != (len(m.Problems) > 0) {
			t.Fatal("Malformed disagrees with Problems")
		}
		if len(m.Problems) > 0 && m.Problems[0] == problemPanic {
			t.Fatal("the MIME parser panicked (recovered by Parse)")
		}
		if m.Malformed {
			last := m.Attachments[len(m.Attachments)-1]
			if last.Filename != OriginalFilename || !bytes.Equal(last.Data, raw) {
				t.Fatal("malformed message without its original")
			}
		}
	})
}
