package access

import (
	"fmt"
	"slices"
	"strings"

	"mashang/internal/auth"
)

// Perm names a permission: a row of the table.
type Perm string

// The permissions (the table says who holds them, and where).
const (
	CaseRead     Perm = "case.read"     // lists, search, the case page and API
	CaseExport   Perm = "case.export"   // the lists as CSV and XLSX
	CaseRegister Perm = "case.register" // clerks' entry of calls, letters, visits
	CaseAccept   Perm = "case.accept"   // the state machine's actions (package cases) …
	CaseRefuse   Perm = "case.refuse"
	CaseTransfer Perm = "case.transfer"
	CaseReturn   Perm = "case.return"
	CaseAssign   Perm = "case.assign"
	CaseExtend   Perm = "case.extend"
	CaseConclude Perm = "case.conclude"
	CaseReply    Perm = "case.reply"
	CaseClose    Perm = "case.close"
	CaseMerge    Perm = "case.merge"
	CaseNote     Perm = "case.note"
	// CaseSupervise is the office above's: marking a lower office's case
	// as supervised (督办). It reaches the offices below one's own only.
	CaseSupervise Perm = "case.supervise"

	ReporterIdentity Perm = "reporter.identity" // the reporter's identity, masked, and whether there is one
	ReporterThread   Perm = "reporter.thread"   // the messages between office and reporter, the replies
	ReporterFiles    Perm = "reporter.files"    // the files the reporter sent
	ReporterRepeat   Perm = "reporter.repeat"   // the other cases of the same reporter
	ReporterWrite    Perm = "reporter.write"    // writing to the reporter
	ReporterReveal   Perm = "reporter.reveal"   // opening the identity in clear (recorded)

	CovertRead Perm = "covert.read" // covert plans, and the cases they open, before the plan is done

	StatsRead     Perm = "stats.read"     // statistics and the overview
	ReportSummary Perm = "report.summary" // the leading group's report
	NoticeRead    Perm = "notice.read"    // supervision notices
	NoticeMark    Perm = "notice.mark"
	// The callback list (回访): the calls to make after a reply, with the
	// reporter's name and phone; recording what the reporter said.
	CallbackRead   Perm = "callback.read"
	CallbackRecord Perm = "callback.record"

	DecisionRead    Perm = "decision.read"
	DecisionCreate  Perm = "decision.create"
	DecisionApprove Perm = "decision.approve"
	AppealRead      Perm = "appeal.read"
	AppealFile      Perm = "appeal.file"
	AppealDecide    Perm = "appeal.decide"
	EligibilityRead Perm = "eligibility.read"
	PersonRecord    Perm = "person.record"
	SettingsRead    Perm = "settings.read"
	SettingsWrite   Perm = "settings.write"

	InspectionRead   Perm = "inspection.read"
	InspectionPlan   Perm = "inspection.plan"
	InspectionRecord Perm = "inspection.record"
	InspectionFiles  Perm = "inspection.files"

	PublicationRead    Perm = "publication.read"
	PublicationPropose Perm = "publication.propose"
	PublicationApprove Perm = "publication.approve"
	PublicationPublish Perm = "publication.publish"

	AdminRead     Perm = "admin.read" // the administration pages
	OrgRead       Perm = "org.read"
	OrgWrite      Perm = "org.write"
	UserRead      Perm = "user.read"
	UserWrite     Perm = "user.write"
	AuditRead     Perm = "audit.read"
	CalendarRead  Perm = "calendar.read"
	CalendarWrite Perm = "calendar.write"
	JobRun        Perm = "job.run"
	MetricsRead   Perm = "metrics.read"
	// ProfileWrite: the office's own words — its letterhead, contacts,
	// public texts and the texts of its formal notices.
	ProfileWrite Perm = "profile.write"
	// LetterPost: the print queue of notices that go by post, marked posted.
	LetterPost Perm = "letter.post"
)

