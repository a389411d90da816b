// Package config is mashang's one typed table of options. Each option has a
// name, a command-line flag, an environment variable, a default and help
// text; `mashang config` prints the table with the values in force, secrets
// masked. Flags beat the environment, which beats the default.
package config

import (
	"flag"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"mashang/internal/ratelimit"
)

// Config holds the values in force.
type Config struct {
	Addr             string
	DataDir          string
	DatabaseURL      string
	SMTPAddr         string
	NoRateLimit      bool
	MetricsAddr      string
	IMAPURL          string
	IMAPPasswordFile string
	IMAPInterval     time.Duration
	IdentityKeyFile  string
	LogKeyFile       string
	LogOrigin        string
	SMTPRelay        string
	MailFrom         string
	LogMailTo        string
	// SMSGatewayFile is the SMS gateway as JSON ("": no SMS out).
	SMSGatewayFile string
	// NotifyInterval is how often the notifications' sender looks for mail
	// and SMS to send.
	NotifyInterval time.Duration
	// NotifyOffice names the office in messages to reporters ("": 整肃办).
	NotifyOffice string
	// CallbackDays is the time to call a reporter back after a reply, in
	// working days.
	CallbackDays int
	// OfficeName heads the formal notices; NoticePrefix starts their
	// document numbers (闽整肃 gives 闽整肃受〔2026〕37号).
	OfficeName      string
	NoticePrefix    string
	LogMailEvery    time.Duration
	TimeZone        string
	MaxBodyBytes    int64
	AttachFileMax   int64
	AttachReportMax int64
	AttachMaxFiles  int
	TokenTTL        time.Duration
	LogLevel        string
	LogFormat       string
	LimitsFile      string
	RuleSet         string
	SweepInterval   time.Duration
	PublicBaseURL   string
	// Retention periods in days after a case is closed; Never keeps for ever.
	RetainIdentities  int
	RetainAttachments int
	RetainMessages    int
	RetentionInterval time.Duration
	// Scheduled backups of serve; BackupInterval 0 turns them off.
	BackupDir      string
	BackupInterval time.Duration
	BackupKeep     int
	// The public doors' flood limits (off with NoRateLimit).
	IntakeRateAddress ratelimit.Rate
	IntakeRateGlobal  ratelimit.Rate
	TrackRateAddress  ratelimit.Rate
	HumanCheckAfter   int
	// TrustedProxies are the addresses of the proxies in front of this
	// instance whose X-Forwarded-For is believed; empty: none.
	TrustedProxies []netip.Prefix
	// Attachments says where attachment content lives: AttachAuto,
	// AttachDirectory or AttachDatabase.
	Attachments string
}

// Where attachments live (the attachments option).
const (
	AttachAuto      = "auto"      // the directory on SQLite, the database on PostgreSQL
	AttachDirectory = "directory" // DATA/attachments
	AttachDatabase  = "database"  // in the database, in chunks
)

// Never is a retention period that keeps for ever.
const Never = -1

// Option describes one setting.
type Option struct {
	Name    string
	Flag    string
	Env     string
	Default string
	Help    string
	Secret  bool
	// set parses a string into the Config.
	set func(c *Config, v string) error
	// get renders the Config's value.
	get func(c *Config) string
}

func str(p func(*Config) *string) (func(*Config, string) error, func(*Config) string) {
	return func(c *Config, v string) error { *p(c) = v; return nil }, func(c *Config) string { return *p(c) }
}

func dur(p func(*Config) *time.Duration) (func(*Config, string) error, func(*Config) string) {
	return func(c *Config, v string) error {
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				return fmt.Errorf("%q is not a positive duration such as 30s, 5m or 12h", v)
			}
			*p(c) = d
			return nil
		}, func(c *Config) string {
			return p(c).String()
		}
}

func size(p func(*Config) *int64) (func(*Config, string) error, func(*Config) string) {
	return func(c *Config, v string) error {
			n, err := ParseSize(v)
			if err != nil {
				return err
			}
			*p(c) = n
			return nil
		}, func(c *Config) string {
			return FormatSize(*p(c))
		}
}

