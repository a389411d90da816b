package cli

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/pprof"
	"runtime/trace"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"mashang/internal/app"
	"mashang/internal/config"
	"mashang/internal/web"
)

type benchFlags struct {
	reports     *int
	clients     *int
	url         *string
	perReportTx *bool
	maxTime     *time.Duration
	cpuProfile  *string
	trace       *string
}

func benchIntakeCommand() *command {
	return &command{
		name:  "bench intake",
		short: "load generator: post reports from concurrent clients and print reports/s and p50/p99 latency",
		long: "Starts the real HTTP server in this process on 127.0.0.1:0 (or targets --url) and posts --reports\n" +
			"reports from --clients concurrent clients, each phase bounded by --max-time. With --per-report-tx it\n" +
			"measures group commit and then one transaction per report, in the same run (in-process only).\n" +
			"In-process on SQLite it uses a fresh temporary data directory (removed afterwards) unless --data is\n" +
			"set by environment or flag to an empty directory of your choice; on PostgreSQL (--database) it writes\n" +
			"into that database: use a throwaway one. Per-address rate limits are off for the run.",
		flags: func(fs *flag.FlagSet) any {
			return &benchFlags{
				reports:     fs.Int("reports", 20000, "reports to post per phase"),
				clients:     fs.Int("clients", 64, "concurrent clients"),
				url:         fs.String("url", "", "base URL of a running server (default: start one in this process)"),
				perReportTx: fs.Bool("per-report-tx", false, "also measure one transaction per report (in-process only)"),
				maxTime:     fs.Duration("max-time", 2*time.Minute, "stop a phase after this long"),
				cpuProfile:  fs.String("cpuprofile", "", "write a CPU profile of the whole run (server and clients) to this file"),
				trace:       fs.String("trace", "", "write an execution trace of the whole run to this file (go tool trace: where the committer waits)"),
			}
		},
		run: runBenchIntake,
	}
}

