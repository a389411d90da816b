package cases

import (
	"mashang/internal/auth"
	"mashang/internal/docket"
)

// Rule says who may take an action, from which states and where it leads,
// what it needs, and which function does it.
type Rule struct {
	// Roles that may take it (admin always may; auditor never; a liaison only
	// on a case transferred to its unit).
	Roles []auth.Role
	// From maps each state the action is allowed in to the state it leads to.
	From map[docket.State]docket.State
	// Required fields of the request.
	Required []string
	// do takes the action (actions.go), inside the action's transaction.
	do func(s *Service, a *act) error
}

func same(states ...docket.State) map[docket.State]docket.State {
	m := make(map[docket.State]docket.State, len(states))
	for _, s := range states {
		m[s] = s
	}
	return m
}

// Machine is the state machine as a table. It is the one source of truth for
// which action is legal where and which function takes it; the API
// documentation and the tests read it.
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
func Machine() map[docket.Action]Rule {
	d := auth.Director
	const (
		reg, acc, ref, tra = docket.Registered, docket.Accepted, docket.Refused, docket.Transferred
		inv, con, clo, rev = docket.Investigating, docket.Concluded, docket.Closed, docket.Review
		mer                = docket.Merged
	)
	return map[docket.Action]Rule{
		docket.Accept:   {Roles: []auth.Role{d}, From: map[docket.State]docket.State{reg: acc}, do: (*Service).accept},
		docket.Refuse:   {Roles: []auth.Role{d}, From: map[docket.State]docket.State{reg: ref}, Required: []string{"reason"}, do: (*Service).refuse},
		docket.Transfer: {Roles: []auth.Role{d}, From: map[docket.State]docket.State{reg: tra}, Required: []string{"unit", "reason"}, do: (*Service).transfer},
		docket.Return:   {Roles: []auth.Role{auth.Liaison}, From: map[docket.State]docket.State{tra: reg}, Required: []string{"reason"}, do: (*Service).giveBack},
		docket.Assign:   {Roles: []auth.Role{d}, From: map[docket.State]docket.State{acc: inv, inv: inv, rev: rev}, Required: []string{"user"}, do: (*Service).assign},
		docket.Extend:   {Roles: []auth.Role{d}, From: same(acc, inv, tra), Required: []string{"days", "reason"}, do: (*Service).extend},
		docket.Conclude: {Roles: []auth.Role{auth.Handler, d}, From: map[docket.State]docket.State{inv: con, con: con, rev: rev}, Required: []string{"finding"}, do: (*Service).conclude},
		docket.Reply:    {Roles: []auth.Role{d, auth.Handler, auth.Liaison}, From: same(con, tra, rev), Required: []string{"body"}, do: (*Service).reply},
		docket.Close:    {Roles: []auth.Role{d}, From: map[docket.State]docket.State{con: clo, tra: clo, rev: clo}, do: (*Service).close},
		docket.Merge:    {Roles: []auth.Role{d, auth.Clerk}, From: map[docket.State]docket.State{reg: mer, acc: mer, tra: mer, inv: mer}, Required: []string{"into"}, do: (*Service).merge},
		docket.Note:     {Roles: []auth.Role{auth.Clerk, auth.Handler, d, auth.Leader, auth.Inspector, auth.OrgDept, auth.Liaison}, From: same(docket.States...), Required: []string{"body"}, do: (*Service).note},
	}
}

// Actions lists the action names in alphabetical order.
func Actions() []docket.Action { return docket.StaffActions }

// Allowed returns the state action leads to from state, and whether the
// action is allowed there at all (role and field rules aside).
func Allowed(action docket.Action, state docket.State) (docket.State, bool) {
	r, ok := Machine()[action]
	if !ok {
		return "", false
	}
	to, ok := r.From[state]
	return to, ok
}
