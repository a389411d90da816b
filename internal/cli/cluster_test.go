package cli_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
)

// The deployment of a city or a province, on loopback: a PostgreSQL server
// of the test's own, three `mashang serve` processes (the built binary) on
// it and HAProxy in front with health checks on /healthz, all from
// Debian's packages. Through the proxy, a report with a photo posted via
// one instance is tracked and its photo downloaded via another; under load,
// kill -9 of an instance loses no acknowledged report and the others keep
// answering; PostgreSQL stopped (as by a crash) and started again under
// load: the instances answer 503 meanwhile, reconnect, and every report
// answered 201 is in the database.
func TestClusterBehindHAProxy(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary, runs PostgreSQL and HAProxy")
	}
	haproxy := lookTool(t, "haproxy", "/usr/sbin/haproxy")
	pg := startPostgres(t)
	bin := buildMashang(t)
	c := &cluster{t: t, bin: bin, pg: pg, keys: t.TempDir()}
	c.dbURL = pg.createDB(t, "mashang_cluster")
	pw := "a long passphrase for the cluster"
	if out, err := c.command(strings.NewReader(pw+"\n"), "user", "add", "--username", "admin", "--role", "admin"); err != nil {
		t.Fatalf("user add: %v\n%s", err, out)
	}
	for i := range 3 {
		c.instances = append(c.instances, &instance{name: fmt.Sprintf("s%d", i+1), addr: freeAddr(t), dir: t.TempDir()})
	}
	for _, in := range c.instances {
		c.start(in)
	}
	for _, in := range c.instances {
		c.waitHealthy(in, 200, 30*time.Second)
	}
	proxy := c.startHAProxy(haproxy)
	t.Cleanup(func() {
		if t.Failed() {
			for _, in := range c.instances {
				t.Logf("log of %s:\n%s", in.name, tail(in.log.String(), 4000))
			}
		}
	})

	// A report with a photo through one instance, tracked and its photo
	// downloaded through others; the staff token made on one works on all.
	photo := testJPEG(t)
	receipt, key, via := c.postPhotoReport(proxy, photo)
	tok := c.token(proxy, "admin", pw)
	seen := map[string]bool{via: true}
	var caseID int64
	for attempt := 0; len(seen) < 3; attempt++ {
		if attempt > 30 {
			t.Fatalf("the proxy did not spread requests over the instances: %v", seen)
		}
		st, body, server := c.do(proxy, "POST", "/api/v1/track", "", fmt.Sprintf(`{"receipt":%q,"key":%q}`, receipt, key))
		if st != 200 || !strings.Contains(body, `"state":"registered"`) {
			t.Fatalf("track via %s: %d %s", server, st, body)
		}
		seen[server] = true
		st, body, server = c.do(proxy, "GET", "/api/v1/cases?limit=1", tok, "")
		var list struct{ Cases []struct{ ID int64 } }
		if json.Unmarshal([]byte(body), &list); st != 200 || len(list.Cases) != 1 {
			t.Fatalf("case list via %s: %d %s", server, st, body)
		}
		caseID = list.Cases[0].ID
		seen[server] = true
	}
	downloadedVia := map[string]bool{}
	for attempt := 0; len(keys(downloadedVia)) == 0 || len(downloadedVia) == 1 && downloadedVia[via]; attempt++ {
		if attempt > 30 {
			t.Fatalf("the photo was not downloaded through another instance: %v", downloadedVia)
		}
		st, body, server := c.do(proxy, "GET", fmt.Sprintf("/api/v1/cases/%d/attachments", caseID), tok, "")
		var as struct {
			Attachments []struct {
				ID     int64
				SHA256 string `json:"sha256"`
				Size   int64
			}
		}
		if json.Unmarshal([]byte(body), &as); st != 200 || len(as.Attachments) != 1 {
			t.Fatalf("attachments via %s: %d %s", server, st, body)
		}
		a := as.Attachments[0]
		st, file, server := c.do(proxy, "GET", fmt.Sprintf("/api/v1/attachments/%d", a.ID), tok, "")
		sum := sha256.Sum256([]byte(file))
		if st != 200 || hex.EncodeToString(sum[:]) != a.SHA256 || int64(len(file)) != a.Size {
			t.Fatalf("photo via %s: %d, %d bytes, SHA-256 %x, want %s", server, st, len(file), sum, a.SHA256)
		}
		if _, err := jpeg.Decode(strings.NewReader(file)); err != nil {
			t.Fatalf("the photo downloaded via %s is not a JPEG: %v", server, err)
		}
		downloadedVia[server] = true
	}
	t.Logf("photo report posted via %s; tracked and listed via %v; photo downloaded via %v", via, keys(seen), keys(downloadedVia))
	// The sweep each instance starts with ran once across the three.
	sweeps := 0
	for _, in := range c.instances {
		sweeps += strings.Count(in.log.String(), "msg=sweep ")
	}
	if sweeps != 1 {
		t.Fatalf("the supervision sweep ran %d times on three instances at start, want once", sweeps)
	}

	// kill -9 of one instance under load.
	l := c.startLoad(proxy, 12)
	l.waitAcks(t, 200)
	victim := c.instances[1]
	if err := victim.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	victim.cmd.Wait()
	killedAt := l.acked()
	l.waitAcks(t, killedAt+300) // the others keep answering
	st, _, _ := c.do("http://"+c.instances[0].addr, "GET", "/healthz", "", "")
	if st != 200 {
		t.Fatalf("healthz of a survivor: %d", st)
	}
	l.stop()
	c.checkStored(l, "kill -9 of "+victim.name)
	c.start(victim) // the same data directory, after a kill
	c.waitHealthy(victim, 200, 30*time.Second)

	// PostgreSQL stopped as by a crash, and started again, under load.
	l = c.startLoad(proxy, 12)
	l.waitAcks(t, 200)
	pg.ctl(t, "stop", "-m", "immediate")
	for _, in := range c.instances {
		c.waitHealthy(in, 503, 20*time.Second)
	}
	// A report sent straight to an instance while the database is away:
	// 503 with Retry-After and the database_unavailable code, nothing stored.
	res, err := http.Post("http://"+c.instances[0].addr+"/api/v1/reports", "application/json", strings.NewReader(`{"content":"数据库重启时的举报","anonymous":true}`))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 503 || res.Header.Get("Retry-After") == "" || !strings.Contains(string(b), "database_unavailable") {
		t.Fatalf("a report while PostgreSQL is down: %d %q %s", res.StatusCode, res.Header.Get("Retry-After"), b)
	}
	down := l.acked()
	pg.ctl(t, "start", "-w", "-t", "60")
	for _, in := range c.instances {
		c.waitHealthy(in, 200, 30*time.Second)
	}
	l.waitAcks(t, down+300) // reconnected: reports are taken again
	l.stop()
	c.checkStored(l, "PostgreSQL restarted")
}