func runBenchIntake(e *Env, cfg *config.Config, fs *flag.FlagSet, extra any) error {
	f := extra.(*benchFlags)
	if *f.reports <= 0 || *f.clients <= 0 || *f.reports > 10_000_000 || *f.clients > 4096 {
		return usageError("--reports must be 1..10000000 and --clients 1..4096")
	}
	base := strings.TrimRight(*f.url, "/")
	if *f.cpuProfile != "" {
		pf, err := os.Create(*f.cpuProfile)
		if err != nil {
			return err
		}
		defer pf.Close()
		if err := pprof.StartCPUProfile(pf); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if *f.trace != "" {
		tf, err := os.Create(*f.trace)
		if err != nil {
			return err
		}
		defer tf.Close()
		if err := trace.Start(tf); err != nil {
			return err
		}
		defer trace.Stop()
	}
	var a *app.App
	if base == "" {
		c := *cfg
		c.NoRateLimit = true
		explicitData := false
		fs.Visit(func(fl *flag.Flag) { explicitData = explicitData || fl.Name == "data" })
		if e.Getenv("MASHANG_DATA") != "" {
			explicitData = true
		}
		if c.DatabaseURL == "" && !explicitData {
			dir, err := os.MkdirTemp("", "mashang-bench-")
			if err != nil {
				return err
			}
			defer os.RemoveAll(dir)
			c.DataDir = dir
			c.IdentityKeyFile = dir + "/identity.key"
			c.LogKeyFile = dir + "/log.key"
		}
		log := slog.New(slog.NewTextHandler(e.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
		var err error
		if a, err = app.New(e.Ctx, &c, app.Options{Logger: log}); err != nil {
			return err
		}
		defer a.Close()
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		hs := &http.Server{Handler: web.New(a).Handler(), ReadHeaderTimeout: 10 * time.Second}
		go hs.Serve(ln)
		defer hs.Close()
		base = "http://" + ln.Addr().String()
		fmt.Fprintf(e.Stdout, "server: in-process on %s, database %s", base, a.DB.Engine)
		if a.DB.Engine == "sqlite" {
			fmt.Fprintf(e.Stdout, " (synchronous=FULL, WAL) in %s", c.DataDir)
		}
		fmt.Fprintln(e.Stdout)
	} else {
		fmt.Fprintf(e.Stdout, "server: %s\n", base)
		if *f.perReportTx {
			return usageError("--per-report-tx needs the in-process server (no --url)")
		}
	}
	fmt.Fprintf(e.Stdout, "machine: %d CPUs (%s), GOMAXPROCS %d, %s\n", runtime.NumCPU(), cpuModel(), runtime.GOMAXPROCS(0), runtime.Version())
	fmt.Fprintf(e.Stdout, "load: %d reports per phase from %d clients, at most %s per phase\n", *f.reports, *f.clients, *f.maxTime)
	phases := []struct {
		name  string
		perTx bool
	}{{"group commit", false}}
	if *f.perReportTx {
		phases = append(phases, struct {
			name  string
			perTx bool
		}{"one transaction per report", true})
	}
	fmt.Fprintf(e.Stdout, "%-28s %9s %9s %10s %9s %9s %9s %7s\n", "mode", "reports", "seconds", "reports/s", "p50 ms", "p99 ms", "max ms", "errors")
	for _, ph := range phases {
		if a != nil {
			a.Intake.SetPerReportTx(ph.perTx)
		}
		r, err := benchPhase(e.Ctx, base, *f.reports, *f.clients, *f.maxTime)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.Stdout, "%-28s %9d %9.2f %10.0f %9.2f %9.2f %9.2f %7d\n", ph.name, r.done, r.elapsed.Seconds(), float64(r.done)/r.elapsed.Seconds(),
			ms(r.p50), ms(r.p99), ms(r.max), r.errors)
		if r.firstErr != "" {
			fmt.Fprintf(e.Stdout, "  first error: %s\n", r.firstErr)
		}
	}
	return nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

type benchResult struct {
	done, errors  int
	elapsed       time.Duration
	p50, p99, max time.Duration
	firstErr      string
}

func benchPhase(ctx context.Context, base string, n, clients int, maxTime time.Duration) (benchResult, error) {
	tr := &http.Transport{MaxIdleConns: clients, MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients, IdleConnTimeout: time.Minute}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	ctx, cancel := context.WithTimeout(ctx, maxTime)
	defer cancel()
	var next atomic.Int64
	lat := make([][]time.Duration, clients)
	var errs atomic.Int64
	var firstErr atomic.Value
	content := strings.Repeat("某镇政府办事窗口工作时间无人值守，群众多次前往办理低保审核均被推诿。", 3)
	start := time.Now()
	var wg sync.WaitGroup
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf bytes.Buffer
			for ctx.Err() == nil {
				i := next.Add(1)
				if i > int64(n) {
					return
				}
				buf.Reset()
				fmt.Fprintf(&buf, `{"content":"%s（第%d件）","situation":"P1.2","anonymous":false,"name":"测试%d","phone":"139%08d"}`, content, i, i, i%100000000)
				t0 := time.Now()
				req, _ := http.NewRequestWithContext(ctx, "POST", base+"/api/v1/reports", bytes.NewReader(buf.Bytes()))
				req.Header.Set("Content-Type", "application/json")
				res, err := client.Do(req)
				if err == nil {
					_, err = io.Copy(io.Discard, bufio.NewReader(res.Body))
					res.Body.Close()
					if err == nil && res.StatusCode != http.StatusCreated {
						err = fmt.Errorf("status %d", res.StatusCode)
					}
				}
				if err != nil {
					if ctx.Err() != nil {
						return
					}
					errs.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				lat[c] = append(lat[c], time.Since(t0))
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	if len(all) == 0 {
		msg, _ := firstErr.Load().(string)
		return benchResult{}, errors.New("bench: no report succeeded: " + msg)
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	q := func(p float64) time.Duration { return all[min(len(all)-1, int(p*float64(len(all))))] }
	r := benchResult{done: len(all), errors: int(errs.Load()), elapsed: elapsed, p50: q(0.50), p99: q(0.99), max: all[len(all)-1]}
	r.firstErr, _ = firstErr.Load().(string)
	return r, nil
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}
