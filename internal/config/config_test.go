package config

import (
	"bytes"
	"flag"
	"strings"
	"testing"
	"time"
)

func load(t *testing.T, args []string, env map[string]string) (*Config, error) {
	t.Helper()
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	f := Register(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return f.Load(func(k string) string { return env[k] })
}

func TestDefaults(t *testing.T) {
	c, err := load(t, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:8080" || c.DataDir != "./data" || c.DatabaseURL != "" || c.AttachFileMax != 20<<20 || c.AttachReportMax != 50<<20 {
		t.Fatalf("defaults %+v", c)
	}
	if c.IdentityKeyFile != "data/identity.key" {
		t.Fatalf("identity key default %q", c.IdentityKeyFile)
	}
	if c.TokenTTL != 12*time.Hour || c.RuleSet != "fuzhou-2015" {
		t.Fatal("defaults")
	}
}

func TestPrecedence(t *testing.T) {
	env := map[string]string{"MASHANG_ADDR": "127.0.0.1:9000", "MASHANG_DATA": "/srv/m", "MASHANG_NO_RATE_LIMIT": "1"}
	c, err := load(t, []string{"--addr", "127.0.0.1:9999"}, env)
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:9999" || c.DataDir != "/srv/m" || !c.NoRateLimit {
		t.Fatalf("%+v", c)
	}
	c, _ = load(t, []string{"--no-rate-limit"}, nil)
	if !c.NoRateLimit {
		t.Fatal("bare boolean flag")
	}
}

func TestInvalidValues(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--database", "mysql://x"}, "postgres://"},
		{[]string{"--attach-file-max", "lots"}, "not a size"},
		{[]string{"--token-ttl", "-1h"}, "positive duration"},
		{[]string{"--timezone", "Mars/Olympus"}, "timezone"},
		{[]string{"--attach-file-max", "60MiB"}, "exceeds"},
	} {
		_, err := load(t, tc.args, nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: got %v, want error containing %q", tc.args, err, tc.want)
		}
	}
}

func TestPrintMasksSecrets(t *testing.T) {
	c, _ := load(t, []string{"--database", "postgres://office:s3cret@db.local/mashang?sslmode=require"}, nil)
	var b bytes.Buffer
	Print(&b, c)
	out := b.String()
	if strings.Contains(out, "s3cret") || strings.Contains(out, "sslmode") {
		t.Fatalf("secret shown:\n%s", out)
	}
	if !strings.Contains(out, "postgres://office:****@db.local/mashang") || !strings.Contains(out, "MASHANG_SMTP_ADDR") {
		t.Fatalf("table:\n%s", out)
	}
}

func TestSizes(t *testing.T) {
	for in, want := range map[string]int64{"20MiB": 20 << 20, "512KiB": 512 << 10, "1048576": 1 << 20, "2 GB": 2 << 30} {
		if n, err := ParseSize(in); err != nil || n != want {
			t.Errorf("%s: %d %v", in, n, err)
		}
	}
	if FormatSize(50<<20) != "50MiB" {
		t.Fatal(FormatSize(50 << 20))
	}
}

func TestKeyFilesAndDataDir(t *testing.T) {
	dir := t.TempDir()
	data := dir + "/data"
	cases := []struct {
		name string
		args []string
		env  map[string]string
		want []string // key options reported inside the data directory
	}{
		{"defaults sit in the data directory", []string{"--data", data}, nil, []string{"identity-key-file", "log-key-file"}},
		{"both outside, by environment", []string{"--data", data}, map[string]string{"MASHANG_IDENTITY_KEY_FILE": dir + "/keys/identity.key", "MASHANG_LOG_KEY_FILE": dir + "/keys/log.key"}, nil},
		{"log key by flag outside, identity inside", []string{"--data", data, "--log-key-file", dir + "/log.key"}, nil, []string{"identity-key-file"}},
		{"a path that climbs out with ..", []string{"--data", data, "--identity-key-file", data + "/../id.key", "--log-key-file", data + "/sub/log.key"}, nil, []string{"log-key-file"}},
		{"a sibling whose name starts like the data directory", []string{"--data", data, "--identity-key-file", data + "-keys/id.key", "--log-key-file", data + "2/log.key"}, nil, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := load(t, tc.args, tc.env)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, k := range c.KeysInDataDir() {
				got = append(got, strings.Fields(k)[0])
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Fatalf("inside the data directory: %v, want %v (identity %s, log %s)", got, tc.want, c.IdentityKeyFile, c.LogKeyFile)
			}
		})
	}
	c, _ := load(t, nil, nil)
	if c.LogKeyFile != "data/log.key" {
		t.Fatalf("log key default %q", c.LogKeyFile)
	}
}

func TestLogMailNeedsRelay(t *testing.T) {
	if _, err := load(t, []string{"--log-mail-to", "jiwei@example.cn"}, nil); err == nil || !strings.Contains(err.Error(), "smtp-relay") {
		t.Fatalf("log-mail-to without a relay: %v", err)
	}
	c, err := load(t, []string{"--log-mail-to", "jiwei@example.cn"}, map[string]string{"MASHANG_SMTP_RELAY": "smtp://mail.example.cn:587"})
	if err != nil || c.LogMailEvery != time.Hour || c.MailFrom != "mashang@localhost" {
		t.Fatalf("%+v %v", c, err)
	}
}
