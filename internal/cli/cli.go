// Package cli parses mashang's command line and runs its commands.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"sort"
	"strings"

	"mashang/internal/app"
	"mashang/internal/auth"
	"mashang/internal/config"
	"mashang/internal/problem"
	"mashang/internal/store"
)

// Version is set at build time with -ldflags "-X mashang/internal/cli.Version=…".
var Version = "dev"

// Env carries what a command needs from its caller.
type Env struct {
	Ctx    context.Context
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
}

// command is one subcommand.
type command struct {
	name  string // "serve", "user add"
	usage string // arguments after the name
	short string
	long  string
	flags func(fs *flag.FlagSet) any // extra flags; returns a value handed to run
	run   func(e *Env, cfg *config.Config, fs *flag.FlagSet, extra any) error
}

func commands() []*command {
	return []*command{
		serveCommand(),
		migrateCommand(),
		userAddCommand(),
		userPasswdCommand(),
		{name: "user totp", usage: "USERNAME", short: "enrol a user in TOTP and print the otpauth:// URI", run: runUserTOTP},
		{name: "org import", usage: "FILE.csv", short: "import units (code,name,parent,kind) or people (name,unit,position,rank) from CSV in UTF-8 or GBK", run: runOrgImport},
		calendarImportCommand(),
		catalogImportCommand(),
		jobsRunCommand(),
		benchIntakeCommand(),
		demoCommand(),
		benchListsCommand(),
		benchGrowCommand(),
		backupCommand(),
		restoreCommand(),
		auditVerifyCommand(),
		{name: "audit key", short: "print the audit log's verifier key (NAME+HASH+BASE64), creating the log key on first use", run: runAuditKey},
		auditWitnessCommand(),
		keysRotateCommand(),
		{name: "config", short: "print every option with the value in force (secrets masked)", run: runConfig},
		{name: "version", short: "print the binary's and the schema's versions", run: runVersion},
	}
}

// Main runs the command line args and returns the exit code.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &Env{Ctx: ctx, Stdin: stdin, Stdout: stdout, Stderr: stderr, Getenv: os.Getenv}
	return e.Run(args)
}

// Run runs args in e.
func (e *Env) Run(args []string) int {
	if len(args) == 0 {
		e.usage()
		return 2
	}
	if args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		if len(args) > 1 {
			if c, _ := find(args[1:]); c != nil {
				e.help(c)
				return 0
			}
			fmt.Fprintf(e.Stderr, "mashang: no command %q\n", strings.Join(args[1:], " "))
			return 2
		}
		e.usage()
		return 0
	}
	c, rest := find(args)
	if c == nil {
		msg := fmt.Sprintf("mashang: unknown command %q", strings.Join(args, " "))
		if s := suggestCommand(args); len(s) > 0 {
			msg += "; did you mean " + strings.Join(s, " or ") + "?"
		}
		fmt.Fprintln(e.Stderr, msg+"\nsee: mashang help")
		return 2
	}
	fs := flag.NewFlagSet("mashang "+c.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	cf := config.Register(fs)
	var extra any
	if c.flags != nil {
		extra = c.flags(fs)
	}
	if err := parseArgs(fs, rest); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			e.help(c)
			return 0
		}
		fmt.Fprintf(e.Stderr, "mashang %s: %v\nsee: mashang %s --help\n", c.name, unknownFlag(fs, err), c.name)
		return 2
	}
	cfg, err := cf.Load(e.Getenv)
	if err != nil {
		fmt.Fprintf(e.Stderr, "mashang %s: %v\n", c.name, err)
		return 2
	}
	if err := c.run(e, cfg, fs, extra); err != nil {
		var ue usageError
		if errors.As(err, &ue) {
			fmt.Fprintf(e.Stderr, "mashang %s: %s\nusage: mashang %s %s\n", c.name, ue, c.name, c.usage)
			return 2
		}
		if pe, ok := problem.As(err); ok {
			fmt.Fprintf(e.Stderr, "mashang %s: %s (%s)\n", c.name, pe.EN, pe.ZH)
			return 1
		}
		var ee exitError
		if errors.As(err, &ee) {
			fmt.Fprintf(e.Stderr, "mashang %s: %s\n", c.name, ee.msg)
			return ee.code
		}
		fmt.Fprintf(e.Stderr, "mashang %s: %v\n", c.name, err)
		return 1
	}
	return 0
}

type usageError string

func (u usageError) Error() string { return string(u) }

type exitError struct {
	code int
	msg  string
}

func (e exitError) Error() string { return e.msg }

