package calendar

import (
	"testing"

	"github.com/6tail/lunar-go/HolidayUtil"

	"mashang/internal/civil"
)

func d(s string) civil.Date { return civil.MustParse(s) }

func embedded(t *testing.T) *Calendar {
	t.Helper()
	ys, err := Embedded()
	if err != nil {
		t.Fatalf("Embedded: %v", err)
	}
	return New(ys...)
}

func TestEmbeddedYears(t *testing.T) {
	ys, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	if len(ys) != 2 || ys[0].Year != 2025 || ys[1].Year != 2026 {
		t.Fatalf("embedded years = %+v, want 2025 and 2026", ys)
	}
	c := New(ys...)
	if got := c.Years(); len(got) != 2 || got[0] != 2025 || got[1] != 2026 {
		t.Fatalf("Years() = %v", got)
	}
	if !c.Loaded(2025) || !c.Loaded(2026) || c.Loaded(2024) || c.Loaded(2027) {
		t.Fatal("Loaded disagrees with the embedded years")
	}
	if day, ok := c.Lookup(d("2026-02-17")); !ok || day.Kind != Off || day.Name != "春节" {
		t.Fatalf("Lookup(2026-02-17) = %+v, %v", day, ok)
	}
	if _, ok := c.Lookup(d("2026-03-03")); ok {
		t.Fatal("an ordinary day must not be listed")
	}
}

// Every day of 2025 and 2026, our data against lunar-go's HolidayUtil.
func TestAgreesWithLunarGo(t *testing.T) {
	c := embedded(t)
	for _, year := range []int{2025, 2026} {
		lunarListed := 0
		for day := civil.New(year, 1, 1); day.Year == year; day = day.AddDays(1) {
			lunarWork := !isWeekend(day)
			if h := HolidayUtil.GetHoliday(day.String()); h != nil {
				lunarWork = h.IsWork()
				lunarListed++
			}
			work, known := c.IsWorkday(day)
			if !known {
				t.Fatalf("%s: year not known", day)
			}
			if work != lunarWork {
				t.Errorf("%s (%s): ours work=%v, lunar-go work=%v", day, day.Weekday(), work, lunarWork)
			}
		}
		if lunarListed == 0 {
			t.Errorf("lunar-go lists nothing for %d; the comparison proves nothing", year)
		}
	}
}

func TestIsWorkday(t *testing.T) {
	c := embedded(t)
	tests := []struct {
		day         string
		work, known bool
	}{
		{"2026-01-01", false, true}, // 元旦, Thursday
		{"2026-01-04", true, true},  // make-up Sunday
		{"2026-01-05", true, true},  // ordinary Monday
		{"2026-01-10", false, true}, // ordinary Saturday
		{"2026-02-14", true, true},  // make-up Saturday before 春节
		{"2026-10-10", true, true},  // make-up Saturday after 国庆
		{"2025-01-26", true, true},  // make-up Sunday
		{"2025-10-08", false, true}, // last day of the 2025 break, Wednesday
		{"2027-01-01", true, false}, // Friday of an unloaded year: weekday rule
		{"2027-01-02", false, false},
		{"2024-10-01", true, false}, // 2024 is not loaded: a Tuesday counts as work
	}
	for _, tt := range tests {
		work, known := c.IsWorkday(d(tt.day))
		if work != tt.work || known != tt.known {
			t.Errorf("IsWorkday(%s) = %v, %v; want %v, %v", tt.day, work, known, tt.work, tt.known)
		}
	}
}

