package cli_test

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"mashang/internal/calendar"
	"mashang/internal/civil"
)

// TestCalendarImportDryRunAndForce: a file that changes a day of the year
// in force is refused with the day named; --dry-run prints the deadline it
// would move and imports nothing; --force imports it.
func TestCalendarImportDryRunAndForce(t *testing.T) {
	env, srv := besideServer(t, "sqlite")
	if code, _, stderr := run(t, env, "a very long passphrase\n", "user", "add", "--username", "clerk1", "--role", "clerk"); code != 0 {
		t.Fatal(stderr)
	}
	post := func(path, tok, body string) string {
		req, _ := http.NewRequest("POST", srv.URL+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return string(b)
	}
	tok := regexp.MustCompile(`"token":"([^"]+)"`).FindStringSubmatch(post("/api/v1/auth/token", "", `{"username":"clerk1","password":"a very long passphrase"}`))[1]
	c := post("/api/v1/intake", tok, `{"channel":"hotline","content":"来电反映推诿","received_at":"2026-03-02T09:00:00+08:00"}`)
	id := regexp.MustCompile(`"case_id":(\d+)`).FindStringSubmatch(c)[1]
	ys, _ := calendar.Embedded()
	var y calendar.Year
	for _, e := range ys {
		if e.Year == 2026 {
			y = e
		}
	}
	y.Days = append(y.Days, calendar.Day{Date: civil.MustParse("2026-03-17"), Kind: calendar.Off, Name: "临时假日"})
	b, _ := json.Marshal(y)
	file := filepath.Join(t.TempDir(), "2026.json")
	os.WriteFile(file, b, 0o644)

	code, _, stderr := run(t, env, "", "calendar", "import", file)
	if code != 1 || !strings.Contains(stderr, "2026-03-17 → off") {
		t.Fatalf("without force: %d %s", code, stderr)
	}
	code, out, stderr := run(t, env, "", "calendar", "import", "--dry-run", file)
	if code != 0 || !strings.Contains(out, "dry run, nothing imported") || !strings.Contains(out, "case "+id+" accept_by 2026-03-17 -> 2026-03-18") ||
		!strings.Contains(out, "would be refused") {
		t.Fatalf("dry run: %d %s %s", code, out, stderr)
	}
	code, out, stderr = run(t, env, "", "calendar", "import", file, "--force")
	if code != 0 || !strings.Contains(out, "calendar 2026 imported") || !strings.Contains(out, "deadlines of 1 cases recomputed") {
		t.Fatalf("forced: %d %s %s", code, out, stderr)
	}
}
