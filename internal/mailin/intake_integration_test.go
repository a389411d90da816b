package mailin_test

import (
	"context"
	"errors"
	"net"
	"net/smtp"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"mashang/internal/mailin"
	"mashang/internal/web/webtest"
)

// fixtures lists the mail fixtures and what the stored case must read.
var fixtures = []struct{ file, want string }{
	{"01-gbk-base64.eml", "梅溪镇便民服务中心"},
	{"02-gb2312-label-gbk-content-qp.eml", "王堃"},
	{"03-big5.eml", "雄江鎮社保窗口推諉扯皮"},
	{"04-gb18030-four-byte.eml", "𠮷某某"},
	{"05-html-only-utf8.eml", "要求重复提交材料<三次>"},
	{"06-attachment-rfc2231-gbk-name.eml", "收费单据"},
	{"07-malformed.eml", "Tazhuang"},
	{"08-split-encoded-word-subject.eml", "金沙镇干部吃拿卡要"},
}

func emailCases(t *testing.T, h *webtest.Harness) map[string]string {
	t.Helper()
	rows, err := h.App.DB.Read.Query(`SELECT message_id, content FROM cases WHERE channel = 'email'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var id, content string
		if err := rows.Scan(&id, &content); err != nil {
			t.Fatal(err)
		}
		if _, dup := out[id]; dup {
			t.Fatalf("message %s stored twice", id)
		}
		out[id] = content
	}
	return out
}

// GBK- and Big5-encoded mail sent over real SMTP on loopback become cases
// whose content reads correctly; the same Message-ID twice is one case.
func TestSMTPIntoCases(t *testing.T) {
	webtest.Engines(t, func(t *testing.T, h *webtest.Harness) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		srv := mailin.NewSMTPServer(ln.Addr().String(), h.App.Intake, mailin.SMTPOptions{MaxMessageBytes: 1 << 20, Logger: nil})
		go srv.Serve(ln)
		defer srv.Close()
		send := func(file string) error {
			raw, err := os.ReadFile(filepath.Join("testdata", file))
			if err != nil {
				t.Fatal(err)
			}
			raw = []byte(strings.ReplaceAll(strings.ReplaceAll(string(raw), "\r\n", "\n"), "\n", "\r\n"))
			return smtp.SendMail(ln.Addr().String(), nil, "citizen@example.cn", []string{"jubao@zsb.gov.cn"}, raw)
		}
		for _, f := range []string{"01-gbk-base64.eml", "03-big5.eml", "01-gbk-base64.eml"} {
			if err := send(f); err != nil {
				t.Fatalf("send %s: %v", f, err)
			}
		}
		got := emailCases(t, h)
		if len(got) != 2 {
			t.Fatalf("want 2 cases (one per Message-ID), got %d", len(got))
		}
		all := ""
		for _, c := range got {
			all += c + "\n"
		}
		for _, want := range []string{"举报梅溪镇便民服务中心", "梅溪镇便民服务中心社保窗口", "舉報推諉扯皮", "雄江鎮社保窗口推諉扯皮"} {
			if !strings.Contains(all, want) {
				t.Errorf("cases do not read %q:\n%s", want, all)
			}
		}
		// The sender's address is sealed, never in clear.
		var n int
		h.App.DB.Read.QueryRow(`SELECT COUNT(*) FROM cases WHERE content LIKE '%citizen@example.cn%' OR identity_mask LIKE '%citizen@example.cn%'`).Scan(&n)
		if n != 0 {
			t.Fatal("sender address stored in clear")
		}
	})
}

// crashing delivers into the real intake service and cancels the poll after
// n messages are stored, before they are marked seen: a crash mid-batch.
type crashing struct {
	sink   mailin.Sink
	n      int32
	count  atomic.Int32
	cancel context.CancelFunc
}

func (c *crashing) Deliver(ctx context.Context, m mailin.Message, raw []byte) error {
	if err := c.sink.Deliver(ctx, m, raw); err != nil {
		return err
	}
	if c.count.Add(1) == c.n {
		c.cancel()
		return errors.New("crash")
	}
	return nil
}

// The IMAP poller, stopped mid-batch and restarted, ends with every message
// stored exactly once as a case, every fixture decoded, all marked seen.
func TestIMAPIntoCasesExactlyOnce(t *testing.T) {
	d := mailin.StartDovecot(t)
	files := make([]string, len(fixtures))
	for i, f := range fixtures {
		files[i] = f.file
	}
	d.Append(t, files...)
	h := webtest.New(t, "")
	ctx, cancel := context.WithCancel(context.Background())
	crash := &crashing{sink: h.App.Intake, n: 3, cancel: cancel}
	p, err := mailin.NewIMAPPoller(mailin.IMAPConfig{URL: d.URL(), Password: d.Password(), Interval: time.Second}, crash)
	if err != nil {
		t.Fatal(err)
	}
	p.PollOnce(ctx)
	if got := len(emailCases(t, h)); got != 3 {
		t.Fatalf("after the crash: %d cases, want 3", got)
	}
	// Two were stored and marked; the third was stored but the crash came
	// before it was marked, so it is fetched again and must not be stored twice.
	if _, unseen := d.Counts(t); unseen != 6 {
		t.Fatalf("unseen after crash: %d, want 6", unseen)
	}
	p2, err := mailin.NewIMAPPoller(mailin.IMAPConfig{URL: d.URL(), Password: d.Password(), Interval: time.Second}, h.App.Intake)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p2.PollOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := emailCases(t, h)
	if len(got) != 8 {
		t.Fatalf("%d cases, want 8 exactly once", len(got))
	}
	all := ""
	for _, c := range got {
		all += c + "\n"
	}
	for _, f := range fixtures {
		if !strings.Contains(all, f.want) {
			t.Errorf("%s: no case reads %q", f.file, f.want)
		}
	}
	if total, unseen := d.Counts(t); total != 8 || unseen != 0 {
		t.Fatalf("mailbox: %d total, %d unseen", total, unseen)
	}
	// A third poll finds nothing new.
	if n, err := p2.PollOnce(context.Background()); err != nil || n != 0 {
		t.Fatalf("third poll: %d %v", n, err)
	}
	var atts int
	h.App.DB.Read.QueryRow(`SELECT COUNT(*) FROM attachments a JOIN cases c ON c.id = a.case_id WHERE c.channel = 'email' AND a.filename IN ('收费单据.pdf', 'original.eml')`).Scan(&atts)
	if atts != 2 {
		t.Fatalf("attachments kept: %d, want the GBK-named PDF and the malformed original", atts)
	}
}
