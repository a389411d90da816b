// Package packaging_test builds the Debian package with
// scripts/package-deb.sh, installs it with dpkg -i, starts the installed
// service the way its systemd unit does (by the unit's ExecStart line, as its
// User, with its EnvironmentFile: there is no systemd in the test machine)
// and checks that it answers /healthz, then purges it.
package packaging_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// unit reads a systemd unit's [Service] settings (repeated keys joined by
// newlines).
func unit(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]string{}
	section := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasPrefix(line, "[") {
			section = line
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || section != "[Service]" {
			continue
		}
		if out[k] != "" {
			v = out[k] + "\n" + v
		}
		out[k] = v
	}
	return out
}

// envFile reads KEY=VALUE lines as systemd's EnvironmentFile does.
func envFile(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var env []string
	for _, l := range strings.Split(string(data), "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") || !strings.Contains(l, "=") {
			continue
		}
		env = append(env, l)
	}
	return env
}

func freePort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func dpkg(t *testing.T, args ...string) string {
	t.Helper()
	var out []byte
	var err error
	for try := 0; try < 60; try++ { // another dpkg may hold its lock for a moment
		out, err = exec.Command("dpkg", args...).CombinedOutput()
		if err == nil || !strings.Contains(string(out), "lock") {
			break
		}
		time.Sleep(time.Second)
	}
	if err != nil {
		t.Fatalf("dpkg %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// The package installs with dpkg -i (user, data directory, configuration,
// identity key, a hardened unit), and the installed service answers
// /healthz; SIGTERM stops it cleanly; dpkg --purge removes the program and
// keeps the records.
func TestDebianPackageInstallsAndServes(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and installs a package")
	}
	if os.Geteuid() != 0 {
		t.Skip("dpkg -i needs root (CI runs as root)")
	}
	if _, err := exec.LookPath("dpkg-deb"); err != nil {
		t.Skip("not a Debian system: no dpkg-deb")
	}
	// One install at a time on this machine (other test runs may be here).
	lock, err := os.OpenFile(filepath.Join(os.TempDir(), "mashang-deb-test.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	if out, _ := exec.Command("dpkg-query", "-W", "-f=${Status}", "mashang").CombinedOutput(); strings.Contains(string(out), "installed") && !strings.Contains(string(out), "not-installed") {
		t.Skip("a mashang package is installed on this machine already; not touching it")
	}
	if ents, _ := os.ReadDir("/var/lib/mashang"); len(ents) > 0 {
		t.Skip("/var/lib/mashang holds data already; not touching it")
	}

	dist := t.TempDir()
	cmd := exec.Command("bash", "../scripts/package-deb.sh")
	cmd.Env = append(os.Environ(), "DIST="+dist, "VERSION=1.0.0~test")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("package-deb.sh: %v\n%s", err, out)
	}
	deb := strings.TrimSpace(string(out))
	if !strings.HasSuffix(deb, "mashang_1.0.0~test_"+runtimeArch(t)+".deb") {
		t.Fatalf("package named %q", deb)
	}
	t.Cleanup(func() {
		exec.Command("dpkg", "--purge", "mashang").Run()
		os.RemoveAll("/var/lib/mashang")
		os.RemoveAll("/etc/mashang")
		exec.Command("userdel", "mashang").Run()
		exec.Command("groupdel", "mashang").Run()
	})
	t.Log(dpkg(t, "-i", deb))

	u, err := user.Lookup("mashang")
	if err != nil {
		t.Fatalf("no mashang user: %v", err)
	}
	for _, c := range []struct {
		path  string
		mode  os.FileMode
		owner string
	}{
		{"/var/lib/mashang", 0o700 | os.ModeDir, u.Uid},
		{"/etc/mashang/identity.key", 0o600, u.Uid},
		{"/etc/mashang/log.key", 0o600, u.Uid},
		{"/etc/mashang/mashang.env", 0o640, "0"},
		{"/usr/bin/mashang", 0o755, "0"},
	} {
		st, err := os.Stat(c.path)
		if err != nil {
			t.Fatalf("%s: %v", c.path, err)
		}
		if st.Mode() != c.mode || fmt.Sprint(st.Sys().(*syscall.Stat_t).Uid) != c.owner {
			t.Errorf("%s: mode %v owner %d, want %v %s", c.path, st.Mode(), st.Sys().(*syscall.Stat_t).Uid, c.mode, c.owner)
		}
	}
	svc := unit(t, "/lib/systemd/system/mashang.service")
	for k, want := range map[string]string{
		"User": "mashang", "EnvironmentFile": "/etc/mashang/mashang.env", "StateDirectory": "mashang",
		"NoNewPrivileges": "yes", "ProtectSystem": "strict", "ProtectHome": "yes", "PrivateTmp": "yes",
		"CapabilityBoundingSet": "", "KillSignal": "SIGTERM",
	} {
		if v, ok := svc[k]; !ok || v != want {
			t.Errorf("unit %s=%q, want %q", k, v, want)
		}
	}
	env := envFile(t, svc["EnvironmentFile"])
	joined := strings.Join(env, "\n")
	if !strings.Contains(joined, "MASHANG_DATA=/var/lib/mashang") || !strings.Contains(joined, "MASHANG_IDENTITY_KEY_FILE=/etc/mashang/identity.key") ||
		!strings.Contains(joined, "MASHANG_LOG_KEY_FILE=/etc/mashang/log.key") {
		t.Fatalf("configuration: %s", joined)
	}

	// Start it as systemd would: the ExecStart line, as User, with the
	// EnvironmentFile, in the WorkingDirectory. The port is moved off 8080,
	// which something else on this machine may hold.
	addr := freePort(t)
	argv := strings.Fields(svc["ExecStart"])
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	run := exec.CommandContext(ctx, argv[0], argv[1:]...)
	run.Dir = svc["WorkingDirectory"]
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	run.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
	if svc["User"] != u.Username {
		t.Fatalf("the unit runs as %q", svc["User"])
	}
	run.Env = append(append([]string{"PATH=/usr/bin:/bin"}, env...), "MASHANG_ADDR="+addr, "MASHANG_BACKUP_INTERVAL=off")
	var stderr strings.Builder
	run.Stderr = &stderr
	if err := run.Start(); err != nil {
		t.Fatal(err)
	}
	defer run.Process.Kill()
	var health map[string]any
	deadline := time.Now().Add(60 * time.Second)
	for {
		res, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			json.NewDecoder(res.Body).Decode(&health)
			res.Body.Close()
			if res.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the installed service did not answer /healthz: %v\n%s", err, stderr.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	if health["status"] != "ok" {
		t.Fatalf("/healthz: %v", health)
	}
	if _, err := os.Stat("/var/lib/mashang/mashang.db"); err != nil {
		t.Fatalf("the database is not under /var/lib/mashang: %v", err)
	}
	if ents, _ := filepath.Glob("/var/lib/mashang/*.key"); len(ents) > 0 {
		t.Fatalf("keys were made in the data directory: %v", ents)
	}
	// mashang-admin runs commands as the service's user with its configuration.
	adm := exec.Command("/usr/sbin/mashang-admin", "user", "add", "--username", "admin", "--role", "admin")
	adm.Stdin = strings.NewReader("a long passphrase for the package test\n")
	if out, err := adm.CombinedOutput(); err != nil || !strings.Contains(string(out), "user admin added") {
		t.Fatalf("mashang-admin user add: %v %s", err, out)
	}
	if err := run.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := run.Wait(); err != nil {
		t.Fatalf("the service after SIGTERM: %v\n%s", err, stderr.String())
	}
	dpkg(t, "--purge", "mashang")
	if _, err := os.Stat("/usr/bin/mashang"); !os.IsNotExist(err) {
		t.Fatal("purge left the binary")
	}
	if _, err := os.Stat("/var/lib/mashang/mashang.db"); err != nil {
		t.Fatal("purge removed the records")
	}
}

func runtimeArch(t *testing.T) string {
	out, err := exec.Command("go", "env", "GOARCH").Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(out))
}
