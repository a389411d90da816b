package access

import (
	"strings"
	"testing"

	"mashang/internal/auth"
)

func staff(role auth.Role) auth.Principal {
	return auth.Principal{UserID: 7, Username: string(role), Role: role}
}

// The table parses, and keeps CONTRACT.md's two rules: admin may act in
// every role (all, everywhere); the auditor reads everything (all on every
// read) and changes nothing.
func TestTableKeepsTheContractsRules(t *testing.T) {
	pol := Default()
	for _, perm := range Perms() {
		if s := pol.Scope(staff(auth.Admin), perm); s != All {
			t.Errorf("admin on %s: %s", perm, s)
		}
		want := All
		if pol.Writes(perm) {
			want = None
		}
		if s := pol.Scope(staff(auth.Auditor), perm); s != want {
			t.Errorf("auditor on %s: %s, want %s", perm, s, want)
		}
	}
	// A visitor without a sign-in, or with an unknown role, holds nothing.
	for _, p := range []auth.Principal{{}, {UserID: 3, Role: "mayor"}} {
		for _, perm := range Perms() {
			if pol.Allows(p, perm) {
				t.Errorf("%+v holds %s", p, perm)
			}
		}
	}
}

func TestParseRefusesBadTables(t *testing.T) {
	good := strings.TrimSpace(table)
	for name, text := range map[string]string{
		"no header":      strings.SplitN(good, "\n", 2)[1],
		"unknown role":   strings.Replace(good, " auditor", " mayor", 1),
		"unknown perm":   good + "\nfly.away r - - - - - - - - -",
		"twice":          good + "\ncase.read r all all all all all all all all all",
		"bad scope":      strings.Replace(good, "case.register       w     all", "case.register       w     some", 1),
		"bad kind":       strings.Replace(good, "case.register       w", "case.register       x", 1),
		"short row":      strings.Replace(good, "job.run             w     -     -       -        -      -       -         -       all   -", "job.run w - -", 1),
		"missing a perm": strings.Replace(good, "job.run             w     -     -       -        -      -       -         -       all   -", "", 1),
	} {
		if _, err := Parse(text); err == nil {
			t.Errorf("%s: parsed", name)
		}
	}
	if _, err := Parse(good); err != nil {
		t.Fatal(err)
	}
}

// A filter's SQL and its check of one case say the same thing.
func TestFilterSQLAndAdmits(t *testing.T) {
	pol := Default()
	liaison := auth.Principal{UserID: 5, Username: "l", Role: auth.Liaison, UnitID: 4, UnitPath: "/1/4/"}
	handler := auth.Principal{UserID: 9, Username: "h", Role: auth.Handler}
	var args []any
	arg := func(v any) string { args = append(args, v); return "$" + string(rune('0'+len(args))) }
	for _, tc := range []struct {
		name   string
		f      CaseFilter
		sql    string
		args   []any
		admits map[Facts]bool
	}{
		{"director reads all, not covert", pol.Cases(staff(auth.Director), CaseRead), "(c.covert_plan_id IS NULL)", nil,
			map[Facts]bool{{}: true, {Covert: true}: false, {Assignee: 3}: true}},
		{"leader reads all, covert too", pol.Cases(staff(auth.Leader), CaseRead), "TRUE", nil,
			map[Facts]bool{{}: true, {Covert: true}: true}},
		{"leader's figures leave covert out", pol.Cases(staff(auth.Leader), StatsRead).ForFigures(), "(c.covert_plan_id IS NULL)", nil,
			map[Facts]bool{{}: true, {Covert: true}: false}},
		{"handler concludes its own", pol.Cases(handler, CaseConclude), "(c.assignee_id = $1 AND c.covert_plan_id IS NULL)", []any{int64(9)},
			map[Facts]bool{{Assignee: 9}: true, {Assignee: 8}: false, {}: false}},
		{"liaison reads its subtree", pol.Cases(liaison, CaseRead),
			"(c.transfer_unit_id IN (SELECT su.id FROM units su WHERE su.path LIKE $1) AND c.covert_plan_id IS NULL)", []any{"/1/4/%"},
			map[Facts]bool{{TransferUnitPath: "/1/4/"}: true, {TransferUnitPath: "/1/4/12/"}: true, {TransferUnitPath: "/1/40/"}: false, {}: false}},
		{"liaison has no thread", pol.Cases(liaison, ReporterThread), "FALSE", nil,
			map[Facts]bool{{TransferUnitPath: "/1/4/"}: false}},
		{"liaison without a unit sees nothing", pol.Cases(auth.Principal{UserID: 6, Role: auth.Liaison}, CaseRead), "FALSE", nil,
			map[Facts]bool{{TransferUnitPath: "/1/4/"}: false}},
	} {
		args = nil
		if got := tc.f.SQL("c", arg); got != tc.sql {
			t.Errorf("%s: SQL %s, want %s", tc.name, got, tc.sql)
		}
		if len(args) != len(tc.args) || len(args) > 0 && args[0] != tc.args[0] {
			t.Errorf("%s: args %v, want %v", tc.name, args, tc.args)
		}
		for facts, want := range tc.admits {
			if got := tc.f.Admits(facts); got != want {
				t.Errorf("%s: Admits(%+v) = %v", tc.name, facts, got)
			}
		}
	}
}
