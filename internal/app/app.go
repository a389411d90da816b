// Package app builds mashang's services from the configuration: one place
// where the database, clock, catalogue, calendar and every domain service
// are made and handed to the web server, the jobs and the CLI.
package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"maps"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"mashang/internal/access"
	"mashang/internal/accountability"
	"mashang/internal/attach"
	"mashang/internal/audit"
	"mashang/internal/auth"
	"mashang/internal/backup"
	"mashang/internal/calendar"
	"mashang/internal/callback"
	"mashang/internal/cases"
	"mashang/internal/catalog"
	"mashang/internal/clock"
	"mashang/internal/config"
	"mashang/internal/docket"
	"mashang/internal/identity"
	"mashang/internal/inspection"
	"mashang/internal/intake"
	"mashang/internal/letters"
	"mashang/internal/mailout"
	"mashang/internal/notify"
	"mashang/internal/office"
	"mashang/internal/org"
	"mashang/internal/profile"
	"mashang/internal/publication"
	"mashang/internal/ratelimit"
	"mashang/internal/reports"
	"mashang/internal/retention"
	"mashang/internal/search"
	"mashang/internal/stats"
	"mashang/internal/store"
	"mashang/internal/textsearch"
)

// App holds every service of one running mashang.
type App struct {
	Config    *config.Config
	Log       *slog.Logger
	Clock     clock.Clock
	Loc       *time.Location
	DB        *store.DB
	Catalog   *catalog.Catalog
	Localizer *catalog.Localizer
	// Catalogs are the catalogue's versions (the embedded one is Catalog)
	// and the version of each office.
	Catalogs *Catalogs
	RuleSets map[string]*catalog.RuleSet
	Limits   calendar.Limits
	Calendar *Calendars
	Auth     *auth.Service
	Org      *org.Service
	// Offices are the deployment's offices (整肃办) in levels and their
	// settings, inherited from the office above.
	Offices *office.Service
	// Counter counts events for the flood limits (and the human check).
	Counter ratelimit.Counter
	// Vault seals reporters' identities (key file created 0600 on first start).
	Vault *identity.Vault
	// LogKey signs the audit log's checkpoints (key file created 0600 on first start).
	LogKey *audit.Key
	// Files is the content-addressed attachment store: DATA/attachments, or
	// the database (the attachments option; see OpenFiles).
	Files *attach.Store
	// Record writes the case record (cases, their history); every service
	// that changes a case goes through it.
	Record *docket.Store
	// Policy is the one access policy: who may do what, on which cases,
	// and know which of their fields. Every service and route asks it.
	Policy *access.Policy
	// Intake registers reports from every channel.
	Intake *intake.Service
	// Accountability records decisions and appeals and answers eligibility.
	Accountability *accountability.Service
	// Cases runs the state machine, deadlines, calendar import and the supervision sweep.
	Cases *cases.Service
	// Search keeps the full-text index and answers the staff's case lists.
	Search *search.Service
	// Stats computes the office's statistics.
	Stats *stats.Service
	// Inspections plans inspections and records visits.
	Inspections *inspection.Service
	// Reports makes the leading group's reports, exports and PDFs.
	Reports *reports.Service
	// Publications keeps exposures and exemplars for the public portal.
	Publications *publication.Service
	// Retention erases identities, attachments and message bodies after the
	// configured periods.
	Retention *retention.Service
	// Backups writes serve's scheduled backups (started by serve) and keeps
	// their status for /healthz and /metrics.
	Backups *backup.Scheduler
	// Notify queues notifications (mail, SMS) in the transaction of the
	// change that causes them and sends them (started by serve).
	Notify *notify.Service
	// Callbacks keeps the clerks' callback list (回访).
	Callbacks *callback.Service
	// Letters numbers and prints the formal notices to reporters.
	Letters *letters.Service
	// Profile is what each office says to the public and on paper
	// (letterhead, contacts, public texts) and the first-start checklist.
	Profile *profile.Service
}

// Options adjust New for tests.
type Options struct {
	Clock  clock.Clock // nil: the system clock
	Logger *slog.Logger
	// NoMigrate skips applying migrations (the CLI's migrate command does it itself).
	NoMigrate bool
	// Version is the binary's version, recorded in backups.
	Version string
}