func boolean(p func(*Config) *bool) (func(*Config, string) error, func(*Config) string) {
	return func(c *Config, v string) error {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return fmt.Errorf("%q is not true or false", v)
			}
			*p(c) = b
			return nil
		}, func(c *Config) string {
			return strconv.FormatBool(*p(c))
		}
}

func integer(p func(*Config) *int) (func(*Config, string) error, func(*Config) string) {
	return func(c *Config, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return fmt.Errorf("%q is not a non-negative number", v)
			}
			*p(c) = n
			return nil
		}, func(c *Config) string {
			return strconv.Itoa(*p(c))
		}
}

// days reads a number of days (0 or more) or "never".
func days(p func(*Config) *int) (func(*Config, string) error, func(*Config) string) {
	return func(c *Config, v string) error {
			if strings.EqualFold(strings.TrimSpace(v), "never") {
				*p(c) = Never
				return nil
			}
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil || n < 0 {
				return fmt.Errorf("%q is not a number of days (0 or more) or never", v)
			}
			*p(c) = n
			return nil
		}, func(c *Config) string {
			if *p(c) == Never {
				return "never"
			}
			return strconv.Itoa(*p(c))
		}
}

// durOff reads a positive duration, or 0 / off for none.
func durOff(p func(*Config) *time.Duration) (func(*Config, string) error, func(*Config) string) {
	set, get := dur(p)
	return func(c *Config, v string) error {
			if v := strings.TrimSpace(v); v == "0" || strings.EqualFold(v, "off") {
				*p(c) = 0
				return nil
			}
			return set(c, v)
		}, func(c *Config) string {
			if *p(c) == 0 {
				return "off"
			}
			return get(c)
		}
}

// rate reads a rate N/PERIOD, or 0 for none.
func rate(p func(*Config) *ratelimit.Rate) (func(*Config, string) error, func(*Config) string) {
	return func(c *Config, v string) error {
			r, err := ratelimit.ParseRate(v)
			if err != nil {
				return err
			}
			*p(c) = r
			return nil
		}, func(c *Config) string {
			return p(c).String()
		}
}

// prefixes reads a comma-separated list of addresses and CIDR ranges.
func prefixes(p func(*Config) *[]netip.Prefix) (func(*Config, string) error, func(*Config) string) {
	return func(c *Config, v string) error {
			var out []netip.Prefix
			for _, f := range strings.Split(v, ",") {
				f = strings.TrimSpace(f)
				if f == "" {
					continue
				}
				if a, err := netip.ParseAddr(f); err == nil {
					a = a.Unmap()
					out = append(out, netip.PrefixFrom(a, a.BitLen()))
					continue
				}
				pf, err := netip.ParsePrefix(f)
				if err != nil {
					return fmt.Errorf("%q is not an IP address or a CIDR range such as 10.0.0.0/8", f)
				}
				if pf.Addr().Is4In6() {
					pf = netip.PrefixFrom(pf.Addr().Unmap(), pf.Bits()-96)
				}
				out = append(out, pf.Masked())
			}
			*p(c) = out
			return nil
		}, func(c *Config) string {
			var s []string
			for _, pf := range *p(c) {
				if pf.IsSingleIP() {
					s = append(s, pf.Addr().String())
				} else {
					s = append(s, pf.String())
				}
			}
			return strings.Join(s, ",")
		}
}

// oneOf reads one of the given words.
func oneOf(p func(*Config) *string, words ...string) (func(*Config, string) error, func(*Config) string) {
	return func(c *Config, v string) error {
			v = strings.ToLower(strings.TrimSpace(v))
			for _, w := range words {
				if v == w {
					*p(c) = v
					return nil
				}
			}
			return fmt.Errorf("%q is not one of %s", v, strings.Join(words, ", "))
		}, func(c *Config) string {
			return *p(c)
		}
}

func opt(name, env, def, help string, secret bool, s func(*Config, string) error, g func(*Config) string) Option {
	return Option{Name: name, Flag: name, Env: env, Default: def, Help: help, Secret: secret, set: s, get: g}
}

