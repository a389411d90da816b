package cli

import (
	"flag"
	"fmt"

	"mashang/internal/civil"
	"mashang/internal/config"
	"mashang/internal/demo"
)

type demoFlags struct {
	cases *int
	seed  *int64
	until *string
	city  *bool
}

func demoCommand() *command {
	return &command{
		name:  "demo",
		short: "fill the database with a demo county: units, people, staff accounts and months of cases (same seed, same data)",
		long: "Adds the Minqing county unit tree, people, one staff account per role (password printed: for a demo only,\n" +
			"never on a real office's database), and N cases in every state and channel with messages, replies and the search index;\n" +
			"then, through the services, accountability decisions (at most 2000) and appeals, a two-complaints rule case,\n" +
			"an announced and a covert inspection, and published exposures and exemplars.\n" +
			"Example: mashang demo --cases 1000000 --seed 7 --data /tmp/big",
		flags: func(fs *flag.FlagSet) any {
			return &demoFlags{
				cases: fs.Int("cases", demo.DefaultCases, "number of cases to generate"),
				seed:  fs.Int64("seed", 1, "random seed: the same seed (and --until) gives the same data"),
				until: fs.String("until", "", "last day of the generated months, YYYY-MM-DD (default today)"),
				city:  fs.Bool("city", false, "a demo city: 福州市 with its city office over Minqing, Yongtai and Lianjiang, each county with its office, staff (mq-director, yt-clerk, …) and cases, one case sent up to the city"),
			}
		},
		run: func(e *Env, cfg *config.Config, fs *flag.FlagSet, extra any) error {
			f := extra.(*demoFlags)
			if *f.cases < 1 || *f.cases > 20_000_000 {
				return usageError("--cases must be between 1 and 20000000")
			}
			o := demo.Options{Cases: *f.cases, Seed: *f.seed, Progress: e.Stderr, City: *f.city}
			if *f.until != "" {
				d, err := civil.Parse(*f.until)
				if err != nil {
					return usageError("--until must be a date YYYY-MM-DD")
				}
				o.Until = d
			}
			a, err := e.open(cfg)
			if err != nil {
				return err
			}
			defer a.Close()
			res, err := demo.Run(e.Ctx, a, o)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.Stdout, "demo county ready in %s: %d units, %d people, %d new staff accounts, %d cases, %d messages, "+
				"%d decisions, %d appeals, %d rule cases, %d inspections (%d visits), %d exposures, %d exemplars\n",
				res.Elapsed.Round(1e7), res.Units, res.People, res.Users, res.Cases, res.Messages,
				res.Decisions, res.Appeals, res.RuleCases, res.Inspections, res.Visits, res.Exposures, res.Exemplars)
			fmt.Fprintf(e.Stdout, "staff accounts admin, clerk, handler, handler2, handler3, director, leader, orgdept, inspector, liaison (unit MQ-MC), auditor\n")
			if o.City {
				fmt.Fprintf(e.Stdout, "offices main (福州市整肃办), MQ, YT, LJ; their staff mq-director, mq-clerk, mq-handler, mq-handler2, mq-leader (yt-…, lj-… likewise)\n")
			}
			fmt.Fprintf(e.Stdout, "password for all of them: %s  (DEMO ONLY: never use demo accounts on a real office's database)\n", res.Password)
			return nil
		},
	}
}
