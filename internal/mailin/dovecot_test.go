package mailin

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// testDovecot is a throwaway Dovecot IMAP server on loopback.
type testDovecot struct {
	addr, user, password string
}

// url is the poller URL for the test mailbox.
func (d *testDovecot) url() string { return "imap://" + d.user + "@" + d.addr + "/INBOX" }

// startDovecot runs a real Dovecot (package dovecot-imapd) for the test:
// plain IMAP on a free 127.0.0.1 port, no TLS, one user from a
// passwd-file, maildir storage, and every runtime file (base_dir,
// state_dir, log) in a temporary directory. As root, mail and login
// processes run as "nobody"; otherwise everything runs as the current user.
// It skips only when MASHANG_SKIP_DOVECOT=1 and fails when dovecot is
// missing.
func startDovecot(t *testing.T) *testDovecot {
	t.Helper()
	if os.Getenv("MASHANG_SKIP_DOVECOT") == "1" {
		t.Skip("MASHANG_SKIP_DOVECOT=1")
	}
	bin, err := exec.LookPath("dovecot")
	if err != nil {
		if _, serr := os.Stat("/usr/sbin/dovecot"); serr != nil {
			t.Fatal("dovecot not found: apt-get install -y dovecot-imapd (or set MASHANG_SKIP_DOVECOT=1)")
		}
		bin = "/usr/sbin/dovecot"
	}

	// Not t.TempDir: its parents are 0700, which "nobody" cannot traverse.
	dir, err := os.MkdirTemp("", "mashang-dovecot-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}

	runAs, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() == 0 {
		if runAs, err = user.Lookup("nobody"); err != nil {
			t.Fatalf("running as root needs user nobody: %v", err)
		}
	}
	group, err := user.LookupGroupId(runAs.Gid)
	if err != nil {
		t.Fatal(err)
	}
	home := filepath.Join(dir, "home")
	if err := os.Mkdir(home, 0o755); err != nil {
		t.Fatal(err)
	}
	uid, _ := strconv.Atoi(runAs.Uid)
	gid, _ := strconv.Atoi(runAs.Gid)
	if os.Geteuid() == 0 {
		if err := os.Chown(home, uid, gid); err != nil {
			t.Fatal(err)
		}
	}

	d := &testDovecot{user: "office", password: "s3cret-test"}
	passwd := fmt.Sprintf("%s:{PLAIN}%s::::\n", d.user, d.password)
	if err := os.WriteFile(filepath.Join(dir, "passwd"), []byte(passwd), 0o644); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	d.addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	conf := fmt.Sprintf(`
protocols = imap
listen = 127.0.0.1
base_dir = %[1]s/run
state_dir = %[1]s/state
log_path = %[1]s/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = %[2]s
default_internal_group = %[3]s
default_login_user = %[2]s
first_valid_uid = 1
first_valid_gid = 1
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%%u %[1]s/passwd
}
userdb {
  driver = static
  args = uid=%[4]d gid=%[5]d home=%[1]s/home/%%u
}
mail_location = maildir:~/Maildir
service imap-login {
  chroot =
  inet_listener imap {
    address = 127.0.0.1
    port = %[6]d
  }
  inet_listener imaps {
    port = 0
  }
}
service anvil {
  chroot =
}
`, dir, runAs.Username, group.Name, uid, gid, port)
	confPath := filepath.Join(dir, "dovecot.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}

	var out bytes.Buffer
	cmd := exec.Command(bin, "-F", "-c", confPath)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start dovecot: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	})
	deadline := time.Now().Add(15 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", d.addr, time.Second)
		if err == nil {
			c.Close()
			return d
		}
		select {
		case err := <-exited:
			log, _ := os.ReadFile(filepath.Join(dir, "dovecot.log"))
			t.Fatalf("dovecot exited: %v\n%s\n%s", err, out.String(), log)
		default:
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "dovecot.log"))
			t.Fatalf("dovecot did not listen on %s\n%s\n%s", d.addr, out.String(), log)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// client logs in to the test server with INBOX selected.
func (d *testDovecot) client(t *testing.T) *imapclient.Client {
	t.Helper()
	c, err := imapclient.DialInsecure(d.addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Login(d.user, d.password).Wait(); err != nil {
		t.Fatalf("login: %v", err)
	}
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatalf("select: %v", err)
	}
	return c
}

// appendFixtures puts fixture files into INBOX, unseen, with CRLF line ends.
func (d *testDovecot) appendFixtures(t *testing.T, files ...string) {
	t.Helper()
	raws := make([][]byte, len(files))
	for i, f := range files {
		raws[i] = readFixture(t, f)
	}
	d.appendRaw(t, raws...)
}

// appendRaw puts messages into INBOX, unseen, with CRLF line ends.
func (d *testDovecot) appendRaw(t *testing.T, msgs ...[]byte) {
	t.Helper()
	c := d.client(t)
	for i, m := range msgs {
		f := fmt.Sprintf("message %d", i+1)
		raw := bytes.ReplaceAll(bytes.ReplaceAll(m, []byte("\r\n"), []byte("\n")), []byte("\n"), []byte("\r\n"))
		cmd := c.Append("INBOX", int64(len(raw)), nil)
		if _, err := cmd.Write(raw); err != nil {
			t.Fatalf("append %s: %v", f, err)
		}
		if err := cmd.Close(); err != nil {
			t.Fatalf("append %s: %v", f, err)
		}
		if _, err := cmd.Wait(); err != nil {
			t.Fatalf("append %s: %v", f, err)
		}
	}
}

// counts returns how many messages INBOX holds and how many are unseen.
func (d *testDovecot) counts(t *testing.T) (total, unseen int) {
	t.Helper()
	c := d.client(t)
	all, err := c.UIDSearch(&imap.SearchCriteria{}, nil).Wait()
	if err != nil {
		t.Fatal(err)
	}
	un, err := c.UIDSearch(&imap.SearchCriteria{NotFlag: []imap.Flag{imap.FlagSeen}}, nil).Wait()
	if err != nil {
		t.Fatal(err)
	}
	return len(all.AllUIDs()), len(un.AllUIDs())
}
