package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"time"

	"mashang/internal/app"
	"mashang/internal/auth"
	"mashang/internal/calendar"
	"mashang/internal/cases"
	"mashang/internal/catalog"
	"mashang/internal/config"
	"mashang/internal/docket"
	"mashang/internal/retention"
)

// Case handling's commands: calendar import and running the
// supervision sweep by hand.

func calendarImportCommand() *command {
	return &command{
		name: "calendar import", usage: "FILE.json",
		short: "load a year's holidays and make-up working days; recomputes the open deadlines it affects",
		long: "FILE is {\"year\": 2027, \"days\": [{\"date\": \"2027-01-01\", \"kind\": \"off\", \"name\": \"元旦\"}, …]}\n" +
			"(kind off: holiday or rest day on a weekday; work: make-up working day on a weekend), or the holiday-cn\n" +
			"form with \"isOffDay\". A bad file exits non-zero naming the line; nothing is imported.\n" +
			"A year with fewer than 230 or more than 260 working days, or one that changes days of a year already in force,\n" +
			"is refused with the numbers unless --force; --dry-run imports nothing and lists the deadlines that would move.",
		flags: func(fs *flag.FlagSet) any {
			o := &cases.CalendarOptions{}
			fs.BoolVar(&o.Force, "force", false, "import even a year that fails the checks (working days, days already in force changed)")
			fs.BoolVar(&o.DryRun, "dry-run", false, "import nothing; print the checks and the deadlines that would move")
			return o
		},
		run: runCalendarImport,
	}
}

// readFileArg reads the one FILE argument of an import, at most max bytes
// (and one more, so that the parser sees a file that is too large).
func readFileArg(fs *flag.FlagSet, max int64) ([]byte, error) {
	if fs.NArg() != 1 {
		return nil, usageError("give one FILE.json")
	}
	f, err := os.Open(fs.Arg(0))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, max+1))
}

func runCalendarImport(e *Env, cfg *config.Config, fs *flag.FlagSet, extra any) error {
	data, err := readFileArg(fs, calendar.MaxImportSize)
	if err != nil {
		return err
	}
	a, err := e.open(cfg)
	if err != nil {
		return err
	}
	defer a.Close()
	opts := *extra.(*cases.CalendarOptions)
	res, err := a.Cases.ImportCalendarWith(e.Ctx, auth.System("cli"), data, opts)
	if err != nil {
		return err
	}
	if res.DryRun {
		fmt.Fprintf(e.Stdout, "calendar %d (dry run, nothing imported): %d days listed, %d working days, %d days of the year in force changed; deadlines of %d cases would move:\n",
			res.Year, res.Days, res.Workdays, len(res.Changed), res.Recomputed)
		if res.Refusal != nil {
			fmt.Fprintf(e.Stdout, "  without --force the import would be refused: %s\n", res.Refusal.EN)
		}
		for _, m := range res.Moves {
			fmt.Fprintf(e.Stdout, "  case %d %s %s -> %s\n", m.CaseID, m.Deadline, m.From, m.To)
		}
		return nil
	}
	fmt.Fprintf(e.Stdout, "calendar %d imported: %d days listed, %d working days; deadlines of %d cases recomputed\n", res.Year, res.Days, res.Workdays, res.Recomputed)
	return nil
}

func jobsRunCommand() *command {
	return &command{
		name: "jobs run", usage: "JOB",
		short: "run a named job now: sweep (mark due-soon and overdue cases, raise supervision notices), attachments (remove unreferenced files older than a day) or retention (erase what the retention periods say)",
		long: "retention erases, for cases closed longer ago than each period, the reporter's identity (--retain-identities),\n" +
			"the attachments (--retain-attachments) and the bodies of the messages with the reporter (--retain-messages),\n" +
			"printing one line per case with its id; a case whose review window or appeal is open is held and named.\n" +
			"--dry-run lists what would go and changes nothing.\n" +
			"Example: mashang jobs run retention --dry-run --retain-identities 1825",
		flags: func(fs *flag.FlagSet) any {
			return fs.Bool("dry-run", false, "retention: list what would be erased; change nothing")
		},
		run: runJobsRun,
	}
}

