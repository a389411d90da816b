package cli_test

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"mashang/internal/audit"
	"mashang/internal/audit/audittest"
	"mashang/internal/auth"
	"mashang/internal/config"
	"mashang/internal/store/storetest"
	"mashang/internal/web/webtest"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// office is a running server whose keys live outside its data directory,
// with a few reports handled, and the environment the CLI needs to work on
// the same data.
type office struct {
	h       *webtest.Harness
	env     map[string]string
	keys    string // the directory of the key files, outside the data
	signer  *audit.Signer
	named   int64 // a named report, accepted, its reporter revealed by the director
	other   int64 // an anonymous report
	receipt string
	key     string
}

const (
	secretName  = "欧阳明远"
	secretPhone = "13912345678"
)

func newOffice(t *testing.T, dbURL string) *office {
	t.Helper()
	keys := filepath.Join(t.TempDir(), "keys")
	h := webtest.New(t, dbURL, func(c *config.Config) {
		c.IdentityKeyFile = filepath.Join(keys, "identity.key")
		c.LogKeyFile = filepath.Join(keys, "log.key")
	})
	o := &office{h: h, keys: keys, env: map[string]string{
		"MASHANG_DATA": h.App.Config.DataDir, "MASHANG_DATABASE_URL": dbURL,
		"MASHANG_IDENTITY_KEY_FILE": h.App.Config.IdentityKeyFile, "MASHANG_LOG_KEY_FILE": h.App.Config.LogKeyFile,
	}}
	o.signer = &audit.Signer{DB: h.App.DB, KeyFile: h.App.Config.LogKeyFile, Clock: h.Clock, Log: storetest.Quiet()}
	r := h.Must(201, "POST", "/api/v1/reports", "", map[string]any{"content": "窗口人员推诿，不给办理营业执照。", "name": secretName, "phone": secretPhone})
	o.receipt, o.key = webtest.Str(r.JSON, "receipt"), webtest.Str(r.JSON, "key")
	o.named = o.caseID(t, o.receipt)
	h.Clock.Advance(time.Minute)
	r = h.Must(201, "POST", "/api/v1/reports", "", map[string]any{"content": "乡镇便民服务中心上班时间无人。", "anonymous": true})
	o.other = o.caseID(t, webtest.Str(r.JSON, "receipt"))
	for i := 0; i < 6; i++ {
		h.Clock.Advance(time.Minute)
		h.Must(201, "POST", "/api/v1/reports", "", map[string]any{"content": fmt.Sprintf("第%d件：办事窗口推诿。", i+1), "anonymous": true})
	}
	h.Clock.Advance(time.Minute)
	dir := h.TokenFor("li_director", auth.Director, "")
	h.Must(200, "POST", fmt.Sprintf("/api/v1/cases/%d/actions", o.named), dir, map[string]any{"action": "accept"})
	h.Clock.Advance(time.Minute)
	h.Must(200, "POST", fmt.Sprintf("/api/v1/cases/%d/reporter/reveal", o.named), dir, map[string]any{"reason": "需当面核实举报细节"})
	h.Clock.Advance(time.Minute)
	o.sign(t)
	return o
}

func (o *office) caseID(t *testing.T, receipt string) int64 {
	t.Helper()
	var id int64
	if err := o.h.App.DB.Read.QueryRow(`SELECT id FROM cases WHERE receipt = $1`, receipt).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

// sign runs one round of serve's checkpoint loop.
func (o *office) sign(t *testing.T) audit.Checkpoint {
	t.Helper()
	o.h.Clock.Advance(time.Hour) // due even if nothing changed
	cp, ok, err := o.signer.SignIfDue(context.Background())
	if err != nil || !ok {
		t.Fatalf("sign: %v %v", ok, err)
	}
	return cp
}

// goOn is the office working on after a rewrite: a new report, a new checkpoint.
func (o *office) goOn(t *testing.T) {
	t.Helper()
	o.h.Must(201, "POST", "/api/v1/reports", "", map[string]any{"content": "审批超时两个月无人答复。", "anonymous": true})
	o.sign(t)
}

func (o *office) get(t *testing.T, path string) string {
	t.Helper()
	res, err := http.Get(o.h.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", path, res.StatusCode, b)
	}
	return string(b)
}

func (o *office) exec(t *testing.T, q string, args ...any) {
	t.Helper()
	if _, err := o.h.App.DB.Write.Exec(q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// deleteCase removes a case with its events, messages and index rows.
func (o *office) deleteCase(t *testing.T, id int64) {
	t.Helper()
	for _, q := range []string{`DELETE FROM case_events WHERE case_id = $1`, `DELETE FROM messages WHERE case_id = $1`, `DELETE FROM attachments WHERE case_id = $1`,
		`DELETE FROM case_people WHERE case_id = $1`, `DELETE FROM notices WHERE case_id = $1`, `DELETE FROM search_docs WHERE id = $1`, `DELETE FROM cases WHERE id = $1`} {
		o.exec(t, q, id)
	}
}

func engines(t *testing.T, fn func(t *testing.T, dbURL string)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, "") })
	t.Run("postgres", func(t *testing.T) { fn(t, storetest.PostgresURL(t)) })
}

