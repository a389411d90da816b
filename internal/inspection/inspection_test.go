package inspection_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"mashang/internal/access"
	"mashang/internal/auth"
	"mashang/internal/catalog"
	"mashang/internal/civil"
	"mashang/internal/clock"
	"mashang/internal/docket"
	"mashang/internal/inspection"
	"mashang/internal/org"
	"mashang/internal/problem"
	"mashang/internal/store"
	"mashang/internal/store/storetest"
)

var (
	cst       = time.FixedZone("CST", 8*3600)
	now       = time.Date(2026, 3, 10, 16, 0, 0, 0, cst)
	inspector = auth.Principal{UserID: 1, Username: "insp", Role: auth.Inspector}
	leader    = auth.Principal{UserID: 2, Username: "lead", Role: auth.Leader}
	auditor   = auth.Principal{UserID: 3, Username: "aud", Role: auth.Auditor}
	clerk     = auth.Principal{UserID: 4, Username: "clerk", Role: auth.Clerk}
	handler   = auth.Principal{UserID: 5, Username: "hand", Role: auth.Handler}
	liaison   = auth.Principal{UserID: 6, Username: "liai", Role: auth.Liaison, UnitID: 1, UnitCode: "ZX"}
	director  = auth.Principal{UserID: 7, Username: "dir", Role: auth.Director}
)

// fakeIntake opens a bare case row, as the intake would, and remembers it.
type fakeIntake struct {
	db     *store.DB
	opened []inspection.NewCase
}

func (f *fakeIntake) open(ctx context.Context, c inspection.NewCase) (inspection.CaseRef, error) {
	f.opened = append(f.opened, c)
	rc := fmt.Sprintf("R%03d", len(f.opened))
	var id int64
	err := f.db.Write.QueryRowContext(ctx, `INSERT INTO cases (receipt, key_hash, channel, received_at, received_on, content, updated_at)
		VALUES ($1, $2, 'inspection', $3, $4, $5, $3) RETURNING id`, rc, []byte{1}, store.FormatInstant(c.ReceivedAt),
		civil.In(c.ReceivedAt, cst), c.Content).Scan(&id)
	return inspection.CaseRef{ID: id, Receipt: rc}, err
}

func setup(t *testing.T, db *store.DB) (*inspection.Service, *fakeIntake, int64) {
	t.Helper()
	ctx := context.Background()
	o := org.NewService(db, clock.NewFixed(now))
	if _, err := o.CreateUnit(ctx, auth.System("test"), org.UnitInput{Code: "ZX", Name: "行政服务中心", Kind: "service_centre"}); err != nil {
		t.Fatal(err)
	}
	p, err := o.CreatePerson(ctx, auth.System("test"), org.PersonInput{Name: "王某", Unit: "ZX"})
	if err != nil {
		t.Fatal(err)
	}
	cat, err := catalog.Load()
	if err != nil {
		t.Fatal(err)
	}
	fi := &fakeIntake{db: db}
	return inspection.NewService(db, docket.New(ctx, db), access.Default(), clock.NewFixed(now), cat, cst, fi.open), fi, p.ID
}

func plan(covert bool) inspection.PlanInput {
	return inspection.PlanInput{Title: "三月窗口暗访", Covert: covert, Units: []string{"ZX"},
		From: civil.MustParse("2026-03-01"), To: civil.MustParse("2026-03-31")}
}

func kindOf(err error) problem.Kind {
	if pe, ok := problem.As(err); ok {
		return pe.Kind
	}
	return problem.KindInternal
}

func TestPlanVisitFindingCase(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, fi, personID := setup(t, db)
		in, err := s.Plan(ctx, inspector, plan(false))
		if err != nil {
			t.Fatal(err)
		}
		if len(in.Checklist) < 5 || in.Checklist[2].Key != "one_time_notice" {
			t.Fatalf("default checklist not used: %+v", in.Checklist)
		}
		v, err := s.RecordVisit(ctx, inspector, in.ID, inspection.VisitInput{
			At: time.Date(2026, 3, 10, 10, 30, 0, 0, cst), Place: "行政服务中心二楼窗口", Unit: "ZX",
			Answers: map[string]string{"staff_at_post": "否", "attitude": "差"},
			Notes:   "3 号窗口无人",
			Findings: []inspection.FindingInput{
				{Text: "3 号窗口工作时间无人在岗", Situation: "P2.1", PersonID: &personID, OpenCase: true},
				{Text: "收费标准未公示", OpenCase: false},
			},
		}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(v.Findings) != 2 || v.Findings[0].CaseID == nil || v.Findings[0].Receipt != "R001" || v.Findings[1].CaseID != nil {
			t.Fatalf("findings %+v", v.Findings)
		}
		if len(fi.opened) != 1 || fi.opened[0].Unit != "ZX" || *fi.opened[0].PersonID != personID || fi.opened[0].Situation != "P2.1" {
			t.Fatalf("opened %+v", fi.opened)
		}
		got, err := s.Get(ctx, clerk, in.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.VisitCount != 1 || got.FindingCount != 2 || len(got.Visits) != 1 || got.Visits[0].Answers["attitude"] != "差" || got.Visits[0].UnitName != "行政服务中心" {
			t.Fatalf("got %+v", got)
		}
		st, err := s.PeriodStats(ctx, civil.MustParse("2026-03-01"), civil.MustParse("2026-03-31"))
		if err != nil {
			t.Fatal(err)
		}
		if st != (inspection.Stats{Plans: 1, Visits: 1, Findings: 2, CasesOpened: 1}) {
			t.Fatalf("stats %+v", st)
		}
		if _, err := s.Done(ctx, inspector, in.ID); err != nil {
			t.Fatal(err)
		}
		_, err = s.RecordVisit(ctx, inspector, in.ID, inspection.VisitInput{At: now.Add(-time.Hour), Place: "x"}, nil)
		if kindOf(err) != problem.KindConflict {
			t.Fatalf("visit on a done plan: %v", err)
		}
	})
}

