package retention_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"mashang/internal/audit"
	"mashang/internal/auth"
	"mashang/internal/civil"
	"mashang/internal/cli"
	"mashang/internal/identity"
	"mashang/internal/intake"
	"mashang/internal/org"
	"mashang/internal/retention"
	"mashang/internal/store"
	"mashang/internal/web/webtest"
)

// scenario is a county's cases at now, each closed (or not) some time ago;
// the letters name them in the expectations below.
type scenario struct {
	ids  map[string]int64
	shas map[string]string
}

const day = 24 * time.Hour

// build makes the cases through intake (identity, an attachment, messages)
// and puts each in its state with the closing time the case table gives.
func build(t *testing.T, h *webtest.Harness, now time.Time) scenario {
	t.Helper()
	ctx := context.Background()
	a := h.App
	if _, err := a.Org.CreateUnit(ctx, auth.System("test"), org.UnitInput{Code: "MX", Name: "梅溪镇"}); err != nil {
		t.Fatal(err)
	}
	p, err := a.Org.CreatePerson(ctx, auth.System("test"), org.PersonInput{Name: "王某某", Unit: "MX"})
	if err != nil {
		t.Fatal(err)
	}
	sc := scenario{ids: map[string]int64{}, shas: map[string]string{}}
	ago := func(d time.Duration) string { return store.FormatInstant(now.Add(-d)) }
	date := func(d time.Duration) string { return civil.In(now.Add(d), a.Loc).String() }
	for _, c := range []struct {
		name, state, closed, reviewBy string
	}{
		{"A", "closed", ago(6 * 365 * day), date(-6*365*day + 30*day)}, // long past every period
		{"B", "closed", ago(4 * 365 * day), date(-4*365*day + 30*day)}, // past the attachment and message periods only
		{"C", "closed", ago(10 * day), date(20 * day)},                 // young: its review window is even open
		{"D", "closed", ago(6 * 365 * day), ""},                        // an appeal against its decision is undecided
		{"E", "merged", "", ""},                                        // merged into A: follows A
		{"F", "registered", "", ""},                                    // open, received long ago
		{"G", "refused", ago(6 * 365 * day), ""},                       // refused long ago
		{"H", "closed", ago(6 * 365 * day), date(5 * day)},             // the reporter may still ask for a review
		{"I", "review", "", ""},                                        // under review
	} {
		blob, err := a.Files.Put(ctx, strings.NewReader("%PDF-1.4 证据 "+c.name), 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		r, err := a.Intake.Submit(ctx, intake.Submission{Channel: "web", Content: "梅溪镇窗口推诿 " + c.name, Actor: "reporter", Unit: "MX",
			Reporter: identity.Identity{Name: "张" + c.name, Phone: fmt.Sprintf("1380013800%d", len(sc.ids)), Email: strings.ToLower(c.name) + "@example.cn",
				Address: "福建省福州市闽清县梅城镇解放大街" + c.name + "号"},
			Files: []intake.File{{Blob: blob, Filename: c.name + ".pdf", Source: intake.SourceReporter}}})
		if err != nil {
			t.Fatal(err)
		}
		id := r.CaseID
		sc.ids[c.name], sc.shas[c.name] = id, blob.SHA256
		var closed, reviewBy any
		if c.closed != "" {
			closed = c.closed
		}
		if c.reviewBy != "" {
			reviewBy = c.reviewBy
		}
		err = a.DB.Tx(ctx, func(tx *sql.Tx) error {
			for _, q := range []struct {
				sql  string
				args []any
			}{
				{`UPDATE cases SET state = $2, closed_at = $3, review_request_by = $4, received_at = $5, received_on = $6 WHERE id = $1`, []any{id, c.state, closed, reviewBy, ago(7 * 365 * day), date(-7 * 365 * day)}},
				{`INSERT INTO messages (case_id, at, direction, author, body) VALUES ($1, $2, 'from_reporter', '', '我还记得窗口工作人员的工号 9527')`, []any{id, ago(7 * 365 * day)}},
				{`INSERT INTO messages (case_id, at, direction, author, body) VALUES ($1, $2, 'to_reporter', 'user:clerk', '请补充材料')`, []any{id, ago(7 * 365 * day)}},
				{`INSERT INTO messages (case_id, at, direction, author, body) VALUES ($1, $2, 'reply', 'user:director', '经核查，情况属实，已责令整改。')`, []any{id, ago(7 * 365 * day)}},
				{`INSERT INTO case_events (case_id, at, actor, action, data, public) VALUES ($1, $2, 'reporter', 'review_request', '{"reason":"工号 9527 仍在推诿","round":1}', FALSE)`, []any{id, ago(7 * 365 * day)}},
			} {
				if _, err := tx.ExecContext(ctx, q.sql, q.args...); err != nil {
					return fmt.Errorf("%s: %w", q.sql, err)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	// E merged into A; D has a decision with an undecided appeal.
	exec := func(q string, args ...any) {
		if _, err := a.DB.Write.ExecContext(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec(`UPDATE cases SET merged_into = $1 WHERE id = $2`, sc.ids["A"], sc.ids["E"])
	exec(`INSERT INTO decisions (case_id, person_id, situation, catalog_version, sanctions, decided_on, rule_set, status, created_by, created_at, updated_at)
		VALUES ($1, $2, 'P1.2', '1', '["admonishment"]', $3, 'fuzhou-2015', 'in_force', 'test', $4, $4)`, sc.ids["D"], p.ID, date(-6*365*day), ago(6*365*day))
	exec(`INSERT INTO appeals (decision_id, filed_on, reason, decide_by, filed_by, created_at, updated_at)
		SELECT id, $2, '不服', $3, 'test', $4, $4 FROM decisions WHERE case_id = $1`, sc.ids["D"], date(-6*365*day), date(-6*365*day+30*day), ago(6*365*day))
	if _, err := a.Search.Index.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	return sc
}

func (sc scenario) names(ids []int64) []string {
	var out []string
	for _, id := range ids {
		for n, v := range sc.ids {
			if v == id {
				out = append(out, n)
			}
		}
	}
	sort.Strings(out)
	return out
}

type caseState struct {
	Identity, Mask, Phone bool
	Attachments, Bodies   int
	Reply                 bool
	Reason                bool
}

func stateOf(t *testing.T, db *store.DB, id int64) caseState {
	t.Helper()
	var s caseState
	var sealed []byte
	var mask string
	var phone sql.NullString
	if err := db.Read.QueryRow(`SELECT identity, identity_mask, phone_hash FROM cases WHERE id = $1`, id).Scan(&sealed, &mask, &phone); err != nil {
		t.Fatal(err)
	}
	s.Identity, s.Mask, s.Phone = len(sealed) > 0, mask != "", phone.Valid
	db.Read.QueryRow(`SELECT COUNT(*) FROM attachments WHERE case_id = $1`, id).Scan(&s.Attachments)
	db.Read.QueryRow(`SELECT COUNT(*) FROM messages WHERE case_id = $1 AND direction <> 'reply' AND body <> ''`, id).Scan(&s.Bodies)
	var reply string
	db.Read.QueryRow(`SELECT body FROM messages WHERE case_id = $1 AND direction = 'reply'`, id).Scan(&reply)
	s.Reply = reply != ""
	var data string
	db.Read.QueryRow(`SELECT data FROM case_events WHERE case_id = $1 AND action = 'review_request'`, id).Scan(&data)
	s.Reason = strings.Contains(data, "9527")
	return s
}

// The identities of cases closed more than the period ago go, and no
// younger case's; attachments and message bodies go by their own periods;
// a case whose review window or appeal is open is held; every erasure is
// audited; statistics and decisions stay. The expectations are written out
// by hand per case.
func TestRetentionErasesByPeriodAndHoldsOpenCases(t *testing.T) {
	webtest.Engines(t, func(t *testing.T, h *webtest.Harness) {
		ctx := context.Background()
		now := webtest.Start.Add(10 * 365 * day)
		sc := build(t, h, webtest.Start.Add(10*365*day))
		h.Clock.Set(now)
		svc := h.App.Retention
		svc.Periods = retention.Periods{Identities: 1825, Attachments: 365, Messages: 730}
		statsBefore := h.Must(200, "GET", "/api/v1/stats?from=2029-01-01&to=2036-12-31", h.Token(auth.Director), nil).Raw
		if !bytes.Contains(statsBefore, []byte(`"total":9,`)) {
			t.Fatalf("the scenario's nine cases are not in the statistics: %.200s", statsBefore)
		}
		all := map[string]caseState{}
		for n, id := range sc.ids {
			all[n] = stateOf(t, h.App.DB, id)
		}
		auditBefore, _ := audit.Verify(ctx, h.App.DB.Read)

		dry, err := svc.Run(ctx, true)
		if err != nil {
			t.Fatal(err)
		}
		var listed, held []int64
		for _, c := range dry.Cases {
			listed = append(listed, c.ID)
		}
		for _, c := range dry.Held {
			held = append(held, c.ID)
		}
		if got := sc.names(listed); !reflect.DeepEqual(got, []string{"A", "B", "E", "G"}) {
			t.Fatalf("dry run lists %v, want A B E G", got)
		}
		if got := sc.names(held); !reflect.DeepEqual(got, []string{"D", "H"}) {
			t.Fatalf("dry run holds %v, want D H", got)
		}
		for n, id := range sc.ids {
			if got := stateOf(t, h.App.DB, id); got != all[n] {
				t.Fatalf("the dry run changed case %s: %+v → %+v", n, all[n], got)
			}
		}

		res, err := svc.Run(ctx, false)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Cases) != 4 || res.Files != 4 {
			t.Fatalf("run: %+v", res)
		}
		kept := caseState{Identity: true, Mask: true, Phone: true, Attachments: 1, Bodies: 2, Reply: true, Reason: true}
		erased := caseState{Reply: true}
		want := map[string]caseState{
			"A": erased, "E": erased, "G": erased,
			"B": {Identity: true, Mask: true, Phone: true, Reply: true}, // identity kept four years in
			"C": kept, "D": kept, "F": kept, "H": kept, "I": kept,
		}
		for n, id := range sc.ids {
			if got := stateOf(t, h.App.DB, id); got != want[n] {
				t.Errorf("case %s: %+v, want %+v", n, got, want[n])
			}
			f, err := h.App.Files.Open(ctx, sc.shas[n])
			if err == nil {
				f.Close()
			}
			if gone := errors.Is(err, fs.ErrNotExist); gone != (want[n].Attachments == 0) {
				t.Errorf("case %s: attachment file gone = %v", n, gone)
			}
		}
		// Audited, chain intact: identity for A, E, G; attachments and messages for A, B, E, G.
		n, err := audit.Verify(ctx, h.App.DB.Read)
		if err != nil || n != auditBefore+4*3-1 {
			t.Fatalf("audit: %d entries (was %d), %v", n, auditBefore, err)
		}
		var ids, plaintext int
		h.App.DB.Read.QueryRow(`SELECT COUNT(*) FROM audit_log WHERE action = 'retention.identity_erased'`).Scan(&ids)
		h.App.DB.Read.QueryRow(`SELECT COUNT(*) FROM audit_log WHERE data LIKE '%9527%' OR data LIKE '%张%' OR data LIKE '%13800%' OR data LIKE '%解放大街%' OR data LIKE '%闽清县%'`).Scan(&plaintext)
		if ids != 3 || plaintext != 0 {
			t.Fatalf("identity erasures audited %d, audit entries holding erased text %d", ids, plaintext)
		}
		// The postal address goes with the identity it is sealed in: an
		// erased case keeps neither it nor its masked form; a kept one
		// still opens with it.
		for n, id := range sc.ids {
			var sealed []byte
			var mask, receipt string
			if err := h.App.DB.Read.QueryRow(`SELECT identity, identity_mask, receipt FROM cases WHERE id = $1`, id).Scan(&sealed, &mask, &receipt); err != nil {
				t.Fatal(err)
			}
			if want[n].Identity {
				who, err := h.App.Vault.OpenIdentity(sealed, intake.IdentityAAD(receipt))
				if err != nil || who.Address != "福建省福州市闽清县梅城镇解放大街"+n+"号" || !strings.Contains(mask, "福建省福州市闽清县****") {
					t.Errorf("case %s: the kept identity's address %q (%v), mask %q", n, who.Address, err, mask)
				}
			} else if len(sealed) > 0 || strings.Contains(mask, "闽清县") {
				t.Errorf("case %s: the address outlived the erasure (sealed %d bytes, mask %q)", n, len(sealed), mask)
			}
		}
		// Statistics and the decision stay; search no longer finds the erased words.
		if after := h.Must(200, "GET", "/api/v1/stats?from=2029-01-01&to=2036-12-31", h.Token(auth.Director), nil).Raw; !bytes.Equal(after, statsBefore) {
			t.Fatalf("statistics changed:\n%s\n%s", statsBefore, after)
		}
		var decisions int
		h.App.DB.Read.QueryRow(`SELECT COUNT(*) FROM decisions`).Scan(&decisions)
		if decisions != 1 {
			t.Fatal("the decision was removed")
		}
		found := h.Must(200, "GET", "/api/v1/cases?q="+url.QueryEscape("工号 9527"), h.Token(auth.Director), nil)
		var got []int64
		for _, c := range found.JSON["cases"].([]any) {
			got = append(got, int64(c.(map[string]any)["id"].(float64)))
		}
		if names := sc.names(got); !reflect.DeepEqual(names, []string{"C", "D", "F", "H", "I"}) {
			t.Fatalf("search for the erased words finds %v", names)
		}
		// The staff history says what went, and nothing is left to do.
		var ev string
		h.App.DB.Read.QueryRow(`SELECT data FROM case_events WHERE case_id = $1 AND action = 'identity_erased'`, sc.ids["A"]).Scan(&ev)
		var evm map[string]any
		if json.Unmarshal([]byte(ev), &evm) != nil || evm["period_days"] != 1825.0 {
			t.Fatalf("history: %q", ev)
		}
		again, err := svc.Run(ctx, false)
		if err != nil || len(again.Cases) != 0 {
			t.Fatalf("second run: %+v %v", again, err)
		}
	})
}

// A period of 0 erases at once after closing, but still not while the
// review window is open; "never" keeps.
func TestRetentionZeroAndNever(t *testing.T) {
	h := webtest.New(t, "")
	ctx := context.Background()
	now := webtest.Start.Add(10 * 365 * day)
	sc := build(t, h, now)
	h.Clock.Set(now)
	h.App.Retention.Periods = retention.Periods{Identities: 0, Attachments: retention.Never, Messages: retention.Never}
	res, err := h.App.Retention.Run(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	var ids, held []int64
	for _, c := range res.Cases {
		ids = append(ids, c.ID)
		if c.Attachments != 0 || c.Messages != 0 {
			t.Fatalf("never means never: %+v", c)
		}
	}
	for _, c := range res.Held {
		held = append(held, c.ID)
	}
	if got := sc.names(ids); !reflect.DeepEqual(got, []string{"A", "B", "E", "G"}) {
		t.Fatalf("period 0 erased %v", got)
	}
	if got := sc.names(held); !reflect.DeepEqual(got, []string{"C", "D", "H"}) {
		t.Fatalf("period 0 held %v (C's review window is open)", got)
	}
}

// `mashang jobs run retention --dry-run` prints one line per case with its
// id and changes nothing; without --dry-run it erases, reading the period
// from --retain-identities (flag after the job name) or the environment.
func TestJobsRunRetentionCLI(t *testing.T) {
	h := webtest.New(t, "")
	sc := build(t, h, time.Now())
	env := map[string]string{"MASHANG_DATA": h.App.Config.DataDir, "MASHANG_RETAIN_ATTACHMENTS": "never", "MASHANG_RETAIN_MESSAGES": "never"}
	run := func(args ...string) (int, string) {
		var out, errb bytes.Buffer
		e := &cli.Env{Ctx: context.Background(), Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return env[k] }}
		code := e.Run(args)
		return code, out.String() + errb.String()
	}
	code, out := run("jobs", "run", "retention", "--dry-run", "--retain-identities", "1825")
	if code != 0 {
		t.Fatalf("%d %s", code, out)
	}
	for _, n := range []string{"A", "E", "G"} {
		if !strings.Contains(out, fmt.Sprintf("case %d (closed ", sc.ids[n])) || !strings.Contains(out, "would erase identity") {
			t.Errorf("dry run does not list case %s:\n%s", n, out)
		}
	}
	if strings.Contains(out, fmt.Sprintf("case %d (", sc.ids["B"])) || !strings.Contains(out, fmt.Sprintf("case %d held: an appeal", sc.ids["D"])) {
		t.Errorf("dry run output:\n%s", out)
	}
	if s := stateOf(t, h.App.DB, sc.ids["A"]); !s.Identity {
		t.Fatal("the dry run erased")
	}
	env["MASHANG_RETAIN_IDENTITIES"] = "1825"
	code, out = run("jobs", "run", "retention")
	if code != 0 || strings.Count(out, ": erased identity") != 3 || !strings.Contains(out, "retention: 3 cases erased") {
		t.Fatalf("%d %s", code, out)
	}
	if s := stateOf(t, h.App.DB, sc.ids["A"]); s.Identity || s.Phone || s.Mask {
		t.Fatal("not erased")
	}
	if code, out := run("jobs", "run", "sweep", "--dry-run"); code != 2 {
		t.Fatalf("--dry-run with sweep: %d %s", code, out)
	}
	if code, out := run("jobs", "run", "retention", "--retain-identities", "soon"); code != 2 || !strings.Contains(out, "never") {
		t.Fatalf("bad period: %d %s", code, out)
	}
}
