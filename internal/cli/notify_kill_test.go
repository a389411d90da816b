package cli_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"mashang/internal/mailout/mailtest"
)

// A notification queued before serve is killed (SIGKILL, no chance to
// finish anything) is sent after the restart, once.
func TestNotificationQueuedBeforeKill9IsSentOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildMashang(t)
	relay := mailtest.Start(t, mailtest.Options{})
	dir := t.TempDir()
	const pw = "a long passphrase for the admin"
	add := exec.Command(bin, "user", "add", "--username", "chen", "--role", "admin", "--email", "chen@minqing.example.cn", "--data", dir)
	add.Stdin = strings.NewReader(pw + "\n")
	if out, err := add.CombinedOutput(); err != nil {
		t.Fatalf("user add: %v\n%s", err, out)
	}
	addr := freeAddr(t)
	start := func(interval string) (*exec.Cmd, *bytes.Buffer) {
		cmd := exec.Command(bin, "serve", "--addr", addr, "--data", dir, "--backup-interval", "off", "--no-rate-limit",
			"--smtp-relay", relay.URL(), "--mail-from", "jubao@minqing.example.cn", "--notify-interval", interval)
		var errb bytes.Buffer
		cmd.Stderr = &errb
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		waitUp(t, addr, &errb)
		return cmd, &errb
	}
	call := func(method, path, token, body string) map[string]any {
		t.Helper()
		req, _ := http.NewRequest(method, "http://"+addr+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		raw, _ := io.ReadAll(res.Body)
		if res.StatusCode >= 300 {
			t.Fatalf("%s %s: %d %s", method, path, res.StatusCode, raw)
		}
		var out map[string]any
		json.Unmarshal(raw, &out)
		return out
	}

	// The sender runs once at start, then not for an hour.
	cmd, _ := start("1h")
	tok := call("POST", "/api/v1/auth/token", "", `{"username":"chen","password":"`+pw+`"}`)["token"].(string)
	rep := call("POST", "/api/v1/reports", "", `{"content":"窗口推诿","name":"张三","email":"zhang@example.cn","notify":true}`)
	cases := call("GET", "/api/v1/cases", tok, "")["cases"].([]any)
	id := int64(cases[0].(map[string]any)["id"].(float64))
	call("POST", fmt.Sprintf("/api/v1/cases/%d/actions", id), tok, `{"action":"accept"}`)
	pending := call("GET", "/api/v1/outbox?status=pending", tok, "")["notifications"].([]any)
	if len(pending) != 1 || len(relay.Mails()) != 0 {
		t.Fatalf("before the kill: %d pending, %d mailed", len(pending), len(relay.Mails()))
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()

	cmd, errb := start("100ms")
	mails := relay.Wait(t, 1, 30*time.Second)
	// Once marked sent, a run of the sender sends nothing more.
	deadline := time.Now().Add(30 * time.Second)
	for len(call("GET", "/api/v1/outbox?status=sent", tok, "")["notifications"].([]any)) != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("the notification was never marked sent: %s", errb)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if res := call("POST", "/api/v1/jobs/notify", tok, ""); res["sent"] != 0.0 {
		t.Fatalf("a run after the mark: %v", res)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	mails = relay.Mails()
	if len(mails) != 1 || mails[0].To[0] != "zhang@example.cn" {
		t.Fatalf("after the restart: %d mails", len(mails))
	}
	env, _ := mails[0].Parse()
	if !strings.Contains(env.Text, rep["receipt"].(string)) {
		t.Fatalf("the mail lacks the receipt:\n%s", env.Text)
	}
}
