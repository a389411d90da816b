package auth

import "slices"

// Role is a staff role of CONTRACT.md.
type Role string

// The roles.
const (
	Admin     Role = "admin"
	Clerk     Role = "clerk"
	Handler   Role = "handler"
	Director  Role = "director"
	Leader    Role = "leader"
	OrgDept   Role = "orgdept"
	Inspector Role = "inspector"
	Liaison   Role = "liaison"
	Auditor   Role = "auditor"
)

// Roles lists every role.
var Roles = []Role{Admin, Clerk, Handler, Director, Leader, OrgDept, Inspector, Liaison, Auditor}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return slices.Contains(Roles, r) }

// Principal is the staff member behind a request. What it may do is the
// access policy's to say (package access), never the role's alone.
type Principal struct {
	UserID   int64
	Username string
	// DisplayName is the name colleagues know the staff member by ("":
	// none set; Name shows the username then).
	DisplayName string
	Role        Role
	UnitID      int64 // 0: not bound to a unit
	UnitCode    string
	UnitPath    string // the unit's materialised path ('/1/4/'), for the scope of its subtree
	// The office the principal belongs to: its id, code and materialised
	// path of office ids ('/1/3/'), for the scope of the offices below it.
	OfficeID   int64
	OfficeCode string
	OfficePath string
	// Offices are the ids of the principal's office and of every office
	// below it, its own first: whose cases it reads.
	Offices []int64
	// OfficeAll: every other office is below the principal's (the one
	// office of a county, a city's office over its counties'), so that what
	// it reads is limited to no office.
	OfficeAll bool
	// MustChangePassword: the password was reset by an admin; until it is
	// changed, the principal may do nothing but change it.
	MustChangePassword bool
	system             string // the actor of System
}

// System is the principal of the program's own work — the command line,
// the demo, background jobs — which holds an admin's rights and appears in
// histories and the audit log as actor ("cli", "cli:demo", "system:sweep").
func System(actor string) Principal { return Principal{Role: Admin, system: actor} }

// Actor names the principal in history and audit entries.
func (p Principal) Actor() string {
	if p.system != "" {
		return p.system
	}
	return "user:" + p.Username
}

// Name is how the pages name the principal: its display name, else its
// username.
func (p Principal) Name() string {
	if p.DisplayName != "" {
		return p.DisplayName
	}
	return p.Username
}

// Staff reports whether the principal is signed-in staff.
func (p Principal) Staff() bool { return p.system != "" || p.UserID != 0 && p.Role.Valid() }
