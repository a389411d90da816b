package notify

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"mashang/internal/access"
	"mashang/internal/accountability"
	"mashang/internal/auth"
	"mashang/internal/cases"
	"mashang/internal/civil"
	"mashang/internal/docket"
)

// The rules: which change tells whom. They run inside the transaction of
// the change (the hooks below), read what they need of the case there, and
// ask the access policy who may know of it: a covert plan's case tells no
// one who may not see it.

// caseFacts is what the rules read of a case.
type caseFacts struct {
	id          int64
	receipt     string
	notify      bool
	anonymous   bool
	hasPhone    bool
	hasEmail    bool
	reviewCount int
	facts       access.Facts
}

func readCase(ctx context.Context, tx *sql.Tx, id int64) (caseFacts, error) {
	c := caseFacts{id: id}
	err := tx.QueryRowContext(ctx, `SELECT c.receipt, c.notify, c.anonymous, c.phone_hash IS NOT NULL, c.email_hash IS NOT NULL, c.review_count,
		`+access.FactsSQL("c")+` FROM cases c WHERE c.id = $1`, id).
		Scan(append([]any{&c.receipt, &c.notify, &c.anonymous, &c.hasPhone, &c.hasEmail, &c.reviewCount}, c.facts.Dest()...)...)
	if err != nil {
		return c, fmt.Errorf("notify: read case %d: %w", id, err)
	}
	return c, nil
}

// OnEvent is the hook on the case record's history (docket.Store.OnAppend):
// the staff line of an action tells the people it concerns.
func (s *Service) OnEvent(ctx context.Context, tx *sql.Tx, e docket.Event) error {
	if e.Public || !s.can(Email) && !s.can(SMS) {
		return nil
	}
	data, _ := e.Data.(map[string]any)
	switch e.Action {
	case docket.Assign:
		return s.assigned(ctx, tx, e, str(data["user"]))
	case docket.Transfer:
		return s.transferred(ctx, tx, e, str(data["unit_name"]))
	case docket.Accept:
		return s.toReporter(ctx, tx, e, ReporterAccepted, map[string]any{"finish_by": str(data["finish_by"])})
	case docket.Refuse:
		return s.toReporter(ctx, tx, e, ReporterRefused, map[string]any{"reason": str(data["reason"])})
	case docket.Reply:
		return s.replied(ctx, tx, e, str(data["review_request_by"]))
	case docket.Decide:
		if str(data["status"]) != accountability.StatusPending {
			return nil
		}
		return s.toHolders(ctx, tx, e.Case, access.DecisionApprove, Approval, fmt.Sprintf("decision:%v", data["decision_id"]),
			map[string]any{"what": "decision", "decision_id": data["decision_id"]}, e.At)
	case docket.Supervise:
		// The supervised office's directors (those who act on its cases).
		return s.toHolders(ctx, tx, e.Case, access.CaseAssign, Supervision, fmt.Sprintf("supervision:case:%d:%s", e.Case, str(data["deadline"])),
			map[string]any{"deadline": str(data["deadline"]), "instructions": str(data["instructions"])}, e.At)
	case docket.Appeal:
		return s.toHolders(ctx, tx, e.Case, access.AppealDecide, AppealDue, fmt.Sprintf("appeal:%v", data["appeal_id"]),
			map[string]any{"appeal_id": data["appeal_id"], "decide_by": str(data["decide_by"])}, e.At)
	}
	return nil
}

// str renders a value of an event's data as text ("" for none).
func str(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case fmt.Stringer:
		return x.String()
	}
	return fmt.Sprint(v)
}

func (s *Service) assigned(ctx context.Context, tx *sql.Tx, e docket.Event, username string) error {
	c, err := readCase(ctx, tx, e.Case)
	if err != nil {
		return err
	}
	all, err := activeStaff(ctx, tx)
	if err != nil {
		return err
	}
	for _, m := range all {
		if m.p.Username == username && s.d.Policy.On(m.p, access.CaseRead, c.facts) {
			return s.toStaff(ctx, tx, m, Assigned, c.id, "", map[string]any{}, e.At)
		}
	}
	return nil
}

// transferred tells the liaisons of the unit the case went to, and the reporter.
func (s *Service) transferred(ctx context.Context, tx *sql.Tx, e docket.Event, unitName string) error {
	if err := s.toHolders(ctx, tx, e.Case, access.CaseReturn, UnitTransfer, "", map[string]any{"unit_name": unitName}, e.At); err != nil {
		return err
	}
	return s.toReporter(ctx, tx, e, ReporterTransferred, map[string]any{"unit_name": unitName})
}

func (s *Service) replied(ctx context.Context, tx *sql.Tx, e docket.Event, reviewBy string) error {
	c, err := readCase(ctx, tx, e.Case)
	if err != nil {
		return err
	}
	kind := ReporterReplied
	if c.reviewCount > 0 {
		kind = ReporterReviewAnswered
	}
	return s.toReporter(ctx, tx, e, kind, map[string]any{"review_request_by": reviewBy, "round": c.reviewCount})
}

// broadcast leaves out the administrator, who may act in every role but is
// not the one a case's news is for (a case assigned to them reaches them).
func broadcast(r auth.Role) bool { return r != auth.Admin && r != auth.Auditor }

// toHolders tells every active staff member (administrators aside) who
// holds perm on the case.
func (s *Service) toHolders(ctx context.Context, tx *sql.Tx, caseID int64, perm access.Perm, kind Kind, dedupe string, data map[string]any, now time.Time) error {
	c, err := readCase(ctx, tx, caseID)
	if err != nil {
		return err
	}
	all, err := activeStaff(ctx, tx)
	if err != nil {
		return err
	}
	for _, m := range all {
		if broadcast(m.p.Role) && s.d.Policy.On(m.p, perm, c.facts) {
			if err := s.toStaff(ctx, tx, m, kind, caseID, dedupe, data, now); err != nil {
				return err
			}
		}
	}
	return nil
}