func TestDueCalendarDays(t *testing.T) {
	c := embedded(t)
	tests := []struct {
		name  string
		start string
		n     int
		due   string
		prov  bool
	}{
		{"ends inside National Day 2026, 10-10 Sat is make-up but 10-08 comes first", "2026-09-18", 15, "2026-10-08", false},
		{"60-day finish ends inside National Day 2026", "2026-08-04", 60, "2026-10-08", false},
		{"ends inside National Day 2025", "2025-09-20", 15, "2025-10-09", false},
		{"ends inside Spring Festival 2026", "2026-02-01", 15, "2026-02-24", false},
		{"ends inside Spring Festival 2025", "2025-01-15", 15, "2025-02-05", false},
		{"ends on make-up Sunday 2026-01-04: stays", "2025-12-20", 15, "2026-01-04", false},
		{"ends on make-up Sunday 2026-09-20: stays", "2026-09-05", 15, "2026-09-20", false},
		{"ends on make-up Saturday 2026-02-14: stays", "2026-01-30", 15, "2026-02-14", false},
		{"ends on make-up Saturday 2026-10-10: stays", "2026-09-25", 15, "2026-10-10", false},
		{"ends on make-up Sunday 2025-09-28: stays", "2025-09-13", 15, "2025-09-28", false},
		{"ends on make-up Sunday 2025-04-27: stays", "2025-04-12", 15, "2025-04-27", false},
		{"ends on ordinary Saturday 2026-03-14: Monday", "2026-02-27", 15, "2026-03-16", false},
		{"ends on ordinary Saturday 2025-03-15: Monday", "2025-02-28", 15, "2025-03-17", false},
		{"ends on an ordinary Tuesday", "2026-03-02", 15, "2026-03-17", false},
		{"accept: ends on 劳动节 2025", "2025-04-20", 15, "2025-05-06", false},
		{"accept: ends on 端午 2025 Sunday", "2025-05-17", 15, "2025-06-03", false},
		{"accept: ends on 端午 2026 Saturday", "2026-06-05", 15, "2026-06-22", false},
		{"accept: ends on 劳动节 2026", "2026-04-20", 15, "2026-05-06", false},
		{"accept: ends on 中秋 2026 Sunday", "2026-09-12", 15, "2026-09-28", false},
		{"accept: ends on make-up Saturday 2026-05-09", "2026-04-24", 15, "2026-05-09", false},
		{"accept: ends on 元旦 2026 (Thu) → Sunday 01-04 is make-up", "2025-12-17", 15, "2026-01-04", false},
		{"start in unloaded 2024, every consulted day in 2025", "2024-12-20", 15, "2025-01-06", false},
		{"last day in unloaded 2027: provisional", "2026-12-17", 15, "2027-01-01", true},
		{"n = 0 on a working day", "2026-03-02", 0, "2026-03-02", false},
		{"n = 0 on a holiday rolls forward", "2026-10-01", 0, "2026-10-08", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			due, prov := c.DueCalendarDays(d(tt.start), tt.n)
			if due.String() != tt.due || prov != tt.prov {
				t.Errorf("DueCalendarDays(%s, %d) = %s, %v; want %s, %v", tt.start, tt.n, due, prov, tt.due, tt.prov)
			}
			if tt.n > 0 {
				if work, _ := c.IsWorkday(due); !work {
					t.Errorf("deadline %s is not a working day", due)
				}
			}
		})
	}
}

func TestDueWorkdays(t *testing.T) {
	c := embedded(t)
	tests := []struct {
		name  string
		start string
		n     int
		due   string
		prov  bool
	}{
		{"across National Day 2026, counting make-up Saturday 10-10", "2026-09-29", 5, "2026-10-12", false},
		{"across Spring Festival 2026, counting make-up Saturday 02-14", "2026-02-12", 5, "2026-02-26", false},
		{"across National Day 2025", "2025-09-26", 5, "2025-10-10", false},
		{"ordinary week", "2026-03-02", 5, "2026-03-09", false},
		{"start on a holiday", "2026-10-03", 1, "2026-10-08", false},
		{"into unloaded 2027", "2026-12-28", 5, "2027-01-04", true},
		{"n = 0", "2026-10-03", 0, "2026-10-03", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			due, prov := c.DueWorkdays(d(tt.start), tt.n)
			if due.String() != tt.due || prov != tt.prov {
				t.Errorf("DueWorkdays(%s, %d) = %s, %v; want %s, %v", tt.start, tt.n, due, prov, tt.due, tt.prov)
			}
		})
	}
}

// A year built in code standing in for the 2027 notice.
func year2027() Year {
	return Year{Year: 2027, Days: []Day{
		{Date: d("2027-01-01"), Kind: Off, Name: "元旦"},
		{Date: d("2027-01-04"), Kind: Off, Name: "测试"},
		{Date: d("2027-01-09"), Kind: Work, Name: "测试"},
	}}
}

