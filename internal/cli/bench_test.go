package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The intake bench posts its reports (every one a 201) and writes the CPU
// profile and the execution trace it is asked for.
func TestBenchIntakeWritesProfileAndTrace(t *testing.T) {
	dir := t.TempDir()
	prof, tr := filepath.Join(dir, "cpu.prof"), filepath.Join(dir, "trace.out")
	env := map[string]string{"MASHANG_DATA": filepath.Join(dir, "data")}
	code, out, stderr := run(t, env, "", "bench", "intake", "--reports", "40", "--clients", "4", "--cpuprofile", prof, "--trace", tr)
	if code != 0 {
		t.Fatalf("bench intake: %d %s", code, stderr)
	}
	var line string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "group commit") {
			line = l
		}
	}
	if f := strings.Fields(line); len(f) != 9 || f[2] != "40" || f[8] != "0" {
		t.Fatalf("want 40 reports and no error, got %q in\n%s", line, out)
	}
	for _, p := range []string{prof, tr} {
		if st, err := os.Stat(p); err != nil || st.Size() == 0 {
			t.Fatalf("%s: %v", p, err)
		}
	}
}

// bench grow: a demo county three times over, through the command line;
// a bad --times or a database mashang demo did not fill is refused.
func TestBenchGrow(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"MASHANG_DATA": filepath.Join(dir, "data")}
	for _, bad := range [][]string{{"--times", "1"}, {"--times", "21"}, {"--chunk", "0"}} {
		if code, _, stderr := run(t, env, "", append([]string{"bench", "grow"}, bad...)...); code != 2 || !strings.Contains(stderr, "must be") {
			t.Errorf("bench grow %v: %d %s", bad, code, stderr)
		}
	}
	// An empty database (and any mashang demo did not fill) is refused.
	if code, _, stderr := run(t, env, "", "bench", "grow"); code == 0 || !strings.Contains(stderr, "not filled by mashang demo") {
		t.Errorf("bench grow on an empty database: %d %s", code, stderr)
	}
	if code, _, stderr := run(t, env, "", "demo", "--cases", "120", "--until", "2026-03-01"); code != 0 {
		t.Fatalf("demo: %d %s", code, stderr)
	}
	code, out, stderr := run(t, env, "", "bench", "grow", "--times", "3", "--chunk", "50")
	if code != 0 || !strings.Contains(out, "grown in") || !strings.Contains(out, "the oldest moved 728 days back") {
		t.Fatalf("bench grow: %d %s %s", code, out, stderr)
	}
	code, out, stderr = run(t, env, "", "bench", "lists", "--orders", "--runs", "1", "--only", "no filter")
	if code != 0 || !strings.Contains(out, "no filter") {
		t.Fatalf("bench lists after grow: %d %s %s", code, out, stderr)
	}
}