// The rewrites of history, each made with write access to the
// database and every hash recomputed, and truncation: a checkpoint saved
// before catches each with `audit verify --checkpoint`, and a witness that
// kept the server's checkpoint catches each on its next run against the
// running server. Deleting a case behind the log's back is caught by plain
// `audit verify`.
func TestRewritesAreCaught(t *testing.T) {
	rewrites := []struct {
		name string
		do   func(t *testing.T, o *office)
		// plain: what plain `audit verify` says afterwards ("" passes: the
		// database alone cannot show a rewrite whose hashes were recomputed
		// and whose tables agree with it; a truncation leaves cases without
		// entries, which the cross-checks name).
		plain string
		// witness: whether a witness can see it (the log itself changed).
		witness bool
		want    string
	}{
		{"last six entries deleted, head moved back", func(t *testing.T, o *office) {
			o.exec(t, `DELETE FROM audit_log WHERE seq > (SELECT seq FROM audit_head) - 6`)
			audittest.Rewrite(t, o.h.App.DB)
		}, "has no entry in the audit log", true, "entries were removed"},
		{"case deleted with its events, messages and index rows, its entries left", func(t *testing.T, o *office) {
			o.deleteCase(t, o.other)
		}, fmt.Sprintf("case:%d no longer exists", 0), false, ""},
		{"a case's entries dropped, the case deleted, every hash recomputed", func(t *testing.T, o *office) {
			o.deleteCase(t, o.other)
			o.exec(t, `DELETE FROM audit_log WHERE subject = $1`, fmt.Sprintf("case:%d", o.other))
			audittest.Rewrite(t, o.h.App.DB)
		}, "", true, "rewritten"},
		{"identity reveal moved from director to leader, recomputed", func(t *testing.T, o *office) {
			o.exec(t, `UPDATE audit_log SET actor = 'user:zhao_leader' WHERE action = 'identity.reveal'`)
			o.exec(t, `UPDATE case_events SET actor = 'user:zhao_leader' WHERE action = 'identity_revealed'`)
			audittest.Rewrite(t, o.h.App.DB)
		}, "", true, "rewritten"},
		{"truncated to its first three entries", func(t *testing.T, o *office) {
			o.exec(t, `DELETE FROM audit_log WHERE seq > 3`)
			audittest.Rewrite(t, o.h.App.DB)
		}, "has no entry in the audit log", true, "entries were removed"},
	}
	for _, rw := range rewrites {
		t.Run(rw.name, func(t *testing.T) {
			engines(t, func(t *testing.T, dbURL string) {
				o := newOffice(t, dbURL)
				dir := t.TempDir()
				state := filepath.Join(dir, "witness.json")
				code, vkey, stderr := run(t, o.env, "", "audit", "key")
				if code != 0 {
					t.Fatalf("audit key: %d %s", code, stderr)
				}
				vkey = strings.TrimSpace(vkey)
				if code, out, stderr := run(t, nil, "", "audit", "witness", "--url", o.h.URL, "--state", state, "--key", vkey); code != 0 || !strings.Contains(out, "checkpoint kept") {
					t.Fatalf("first witness run: %d %s %s", code, out, stderr)
				}
				saved := filepath.Join(dir, "checkpoint.txt")
				os.WriteFile(saved, []byte(o.get(t, "/public/log/checkpoint")), 0o644)
				if code, out, stderr := run(t, o.env, "", "audit", "verify", "--checkpoint", saved); code != 0 || !strings.Contains(out, "consistent with the checkpoint") {
					t.Fatalf("verify before the rewrite: %d %s %s", code, out, stderr)
				}
				o.goOn(t)
				if code, out, stderr := run(t, nil, "", "audit", "witness", "--url", o.h.URL, "--state", state); code != 0 || !strings.Contains(out, "consistent with the") {
					t.Fatalf("witness while honest: %d %s %s", code, out, stderr)
				}
				kept, _ := os.ReadFile(state)

				rw.do(t, o)
				// The rewriter deletes the checkpoints the server stored too:
				// the signed ones would give the rewrite away.
				o.exec(t, `DELETE FROM audit_checkpoints`)

				code, out, stderr := run(t, o.env, "", "audit", "verify")
				plain := strings.Replace(rw.plain, "case:0", fmt.Sprintf("case:%d", o.other), 1)
				if plain == "" && code != 0 {
					t.Fatalf("plain verify after a full rewrite: %d %s %s", code, out, stderr)
				}
				if plain != "" && (code != 1 || !strings.Contains(stderr, plain)) {
					t.Fatalf("plain verify: %d %q, want exit 1 naming %q", code, stderr, plain)
				}
				code, out, stderr = run(t, o.env, "", "audit", "verify", "--checkpoint", saved)
				if code != 1 || (rw.want != "" && !strings.Contains(stderr, rw.want)) || (rw.want == "" && !strings.Contains(stderr, plain)) {
					t.Fatalf("verify --checkpoint: %d %s %q, want exit 1 saying %q", code, out, stderr, rw.want+plain)
				}
				// The witness's own state file works as the checkpoint too.
				if code, _, stderr = run(t, o.env, "", "audit", "verify", "--checkpoint", state); code != 1 {
					t.Fatalf("verify --checkpoint STATE: %d %s", code, stderr)
				}
				if !rw.witness {
					return
				}
				o.goOn(t)
				code, out, stderr = run(t, nil, "", "audit", "witness", "--url", o.h.URL, "--state", state)
				if code != 1 || !strings.Contains(stderr, "REWRITTEN or FORKED") {
					t.Fatalf("witness after the rewrite: %d %s %q", code, out, stderr)
				}
				if now, _ := os.ReadFile(state); string(now) != string(kept) {
					t.Fatal("the witness replaced its state with a checkpoint that failed")
				}
			})
		})
	}
}