// Options is the table, in the order `mashang config` prints it.
func Options() []Option {
	var o []Option
	add := func(name, env, def, help string, secret bool, s func(*Config, string) error, g func(*Config) string) {
		o = append(o, opt(name, env, def, help, secret, s, g))
	}
	s, g := str(func(c *Config) *string { return &c.Addr })
	add("addr", "MASHANG_ADDR", "127.0.0.1:8080", "address the web server listens on", false, s, g)
	s, g = str(func(c *Config) *string { return &c.DataDir })
	add("data", "MASHANG_DATA", "./data", "data directory: SQLite database, attachments, keys (created 0700)", false, s, g)
	s, g = str(func(c *Config) *string { return &c.DatabaseURL })
	add("database", "MASHANG_DATABASE_URL", "", "empty for embedded SQLite, or postgres://user@host/db for PostgreSQL", true, s, g)
	s, g = str(func(c *Config) *string { return &c.SMTPAddr })
	add("smtp-addr", "MASHANG_SMTP_ADDR", "", "address to receive report e-mail by SMTP (empty: off)", false, s, g)
	bs, bg := boolean(func(c *Config) *bool { return &c.NoRateLimit })
	add("no-rate-limit", "MASHANG_NO_RATE_LIMIT", "false", "turn off the per-address limits and the intake's flood limits (load tests on loopback only)", false, bs, bg)
	s, g = str(func(c *Config) *string { return &c.MetricsAddr })
	add("metrics-addr", "MASHANG_METRICS_ADDR", "", "separate address for /metrics (empty: /metrics on the main port, staff only)", false, s, g)
	s, g = str(func(c *Config) *string { return &c.IMAPURL })
	add("imap-url", "MASHANG_IMAP_URL", "", "mailbox to poll for reports, imaps://user@host/INBOX (empty: off)", false, s, g)
	s, g = str(func(c *Config) *string { return &c.IMAPPasswordFile })
	add("imap-password-file", "MASHANG_IMAP_PASSWORD_FILE", "", "file holding the IMAP password (or set MASHANG_IMAP_PASSWORD)", false, s, g)
	ds, dg := dur(func(c *Config) *time.Duration { return &c.IMAPInterval })
	add("imap-interval", "MASHANG_IMAP_INTERVAL", "1m", "how often the IMAP mailbox is polled", false, ds, dg)
	s, g = str(func(c *Config) *string { return &c.IdentityKeyFile })
	add("identity-key-file", "MASHANG_IDENTITY_KEY_FILE", "", "key that encrypts reporters' identities, created 0600 on first start; keep it outside the data directory (default DATA/identity.key, with a warning)", false, s, g)
	s, g = str(func(c *Config) *string { return &c.LogKeyFile })
	add("log-key-file", "MASHANG_LOG_KEY_FILE", "", "key that signs the audit log's checkpoints, created 0600 on first start; keep it outside the data directory (default DATA/log.key, with a warning)", false, s, g)
	s, g = str(func(c *Config) *string { return &c.LogOrigin })
	add("log-origin", "MASHANG_LOG_ORIGIN", "", "the audit log's name in its checkpoints, fixed when the log key is made (default: the public URL's host + /log, or mashang.local/ and a random tag)", false, s, g)
	s, g = str(func(c *Config) *string { return &c.SMTPRelay })
	add("smtp-relay", "MASHANG_SMTP_RELAY", "", "relay for mail mashang sends, smtp://[user[:password]@]host[:port] (empty: none)", true, s, g)
	s, g = str(func(c *Config) *string { return &c.MailFrom })
	add("mail-from", "MASHANG_MAIL_FROM", "mashang@localhost", "sender address of mail mashang sends", false, s, g)
	s, g = str(func(c *Config) *string { return &c.SMSGatewayFile })
	add("sms-gateway-file", "MASHANG_SMS_GATEWAY_FILE", "", "the SMS gateway as JSON: url, method, headers, body with {phone} and {text}, success rule (empty: no SMS out)", false, s, g)
	ds, dg = dur(func(c *Config) *time.Duration { return &c.NotifyInterval })
	add("notify-interval", "MASHANG_NOTIFY_INTERVAL", "10s", "how often notifications (mail, SMS) waiting in the outbox are sent", false, ds, dg)
	s, g = str(func(c *Config) *string { return &c.NotifyOffice })
	add("notify-office", "MASHANG_NOTIFY_OFFICE", "", "the office's name in the messages to reporters (empty: 整肃办)", false, s, g)
	is, ig := integer(func(c *Config) *int { return &c.CallbackDays })
	add("callback-days", "MASHANG_CALLBACK_DAYS", "5", "working days after a written reply within which a clerk calls the reporter back (回访)", false, is, ig)
	s, g = str(func(c *Config) *string { return &c.OfficeName })
	add("office-name", "MASHANG_OFFICE_NAME", "", "the top office's full name at the head of its formal notices when its admin sets none in the pages (empty: the office's name)", false, s, g)
	s, g = str(func(c *Config) *string { return &c.NoticePrefix })
	add("notice-prefix", "MASHANG_NOTICE_PREFIX", "整肃", "what the formal notices' document numbers start with where an office sets no prefix of its own in the pages, e.g. 闽整肃 for 闽整肃受〔2026〕37号", false, s, g)
	s, g = str(func(c *Config) *string { return &c.LogMailTo })
	add("log-mail-to", "MASHANG_LOG_MAIL_TO", "", "addresses (comma-separated) that get the audit log's signed checkpoints by mail, e.g. the discipline commission's (needs smtp-relay)", false, s, g)
	ds, dg = dur(func(c *Config) *time.Duration { return &c.LogMailEvery })
	add("log-mail-every", "MASHANG_LOG_MAIL_EVERY", "1h", "at most one checkpoint mail per this interval (the latest checkpoint; each extends the ones before)", false, ds, dg)
	s, g = str(func(c *Config) *string { return &c.TimeZone })
	add("timezone", "MASHANG_TIMEZONE", "Asia/Shanghai", "zone of dates and deadlines", false, s, g)
	zs, zg := size(func(c *Config) *int64 { return &c.MaxBodyBytes })
	add("max-body", "MASHANG_MAX_BODY", "1MiB", "largest JSON request body", false, zs, zg)
	zs, zg = size(func(c *Config) *int64 { return &c.AttachFileMax })
	add("attach-file-max", "MASHANG_ATTACH_FILE_MAX", "20MiB", "largest attachment file", false, zs, zg)
	zs, zg = size(func(c *Config) *int64 { return &c.AttachReportMax })
	add("attach-report-max", "MASHANG_ATTACH_REPORT_MAX", "50MiB", "largest total of a report's attachments", false, zs, zg)
	is, ig = integer(func(c *Config) *int { return &c.AttachMaxFiles })
	add("attach-max-files", "MASHANG_ATTACH_MAX_FILES", "10", "most attachments on one report", false, is, ig)
	ds, dg = dur(func(c *Config) *time.Duration { return &c.TokenTTL })
	add("token-ttl", "MASHANG_TOKEN_TTL", "12h", "lifetime of a staff token or session", false, ds, dg)
	s, g = str(func(c *Config) *string { return &c.LogLevel })
	add("log-level", "MASHANG_LOG_LEVEL", "info", "debug, info, warn or error", false, s, g)
	s, g = str(func(c *Config) *string { return &c.LogFormat })
	add("log-format", "MASHANG_LOG_FORMAT", "text", "text or json", false, s, g)
	s, g = str(func(c *Config) *string { return &c.LimitsFile })
	add("limits-file", "MASHANG_LIMITS_FILE", "", "jurisdiction's time limits as JSON (empty: the 信访工作条例 defaults)", false, s, g)
	s, g = str(func(c *Config) *string { return &c.RuleSet })
	add("ruleset", "MASHANG_RULESET", "fuzhou-2015", "consequence rule set for new decisions: fuzhou-2015 or national-2019", false, s, g)
	ds, dg = dur(func(c *Config) *time.Duration { return &c.SweepInterval })
	add("sweep-interval", "MASHANG_SWEEP_INTERVAL", "10m", "how often the supervision sweep runs", false, ds, dg)
	s, g = str(func(c *Config) *string { return &c.PublicBaseURL })
	add("public-url", "MASHANG_PUBLIC_URL", "", "the address the public reaches this server at (for links in feeds)", false, s, g)
	ys, yg := days(func(c *Config) *int { return &c.RetainIdentities })
	add("retain-identities", "MASHANG_RETAIN_IDENTITIES", "1825", "days after a case is closed until its reporter's identity is erased (0: at once; never)", false, ys, yg)
	ys, yg = days(func(c *Config) *int { return &c.RetainAttachments })
	add("retain-attachments", "MASHANG_RETAIN_ATTACHMENTS", "1825", "days after a case is closed until its attachments are removed (0: at once; never)", false, ys, yg)
	ys, yg = days(func(c *Config) *int { return &c.RetainMessages })
	add("retain-messages", "MASHANG_RETAIN_MESSAGES", "1825", "days after a case is closed until the bodies of its messages with the reporter are removed (0: at once; never)", false, ys, yg)
	ds, dg = dur(func(c *Config) *time.Duration { return &c.RetentionInterval })
	add("retention-interval", "MASHANG_RETENTION_INTERVAL", "24h", "how often serve runs the retention job", false, ds, dg)
	s, g = str(func(c *Config) *string { return &c.BackupDir })
	add("backup-dir", "MASHANG_BACKUP_DIR", "", "where serve writes its scheduled backups (default DATA/backups)", false, s, g)
	ds, dg = durOff(func(c *Config) *time.Duration { return &c.BackupInterval })
	add("backup-interval", "MASHANG_BACKUP_INTERVAL", "24h", "how often serve writes a backup (off: never)", false, ds, dg)
	is, ig = integer(func(c *Config) *int { return &c.BackupKeep })
	add("backup-keep", "MASHANG_BACKUP_KEEP", "7", "how many scheduled backups to keep (older ones are deleted)", false, is, ig)
	rs, rg := rate(func(c *Config) *ratelimit.Rate { return &c.IntakeRateAddress })
	add("intake-rate-address", "MASHANG_INTAKE_RATE_ADDRESS", "10/1h", "reports one address (web) or e-mail sender may file, N/PERIOD; 429 (SMTP 451) beyond; 0: no limit", false, rs, rg)
	rs, rg = rate(func(c *Config) *ratelimit.Rate { return &c.IntakeRateGlobal })
	add("intake-rate-global", "MASHANG_INTAKE_RATE_GLOBAL", "300/1m", "reports the public may file in all, by web and e-mail; 0: no limit", false, rs, rg)
	rs, rg = rate(func(c *Config) *ratelimit.Rate { return &c.TrackRateAddress })
	add("track-rate-address", "MASHANG_TRACK_RATE_ADDRESS", "120/10m", "tracking requests (look-ups, messages, reviews, ratings) one address may make; 0: no limit", false, rs, rg)
	is, ig = integer(func(c *Config) *int { return &c.HumanCheckAfter })
	add("human-check-after", "MASHANG_HUMAN_CHECK_AFTER", "3", "reports from one address within intake-rate-address's period after which the web form asks for a typed number from a picture; 0: never", false, is, ig)
	ps, pg := prefixes(func(c *Config) *[]netip.Prefix { return &c.TrustedProxies })
	add("trusted-proxies", "MASHANG_TRUSTED_PROXIES", "", "addresses or CIDR ranges of the proxies in front of this server (comma-separated): a request from one of them is counted, for per-address limits, at the client address its X-Forwarded-For names; empty: the peer's address, X-Forwarded-For ignored", false, ps, pg)
	s, g = oneOf(func(c *Config) *string { return &c.Attachments }, AttachAuto, AttachDirectory, AttachDatabase)
	add("attachments", "MASHANG_ATTACHMENTS", AttachAuto, "where attachment content is kept: directory (DATA/attachments), database (in the database, in chunks: every instance on one PostgreSQL reads them), auto (directory on SQLite, database on PostgreSQL)", false, s, g)
	return o
}

