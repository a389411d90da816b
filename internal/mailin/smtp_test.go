package mailin

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/smtp"
	"net/textproto"
	"strings"
	"testing"
	"time"
)

// startSMTP runs NewSMTPServer on a loopback port and returns its address.
func startSMTP(t *testing.T, sink Sink, max int64, logs io.Writer) string {
	t.Helper()
	if logs == nil {
		logs = io.Discard
	}
	srv := NewSMTPServer("127.0.0.1:0", sink, SMTPOptions{
		MaxMessageBytes: max,
		Domain:          "intake.test",
		Logger:          slog.New(slog.NewTextHandler(logs, nil)),
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		<-done
	})
	return ln.Addr().String()
}

// send delivers raw over SMTP with net/smtp and returns the server's error.
func send(addr string, raw []byte) error {
	return smtp.SendMail(addr, nil, "reporter@example.org", []string{"any-box@office.example"}, raw)
}

func smtpCode(err error) int {
	var te *textproto.Error
	if errors.As(err, &te) {
		return te.Code
	}
	return 0
}

func TestSMTPDeliversChineseMail(t *testing.T) {
	sink := newMemSink()
	var logs bytes.Buffer
	addr := startSMTP(t, sink, 1<<20, &logs)
	for _, f := range []string{"01-gbk-base64.eml", "03-big5.eml"} {
		if err := send(addr, readFixture(t, f)); err != nil {
			t.Fatalf("send %s: %v", f, err)
		}
	}
	_, stored := sink.snapshot()
	tests := []struct{ id, subject, body string }{
		{"fixture-1@example.org", "举报梅溪镇便民服务中心", "梅溪镇便民服务中心社保窗口工作人员上班时间玩手机"},
		{"fixture-3@example.org", "舉報推諉扯皮", "雄江鎮社保窗口推諉扯皮，要求群眾跑了三次還沒辦成。"},
	}
	for _, tt := range tests {
		m, ok := stored[tt.id]
		if !ok {
			t.Errorf("%s not stored", tt.id)
			continue
		}
		if m.Subject != tt.subject || !strings.Contains(m.Text, tt.body) || m.Malformed {
			t.Errorf("%s: subject %q text %q malformed %v", tt.id, m.Subject, m.Text, m.Malformed)
		}
	}
	if strings.Contains(logs.String(), "@") {
		t.Errorf("an address reached the logs:\n%s", logs.String())
	}
}

func TestSMTPTooLargeIs552(t *testing.T) {
	sink := newMemSink()
	addr := startSMTP(t, sink, 4096, nil)
	big := append(readFixture(t, "01-gbk-base64.eml"), bytes.Repeat([]byte("QUFBQUFBQUFB\r\n"), 1000)...)
	err := send(addr, big)
	if smtpCode(err) != 552 {
		t.Fatalf("oversize answered %v, want 552", err)
	}
	if calls, _ := sink.snapshot(); calls != 0 {
		t.Errorf("oversize message reached the sink")
	}
	// The server goes on accepting messages under the limit.
	if err := send(addr, readFixture(t, "03-big5.eml")); err != nil {
		t.Fatalf("small message after oversize: %v", err)
	}
}

func TestSMTPSinkFailureIs451(t *testing.T) {
	sink := newMemSink()
	sink.failAfter = 0
	var logs bytes.Buffer
	addr := startSMTP(t, sink, 0, &logs)
	err := send(addr, readFixture(t, "01-gbk-base64.eml"))
	if smtpCode(err) != 451 {
		t.Fatalf("sink failure answered %v, want 451", err)
	}
	if !strings.Contains(logs.String(), "451") || strings.Contains(logs.String(), "@") {
		t.Errorf("logs should record the failure without addresses:\n%s", logs.String())
	}
	// The sender retries once the store is back.
	sink.mu.Lock()
	sink.failAfter = -1
	sink.mu.Unlock()
	if err := send(addr, readFixture(t, "01-gbk-base64.eml")); err != nil {
		t.Fatalf("retry: %v", err)
	}
	if _, stored := sink.snapshot(); len(stored) != 1 {
		t.Errorf("stored %d after retry, want 1", len(stored))
	}
}

func TestSMTPSameMessageIDTwiceStoredOnce(t *testing.T) {
	sink := newMemSink()
	addr := startSMTP(t, sink, 0, nil)
	raw := readFixture(t, "03-big5.eml")
	for i := 0; i < 2; i++ {
		if err := send(addr, raw); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
	}
	calls, stored := sink.snapshot()
	if calls != 2 || len(stored) != 1 {
		t.Errorf("calls %d stored %d, want 2 deliveries and 1 stored", calls, len(stored))
	}
}
