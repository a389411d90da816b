package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"mashang/internal/app"
	"mashang/internal/config"
	"mashang/internal/mailin"
	"mashang/internal/store"
)

// startMail starts e-mail intake when configured: an SMTP server on
// cfg.SMTPAddr and an IMAP poller of cfg.IMAPURL, both delivering into the
// intake service (a case per message, deduplicated by Message-ID). The
// returned stop function shuts both down and waits for them.
func startMail(ctx context.Context, a *app.App, cfg *config.Config, getenv func(string) string, log *slog.Logger) (stop func(), err error) {
	var wg sync.WaitGroup
	var stops []func()
	stop = func() {
		for _, s := range stops {
			s()
		}
		wg.Wait()
	}
	if cfg.SMTPAddr != "" {
		ln, err := net.Listen("tcp", cfg.SMTPAddr)
		if err != nil {
			return stop, fmt.Errorf("smtp: %w", err)
		}
		srv := mailin.NewSMTPServer(cfg.SMTPAddr, a.Intake, mailin.SMTPOptions{MaxMessageBytes: cfg.MaxReportBytes(), Logger: log})
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := srv.Serve(ln); err != nil && !errors.Is(err, net.ErrClosed) {
				log.Error("smtp server stopped", "err", err)
			}
		}()
		stops = append(stops, func() { srv.Close() })
		log.Info("receiving report e-mail by SMTP", "addr", ln.Addr().String())
	}
	if cfg.IMAPURL != "" {
		pw, err := imapPassword(cfg, getenv)
		if err != nil {
			stop()
			return func() {}, err
		}
		// One instance at a time polls the mailbox; the lease outlasts a
		// few intervals, so another takes over when the holder stops.
		lease := &store.Lease{DB: a.DB, Job: IMAPJob, Holder: store.NewHolder(), For: 3*cfg.IMAPInterval + time.Minute, Now: a.Clock.Now}
		p, err := mailin.NewIMAPPoller(mailin.IMAPConfig{URL: cfg.IMAPURL, Password: pw, Interval: cfg.IMAPInterval, Logger: log,
			MaxMessageBytes: cfg.MaxReportBytes(), Hold: lease.Hold}, a.Intake)
		if err != nil {
			stop()
			return func() {}, fmt.Errorf("imap: %w", err)
		}
		pctx, cancel := context.WithCancel(ctx)
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.Run(pctx)
			lease.Release(context.WithoutCancel(pctx))
		}()
		stops = append(stops, cancel)
		log.Info("polling a mailbox for report e-mail", "interval", cfg.IMAPInterval.String())
	}
	return stop, nil
}

// IMAPJob names the lease of the IMAP poll.
const IMAPJob = "imap"

func imapPassword(cfg *config.Config, getenv func(string) string) (string, error) {
	if cfg.IMAPPasswordFile != "" {
		b, err := os.ReadFile(cfg.IMAPPasswordFile)
		if err != nil {
			return "", fmt.Errorf("imap password file: %w", err)
		}
		return strings.TrimRight(string(b), "\r\n"), nil
	}
	return getenv("MASHANG_IMAP_PASSWORD"), nil
}