// Defaults returns a Config holding every default.
func Defaults() *Config {
	c := &Config{}
	for _, o := range Options() {
		if err := o.set(c, o.Default); err != nil {
			panic(fmt.Sprintf("config: bad default for %s: %v", o.Name, err))
		}
	}
	return c
}

// Flags registers every option on fs. Values are applied by Load after parsing.
type Flags struct {
	fs   *flag.FlagSet
	vals map[string]*string
	opts []Option
}

// Register adds every option as a string flag on fs; booleans accept a bare -flag.
func Register(fs *flag.FlagSet) *Flags {
	f := &Flags{fs: fs, vals: map[string]*string{}, opts: Options()}
	for _, o := range f.opts {
		v := new(string)
		f.vals[o.Name] = v
		if o.Default == "false" || o.Default == "true" {
			fs.Var(boolFlag{v}, o.Flag, o.Help+" (env "+o.Env+")")
		} else {
			fs.Var(strFlag{v}, o.Flag, o.Help+" (env "+o.Env+", default "+quoteEmpty(o.Default)+")")
		}
	}
	return f
}

func quoteEmpty(s string) string {
	if s == "" {
		return `""`
	}
	return s
}

type strFlag struct{ p *string }

func (s strFlag) String() string {
	if s.p == nil {
		return ""
	}
	return *s.p
}
func (s strFlag) Set(v string) error { *s.p = v; return nil }

