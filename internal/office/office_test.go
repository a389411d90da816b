package office_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"mashang/internal/auth"
	"mashang/internal/calendar"
	"mashang/internal/civil"
	"mashang/internal/clock"
	"mashang/internal/office"
	"mashang/internal/org"
	"mashang/internal/problem"
	"mashang/internal/store"
	"mashang/internal/store/storetest"
)

var sys = auth.System("test")

// units makes a city (FZ) with two counties (MQ, YT), a town in MQ and a
// department of the city.
func units(t *testing.T, db *store.DB, c clock.Clock) {
	t.Helper()
	o := org.NewService(db, c)
	for _, u := range []struct{ code, name, parent, kind string }{
		{"FZ", "福州市", "", "city"}, {"FZ-XZ", "福州市行政服务中心", "FZ", "service_centre"},
		{"MQ", "闽清县", "FZ", "county"}, {"MQ-MX", "梅溪镇", "MQ", "town"}, {"MQ-MX-BM", "梅溪镇便民服务中心", "MQ-MX", "service_centre"},
		{"YT", "永泰县", "FZ", "county"},
	} {
		in := org.UnitInput{Code: u.code, Name: u.name, Kind: u.kind}
		if u.parent != "" {
			p := u.parent
			in.Parent = &p
		}
		if _, err := o.CreateUnit(context.Background(), sys, in); err != nil {
			t.Fatal(err)
		}
	}
}

func unitPath(t *testing.T, db *store.DB, code string) string {
	t.Helper()
	var p string
	if err := db.Read.QueryRow(`SELECT path FROM units WHERE code = $1`, code).Scan(&p); err != nil {
		t.Fatal(err)
	}
	return p
}

func wantProblem(t *testing.T, err error, kind problem.Kind, code string) {
	t.Helper()
	pe, ok := problem.As(err)
	if !ok || pe.Kind != kind || pe.Code != code {
		t.Fatalf("got %v, want %s", err, code)
	}
}

// The first start makes one office that covers everything; counties'
// offices made before the city's end up under it once the one office is
// given the city as its jurisdiction, and a case finds its office by its
// unit, else by the office it came in by, else the top one.
func TestTreeFollowsTheUnits(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := clock.NewFixed(time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC))
		s := office.New(db, c, office.Base{Limits: calendar.DefaultLimits()})
		tr, err := s.Tree(ctx)
		if err != nil {
			t.Fatal(err)
		}
		home := tr.Home()
		if home.Code != office.HomeCode || home.Jurisdiction != "" || len(tr.All()) != 1 {
			t.Fatalf("first start: %+v, %d offices", home, len(tr.All()))
		}
		units(t, db, c)
		mq, err := s.Create(ctx, sys, office.Input{Code: "MQ", Name: "闽清县整肃办", Jurisdiction: "MQ"})
		if err != nil {
			t.Fatal(err)
		}
		if mq.Parent != office.HomeCode || mq.Level != "county" {
			t.Fatalf("MQ: %+v", mq)
		}
		if _, err := s.Create(ctx, sys, office.Input{Code: "YT", Name: "永泰县整肃办", Jurisdiction: "YT"}); err != nil {
			t.Fatal(err)
		}
		city, err := s.Update(ctx, sys, office.HomeCode, office.Input{Name: "福州市整肃办", Jurisdiction: "FZ"})
		if err != nil {
			t.Fatal(err)
		}
		if city.Level != "city" || city.Parent != "" || city.Name != "福州市整肃办" {
			t.Fatalf("city: %+v", city)
		}
		tr, err = s.Tree(ctx)
		if err != nil {
			t.Fatal(err)
		}
		mqo, _ := tr.ByCode("MQ")
		yto, _ := tr.ByCode("YT")
		if mqo.Parent != office.HomeCode || !tr.IsAbove(city.ID, mqo.ID) || tr.IsAbove(mqo.ID, yto.ID) || tr.IsAbove(mqo.ID, mqo.ID) {
			t.Fatalf("links: MQ %+v YT %+v", mqo, yto)
		}
		if below := tr.Below(city.ID); len(below) != 2 || len(tr.Children(city.ID)) != 2 || len(tr.Below(mqo.ID)) != 0 {
			t.Fatalf("below the city: %v", below)
		}
		if up, ok := tr.Above(mqo.ID); !ok || up.ID != city.ID {
			t.Fatalf("above MQ: %+v", up)
		}
		if ch := tr.Chain(mqo.ID); len(ch) != 2 || ch[0].ID != mqo.ID || ch[1].ID != city.ID {
			t.Fatalf("chain: %+v", ch)
		}
		for _, tc := range []struct {
			unit string
			via  int64
			want string
		}{
			{"MQ-MX-BM", 0, "MQ"},      // a town's service centre: the county's
			{"MQ-MX-BM", yto.ID, "MQ"}, // the unit wins over the office it came in by
			{"FZ-XZ", mqo.ID, "main"},  // a city unit: the city's
			{"", yto.ID, "YT"},         // no unit: the office it came in by
			{"", 0, "main"},            // neither: the top office
		} {
			path := ""
			if tc.unit != "" {
				path = unitPath(t, db, tc.unit)
			}
			if got := tr.Of(path, tc.via); got.Code != tc.want {
				t.Errorf("Of(%s, %d) = %s, want %s", tc.unit, tc.via, got.Code, tc.want)
			}
		}
		// Refusals.
		_, err = s.Create(ctx, sys, office.Input{Code: "MQ", Name: "again", Jurisdiction: "YT"})
		wantProblem(t, err, problem.KindConflict, "duplicate_office")
		_, err = s.Create(ctx, sys, office.Input{Code: "MQ2", Name: "again", Jurisdiction: "MQ"})
		wantProblem(t, err, problem.KindConflict, "jurisdiction_taken")
		_, err = s.Create(ctx, sys, office.Input{Code: "MX", Name: "梅溪", Jurisdiction: "MQ-MX"})
		wantProblem(t, err, problem.KindInvalid, "not_a_jurisdiction")
		_, err = s.Create(ctx, sys, office.Input{Code: "X", Name: "x", Jurisdiction: "NOPE"})
		wantProblem(t, err, problem.KindInvalid, "unknown_unit")
		_, err = s.Create(ctx, sys, office.Input{Code: "bad code", Name: "x", Jurisdiction: "YT"})
		wantProblem(t, err, problem.KindInvalid, "invalid_office_code")
		_, err = s.Create(ctx, sys, office.Input{Code: "X", Jurisdiction: "YT"})
		wantProblem(t, err, problem.KindInvalid, "invalid_office_name")
		_, err = s.Update(ctx, sys, "NOPE", office.Input{Name: "x"})
		wantProblem(t, err, problem.KindNotFound, "office_not_found")
		if tr2, _ := s.Tree(ctx); len(tr2.All()) != 3 {
			t.Fatalf("refusals changed the offices: %d", len(tr2.All()))
		}
		var n int
		if err := db.Read.QueryRow(`SELECT COUNT(*) FROM audit_log WHERE action IN ('office.create', 'office.update')`).Scan(&n); err != nil || n != 3 {
			t.Fatalf("audited %d office writes, want 3 (%v)", n, err)
		}
	})
}

