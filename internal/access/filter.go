package access

import (
	"slices"
	"strconv"
	"strings"
)

// Facts are what the policy needs to know of one case. Read them with
// FactsSQL and Facts.Dest in the query that reads the case.
type Facts struct {
	Assignee         int64  // the user it is assigned to (0: none)
	TransferUnitPath string // the materialised path of the unit it was transferred to ("": none)
	Covert           bool   // opened from a covert inspection that is not done yet
	OfficeID         int64  // its office
}

// FactsSQL selects a case's facts, alias naming the cases table; scan them
// into Facts.Dest(). The columns it reads are the policy's contract with
// the case record: cases.assignee_id, cases.transfer_unit_id (units.path)
// cases.covert_plan_id and cases.office_id.
func FactsSQL(alias string) string {
	return "COALESCE(" + alias + ".assignee_id, 0), COALESCE((SELECT fu.path FROM units fu WHERE fu.id = " + alias + ".transfer_unit_id), ''), " +
		"CASE WHEN " + alias + ".covert_plan_id IS NULL THEN FALSE ELSE TRUE END, " +
		"COALESCE(" + alias + ".office_id, 0)"
}

// Dest are the scan destinations of FactsSQL's columns.
func (f *Facts) Dest() []any {
	return []any{&f.Assignee, &f.TransferUnitPath, &f.Covert, &f.OfficeID}
}

// CaseFilter is a scope on cases: an SQL condition for queries (so that
// lists, counts and figures follow it) and the same condition on one case.
type CaseFilter struct {
	scope    Scope
	user     int64  // Mine: the assignee
	unitPath string // Unit: the subtree's path
	covert   bool   // may see cases of covert plans not yet done
	// office limits the filter to the cases of offices: none, one's own
	// office alone, it and those below, or those below only; offices are
	// the ids of the offices it admits.
	office  officeReach
	offices []int64
}

// officeReach is how far from one's own office a filter reaches.
type officeReach uint8

const (
	anyOffice   officeReach = iota // no office limit (a principal of no office, a liaison's unit scope)
	ownOffice                      // the cases of one's own office: what one acts on
	officeTree                     // one's own office's and the offices' below it: what one reads
	officeBelow                    // the offices' below one's own only: what the office above supervises
)

// OfficeLimited reports whether the filter admits the cases of some offices
// only (a lower office's staff; the office above's supervision).
func (f CaseFilter) OfficeLimited() bool { return f.office != anyOffice }

// ForFigures is f for a count: a case of a covert plan not yet done is left
// out whoever asks, so that no figure reveals that such a plan exists.
func (f CaseFilter) ForFigures() CaseFilter {
	f.covert = false
	return f
}

// Scope is the filter's scope.
func (f CaseFilter) Scope() Scope { return f.scope }

// None reports whether the filter admits no case at all.
func (f CaseFilter) None() bool { return f.scope == None }

// SQL renders the filter as a condition on the cases table named alias;
// arg binds a value and returns its placeholder ($n).
func (f CaseFilter) SQL(alias string, arg func(v any) string) string {
	var c []string
	switch f.scope {
	case None:
		return "FALSE"
	case Mine:
		c = append(c, alias+".assignee_id = "+arg(f.user))
	case Unit:
		c = append(c, alias+".transfer_unit_id IN (SELECT su.id FROM units su WHERE su.path LIKE "+arg(likePrefix(f.unitPath))+")")
	}
	switch {
	case f.office == anyOffice:
	case len(f.offices) == 0:
		return "FALSE"
	case len(f.offices) == 1:
		c = append(c, alias+".office_id = "+arg(f.offices[0]))
	default:
		ids := make([]string, len(f.offices))
		for i, id := range f.offices {
			ids[i] = strconv.FormatInt(id, 10)
		}
		c = append(c, alias+".office_id IN ("+strings.Join(ids, ", ")+")")
	}
	if !f.covert {
		c = append(c, alias+".covert_plan_id IS NULL")
	}
	if len(c) == 0 {
		return "TRUE"
	}
	return "(" + strings.Join(c, " AND ") + ")"
}

// Admits reports whether the filter admits the case with facts c.
func (f CaseFilter) Admits(c Facts) bool {
	if c.Covert && !f.covert {
		return false
	}
	if f.office != anyOffice && !slices.Contains(f.offices, c.OfficeID) {
		return false
	}
	switch f.scope {
	case Mine:
		return f.user != 0 && c.Assignee == f.user
	case Unit:
		return f.unitPath != "" && c.TransferUnitPath != "" && strings.HasPrefix(c.TransferUnitPath, f.unitPath)
	case All:
		return true
	}
	return false
}

// likePrefix is a LIKE pattern for the paths under path (paths are digits
// and slashes; anything else is escaped away for safety).
func likePrefix(path string) string {
	var b strings.Builder
	for _, r := range path {
		if r == '/' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String() + "%"
}

// ReporterFile reports whether a case's file (by its attachments.source) is
// the reporter's, under reporter.files: every file but the photos and videos
// the inspection group took on a visit (a clerk's scan of a letter is the
// reporter's too).
func ReporterFile(source string) bool { return source != "inspection" }

// PublicFigures is the filter of what the public statistics count: every case
// of the office, a covert plan's before the plan is done aside.
func PublicFigures() CaseFilter { return CaseFilter{scope: All} }

// InOffices is f limited to the cases of the offices with ids (an office
// and those below it, for its published figures); an empty list: none.
func (f CaseFilter) InOffices(ids []int64) CaseFilter {
	f.office, f.offices = officeTree, append([]int64(nil), ids...)
	return f
}