type boolFlag struct{ p *string }

func (b boolFlag) String() string {
	if b.p == nil {
		return ""
	}
	return *b.p
}
func (b boolFlag) Set(v string) error { *b.p = v; return nil }
func (b boolFlag) IsBoolFlag() bool   { return true }

// Load builds the Config: defaults, then the environment (getenv), then the
// flags that were set on the command line.
func (f *Flags) Load(getenv func(string) string) (*Config, error) {
	c := Defaults()
	set := map[string]bool{}
	f.fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	for _, o := range f.opts {
		v, src := "", ""
		if e := getenv(o.Env); e != "" {
			v, src = e, "environment "+o.Env
		}
		if set[o.Flag] {
			v, src = *f.vals[o.Name], "flag --"+o.Flag
		}
		if src == "" {
			continue
		}
		if err := o.set(c, v); err != nil {
			return nil, fmt.Errorf("config: %s: %w", src, err)
		}
	}
	if c.IdentityKeyFile == "" {
		c.IdentityKeyFile = filepath.Join(c.DataDir, "identity.key")
	}
	if c.BackupDir == "" {
		c.BackupDir = filepath.Join(c.DataDir, "backups")
	}
	if c.LogKeyFile == "" {
		c.LogKeyFile = filepath.Join(c.DataDir, "log.key")
	}
	if err := c.validate(); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *Config) validate() error {
	if c.DatabaseURL != "" && !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") {
		return fmt.Errorf("config: database must be empty (embedded SQLite) or a postgres:// URL")
	}
	if _, err := time.LoadLocation(c.TimeZone); err != nil {
		return fmt.Errorf("config: timezone %q: %w", c.TimeZone, err)
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("config: log-level must be debug, info, warn or error, not %q", c.LogLevel)
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		return fmt.Errorf("config: log-format must be text or json, not %q", c.LogFormat)
	}
	if c.LogMailTo != "" && c.SMTPRelay == "" {
		return fmt.Errorf("config: log-mail-to needs smtp-relay to send through")
	}
	if c.BackupKeep < 1 {
		return fmt.Errorf("config: backup-keep must be at least 1")
	}
	if c.DatabaseURL == "" && c.Attachments == AttachDatabase {
		return fmt.Errorf("config: attachments=database needs PostgreSQL (--database); SQLite keeps them in the data directory")
	}
	if c.AttachFileMax > c.AttachReportMax {
		return fmt.Errorf("config: attach-file-max (%s) exceeds attach-report-max (%s)", FormatSize(c.AttachFileMax), FormatSize(c.AttachReportMax))
	}
	return nil
}