func lim(days int, unit string) *calendar.Limit { return &calendar.Limit{Days: days, Unit: unit} }

// Settings are inherited from the office above unless set: limits field by
// field, channels whole, the letterhead field by field but never its name;
// unsetting inherits again; the base applies where no office sets a key.
func TestSettingsInherit(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := clock.NewFixed(time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC))
		base := calendar.DefaultLimits()
		s := office.New(db, c, office.Base{Limits: base, RuleSet: "fuzhou-2015", CatalogVersion: "2015-04-21"})
		units(t, db, c)
		city, err := s.Update(ctx, sys, office.HomeCode, office.Input{Name: "福州市整肃办", Jurisdiction: "FZ"})
		if err != nil {
			t.Fatal(err)
		}
		mq, err := s.Create(ctx, sys, office.Input{Code: "MQ", Name: "闽清县整肃办", Jurisdiction: "MQ"})
		if err != nil {
			t.Fatal(err)
		}
		yt, err := s.Create(ctx, sys, office.Input{Code: "YT", Name: "永泰县整肃办", Jurisdiction: "YT"})
		if err != nil {
			t.Fatal(err)
		}
		// The city: accept in 5 working days, finish in 30 days; its channels and letterhead.
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		must(office.Set(ctx, s, sys, city.ID, office.LimitsKey, calendar.LimitsPatch{Accept: lim(5, calendar.UnitWorkday), Finish: lim(30, calendar.UnitCalendar)}))
		must(office.Set(ctx, s, sys, city.ID, office.ChannelsKey, office.Channels{Hotlines: []office.Hotline{{Name: " 市效能办 ", Number: "0591-12345"}}, Email: "jb@fz.example.cn"}))
		must(office.Set(ctx, s, sys, city.ID, office.LetterheadKey, office.Letterhead{Name: "福州市整肃“为官不为”领导小组办公室", Short: "榕整肃", Address: "福州市鼓楼区"}))
		// Minqing: its own finish limit only, its own short prefix only.
		must(office.Set(ctx, s, sys, mq.ID, office.LimitsKey, calendar.LimitsPatch{Finish: lim(45, calendar.UnitCalendar)}))
		must(office.Set(ctx, s, sys, mq.ID, office.LetterheadKey, office.Letterhead{Short: "闽整肃"}))
		must(office.Set(ctx, s, sys, mq.ID, office.ApprovalKey, true))

		cs, err := s.Settings(ctx, city.ID)
		must(err)
		if cs.Limits.Accept != *lim(5, calendar.UnitWorkday) || cs.Limits.Finish != *lim(30, calendar.UnitCalendar) || cs.Limits.ReviewRequest != base.ReviewRequest {
			t.Fatalf("city limits: %+v", cs.Limits)
		}
		if cs.Channels.Hotlines[0].Name != "市效能办" || cs.Letterhead.Name != "福州市整肃“为官不为”领导小组办公室" || cs.RuleSet != "fuzhou-2015" || cs.DecisionApproval {
			t.Fatalf("city settings: %+v", cs)
		}
		ms, err := s.Settings(ctx, mq.ID)
		must(err)
		if ms.Limits.Accept != *lim(5, calendar.UnitWorkday) || ms.Limits.Finish != *lim(45, calendar.UnitCalendar) {
			t.Fatalf("Minqing limits: %+v", ms.Limits)
		}
		if ms.Channels.Email != "jb@fz.example.cn" || ms.From["channels"] != office.HomeCode || ms.From["limits"] != "MQ" {
			t.Fatalf("Minqing inherits the city's channels: %+v from %v", ms.Channels, ms.From)
		}
		if ms.Letterhead.Name != "闽清县整肃办" || ms.Letterhead.Short != "闽整肃" || ms.Letterhead.Address != "福州市鼓楼区" {
			t.Fatalf("Minqing letterhead: %+v", ms.Letterhead)
		}
		if !ms.DecisionApproval || len(ms.Own) != 3 {
			t.Fatalf("Minqing approval and own keys: %v %v", ms.DecisionApproval, ms.Own)
		}
		ys, err := s.Settings(ctx, yt.ID)
		must(err)
		if ys.Limits.Finish != *lim(30, calendar.UnitCalendar) || ys.DecisionApproval || ys.Letterhead.Short != "榕整肃" || len(ys.Own) != 0 {
			t.Fatalf("Yongtai inherits the city's: %+v", ys)
		}
		// The generic API: Get and Own.
		lp, err := office.Get(ctx, s, mq.ID, office.LimitsKey, calendar.LimitsPatch{})
		must(err)
		if lp.Apply(base).Finish.Days != 45 || lp.Apply(base).Accept.Days != 5 {
			t.Fatalf("Get limits: %+v", lp)
		}
		if _, ok, err := office.Own(ctx, s, yt.ID, office.LimitsKey); ok || err != nil {
			t.Fatalf("Yongtai sets no limits of its own: %v %v", ok, err)
		}
		// A key of another package, declared where it is used.
		type texts struct {
			Welcome string `json:"welcome"`
		}
		welcome := office.Key[texts]{Name: "test_texts"}
		must(office.Set(ctx, s, sys, city.ID, welcome, texts{Welcome: "欢迎"}))
		if v, err := office.Get(ctx, s, yt.ID, welcome, texts{Welcome: "default"}); err != nil || v.Welcome != "欢迎" {
			t.Fatalf("a key of another package: %+v %v", v, err)
		}
		if v, err := office.Get(ctx, s, 9999, welcome, texts{Welcome: "default"}); err != nil || v.Welcome != "default" {
			t.Fatalf("an unknown office gets the base: %+v %v", v, err)
		}
		// Unset: Minqing inherits the city's limits again.
		must(s.Unset(ctx, sys, mq.ID, office.LimitsKey.Name))
		ms, err = s.Settings(ctx, mq.ID)
		must(err)
		if ms.Limits.Finish != *lim(30, calendar.UnitCalendar) {
			t.Fatalf("after unset: %+v", ms.Limits)
		}
		// Bad values are refused and change nothing.
		err = office.Set(ctx, s, sys, mq.ID, office.LimitsKey, calendar.LimitsPatch{Accept: lim(0, calendar.UnitWorkday)})
		wantProblem(t, err, problem.KindInvalid, "invalid_limit")
		err = office.Set(ctx, s, sys, mq.ID, office.ChannelsKey, office.Channels{Email: "not an address"})
		wantProblem(t, err, problem.KindInvalid, "invalid_email")
		err = office.Set(ctx, s, sys, mq.ID, office.CalendarKey, []calendar.Day{{Date: civil.New(2026, 3, 9), Kind: "holiday"}})
		wantProblem(t, err, problem.KindInvalid, "invalid_day_kind")
		err = office.Set(ctx, s, sys, 9999, office.RuleSetKey, "national-2019")
		wantProblem(t, err, problem.KindNotFound, "office_not_found")
		if _, ok, _ := office.Own(ctx, s, mq.ID, office.ChannelsKey); ok {
			t.Fatal("a refused value was stored")
		}
		// Calendar days add up down the tree, the office's own winning.
		must(office.Set(ctx, s, sys, city.ID, office.CalendarKey, []calendar.Day{{Date: civil.New(2026, 3, 9), Kind: calendar.Off, Name: "市庆"}}))
		must(office.Set(ctx, s, sys, mq.ID, office.CalendarKey, []calendar.Day{{Date: civil.New(2026, 3, 9), Kind: calendar.Work, Name: "县调休"},
			{Date: civil.New(2026, 3, 10), Kind: calendar.Off, Name: "县庆"}}))
		ms, err = s.Settings(ctx, mq.ID)
		must(err)
		if len(ms.Calendar) != 2 || ms.Calendar[0].Kind != calendar.Work {
			t.Fatalf("Minqing's days: %+v", ms.Calendar)
		}
		var raw string
		must(db.Read.QueryRow(`SELECT data FROM audit_log WHERE action = 'office.settings' ORDER BY seq DESC LIMIT 1`).Scan(&raw))
		var ad map[string]any
		if json.Unmarshal([]byte(raw), &ad) != nil || ad["key"] != "calendar" {
			t.Fatalf("audit of a setting: %s", raw)
		}
	})
}