// The checkpoint the server publishes verifies with the key `mashang audit
// key` prints, through Go's note.Open (not mashang's code); the proofs it
// serves check with tlog; the tracking page shows the report's log entry,
// whose inclusion proof checks against the checkpoint; bad queries get
// clear errors.
func TestServedCheckpointVerifiesElsewhere(t *testing.T) {
	engines(t, func(t *testing.T, dbURL string) {
		o := newOffice(t, dbURL)
		code, vkey, stderr := run(t, o.env, "", "audit", "key")
		if code != 0 {
			t.Fatalf("audit key: %s", stderr)
		}
		checkServedCheckpoint(t, o, strings.TrimSpace(vkey))
		// A witness without --key trusts the served key on first use, and
		// says so; later runs refuse another key.
		state := filepath.Join(t.TempDir(), "w.json")
		code, _, stderr = run(t, nil, "", "audit", "witness", "--url", o.h.URL, "--state", state)
		if code != 0 || !strings.Contains(stderr, "trusting the key the server serves on first use") {
			t.Fatalf("first use: %d %s", code, stderr)
		}
		other := strings.Replace(strings.TrimSpace(vkey), "+", "x+", 1)
		if code, _, stderr = run(t, nil, "", "audit", "witness", "--url", o.h.URL, "--state", state, "--key", other); code != 1 || !strings.Contains(stderr, "differs from the key kept") {
			t.Fatalf("another key: %d %s", code, stderr)
		}
		if code, _, stderr = run(t, nil, "", "audit", "witness", "--url", o.h.URL); code != 2 || !strings.Contains(stderr, "required") {
			t.Fatalf("no state: %d %s", code, stderr)
		}
		if code, _, stderr = run(t, nil, "", "audit", "witness", "--url", o.h.URL+"/nowhere", "--state", filepath.Join(t.TempDir(), "x.json"), "--key", strings.TrimSpace(vkey)); code != 1 || !strings.Contains(stderr, "404") {
			t.Fatalf("wrong URL: %d %s", code, stderr)
		}
	})
}