// New opens the database, migrates it and builds the services.
func New(ctx context.Context, cfg *config.Config, o Options) (*App, error) {
	a := &App{Config: cfg, Log: o.Logger, Clock: o.Clock, Loc: cfg.Location()}
	if a.Log == nil {
		a.Log = slog.Default()
	}
	if a.Clock == nil {
		a.Clock = clock.System{}
	}
	db, err := store.Open(ctx, store.Options{URL: cfg.DatabaseURL, DataDir: cfg.DataDir, Logger: a.Log})
	if err != nil {
		return nil, err
	}
	a.DB = db
	ok := false
	defer func() {
		if !ok {
			db.Close()
		}
	}()
	if !o.NoMigrate {
		if _, err := db.Migrate(ctx); err != nil {
			return nil, err
		}
	}
	if a.Catalog, err = catalog.Load(); err != nil {
		return nil, fmt.Errorf("app: catalogue: %w", err)
	}
	if a.Localizer, err = catalog.NewLocalizer(); err != nil {
		return nil, fmt.Errorf("app: OpenCC: %w", err)
	}
	if a.Catalog, err = a.Localizer.Localize(a.Catalog); err != nil {
		return nil, fmt.Errorf("app: localise catalogue: %w", err)
	}
	if a.Catalogs, err = NewCatalogs(ctx, db, a.Clock, a.Catalog, a.Localizer, !o.NoMigrate); err != nil {
		return nil, err
	}
	if a.RuleSets, err = catalog.RuleSets(); err != nil {
		return nil, fmt.Errorf("app: rule sets: %w", err)
	}
	if _, ok := a.RuleSets[cfg.RuleSet]; !ok {
		return nil, fmt.Errorf("app: unknown rule set %q", cfg.RuleSet)
	}
	if a.Limits, err = loadLimits(cfg.LimitsFile); err != nil {
		return nil, err
	}
	if a.Calendar, err = NewCalendars(ctx, db); err != nil {
		return nil, err
	}
	if a.Vault, err = identity.OpenVault(cfg.IdentityKeyFile); err != nil {
		return nil, fmt.Errorf("app: identity key: %w", err)
	}
	if a.LogKey, _, err = audit.OpenKey(cfg.LogKeyFile, LogOrigin(cfg)); err != nil {
		return nil, fmt.Errorf("app: log key: %w", err)
	}
	if !o.NoMigrate {
		if n, err := audit.EnsureTree(ctx, db); err != nil {
			return nil, err
		} else if n > 0 {
			a.Log.Info("audit log: Merkle tree built over the existing entries", "entries", n)
		}
	}
	// TOTP secrets are sealed with the same key as reporters' identities.
	a.Auth = auth.NewService(db, a.Clock, auth.Options{TokenTTL: cfg.TokenTTL, NoAddrLimit: cfg.NoRateLimit, Secrets: a.Vault})
	a.Org = org.NewService(db, a.Clock)
	a.Offices = office.New(db, a.Clock, office.Base{Limits: a.Limits, RuleSet: cfg.RuleSet, CatalogVersion: a.Catalog.Version, RuleSets: slices.Sorted(maps.Keys(a.RuleSets))})
	a.Org.OfficesChanged = a.Offices.Forget
	a.Calendar.SetOffices(a.Offices)
	a.Catalogs.SetOffices(a.Offices)
	a.Offices.CatalogVersions = a.Catalogs.Known
	a.Profile = profile.New(profile.Deps{Offices: a.Offices, NoticeName: cfg.OfficeName, NoticePrefix: cfg.NoticePrefix,
		Staff: func(ctx context.Context) (int, error) {
			us, err := a.Auth.ListUsers(ctx)
			n := 0
			for _, u := range us {
				if u.Role != auth.Admin && !u.Disabled {
					n++
				}
			}
			return n, err
		},
		Units: func(ctx context.Context) (int, error) {
			us, err := a.Org.Units(ctx)
			return len(us), err
		}})
	// The flood limits' counts: in the database on PostgreSQL, which several
	// instances may share; in memory on SQLite, which one process owns.
	if db.Engine == store.Postgres {
		a.Counter = ratelimit.NewSQL(db, a.Clock.Now)
	} else {
		a.Counter = ratelimit.NewMemory(a.Clock.Now)
	}
	if a.Files, err = OpenFiles(cfg, db, a.Clock.Now); err != nil {
		return nil, fmt.Errorf("app: attachments: %w", err)
	}
	if !o.NoMigrate && cfg.AttachmentsInDatabase() {
		if err := a.importFiles(ctx); err != nil {
			return nil, err
		}
	}
	a.Record = docket.New(ctx, db)
	a.Policy = access.Default()
	a.Intake = intake.NewService(intake.Deps{DB: db, Clock: a.Clock, Loc: a.Loc, Catalog: a.Catalog, OfficeCatalog: a.Catalogs.Office,
		Localizer: a.Localizer, Calendar: a.Calendar.Get, OfficeCalendar: a.Calendar.Office, Limits: a.Limits, Vault: a.Vault, Files: a.Files, Record: a.Record, Policy: a.Policy, NoRateLimit: cfg.NoRateLimit,
		AttachFileMax: cfg.AttachFileMax, AttachReportMax: cfg.AttachReportMax, AttachMaxFiles: cfg.AttachMaxFiles,
		Offices: a.Offices, Counter: a.Counter, Flood: intake.FloodLimits{PerAddress: cfg.IntakeRateAddress, Global: cfg.IntakeRateGlobal,
			Track: cfg.TrackRateAddress, HumanCheckAfter: cfg.HumanCheckAfter, Off: cfg.NoRateLimit}})
	a.Inspections = inspection.NewService(db, a.Record, a.Policy, a.Clock, a.Catalog, a.Loc, inspection.IntakeOpener(a.Intake))
	a.Inspections.Known = a.Catalogs.Held
	if a.Reports, err = reports.NewService(db, a.Policy, a.Clock, a.Loc, a.Inspections,
		&reports.PDFPrinter{ExecPath: reports.FindChromium(os.Getenv)}); err != nil {
		return nil, err
	}
	a.Publications = publication.NewService(db, a.Policy, a.Clock, a.Vault, intake.IdentityAAD)
	a.Accountability = accountability.New(accountability.Options{DB: db, Record: a.Record, Policy: a.Policy, Clock: a.Clock, Loc: a.Loc, Catalog: a.Catalog,
		RuleSets: a.RuleSets, RuleSet: cfg.RuleSet, Limits: a.Limits, Calendar: a.Calendar.Get, OfficeCalendar: a.Calendar.Office, CatalogOf: a.Catalogs.ForCase, Offices: a.Offices, Log: a.Log})
	a.Cases = cases.NewService(db, a.Record, a.Policy, a.Clock, a.Loc, a.Limits, a.Calendar)
	a.Cases.OnConcluded = append(a.Cases.OnConcluded, a.Accountability.OnConcluded) // the two-complaints rule
	// Reviews and ratings: the same receipt check and per-address limit as tracking.
	a.Cases.Authenticate = a.Intake.AuthenticateReporter
	folder, err := textsearch.NewFolder()
	if err != nil {
		return nil, fmt.Errorf("app: search folder: %w", err)
	}
	a.Search = search.New(db, folder, search.Options{Policy: a.Policy, Clock: a.Clock, Loc: a.Loc, Calendar: a.Calendar.Get,
		OfficeCalendars: a.Calendar.Offices, Catalog: a.Catalogs.Names, Log: a.Log})
	a.Stats = stats.New(db, a.Policy, a.Catalogs.Categories, a.Clock, a.Loc)
	a.Retention = &retention.Service{DB: db, Record: a.Record, Clock: a.Clock, Loc: a.Loc, Files: a.Files, Log: a.Log, Refresh: a.Search.Index.Refresh,
		Periods: retention.Periods{Identities: cfg.RetainIdentities, Attachments: cfg.RetainAttachments, Messages: cfg.RetainMessages}}
	if err := a.newNotify(cfg); err != nil {
		return nil, err
	}
	a.Backups = backup.NewScheduler(backup.Source{DB: db, Files: a.Files, Keys: backup.KeysOf(cfg), Version: o.Version, Now: a.Clock.Now},
		cfg.BackupDir, cfg.BackupInterval, cfg.BackupKeep, a.Loc, a.Log)
	ok = true
	return a, nil
}

