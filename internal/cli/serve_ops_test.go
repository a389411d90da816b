package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"mashang/internal/cli"
)

func waitUp(t *testing.T, addr string, errb fmt.Stringer) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			res.Body.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("server did not come up: %s", errb)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// serve writes a backup at start when none is recent, keeps writing them on
// its interval, and reports the last one on /healthz and in /metrics.
func TestServeScheduledBackupOnHealthzAndMetrics(t *testing.T) {
	dir := t.TempDir()
	httpAddr, metricsAddr := freeAddr(t), freeAddr(t)
	backups := filepath.Join(t.TempDir(), "backups")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb bytes.Buffer
	var mu sync.Mutex
	e := &cli.Env{Ctx: ctx, Stdin: strings.NewReader(""), Stdout: &lockedWriter{w: &out, mu: &mu}, Stderr: &lockedWriter{w: &errb, mu: &mu},
		Getenv: func(k string) string { return map[string]string{"MASHANG_DATA": dir}[k] }}
	done := make(chan int, 1)
	go func() {
		done <- e.Run([]string{"serve", "--addr", httpAddr, "--metrics-addr", metricsAddr, "--backup-dir", backups, "--backup-interval", "1h", "--backup-keep", "3"})
	}()
	waitUp(t, httpAddr, &errb)
	var health struct {
		Status string
		Backup struct {
			Enabled     bool   `json:"enabled"`
			LastOK      bool   `json:"last_ok"`
			LastSuccess string `json:"last_success"`
			File        string `json:"file"`
			Size        int64  `json:"size"`
			Interval    int64  `json:"interval_seconds"`
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for health.Backup.File == "" {
		if time.Now().After(deadline) {
			t.Fatalf("no backup reported on /healthz")
		}
		res, err := http.Get("http://" + httpAddr + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		json.NewDecoder(res.Body).Decode(&health)
		res.Body.Close()
		time.Sleep(50 * time.Millisecond)
	}
	if !health.Backup.Enabled || !health.Backup.LastOK || health.Backup.Size == 0 || health.Backup.Interval != 3600 || health.Status != "ok" {
		t.Fatalf("healthz: %+v", health)
	}
	if st, err := os.Stat(filepath.Join(backups, health.Backup.File)); err != nil || st.Size() != health.Backup.Size {
		t.Fatalf("the archive named on /healthz: %v", err)
	}
	res, err := http.Get("http://" + metricsAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	m, _ := io.ReadAll(res.Body)
	res.Body.Close()
	for _, want := range []string{"mashang_backup_last_ok 1", "mashang_backup_failures_total 0", "mashang_backup_last_size_bytes " + fmt.Sprint(health.Backup.Size)} {
		if !strings.Contains(string(m), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if strings.Contains(string(m), "mashang_backup_last_success_timestamp_seconds 0\n") || !strings.Contains(string(m), "mashang_backup_last_success_timestamp_seconds ") {
		t.Error("/metrics has no last-success time")
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("serve exited %d: %s", code, errb.String())
	}
}

type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// buildMashang builds the binary once per test run.
func buildMashang(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "mashang")
	cmd := exec.Command("go", "build", "-o", bin, "../../cmd/mashang")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// SIGTERM to a serving mashang: it stops taking connections, lets the
// requests in flight finish (their reports committed by the group commit
// before it exits), and exits 0. Every report answered 201 is in the
// database afterwards, and some were answered after the signal was sent.
func TestSIGTERMDrainsRequestsAndGroupCommit(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildMashang(t)
	dir := t.TempDir()
	addr := freeAddr(t)
	cmd := exec.Command(bin, "serve", "--addr", addr, "--data", dir, "--no-rate-limit", "--backup-interval", "off")
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	waitUp(t, addr, &errb)

	type ack struct {
		receipt string
		at      time.Time
	}
	var mu sync.Mutex
	var acks []ack
	var bad []string
	var wg sync.WaitGroup
	stop := time.Now().Add(60 * time.Second)
	for c := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			client := &http.Client{Timeout: 30 * time.Second}
			for i := 0; time.Now().Before(stop); i++ {
				body := fmt.Sprintf(`{"content":"第 %d 位第 %d 件：窗口推诿","anonymous":true}`, c, i)
				res, err := client.Post("http://"+addr+"/api/v1/reports", "application/json", strings.NewReader(body))
				if err != nil {
					return // the server has closed its listener: this request was never taken
				}
				var r struct{ Receipt string }
				json.NewDecoder(res.Body).Decode(&r)
				res.Body.Close()
				mu.Lock()
				if res.StatusCode == 201 {
					acks = append(acks, ack{r.Receipt, time.Now()})
				} else {
					bad = append(bad, res.Status)
				}
				mu.Unlock()
			}
		}()
	}
	for {
		mu.Lock()
		n := len(acks)
		mu.Unlock()
		if n >= 300 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	sent := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	werr := make(chan error, 1)
	go func() { werr <- cmd.Wait() }()
	select {
	case err := <-werr:
		if err != nil {
			t.Fatalf("serve after SIGTERM: %v\n%s", err, errb.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not exit after SIGTERM")
	}
	wg.Wait()
	after := 0
	for _, a := range acks {
		if a.at.After(sent) {
			after++
		}
	}
	if len(bad) > 0 {
		t.Fatalf("answers other than 201 while draining: %v", bad)
	}
	if !strings.Contains(errb.String(), "shutting down") {
		t.Fatalf("no shutdown logged: %s", errb.String())
	}
	have := receipts(t, "", dir)
	for _, a := range acks {
		if !have[a.receipt] {
			t.Fatalf("report %s was answered 201 but is not in the database", a.receipt)
		}
	}
	t.Logf("%d reports answered 201 (%d of them after SIGTERM was sent), all stored; %d cases in the database", len(acks), after, len(have))
	if after == 0 {
		t.Fatal("no request was in flight when SIGTERM arrived: the drain was not exercised")
	}
}
