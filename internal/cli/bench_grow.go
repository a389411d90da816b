package cli

import (
	"flag"
	"fmt"

	"mashang/internal/config"
	"mashang/internal/demo"
)

type benchGrowFlags struct {
	times *int
	chunk *int
}

func benchGrowCommand() *command {
	return &command{
		name:  "bench grow",
		short: "multiply a demo database's cases (with their messages and search index) for list benchmarks at millions of cases",
		long: "Run it on a database filled by `mashang demo` (a copy: it changes the database in place). The cases there become the\n" +
			"oldest of --times years; each newer year is a copy of them with new ids (ids grow with time) and dates moved by 52 weeks,\n" +
			"the newest with the original dates. In every year but the newest the running cases are closed, as a year-old case would be.\n" +
			"Copies carry receipts and Message-IDs ending in /N, cannot be tracked, and have no history or decisions: benchmark data only.\n" +
			"Example: mashang demo --cases 1000000 --data /tmp/big && mashang bench grow --times 5 --data /tmp/big",
		flags: func(fs *flag.FlagSet) any {
			return &benchGrowFlags{times: fs.Int("times", 5, "how many times as many cases afterwards (2 to 20)"),
				chunk: fs.Int("chunk", 100000, "cases copied per transaction")}
		},
		run: func(e *Env, cfg *config.Config, _ *flag.FlagSet, extra any) error {
			f := extra.(*benchGrowFlags)
			if *f.times < 2 || *f.times > 20 {
				return usageError("--times must be between 2 and 20")
			}
			if *f.chunk < 1 {
				return usageError("--chunk must be at least 1")
			}
			a, err := e.open(cfg)
			if err != nil {
				return err
			}
			defer a.Close()
			res, err := demo.Grow(e.Ctx, a, demo.GrowOptions{Times: *f.times, Chunk: *f.chunk, Progress: e.Stderr})
			if err != nil {
				return err
			}
			fmt.Fprintf(e.Stdout, "grown in %s: %d cases and %d messages added, the oldest moved %d days back\n",
				res.Elapsed.Round(1e7), res.Cases, res.Messages, int(res.Span.Hours()/24))
			return nil
		},
	}
}
