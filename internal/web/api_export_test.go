package web_test

import (
	"archive/zip"
	"bufio"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"mashang/internal/auth"
	"mashang/internal/store"
	"mashang/internal/web/webtest"
)

// bulkCases inserts n minimal cases of unit ZX in one statement (the
// export reads them through the real list query).
func bulkCases(t *testing.T, h *webtest.Harness, n int) {
	t.Helper()
	ctx := context.Background()
	var unit int64
	if err := h.App.DB.Read.QueryRowContext(ctx, `SELECT id FROM units WHERE code = 'ZX'`).Scan(&unit); err != nil {
		t.Fatal(err)
	}
	at1 := store.FormatInstant(webtest.Start.Add(-48 * time.Hour))
	at2 := store.FormatInstant(webtest.Start.Add(-24 * time.Hour))
	_, err := h.App.DB.Write.ExecContext(ctx, `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1)
		INSERT INTO cases (receipt, key_hash, channel, state, received_at, received_on, content, unit_id, accept_by, updated_at)
		SELECT 'BULK' || i, $2, 'web', 'registered', CASE WHEN i % 2 = 0 THEN $3 ELSE $4 END, '2026-02-28',
		       '窗口推诿，第 ' || i || ' 件', $5, '2026-03-17', $3 FROM n`, n, []byte{1}, at1, at2, unit)
	if err != nil {
		t.Fatal(err)
	}
	// A county's database has statistics (PostgreSQL's autovacuum takes
	// them within a minute of a bulk change); without them PostgreSQL
	// guesses a handful of rows and scans the table for every page.
	if _, err := h.App.DB.Write.ExecContext(ctx, `ANALYZE cases`); err != nil {
		t.Fatal(err)
	}
}

// liveHeap samples the live heap (after a collection) every 100 ms until
// stop is closed, and returns the largest sample.
func liveHeap(stop <-chan struct{}) func() uint64 {
	var mu sync.Mutex
	var peak uint64
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			runtime.GC()
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			mu.Lock()
			peak = max(peak, m.HeapAlloc)
			mu.Unlock()
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 { <-done; mu.Lock(); defer mu.Unlock(); return peak }
}

func baseHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// An export of a 200,000-case county returns 200,000 rows (no cap), in CSV
// and in XLSX, and the server's live heap stays flat while it streams: it
// grows by a few megabytes, not by the size of the file.
func TestExport200000CasesStreamsWithFlatMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("200,000 cases: not in -short")
	}
	const n = 200_000
	webtest.Engines(t, func(t *testing.T, h *webtest.Harness) {
		inspOrg(t, h)
		bulkCases(t, h, n)
		tok := h.Token(auth.Director)
		formats := []string{"csv", "xlsx"}
		if h.App.DB.Engine == store.SQLite {
			formats = formats[:1] // XLSX streams the same rows; CI time is short
		}
		for _, format := range formats {
			req, _ := http.NewRequest("GET", h.URL+"/api/v1/cases/export?format="+format, nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			base := baseHeap()
			stop := make(chan struct{})
			peak := liveHeap(stop)
			start := time.Now()
			res, err := h.HTTP.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			if res.StatusCode != 200 {
				t.Fatalf("%s: %d", format, res.StatusCode)
			}
			rows := 0
			var size int64
			switch format {
			case "csv":
				sc := bufio.NewScanner(res.Body)
				for sc.Scan() {
					if size += int64(len(sc.Bytes()) + 2); rows == 0 && !strings.HasPrefix(sc.Text(), "\ufeff案件编号") {
						t.Fatalf("header %q", sc.Text())
					}
					rows++
				}
				if err := sc.Err(); err != nil {
					t.Fatal(err)
				}
				rows-- // the header
			case "xlsx":
				f := filepath.Join(t.TempDir(), "x.xlsx")
				out, _ := os.Create(f)
				size, err = io.Copy(out, res.Body)
				out.Close()
				if err != nil {
					t.Fatal(err)
				}
				rows = xlsxRows(t, f) - 1
			}
			res.Body.Close()
			close(stop)
			grew := int64(peak()) - int64(base)
			t.Logf("%s: %d rows, %d MB, %s, live heap %d MB before, peak growth %.1f MB",
				format, rows, size>>20, time.Since(start).Round(time.Millisecond), base>>20, float64(grew)/(1<<20))
			if rows != n {
				t.Fatalf("%s: %d rows exported, want %d", format, rows, n)
			}
			// The whole CSV is ~30 MB and the rows as Go values several
			// times that: a buffered export grows the heap by far more.
			if grew > 16<<20 {
				t.Fatalf("%s: the live heap grew by %d MB during the export (file %d MB): not streaming", format, grew>>20, size>>20)
			}
		}
	})
}

// xlsxRows counts the rows of a streamed workbook's sheet without loading
// it, and checks with excelize that the workbook opens.
func xlsxRows(t *testing.T, path string) int {
	t.Helper()
	z, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer z.Close()
	n := 0
	for _, f := range z.File {
		if !strings.HasPrefix(f.Name, "xl/worksheets/") {
			continue
		}
		r, _ := f.Open()
		br := bufio.NewReader(r)
		for {
			s, err := br.ReadString('>')
			if strings.HasSuffix(s, "</row>") {
				n++
			}
			if err != nil {
				break
			}
		}
		r.Close()
	}
	x, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatalf("excelize cannot open the workbook: %v", err)
	}
	defer x.Close()
	if x.GetSheetName(0) != "案件清单" {
		t.Fatalf("sheet %q", x.GetSheetName(0))
	}
	return n
}
