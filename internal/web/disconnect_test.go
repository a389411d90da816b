package web_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"mashang/internal/auth"
	"mashang/internal/store"
	"mashang/internal/web/webtest"
)

// Clients that go away in the middle of their request never fail or delay
// the reports they share a group commit with. The disconnections are
// forced at the points that matter, on both engines: the committer is held
// while every request is queued; the leaving clients go away while queued,
// and on PostgreSQL the first report of the batch is held in the middle of
// its audit-log statement (a row lock the test takes) while its client goes
// away. Then, under load, clients that leave at once run beside clients
// that stay. Every report answered 201 is stored, nothing answers 5xx, the
// server saw the clients leave (499 in its metrics) and the audit chain
// verifies.
func TestDisconnectingClientsFailNobodyElse(t *testing.T) {
	webtest.Engines(t, func(t *testing.T, h *webtest.Harness) {
		ctx := context.Background()
		db := h.App.DB
		type result struct {
			status  int
			receipt string
			err     error
		}
		post := func(ctx context.Context, i int, out chan<- result) {
			body := fmt.Sprintf(`{"content":"第 %d 件：窗口推诿，群众排队两小时","anonymous":true}`, i)
			req, _ := http.NewRequestWithContext(ctx, "POST", h.URL+"/api/v1/reports", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			// A connection of its own: going away closes it.
			client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
			res, err := client.Do(req)
			if err != nil {
				out <- result{err: err}
				return
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			var r struct{ Receipt string }
			json.Unmarshal(b, &r)
			out <- result{status: res.StatusCode, receipt: r.Receipt}
		}

		// The committer is held while the requests queue behind it.
		hold, started := make(chan struct{}), make(chan struct{})
		go db.Batch(ctx, func(context.Context, *sql.Tx) error { close(started); <-hold; return nil })
		<-started
		const stay, leave = 12, 12
		stayers := make(chan result, stay)
		leavers := make(chan result, leave)
		leaveCtx, goAway := context.WithCancel(ctx)
		// The first of the batch is a client that will leave.
		go post(leaveCtx, 0, leavers)
		waitQueued(t, db, 1)
		for i := 1; i <= stay+leave-1; i++ {
			if i%2 == 1 {
				go post(ctx, i, stayers)
			} else {
				go post(leaveCtx, i, leavers)
			}
		}
		waitQueued(t, db, stay+leave)
		var lock *sql.Tx
		if db.Engine == store.Postgres {
			// The first report's audit-log statement will wait on this row.
			var err error
			if lock, err = db.Write.BeginTx(ctx, nil); err != nil {
				t.Fatal(err)
			}
			if _, err := lock.ExecContext(ctx, `SELECT seq FROM audit_head WHERE id = 1 FOR UPDATE`); err != nil {
				t.Fatal(err)
			}
		}
		if lock != nil {
			// The batch starts; its first report waits in its audit
			// statement while every leaving client goes away.
			close(hold)
			waitFor(t, func() bool {
				var n int
				db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'UPDATE audit_head%'`).Scan(&n)
				return n == 1
			})
		}
		goAway() // every leaving client closes its connection
		// Until the server has seen every one of them go (its request's
		// context ended while it waited for the commit).
		waitFor(t, func() bool { return db.Abandoned() == leave })
		if lock != nil {
			lock.Rollback()
		} else {
			close(hold)
		}
		for range leave {
			if r := <-leavers; r.err == nil {
				t.Errorf("a leaving client got an answer: %d", r.status)
			}
		}
		var acked []string
		for range stay {
			r := <-stayers
			if r.err != nil || r.status != 201 {
				t.Fatalf("a client that stayed: %d %v", r.status, r.err)
			}
			acked = append(acked, r.receipt)
		}
		// Each leaving client's request is answered 499 in the server's
		// metrics once its handler returns. On SQLite they left while
		// queued, so none was written. On PostgreSQL the batch had begun:
		// intake's group writer was writing all of its reports together,
		// held in the audit statement, so a leaving client's report may be
		// stored and answered (201) to nobody; never a 5xx.
		waitFor(t, func() bool { return statusCount(t, h, "499")+statusCount(t, h, "201") == stay+leave })
		if gone := statusCount(t, h, "499"); db.Engine == store.SQLite && gone < leave-1 {
			t.Fatalf("the server saw %d clients leave, want at least %d (those cancelled while queued)", gone, leave-1)
		}

		// Under load: clients leaving after a few milliseconds beside
		// clients that stay.
		var mu sync.Mutex
		var wg sync.WaitGroup
		deadline := time.Now().Add(2 * time.Second)
		for c := range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; time.Now().Before(deadline); i++ {
					out := make(chan result, 1)
					if c%2 == 0 {
						post(ctx, 1000*(c+1)+i, out)
						r := <-out
						if r.err != nil || r.status != 201 {
							t.Errorf("a client that stayed, under load: %d %v", r.status, r.err)
							return
						}
						mu.Lock()
						acked = append(acked, r.receipt)
						mu.Unlock()
						continue
					}
					lctx, cancel := context.WithTimeout(ctx, time.Duration(1+i%7)*time.Millisecond)
					post(lctx, 1000*(c+1)+i, out)
					<-out
					cancel()
				}
			}()
		}
		wg.Wait()
		have := map[string]bool{}
		rows, err := db.Read.QueryContext(ctx, `SELECT receipt FROM cases`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var r string
			rows.Scan(&r)
			have[r] = true
		}
		rows.Close()
		for _, r := range acked {
			if !have[r] {
				t.Fatalf("report %s answered 201 is not stored", r)
			}
		}
		if n := statusCount(t, h, "5"); n != 0 {
			t.Fatalf("%d answers 5xx", n)
		}
		h.Must(200, "GET", "/api/v1/audit/verify", h.Token(auth.Admin), nil)
		t.Logf("%d reports answered 201, all stored; %d cases; %d requests whose client left", len(acked), len(have), statusCount(t, h, "499"))
	})
}

func waitQueued(t *testing.T, db *store.DB, n int) {
	t.Helper()
	waitFor(t, func() bool { return db.QueueLen() == n })
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 20s")
		}
		time.Sleep(time.Millisecond)
	}
}

// statusCount adds up the server's report requests answered with a status
// starting with prefix ("499", "5").
func statusCount(t *testing.T, h *webtest.Harness, prefix string) int {
	t.Helper()
	mfs, err := h.Server.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, mf := range mfs {
		if mf.GetName() != "mashang_http_requests_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			if label(m, "route") == "POST /api/v1/reports" && strings.HasPrefix(label(m, "status"), prefix) {
				n += int(m.GetCounter().GetValue())
			}
		}
	}
	return n
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}
