package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"mashang/internal/app"
	"mashang/internal/audit"
	"mashang/internal/config"
)

type auditVerifyFlags struct{ checkpoint, key *string }

func auditVerifyCommand() *command {
	return &command{
		name: "audit verify", usage: "[--checkpoint FILE] [--key KEY]",
		short: "check the audit log: chain, Merkle tree, signed checkpoints, and that the tables match it; exit 0 when intact, else name the first mismatch",
		long: "Checks the hash chain, the Merkle tree, the signature and root of every stored checkpoint, and that every\n" +
			"case, event, decision, appeal, publication and identity reveal has its entry and every entry's object\n" +
			"still exists as recorded. --checkpoint FILE also checks that the log extends a checkpoint kept elsewhere\n" +
			"(a witness's state file or a saved /public/log/checkpoint): a log rewritten or truncated since then fails.\n" +
			"Signatures are checked with the configured log key's public half, the keys the log records, and --key.",
		flags: func(fs *flag.FlagSet) any {
			return &auditVerifyFlags{fs.String("checkpoint", "", "a signed checkpoint kept elsewhere (or a witness state file)"),
				fs.String("key", "", "a verifier key NAME+HASH+BASE64 trusted besides the configured key file's")}
		},
		run: runAuditVerify,
	}
}

func runAuditVerify(e *Env, cfg *config.Config, _ *flag.FlagSet, extra any) error {
	f := extra.(*auditVerifyFlags)
	var opts audit.CheckOptions
	if *f.key != "" {
		opts.Keys = append(opts.Keys, *f.key)
	}
	if *f.checkpoint != "" {
		b, err := os.ReadFile(*f.checkpoint)
		if err != nil {
			return err
		}
		// A witness's state file holds the checkpoint and the key it trusts.
		if st, err := audit.ParseWitnessState(b); err == nil {
			b, opts.Keys = []byte(st.Checkpoint), append(opts.Keys, st.Key)
		}
		opts.External = b
	}
	a, err := e.open(cfg)
	if err != nil {
		return err
	}
	defer a.Close()
	opts.Keys = append(opts.Keys, a.LogKey.Verifier)
	rep, err := audit.Check(e.Ctx, a.DB.Read, opts)
	var b *audit.Break
	var m *audit.Mismatch
	switch {
	case errors.As(err, &b):
		return exitError{code: 1, msg: fmt.Sprintf("audit log BROKEN at entry %d: %s", b.Seq, b.Reason)}
	case errors.As(err, &m):
		return exitError{code: 1, msg: "audit log does NOT match: " + m.What}
	case err != nil:
		return err
	}
	fmt.Fprintf(e.Stdout, "audit log intact: %d entries, Merkle tree and %d signed checkpoints verified, %d rows and entries cross-checked\n", rep.Entries, rep.Checkpoints, rep.CrossChecked)
	if len(opts.External) > 0 {
		fmt.Fprintf(e.Stdout, "consistent with the checkpoint in %s (%d entries)\n", *f.checkpoint, rep.ExternalSize)
	}
	return nil
}

func runAuditKey(e *Env, cfg *config.Config, _ *flag.FlagSet, _ any) error {
	k, created, err := audit.OpenKey(cfg.LogKeyFile, app.LogOrigin(cfg))
	if err != nil {
		return err
	}
	if created {
		fmt.Fprintf(e.Stderr, "created the log key %s\n", cfg.LogKeyFile)
	}
	fmt.Fprintln(e.Stdout, k.Verifier)
	return nil
}

type witnessFlags struct{ url, state, key *string }

func auditWitnessCommand() *command {
	return &command{
		name: "audit witness", usage: "--url BASE --state FILE [--key KEY]",
		short: "fetch a server's signed checkpoint, check it extends the one kept in FILE, and keep it; non-zero when the log was rewritten or forked",
		long: "Run it on another machine (a discipline commission's, a neighbouring office's), e.g. hourly from cron.\n" +
			"The first run needs the log's verifier key (--key, from `mashang audit key` or the portal's log page);\n" +
			"without it the key the server serves is trusted on first use, with a warning. FILE is written only\n" +
			"when every check passed.",
		flags: func(fs *flag.FlagSet) any {
			return &witnessFlags{fs.String("url", "", "the server's public address, e.g. https://jubao.example.gov.cn"),
				fs.String("state", "", "the file that keeps the last checkpoint accepted"),
				fs.String("key", "", "the log's verifier key NAME+HASH+BASE64 (first run)")}
		},
		run: runAuditWitness,
	}
}

