package mailin

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

var allFixtures = []string{
	"01-gbk-base64.eml", "02-gb2312-label-gbk-content-qp.eml", "03-big5.eml",
	"04-gb18030-four-byte.eml", "05-html-only-utf8.eml", "06-attachment-rfc2231-gbk-name.eml",
	"07-malformed.eml", "08-split-encoded-word-subject.eml",
}

var fixtureSubjects = map[string]string{
	"fixture-1@example.org": "举报梅溪镇便民服务中心",
	"fixture-2@example.org": "未一次性告知",
	"fixture-3@example.org": "舉報推諉扯皮",
	"fixture-4@example.org": "低保审核无人答复",
	"fixture-5@example.org": "不动产登记重复提交材料",
	"fixture-6@example.org": "附件举报：收费单据",
	"fixture-7@example.org": "broken",
	"fixture-8@example.org": "金沙镇干部吃拿卡要",
}

func newTestPoller(t *testing.T, d *testDovecot, sink Sink, logs io.Writer) *IMAPPoller {
	t.Helper()
	if logs == nil {
		logs = io.Discard
	}
	p, err := NewIMAPPoller(IMAPConfig{
		URL:      d.url(),
		Password: d.password,
		Interval: 50 * time.Millisecond,
		Logger:   slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}, sink)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func checkAllStored(t *testing.T, stored map[string]Message) {
	t.Helper()
	if len(stored) != len(fixtureSubjects) {
		t.Errorf("stored %d messages, want %d", len(stored), len(fixtureSubjects))
	}
	for id, subject := range fixtureSubjects {
		if m, ok := stored[id]; !ok || m.Subject != subject {
			t.Errorf("%s: stored %v, subject %q, want %q", id, ok, m.Subject, subject)
		}
	}
}

func TestIMAPPollsAllFixtures(t *testing.T) {
	d := startDovecot(t)
	d.appendFixtures(t, allFixtures...)
	sink := newMemSink()
	var logs bytes.Buffer
	p := newTestPoller(t, d, sink, &logs)
	ctx := context.Background()

	n, err := p.PollOnce(ctx)
	if err != nil || n != 8 {
		t.Fatalf("PollOnce = %d, %v; want 8, nil", n, err)
	}
	calls, stored := sink.snapshot()
	if calls != 8 {
		t.Errorf("sink called %d times, want 8", calls)
	}
	checkAllStored(t, stored)
	if m := stored["fixture-2@example.org"]; !strings.Contains(m.Text, "王堃") {
		t.Errorf("GBK-only character lost: %q", m.Text)
	}
	if total, unseen := d.counts(t); total != 8 || unseen != 0 {
		t.Errorf("mailbox: %d messages, %d unseen; want 8, 0", total, unseen)
	}

	// Nothing new: nothing delivered.
	n, err = p.PollOnce(ctx)
	if err != nil || n != 0 {
		t.Errorf("second PollOnce = %d, %v; want 0, nil", n, err)
	}
	if calls, _ := sink.snapshot(); calls != 8 {
		t.Errorf("sink called again: %d", calls)
	}
	if strings.Contains(logs.String(), "@example.org") {
		t.Errorf("a reporter's address reached the logs:\n%s", logs.String())
	}
}

func TestIMAPEmptyMailbox(t *testing.T) {
	d := startDovecot(t)
	sink := newMemSink()
	n, err := newTestPoller(t, d, sink, nil).PollOnce(context.Background())
	if err != nil || n != 0 {
		t.Errorf("PollOnce = %d, %v; want 0, nil", n, err)
	}
}

// crashAfter stores like its inner sink, but after the n-th store it
// "kills" the poller by cancelling its context: the message is stored but
// the poller never gets to mark it \Seen.
type crashAfter struct {
	*memSink
	n      int
	cancel context.CancelFunc
}

func (s *crashAfter) Deliver(ctx context.Context, m Message, raw []byte) error {
	err := s.memSink.Deliver(ctx, m, raw)
	s.mu.Lock()
	done := len(s.order) >= s.n
	s.mu.Unlock()
	if done {
		s.cancel()
	}
	return err
}

func TestIMAPCrashMidBatchLosesNothingDuplicatesNothing(t *testing.T) {
	tests := []struct {
		name       string
		first      func(store *memSink, cancel context.CancelFunc) Sink
		wantFirst  int // delivered (and marked seen) before the crash
		wantUnseen int
	}{
		{
			name: "store fails after 3",
			first: func(store *memSink, _ context.CancelFunc) Sink {
				store.failAfter = 3
				return store
			},
			wantFirst: 3, wantUnseen: 5,
		},
		{
			name: "killed after storing the 3rd, before marking it seen",
			first: func(store *memSink, cancel context.CancelFunc) Sink {
				return &crashAfter{memSink: store, n: 3, cancel: cancel}
			},
			wantFirst: 2, wantUnseen: 6,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := startDovecot(t)
			d.appendFixtures(t, allFixtures...)
			store := newMemSink() // stands for the durable case store
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()

			n, err := newTestPoller(t, d, tt.first(store, cancel), nil).PollOnce(ctx)
			if err == nil || n != tt.wantFirst {
				t.Fatalf("first poller: %d, %v; want %d and an error", n, err, tt.wantFirst)
			}
			if _, stored := store.snapshot(); len(stored) != 3 {
				t.Fatalf("stored %d before the crash, want 3", len(stored))
			}
			if _, unseen := d.counts(t); unseen != tt.wantUnseen {
				t.Fatalf("unseen after crash = %d, want %d", unseen, tt.wantUnseen)
			}

			// Restart: a new poller, the store healthy again.
			store.mu.Lock()
			store.failAfter = -1
			callsBefore := store.calls
			store.mu.Unlock()
			n, err = newTestPoller(t, d, store, nil).PollOnce(context.Background())
			if err != nil || n != tt.wantUnseen {
				t.Fatalf("second poller: %d, %v; want %d, nil", n, err, tt.wantUnseen)
			}
			calls, stored := store.snapshot()
			if calls-callsBefore != tt.wantUnseen {
				t.Errorf("second poller delivered %d, want %d", calls-callsBefore, tt.wantUnseen)
			}
			checkAllStored(t, stored)
			if len(store.order) != 8 {
				t.Errorf("%d stores, want exactly 8 (one per message)", len(store.order))
			}
			if total, unseen := d.counts(t); total != 8 || unseen != 0 {
				t.Errorf("mailbox: %d messages, %d unseen; want 8, 0", total, unseen)
			}
		})
	}
}