type cluster struct {
	t         *testing.T
	bin       string
	pg        *pgServer
	dbURL     string
	keys      string
	instances []*instance
}

type instance struct {
	name, addr, dir string
	cmd             *exec.Cmd
	log             *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

func (c *cluster) env(dir string) []string {
	return append(os.Environ(), "MASHANG_DATABASE_URL="+c.dbURL, "MASHANG_DATA="+dir,
		"MASHANG_IDENTITY_KEY_FILE="+filepath.Join(c.keys, "identity.key"), "MASHANG_LOG_KEY_FILE="+filepath.Join(c.keys, "log.key"))
}

// command runs a mashang command against the cluster's database.
func (c *cluster) command(stdin io.Reader, args ...string) (string, error) {
	cmd := exec.Command(c.bin, args...)
	cmd.Env = c.env(c.t.TempDir())
	cmd.Stdin = stdin
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// start runs `mashang serve` for in: the proxy is the one trusted for
// X-Forwarded-For; the load comes from loopback, so the per-address limits
// are off.
func (c *cluster) start(in *instance) {
	c.t.Helper()
	cmd := exec.Command(c.bin, "serve", "--addr", in.addr, "--trusted-proxies", "127.0.0.1", "--no-rate-limit", "--backup-interval", "off")
	cmd.Env = c.env(in.dir)
	if in.log == nil {
		in.log = &syncBuffer{}
	}
	cmd.Stdout, cmd.Stderr = in.log, in.log
	if err := cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	in.cmd = cmd
	c.t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
}

// waitHealthy waits until in's /healthz answers want.
func (c *cluster) waitHealthy(in *instance, want int, within time.Duration) {
	c.t.Helper()
	deadline := time.Now().Add(within)
	client := &http.Client{Timeout: 5 * time.Second}
	last := ""
	for time.Now().Before(deadline) {
		res, err := client.Get("http://" + in.addr + "/healthz")
		if err == nil {
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode == want {
				return
			}
			last = res.Status
		} else {
			last = err.Error()
		}
		time.Sleep(50 * time.Millisecond)
	}
	c.t.Fatalf("%s: /healthz did not answer %d within %s (last: %s)\n%s", in.name, want, within, last, tail(in.log.String(), 3000))
}

// startHAProxy starts HAProxy in front of the instances, checking each on
// /healthz twice a second, and returns its URL. Each answer says which
// instance gave it (X-Served-By).
func (c *cluster) startHAProxy(bin string) string {
	c.t.Helper()
	addr := freeAddr(c.t)
	var servers strings.Builder
	for _, in := range c.instances {
		fmt.Fprintf(&servers, "    server %s %s check\n", in.name, in.addr)
	}
	conf := fmt.Sprintf(`global
    maxconn 1000
defaults
    mode http
    timeout connect 2s
    timeout client 30s
    timeout server 30s
    retries 2
    option redispatch
    option forwardfor
frontend public
    bind %s
    default_backend mashang
backend mashang
    balance roundrobin
    option httpchk GET /healthz
    http-check expect status 200
    default-server inter 500ms fall 2 rise 2
    http-response set-header X-Served-By %%s
%s`, addr, servers.String())
	file := filepath.Join(c.t.TempDir(), "haproxy.cfg")
	if err := os.WriteFile(file, []byte(conf), 0o644); err != nil {
		c.t.Fatal(err)
	}
	if out, err := exec.Command(bin, "-c", "-f", file).CombinedOutput(); err != nil {
		c.t.Fatalf("haproxy -c: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "-db", "-f", file)
	var log syncBuffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	url := "http://" + addr
	deadline := time.Now().Add(20 * time.Second)
	for {
		st, _, _ := c.do(url, "GET", "/healthz", "", "")
		if st == 200 {
			return url
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("HAProxy did not come up: %s", log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// do sends one request and returns the status, the body and the instance
// that answered (X-Served-By, set by the proxy).
func (c *cluster) do(base, method, path, token, body string) (int, string, string) {
	c.t.Helper()
	req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := (&http.Client{Timeout: 20 * time.Second}).Do(req)
	if err != nil {
		return 0, err.Error(), ""
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b), res.Header.Get("X-Served-By")
}

func (c *cluster) token(base, user, pw string) string {
	c.t.Helper()
	st, body, _ := c.do(base, "POST", "/api/v1/auth/token", "", fmt.Sprintf(`{"username":%q,"password":%q}`, user, pw))
	var r struct{ Token string }
	if json.Unmarshal([]byte(body), &r); st != 201 || r.Token == "" {
		c.t.Fatalf("token: %d %s", st, body)
	}
	return r.Token
}

func (c *cluster) postPhotoReport(base string, photo []byte) (receipt, key, via string) {
	c.t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	mw.WriteField("content", "梅溪镇便民服务中心窗口无人，附现场照片")
	mw.WriteField("anonymous", "true")
	fw, _ := mw.CreateFormFile("attachment", "窗口.jpg")
	fw.Write(photo)
	mw.Close()
	res, err := http.Post(base+"/api/v1/reports", mw.FormDataContentType(), &b)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	var r struct{ Receipt, Key string }
	body, _ := io.ReadAll(res.Body)
	if json.Unmarshal(body, &r); res.StatusCode != 201 || r.Receipt == "" {
		c.t.Fatalf("report with a photo: %d %s", res.StatusCode, body)
	}
	return r.Receipt, r.Key, res.Header.Get("X-Served-By")
}

func testJPEG(t *testing.T) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for x := range 64 {
		for y := range 48 {
			img.Set(x, y, color.RGBA{uint8(x * 4), uint8(y * 5), 128, 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// load posts reports through the proxy from several clients and keeps the
// receipts of those answered 201; any answer an instance gives other than
// 201 or 503 is kept as wrong (the proxy's own 502/503/504 for a request
// cut by a dying instance are not wrong: the report was not acknowledged).
type load struct {
	mu     sync.Mutex
	acks   []string
	counts map[string]int
	wrong  []string
	done   chan struct{}
	wg     sync.WaitGroup
}

func (c *cluster) startLoad(base string, clients int) *load {
	l := &load{counts: map[string]int{}, done: make(chan struct{})}
	for n := range clients {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			client := &http.Client{Timeout: 30 * time.Second}
			for i := 0; ; i++ {
				select {
				case <-l.done:
					return
				default:
				}
				body := fmt.Sprintf(`{"content":"第 %d 位第 %d 件：窗口推诿，群众排队两小时","anonymous":true}`, n, i)
				res, err := client.Post(base+"/api/v1/reports", "application/json", strings.NewReader(body))
				if err != nil {
					l.count("transport error")
					time.Sleep(10 * time.Millisecond)
					continue
				}
				b, _ := io.ReadAll(res.Body)
				res.Body.Close()
				var r struct{ Receipt string }
				json.Unmarshal(b, &r)
				served := res.Header.Get("X-Served-By") != ""
				switch {
				case res.StatusCode == 201 && r.Receipt != "":
					l.mu.Lock()
					l.acks = append(l.acks, r.Receipt)
					l.mu.Unlock()
					l.count("201")
				case res.StatusCode == 503 || !served && (res.StatusCode == 502 || res.StatusCode == 504):
					l.count(strconv.Itoa(res.StatusCode))
					time.Sleep(10 * time.Millisecond)
				default:
					l.mu.Lock()
					l.wrong = append(l.wrong, fmt.Sprintf("%d %s", res.StatusCode, b))
					l.mu.Unlock()
				}
			}
		}()
	}
	return l
}

func (l *load) count(k string) {
	l.mu.Lock()
	l.counts[k]++
	l.mu.Unlock()
}

func (l *load) acked() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.acks)
}

func (l *load) waitAcks(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for l.acked() < n {
		if time.Now().After(deadline) {
			l.mu.Lock()
			defer l.mu.Unlock()
			t.Fatalf("%d reports acknowledged, waited for %d; answers %v", len(l.acks), n, l.counts)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (l *load) stop() {
	close(l.done)
	l.wg.Wait()
}

// checkStored fails unless every acknowledged report is in the database and
// no instance gave a wrong answer.
func (c *cluster) checkStored(l *load, phase string) {
	c.t.Helper()
	db, err := sql.Open("pgx", c.dbURL)
	if err != nil {
		c.t.Fatal(err)
	}
	defer db.Close()
	have := map[string]bool{}
	rows, err := db.Query(`SELECT receipt FROM cases`)
	if err != nil {
		c.t.Fatal(err)
	}
	for rows.Next() {
		var r string
		rows.Scan(&r)
		have[r] = true
	}
	rows.Close()
	lost := 0
	for _, r := range l.acks {
		if !have[r] {
			lost++
		}
	}
	if lost > 0 || len(l.wrong) > 0 {
		c.t.Fatalf("%s: %d of %d acknowledged reports not in the database; wrong answers: %v", phase, lost, len(l.acks), l.wrong[:min(len(l.wrong), 5)])
	}
	c.t.Logf("%s: %d reports acknowledged, every one stored; answers %v", phase, len(l.acks), l.counts)
}

// pgServer is a PostgreSQL server of the test's own (the suite's shared one
// must not be stopped), from Debian's binaries, run as the postgres user
// when the test runs as root.
type pgServer struct {
	bin, dir string
	port     int
	uid      int
}

func lookTool(t *testing.T, name string, alt ...string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, a := range alt {
		if _, err := os.Stat(a); err == nil {
			return a
		}
	}
	if os.Getenv("MASHANG_REQUIRE_POSTGRES") == "1" {
		t.Fatalf("%s is not installed (scripts/test.sh installs it from Debian's packages)", name)
	}
	t.Skipf("%s is not installed; the README's test command installs it", name)
	return ""
}

func startPostgres(t *testing.T) *pgServer {
	t.Helper()
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(dirs) == 0 {
		lookTool(t, "initdb")
	}
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) < version(dirs[j]) })
	p := &pgServer{bin: filepath.Dir(dirs[len(dirs)-1]), uid: -1}
	dir, err := os.MkdirTemp("", "mashang-cluster-pg-")
	if err != nil {
		t.Fatal(err)
	}
	p.dir = dir
	t.Cleanup(func() {
		p.run("pg_ctl", "-D", filepath.Join(dir, "data"), "-m", "immediate", "stop")
		os.RemoveAll(dir)
	})
	os.Chmod(dir, 0o755)
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatalf("running as root needs the postgres user: %v", err)
		}
		p.uid, _ = strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		os.Chown(dir, p.uid, gid)
	}
	p.port, _ = strconv.Atoi(strings.TrimPrefix(freeAddr(t), "127.0.0.1:"))
	if out, err := p.run("initdb", "-D", filepath.Join(dir, "data"), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8"); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	p.ctl(t, "start", "-w", "-t", "60")
	return p
}

func version(initdb string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(initdb))))
	return n
}

func (p *pgServer) run(tool string, args ...string) (string, error) {
	path := filepath.Join(p.bin, tool)
	var cmd *exec.Cmd
	if p.uid >= 0 {
		cmd = exec.Command("runuser", append([]string{"-u", "postgres", "--", path}, args...)...)
	} else {
		cmd = exec.Command(path, args...)
	}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// ctl runs pg_ctl; fsync is off (the test does not crash the machine), but
// every commit is flushed to the operating system before it is
// acknowledged (synchronous_commit), so stopping the server as by a crash
// loses no committed report.
func (p *pgServer) ctl(t *testing.T, args ...string) {
	t.Helper()
	data := filepath.Join(p.dir, "data")
	full := append([]string{"-D", data}, args...)
	if args[0] == "start" {
		full = append(full, "-l", filepath.Join(p.dir, "log"), "-o", fmt.Sprintf("-h 127.0.0.1 -p %d -k %s -c fsync=off -c synchronous_commit=on -c max_connections=200", p.port, p.dir))
	}
	if out, err := p.run("pg_ctl", full...); err != nil {
		log, _ := os.ReadFile(filepath.Join(p.dir, "log"))
		t.Fatalf("pg_ctl %v: %v\n%s\n%s", args, err, out, tail(string(log), 3000))
	}
}

func (p *pgServer) url(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", p.port, db)
}

func (p *pgServer) createDB(t *testing.T, name string) string {
	t.Helper()
	db, err := sql.Open("pgx", p.url("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := db.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	return p.url(name)
}
