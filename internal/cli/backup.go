package cli

import (
	"errors"
	"flag"
	"fmt"
	"time"

	"mashang/internal/app"
	"mashang/internal/backup"
	"mashang/internal/config"
	"mashang/internal/store"
)

type backupFlags struct {
	to       *string
	withKeys *bool
}

func backupCommand() *command {
	return &command{
		name: "backup", short: "write one consistent archive of the database, attachments and calendar years while the server runs",
		long: "The archive (a tar file) holds every table of the database read in one snapshot, the attachment files\n" +
			"it references, and a manifest: versions, schema, audit head, counts and the SHA-256 of every member.\n" +
			"The keys are left out unless --with-keys: keep such an archive as safe as the key itself.\n" +
			"A SQLite backup restores into PostgreSQL and the other way round (mashang restore).\n" +
			"Example: mashang backup --to /srv/backups/mashang-2027-01-01.tar",
		flags: func(fs *flag.FlagSet) any {
			return &backupFlags{fs.String("to", "", "the archive to write (must not exist)"),
				fs.Bool("with-keys", false, "also put the identity key (and the other key files) in the archive")}
		},
		run: runBackup,
	}
}

func runBackup(e *Env, cfg *config.Config, fs *flag.FlagSet, extra any) error {
	f := extra.(*backupFlags)
	if *f.to == "" || fs.NArg() > 0 {
		return usageError("give the archive to write with --to FILE")
	}
	db, err := store.Open(e.Ctx, store.Options{URL: cfg.DatabaseURL, DataDir: cfg.DataDir, Logger: logger(cfg, e.Stderr)})
	if err != nil {
		return err
	}
	defer db.Close()
	files, err := app.OpenFiles(cfg, db, time.Now)
	if err != nil {
		return err
	}
	start := time.Now()
	m, err := backup.Create(e.Ctx, backup.Source{DB: db, Files: files, Keys: backup.KeysOf(cfg), WithKeys: *f.withKeys, Version: Version}, *f.to)
	if err != nil {
		return err
	}
	var rows int64
	for _, n := range m.Rows {
		rows += n
	}
	fmt.Fprintf(e.Stdout, "backup %s written in %s: %s schema %d, %d tables, %d rows (%d cases), %d attachment files (%d bytes), audit head %d\n",
		*f.to, time.Since(start).Round(time.Millisecond), m.Engine, m.Schema, len(m.Tables), rows, m.Rows["cases"], m.Files.Count, m.Files.Bytes, m.AuditHead.Seq)
	if m.WithKeys {
		fmt.Fprintln(e.Stdout, "the archive holds the keys: keep it as safe as the keys themselves")
	} else {
		fmt.Fprintln(e.Stdout, "keys not included (--with-keys includes them): keep a copy of the identity key elsewhere")
	}
	if len(m.Missing) > 0 {
		fmt.Fprintf(e.Stderr, "warning: %d attachment files the database names were not on disk (listed in the manifest)\n", len(m.Missing))
	}
	return nil
}

func restoreCommand() *command {
	return &command{
		name: "restore", short: "restore a backup into an empty --data directory or --database; checks, migrates and verifies it",
		long: "Refuses a data directory that holds anything (but the key file) and a PostgreSQL database that has tables.\n" +
			"Checks the SHA-256 of every member first, loads the database at the backup's schema in one transaction,\n" +
			"writes the attachment files (and the keys, when the archive has them and none are in place), migrates to\n" +
			"this binary's schema, then runs audit verify and compares every table's count and the audit head with the\n" +
			"manifest, and says so. On any failure what it created is removed again.\n" +
			"Example (a county moving to PostgreSQL): mashang restore --from county.tar --database postgres://… --data /srv/mashang",
		flags: func(fs *flag.FlagSet) any { return fs.String("from", "", "the archive to restore") },
		run:   runRestore,
	}
}

func runRestore(e *Env, cfg *config.Config, fs *flag.FlagSet, extra any) error {
	from := *extra.(*string)
	if from == "" || fs.NArg() > 0 {
		return usageError("give the archive with --from FILE")
	}
	_, err := backup.Restore(e.Ctx, from, backup.Target{URL: cfg.DatabaseURL, DataDir: cfg.DataDir, FilesInDatabase: cfg.AttachmentsInDatabase(), Keys: backup.KeysOf(cfg),
		Logger: logger(cfg, e.Stderr), Say: func(format string, args ...any) { fmt.Fprintf(e.Stdout, format+"\n", args...) }})
	if errors.Is(err, backup.ErrNotEmpty) {
		return exitError{code: 1, msg: err.Error()}
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(e.Stdout, "restore complete")
	return nil
}
