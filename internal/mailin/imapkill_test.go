package mailin

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// fileSink stores each message as a file named after its MessageID, synced
// before Deliver returns, and dedupes on the name; every real store also
// appends a line to a journal, so duplicates would show. It survives the
// process, like the real case store.
type fileSink struct {
	dir   string
	delay time.Duration
}

func (s fileSink) Deliver(ctx context.Context, m Message, raw []byte) error {
	time.Sleep(s.delay)
	sum := sha256.Sum256([]byte(m.MessageID))
	name := filepath.Join(s.dir, hex.EncodeToString(sum[:])+".eml")
	f, err := os.OpenFile(name+".tmp", os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(raw); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	f.Close()
	if _, err := os.Stat(name); err == nil {
		return os.Remove(name + ".tmp") // already stored: idempotent
	}
	if err := os.Rename(name+".tmp", name); err != nil {
		return err
	}
	j, err := os.OpenFile(filepath.Join(s.dir, "journal"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	defer j.Close()
	_, err = fmt.Fprintln(j, m.MessageID)
	if err == nil {
		err = j.Sync()
	}
	return err
}

// TestIMAPPollerProcess is the poller run as a separate process by
// TestIMAPKilledProcess; it does nothing in a normal test run.
func TestIMAPPollerProcess(t *testing.T) {
	url := os.Getenv("MAILIN_KILL_URL")
	if url == "" {
		t.Skip("helper process only")
	}
	p, err := NewIMAPPoller(IMAPConfig{URL: url, Password: os.Getenv("MAILIN_KILL_PASSWORD"),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))},
		fileSink{dir: os.Getenv("MAILIN_KILL_STORE"), delay: 150 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.PollOnce(context.Background())
	t.Fatalf("the poller should have been killed before finishing (err %v)", err)
}

// TestIMAPKilledProcess kills (SIGKILL) a poller process in the middle of
// a batch, restarts the poller, and checks every message was stored
// exactly once and is \Seen.
func TestIMAPKilledProcess(t *testing.T) {
	d := startDovecot(t)
	d.appendFixtures(t, allFixtures...)
	store := t.TempDir()

	cmd := exec.Command(os.Args[0], "-test.run=^TestIMAPPollerProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), "MAILIN_KILL_URL="+d.url(), "MAILIN_KILL_PASSWORD="+d.password,
		"MAILIN_KILL_STORE="+store)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for len(storedFiles(t, store)) < 3 {
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			t.Fatal("the poller process stored nothing")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("poller process ended with %v, want killed", err)
	}
	before := len(storedFiles(t, store))
	_, unseen := d.counts(t)
	if before >= 8 || unseen == 0 || before+unseen < 8 {
		t.Fatalf("after kill: %d stored, %d unseen; want a batch cut in the middle with nothing lost", before, unseen)
	}

	p := newTestPoller(t, d, fileSink{dir: store}, nil)
	if n, err := p.PollOnce(context.Background()); err != nil || n != unseen {
		t.Fatalf("restarted poller: %d, %v; want %d, nil", n, err, unseen)
	}
	if got := len(storedFiles(t, store)); got != 8 {
		t.Errorf("stored %d messages, want 8", got)
	}
	journal, err := os.ReadFile(filepath.Join(store, "journal"))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, id := range strings.Fields(string(journal)) {
		seen[id]++
	}
	for id := range fixtureSubjects {
		if seen[id] != 1 {
			t.Errorf("%s stored %d times, want 1", id, seen[id])
		}
	}
	if total, unseen := d.counts(t); total != 8 || unseen != 0 {
		t.Errorf("mailbox: %d messages, %d unseen; want 8, 0", total, unseen)
	}
}

func storedFiles(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.eml"))
	if err != nil {
		t.Fatal(err)
	}
	return files
}
