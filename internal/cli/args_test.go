package cli_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"mashang/internal/cli"
)

// `mashang calendar import FILE --data DIR` reads the flag after the file,
// as `--data DIR calendar import FILE` does before it.
func TestCalendarImportFlagsAfterFile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "2027.json")
	os.WriteFile(file, []byte(`{"year": 2027, "days": [{"date": "2027-01-01", "kind": "off", "name": "元旦"}]}`), 0o600)
	for i, args := range [][]string{
		{"calendar", "import", file, "--data", filepath.Join(dir, "after")},
		{"calendar", "import", "--data", filepath.Join(dir, "before"), file},
		{"calendar", "import", "--data=" + filepath.Join(dir, "eq"), "--", file},
	} {
		code, out, stderr := run(t, nil, "", args...)
		if code != 0 || !strings.Contains(out, "calendar 2027 imported") {
			t.Fatalf("%d %v: exit %d %q %q", i, args, code, out, stderr)
		}
		data := args[len(args)-1]
		if i == 1 {
			data = args[3]
		} else if i == 2 {
			data = strings.TrimPrefix(args[2], "--data=")
		} else {
			data = args[4]
		}
		if _, err := os.Stat(filepath.Join(data, "mashang.db")); err != nil {
			t.Fatalf("%v: the database is not in the --data directory: %v", args, err)
		}
	}
	// Without --data anywhere, the environment decides.
	env := map[string]string{"MASHANG_DATA": filepath.Join(dir, "env")}
	if code, _, stderr := run(t, env, "", "calendar", "import", file); code != 0 {
		t.Fatalf("env: %d %s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "env", "mashang.db")); err != nil {
		t.Fatal(err)
	}
}

// Unknown flags are named with the nearest known one; unknown commands
// with the nearest command; both exit 2.
func TestUnknownFlagsAndCommandsSuggest(t *testing.T) {
	env := map[string]string{"MASHANG_DATA": t.TempDir()}
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"calendar", "import", "x.json", "--dta", "/tmp/x"}, []string{"unknown flag --dta", "did you mean --data?"}},
		{[]string{"migrate", "--stauts"}, []string{"unknown flag --stauts", "did you mean --status?"}},
		{[]string{"user", "add", "--usrname", "wang"}, []string{"unknown flag --usrname", "--username"}},
		{[]string{"serve", "--frobnicate"}, []string{"unknown flag --frobnicate"}},
		{[]string{"migrat"}, []string{"unknown command", `"mashang migrate"`}},
		{[]string{"calender", "import", "x"}, []string{`"mashang calendar import"`}},
		{[]string{"jobs", "walk"}, []string{`"mashang jobs run"`}},
	} {
		code, _, stderr := run(t, env, "", tc.args...)
		if code != 2 {
			t.Errorf("%v: exit %d, want 2 (%s)", tc.args, code, stderr)
		}
		for _, w := range tc.want {
			if !strings.Contains(stderr, w) {
				t.Errorf("%v: %q lacks %q", tc.args, stderr, w)
			}
		}
	}
}

// Every command answers --help (and help COMMAND) with its usage, its flags
// and the exit codes, and exits 0 without touching any data.
func TestEveryCommandHasHelp(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"MASHANG_DATA": filepath.Join(dir, "data")}
	code, out, _ := run(t, env, "", "help")
	if code != 0 || !strings.Contains(out, "Exit status:") {
		t.Fatalf("help: %d %s", code, out)
	}
	names := regexp.MustCompile(`(?m)^  ([a-z]+(?: [a-z]+)?) {2,}`).FindAllStringSubmatch(out, -1)
	if len(names) < 13 {
		t.Fatalf("help lists %d commands:\n%s", len(names), out)
	}
	for _, m := range names {
		c := strings.TrimSpace(m[1])
		for _, args := range [][]string{append(strings.Fields(c), "--help"), append([]string{"help"}, strings.Fields(c)...), append(strings.Fields(c), "-h")} {
			code, out, stderr := run(t, env, "", args...)
			if code != 0 || !strings.Contains(out, "Usage: mashang "+c) || !strings.Contains(out, "-data") || !strings.Contains(out, "Exit status:") {
				t.Errorf("%v: exit %d\n%s%s", args, code, out, stderr)
			}
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "data")); err == nil {
		t.Error("--help created the data directory")
	}
	if !strings.Contains(cli.ExitCodes, "2  usage") {
		t.Error("exit codes undocumented")
	}
}

// migrate --status lists applied and pending migrations and changes nothing.
func TestMigrateStatus(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"MASHANG_DATA": dir}
	code, out, stderr := run(t, env, "", "migrate", "--status")
	if code != 0 || !strings.Contains(out, "pending") || strings.Contains(out, "applied ") || !strings.Contains(out, "00001_foundation.sql") {
		t.Fatalf("fresh: %d %s %s", code, out, stderr)
	}
	if code, _, stderr := run(t, env, "", "migrate"); code != 0 {
		t.Fatal(stderr)
	}
	code, out, _ = run(t, env, "", "migrate", "--status")
	if code != 0 || !strings.Contains(out, ", 0 pending") || !regexp.MustCompile(`00001  applied `).MatchString(out) {
		t.Fatalf("after migrate: %d %s", code, out)
	}
}
