package cases

import (
	"context"
	"testing"
	"time"

	"mashang/internal/access"
	"mashang/internal/calendar"
	"mashang/internal/civil"
	"mashang/internal/clock"
	"mashang/internal/docket"
	"mashang/internal/store"
	"mashang/internal/store/storetest"
)

type fixedCal struct{ c *calendar.Calendar }

func (f fixedCal) Get() *calendar.Calendar                 { return f.c }
func (f fixedCal) Reload(context.Context, *store.DB) error { return nil }
func (f fixedCal) Office(context.Context, int64) (*calendar.Calendar, error) {
	return f.c, nil
}
func (f fixedCal) Offices(context.Context) (map[int64]*calendar.Calendar, error) {
	return map[int64]*calendar.Calendar{0: f.c}, nil
}

func testService(t *testing.T, db *store.DB, now time.Time) (*Service, *clock.Fixed) {
	t.Helper()
	years, err := calendar.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	c := clock.NewFixed(now)
	return NewService(db, docket.New(context.Background(), db), access.Default(), c, time.UTC, calendar.DefaultLimits(), fixedCal{calendar.New(years...)}), c
}

// On a shared database only one holder runs the sweep at a time: a live
// lease held by another instance makes the sweep stand aside until it expires.
func TestSweepLease(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)
		s, c := testService(t, db, now)
		if _, err := db.Write.ExecContext(ctx, `INSERT INTO jobs_leases (name, holder, until) VALUES ('sweep', 'other', $1)`,
			store.FormatInstant(now.Add(time.Minute))); err != nil {
			t.Fatal(err)
		}
		res, err := s.Sweep(ctx)
		if err != nil || res.Ran {
			t.Fatalf("sweep beside a live lease: ran=%v err=%v", res.Ran, err)
		}
		c.Set(now.Add(2 * time.Minute))
		res, err = s.Sweep(ctx)
		if err != nil || !res.Ran {
			t.Fatalf("sweep after the lease expired: ran=%v err=%v", res.Ran, err)
		}
		// Released after the run: another holder may take it at once.
		res, err = s.sweep(ctx, "third")
		if err != nil || !res.Ran {
			t.Fatalf("sweep by another holder after release: ran=%v err=%v", res.Ran, err)
		}
		// Two holders racing for the lease: exactly one gets it.
		c.Set(now.Add(time.Hour))
		got := make(chan bool, 2)
		for _, h := range []string{"a", "b"} {
			go func() {
				ok, err := s.db.AcquireLease(ctx, SweepJob, h, c.Now(), time.Minute)
				if err != nil {
					t.Error(err)
				}
				got <- ok
			}()
		}
		if a, b := <-got, <-got; a == b {
			t.Fatalf("racing holders: %v %v, want exactly one", a, b)
		}
	})
}

func TestDueStatusAndCompute(t *testing.T) {
	years, _ := calendar.Embedded()
	cal := calendar.New(years...)
	d := civil.MustParse
	for _, tc := range []struct {
		today, due string
		want       docket.Due
	}{
		{"2026-09-24", "2026-10-08", docket.OnTime},
		{"2026-09-28", "2026-10-08", docket.DueSoon},
		{"2026-10-08", "2026-10-08", docket.DueSoon},
		{"2026-10-09", "2026-10-08", docket.Overdue},
		{"2026-03-02", "2026-03-05", docket.DueSoon}, // Tue, Wed, Thu: 3
		{"2026-03-02", "2026-03-06", docket.OnTime},  // 4
	} {
		if got := DueStatus(cal, d(tc.today), d(tc.due)); got != tc.want {
			t.Errorf("DueStatus(%s, %s) = %s, want %s", tc.today, tc.due, got, tc.want)
		}
		// The sweep's SQL threshold agrees: due_soon iff today ≤ due < DueWorkdays(today, 4).
		soon, _ := cal.DueWorkdays(d(tc.today), docket.DueSoonWorkdays+1)
		sql := docket.OnTime
		switch {
		case d(tc.due).Before(d(tc.today)):
			sql = docket.Overdue
		case d(tc.due).Before(soon):
			sql = docket.DueSoon
		}
		if sql != tc.want {
			t.Errorf("threshold for %s, %s: %s, want %s", tc.today, tc.due, sql, tc.want)
		}
	}
	l := calendar.DefaultLimits()
	got := Compute(cal, l, Starts{ReceivedOn: d("2026-09-18"), AcceptedOn: d("2026-03-02"), ExtensionDays: 30, TransferredOn: d("2026-09-30"), RepliedOn: d("2026-12-20")})
	want := Deadlines{AcceptBy: d("2026-10-08"), BaseFinishBy: d("2026-05-06"), FinishBy: d("2026-06-05"), ReturnBy: d("2026-10-13"), ReviewRequestBy: d("2027-01-19"), Provisional: true}
	if got != want {
		t.Errorf("Compute = %+v\nwant %+v", got, want)
	}
}