// suggestCommand names the commands closest to what args start with.
func suggestCommand(args []string) []string {
	var names []string
	for _, c := range commands() {
		names = append(names, c.name)
	}
	for n := min(2, len(args)); n >= 1; n-- {
		if s := suggestWord(strings.Join(args[:n], " "), names); s != "" {
			return []string{`"mashang ` + s + `"`}
		}
	}
	// "jobs" alone, or "user" with a wrong second word: the commands under it.
	var under []string
	for _, c := range commands() {
		if strings.HasPrefix(c.name, args[0]+" ") {
			under = append(under, `"mashang `+c.name+`"`)
		}
	}
	sort.Strings(under)
	return under
}

// ExitCodes documents what mashang's exit status means (README and help).
const ExitCodes = `Exit status:
  0  done
  1  the command failed (its message says why); audit verify: the chain is broken;
     restore: a checksum, the audit chain or a count did not match
  2  usage: unknown command or flag, missing or bad argument, bad configuration
  3  another instance holds the job's lease (jobs run); nothing was done`

// find matches the longest command name at the start of args.
func find(args []string) (*command, []string) {
	var best *command
	n := 0
	for _, c := range commands() {
		words := strings.Fields(c.name)
		if len(words) <= len(args) && strings.Join(args[:len(words)], " ") == c.name && len(words) > n {
			best, n = c, len(words)
		}
	}
	if best == nil {
		return nil, nil
	}
	return best, args[n:]
}

func (e *Env) usage() {
	fmt.Fprintln(e.Stdout, "mashang (马上办): reports of officials' inaction and the office that acts on them.")
	fmt.Fprintln(e.Stdout, "\nUsage: mashang COMMAND [flags]\n\nCommands:")
	cs := commands()
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].name < cs[j].name })
	for _, c := range cs {
		fmt.Fprintf(e.Stdout, "  %-16s %s\n", c.name, c.short)
	}
	fmt.Fprintln(e.Stdout, "\nmashang help COMMAND (or mashang COMMAND --help) shows a command's flags; flags may come before or after\n"+
		"the command's arguments. Every command reads --data/MASHANG_DATA and --database/MASHANG_DATABASE_URL.")
	fmt.Fprintln(e.Stdout, "\n"+ExitCodes)
}

func (e *Env) help(c *command) {
	fmt.Fprintf(e.Stdout, "Usage: mashang %s [flags] %s\n\n%s\n", c.name, c.usage, c.short)
	if c.long != "" {
		fmt.Fprintf(e.Stdout, "\n%s\n", c.long)
	}
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	config.Register(fs)
	if c.flags != nil {
		c.flags(fs)
	}
	fmt.Fprintln(e.Stdout, "\nFlags (before or after the arguments):")
	fs.SetOutput(e.Stdout)
	fs.PrintDefaults()
	fmt.Fprintln(e.Stdout, "\n"+ExitCodes)
}

// logger builds the process logger from the configuration.
func logger(cfg *config.Config, w io.Writer) *slog.Logger {
	lvl := map[string]slog.Level{"debug": slog.LevelDebug, "info": slog.LevelInfo, "warn": slog.LevelWarn, "error": slog.LevelError}[cfg.LogLevel]
	opts := &slog.HandlerOptions{Level: lvl}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// open builds the App for a command that works on the data.
func (e *Env) open(cfg *config.Config) (*app.App, error) {
	return app.New(e.Ctx, cfg, app.Options{Logger: logger(cfg, e.Stderr), Version: Version})
}

func migrateCommand() *command {
	return &command{
		name: "migrate", short: "bring the database schema up to date and exit (--status: list applied and pending migrations, change nothing)",
		long: "Each migration runs in its own transaction: one that fails leaves the database as it was before it,\n" +
			"at the last version that applied, and the command exits 1 naming it.",
		flags: func(fs *flag.FlagSet) any {
			return fs.Bool("status", false, "list the applied and pending migrations; change nothing")
		},
		run: runMigrate,
	}
}

func runMigrate(e *Env, cfg *config.Config, _ *flag.FlagSet, extra any) error {
	if *extra.(*bool) {
		db, err := store.Open(e.Ctx, store.Options{URL: cfg.DatabaseURL, DataDir: cfg.DataDir, Logger: logger(cfg, e.Stderr)})
		if err != nil {
			return err
		}
		defer db.Close()
		ms, err := db.MigrationStatus(e.Ctx)
		if err != nil {
			return err
		}
		pending := 0
		for _, m := range ms {
			state, at := "pending", ""
			if m.Applied {
				state, at = "applied", m.AppliedAt.UTC().Format("2006-01-02 15:04:05Z")
			} else {
				pending++
			}
			fmt.Fprintf(e.Stdout, "%05d  %-8s %-21s %s\n", m.Version, state, at, m.File)
		}
		fmt.Fprintf(e.Stdout, "%d migrations, %d pending (%s)\n", len(ms), pending, db.Engine)
		return nil
	}
	a, err := e.open(cfg)
	if err != nil {
		return err
	}
	defer a.Close()
	cur, _, err := a.DB.SchemaVersions(e.Ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.Stdout, "schema at version %d (%s)\n", cur, a.DB.Engine)
	return nil
}

func runVersion(e *Env, cfg *config.Config, _ *flag.FlagSet, _ any) error {
	v := Version
	if bi, ok := debug.ReadBuildInfo(); ok && v == "dev" {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				v = "dev-" + s.Value[:12]
			}
		}
	}
	fmt.Fprintf(e.Stdout, "mashang %s\n", v)
	a, err := app.New(e.Ctx, cfg, app.Options{Logger: slog.New(slog.DiscardHandler), NoMigrate: true})
	if err != nil {
		fmt.Fprintf(e.Stdout, "schema: unknown (%v)\n", err)
		return nil
	}
	defer a.Close()
	cur, target, err := a.DB.SchemaVersions(e.Ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.Stdout, "schema %d (this binary carries %d) on %s\ncatalogue %s\n", cur, target, a.DB.Engine, a.Catalog.Version)
	return nil
}

