package docket

import (
	"slices"
	"strings"
)

// State is where a case stands.
type State string

// The states of a case.
const (
	Registered    State = "registered"
	Accepted      State = "accepted"
	Refused       State = "refused"
	Transferred   State = "transferred"
	Investigating State = "investigating"
	Concluded     State = "concluded"
	Closed        State = "closed"
	Review        State = "review"
	Merged        State = "merged"
)

// States lists every state, in the order a case usually passes them.
var States = []State{Registered, Accepted, Refused, Transferred, Investigating, Concluded, Closed, Review, Merged}

// OpenStates are the states in which a deadline may run (supervision and
// the "open" filter of the lists watch them).
var OpenStates = []State{Registered, Accepted, Transferred, Investigating, Concluded, Review}

// ConclusionStates are the states in which a conclusion stands.
var ConclusionStates = []State{Concluded, Closed, Review}

// Open reports whether a deadline may run in s.
func (s State) Open() bool { return slices.Contains(OpenStates, s) }

// Valid reports whether s is a known state.
func (s State) Valid() bool { return slices.Contains(States, s) }

// HasConclusion reports whether a conclusion stands in s.
func (s State) HasConclusion() bool { return slices.Contains(ConclusionStates, s) }

// Channel is how a report reached the office.
type Channel string

// The channels.
const (
	Web        Channel = "web"
	Hotline    Channel = "hotline"
	Letter     Channel = "letter"
	Walkin     Channel = "walkin"
	Email      Channel = "email"
	Inspection Channel = "inspection"
	Media      Channel = "media"
	Superior   Channel = "superior"
	Rule       Channel = "rule" // the system's own: the two-complaints rule
)

// Channels lists every channel.
var Channels = []Channel{Web, Hotline, Letter, Walkin, Email, Inspection, Media, Superior, Rule}

// ClientChannels are the channels a client (the web, a clerk) may name;
// Rule is the system's own.
var ClientChannels = []Channel{Web, Hotline, Letter, Walkin, Email, Inspection, Media, Superior}

// Valid reports whether c is a known channel.
func (c Channel) Valid() bool { return slices.Contains(Channels, c) }

// Finding is the conclusion of an investigation.
type Finding string

// The findings.
const (
	Verified       Finding = "verified"
	PartlyVerified Finding = "partly_verified"
	Unfounded      Finding = "unfounded"
)

// Findings lists every finding.
var Findings = []Finding{Verified, PartlyVerified, Unfounded}

// Valid reports whether f is a known finding.
func (f Finding) Valid() bool { return slices.Contains(Findings, f) }

// Substantiated is true for verified and partly verified (查实, in whole or
// in part): the findings that allow a decision and count for the
// two-complaints rule.
func (f Finding) Substantiated() bool { return f == Verified || f == PartlyVerified }

// Action names a line of a case's history: the actions staff take through
// the state machine, and what the system and the reporter do.
type Action string

// The actions staff take (the state machine's; see package cases).
const (
	Accept   Action = "accept"
	Refuse   Action = "refuse"
	Transfer Action = "transfer"
	Return   Action = "return"
	Assign   Action = "assign"
	Extend   Action = "extend"
	Conclude Action = "conclude"
	Reply    Action = "reply"
	Close    Action = "close"
	Merge    Action = "merge"
	Note     Action = "note"
	// Supervise is the office above's: it marks a lower office's case as
	// supervised (督办), with a deadline and instructions.
	Supervise Action = "supervise"
	// Answer is the lower office's answer to a supervision (答复督办).
	Answer Action = "answer"
	// Object is the receiving office's objection to a case transferred to
	// it from another office (异议退回), within 5 working days: the case goes
	// back to the office that sent it.
	Object Action = "object"
)

// StaffActions lists the state machine's actions, alphabetically.
var StaffActions = []Action{Accept, Answer, Assign, Close, Conclude, Extend, Merge, Note, Object, Refuse, Reply, Return, Supervise, Transfer}