func TestBadInput(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, _, _ := setup(t, db)
		in, err := s.Plan(ctx, inspector, plan(false))
		if err != nil {
			t.Fatal(err)
		}
		at := time.Date(2026, 3, 10, 10, 0, 0, 0, cst)
		for name, v := range map[string]inspection.VisitInput{
			"answer outside options": {At: at, Place: "窗口", Answers: map[string]string{"attitude": "很好"}},
			"unknown item":           {At: at, Place: "窗口", Answers: map[string]string{"parking": "是"}},
			"future":                 {At: now.Add(time.Hour), Place: "窗口"},
			"before the period":      {At: time.Date(2026, 2, 28, 10, 0, 0, 0, cst), Place: "窗口"},
			"no place":               {At: at},
			"unknown unit":           {At: at, Place: "窗口", Unit: "NOPE"},
			"unknown situation":      {At: at, Place: "窗口", Findings: []inspection.FindingInput{{Text: "x", Situation: "Z9"}}},
			"case without subject":   {At: at, Place: "窗口", Findings: []inspection.FindingInput{{Text: "x", OpenCase: true}}},
			"empty finding":          {At: at, Place: "窗口", Findings: []inspection.FindingInput{{Text: " "}}},
		} {
			if _, err := s.RecordVisit(ctx, inspector, in.ID, v, nil); kindOf(err) != problem.KindInvalid {
				t.Errorf("%s: err %v, want 422", name, err)
			}
		}
		bad := []inspection.PlanInput{
			{Title: "", From: civil.MustParse("2026-03-01"), To: civil.MustParse("2026-03-02")},
			{Title: "x", From: civil.MustParse("2026-03-05"), To: civil.MustParse("2026-03-02")},
			{Title: "x", From: civil.MustParse("2026-03-01"), To: civil.MustParse("2026-03-02"), Units: []string{"NOPE"}},
			{Title: "x", From: civil.MustParse("2026-03-01"), To: civil.MustParse("2026-03-02"),
				Checklist: []inspection.ChecklistItem{{Key: "a", Label: "A", Options: []string{"是"}}}},
			{Title: "x", From: civil.MustParse("2026-03-01"), To: civil.MustParse("2026-03-02"),
				Checklist: []inspection.ChecklistItem{{Key: "a", Label: "A", Options: []string{"是", "否"}}, {Key: "a", Label: "B", Options: []string{"是", "否"}}}},
			{Title: "x", From: civil.MustParse("2026-03-01"), To: civil.MustParse("2026-03-02"),
				Checklist: []inspection.ChecklistItem{{Key: "Bad Key", Label: "A", Options: []string{"是", "否"}}}},
		}
		for i, p := range bad {
			if _, err := s.Plan(ctx, inspector, p); kindOf(err) != problem.KindInvalid {
				t.Errorf("plan %d: err %v, want 422", i, err)
			}
		}
	})
}

func TestCovertVisibility(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, _, _ := setup(t, db)
		open, err := s.Plan(ctx, inspector, plan(false))
		if err != nil {
			t.Fatal(err)
		}
		covert, err := s.Plan(ctx, inspector, plan(true))
		if err != nil {
			t.Fatal(err)
		}
		ids := func(p auth.Principal) map[int64]bool {
			l, err := s.List(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			m := map[int64]bool{}
			for _, i := range l {
				m[i.ID] = true
			}
			return m
		}
		for _, p := range []auth.Principal{inspector, leader, auditor} {
			if m := ids(p); !m[open.ID] || !m[covert.ID] {
				t.Errorf("%s sees %v", p.Role, m)
			}
			if _, err := s.Get(ctx, p, covert.ID); err != nil {
				t.Errorf("%s get covert: %v", p.Role, err)
			}
		}
		for _, p := range []auth.Principal{clerk, handler, liaison, director} {
			if m := ids(p); !m[open.ID] || m[covert.ID] {
				t.Errorf("%s sees %v", p.Role, m)
			}
			if _, err := s.Get(ctx, p, covert.ID); kindOf(err) != problem.KindNotFound {
				t.Errorf("%s get covert: %v, want not found", p.Role, err)
			}
			if _, err := s.Done(ctx, p, covert.ID); kindOf(err) != problem.KindNotFound {
				t.Errorf("%s done covert: %v, want not found", p.Role, err)
			}
		}
		if _, err := s.Done(ctx, inspector, covert.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Done(ctx, inspector, covert.ID); kindOf(err) != problem.KindConflict {
			t.Fatalf("done twice: %v", err)
		}
		for _, p := range []auth.Principal{clerk, handler, liaison} {
			if m := ids(p); !m[covert.ID] {
				t.Errorf("%s does not see the covert plan once done", p.Role)
			}
			if _, err := s.Get(ctx, p, covert.ID); err != nil {
				t.Errorf("%s get done covert: %v", p.Role, err)
			}
		}
	})
}
