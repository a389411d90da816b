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
