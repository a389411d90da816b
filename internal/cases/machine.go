package cases

import (
	"mashang/internal/access"
	"mashang/internal/civil"
	"mashang/internal/docket"
)

// Rule says which permission an action needs, from which states it may be
// taken and where it leads, what it needs, and which function does it. Who
// holds the permission, and on which cases, is the access policy's to say
// (package access): the handler only on the cases assigned to them, a
// liaison only on those transferred to its unit.
type Rule struct {
	// Perm is the permission of the access policy the action needs.
	Perm access.Perm
	// From maps each state the action is allowed in to the state it leads to.
	From map[docket.State]docket.State
	// Required fields of the request.
	Required []string
	// do takes the action (actions.go), inside the action's transaction.
	do func(s *Service, a *act) error
	// open, when set, says whether the action is offered on a case in an
	// allowed state (an objection only within its window); do checks the
	// same and answers why not.
	open func(c *Case, today civil.Date) bool
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
//	action    from → to
//	accept    registered → accepted
//	refuse    registered → refused
//	transfer  registered → transferred
//	return    transferred → registered (within 5 working days)
//	assign    accepted → investigating; investigating, review (stay)
//	extend    accepted, investigating, transferred (stay; once)
//	conclude  investigating → concluded; concluded, review (stay: revision)
//	reply     concluded, transferred, review (stay)
//	close     concluded, transferred, review → closed (after a reply)
//	merge     registered, accepted, transferred, investigating → merged
//	note      every state (stay)
//	supervise every open state (stay; the office above's)
//	answer    every open state (stay; the supervised office's answer)
//	object    registered, accepted (stay; back to the office that sent it,
//	          within 5 working days of an office transfer)
func Machine() map[docket.Action]Rule {
	const (
		reg, acc, ref, tra = docket.Registered, docket.Accepted, docket.Refused, docket.Transferred
		inv, con, clo, rev = docket.Investigating, docket.Concluded, docket.Closed, docket.Review
		mer                = docket.Merged
	)
	type to = map[docket.State]docket.State
	return map[docket.Action]Rule{
		docket.Accept:   {Perm: access.CaseAccept, From: to{reg: acc}, do: (*Service).accept},
		docket.Refuse:   {Perm: access.CaseRefuse, From: to{reg: ref}, Required: []string{"reason"}, do: (*Service).refuse},
		docket.Transfer: {Perm: access.CaseTransfer, From: to{reg: tra}, Required: []string{"unit", "reason"}, do: (*Service).transfer},
		docket.Return:   {Perm: access.CaseReturn, From: to{tra: reg}, Required: []string{"reason"}, do: (*Service).giveBack},
		docket.Assign:   {Perm: access.CaseAssign, From: to{acc: inv, inv: inv, rev: rev}, Required: []string{"user"}, do: (*Service).assign},
		docket.Extend:   {Perm: access.CaseExtend, From: same(acc, inv, tra), Required: []string{"days", "reason"}, do: (*Service).extend},
		docket.Conclude: {Perm: access.CaseConclude, From: to{inv: con, con: con, rev: rev}, Required: []string{"finding"}, do: (*Service).conclude},
		docket.Reply:    {Perm: access.CaseReply, From: same(con, tra, rev), Required: []string{"body"}, do: (*Service).reply},
		docket.Close:    {Perm: access.CaseClose, From: to{con: clo, tra: clo, rev: clo}, do: (*Service).close},
		docket.Merge:    {Perm: access.CaseMerge, From: to{reg: mer, acc: mer, tra: mer, inv: mer}, Required: []string{"into"}, do: (*Service).merge},
		docket.Note:     {Perm: access.CaseNote, From: same(docket.States...), Required: []string{"body"}, do: (*Service).note},
		docket.Supervise: {Perm: access.CaseSupervise, From: same(docket.OpenStates...), Required: []string{"deadline", "instructions"},
			do: (*Service).supervise},
		// The lower office's director answers for it (the holders of
		// case.accept on the case: its own office's).
		docket.Answer: {Perm: access.CaseAccept, From: same(docket.OpenStates...), Required: []string{"body"}, do: (*Service).answer,
			open: func(c *Case, _ civil.Date) bool { return c.Supervision != nil && c.Supervision.AnsweredAt == nil }},
		// The receiving office objects to a case another office sent it.
		docket.Object: {Perm: access.CaseTransfer, From: same(reg, acc), Required: []string{"reason"}, do: (*Service).object,
			open: func(c *Case, today civil.Date) bool {
				return c.OfficeTransfer != nil && !today.After(c.OfficeTransfer.ObjectBy)
			}},
	}
}

// ActionPerms are the permissions of every action (the action route's gate:
// who holds none of them may take no action at all).
func ActionPerms() []access.Perm {
	var out []access.Perm
	for _, a := range docket.StaffActions {
		out = append(out, Machine()[a].Perm)
	}
	return out
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