// newNotify builds the notifications' service and hangs its rules where
// changes happen: every line of a case's history, the supervision sweep.
func (a *App) newNotify(cfg *config.Config) error {
	d := notify.Deps{DB: a.DB, Policy: a.Policy, Clock: a.Clock, Loc: a.Loc, Vault: a.Vault, IdentityAAD: intake.IdentityAAD,
		PublicURL: cfg.PublicBaseURL, Office: cfg.NotifyOffice, Log: a.Log}
	if cfg.SMTPRelay != "" {
		m, err := mailout.New(cfg.SMTPRelay, cfg.MailFrom)
		if err != nil {
			return fmt.Errorf("app: %w", err)
		}
		m.Now = a.Clock.Now
		d.Mail = m
	}
	if cfg.SMSGatewayFile != "" {
		g, err := notify.LoadGateway(cfg.SMSGatewayFile)
		if err != nil {
			return fmt.Errorf("app: %w", err)
		}
		d.SMS = g
	}
	n, err := notify.New(d)
	if err != nil {
		return fmt.Errorf("app: %w", err)
	}
	a.Notify = n
	a.Record.OnAppend(n.OnEvent)
	a.Cases.OnNotices = append(a.Cases.OnNotices, n.OnNotices)
	a.Publications.OnProposed = append(a.Publications.OnProposed, n.OnPublicationProposed)
	a.Callbacks = callback.New(callback.Deps{DB: a.DB, Record: a.Record, Policy: a.Policy, Clock: a.Clock, Loc: a.Loc, Calendar: a.Calendar.Get,
		OfficeCalendar: a.Calendar.Office, Cases: a.Cases, Vault: a.Vault, IdentityAAD: intake.IdentityAAD, Days: cfg.CallbackDays})
	a.Record.OnAppend(a.Callbacks.OnEvent)
	l, err := letters.New(letters.Deps{DB: a.DB, Policy: a.Policy, Clock: a.Clock, Loc: a.Loc, Vault: a.Vault, IdentityAAD: intake.IdentityAAD,
		Limits: a.Limits, Printer: &reports.PDFPrinter{ExecPath: reports.FindChromium(os.Getenv)}, Words: a.letterWords, Offices: a.Offices})
	if err != nil {
		return fmt.Errorf("app: %w", err)
	}
	a.Letters = l
	a.Record.OnAppend(l.OnEvent)
	return nil
}