func runConfig(e *Env, cfg *config.Config, _ *flag.FlagSet, _ any) error {
	config.Print(e.Stdout, cfg)
	return nil
}

type userAddFlags struct{ username, role, unit, office, email, phone, display *string }

func userAddCommand() *command {
	return &command{
		name: "user add", short: "add a staff account; the password is read from standard input (one line)",
		long: "Roles: admin, clerk, handler, director, leader, orgdept, inspector, liaison, auditor.\n" +
			"--office CODE puts the account in that office (a city's county office, say); without it, the one office (the top one).\n" +
			"Example: echo 'a long passphrase' | mashang user add --username wang --role director",
		flags: func(fs *flag.FlagSet) any {
			return &userAddFlags{fs.String("username", "", "the new user's name"), fs.String("role", "", "the role"),
				fs.String("unit", "", "the unit code the user is bound to (required for liaison)"),
				fs.String("office", "", "the code of the office the user belongs to (default: the one office)"),
				fs.String("email", "", "where the user's notifications go by e-mail"), fs.String("phone", "", "where the user's notifications go by SMS"),
				fs.String("display-name", "", "the name colleagues know (张丽), shown in histories and pickers (default: the username)")}
		},
		run: func(e *Env, cfg *config.Config, fs *flag.FlagSet, extra any) error {
			f := extra.(*userAddFlags)
			if *f.username == "" || *f.role == "" {
				return usageError("--username and --role are required")
			}
			email, phone, err := auth.CheckContact(*f.email, *f.phone)
			if err != nil {
				return usageError(err.Error())
			}
			pw, err := readPassword(e)
			if err != nil {
				return err
			}
			a, err := e.open(cfg)
			if err != nil {
				return err
			}
			defer a.Close()
			u, err := a.Auth.Add(e.Ctx, auth.System("cli"), auth.NewUser{Username: *f.username, Password: pw, Role: roleOf(*f.role), Unit: *f.unit, Office: *f.office, DisplayName: *f.display})
			if err != nil {
				return err
			}
			if err := a.Auth.SetContact(e.Ctx, auth.System("cli"), u.ID, &email, &phone); err != nil {
				return err
			}
			fmt.Fprintf(e.Stdout, "user %s added (id %d, role %s, office %s)\n", u.Username, u.ID, u.Role, u.Office)
			return nil
		},
	}
}

func runUserTOTP(e *Env, cfg *config.Config, fs *flag.FlagSet, _ any) error {
	if fs.NArg() != 1 {
		return usageError("give one USERNAME")
	}
	a, err := e.open(cfg)
	if err != nil {
		return err
	}
	defer a.Close()
	uri, err := a.Auth.EnrolTOTP(e.Ctx, auth.System("cli"), fs.Arg(0))
	if err != nil {
		return err
	}
	fmt.Fprintln(e.Stdout, uri)
	fmt.Fprintln(e.Stderr, "scan or type this URI into an authenticator app; sign-ins now need its code")
	return nil
}

func runOrgImport(e *Env, cfg *config.Config, fs *flag.FlagSet, _ any) error {
	if fs.NArg() != 1 {
		return usageError("give one FILE.csv")
	}
	data, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		return err
	}
	a, err := e.open(cfg)
	if err != nil {
		return err
	}
	defer a.Close()
	res, err := a.Org.Import(e.Ctx, auth.System("cli"), data)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.Stdout, "%s: %d created, %d updated\n", res.Kind, res.Created, res.Updated)
	return nil
}