// toReporter queues kind for the case's reporter when they gave a phone or
// an e-mail address and agreed to be told: by e-mail when they gave one
// and mail goes out, else by SMS. Anonymous reporters get nothing: their
// channel is the receipt.
func (s *Service) toReporter(ctx context.Context, tx *sql.Tx, e docket.Event, kind Kind, data map[string]any) error {
	c, err := readCase(ctx, tx, e.Case)
	if err != nil {
		return err
	}
	if !c.notify || c.anonymous || c.facts.Covert {
		return nil
	}
	var ch Channel
	switch {
	case c.hasEmail && s.can(Email):
		ch = Email
	case c.hasPhone && s.can(SMS):
		ch = SMS
	default:
		return nil
	}
	data["receipt"] = c.receipt
	return s.enqueue(ctx, tx, note{kind: kind, caseID: c.id, channel: ch, data: data}, e.At)
}

// OnNotices is the hook on supervision (cases.Service.OnNotices): a case
// due soon tells the people whose case it is (its handler; for a case
// transferred to a unit, the unit's liaisons), an overdue one them and the
// directors. Once per case, deadline and person.
func (s *Service) OnNotices(ctx context.Context, tx *sql.Tx, raised []cases.RaisedNotice) error {
	if len(raised) == 0 || !s.can(Email) && !s.can(SMS) {
		return nil
	}
	all, err := activeStaff(ctx, tx)
	if err != nil {
		return err
	}
	now := s.d.Clock.Now()
	for _, n := range raised {
		c, err := readCase(ctx, tx, n.CaseID)
		if err != nil {
			return err
		}
		kind := DueSoon
		if n.Kind == docket.Overdue {
			kind = Overdue
		}
		dedupe := fmt.Sprintf("%s:case:%d:%s", kind, n.CaseID, n.Deadline)
		data := map[string]any{"deadline": n.Deadline.String()}
		for _, m := range all {
			if !s.concerns(m, c, kind) {
				continue
			}
			if err := s.toStaff(ctx, tx, m, kind, c.id, dedupe, data, now); err != nil {
				return err
			}
		}
	}
	return nil
}

// concerns reports whether a deadline of case c is m's to hear of: their
// own case (assigned to them; transferred to their unit), and for an
// overdue one the office's directors (those who assign cases, the
// administrator aside).
func (s *Service) concerns(m staff, c caseFacts, kind Kind) bool {
	if c.facts.Assignee != 0 && c.facts.Assignee == m.p.UserID && s.d.Policy.On(m.p, access.CaseRead, c.facts) {
		return true
	}
	if !broadcast(m.p.Role) {
		return false
	}
	if s.d.Policy.Scope(m.p, access.CaseReturn) == access.Unit && s.d.Policy.On(m.p, access.CaseReturn, c.facts) {
		return true
	}
	return kind == Overdue && s.d.Policy.On(m.p, access.CaseAssign, c.facts)
}

// OnPublicationProposed tells those who approve publications that one
// waits (publication.Service.OnProposed).
func (s *Service) OnPublicationProposed(ctx context.Context, tx *sql.Tx, id int64, kind string) error {
	if !s.can(Email) && !s.can(SMS) {
		return nil
	}
	all, err := activeStaff(ctx, tx)
	if err != nil {
		return err
	}
	now := s.d.Clock.Now()
	for _, m := range all {
		if broadcast(m.p.Role) && s.d.Policy.Allows(m.p, access.PublicationApprove) {
			if err := s.toStaff(ctx, tx, m, Approval, 0, fmt.Sprintf("publication:%d", id),
				map[string]any{"what": "publication", "publication_id": id, "publication_kind": kind}, now); err != nil {
				return err
			}
		}
	}
	return nil
}

// AppealReminderDays: an undecided appeal whose time to decide ends within
// this many days reminds those who decide it (once per appeal and date).
const AppealReminderDays = 3

// remindAppeals queues the reminders of appeals soon due (part of every
// run of the sender).
func (s *Service) remindAppeals(ctx context.Context, now time.Time) (int, error) {
	if !s.can(Email) && !s.can(SMS) {
		return 0, nil
	}
	today := civil.In(now, s.d.Loc)
	type due struct {
		id, caseID int64
		by         string
	}
	rows, err := s.d.DB.Read.QueryContext(ctx, `SELECT a.id, d.case_id, a.decide_by FROM appeals a JOIN decisions d ON d.id = a.decision_id
		WHERE a.outcome = '' AND a.decide_by <= $1 AND a.decide_by >= $2 ORDER BY a.id`,
		today.AddDays(AppealReminderDays).String(), today.String())
	if err != nil {
		return 0, fmt.Errorf("notify: appeals due: %w", err)
	}
	var list []due
	for rows.Next() {
		var d due
		if err := rows.Scan(&d.id, &d.caseID, &d.by); err != nil {
			rows.Close()
			return 0, err
		}
		list = append(list, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(list) == 0 {
		return 0, err
	}
	err = s.d.DB.Tx(ctx, func(tx *sql.Tx) error {
		for _, d := range list {
			if err := s.toHolders(ctx, tx, d.caseID, access.AppealDecide, AppealDue, fmt.Sprintf("appeal:%d:due:%s", d.id, d.by),
				map[string]any{"appeal_id": d.id, "decide_by": d.by, "reminder": true}, now); err != nil {
				return err
			}
		}
		return nil
	})
	return len(list), err
}

// errNoAddress cancels a row whose recipient has no address (any more).
var errNoAddress = errors.New("no address for this channel")
