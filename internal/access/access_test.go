package access

import (
	"fmt"
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

// Offices: a county director acts on and reads its own office's cases only;
// the city director reads the counties' too but acts on the city's only,
// and supervises the counties' only; a liaison's unit scope and a principal
// of no office are not limited by office. The expected answers are written
// out here, not computed.
func TestOfficeDimension(t *testing.T) {
	pol := Default()
	// The city's office 1 over Minqing's 2 (with a town's office 7 below it) and Yongtai's 3.
	const city, mq, yt, mqTown = 1, 2, 3, 7
	tree := map[int64][]int64{city: {city, mq, yt, mqTown}, mq: {mq, mqTown}, yt: {yt}}
	in := func(role auth.Role, office int64) auth.Principal {
		return auth.Principal{UserID: 7, Username: string(role), Role: role, OfficeID: office, Offices: tree[office]}
	}
	liaison := auth.Principal{UserID: 5, Role: auth.Liaison, UnitPath: "/1/4/", OfficeID: mq, Offices: tree[mq]}
	type want struct{ city, mq, yt, mqTown bool }
	for _, tc := range []struct {
		name string
		p    auth.Principal
		perm Perm
		want want
	}{
		{"county director reads", in(auth.Director, mq), CaseRead, want{false, true, false, true}},
		{"county director accepts", in(auth.Director, mq), CaseAccept, want{false, true, false, false}},
		{"county director supervises the town's only", in(auth.Director, mq), CaseSupervise, want{false, false, false, true}},
		{"city director reads", in(auth.Director, city), CaseRead, want{true, true, true, true}},
		{"city director accepts its own", in(auth.Director, city), CaseAccept, want{true, false, false, false}},
		{"city director notes its own", in(auth.Director, city), CaseNote, want{true, false, false, false}},
		{"city director supervises the counties", in(auth.Director, city), CaseSupervise, want{false, true, true, true}},
		{"city statistics", in(auth.Leader, city), StatsRead, want{true, true, true, true}},
		{"county statistics", in(auth.Leader, yt), StatsRead, want{false, false, true, false}},
		{"clerk supervises nothing", in(auth.Clerk, city), CaseSupervise, want{false, false, false, false}},
		{"the command line", auth.System("cli"), CaseAccept, want{true, true, true, true}},
	} {
		f := pol.Cases(tc.p, tc.perm)
		got := want{f.Admits(Facts{OfficeID: city}), f.Admits(Facts{OfficeID: mq}), f.Admits(Facts{OfficeID: yt}), f.Admits(Facts{OfficeID: mqTown})}
		if got != tc.want {
			t.Errorf("%s: admits city, MQ, YT, MQ's town = %+v, want %+v", tc.name, got, tc.want)
		}
	}
	// The liaison's unit scope is not limited by its office.
	if f := pol.Cases(liaison, CaseRead); !f.Admits(Facts{TransferUnitPath: "/1/4/", OfficeID: yt}) || f.OfficeLimited() {
		t.Error("a liaison's unit scope is limited by office")
	}
	var args []any
	arg := func(v any) string { args = append(args, v); return "$" + string(rune('0'+len(args))) }
	all := auth.Principal{UserID: 7, Role: auth.Director, OfficeID: city, Offices: tree[city], OfficeAll: true}
	for _, tc := range []struct {
		f    CaseFilter
		sql  string
		args []any
	}{
		{pol.Cases(in(auth.Director, mq), CaseRead), "(c.office_id IN (2, 7) AND c.covert_plan_id IS NULL)", nil},
		{pol.Cases(in(auth.Director, yt), CaseRead), "(c.office_id = $1 AND c.covert_plan_id IS NULL)", []any{int64(3)}},
		{pol.Cases(in(auth.Director, mq), CaseAccept), "(c.office_id = $1 AND c.covert_plan_id IS NULL)", []any{int64(2)}},
		{pol.Cases(in(auth.Director, city), CaseSupervise), "(c.office_id IN (2, 3, 7) AND c.covert_plan_id IS NULL)", nil},
		{pol.Cases(in(auth.Director, yt), CaseSupervise), "FALSE", nil},
		// An office with every other below it reads without a condition, acts on its own.
		{pol.Cases(all, CaseRead), "(c.covert_plan_id IS NULL)", nil},
		{pol.Cases(all, CaseAccept), "(c.office_id = $1 AND c.covert_plan_id IS NULL)", []any{int64(1)}},
	} {
		args = nil
		if got := tc.f.SQL("c", arg); got != tc.sql || fmt.Sprint(args) != fmt.Sprint(tc.args) {
			t.Errorf("SQL %s %v, want %s %v", got, args, tc.sql, tc.args)
		}
	}
	if !pol.Cases(in(auth.Director, mq), CaseRead).OfficeLimited() || pol.Cases(all, CaseRead).OfficeLimited() {
		t.Error("OfficeLimited")
	}
}
