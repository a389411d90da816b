package cli_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"mashang/internal/audit"
	"mashang/internal/store"
	"mashang/internal/store/storetest"
	"mashang/internal/web/webtest"
)

// A backup taken with `mashang backup` while 16 clients post reports to the
// running server restores with `mashang restore` into an empty directory
// (and an empty database on PostgreSQL); every report acknowledged before
// the backup started is in the copy, and `mashang audit verify` passes on it.
func TestBackupWhile16ClientsPostRestores(t *testing.T) {
	webtest.Engines(t, func(t *testing.T, h *webtest.Harness) {
		dbURL := h.App.Config.DatabaseURL
		env := map[string]string{"MASHANG_DATA": h.App.Config.DataDir, "MASHANG_DATABASE_URL": dbURL}

		var mu sync.Mutex
		var acked []string
		during := -1 // acknowledgements counted while the backup runs
		stop := make(chan struct{})
		var wg sync.WaitGroup
		errs := make(chan error, 16)
		for c := range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					body := fmt.Sprintf(`{"content":"第 %d 位举报人第 %d 件：窗口推诿扯皮","anonymous":true}`, c, i)
					res, err := http.Post(h.URL+"/api/v1/reports", "application/json", strings.NewReader(body))
					if err != nil {
						errs <- err
						return
					}
					var r struct{ Receipt string }
					json.NewDecoder(res.Body).Decode(&r)
					res.Body.Close()
					if res.StatusCode != 201 {
						errs <- fmt.Errorf("report: %d", res.StatusCode)
						return
					}
					mu.Lock()
					acked = append(acked, r.Receipt)
					if during >= 0 {
						during++
					}
					mu.Unlock()
				}
			}()
		}
		waitFor := func(n int) {
			for {
				mu.Lock()
				k := len(acked)
				mu.Unlock()
				if k >= n {
					return
				}
				select {
				case err := <-errs:
					t.Fatal(err)
				default:
				}
			}
		}
		waitFor(300)
		// A signed checkpoint of the log, as serve makes every few seconds:
		// the backup's manifest records it and the restore must extend it.
		signer := &audit.Signer{DB: h.App.DB, KeyFile: h.App.Config.LogKeyFile, Clock: h.App.Clock}
		if _, _, err := signer.SignIfDue(context.Background()); err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		before := append([]string(nil), acked...)
		during = 0
		mu.Unlock()
		file := filepath.Join(t.TempDir(), "live.tar")
		code, out, stderr := run(t, env, "", "backup", "--to", file)
		mu.Lock()
		whileRunning := during
		mu.Unlock()
		waitFor(len(before) + whileRunning + 50)
		close(stop)
		wg.Wait()
		if code != 0 {
			t.Fatalf("backup: %d %s %s", code, out, stderr)
		}
		t.Logf("%s; %d reports acknowledged before it began, %d while it ran", strings.TrimSpace(out), len(before), whileRunning)

		newDir := filepath.Join(t.TempDir(), "restored")
		renv := map[string]string{"MASHANG_DATA": newDir, "MASHANG_IDENTITY_KEY_FILE": h.App.Config.IdentityKeyFile}
		if dbURL != "" {
			renv["MASHANG_DATABASE_URL"] = storetest.EmptyPostgresURL(t)
		}
		code, out, stderr = run(t, renv, "", "restore", "--from", file)
		if code != 0 || !strings.Contains(out, "every SHA-256 matches") || !strings.Contains(out, "every count matches the manifest") ||
			!strings.Contains(out, "log intact") || !strings.Contains(out, "extends the manifest's signed checkpoint") || !strings.Contains(out, "restore complete") {
			t.Fatalf("restore: %d\n%s\n%s", code, out, stderr)
		}
		code, out, stderr = run(t, renv, "", "audit", "verify")
		if code != 0 || !strings.Contains(out, "intact") {
			t.Fatalf("audit verify on the copy: %d %s %s", code, out, stderr)
		}
		have := receipts(t, renv["MASHANG_DATABASE_URL"], newDir)
		for _, r := range before {
			if !have[r] {
				t.Fatalf("report %s was acknowledged before the backup began but is not in the restored copy", r)
			}
		}
		// The restore refuses to run again over what it made.
		if code, _, stderr := run(t, renv, "", "restore", "--from", file); code != 1 || !strings.Contains(stderr, "not empty") {
			t.Fatalf("second restore: %d %s", code, stderr)
		}
	})
}

// receipts reads the receipt codes of every case in a database.
func receipts(t *testing.T, url, dir string) map[string]bool {
	t.Helper()
	db, err := store.Open(context.Background(), store.Options{URL: url, DataDir: dir, Logger: storetest.Quiet()})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	have := map[string]bool{}
	rows, err := db.Read.Query(`SELECT receipt FROM cases`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var r string
		if err := rows.Scan(&r); err != nil {
			t.Fatal(err)
		}
		have[r] = true
	}
	return have
}