func TestProvisionalThenLoaded(t *testing.T) {
	base := embedded(t)
	withNext := base.With(year2027())
	if base.Loaded(2027) {
		t.Fatal("With must not change the original calendar")
	}
	if !withNext.Loaded(2027) || !withNext.Loaded(2026) {
		t.Fatal("With must keep old years and add the new one")
	}
	tests := []struct {
		name             string
		start            string
		l                Limit
		before, after    string
		beforeProvisonal bool
	}{
		{"15 calendar days ending on 2027-01-01", "2026-12-17", Limit{15, UnitCalendar}, "2027-01-01", "2027-01-05", true},
		{"5 working days across New Year", "2026-12-28", Limit{5, UnitWorkday}, "2027-01-04", "2027-01-06", true},
		{"working days reaching a 2027 make-up Saturday", "2027-01-05", Limit{4, UnitWorkday}, "2027-01-11", "2027-01-09", true},
		{"still in 2026: never provisional", "2026-12-01", Limit{15, UnitCalendar}, "2026-12-16", "2026-12-16", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			due, prov := base.Due(d(tt.start), tt.l)
			if due.String() != tt.before || prov != tt.beforeProvisonal {
				t.Errorf("without 2027: %s, %v; want %s, %v", due, prov, tt.before, tt.beforeProvisonal)
			}
			due, prov = withNext.Due(d(tt.start), tt.l)
			if due.String() != tt.after || prov {
				t.Errorf("with 2027: %s, %v; want %s, definite", due, prov, tt.after)
			}
		})
	}
	// 2027-01-09 (make-up Saturday) counts only once 2027 is loaded.
	if due, _ := withNext.DueWorkdays(d("2027-01-07"), 2); due.String() != "2027-01-09" {
		t.Errorf("make-up Saturday 2027-01-09 not counted: %s", due)
	}
}

func TestProvisionalWhenWalkingIntoUnloadedYear(t *testing.T) {
	// 2030-12-31 (Tuesday) is off in a test year; walking forward enters unloaded 2031.
	c := New(Year{Year: 2030, Days: []Day{{Date: d("2030-12-31"), Kind: Off}}})
	due, prov := c.DueCalendarDays(d("2030-12-16"), 15)
	if due.String() != "2031-01-01" || !prov {
		t.Fatalf("got %s, %v; want 2031-01-01, provisional", due, prov)
	}
}

func TestWorkdaysLeft(t *testing.T) {
	c := embedded(t)
	tests := []struct {
		name       string
		today, due string
		want       int
	}{
		{"due today", "2026-10-08", "2026-10-08", 0},
		{"across National Day: only 10-08 is a working day", "2026-09-30", "2026-10-08", 1},
		{"across National Day, make-up Saturday counts", "2026-09-29", "2026-10-10", 4},
		{"across Spring Festival", "2026-02-13", "2026-02-25", 3},
		{"plain week", "2026-03-02", "2026-03-09", 5},
		{"today a holiday", "2026-10-03", "2026-10-09", 2},
		{"overdue across National Day", "2026-10-08", "2026-09-30", -1},
		{"overdue only by holidays still reads overdue", "2026-10-05", "2026-09-30", -1},
		{"overdue including a make-up Saturday", "2026-10-12", "2026-10-09", -2},
		{"overdue by a plain weekend", "2026-03-08", "2026-03-06", -1},
		{"unloaded 2027 by weekday rule", "2026-12-31", "2027-01-05", 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := c.WorkdaysLeft(d(tt.today), d(tt.due)); got != tt.want {
				t.Errorf("WorkdaysLeft(%s, %s) = %d, want %d", tt.today, tt.due, got, tt.want)
			}
		})
	}
}

// countWorkdays uses arithmetic plus corrections; check it against a walk.
func TestCountWorkdaysMatchesWalk(t *testing.T) {
	c := embedded(t).With(year2027())
	walk := func(a, b civil.Date) int {
		n := 0
		for x := a.AddDays(1); !x.After(b); x = x.AddDays(1) {
			if w, _ := c.IsWorkday(x); w {
				n++
			}
		}
		return n
	}
	start := d("2024-12-01")
	for i := 0; i < 900; i += 7 {
		a := start.AddDays(i)
		for _, span := range []int{0, 1, 3, 6, 7, 13, 40, 400} {
			b := a.AddDays(span)
			if got, want := c.countWorkdays(a, b), walk(a, b); got != want {
				t.Fatalf("countWorkdays(%s, %s) = %d, walk = %d", a, b, got, want)
			}
		}
	}
}

