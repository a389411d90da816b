package accountability_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"slices"
	"testing"
	"time"

	"mashang/internal/civil"
	"mashang/internal/store"
	"mashang/internal/store/storetest"
)

// Benchmarks of eligibility. By default they seed a fresh SQLite database. To
// measure against an existing database (the demo county of `mashang demo
// --cases 1000000`, say), set MASHANG_BENCH_DATABASE_URL (postgres://…) or
// MASHANG_BENCH_DATA (a data directory holding the SQLite database): the
// batch benchmark then seeds nothing and checks the first 1,000 people.
// MASHANG_BENCH_ENGINE=postgres seeds a fresh PostgreSQL database instead
// (MASHANG_TEST_DATABASE_URL).
//
//	go test ./internal/accountability -run '^$' -bench . -benchtime 200x

func benchDB(b *testing.B) (*store.DB, bool) {
	b.Helper()
	url, dir := os.Getenv("MASHANG_BENCH_DATABASE_URL"), os.Getenv("MASHANG_BENCH_DATA")
	if url == "" && dir == "" {
		if os.Getenv("MASHANG_BENCH_ENGINE") == "postgres" {
			return storetest.Postgres(b), false // fresh, seeded like SQLite
		}
		return storetest.SQLite(b), false
	}
	db, err := store.Open(context.Background(), store.Options{URL: url, DataDir: dir, Logger: storetest.Quiet()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(context.Background()); err != nil {
		b.Fatal(err)
	}
	return db, true
}

var benchSanctions = []string{`["demotion"]`, `["gov_warning","party_warning"]`, `["suspension"]`, `["admonishing_talk"]`, `["gov_major_demerit"]`, `["removal","party_serious_warning"]`}

// seed adds people people with perPerson in-force decisions each, in one
// transaction, and returns their ids.
func seed(b *testing.B, f *fixture, people, perPerson int) []int64 {
	b.Helper()
	ctx := context.Background()
	caseID := f.caseFor("closed", "verified", "P1.2", d("2020-01-06"))
	ids := make([]int64, 0, people)
	err := f.db.Tx(ctx, func(tx *sql.Tx) error {
		ids = ids[:0]
		start := d("2016-01-04")
		for i := 0; i < people; i++ {
			var id int64
			if err := tx.QueryRowContext(ctx, `INSERT INTO people (name, unit_id, created_at, updated_at) VALUES ($1, $2, 'x', 'x') RETURNING id`,
				fmt.Sprintf("人员%d", i), f.unit).Scan(&id); err != nil {
				return err
			}
			ids = append(ids, id)
			for j := 0; j < perPerson; j++ {
				on := start.AddDays((i*37 + j*131) % 3650)
				if _, err := tx.ExecContext(ctx, `INSERT INTO decisions (case_id, person_id, situation, catalog_version, sanctions, decided_on, rule_set, status, created_by, created_at, updated_at)
					VALUES ($1,$2,'P1.2','fuzhou-2015',$3,$4,$5,'in_force','bench','x','x')`,
					caseID, id, benchSanctions[(i+j)%len(benchSanctions)], on, []string{"fuzhou-2015", "national-2019"}[j%2]); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return ids
}

func reportP50(b *testing.B, ds []time.Duration) {
	if len(ds) == 0 {
		return
	}
	slices.Sort(ds)
	b.ReportMetric(float64(ds[len(ds)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(ds[len(ds)*99/100].Microseconds()), "p99-µs")
}

// BenchmarkEligibility20 answers one person with 20 decisions (target: p50 under 1 ms).
func BenchmarkEligibility20(b *testing.B) {
	db := storetest.SQLite(b)
	f := newFixture(b, db)
	seed(b, f, 200, 3) // others' decisions in the table
	id := seed(b, f, 1, 20)[0]
	ctx := context.Background()
	on := civil.MustParse("2024-06-01")
	var ds []time.Duration
	for b.Loop() {
		t0 := time.Now()
		res, err := f.svc.Eligibility(ctx, id, on)
		ds = append(ds, time.Since(t0))
		if err != nil || res.Promotion.Eligible {
			b.Fatalf("%v %+v", err, res.Promotion)
		}
	}
	reportP50(b, ds)
}

// BenchmarkBatch1000 checks 1,000 people at once (target: under 100 ms),
// on a seeded database of 20,000 people and 60,000 decisions, or on the
// database the environment names.
func BenchmarkBatch1000(b *testing.B) {
	db, existing := benchDB(b)
	ctx := context.Background()
	f := &fixture{t: b, db: db, svc: newService(b, db)}
	var ids []int64
	if existing {
		rows, err := db.Read.QueryContext(ctx, `SELECT id FROM people ORDER BY id LIMIT 1000`)
		if err != nil {
			b.Fatal(err)
		}
		for rows.Next() {
			var id int64
			rows.Scan(&id)
			ids = append(ids, id)
		}
		rows.Close()
		if len(ids) == 0 {
			b.Skip("the database has no people")
		}
	} else {
		f = newFixture(b, db)
		all := seed(b, f, 20000, 3)
		for i := 0; i < 1000; i++ {
			ids = append(ids, all[i*20])
		}
	}
	on := civil.MustParse("2024-06-01")
	var ds []time.Duration
	for b.Loop() {
		t0 := time.Now()
		res, err := f.svc.BatchEligibility(ctx, on, ids)
		ds = append(ds, time.Since(t0))
		if err != nil || len(res) != len(ids) {
			b.Fatal(err)
		}
	}
	reportP50(b, ds)
}
