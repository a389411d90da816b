package cli_test

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/smtp"
	"strconv"
	"strings"
	"testing"
	"time"

	"mashang/internal/cli"
	"mashang/internal/store"
	"mashang/internal/store/storetest"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return "127.0.0.1:" + strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}

// serve runs with SMTP intake on, takes a mail, answers HTTP, and stops
// cleanly when its context ends.
func TestServeWithSMTPAndGracefulStop(t *testing.T) {
	dir := t.TempDir()
	httpAddr, smtpAddr := freeAddr(t), freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb bytes.Buffer
	e := &cli.Env{Ctx: ctx, Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb,
		Getenv: func(k string) string { return map[string]string{"MASHANG_DATA": dir}[k] }}
	done := make(chan int, 1)
	go func() { done <- e.Run([]string{"serve", "--addr", httpAddr, "--smtp-addr", smtpAddr}) }()
	deadline := time.Now().Add(20 * time.Second)
	for {
		res, err := http.Get("http://" + httpAddr + "/healthz")
		if err == nil {
			res.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("server did not come up: %s", errb.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	msg := "From: a@example.cn\r\nTo: jubao@example.cn\r\nSubject: =?UTF-8?B?5Li+5oql?=\r\nMessage-ID: <t1@example.cn>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n梅城镇窗口推诿扯皮。\r\n"
	if err := smtp.SendMail(smtpAddr, nil, "a@example.cn", []string{"jubao@example.cn"}, []byte(msg)); err != nil {
		t.Fatalf("smtp: %v", err)
	}
	// serve signs a checkpoint covering the mail's registration within 10 s
	// (the key's own entry comes first).
	deadline = time.Now().Add(10 * time.Second)
	for {
		res, err := http.Get("http://" + httpAddr + "/public/log/checkpoint")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if lines := strings.Split(string(b), "\n"); res.StatusCode == 200 && len(lines) > 2 {
			if n, _ := strconv.Atoi(lines[1]); n >= 2 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no checkpoint covering the mail within 10 s: %d %s", res.StatusCode, b)
		}
		time.Sleep(200 * time.Millisecond)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("serve exited %d: %s", code, errb.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop on cancel")
	}
	if strings.Contains(errb.String(), "a@example.cn") {
		t.Fatal("the reporter's address was logged")
	}
	db, err := store.Open(context.Background(), store.Options{DataDir: dir, Logger: storetest.Quiet()})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var content string
	if err := db.Read.QueryRow(`SELECT content FROM cases WHERE channel = 'email'`).Scan(&content); err != nil || !strings.Contains(content, "推诿扯皮") {
		t.Fatalf("mail not stored as a case: %q %v", content, err)
	}
	for _, k := range []string{"key=\"identity-key-file " + dir, "key=\"log-key-file " + dir} {
		if !strings.Contains(errb.String(), "a key file sits inside the data directory") || !strings.Contains(errb.String(), k) {
			t.Fatalf("no warning about %s: %s", k, errb.String())
		}
	}
	if !strings.Contains(errb.String(), "receiving report e-mail by SMTP") {
		t.Fatalf("smtp not started: %s", errb.String())
	}
}
