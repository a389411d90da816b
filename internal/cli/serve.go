package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"mashang/internal/audit"
	"mashang/internal/config"
	"mashang/internal/mailout"
	"mashang/internal/web"
)

func serveCommand() *command {
	return &command{
		name:  "serve",
		short: "run the web server (SQLite under ./data unless --database names PostgreSQL)",
		long:  "Serves the public pages, the staff pages and the API on --addr; migrates the database first.\nStops cleanly on SIGTERM or Ctrl-C, finishing requests under way.",
		run:   runServe,
	}
}

func runServe(e *Env, cfg *config.Config, _ *flag.FlagSet, _ any) error {
	log := logger(cfg, e.Stderr)
	a, err := e.open(cfg)
	if err != nil {
		return err
	}
	defer a.Close()
	for _, k := range cfg.KeysInDataDir() {
		log.Warn("a key file sits inside the data directory: a copy of the directory carries the key with what it protects; move it elsewhere and point the option at it", "key", k)
	}
	if _, err := os.Stat(cfg.IdentityKeyFile + ".new"); err == nil {
		log.Warn("an identity key rotation did not finish: the data may need the key in the .new file", "file", cfg.IdentityKeyFile+".new")
	}
	if cfg.NoRateLimit {
		log.Warn("per-address rate limits and the intake's flood limits are off (--no-rate-limit): for load tests on loopback only")
	}
	srv := web.New(a)
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 5 * time.Minute, WriteTimeout: 5 * time.Minute, IdleTimeout: 2 * time.Minute}
	errc := make(chan error, 4)
	go func() { errc <- hs.Serve(ln) }()
	var ms *http.Server
	if cfg.MetricsAddr != "" {
		mln, err := net.Listen("tcp", cfg.MetricsAddr)
		if err != nil {
			return err
		}
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", srv.MetricsHandler())
		ms = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		go func() { errc <- ms.Serve(mln) }()
	}
	sweepCtx, stopSweeps := context.WithCancel(e.Ctx)
	waitSweeps := startSweeps(sweepCtx, a.Cases, cfg.SweepInterval, log)
	defer waitSweeps()
	defer stopSweeps()
	// Scheduled backups (--backup-interval, --backup-keep, --backup-dir).
	backupCtx, stopBackups := context.WithCancel(e.Ctx)
	backupDone := make(chan struct{})
	go func() { defer close(backupDone); a.Backups.Run(backupCtx) }()
	defer func() { stopBackups(); <-backupDone }()
	// Retention erases what its periods say, on an interval, under a lease.
	retCtx, stopRetention := context.WithCancel(e.Ctx)
	retDone := make(chan struct{})
	go func() { defer close(retDone); a.Retention.RunEvery(retCtx, cfg.RetentionInterval, log) }()
	defer func() { stopRetention(); <-retDone }()
	// Notifications (mail, SMS) waiting in the outbox go out.
	notifyCtx, stopNotify := context.WithCancel(e.Ctx)
	notifyDone := make(chan struct{})
	go func() { defer close(notifyDone); a.Notify.RunEvery(notifyCtx, cfg.NotifyInterval) }()
	defer func() { stopNotify(); <-notifyDone }()
	// The search index catches up with new cases and messages.
	indexCtx, stopIndex := context.WithCancel(e.Ctx)
	indexDone := make(chan struct{})
	go func() { defer close(indexDone); a.Search.Index.Run(indexCtx, 500*time.Millisecond) }()
	defer func() { stopIndex(); <-indexDone }()
	// Checkpoints of the audit log: within seconds of a change, at least hourly.
	signer := &audit.Signer{DB: a.DB, KeyFile: cfg.LogKeyFile, Clock: a.Clock, Log: log}
	if cfg.LogMailTo != "" {
		sender, err := mailout.New(cfg.SMTPRelay, cfg.MailFrom)
		if err != nil {
			return err
		}
		to := strings.Split(cfg.LogMailTo, ",")
		for i := range to {
			to[i] = strings.TrimSpace(to[i])
		}
		m := &audit.Mailer{Every: cfg.LogMailEvery, Log: log,
			Send: func(ctx context.Context, subject, body string) error { return sender.Send(ctx, to, subject, body) }}
		signer.Signed = m.Signed
	}
	signCtx, stopSign := context.WithCancel(e.Ctx)
	signDone := make(chan struct{})
	go func() { defer close(signDone); signer.Run(signCtx) }()
	defer func() { stopSign(); <-signDone }()
	stopMail, err := startMail(e.Ctx, a, cfg, e.Getenv, log)
	if err != nil {
		return err
	}
	defer stopMail()
	cur, _, _ := a.DB.SchemaVersions(e.Ctx)
	log.Info("mashang serving", "addr", "http://"+ln.Addr().String(), "database", string(a.DB.Engine), "schema", cur, "data", cfg.DataDir)
	fmt.Fprintf(e.Stdout, "mashang serving on http://%s\n", ln.Addr())
	select {
	case <-e.Ctx.Done():
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			return err
		}
	}
	log.Info("shutting down")
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if ms != nil {
		ms.Shutdown(ctx)
	}
	return hs.Shutdown(ctx)
}