func TestNilAndEmptyCalendar(t *testing.T) {
	var c *Calendar
	if w, k := c.IsWorkday(d("2026-10-01")); !w || k {
		t.Errorf("nil calendar: IsWorkday = %v, %v", w, k)
	}
	if due, prov := c.DueCalendarDays(d("2026-09-18"), 15); due.String() != "2026-10-05" || !prov {
		t.Errorf("nil calendar: %s, %v", due, prov)
	}
	if len(c.Years()) != 0 || New().Loaded(2026) {
		t.Error("empty calendars hold no years")
	}
}

func TestNewCopiesInput(t *testing.T) {
	y := Year{Year: 2030, Days: []Day{{Date: d("2030-01-01"), Kind: Off}}}
	c := New(y)
	y.Days[0].Kind = Work
	if w, _ := c.IsWorkday(d("2030-01-01")); w {
		t.Fatal("changing the Year after New changed the calendar")
	}
}

// An office's own days laid over the national calendar: a local holiday on
// a working day, a local working day on a national holiday and on a weekend.
func TestOverlay(t *testing.T) {
	nat := embedded(t)
	local := nat.Overlay([]Day{
		{Date: d("2026-03-16"), Kind: Off, Name: "本地节日"},  // Monday
		{Date: d("2026-10-08"), Kind: Work, Name: "本地上班"}, // a national holiday (Thursday after the break)
		{Date: d("2026-03-21"), Kind: Work, Name: "本地调休"}, // Saturday
		{Date: d("2027-03-15"), Kind: Off, Name: "未公布年份"}, // a year not loaded
	})
	for _, tc := range []struct {
		day         string
		work, known bool
	}{
		{"2026-03-16", false, true}, {"2026-03-17", true, true},
		{"2026-10-08", true, true}, {"2026-10-07", false, true},
		{"2026-03-21", true, true}, {"2026-03-22", false, true},
		{"2027-03-15", false, false}, {"2027-03-16", true, false},
	} {
		if w, k := local.IsWorkday(d(tc.day)); w != tc.work || k != tc.known {
			t.Errorf("overlay IsWorkday(%s) = %v, %v; want %v, %v", tc.day, w, k, tc.work, tc.known)
		}
	}
	if w, _ := nat.IsWorkday(d("2026-03-16")); !w {
		t.Error("Overlay changed the calendar it was laid over")
	}
	if day, ok := local.Lookup(d("2026-03-16")); !ok || day.Name != "本地节日" {
		t.Errorf("Lookup = %+v, %v", day, ok)
	}
	// 5 working days from Friday 13 March: 16th is off, so 17..20 and 21 (make-up) → 21st.
	if due, prov := local.DueWorkdays(d("2026-03-13"), 5); due.String() != "2026-03-21" || prov {
		t.Errorf("DueWorkdays = %s, %v", due, prov)
	}
	if due, _ := nat.DueWorkdays(d("2026-03-13"), 5); due.String() != "2026-03-20" {
		t.Errorf("national DueWorkdays = %s", due)
	}
	if got := len(local.Local()); got != 4 || nat.Overlay(nil) != nat {
		t.Errorf("Local() has %d days; Overlay(nil) must return the calendar itself", got)
	}
	// The arithmetic count agrees with a walk over the overlay.
	for _, span := range [][2]string{{"2026-03-01", "2026-04-01"}, {"2026-09-25", "2026-10-20"}, {"2026-12-20", "2027-04-01"}, {"2026-03-16", "2026-03-16"}} {
		a, b := d(span[0]), d(span[1])
		n := 0
		for x := a.AddDays(1); !x.After(b); x = x.AddDays(1) {
			if w, _ := local.IsWorkday(x); w {
				n++
			}
		}
		if got := local.countWorkdays(a, b); got != n {
			t.Errorf("countWorkdays(%s, %s) = %d, walk = %d", a, b, got, n)
		}
	}
}
