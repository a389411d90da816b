package org_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"mashang/internal/auth"
	"mashang/internal/clock"
	"mashang/internal/org"
	"mashang/internal/problem"
	"mashang/internal/store"
	"mashang/internal/store/storetest"
)

func svc(db *store.DB) *org.Service {
	return org.NewService(db, clock.NewFixed(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)))
}

func TestImportMinqingUTF8AndGBK(t *testing.T) {
	for _, f := range []string{"testdata/minqing-units.csv", "testdata/minqing-units.gbk.csv"} {
		t.Run(f, func(t *testing.T) {
			storetest.Engines(t, func(t *testing.T, db *store.DB) {
				ctx := context.Background()
				s := svc(db)
				data, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				res, err := s.Import(ctx, auth.System("cli"), data)
				if err != nil {
					t.Fatal(err)
				}
				units, _ := s.Units(ctx)
				if res.Kind != "units" || res.Created != len(units) || len(units) < 40 {
					t.Fatalf("result %+v, %d units", res, len(units))
				}
				u, err := s.Unit(ctx, "MQ-ZSB")
				if err != nil || u.Name != `闽清县整肃"为官不为"领导小组办公室` || u.Parent != "MQ-XNB" || u.Kind != "office" || u.Depth != 2 {
					t.Fatalf("quoted name: %+v %v", u, err)
				}
				// Importing again updates, creates nothing.
				res, err = s.Import(ctx, auth.System("cli"), data)
				if err != nil || res.Created != 0 || res.Updated != len(units) {
					t.Fatalf("reimport %+v %v", res, err)
				}
			})
		})
	}
}

func TestImportIsAllOrNothing(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := svc(db)
		for _, tc := range []struct{ csv, line string }{
			{"code,name,parent,kind\nA,甲,,county\nB,乙,A,department\nC,丙,NOPE,town\n", "line 4"},
			{"code,name,parent,kind\nA,甲,,county\nA,乙,,county\n", "line 3"},
			{"code,name,parent,kind\nA,甲,,planet\n", "line 2"},
			{"code,name,parent,kind\nX,甲,Y,town\nY,乙,X,town\n", "cycle"},
			{"code,name,parent,kind\nA,\"unterminated,,county\n", "line"},
			{"foo,bar\n1,2\n", "header"},
			// The office column: a bad code, an office over a unit that is no
			// jurisdiction, one office over two counties, two offices over one.
			{"code,name,parent,kind,office\nA,甲,,county,a b\n", "line 2: the office code a b is not valid"},
			{"code,name,parent,kind,office\nA,甲,,county,A\nB,乙,A,department,B\n", "line 3: a jurisdiction is a unit of kind"},
			{"code,name,parent,kind,office\nA,甲,,county,A\nB,乙,,county,A\n", "line 3: the office A already covers A"},
		} {
			_, err := s.Import(ctx, auth.System("cli"), []byte(tc.csv))
			pe, ok := problem.As(err)
			if !ok || pe.Kind != problem.KindInvalid || !strings.Contains(pe.EN, tc.line) {
				t.Errorf("%q: %v", tc.csv, err)
			}
			if units, _ := s.Units(ctx); len(units) != 0 {
				t.Fatalf("half an import kept: %d units", len(units))
			}
		}
	})
}