// letterWords are the name and document-number prefix of an office's
// letters, from its letterhead (inherited, the options as the defaults).
func (a *App) letterWords(ctx context.Context, officeID int64) (name, prefix string, err error) {
	pr, err := a.Profile.Of(ctx, officeID)
	if err != nil {
		return "", "", err
	}
	return pr.Name, pr.Letterhead.Short, nil
}

// LogOrigin is the name a new log key gets (see the log-origin option).
func LogOrigin(cfg *config.Config) string {
	if cfg.LogOrigin != "" {
		return cfg.LogOrigin
	}
	if u, err := url.Parse(cfg.PublicBaseURL); err == nil && u.Host != "" {
		return u.Host + strings.TrimRight(u.Path, "/") + "/log"
	}
	b := make([]byte, 4)
	rand.Read(b)
	return "mashang.local/" + hex.EncodeToString(b)
}

// LatestCheckpoint is the newest signed checkpoint of the audit log
// (audit.ErrNoCheckpoint before the first): what a backup's manifest records
// so that a restore can be checked against it.
func (a *App) LatestCheckpoint(ctx context.Context) (audit.Checkpoint, error) {
	return audit.Latest(ctx, a.DB.Read)
}

// Close releases the database.
func (a *App) Close() error { return a.DB.Close() }

// Today is the current date in the configured zone.
func (a *App) Today() time.Time { return a.Clock.Now().In(a.Loc) }