// MaxReportBytes is the most one report may weigh on any channel: every
// attachment it may carry plus its text. Web forms and the API read at most
// this (multipart), and SMTP and IMAP take messages up to this size.
func (c *Config) MaxReportBytes() int64 { return c.AttachReportMax + c.MaxBodyBytes }

// KeysInDataDir names the key files that sit inside the data directory,
// where a copy of the directory would carry them along with what they
// protect (the server warns about each at start).
func (c *Config) KeysInDataDir() []string {
	var out []string
	for _, k := range []struct{ name, path string }{{"identity-key-file", c.IdentityKeyFile}, {"log-key-file", c.LogKeyFile}} {
		if inside(c.DataDir, k.path) {
			out = append(out, k.name+" "+k.path)
		}
	}
	return out
}

// inside reports whether path lies in dir (after making both absolute and
// resolving symbolic links where they exist).
func inside(dir, path string) bool {
	abs := func(p string) string {
		a, err := filepath.Abs(p)
		if err != nil {
			return filepath.Clean(p)
		}
		if r, err := filepath.EvalSymlinks(a); err == nil {
			return r
		}
		if r, err := filepath.EvalSymlinks(filepath.Dir(a)); err == nil {
			return filepath.Join(r, filepath.Base(a))
		}
		return a
	}
	rel, err := filepath.Rel(abs(dir), abs(path))
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// Location returns the configured zone.
func (c *Config) Location() *time.Location {
	l, err := time.LoadLocation(c.TimeZone)
	if err != nil {
		return time.UTC
	}
	return l
}

// Print writes the table with the values in force, secrets masked.
func Print(w io.Writer, c *Config) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "OPTION\tFLAG\tENV\tVALUE\tHELP")
	for _, o := range Options() {
		v := o.get(c)
		if o.Secret && v != "" {
			v = Mask(v)
		}
		if v == "" {
			v = `""`
		}
		fmt.Fprintf(tw, "%s\t--%s\t%s\t%s\t%s\n", o.Name, o.Flag, o.Env, v, o.Help)
	}
	tw.Flush()
}