// The org CSV's office column gives a unit's subtree to an office: the one
// office of a deployment (main) gets the city, each county an office made
// for it, under the city's; importing again changes nothing; every refusal
// above (TestImportIsAllOrNothing) leaves no unit and no office behind.
func TestImportOfficeColumn(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := svc(db)
		changed := 0
		s.OfficesChanged = func() { changed++ }
		csv := "code,name,parent,kind,office,office_name\n" +
			"FZ,福州市,,city,main,\n" +
			"MQ,闽清县,FZ,county,MQ,\"闽清县整肃\"\"为官不为\"\"办公室\"\n" +
			"MQ-ZX,闽清县行政服务中心,MQ,service_centre,,\n" +
			"YT,永泰县,FZ,county,YT,\n"
		res, err := s.Import(ctx, auth.System("cli"), []byte(csv))
		if err != nil || res.Created != 4 || res.Offices != 3 || changed != 1 {
			t.Fatalf("import: %+v %v (changed %d)", res, err, changed)
		}
		rows, err := db.Read.Query(`SELECT o.code, o.name, u.code, COALESCE(p.code, '') FROM offices o JOIN units u ON u.id = o.unit_id
			LEFT JOIN offices p ON p.id = o.parent_id ORDER BY o.code`)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for rows.Next() {
			var c, n, u, p string
			if err := rows.Scan(&c, &n, &u, &p); err != nil {
				t.Fatal(err)
			}
			got = append(got, c+" "+n+" "+u+" <"+p)
		}
		rows.Close()
		want := `[MQ 闽清县整肃"为官不为"办公室 MQ <main YT 永泰县整肃办 YT <main main 整肃办 FZ <]`
		if fmt.Sprint(got) != want {
			t.Fatalf("offices:\n%v\nwant\n%s", got, want)
		}
		res, err = s.Import(ctx, auth.System("cli"), []byte(csv))
		if err != nil || res.Offices != 0 || res.Updated != 4 || changed != 1 {
			t.Fatalf("again: %+v %v", res, err)
		}
		// A county taken by another office is refused, changing nothing.
		_, err = s.Import(ctx, auth.System("cli"), []byte("code,name,parent,kind,office\nLJ,连江县,FZ,county,LJ\nYT,永泰县,FZ,county,LJ2\n"))
		if pe, ok := problem.As(err); !ok || !strings.Contains(pe.EN, "line 3") || pe.Code != "jurisdiction_taken" && !strings.Contains(pe.EN, "already has an office") {
			t.Fatalf("a second office over Yongtai: %v", err)
		}
		var n int
		if err := db.Read.QueryRow(`SELECT COUNT(*) FROM units WHERE code = 'LJ'`).Scan(&n); err != nil || n != 0 {
			t.Fatalf("half an import kept: %d %v", n, err)
		}
	})
}

func TestUnitsTreeAndPeople(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := svc(db)
		p := func(s string) *string { return &s }
		mustUnit := func(code, name string, parent *string, kind string) {
			if _, err := s.CreateUnit(ctx, auth.System("t"), org.UnitInput{Code: code, Name: name, Parent: parent, Kind: kind}); err != nil {
				t.Fatal(err)
			}
		}
		mustUnit("MQ", "闽清县", nil, "county")
		mustUnit("MQ-MX", "梅溪镇", p("MQ"), "town")
		mustUnit("MQ-MX-BM", "梅溪镇便民服务中心", p("MQ-MX"), "service_centre")
		mustUnit("MQ-CY", "池园镇", p("MQ"), "town")
		if _, err := s.CreateUnit(ctx, auth.System("t"), org.UnitInput{Code: "MQ", Name: "again"}); !problem.Is(err, problem.KindConflict) {
			t.Fatalf("duplicate code: %v", err)
		}
		if _, err := s.CreateUnit(ctx, auth.System("t"), org.UnitInput{Code: "Z", Name: "z", Parent: p("NOPE")}); !problem.Is(err, problem.KindInvalid) {
			t.Fatalf("unknown parent: %v", err)
		}
		if _, err := s.UpdateUnit(ctx, auth.System("t"), "MQ-MX", org.UnitInput{Parent: p("MQ-MX-BM")}); !problem.Is(err, problem.KindInvalid) {
			t.Fatalf("cycle accepted: %v", err)
		}
		// Move 梅溪镇 under 池园镇: its service centre moves with it.
		if _, err := s.UpdateUnit(ctx, auth.System("t"), "MQ-MX", org.UnitInput{Parent: p("MQ-CY")}); err != nil {
			t.Fatal(err)
		}
		bm, _ := s.Unit(ctx, "MQ-MX-BM")
		if bm.Depth != 3 {
			t.Fatalf("subtree not moved: %+v", bm)
		}
		per, err := s.CreatePerson(ctx, auth.System("t"), org.PersonInput{Name: "王堃", Unit: "MQ-MX-BM", Position: p("窗口负责人")})
		if err != nil || per.ID == 0 {
			t.Fatal(err)
		}
		if _, err := s.CreatePerson(ctx, auth.System("t"), org.PersonInput{Name: "李四", Unit: "NOPE"}); !problem.Is(err, problem.KindInvalid) {
			t.Fatalf("unknown unit: %v", err)
		}
		// A unit's people include its sub-units'.
		ps, err := s.People(ctx, org.PeopleFilter{Unit: "MQ-CY"})
		if err != nil || len(ps) != 1 || ps[0].Name != "王堃" {
			t.Fatalf("people under 池园镇: %+v %v", ps, err)
		}
		if _, err := s.Person(ctx, 999); !problem.Is(err, problem.KindNotFound) {
			t.Fatalf("unknown person: %v", err)
		}
	})
}