// Other lines of the history.
const (
	Register           Action = "registered"        // the case is registered (intake, the rule)
	MergedIn           Action = "merged_in"         // a duplicate was merged into this case
	ReviewRequest      Action = "review_request"    // the reporter asks for 复查 or 复核
	Rate               Action = "rating"            // the reporter rates the reply
	IdentityRevealed   Action = "identity_revealed" // staff opened the reporter's identity
	Decide             Action = "decision"          // an accountability decision about a person it names
	DecisionApproved   Action = "decision_approved" // a leader approved it (when approval is switched on)
	Appeal             Action = "appeal"            // the person appealed a decision (申诉)
	AppealOutcome      Action = "appeal_outcome"    // the appeal was decided
	RuleCaseOpened     Action = "rule_case_opened"  // the two-complaints rule opened a case on this one
	RuleBasisWithdrawn Action = "rule_basis_withdrawn"
	RuleBasisRestored  Action = "rule_basis_restored"
	IdentityErased     Action = "identity_erased"     // retention: the reporter's identity is gone
	AttachmentsRemoved Action = "attachments_removed" // retention: the case's files are gone
	MessagesRemoved    Action = "messages_removed"    // retention: the reporter's messages are emptied
	CovertLifted       Action = "covert_lifted"       // the covert inspection that opened the case is done
	CallbackMade       Action = "callback"            // a clerk called the reporter back (回访) and recorded the result
)

// Actions lists every action that may appear in a history.
var Actions = append(slices.Clone(StaffActions), Register, MergedIn, ReviewRequest, Rate, IdentityRevealed, Decide,
	DecisionApproved, Appeal, AppealOutcome, RuleCaseOpened, RuleBasisWithdrawn, RuleBasisRestored,
	IdentityErased, AttachmentsRemoved, MessagesRemoved, CovertLifted, CallbackMade)

// Rating is the reporter's rating of the reply.
type Rating string

// The ratings.
const (
	Satisfied          Rating = "satisfied"
	BasicallySatisfied Rating = "basically_satisfied"
	Dissatisfied       Rating = "dissatisfied"
)

// Ratings lists every rating.
var Ratings = []Rating{Satisfied, BasicallySatisfied, Dissatisfied}

// Valid reports whether r is a known rating.
func (r Rating) Valid() bool { return slices.Contains(Ratings, r) }

// Content reports whether the reporter is content (satisfied or basically
// satisfied): the satisfaction rate counts these.
func (r Rating) Content() bool { return r == Satisfied || r == BasicallySatisfied }

// CallbackResult is what a callback (回访) to the reporter found: one of
// the ratings, or that the reporter could not be reached.
type CallbackResult string

// The callback results.
const (
	CallbackSatisfied                         = CallbackResult(Satisfied)
	CallbackBasicallySatisfied                = CallbackResult(BasicallySatisfied)
	CallbackDissatisfied                      = CallbackResult(Dissatisfied)
	Unreachable                CallbackResult = "unreachable"
)

// CallbackResults lists every callback result.
var CallbackResults = []CallbackResult{CallbackSatisfied, CallbackBasicallySatisfied, CallbackDissatisfied, Unreachable}

// Valid reports whether r is a known callback result.
func (r CallbackResult) Valid() bool { return slices.Contains(CallbackResults, r) }

// Rating is the satisfaction the result records (none for unreachable).
func (r CallbackResult) Rating() (Rating, bool) {
	if r == Unreachable || !r.Valid() {
		return "", false
	}
	return Rating(r), true
}

// Due is how a case stands against its current deadline.
type Due string

// The due statuses.
const (
	OnTime  Due = "on_time"
	DueSoon Due = "due_soon"
	Overdue Due = "overdue"
)

// Dues lists every due status.
var Dues = []Due{OnTime, DueSoon, Overdue}

// DueSoonWorkdays: a case is due soon when this many working days or fewer
// are left to its current deadline.
const DueSoonWorkdays = 3

// NoDeadline is the value of the generated deadline column when no deadline
// runs (so that keyset pages need no NULL handling).
const NoDeadline = "9999-12-31"

// SQLList renders values of the vocabulary as an SQL list, ('a', 'b'), for
// queries that filter on them (the values are constants of this package:
// nothing from a request is ever spliced in this way).
func SQLList[T ~string](vs ...T) string {
	q := make([]string, len(vs))
	for i, v := range vs {
		q[i] = "'" + strings.ReplaceAll(string(v), "'", "''") + "'"
	}
	return "(" + strings.Join(q, ", ") + ")"
}