// Mask hides a secret; for a URL it keeps the scheme and host and hides the
// password.
func Mask(v string) string {
	if i := strings.Index(v, "://"); i >= 0 {
		rest := v[i+3:]
		if at := strings.LastIndex(rest, "@"); at >= 0 {
			user := rest[:at]
			if c := strings.Index(user, ":"); c >= 0 {
				user = user[:c] + ":****"
			}
			rest = user + rest[at:]
		}
		if q := strings.Index(rest, "?"); q >= 0 {
			rest = rest[:q] + "?…"
		}
		return v[:i+3] + rest
	}
	return "****"
}

// ParseSize reads 1048576, 512KiB, 20MiB, 1GiB (also KB/MB/GB as powers of 1024).
func ParseSize(v string) (int64, error) {
	s := strings.TrimSpace(v)
	mult := int64(1)
	for _, u := range []struct {
		suf string
		m   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1 << 10}, {"MB", 1 << 20}, {"GB", 1 << 30}, {"B", 1}} {
		if strings.HasSuffix(s, u.suf) {
			s, mult = strings.TrimSpace(strings.TrimSuffix(s, u.suf)), u.m
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%q is not a size such as 512KiB or 20MiB", v)
	}
	return n * mult, nil
}

// FormatSize renders a byte count in the largest exact binary unit.
func FormatSize(n int64) string {
	switch {
	case n > 0 && n%(1<<30) == 0:
		return fmt.Sprintf("%dGiB", n>>30)
	case n > 0 && n%(1<<20) == 0:
		return fmt.Sprintf("%dMiB", n>>20)
	case n > 0 && n%(1<<10) == 0:
		return fmt.Sprintf("%dKiB", n>>10)
	}
	return strconv.FormatInt(n, 10)
}

// Getenv is os.Getenv, for callers that pass the real environment.
func Getenv(k string) string { return os.Getenv(k) }

// AttachmentsInDatabase reports whether attachment content lives in the
// database (the attachments option, auto resolved by the engine).
func (c *Config) AttachmentsInDatabase() bool {
	return c.Attachments == AttachDatabase || c.Attachments == AttachAuto && c.DatabaseURL != ""
}
