// Package access is mashang's one access policy: which role may do what, on
// which cases, and which of a case's fields it may know. Routes, pages
// (navigation, buttons, forms), the state machine's actions, lists, search,
// statistics, the overview, exports, notices and attachments all ask it;
// nothing else decides.
//
// The policy is the table below, one row per permission and one column per
// role. A cell is the scope in which the role holds the permission:
//
//	all   every case of the office (for permissions that are not about a
//	      case: simply "yes")
//	unit  the cases transferred to one's own unit or a unit under it (liaison)
//	mine  the cases assigned to oneself (handler)
//	-     not at all
//
// Across every scope, a case opened from the finding of a covert inspection
// that is not done yet is known only to those holding covert.read; no
// figure counts it before the plan is done (CaseFilter.ForFigures).
//
// A scope is both an SQL condition (CaseFilter.SQL, so that lists, search,
// counts, statistics and exports follow it) and a check of one case
// (CaseFilter.Admits).
//
// Offices add a dimension to both. A principal of an office acts (w rows)
// on its own office's cases only, and reads (r rows) those of the offices
// below it as well: the office above sees its lower offices' cases read-only
// and supervises them (case.supervise reaches the offices below only); a
// sibling office's cases are absent, as a missing case is. A liaison's unit
// scope is its own limit, and a principal of no office (the command line,
// the jobs) has none.
package access

// table is the policy. Columns: permission, kind (r: reads, w: changes), then
// the roles. admin may act in every role (all); auditor reads everything
// (all on r rows) and changes nothing; tests hold both rules.
const table = `
permission          kind  clerk handler director leader orgdept inspector liaison admin auditor
case.read           r     all   all     all      all    all     all       unit    all   all
case.export         r     all   all     all      all    all     all       unit    all   all
case.register       w     all   -       -        -      -       -         -       all   -
case.accept         w     -     -       all      -      -       -         -       all   -
case.refuse         w     -     -       all      -      -       -         -       all   -
case.transfer       w     -     -       all      -      -       -         -       all   -
case.return         w     -     -       -        -      -       -         unit    all   -
case.assign         w     -     -       all      -      -       -         -       all   -
case.extend         w     -     -       all      -      -       -         -       all   -
case.conclude       w     -     mine    all      -      -       -         -       all   -
case.reply          w     -     mine    all      -      -       -         unit    all   -
case.close          w     -     -       all      -      -       -         -       all   -
case.merge          w     all   -       all      -      -       -         -       all   -
case.note           w     all   mine    all      all    all     all       unit    all   -
case.supervise      w     -     -       all      all    -       -         -       all   -
reporter.identity   r     all   mine    all      all    -       -         -       all   all
reporter.thread     r     all   mine    all      all    -       -         -       all   all
reporter.files      r     all   mine    all      all    -       -         -       all   all
reporter.repeat     r     all   mine    all      all    -       -         -       all   all
reporter.write      w     all   mine    all      all    -       -         -       all   -
reporter.reveal     w     -     -       all      all    -       -         -       all   -
covert.read         r     -     -       -        all    -       all       -       all   all
stats.read          r     all   all     all      all    all     all       unit    all   all
report.summary      r     -     -       all      all    all     -         -       all   all
notice.read         r     -     -       all      all    -       -         -       all   all
notice.mark         w     -     -       all      all    -       -         -       all   -
callback.read       r     all   -       all      all    -       -         -       all   all
callback.record     w     all   -       -        -      -       -         -       all   -
decision.read       r     -     -       all      all    all     -         -       all   all
decision.create     w     -     -       all      -      -       -         -       all   -
decision.approve    w     -     -       -        all    -       -         -       all   -
appeal.read         r     -     -       all      all    all     -         -       all   all
appeal.file         w     -     -       all      -      all     -         -       all   -
appeal.decide       w     -     -       -        all    all     -         -       all   -
eligibility.read    r     -     -       -        all    all     -         -       all   all
person.record       r     -     -       all      all    all     -         -       all   all
settings.read       r     -     -       all      all    all     -         -       all   all
settings.write      w     -     -       -        -      -       -         -       all   -
inspection.read     r     all   all     all      all    all     all       all     all   all
inspection.plan     w     -     -       -        -      -       all       -       all   -
inspection.record   w     -     -       -        -      -       all       -       all   -
inspection.files    r     -     -       -        all    -       all       -       all   all
publication.read    r     -     -       all      all    -       -         -       all   all
publication.propose w     -     -       all      -      -       -         -       all   -
publication.approve w     -     -       -        all    -       -         -       all   -
publication.publish w     -     -       all      all    -       -         -       all   -
admin.read          r     -     -       -        -      -       -         -       all   all
org.read            r     all   all     all      all    all     all       all     all   all
org.write           w     -     -       -        -      -       -         -       all   -
user.read           r     -     -       -        -      -       -         -       all   all
user.write          w     -     -       -        -      -       -         -       all   -
audit.read          r     -     -       -        -      -       -         -       all   all
calendar.read       r     all   all     all      all    all     all       all     all   all
calendar.write      w     -     -       -        -      -       -         -       all   -
job.run             w     -     -       -        -      -       -         -       all   -
metrics.read        r     all   all     all      all    all     all       all     all   all
profile.write       w     -     -       -        -      -       -         -       all   -
letter.post         w     all   -       all      -      -       -         -       all   -
`
