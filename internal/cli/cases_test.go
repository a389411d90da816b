package cli_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"mashang/internal/app"
	"mashang/internal/auth"
	"mashang/internal/cases"
	"mashang/internal/catalog"
	"mashang/internal/clock"
	"mashang/internal/intake"
	"mashang/internal/org"
	"mashang/internal/store"
	"mashang/internal/store/storetest"
	"mashang/internal/web/webtest"
)

// calendar import: a good file loads, a bad one exits non-zero naming the
// line and imports nothing.
func TestCalendarImportCLI(t *testing.T) {
	cfg := webtest.Config(t, "")
	env := map[string]string{"MASHANG_DATA": cfg.DataDir}
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte("{\"year\": 2027, \"days\": [\n  {\"date\": \"2027-01-01\", \"kind\": \"off\", \"name\": \"元旦\"},\n  {\"date\": \"2027-13-01\", \"kind\": \"off\", \"name\": \"x\"}\n]}"), 0o600)
	code, _, stderr := run(t, env, "", "calendar", "import", bad)
	if code == 0 || !strings.Contains(stderr, "line 3") {
		t.Fatalf("bad file: exit %d, stderr %q", code, stderr)
	}
	good := filepath.Join(dir, "2027.json")
	// The holiday-cn community format.
	os.WriteFile(good, []byte(`{"year": 2027, "papers": [], "days": [{"name": "元旦", "date": "2027-01-01", "isOffDay": true}]}`), 0o600)
	code, stdout, stderr := run(t, env, "", "calendar", "import", good)
	if code != 0 || !strings.Contains(stdout, "calendar 2027 imported") {
		t.Fatalf("good file: exit %d, %q %q", code, stdout, stderr)
	}
	code, stdout, stderr = run(t, env, "", "jobs", "run", "sweep")
	if code != 0 || !strings.Contains(stdout, "sweep") {
		t.Fatalf("jobs run sweep: exit %d, %q %q", code, stdout, stderr)
	}
	if code, _, _ := run(t, env, "", "jobs", "run", "nothing"); code != 2 {
		t.Errorf("unknown job: exit %d", code)
	}
}

// audit verify passes on a live SQLite database after a series of actions,
// and fails naming the entry once a row is edited directly in the file.
func TestAuditVerifyAfterTampering(t *testing.T) {
	cfg := webtest.Config(t, "")
	ctx := context.Background()
	a, err := app.New(ctx, cfg, app.Options{Logger: storetest.Quiet(), Clock: clock.NewFixed(webtest.Start)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Org.CreateUnit(ctx, auth.System("test"), org.UnitInput{Code: "U1", Name: "县市场监管局"}); err != nil {
		t.Fatal(err)
	}
	rc, err := a.Intake.Submit(ctx, intake.Submission{Channel: "hotline", Content: "窗口推诿", Actor: "user:clerk", ReceivedAt: webtest.Start})
	if err != nil {
		t.Fatal(err)
	}
	dirP := auth.Principal{UserID: 1, Username: "wang", Role: auth.Admin}
	for _, in := range []cases.ActionInput{{Action: "accept"}, {Action: "note", Body: "已联系"}, {Action: "extend", Days: ptr(10), Reason: "复杂"}} {
		if _, err := a.Cases.Act(ctx, dirP, rc.CaseID, in); err != nil {
			t.Fatalf("%s: %v", in.Action, err)
		}
	}
	a.Close()
	env := map[string]string{"MASHANG_DATA": cfg.DataDir}
	code, stdout, stderr := run(t, env, "", "audit", "verify")
	if code != 0 || !strings.Contains(stdout, "intact") {
		t.Fatalf("verify on an intact chain: exit %d %q %q", code, stdout, stderr)
	}
	// Edit an entry in the SQLite file, as an intruder with file access would.
	db, err := sql.Open("sqlite", "file:"+filepath.Join(cfg.DataDir, store.SQLiteFile))
	if err != nil {
		t.Fatal(err)
	}
	var seq int64
	if err := db.QueryRow(`SELECT seq FROM audit_log WHERE action = 'case.extend'`).Scan(&seq); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE audit_log SET data = '{"days":5,"reason":"复杂"}' WHERE seq = ?`, seq); err != nil {
		t.Fatal(err)
	}
	db.Close()
	code, _, stderr = run(t, env, "", "audit", "verify")
	if code == 0 || !strings.Contains(stderr, "entry "+strconv.FormatInt(seq, 10)) {
		t.Fatalf("verify after tampering with entry %d: exit %d %q", seq, code, stderr)
	}
}

func ptr[T any](v T) *T { return &v }

// catalog import: a good document loads a version (once: the same again
// changes nothing), a bad one exits non-zero naming the problem.
func TestCatalogImportCLI(t *testing.T) {
	cfg := webtest.Config(t, "")
	env := map[string]string{"MASHANG_DATA": cfg.DataDir}
	dir := t.TempDir()
	raw, err := catalog.EmbeddedDocument()
	if err != nil {
		t.Fatal(err)
	}
	good, bad := filepath.Join(dir, "2027.json"), filepath.Join(dir, "bad.json")
	os.WriteFile(good, []byte(strings.Replace(string(raw), `"fuzhou-2015.1"`, `"fuzhou-2027.1"`, 1)), 0o600)
	os.WriteFile(bad, []byte(strings.Replace(string(raw), `"sanctions": [`, `"sanctions": [{"code": "Bad Code"},`, 1)), 0o600)
	if code, _, stderr := run(t, env, "", "catalog", "import", bad); code == 0 || !strings.Contains(stderr, "Bad Code") {
		t.Fatalf("bad document: exit %d, stderr %q", code, stderr)
	}
	for _, want := range []string{"catalogue fuzhou-2027.1 loaded: 30 situations", "already loaded"} {
		if code, stdout, stderr := run(t, env, "", "catalog", "import", good); code != 0 || !strings.Contains(stdout, want) {
			t.Fatalf("good document: exit %d, %q %q; want %q", code, stdout, stderr, want)
		}
	}
}
