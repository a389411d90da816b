package docket

import (
	"strings"
	"testing"
)

// Every value of the vocabulary is named in the three languages, staff's
// and the public's names of a state included, and no two values of a set
// share a name in one language (a reader could not tell them apart).
func TestEveryValueLabelled(t *testing.T) {
	type set struct {
		name   string
		values []string
		label  func(v, lang string) string
	}
	strs := func(vs ...string) []string { return vs }
	var states, channels, findings, actions, ratings, dues, callbacks []string
	for _, v := range States {
		states = append(states, string(v))
	}
	for _, v := range Channels {
		channels = append(channels, string(v))
	}
	for _, v := range Findings {
		findings = append(findings, string(v))
	}
	for _, v := range Actions {
		actions = append(actions, string(v))
	}
	for _, v := range Ratings {
		ratings = append(ratings, string(v))
	}
	for _, v := range Dues {
		dues = append(dues, string(v))
	}
	for _, v := range CallbackResults {
		callbacks = append(callbacks, string(v))
	}
	sets := []set{
		{"state", states, func(v, l string) string { return State(v).Label(l) }},
		{"public state", states, func(v, l string) string { return State(v).PublicLabel(l) }},
		{"channel", channels, func(v, l string) string { return Channel(v).Label(l) }},
		{"finding", findings, func(v, l string) string { return Finding(v).Label(l) }},
		{"action", actions, func(v, l string) string { return Action(v).Label(l) }},
		{"rating", ratings, func(v, l string) string { return Rating(v).Label(l) }},
		{"due", dues, func(v, l string) string { return Due(v).Label(l) }},
		{"callback result", callbacks, func(v, l string) string { return CallbackResult(v).Label(l) }},
	}
	for _, s := range sets {
		for _, lang := range strs(LangZhCN, LangZhTW, LangEn) {
			seen := map[string]string{}
			for _, v := range s.values {
				got := s.label(v, lang)
				if got == "" || got == v {
					t.Errorf("%s %s has no %s label (got %q)", s.name, v, lang, got)
				}
				if o, ok := seen[got]; ok && s.name != "action" {
					t.Errorf("%s: %s and %s are both %q in %s", s.name, o, v, got, lang)
				}
				seen[got] = v
			}
		}
	}
	// Actions share names only where the action is the state's cause
	// (refuse → 不予受理 is also the state); check the staff actions alone.
	seen := map[string]Action{}
	for _, a := range StaffActions {
		if o, ok := seen[a.Label(LangZhCN)]; ok {
			t.Errorf("actions %s and %s share the name %q", o, a, a.Label(LangZhCN))
		}
		seen[a.Label(LangZhCN)] = a
	}
}

// One wording for staff and one for the public: "concluded" reads the same
// on every staff page, export and report, and differently (in plain words)
// for the public.
func TestConcludedHasOneStaffAndOnePublicName(t *testing.T) {
	if got := Concluded.Label(LangZhCN); got != "已查结待答复" {
		t.Errorf("staff: %q", got)
	}
	if got := Concluded.PublicLabel(LangZhCN); got != "调查已结束" {
		t.Errorf("public: %q", got)
	}
	if Concluded.Label(LangZhTW) != "已查結待答覆" || Concluded.PublicLabel(LangZhTW) != "調查已結束" {
		t.Errorf("zh-TW: %q / %q", Concluded.Label(LangZhTW), Concluded.PublicLabel(LangZhTW))
	}
	if Concluded.Label("fr") != Concluded.Label(LangZhCN) {
		t.Error("an unknown language should read zh-CN")
	}
}

// The SQL of the open states and Go's list agree.
func TestOpenSQLMatchesOpenStates(t *testing.T) {
	if want := "state IN " + SQLList(OpenStates...); OpenSQL != want {
		t.Errorf("OpenSQL = %s\nwant      %s", OpenSQL, want)
	}
	for _, st := range States {
		if strings.Contains(OpenSQL, "'"+string(st)+"'") != st.Open() {
			t.Errorf("%s: OpenSQL and Open() disagree", st)
		}
	}
	if got := SQLList(Channel("a'b"), Web); got != "('a''b', 'web')" {
		t.Errorf("SQLList quoting: %s", got)
	}
}

// The Go and SQL forms of the current deadline agree on every state.
func TestCurrentDeadlineSQLMatchesGo(t *testing.T) {
	for _, st := range States {
		d := Deadlines{AcceptBy: mustDate("2026-01-01"), FinishBy: mustDate("2026-02-01"), ReviewBy: mustDate("2026-03-01")}
		got := d.Current(st)
		var want string
		switch {
		case !st.Open():
			want = ""
		case st == Registered:
			want = "2026-01-01"
		case st == Review:
			want = "2026-03-01"
		default:
			want = "2026-02-01"
		}
		if !got.IsZero() && got.String() != want || got.IsZero() && want != "" {
			t.Errorf("%s: Current = %v, want %q", st, got, want)
		}
	}
	for _, part := range []string{"WHEN 'registered' THEN accept_by", "WHEN 'review' THEN review_by", "ELSE finish_by"} {
		if !strings.Contains(CurrentDeadlineSQL, part) {
			t.Errorf("CurrentDeadlineSQL lacks %q", part)
		}
	}
}