func runAuditWitness(e *Env, _ *config.Config, _ *flag.FlagSet, extra any) error {
	f := extra.(*witnessFlags)
	if *f.url == "" || *f.state == "" {
		return usageError("--url and --state are required")
	}
	hc := &http.Client{Timeout: 30 * time.Second}
	var st audit.WitnessState
	b, err := os.ReadFile(*f.state)
	switch {
	case err == nil:
		if st, err = audit.ParseWitnessState(b); err != nil {
			return err
		}
		if *f.key != "" && *f.key != st.Key {
			return exitError{code: 1, msg: fmt.Sprintf("--key differs from the key kept in %s (%s)", *f.state, st.Key)}
		}
	case errors.Is(err, os.ErrNotExist):
		st.Key = strings.TrimSpace(*f.key)
		if st.Key == "" {
			k, err := fetchKey(e, hc, *f.url)
			if err != nil {
				return err
			}
			st.Key = k
			fmt.Fprintf(e.Stderr, "warning: no --key given: trusting the key the server serves on first use: %s\n", k)
		}
	default:
		return err
	}
	next, res, err := audit.Witness(e.Ctx, hc, *f.url, st)
	var we *audit.WitnessError
	if errors.As(err, &we) {
		return exitError{code: 1, msg: "the log was REWRITTEN or FORKED: " + we.Reason}
	}
	if err != nil {
		return err
	}
	if err := writeFileAtomic(*f.state, next.Marshal()); err != nil {
		return err
	}
	if res.Rotated != "" {
		fmt.Fprintf(e.Stdout, "the log moved to a new key through a handover signed by the old one: %s\n", res.Rotated)
	}
	if res.Old.Size > 0 {
		fmt.Fprintf(e.Stdout, "log %s: %d entries, consistent with the %d kept before\n", res.New.Origin, res.New.Size, res.Old.Size)
	} else {
		fmt.Fprintf(e.Stdout, "log %s: %d entries; checkpoint kept in %s\n", res.New.Origin, res.New.Size, *f.state)
	}
	return nil
}

func fetchKey(e *Env, hc *http.Client, base string) (string, error) {
	req, err := http.NewRequestWithContext(e.Ctx, http.MethodGet, strings.TrimRight(base, "/")+"/public/log/key", nil)
	if err != nil {
		return "", err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("%s/public/log/key answered %s", base, resp.Status)
	}
	return strings.TrimSpace(string(b)), nil
}

// writeFileAtomic replaces path with data through a temporary file.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func keysRotateCommand() *command {
	return &command{
		name: "keys rotate", usage: "identity|log",
		short: "rotate a key: identity re-encrypts reporters' identities under a new key; log starts signing with a new key",
		long: "identity: every sealed identity and TOTP secret is re-encrypted in one transaction, recorded in the audit\n" +
			"log, then the key file is replaced. Stop the server first (it keeps the key it loaded), and back up the\n" +
			"new key file.\n" +
			"log: the rotation is recorded in the log itself, a handover checkpoint is signed by the old key and the\n" +
			"new one (witnesses that know the old key follow it), then the key file is replaced. A running server\n" +
			"signs with the new key from its next checkpoint on.",
		run: runKeysRotate,
	}
}

func runKeysRotate(e *Env, cfg *config.Config, fs *flag.FlagSet, _ any) error {
	if fs.NArg() != 1 || (fs.Arg(0) != "identity" && fs.Arg(0) != "log") {
		return usageError("give identity or log")
	}
	a, err := e.open(cfg)
	if err != nil {
		return err
	}
	defer a.Close()
	if fs.Arg(0) == "identity" {
		res, err := a.RotateIdentityKey(e.Ctx, "cli")
		if err != nil {
			return err
		}
		fmt.Fprintf(e.Stdout, "identity key rotated: %d reporter identities and %d TOTP secrets re-encrypted; new key in %s (back it up; older backups need the old key)\n", res.Cases, res.Users, cfg.IdentityKeyFile)
		return nil
	}
	k, cp, err := audit.RotateKey(e.Ctx, a.DB, cfg.LogKeyFile, a.Clock.Now(), "cli")
	if err != nil {
		return err
	}
	fmt.Fprintf(e.Stdout, "log key rotated at entry %d; new verifier key:\n%s\n", cp.Size, k.Verifier)
	return nil
}