func runJobsRun(e *Env, cfg *config.Config, fs *flag.FlagSet, extra any) error {
	jobs := []string{cases.SweepJob, app.AttachmentsJob, retention.Job}
	if fs.NArg() != 1 || !slices.Contains(jobs, fs.Arg(0)) {
		return usageError("the jobs are " + strings.Join(jobs, ", "))
	}
	dry := *extra.(*bool)
	if dry && fs.Arg(0) != retention.Job {
		return usageError("--dry-run is for the retention job")
	}
	a, err := e.open(cfg)
	if err != nil {
		return err
	}
	defer a.Close()
	if fs.Arg(0) == retention.Job {
		return runRetention(e, a, dry)
	}
	if fs.Arg(0) == app.AttachmentsJob {
		pr, ran, err := a.PruneAttachments(e.Ctx)
		if err != nil {
			return err
		}
		if !ran {
			return exitError{code: 3, msg: "another instance is pruning the attachments now; nothing done"}
		}
		fmt.Fprintf(e.Stdout, "attachments: %d unreferenced and %d temporary files removed (%d bytes), %d kept\n", pr.Blobs, pr.Temporary, pr.Bytes, pr.Kept)
		return nil
	}
	res, err := a.Cases.Sweep(e.Ctx)
	if err != nil {
		return err
	}
	if !res.Ran {
		return exitError{code: 3, msg: "another instance is running the sweep now; nothing done"}
	}
	fmt.Fprintf(e.Stdout, "sweep %s: %d cases re-marked; notices: %d due soon, %d overdue (%s)\n",
		res.Today, res.Marked, res.Notices[string(docket.DueSoon)], res.Notices[string(docket.Overdue)], res.Duration.Round(time.Millisecond))
	return nil
}

// startSweeps runs the sweep now and every interval until ctx ends; the
// returned function waits for the run under way to finish.
func startSweeps(ctx context.Context, s *cases.Service, interval time.Duration, log *slog.Logger) func() {
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.RunSweeps(ctx, interval, log)
	}()
	return func() { <-done }
}

func runRetention(e *Env, a *app.App, dry bool) error {
	res, err := a.Retention.Run(e.Ctx, dry)
	if err != nil {
		return err
	}
	if !res.Ran {
		return exitError{code: 3, msg: "another instance is running the retention job now; nothing done"}
	}
	for _, c := range res.Cases {
		fmt.Fprintln(e.Stdout, c.Line(dry))
	}
	for _, h := range res.Held {
		fmt.Fprintf(e.Stdout, "case %d held: %s\n", h.ID, h.Reason)
	}
	p := a.Retention.Periods
	days := func(n int) string {
		if n < 0 {
			return "never"
		}
		return fmt.Sprintf("%d days", n)
	}
	verb := "erased"
	if dry {
		verb = "would be erased (dry run: nothing changed)"
	}
	fmt.Fprintf(e.Stdout, "retention: %d cases %s, %d held, %d files removed; periods after closing: identities %s, attachments %s, messages %s\n",
		len(res.Cases), verb, len(res.Held), res.Files, days(p.Identities), days(p.Attachments), days(p.Messages))
	return nil
}

func catalogImportCommand() *command {
	return &command{
		name: "catalog import", usage: "FILE.json",
		short: "load another version of the catalogue (situations and sanctions); offices then choose it",
		long: "FILE has the format of the embedded catalogue (internal/catalog/data/catalog-fuzhou-2015.json) with its own\n" +
			"\"version\". A bad document exits non-zero naming the problem; nothing is loaded. A loaded version never changes:\n" +
			"loading a version again with other contents is refused, with the same contents it does nothing. An office\n" +
			"judges its new cases under the version it chooses (PATCH /api/v1/offices/{code} {\"catalog_version\"}).",
		run: runCatalogImport,
	}
}

func runCatalogImport(e *Env, cfg *config.Config, fs *flag.FlagSet, _ any) error {
	data, err := readFileArg(fs, catalog.MaxSize)
	if err != nil {
		return err
	}
	a, err := e.open(cfg)
	if err != nil {
		return err
	}
	defer a.Close()
	cat, created, err := a.Catalogs.Import(e.Ctx, auth.System("cli"), data)
	if err != nil {
		return err
	}
	if !created {
		fmt.Fprintf(e.Stdout, "catalogue %s is already loaded with these contents; nothing changed\n", cat.Version)
		return nil
	}
	fmt.Fprintf(e.Stdout, "catalogue %s loaded: %d situations, %d sanctions, effective from %s\n", cat.Version, len(cat.Situations), len(cat.Sanctions), cat.EffectiveFrom)
	return nil
}
