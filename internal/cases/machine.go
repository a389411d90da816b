package cases

import (
	"sort"

	"mashang/internal/auth"
)

// Actions staff take on a case (POST /api/v1/cases/{id}/actions).
const (
	ActAccept   = "accept"   // registered → accepted; finish_by set
	ActRefuse   = "refuse"   // registered → refused {reason}
	ActTransfer = "transfer" // registered → transferred {unit, reason}; the unit's liaisons see it
	ActReturn   = "return"   // transferred → registered {reason}: the receiving unit sends it back as misdirected, within TransferObjection
	ActAssign   = "assign"   // accepted → investigating {user}; reassigns in investigating and review
	ActExtend   = "extend"   // {days, reason}: once, at most Limits.Extension
	ActConclude = "conclude" // investigating → concluded {finding, person_ids}; revises in concluded and review
	ActReply    = "reply"    // the formal written reply {body}
	ActClose    = "close"    // after a reply: concluded | transferred | review → closed
	ActMerge    = "merge"    // a duplicate → merged {into}
	ActNote     = "note"     // an internal note {body}; any state, never shown to the reporter
)

// Rule says who may take an action and from which states, and where it leads.
type Rule struct {
	// Roles that may take it (admin always may; auditor never; a liaison only
	// on a case transferred to its unit).
	Roles []auth.Role
	// From maps each state the action is allowed in to the state it leads to.
	From map[string]string
	// Required fields of the request.
	Required []string
}

func same(states ...string) map[string]string {
	m := make(map[string]string, len(states))
	for _, s := range states {
		m[s] = s
	}
	return m
}

// Machine is the state machine as a table. It is the one source of truth for
// which action is legal where; the API documentation and the tests read it.
//
//	action    roles                                    from → to
//	accept    director                                 registered → accepted
//	refuse    director                                 registered → refused
//	transfer  director                                 registered → transferred
//	return    liaison                                  transferred → registered (within 5 working days)
//	assign    director                                 accepted → investigating; investigating, review (stay)
//	extend    director                                 accepted, investigating, transferred (stay; once)
//	conclude  handler, director                        investigating → concluded; concluded, review (stay: revision)
//	reply     director, handler, liaison               concluded, transferred, review (stay)
//	close     director                                 concluded, transferred, review → closed (after a reply)
//	merge     director, clerk                          registered, accepted, transferred, investigating → merged
//	note      clerk, handler, director, leader,        every state (stay)
//	          inspector, orgdept, liaison
func Machine() map[string]Rule {
	d := auth.Director
	return map[string]Rule{
		ActAccept:   {Roles: []auth.Role{d}, From: map[string]string{Registered: Accepted}},
		ActRefuse:   {Roles: []auth.Role{d}, From: map[string]string{Registered: Refused}, Required: []string{"reason"}},
		ActTransfer: {Roles: []auth.Role{d}, From: map[string]string{Registered: Transferred}, Required: []string{"unit", "reason"}},
		ActReturn:   {Roles: []auth.Role{auth.Liaison}, From: map[string]string{Transferred: Registered}, Required: []string{"reason"}},
		ActAssign:   {Roles: []auth.Role{d}, From: map[string]string{Accepted: Investigating, Investigating: Investigating, Review: Review}, Required: []string{"user"}},
		ActExtend:   {Roles: []auth.Role{d}, From: same(Accepted, Investigating, Transferred), Required: []string{"days", "reason"}},
		ActConclude: {Roles: []auth.Role{auth.Handler, d}, From: map[string]string{Investigating: Concluded, Concluded: Concluded, Review: Review}, Required: []string{"finding"}},
		ActReply:    {Roles: []auth.Role{d, auth.Handler, auth.Liaison}, From: same(Concluded, Transferred, Review), Required: []string{"body"}},
		ActClose:    {Roles: []auth.Role{d}, From: map[string]string{Concluded: Closed, Transferred: Closed, Review: Closed}},
		ActMerge:    {Roles: []auth.Role{d, auth.Clerk}, From: map[string]string{Registered: Merged, Accepted: Merged, Transferred: Merged, Investigating: Merged}, Required: []string{"into"}},
		ActNote:     {Roles: []auth.Role{auth.Clerk, auth.Handler, d, auth.Leader, auth.Inspector, auth.OrgDept, auth.Liaison}, From: same(States...), Required: []string{"body"}},
	}
}

// Actions lists the action names in alphabetical order.
func Actions() []string {
	m := Machine()
	out := make([]string, 0, len(m))
	for a := range m {
		out = append(out, a)
	}
	sort.Strings(out)
	return out
}

// Allowed returns the state action leads to from state, and whether the
// action is allowed there at all (role and field rules aside).
func Allowed(action, state string) (string, bool) {
	r, ok := Machine()[action]
	if !ok {
		return "", false
	}
	to, ok := r.From[state]
	return to, ok
}