// A copy of the data directory alone reveals no reporter's identity when
// the key file lives elsewhere: no file in it holds the name or the phone
// number in clear, no key file is in it, and a server started on the copy
// cannot open the sealed identity.
func TestDataDirCopyRevealsNoIdentity(t *testing.T) {
	engines(t, func(t *testing.T, dbURL string) {
		o := newOffice(t, dbURL)
		data := o.h.App.Config.DataDir
		if got := o.h.App.Config.KeysInDataDir(); len(got) != 0 {
			t.Fatalf("keys inside the data directory: %v", got)
		}
		o.h.App.DB.Close() // a cold copy, as a thief would take it
		cp := filepath.Join(t.TempDir(), "copy")
		if err := os.CopyFS(cp, os.DirFS(data)); err != nil {
			t.Fatal(err)
		}
		files := 0
		filepath.WalkDir(cp, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			files++
			b, _ := os.ReadFile(p)
			for _, secret := range []string{secretName, secretPhone, "139 1234 5678"} {
				if strings.Contains(string(b), secret) {
					t.Errorf("%s holds %q in clear", p, secret)
				}
			}
			if strings.HasSuffix(p, ".key") {
				t.Errorf("a key file is in the data directory: %s", p)
			}
			return nil
		})
		if dbURL == "" && files == 0 {
			t.Fatal("the copy holds no files")
		}
		// A server on the copy (SQLite: the copy is the database; PostgreSQL:
		// the thief has the database too) makes itself a new key and cannot
		// open what the old one sealed.
		h2 := webtest.New(t, dbURL, func(c *config.Config) {
			if dbURL == "" {
				c.DataDir = cp
			}
			c.IdentityKeyFile = filepath.Join(cp, "identity.key")
			c.LogKeyFile = filepath.Join(cp, "log.key")
		})
		if dbURL != "" {
			// Same database, the thief's new key.
			var n int
			h2.App.DB.Read.QueryRow(`SELECT COUNT(*) FROM cases WHERE identity IS NOT NULL`).Scan(&n)
			if n == 0 {
				t.Fatal("no sealed identity to try")
			}
		}
		var sealed []byte
		var receipt string
		if err := h2.App.DB.Read.QueryRow(`SELECT receipt, identity FROM cases WHERE identity IS NOT NULL`).Scan(&receipt, &sealed); err != nil {
			t.Fatal(err)
		}
		if _, err := h2.App.Vault.OpenIdentity(sealed, "case:"+receipt+":identity"); err == nil {
			t.Fatal("a new key opened the sealed identity")
		}
		r := h2.Do("POST", fmt.Sprintf("/api/v1/cases/%d/reporter/reveal", o.named), h2.TokenFor("li_director2", auth.Director, ""), map[string]any{"reason": "看看"})
		if strings.Contains(string(r.Raw), secretName) || strings.Contains(string(r.Raw), secretPhone) {
			t.Fatalf("the copy revealed the identity: %s", r.Raw)
		}
	})
}

func checkServedCheckpoint(t *testing.T, o *office, vkey string) {
	t.Helper()
	body := o.get(t, "/public/log/checkpoint")
	v, err := note.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	n, err := note.Open([]byte(body), note.VerifierList(v))
	if err != nil {
		t.Fatalf("note.Open with the key from audit key: %v\n%s", err, body)
	}
	lines := strings.Split(n.Text, "\n")
	origin, _, _ := strings.Cut(vkey, "+")
	var size int64
	fmt.Sscan(lines[1], &size)
	if len(lines) < 4 || lines[0] != origin || size < 5 || !strings.HasPrefix(lines[3], "time ") {
		t.Fatalf("checkpoint text %q", n.Text)
	}
	root, err := tlog.ParseHash(lines[2])
	if err != nil {
		t.Fatal(err)
	}
	// The root is the RFC 6962 tree of the entries' hashes, computed here
	// from the table with tlog alone.
	var leaves []tlog.Hash
	rows, _ := o.h.App.DB.Read.Query(`SELECT hash FROM audit_log ORDER BY seq LIMIT $1`, size)
	for rows.Next() {
		var h string
		rows.Scan(&h)
		b, _ := hex.DecodeString(h)
		leaves = append(leaves, tlog.RecordHash(b))
	}
	rows.Close()
	if int64(len(leaves)) != size || merkleRoot(leaves) != root {
		t.Fatalf("the signed root is not the tree of the %d entries", size)
	}
	if strings.TrimSpace(o.get(t, "/public/log/key")) != vkey {
		t.Fatal("the key served differs from audit key")
	}
	// A later checkpoint, with a consistency proof from this one.
	o.goOn(t)
	body2 := o.get(t, "/public/log/checkpoint")
	n2, err := note.Open([]byte(body2), note.VerifierList(v))
	if err != nil {
		t.Fatal(err)
	}
	l2 := strings.Split(n2.Text, "\n")
	var size2 int64
	fmt.Sscan(l2[1], &size2)
	root2, _ := tlog.ParseHash(l2[2])
	proof, err := audit.ParseProof([]byte(o.get(t, fmt.Sprintf("/public/log/proof?from=%d&to=%d", size, size2))))
	if err != nil {
		t.Fatal(err)
	}
	if err := tlog.CheckTree(proof, size2, root2, size, root); err != nil {
		t.Fatalf("consistency proof %d→%d: %v", size, size2, err)
	}
}

// merkleRoot is RFC 6962's tree hash, written out.
func merkleRoot(l []tlog.Hash) tlog.Hash {
	if len(l) == 1 {
		return l[0]
	}
	k := 1
	for k*2 < len(l) {
		k *= 2
	}
	return tlog.NodeHash(merkleRoot(l[:k]), merkleRoot(l[k:]))
}
