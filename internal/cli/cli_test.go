package cli_test

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"mashang/internal/cli"
)

func run(t *testing.T, env map[string]string, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	e := &cli.Env{Ctx: context.Background(), Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return env[k] }}
	code := e.Run(args)
	return code, out.String(), errb.String()
}

// A user added on the command line beside a running server gets a token at
// once, on both engines.
func TestUserAddBesideRunningServer(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			env, srv := besideServer(t, engine)

			code, _, stderr := run(t, env, "a very long passphrase\n", "user", "add", "--username", "wang", "--role", "director")
			if code != 0 {
				t.Fatalf("user add: %d %s", code, stderr)
			}
			res, err := http.Post(srv.URL+"/api/v1/auth/token", "application/json", strings.NewReader(`{"username":"wang","password":"a very long passphrase"}`))
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != 201 {
				t.Fatalf("token for the new user: %d", res.StatusCode)
			}
			// Errors: duplicate, weak password, unknown role, missing flags.
			for _, tc := range []struct {
				stdin string
				args  []string
				code  int
				msg   string
			}{
				{"a very long passphrase\n", []string{"user", "add", "--username", "wang", "--role", "clerk"}, 1, "taken"},
				{"short\n", []string{"user", "add", "--username", "li", "--role", "clerk"}, 1, "at least 10"},
				{"a very long passphrase\n", []string{"user", "add", "--username", "li", "--role", "boss"}, 1, "unknown role"},
				{"", []string{"user", "add", "--username", "li", "--role", "clerk"}, 2, "standard input"},
				{"", []string{"user", "add"}, 2, "required"},
				{"a very long passphrase\n", []string{"user", "add", "--username", "li", "--role", "clerk", "--office", "NOPE"}, 1, "NOPE"},
			} {
				code, _, stderr := run(t, env, tc.stdin, tc.args...)
				if code != tc.code || !strings.Contains(stderr, tc.msg) {
					t.Errorf("%v: exit %d %q, want %d containing %q", tc.args, code, stderr, tc.code, tc.msg)
				}
			}
			// An account of a named office; without --office, the one office.
			if code, out, stderr := run(t, env, "a very long passphrase\n", "user", "add", "--username", "zhao", "--role", "clerk", "--office", "main"); code != 0 || !strings.Contains(out, "office main") {
				t.Errorf("user add --office main: %d %q %q", code, out, stderr)
			}
			code, out, _ := run(t, env, "", "user", "totp", "wang")
			if code != 0 || !strings.HasPrefix(out, "otpauth://totp/") {
				t.Fatalf("totp: %d %q", code, out)
			}
		})
	}
}

func TestHelpVersionConfig(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"MASHANG_DATA": filepath.Join(dir, "data")}
	for _, c := range []string{"serve", "migrate", "user add", "user totp", "version", "org import", "audit verify"} {
		code, out, _ := run(t, env, "", append([]string{"help"}, strings.Fields(c)...)...)
		if code != 0 || !strings.Contains(out, "Usage: mashang "+c) || !strings.Contains(out, "--data") && !strings.Contains(out, "-data") {
			t.Errorf("help %s: %d\n%s", c, code, out)
		}
	}
	code, out, _ := run(t, env, "", "migrate")
	if code != 0 || !strings.Contains(out, "schema at version") {
		t.Fatalf("migrate: %d %s", code, out)
	}
	st, err := os.Stat(filepath.Join(dir, "data"))
	if err != nil || st.Mode().Perm() != 0o700 {
		t.Fatalf("data dir mode: %v %v", st.Mode(), err)
	}
	code, out, _ = run(t, env, "", "version")
	if code != 0 || !strings.Contains(out, "mashang ") || !strings.Contains(out, "schema ") {
		t.Fatalf("version: %s", out)
	}
	code, out, _ = run(t, map[string]string{"MASHANG_DATABASE_URL": "postgres://u:pw@h/db"}, "", "config")
	if code != 0 || strings.Contains(out, ":pw@") || !strings.Contains(out, "MASHANG_ADDR") || !strings.Contains(out, "127.0.0.1:8080") {
		t.Fatalf("config: %s", out)
	}
	if code, _, stderr := run(t, env, "", "frobnicate"); code != 2 || !strings.Contains(stderr, "unknown command") {
		t.Fatalf("unknown command: %d %s", code, stderr)
	}
}

func TestOrgImportCLI(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"MASHANG_DATA": dir}
	f := filepath.Join(dir, "u.csv")
	os.WriteFile(f, []byte("code,name,parent,kind\nMQ,闽清县,,county\nMQ-MX,梅溪镇,MQ,town\n"), 0o600)
	code, out, stderr := run(t, env, "", "org", "import", f)
	if code != 0 || !strings.Contains(out, "units: 2 created") {
		t.Fatalf("%d %s %s", code, out, stderr)
	}
	os.WriteFile(f, []byte("code,name,parent,kind\nA,甲,,county\nB,乙,NOPE,town\n"), 0o600)
	code, _, stderr = run(t, env, "", "org", "import", f)
	if code == 0 || !strings.Contains(stderr, "line 3") {
		t.Fatalf("bad file: %d %s", code, stderr)
	}
}