// Perms lists every permission, in the table's order.
func Perms() []Perm {
	return []Perm{CaseRead, CaseExport, CaseRegister, CaseAccept, CaseRefuse, CaseTransfer, CaseReturn, CaseAssign, CaseExtend,
		CaseConclude, CaseReply, CaseClose, CaseMerge, CaseNote, CaseSupervise,
		ReporterIdentity, ReporterThread, ReporterFiles, ReporterRepeat, ReporterWrite, ReporterReveal, CovertRead,
		StatsRead, ReportSummary, NoticeRead, NoticeMark, CallbackRead, CallbackRecord,
		DecisionRead, DecisionCreate, DecisionApprove, AppealRead, AppealFile, AppealDecide, EligibilityRead, PersonRecord,
		SettingsRead, SettingsWrite,
		InspectionRead, InspectionPlan, InspectionRecord, InspectionFiles,
		PublicationRead, PublicationPropose, PublicationApprove, PublicationPublish,
		AdminRead, OrgRead, OrgWrite, UserRead, UserWrite, AuditRead, CalendarRead, CalendarWrite, JobRun, MetricsRead, ProfileWrite, LetterPost}
}

// Scope is where a role holds a permission.
type Scope uint8

// The scopes, from none to all.
const (
	None Scope = iota // not at all
	Mine              // the cases assigned to oneself
	Unit              // the cases transferred to one's own unit subtree
	All               // every case of the office
)

func (s Scope) String() string {
	return [...]string{"-", "mine", "unit", "all"}[s]
}

type row struct {
	write  bool
	scopes map[auth.Role]Scope
}

// Policy is the parsed table. Safe for concurrent use (read-only).
type Policy struct {
	rows map[Perm]row
}

// Default returns the policy of the table above. The table is part of the
// program: a malformed one stops start-up (and fails the tests), never a
// request.
func Default() *Policy {
	p, err := Parse(table)
	if err != nil {
		panic(fmt.Sprintf("access: the policy table: %v", err))
	}
	return p
}

// Parse reads a policy table: a header naming the roles, then one row per
// permission. Every permission of Perms must have exactly one row.
func Parse(text string) (*Policy, error) {
	p := &Policy{rows: map[Perm]row{}}
	var roles []auth.Role
	for n, line := range strings.Split(text, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if roles == nil {
			if len(f) < 3 || f[0] != "permission" || f[1] != "kind" {
				return nil, fmt.Errorf("line %d: want the header 'permission kind ROLE…'", n+1)
			}
			for _, r := range f[2:] {
				if !auth.Role(r).Valid() || slices.Contains(roles, auth.Role(r)) {
					return nil, fmt.Errorf("line %d: bad role column %q", n+1, r)
				}
				roles = append(roles, auth.Role(r))
			}
			if len(roles) != len(auth.Roles) {
				return nil, fmt.Errorf("line %d: %d role columns, want %d", n+1, len(roles), len(auth.Roles))
			}
			continue
		}
		if len(f) != 2+len(roles) {
			return nil, fmt.Errorf("line %d: %d cells, want %d", n+1, len(f), 2+len(roles))
		}
		perm := Perm(f[0])
		if !slices.Contains(Perms(), perm) {
			return nil, fmt.Errorf("line %d: unknown permission %s", n+1, perm)
		}
		if _, dup := p.rows[perm]; dup {
			return nil, fmt.Errorf("line %d: %s twice", n+1, perm)
		}
		r := row{scopes: map[auth.Role]Scope{}}
		switch f[1] {
		case "r":
		case "w":
			r.write = true
		default:
			return nil, fmt.Errorf("line %d: kind %q is neither r nor w", n+1, f[1])
		}
		for i, cell := range f[2:] {
			var s Scope
			switch cell {
			case "-":
				s = None
			case "mine":
				s = Mine
			case "unit":
				s = Unit
			case "all":
				s = All
			default:
				return nil, fmt.Errorf("line %d: %s: unknown scope %q", n+1, roles[i], cell)
			}
			r.scopes[roles[i]] = s
		}
		p.rows[perm] = r
	}
	for _, perm := range Perms() {
		if _, ok := p.rows[perm]; !ok {
			return nil, fmt.Errorf("no row for %s", perm)
		}
	}
	return p, nil
}

