package notify_test

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// queued lists the outbox rows of a case (or of no case: 0) as "kind user".
func (e *env) queued(t *testing.T, caseID int64) []string {
	t.Helper()
	q, err := e.h.App.DB.Read.Query(`SELECT o.kind, COALESCE(u.username, '') FROM outbox o LEFT JOIN users u ON u.id = o.user_id
		WHERE COALESCE(o.case_id, 0) = $1 AND o.user_id IS NOT NULL ORDER BY o.id`, caseID)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	var rows []string
	for q.Next() {
		var k, u string
		if err := q.Scan(&k, &u); err != nil {
			t.Fatal(err)
		}
		rows = append(rows, k+" "+u)
	}
	return rows
}

// subjects are the subjects of the mails to addr.
func (e *env) subjects(t *testing.T, addr string) []string {
	t.Helper()
	var out []string
	for _, m := range mailsTo(e.relay, addr) {
		env, err := m.Parse()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, env.GetHeader("Subject"))
	}
	return out
}

// The staff notifications not covered elsewhere: a case transferred to a
// unit tells that unit's liaison (and no other unit's); a decision waiting
// for approval tells the leader who approves; an appeal tells those who
// decide it when it is filed, and reminds them once when its time to
// decide is nearly out. Each goes once, however often the sender runs.
func TestStaffNotificationsTransferApprovalAppeal(t *testing.T) {
	engines(t, func(t *testing.T, dbURL string) {
		e := setup(t, dbURL)
		h := e.h
		for _, u := range []map[string]any{
			{"code": "MQ", "name": "闽清县", "kind": "county"},
			{"code": "MQ-MX", "name": "梅溪镇", "kind": "town", "parent": "MQ"},
			{"code": "MQ-MC", "name": "梅城镇", "kind": "town", "parent": "MQ"},
		} {
			h.Must(201, "POST", "/api/v1/units", e.admin, u)
		}
		for _, u := range []map[string]any{
			{"username": "xu", "role": "liaison", "unit": "MQ-MX", "email": "xu@meixi.example.cn"},
			{"username": "mc", "role": "liaison", "unit": "MQ-MC", "email": "mc@meicheng.example.cn"},
			{"username": "zheng", "role": "leader", "email": "zheng@minqing.example.cn"},
			{"username": "wu", "role": "orgdept", "email": "wu@minqing.example.cn"},
		} {
			u["password"] = pw
			h.Must(201, "POST", "/api/v1/users", e.admin, u)
		}

		// Transferred to 梅溪镇: its liaison hears, 梅城镇's does not.
		r := h.Must(201, "POST", "/api/v1/intake", e.admin, map[string]any{"channel": "hotline", "content": "来电反映梅溪镇窗口推诿", "unit": "MQ-MX"})
		moved := int64(r.JSON["case_id"].(float64))
		e.act(t, moved, map[string]any{"action": "transfer", "unit": "MQ-MX", "reason": "属地办理"})
		if got := fmt.Sprint(e.queued(t, moved)); got != "[unit_transfer xu]" {
			t.Fatalf("queued on transfer: %s", got)
		}
		e.run(t)
		e.run(t)
		if s := e.subjects(t, "xu@meixi.example.cn"); len(s) != 1 || !strings.Contains(s[0], fmt.Sprintf("#%d", moved)) {
			t.Fatalf("the liaison's mails: %q", s)
		}
		if s := e.subjects(t, "mc@meicheng.example.cn"); len(s) != 0 {
			t.Fatalf("another unit's liaison was told: %q", s)
		}

		// A decision waiting for approval: the leader hears, once.
		h.Must(200, "PUT", "/api/v1/accountability/settings", e.admin, map[string]any{"decision_approval": true})
		person := int64(h.Must(201, "POST", "/api/v1/people", e.admin, map[string]any{"name": "赵某", "unit": "MQ"}).JSON["id"].(float64))
		r = h.Must(201, "POST", "/api/v1/intake", e.admin, map[string]any{"channel": "hotline", "content": "办事窗口推诿，要求跑了三趟",
			"situation": "P1.2", "unit": "MQ", "person_id": person})
		c := int64(r.JSON["case_id"].(float64))
		e.act(t, c, map[string]any{"action": "accept"})
		e.act(t, c, map[string]any{"action": "assign", "user": "li"})
		e.act(t, c, map[string]any{"action": "conclude", "finding": "verified", "person_ids": []int64{person}})
		today := h.Clock.Now().In(h.App.Loc).Format("2006-01-02")
		d := h.Must(201, "POST", fmt.Sprintf("/api/v1/cases/%d/decisions", c), e.dir,
			map[string]any{"person_id": person, "situation": "P1.2", "sanctions": []string{"circulated_criticism"}, "decided_on": today})
		if d.JSON["status"] != "pending" {
			t.Fatalf("decision: %s", d.Raw)
		}
		decision := int64(d.JSON["id"].(float64))
		e.run(t)
		e.run(t)
		if s := e.subjects(t, "zheng@minqing.example.cn"); len(s) != 1 || !strings.Contains(s[0], "问责决定") {
			t.Fatalf("the leader's mails on a pending decision: %q", s)
		}
		if s := e.subjects(t, "wu@minqing.example.cn"); len(s) != 0 {
			t.Fatalf("the organisation department was asked to approve: %q", s)
		}
		h.Must(200, "POST", fmt.Sprintf("/api/v1/decisions/%d/approve", decision), e.login(t, "zheng"), nil)

		// An appeal: those who decide it hear when it is filed …
		a := h.Must(201, "POST", fmt.Sprintf("/api/v1/decisions/%d/appeals", decision), e.dir, map[string]any{"filed_on": today, "reason": "不服处理决定"})
		decideBy := a.JSON["decide_by"].(string)
		e.run(t)
		for _, addr := range []string{"wu@minqing.example.cn", "zheng@minqing.example.cn"} {
			if n := len(e.subjects(t, addr)); addr == "wu@minqing.example.cn" && n != 1 || addr == "zheng@minqing.example.cn" && n != 2 {
				t.Fatalf("mails to %s after the appeal: %q", addr, e.subjects(t, addr))
			}
		}
		// … and once more when its time to decide is nearly out (two days
		// before decide_by), not again on later runs that day.
		by, err := time.ParseInLocation("2006-01-02", decideBy, h.App.Loc)
		if err != nil {
			t.Fatal(err)
		}
		h.Clock.Set(by.AddDate(0, 0, -2).Add(9 * time.Hour))
		for range 2 {
			if _, err := h.App.Notify.SendDue(e.ctx); err != nil {
				t.Fatal(err)
			}
		}
		wu := e.subjects(t, "wu@minqing.example.cn")
		if len(wu) != 2 {
			t.Fatalf("the organisation department's mails after the reminder: %q", wu)
		}
		var reminders int
		h.App.DB.Read.QueryRow(`SELECT COUNT(*) FROM outbox WHERE kind = 'appeal_due' AND dedupe LIKE '%:due:%'`).Scan(&reminders)
		if reminders != 2 { // wu and zheng, once each
			t.Fatalf("%d reminders queued", reminders)
		}
	})
}
