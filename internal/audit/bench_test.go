package audit_test

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"mashang/internal/audit"
	"mashang/internal/store/storetest"
)

// BenchmarkAppend is the audit log's share of a report's write: entries
// appended 256 to a transaction, as intake's group commit does, on SQLite
// (MASHANG_BENCH_ENGINE=postgres for PostgreSQL); ns/op is one entry.
func BenchmarkAppend(b *testing.B) {
	db := storetest.SQLite(b)
	if engineFromEnv() == "postgres" {
		db = storetest.Postgres(b)
	}
	ctx := context.Background()
	at := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i += 256 {
		err := db.Tx(ctx, func(tx *sql.Tx) error {
			for j := i; j < min(i+256, b.N); j++ {
				if err := audit.Append(ctx, tx, at, audit.Record{Actor: "reporter", Action: "case.register", Subject: fmt.Sprintf("case:%d", j),
					Data: map[string]any{"receipt": "2R9J-RCA-W8P", "channel": "web", "situation": "P1.2", "attachments": 0, "anonymous": false}}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	// CPU time of the whole process (with SQLite, the database's work too)
	// per entry: steadier than wall time on a busy shared machine.
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
}