// Scope is where p holds perm (None for a visitor without a sign-in).
func (pol *Policy) Scope(p auth.Principal, perm Perm) Scope {
	if !p.Staff() {
		return None
	}
	return pol.rows[perm].scopes[p.Role]
}

// Allows reports whether p holds perm anywhere: the check of a route, a
// navigation entry or a button that is not about one case.
func (pol *Policy) Allows(p auth.Principal, perm Perm) bool { return pol.Scope(p, perm) != None }

// AllowsAny reports whether p holds one of perms anywhere.
func (pol *Policy) AllowsAny(p auth.Principal, perms ...Perm) bool {
	for _, perm := range perms {
		if pol.Allows(p, perm) {
			return true
		}
	}
	return false
}

// RoleHolds reports whether role holds perm anywhere (for choosing among
// staff, such as whom a case may be assigned to: those who may conclude it).
func (pol *Policy) RoleHolds(role auth.Role, perm Perm) bool {
	return pol.rows[perm].scopes[role] != None
}

// Writes reports whether perm changes something (the auditor never holds one).
func (pol *Policy) Writes(perm Perm) bool { return pol.rows[perm].write }

// Cases is the filter of the cases on which p holds perm.
func (pol *Policy) Cases(p auth.Principal, perm Perm) CaseFilter {
	f := CaseFilter{scope: pol.Scope(p, perm), user: p.UserID, unitPath: p.UnitPath, covert: pol.Allows(p, CovertRead)}
	if f.scope == Unit && f.unitPath == "" {
		f.scope = None // a liaison bound to no unit sees nothing
	}
	// Offices: staff act on their own office's cases and read those of the
	// offices below it too; a sibling office's cases are not there for them.
	// A liaison's unit scope is its own limit; a principal of no office (the
	// command line, the system's jobs) is limited to none.
	if p.OfficeID != 0 && f.scope != Unit && f.scope != None {
		switch {
		case perm == CaseSupervise:
			f.office, f.offices = officeBelow, slices.DeleteFunc(slices.Clone(p.Offices), func(id int64) bool { return id == p.OfficeID })
		case pol.rows[perm].write:
			f.office, f.offices = ownOffice, []int64{p.OfficeID}
		case p.OfficeAll:
			// Its tree is every office: no condition (a county's one
			// office reads as before offices, at no cost).
		default:
			f.office, f.offices = officeTree, p.Offices
		}
	}
	return f
}

// On reports whether p holds perm on the case with facts c: the check of one
// case, for an action, a field, a button.
func (pol *Policy) On(p auth.Principal, perm Perm, c Facts) bool { return pol.Cases(p, perm).Admits(c) }

// Fields says which of the reporter's fields p may know of one case.
type Fields struct {
	Identity bool // the masked identity and whether there is one
	Thread   bool // messages and replies
	Files    bool // the reporter's attachments
	Repeat   bool // the reporter's other cases
	Write    bool // writing to the reporter
	Reveal   bool // opening the identity in clear
}

// Fields is what p may know of the reporter of the case with facts c.
func (pol *Policy) Fields(p auth.Principal, c Facts) Fields {
	return Fields{
		Identity: pol.On(p, ReporterIdentity, c),
		Thread:   pol.On(p, ReporterThread, c),
		Files:    pol.On(p, ReporterFiles, c),
		Repeat:   pol.On(p, ReporterRepeat, c),
		Write:    pol.On(p, ReporterWrite, c),
		Reveal:   pol.On(p, ReporterReveal, c),
	}
}