func TestIMAPRunUntilCancelled(t *testing.T) {
	d := startDovecot(t)
	sink := newMemSink()
	p := newTestPoller(t, d, sink, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()

	d.appendFixtures(t, "03-big5.eml", "04-gb18030-four-byte.eml")
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, stored := sink.snapshot(); len(stored) == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("Run did not take in the new mail")
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Run returned %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not stop")
	}
}

func TestIMAPWrongPassword(t *testing.T) {
	d := startDovecot(t)
	p, err := NewIMAPPoller(IMAPConfig{URL: d.url(), Password: "wrong", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, newMemSink())
	if err != nil {
		t.Fatal(err)
	}
	if n, err := p.PollOnce(context.Background()); err == nil || n != 0 || strings.Contains(err.Error(), "wrong") {
		t.Errorf("PollOnce = %d, %v; want a login error without the password", n, err)
	}
}

func TestNewIMAPPollerConfig(t *testing.T) {
	tests := []struct {
		url, password       string
		ok                  bool
		addr, user, mailbox string
		tls                 bool
		pass                string
	}{
		{url: "imaps://office@mail.example.gov.cn/INBOX", password: "p", ok: true,
			addr: "mail.example.gov.cn:993", user: "office", mailbox: "INBOX", tls: true, pass: "p"},
		{url: "imap://office%40example.gov.cn@127.0.0.1:1143", ok: true,
			addr: "127.0.0.1:1143", user: "office@example.gov.cn", mailbox: "INBOX"},
		{url: "imaps://u:frompass@h/Reports/2026", ok: true,
			addr: "h:993", user: "u", mailbox: "Reports/2026", tls: true, pass: "frompass"},
		{url: "pop3://u@h/INBOX"},
		{url: "imaps://h/INBOX"},
		{url: "imaps:///INBOX"},
		{url: "::"},
	}
	for _, tt := range tests {
		p, err := NewIMAPPoller(IMAPConfig{URL: tt.url, Password: tt.password}, newMemSink())
		if (err == nil) != tt.ok {
			t.Errorf("%s: err = %v, want ok %v", tt.url, err, tt.ok)
			continue
		}
		if !tt.ok {
			if strings.Contains(err.Error(), "frompass") {
				t.Errorf("%s: password in error", tt.url)
			}
			continue
		}
		if p.addr != tt.addr || p.user != tt.user || p.mailbox != tt.mailbox || p.useTLS != tt.tls ||
			p.password != tt.pass || p.cfg.Interval != DefaultIMAPInterval {
			t.Errorf("%s: got %+v", tt.url, p)
		}
	}
	if _, err := NewIMAPPoller(IMAPConfig{URL: "imaps://u@h/INBOX"}, nil); err == nil {
		t.Error("nil sink accepted")
	}
}

// With a lease among instances (Hold), Run polls only while this instance
// holds it: the ticks it does not hold connect to nothing.
func TestIMAPRunPollsOnlyUnderLease(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var mu sync.Mutex
	var peers []string // in the order accepted
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			peers = append(peers, c.RemoteAddr().String())
			mu.Unlock()
			c.Close() // the poll fails; it is retried at the next tick
		}
	}()
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	hold := func(context.Context) (bool, error) {
		calls++
		switch calls {
		case 3:
			return true, nil // this instance's turn: one poll
		case 6:
			cancel()
		}
		return false, nil
	}
	p, err := NewIMAPPoller(IMAPConfig{URL: "imap://u@" + ln.Addr().String() + "/INBOX", Password: "x", Interval: time.Millisecond, Hold: hold,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, newMemSink())
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Run(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run: %v", err)
	}
	// A last connection of our own: once it is accepted, every connection
	// the poller made before it has been (connections are accepted in order).
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	marker := c.LocalAddr().String()
	c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		done := slices.Contains(peers, marker)
		mu.Unlock()
		if done {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("our own connection was not accepted")
		}
		time.Sleep(time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(peers)-1 != 1 || calls != 6 {
		t.Fatalf("%d poller connections over %d ticks, want 1 over 6", len(peers)-1, calls)
	}
}