// The English texts of an office's words go with the Chinese they
// translate: the address's English is inherited only with the address, the
// English name never; an English text without its Chinese, or more English
// box names than boxes, is refused.
func TestEnglishTextsRules(t *testing.T) {
	city := office.Letterhead{Name: "福州市整肃办", NameEn: "Fuzhou Office", Address: "福州市鼓楼区", AddressEn: "Gulou, Fuzhou", Postcode: "350001"}
	for _, tc := range []struct {
		name string
		own  office.Letterhead
		want office.Letterhead
	}{
		{"nothing of its own", office.Letterhead{Short: "闽整肃"},
			office.Letterhead{Name: "福州市整肃办", Short: "闽整肃", Address: "福州市鼓楼区", AddressEn: "Gulou, Fuzhou", Postcode: "350001"}},
		{"its own address without English", office.Letterhead{Address: "闽清县梅城镇"},
			office.Letterhead{Name: "福州市整肃办", Address: "闽清县梅城镇", Postcode: "350001"}},
		{"its own address and English", office.Letterhead{Address: "闽清县梅城镇", AddressEn: "Meicheng", NameEn: "Minqing Office"},
			office.Letterhead{Name: "福州市整肃办", NameEn: "Minqing Office", Address: "闽清县梅城镇", AddressEn: "Meicheng", Postcode: "350001"}},
	} {
		if got := office.LetterheadKey.Merge(tc.own, city); got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
	for _, tc := range []struct {
		name  string
		check func() error
		field string
	}{
		{"an English address alone", func() error { return office.LetterheadKey.Check(&office.Letterhead{AddressEn: "Gulou"}) }, "letterhead.address_en"},
		{"an English name too long", func() error {
			return office.LetterheadKey.Check(&office.Letterhead{NameEn: strings.Repeat("x", 201)})
		}, "letterhead.name_en"},
		{"more English box names than boxes", func() error {
			return office.ChannelsKey.Check(&office.Channels{Boxes: []string{"县委"}, BoxesEn: []string{"A", "B"}})
		}, "channels.boxes_en"},
		{"an English box name for an empty box", func() error {
			return office.ChannelsKey.Check(&office.Channels{Boxes: []string{"", "县委"}, BoxesEn: []string{"A"}})
		}, "channels.boxes_en"},
		{"a hotline's English name with a NUL", func() error {
			return office.ChannelsKey.Check(&office.Channels{Hotlines: []office.Hotline{{Number: "1", NameEn: "a\x00"}}})
		}, "channels.hotlines.name_en"},
	} {
		err := tc.check()
		if p, ok := problem.As(err); !ok || p.Field != tc.field {
			t.Errorf("%s: %v, want a problem on %s", tc.name, err, tc.field)
		}
	}
	c := office.Channels{Hotlines: []office.Hotline{{Name: "县效能办", Number: " 1 ", NameEn: " Efficiency "}}, Boxes: []string{"县委", "县政府"}, BoxesEn: []string{" ", " Government ", ""}}
	if err := office.ChannelsKey.Check(&c); err == nil {
		t.Error("three English box names for two boxes were taken")
	}
	c.BoxesEn = []string{" Committee ", " "}
	if err := office.ChannelsKey.Check(&c); err != nil || c.Hotlines[0].NameEn != "Efficiency" || len(c.BoxesEn) != 1 || c.BoxesEn[0] != "Committee" || c.BoxEn(1) != "" {
		t.Errorf("trimmed: %+v %v", c, err)
	}
}
